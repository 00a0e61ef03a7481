"""Property-based fuzzing of the OCPP consumer (hypothesis), in process over the
ASGI app with the real database: whatever a charger sends, the process lives,
every frame is stored exactly, every CALL gets a CALLRESULT or an OCPP 1.6
CALLERROR, no CALLERROR answers a result, and other chargers keep being served."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certify.asgi import application
from chargers.models import Frame
from chargers.protocol.v16.schemas import ERROR_CODES

pytestmark = pytest.mark.django_db(transaction=True)

ACTIONS = [
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "Authorize",
    "StartTransaction",
    "StopTransaction",
    "MeterValues",
    "DataTransfer",
    "Reset",
    "NoSuchThing",
    "",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=300),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=30), children, max_size=5),
    max_leaves=20,
)
unique_ids = st.text(max_size=60) | st.sampled_from(["dup", "dup", "1"])
well_shaped = st.builds(
    lambda uid, action, payload: json.dumps([2, uid, action, payload]),
    unique_ids,
    st.sampled_from(ACTIONS),
    st.dictionaries(
        st.sampled_from(
            [
                "connectorId",
                "idTag",
                "status",
                "errorCode",
                "timestamp",
                "meterStart",
                "chargePointVendor",
                "chargePointModel",
                "transactionId",
                "x" * 300,
            ]
        ),
        json_values,
        max_size=6,
    ),
)
results = st.builds(lambda uid, p: json.dumps([3, uid, p]), unique_ids, json_values)
frames = st.one_of(
    st.text(max_size=500),
    json_values.map(json.dumps),
    well_shaped,
    results,
    st.just("[" * 5000 + "]" * 5000),
    st.just('[2,"deep","DataTransfer",{"vendorId":"v","data":' + "[" * 5000 + "]" * 5000 + "}]"),
)


async def exchange(comm: WebsocketCommunicator, raw: str, expect_answer: bool) -> list[str]:
    """Send one frame; return what comes back (one answer, or nothing)."""
    await comm.send_input({"type": "websocket.receive", "text": raw})  # send_to refuses ""
    answers: list[str] = []
    if expect_answer:
        answers.append(await comm.receive_from(timeout=10))
    # receive_from would cancel the app on a timeout; receive_nothing does not.
    while not await comm.receive_nothing(timeout=0.05 if expect_answer else 0.15, interval=0.01):
        answers.append(await comm.receive_from(timeout=1))
        if len(answers) > 3:
            break
    return answers


def is_result(raw: str) -> bool:
    try:
        sent = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return isinstance(sent, list) and bool(sent) and sent[0] in (3, 4)


async def connect(cp_id: str) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application, f"/ocpp/{cp_id}", subprotocols=["ocpp1.6"])
    connected, subprotocol = await comm.connect()
    assert connected and subprotocol == "ocpp1.6"
    return comm


FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
BATCHES = st.lists(frames, min_size=1, max_size=6)


def stored_since(before: int) -> list[str]:
    return list(
        Frame.objects.filter(charger__charge_point_id="FUZZ", direction="in")
        .order_by("seq")
        .values_list("raw", flat=True)
    )[before:]


async def fuzz(batch: list[str], each=None) -> int:
    """Send the batch from charger FUZZ, calling `each(raw, answers)` per frame;
    returns how many frames FUZZ had stored before."""
    fuzzed = await connect("FUZZ")
    before = await sync_to_async(
        lambda: Frame.objects.filter(charger__charge_point_id="FUZZ", direction="in").count()
    )()
    try:
        for raw in batch:
            answers = await exchange(fuzzed, raw, expect_answer=not is_result(raw))
            if each is not None:
                await each(raw, answers)
    finally:
        await fuzzed.disconnect()
    return before


@FUZZ
@given(batch=BATCHES)
async def test_whatever_a_charger_sends_is_stored_exactly_as_sent(batch):
    before = await fuzz(batch)
    assert await sync_to_async(stored_since)(before) == batch


@FUZZ
@given(batch=BATCHES)
async def test_a_result_or_error_a_charger_sends_is_never_answered(batch):
    async def check(raw: str, answers: list[str]) -> None:
        if is_result(raw):
            assert answers == []

    await fuzz(batch, check)


@FUZZ
@given(batch=BATCHES)
async def test_anything_else_a_charger_sends_gets_one_callresult_or_ocpp_callerror(batch):
    async def check(raw: str, answers: list[str]) -> None:
        if is_result(raw):
            return
        assert len(answers) == 1, raw[:200]
        answer = json.loads(answers[0])
        assert answer[0] in (3, 4)
        if answer[0] == 4:
            assert answer[2] in ERROR_CODES and isinstance(answer[3], str) and answer[4] == {}
        try:
            sent = json.loads(raw)
        except (ValueError, RecursionError):
            sent = None
        if isinstance(sent, list) and len(sent) > 1 and isinstance(sent[1], str) and answer[0] == 3:
            assert answer[1] == sent[1]

    await fuzz(batch, check)


@FUZZ
@given(batch=BATCHES)
async def test_whatever_a_charger_sends_its_neighbour_is_still_served(batch):
    bystander = await connect("BYSTANDER")

    async def check(raw: str, answers: list[str]) -> None:
        answer = await exchange(bystander, '[2,"hb","Heartbeat",{}]', True)
        assert json.loads(answer[0])[:2] == [3, "hb"]

    try:
        await fuzz(batch, check)
    finally:
        await bystander.disconnect()
