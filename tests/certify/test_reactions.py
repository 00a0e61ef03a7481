"""What certification does when a session's charger talks, reached only through
the OCPP layer's hooks (chargers.hooks): its verdicts follow the committed frames,
a boot is followed by the automatic trigger of its statuses, and the session's
cards answer for their id tags. In process over the ASGI app, on a real
WebSocket consumer, the in-memory channel layer and the real database."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from certify import sessions
from certify.asgi import application
from certify.models import ItemResult
from chargers.models import IdTag

pytestmark = pytest.mark.django_db(transaction=True)

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "Volt-22"}
ANSWERS = {"GetConfiguration": {"configurationKey": []}}  # what the charger answers our commands


class Charger:
    """A charger on a WebSocket that answers every CALL of ours (Accepted, or ANSWERS)."""

    def __init__(self, cp_id: str) -> None:
        self.comm = WebsocketCommunicator(application, f"/ocpp/{cp_id}", subprotocols=["ocpp1.6"])
        self.calls: list[tuple[str, dict]] = []  # the CALLs we sent it

    async def __aenter__(self) -> Charger:
        connected, _ = await self.comm.connect()
        assert connected
        return self

    async def __aexit__(self, *exc) -> None:
        await self.comm.disconnect()

    async def call(self, unique_id: str, action: str, payload: dict) -> list:
        await self.comm.send_to(text_data=json.dumps([2, unique_id, action, payload]))
        return await self.until(lambda frame: frame[:2] == [3, unique_id] or frame[:2] == [4, unique_id])

    async def until(self, wanted, timeout: float = 10) -> list:
        """Answer our CALLs until a frame that `wanted` accepts comes; return it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            assert left > 0, f"nothing wanted came within {timeout} s; our CALLs: {self.calls}"
            frame = json.loads(await self.comm.receive_from(timeout=left))
            if frame[0] == 2:
                self.calls.append((frame[2], frame[3]))
                await self.comm.send_to(
                    text_data=json.dumps([3, frame[1], ANSWERS.get(frame[2], {"status": "Accepted"})])
                )
            if wanted(frame):
                return frame


async def verdict_of(session_pk: int, key: str, wanted: str, timeout: float = 10) -> str:
    """The item's verdict once it is `wanted`, or the last seen when the wait ends."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        verdict = await sync_to_async(lambda: ItemResult.objects.get(session_id=session_pk, case=key).verdict)()
        if verdict == wanted or loop.time() > deadline:
            return verdict
        await asyncio.sleep(0.1)


async def test_a_boot_answered_moves_the_sessions_verdict_from_open_to_passed():
    session = await sync_to_async(sessions.create_session)("CP-REACT-VERDICT")
    assert await verdict_of(session.pk, "1", "open", timeout=0) == "open"
    async with Charger("CP-REACT-VERDICT") as charger:
        await charger.call("b1", "BootNotification", BOOT)
        assert await verdict_of(session.pk, "1", "passed") == "passed"


async def test_a_boot_answered_is_followed_by_a_trigger_for_the_chargers_statuses():
    await sync_to_async(sessions.create_session)("CP-REACT-BOOT")
    async with Charger("CP-REACT-BOOT") as charger:
        await charger.call("b1", "BootNotification", BOOT)
        trigger = await charger.until(lambda frame: frame[0] == 2 and frame[2] == "TriggerMessage")
    assert trigger[3] == {"requestedMessage": "StatusNotification"}


@pytest.mark.parametrize(("option", "status"), [("id_tag", "Accepted"), ("refused_id_tag", "Invalid")])
async def test_a_sessions_card_answers_the_same_whatever_the_id_tag_list_says(option, status):
    session = await sync_to_async(sessions.create_session)("CP-REACT-CARD")
    card = session.options[option]
    await sync_to_async(IdTag.objects.create)(id_tag=card, status="Blocked")
    async with Charger("CP-REACT-CARD") as charger:
        answer = await charger.call("a1", "Authorize", {"idTag": card})
    assert answer[2]["idTagInfo"] == {"status": status}


async def test_a_card_of_no_session_gets_what_the_id_tag_list_says():
    await sync_to_async(sessions.create_session)("CP-REACT-OTHER")
    await sync_to_async(IdTag.objects.create)(id_tag="SOMEONE-ELSE", status="Blocked")
    async with Charger("CP-REACT-OTHER") as charger:
        answer = await charger.call("a1", "Authorize", {"idTag": "SOMEONE-ELSE"})
    assert answer[2]["idTagInfo"] == {"status": "Blocked"}
