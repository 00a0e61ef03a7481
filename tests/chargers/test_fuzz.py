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
from chargers.schemas import ERROR_CODES

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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(frames, min_size=1, max_size=6))
async def test_whatever_a_charger_sends_is_kept_and_answered_properly(batch):
    fuzzed, bystander = await connect("FUZZ"), await connect("BYSTANDER")
    before = await sync_to_async(
        lambda: Frame.objects.filter(charger__charge_point_id="FUZZ", direction="in").count()
    )()
    for raw in batch:
        answers = await exchange(fuzzed, raw, expect_answer=not is_result(raw))
        if is_result(raw):
            assert answers == [], "a result or error must never be answered"
            continue
        try:
            sent = json.loads(raw)
        except (ValueError, RecursionError):
            sent = None
        assert len(answers) == 1, raw[:200]
        answer = json.loads(answers[0])
        assert answer[0] in (3, 4)
        if answer[0] == 4:
            assert answer[2] in ERROR_CODES and isinstance(answer[3], str) and answer[4] == {}
        if isinstance(sent, list) and len(sent) > 1 and isinstance(sent[1], str) and answer[0] == 3:
            assert answer[1] == sent[1]
        # The neighbour on the same process is still served.
        assert json.loads((await exchange(bystander, '[2,"hb","Heartbeat",{}]', True))[0])[:2] == [3, "hb"]

    def stored():
        return list(
            Frame.objects.filter(charger__charge_point_id="FUZZ", direction="in")
            .order_by("seq")
            .values_list("raw", flat=True)
        )[before:]

    assert await sync_to_async(stored)() == batch
    await fuzzed.disconnect()
    await bystander.disconnect()
