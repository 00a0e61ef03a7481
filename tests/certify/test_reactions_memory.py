"""What the reactions (certify.reactions) keep per session goes once it is of no use (a lab server
runs for months): the mark that a session's pre-flight began, once the session
is no longer open (signed here or in another process), and the time of its last
evaluation, once that no longer delays the next. On the real database."""

from __future__ import annotations

import asyncio
import time

import pytest

from certify import open_sessions, reactions, sessions
from certify.models import CertSession
from chargers.models import Charger

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def marks():
    """Two sessions pre-flighted and judged: one still open, one signed since."""
    for cp_id in ("CP-MARK-OPEN", "CP-MARK-SIGNED"):
        Charger.objects.create(charge_point_id=cp_id)
    still_open = sessions.create_session("CP-MARK-OPEN")
    signed = sessions.create_session("CP-MARK-SIGNED")
    CertSession.objects.filter(pk=signed.pk).update(state=CertSession.STATE_SIGNED)
    open_sessions.forget()
    reactions._preflighted.update({still_open.pk, signed.pk})
    reactions._last_run.update(
        {still_open.pk: time.monotonic(), signed.pk: time.monotonic() - reactions.EVALUATE_EVERY - 1}
    )
    reactions._prune(asyncio.run(open_sessions.all_open()))
    yield still_open.pk, signed.pk
    reactions._preflighted.clear()
    reactions._last_run.clear()


def test_the_preflight_mark_of_a_session_no_longer_open_goes(marks):
    still_open, signed = marks
    assert (still_open in reactions._preflighted, signed in reactions._preflighted) == (True, False)


def test_a_last_run_that_no_longer_delays_an_evaluation_goes(marks):
    recent, old = marks
    assert (recent in reactions._last_run, old in reactions._last_run) == (True, False)
