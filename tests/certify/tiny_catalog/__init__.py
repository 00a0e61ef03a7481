"""A catalog only the tests know, of two cases: the proof that a new catalog
is a package and one registry line (tests/certify/test_new_catalog.py). Its
keys are not numbers, and nothing outside this package names them."""

from __future__ import annotations

from certify.catalogs import Catalog, cases_of

from . import clear_cache_once, heartbeat_on_request

NAME = "tiny-two"

CATALOG = Catalog(
    name=NAME,
    title="Two cases of a test-only catalog",
    protocol="ocpp1.6",
    cases=cases_of(clear_cache_once, heartbeat_on_request),
    plan=((("TINY_CLEAR",), ("TINY_BEAT",)),),
)
