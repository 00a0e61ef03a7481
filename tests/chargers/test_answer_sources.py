"""The answers OCPP 1.6 leaves to the central system come from the answer sources
(chargers.hooks.answer_sources) before our defaults: a test case can script a
Rejected or Pending boot and any idTagInfo. In process over the ASGI app, on a
real WebSocket consumer and the real database."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from certify.asgi import application
from chargers import hooks
from chargers.models import Frame, IdTag, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "Volt-22"}
NOW = "2030-01-01T10:00:00Z"


@pytest.fixture
def sources(monkeypatch) -> hooks.Hook:
    """The answer sources, emptied for the test (and restored after it)."""
    fresh = hooks.Hook("answer_sources")
    monkeypatch.setattr(hooks, "answer_sources", fresh)
    return fresh


async def connect(cp_id: str) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application, f"/ocpp/{cp_id}", subprotocols=["ocpp1.6"])
    connected, _ = await comm.connect()
    assert connected
    return comm


async def call(comm: WebsocketCommunicator, unique_id: str, action: str, payload: dict) -> list:
    await comm.send_to(text_data=json.dumps([2, unique_id, action, payload]))
    return json.loads(await comm.receive_from(timeout=10))


async def test_a_scripted_source_rejects_a_boot_then_accepts_the_next(sources):
    answers = iter([{"status": "Rejected", "interval": 10}, {"status": "Accepted"}])

    @sources.register
    def scripted(charger_pk: int, action: str, payload: dict) -> dict | None:
        return next(answers, None) if action == "BootNotification" else None

    comm = await connect("CP-SCRIPTED-BOOT")
    try:
        first = await call(comm, "b1", "BootNotification", BOOT)
        second = await call(comm, "b2", "BootNotification", BOOT)
    finally:
        await comm.disconnect()
    assert (first[0], first[2]["status"], first[2]["interval"]) == (3, "Rejected", 10)
    # §4.2: the interval of an Accepted boot is the heartbeat interval; ours when the source leaves it.
    assert (second[0], second[2]["status"], second[2]["interval"]) == (3, "Accepted", settings.OCPP_HEARTBEAT_INTERVAL)


async def test_a_pending_boot_keeps_our_current_time(sources):
    sources.register(lambda pk, action, payload: {"status": "Pending"} if action == "BootNotification" else None)
    comm = await connect("CP-PENDING-BOOT")
    try:
        answer = await call(comm, "b1", "BootNotification", BOOT)
    finally:
        await comm.disconnect()
    assert answer[2]["status"] == "Pending" and answer[2]["currentTime"].endswith("Z")


BLOCKED_CHILD = {"status": "Blocked", "parentIdTag": "FLEET-1"}
SCRIPTED_CARDS = [
    # (clause, action, payload, idTagInfo the source gives, idTagInfo answered)
    ("§4.1 Authorize: a Blocked card with its parent", "Authorize", {"idTag": "CHILD"}, BLOCKED_CHILD, BLOCKED_CHILD),
    ("§4.1 Authorize: Invalid", "Authorize", {"idTag": "WHO"}, {"status": "Invalid"}, {"status": "Invalid"}),
    (
        "§4.1 Authorize: Expired with its expiry date",
        "Authorize",
        {"idTag": "OLD"},
        {"status": "Expired", "expiryDate": "2020-01-01T00:00:00Z"},
        {"status": "Expired", "expiryDate": "2020-01-01T00:00:00Z"},
    ),
    (
        "§4.8 StartTransaction: ConcurrentTx",
        "StartTransaction",
        {"connectorId": 1, "idTag": "BUSY", "meterStart": 0, "timestamp": NOW},
        {"status": "ConcurrentTx", "parentIdTag": "FLEET-1"},
        {"status": "ConcurrentTx", "parentIdTag": "FLEET-1"},
    ),
    (
        "§4.10 StopTransaction with an idTag: Blocked",
        "StopTransaction",
        {"transactionId": 42, "idTag": "CHILD", "meterStop": 9, "timestamp": NOW},
        {"status": "Blocked"},
        {"status": "Blocked"},
    ),
]


@pytest.mark.parametrize(
    ("clause", "action", "payload", "given", "answered"), SCRIPTED_CARDS, ids=[r[0] for r in SCRIPTED_CARDS]
)
async def test_a_source_decides_the_id_tag_info(sources, clause, action, payload, given, answered):
    asked: list[tuple[str, dict]] = []

    @sources.register
    def cards(charger_pk: int, asked_action: str, asked_payload: dict) -> dict | None:
        asked.append((asked_action, asked_payload))
        return {"idTagInfo": given}

    comm = await connect("CP-SCRIPTED-CARDS")
    try:
        answer = await call(comm, "c1", action, payload)
    finally:
        await comm.disconnect()
    assert (answer[0], answer[2]["idTagInfo"]) == (3, answered)
    assert asked == [(action, payload)]


async def test_a_refused_card_still_gets_a_transaction(sources):
    sources.register(lambda pk, action, payload: {"idTagInfo": {"status": "Invalid"}})
    comm = await connect("CP-REFUSED-START")
    try:
        answer = await call(
            comm, "s1", "StartTransaction", {"connectorId": 1, "idTag": "NOPE", "meterStart": 0, "timestamp": NOW}
        )
    finally:
        await comm.disconnect()
    assert answer[2]["idTagInfo"] == {"status": "Invalid"}
    assert await sync_to_async(Transaction.objects.filter(pk=answer[2]["transactionId"]).exists)()


async def test_without_a_source_the_id_tag_list_answers(sources):
    await sync_to_async(IdTag.objects.create)(id_tag="LISTED", status="Blocked", parent_id_tag="FLEET-2")
    comm = await connect("CP-NO-SOURCE")
    try:
        answer = await call(comm, "a1", "Authorize", {"idTag": "LISTED"})
    finally:
        await comm.disconnect()
    assert answer[2]["idTagInfo"] == {"status": "Blocked", "parentIdTag": "FLEET-2"}


async def test_the_first_source_that_answers_wins(sources):
    sources.register(lambda pk, action, payload: None)
    sources.register(lambda pk, action, payload: {"idTagInfo": {"status": "Expired"}})
    sources.register(lambda pk, action, payload: {"idTagInfo": {"status": "Accepted"}})
    comm = await connect("CP-FIRST-WINS")
    try:
        answer = await call(comm, "a1", "Authorize", {"idTag": "ANY"})
    finally:
        await comm.disconnect()
    assert answer[2]["idTagInfo"] == {"status": "Expired"}


async def test_a_field_the_spec_does_not_leave_to_us_is_ignored(sources):
    sources.register(lambda pk, action, payload: {"status": "Rejected", "currentTime": "1999-01-01T00:00:00Z"})
    comm = await connect("CP-IGNORED-FIELD")
    try:
        answer = await call(comm, "b1", "BootNotification", BOOT)
    finally:
        await comm.disconnect()
    assert answer[2]["status"] == "Rejected" and not answer[2]["currentTime"].startswith("1999")


async def test_a_source_that_raises_is_skipped_and_the_call_answered(sources):
    def broken(pk: int, action: str, payload: dict) -> dict | None:
        raise RuntimeError("a broken source")

    sources.register(broken)
    sources.register(lambda pk, action, payload: {"idTagInfo": {"status": "Blocked"}})
    comm = await connect("CP-BROKEN-SOURCE")
    try:
        answer = await call(comm, "a1", "Authorize", {"idTag": "ANY"})
    finally:
        await comm.disconnect()
    assert (answer[0], answer[2]["idTagInfo"]) == (3, {"status": "Blocked"})


async def test_a_scripted_answer_is_stored_as_sent(sources):
    sources.register(lambda pk, action, payload: {"status": "Rejected", "interval": 5})
    comm = await connect("CP-SCRIPTED-STORED")
    try:
        answer = await call(comm, "b1", "BootNotification", BOOT)
    finally:
        await comm.disconnect()
    stored = await sync_to_async(
        lambda: list(
            Frame.objects.filter(charger__charge_point_id="CP-SCRIPTED-STORED", direction=Frame.OUT).values_list(
                "raw", flat=True
            )
        )
    )()
    assert [json.loads(raw) for raw in stored] == [answer]
