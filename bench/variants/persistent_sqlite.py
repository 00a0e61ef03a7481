"""Keep the SQLite connection open between database_sync_to_async calls
(CONN_MAX_AGE=None) instead of opening and closing it for every call."""

from certify.settings import *  # noqa: F403
from certify.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = None
