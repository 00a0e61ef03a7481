"""For modules that run one conversation once (a module-scoped fixture) and check
each of its behaviours in a test of its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def db_access(django_db_blocker) -> Callable:
    """Run `fn(*args)` with the database unblocked (for module-scoped scenarios)."""

    def run(fn: Callable, *args):
        with django_db_blocker.unblock():
            return fn(*args)

    return run


@pytest.fixture(scope="module")
def module_server(daphne_server, db_access) -> Callable[[], LiveServer]:
    """Makes the shared daphne's LiveServer with a user and an API token of its
    own. Called by each scenario as it starts: the tests between two scenarios
    empty the database."""

    def make() -> LiveServer:
        from django.contrib.auth import get_user_model

        from chargers.models import ApiToken

        server = LiveServer(daphne_server, username=f"engineer-{uuid.uuid4().hex[:8]}")
        user = db_access(get_user_model().objects.create_superuser, server.username, "", server.password)
        _, server.token = db_access(ApiToken.issue, user, "tests")
        return server

    return make
