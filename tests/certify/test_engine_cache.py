"""The engine's open-session cache: one query for every charger, and a session
opened or finalized in this process is seen at once, not a second later."""

from __future__ import annotations

import asyncio

import pytest

from certify import open_sessions as engine
from certify import services
from certify.models import CertSession
from chargers.models import Charger

pytestmark = pytest.mark.django_db(transaction=True)


def open_of(charger_pk: int) -> list[int]:
    return asyncio.run(engine.sessions_of(charger_pk))


def test_sessions_are_seen_when_opened_and_gone_when_finalized(monkeypatch):
    loads = []
    real = engine._all_open_sessions
    monkeypatch.setattr(engine, "_all_open_sessions", lambda: loads.append(1) or real())
    first = Charger.objects.create(charge_point_id="CP-CACHE-1")
    second = Charger.objects.create(charge_point_id="CP-CACHE-2")
    engine.forget()
    assert open_of(first.pk) == []

    a = services.create_session("CP-CACHE-1")
    b = services.create_session("CP-CACHE-2")
    assert open_of(first.pk) == [a.pk]
    # Fresh for a second: the other charger's lookup costs no query.
    before = len(loads)
    assert open_of(second.pk) == [b.pk]
    assert len(loads) == before

    CertSession.objects.filter(pk=a.pk).update(state=CertSession.STATE_SIGNED)
    engine.forget(first.pk)
    assert open_of(first.pk) == []
    assert open_of(second.pk) == [b.pk]
