"""The open-session cache (certify.open_sessions): one query for every charger, and a session
opened or finalized in this process is seen at once, not a second later.

The sessions of two chargers are opened and one finalized once per module (a
fixture keeps what the cache answered at each step); each test checks one step."""

from __future__ import annotations

import asyncio

import pytest

from certify import open_sessions, sessions
from certify.models import CertSession
from chargers.models import Charger

pytestmark = pytest.mark.django_db(transaction=True)


def open_of(charger_pk: int) -> list[int]:
    return asyncio.run(open_sessions.sessions_of(charger_pk))


def open_then_finalize(loads: list) -> dict:
    first = Charger.objects.create(charge_point_id="CP-CACHE-1")
    second = Charger.objects.create(charge_point_id="CP-CACHE-2")
    open_sessions.forget()
    seen: dict = {"before any session": open_of(first.pk)}

    a = sessions.create_session("CP-CACHE-1")
    b = sessions.create_session("CP-CACHE-2")
    seen["a"], seen["b"] = a.pk, b.pk
    seen["first after opening"] = open_of(first.pk)
    # Fresh for a second: the other charger's lookup costs no query.
    before = len(loads)
    seen["second after opening"] = open_of(second.pk)
    seen["loads for the second"] = len(loads) - before

    CertSession.objects.filter(pk=a.pk).update(state=CertSession.STATE_SIGNED)
    open_sessions.forget(first.pk)
    seen["first after finalizing"] = open_of(first.pk)
    seen["second after finalizing the first"] = open_of(second.pk)
    open_sessions.forget()
    return seen


@pytest.fixture(scope="module")
def cache(db_access) -> dict:
    loads = []
    real = open_sessions._all_open_sessions
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(open_sessions, "_all_open_sessions", lambda: loads.append(1) or real())
        return db_access(open_then_finalize, loads)


def test_a_charger_without_sessions_has_none_open(cache):
    assert cache["before any session"] == []


def test_a_session_is_seen_as_soon_as_it_is_opened(cache):
    assert cache["first after opening"] == [cache["a"]]


def test_another_chargers_session_is_seen_too(cache):
    assert cache["second after opening"] == [cache["b"]]


def test_a_lookup_while_the_cache_is_fresh_costs_no_query(cache):
    assert cache["loads for the second"] == 0


def test_a_finalized_session_is_gone_as_soon_as_it_is_forgotten(cache):
    assert cache["first after finalizing"] == []


def test_forgetting_one_charger_keeps_the_others_sessions(cache):
    assert cache["second after finalizing the first"] == [cache["b"]]
