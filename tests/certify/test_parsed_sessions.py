"""Parsed sessions are kept between evaluations only while they can change and
within bounds (certify.parsed_sessions): at most N sessions and M frames, the
least recently used going first; a signed session's parse goes at once, and a
charger's when its connection ends. On the real database, through the real
evaluation, sign-off and OCPP consumer."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from certify import open_sessions, parsed_sessions, report, sessions
from certify.asgi import application
from certify.evaluation import evaluate_session
from certify.models import CertSession
from chargers.models import Charger, Frame

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_cache():
    parsed_sessions.clear()
    yield
    parsed_sessions.clear()


def open_session(cp_id: str, frames: int = 10, connected: bool = True) -> CertSession:
    """A session of a charger that talked: `frames` frames (Heartbeats and their answers)."""
    charger = Charger.objects.create(charge_point_id=cp_id, connected=connected)
    session = sessions.create_session(cp_id, options={"preflight": False})
    talk(charger, frames)
    return session


def talk(charger: Charger, frames: int) -> None:
    seq = charger.last_seq()
    rows = []
    for n in range(seq + 1, seq + frames + 1):
        uid = f"h{(n + 1) // 2}"
        message = [2, uid, "Heartbeat", {}] if n % 2 else [3, uid, {"currentTime": "2026-01-01T12:00:00Z"}]
        rows.append(
            Frame(
                charger=charger,
                seq=n,
                ts=T0 + timedelta(seconds=n),
                direction="in" if n % 2 else "out",
                message_type=message[0],
                action="Heartbeat",
                unique_id=uid,
                raw=json.dumps(message),
            )
        )
    Frame.objects.bulk_create(rows)


def judge(session: CertSession) -> None:
    evaluate_session(CertSession.objects.select_related("charger").get(pk=session.pk))


def test_an_open_sessions_parse_is_kept_and_extended_with_new_frames_only():
    session = open_session("CP-KEEP", frames=10)
    judge(session)
    kept = parsed_sessions.get(session.pk, (session.start_seq, session.started_at))
    talk(session.charger, 4)
    judge(session)
    assert parsed_sessions.get(session.pk, (session.start_seq, session.started_at)) is kept
    assert parsed_sessions.held() == {session.pk: 14}


@override_settings(CERTIFY_PARSED_SESSIONS=2, CERTIFY_PARSED_FRAMES=1000)
def test_past_the_session_bound_the_least_recently_used_goes():
    first, second, third = (open_session(f"CP-COUNT-{n}") for n in range(3))
    judge(first)
    judge(second)
    judge(first)  # used again: now the second is the least recently used
    judge(third)
    assert list(parsed_sessions.held()) == [first.pk, third.pk]


@override_settings(CERTIFY_PARSED_SESSIONS=20, CERTIFY_PARSED_FRAMES=50)
def test_past_the_frame_bound_the_least_recently_used_go_until_it_holds():
    sessions = [open_session(f"CP-FRAMES-{n}", frames=20) for n in range(3)]
    for session in sessions:
        judge(session)
    assert parsed_sessions.held() == {sessions[1].pk: 20, sessions[2].pk: 20}
    talk(sessions[1].charger, 12)
    judge(sessions[1])  # grown to 32: with the third's 20 over the bound, the third goes
    assert parsed_sessions.held() == {sessions[1].pk: 32}


@override_settings(CERTIFY_PARSED_SESSIONS=20, CERTIFY_PARSED_FRAMES=50)
def test_a_session_larger_than_the_frame_bound_is_not_kept_and_still_judged():
    small, large = open_session("CP-SMALL", frames=10), open_session("CP-LARGE", frames=60)
    judge(small)
    judge(large)
    assert parsed_sessions.held() == {small.pk: 10}
    assert large.items.filter(number=1).exists()


def test_a_session_of_a_disconnected_charger_is_judged_but_not_kept():
    session = open_session("CP-AWAY", connected=False)
    judge(session)
    assert parsed_sessions.held() == {}


def test_a_session_signed_is_dropped_at_once():
    session, other = open_session("CP-SIGNED"), open_session("CP-OTHER")
    judge(session)
    judge(other)
    report.sign_off(CertSession.objects.get(pk=session.pk), None, "Ada", "Engineer", "Finished.")
    assert parsed_sessions.held() == {other.pk: 10}


async def connect_and_judge(cp_id: str) -> tuple[CertSession, WebsocketCommunicator]:
    """A session of a charger connected to the real consumer, judged once while it talks."""
    session = await database_sync_to_async(sessions.create_session)(cp_id, options={"preflight": False})
    comm = WebsocketCommunicator(application, f"/ocpp/{cp_id}", subprotocols=["ocpp1.6"])
    connected, _ = await comm.connect()
    assert connected
    await comm.send_to(text_data='[2,"hb1","Heartbeat",{}]')
    assert json.loads(await comm.receive_from(timeout=10))[0] == 3
    await database_sync_to_async(judge)(session)
    assert session.pk in parsed_sessions.held()
    return session, comm


async def gone(session_pk: int) -> bool:
    """Whether the parse goes once the reactions hear the "disconnected" event (bounded wait)."""
    for _ in range(100):
        if session_pk not in parsed_sessions.held():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_chargers_open_session_is_dropped_when_its_connection_ends():
    session, comm = await connect_and_judge("CP-GONE")
    await comm.disconnect()
    assert await gone(session.pk)
    await database_sync_to_async(judge)(session)  # judged again, offline: still not kept
    assert session.pk not in parsed_sessions.held()


async def test_a_parse_of_a_session_signed_by_another_process_goes_when_the_charger_disconnects():
    session, comm = await connect_and_judge("CP-GONE-SIGNED")
    await database_sync_to_async(CertSession.objects.filter(pk=session.pk).update)(state=CertSession.STATE_SIGNED)
    open_sessions.forget()  # as the other process's sign-off does in its own
    await comm.disconnect()
    assert await gone(session.pk)
