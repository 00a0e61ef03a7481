"""The lab's settings plus the test-only catalog (tests/certify/tiny_catalog)."""

from certify.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.certify.tiny_app.apps.TinyCatalogConfig"]  # noqa: F405
