"""The central system over real WebSockets against a live daphne process.

Longer conversations run once per module (a fixture keeps what came back and
what was stored); each test checks one behaviour of them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
import websockets
from asgiref.sync import sync_to_async
from ocpp.charge_point import camel_to_snake_case
from ocpp.v16 import call

from chargers.models import Charger, Connector, Frame, Transaction
from chargers.protocol.v16.defaults import tx_default_profile

from .client import boot, connected, now

pytestmark = pytest.mark.django_db(transaction=True)

# Every OCPP 1.6 command with a payload the test charger accepts.
COMMANDS = {
    "CancelReservation": {"reservationId": 1},
    "ChangeAvailability": {"connectorId": 1, "type": "Inoperative"},
    "ChangeConfiguration": {"key": "HeartbeatInterval", "value": "30"},
    "ClearCache": {},
    "ClearChargingProfile": {"id": 1},
    "DataTransfer": {"vendorId": "Acme", "messageId": "ping", "data": "x"},
    "GetCompositeSchedule": {"connectorId": 1, "duration": 60},
    "GetConfiguration": {"key": ["HeartbeatInterval"]},
    "GetDiagnostics": {"location": "ftp://127.0.0.1/x"},
    "GetLocalListVersion": {},
    "RemoteStartTransaction": {"idTag": "TAG1", "connectorId": 1},
    "RemoteStopTransaction": {"transactionId": 1},
    "ReserveNow": {"connectorId": 1, "expiryDate": "2030-01-01T00:00:00Z", "idTag": "TAG1", "reservationId": 1},
    "Reset": {"type": "Soft"},
    "SendLocalList": {"listVersion": 1, "updateType": "Full"},
    "SetChargingProfile": tx_default_profile(21.4),
    "TriggerMessage": {"requestedMessage": "Heartbeat"},
    "UnlockConnector": {"connectorId": 1},
    "UpdateFirmware": {"location": "http://127.0.0.1/fw.bin", "retrieveDate": "2030-01-01T00:00:00Z"},
}
EXPECTED = {
    "GetConfiguration": {
        "configurationKey": [
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
            {"key": "AuthorizationCacheEnabled", "readonly": False, "value": "true"},
        ]
    },
    "GetDiagnostics": {"fileName": "diag.log"},
    "GetLocalListVersion": {"listVersion": 3},
    "UnlockConnector": {"status": "Unlocked"},
    "UpdateFirmware": {},
    "GetCompositeSchedule": {"status": "Rejected"},
    "DataTransfer": {"status": "Accepted", "data": "pong"},
}


class RecordingSocket:
    """Wraps the client's socket to keep the exact text of each frame sent."""

    def __init__(self, ws):
        self.ws = ws
        self.sent: list[str] = []

    async def send(self, text: str) -> None:
        self.sent.append(text)
        await self.ws.send(text)

    async def recv(self) -> str:
        return await self.ws.recv()


def frames_of(cp_id: str) -> list[Frame]:
    return list(Frame.objects.filter(charger__charge_point_id=cp_id).order_by("seq"))


async def disconnected(cp_id: str, timeout: float = 10) -> None:
    """Wait until the server has recorded the charger's disconnection."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    query = Frame.objects.filter(charger__charge_point_id=cp_id, direction=Frame.EVENT, raw__contains='"disconnected"')
    while not await sync_to_async(query.exists)():
        assert loop.time() < deadline, f"{cp_id}: no disconnection recorded within {timeout} s"
        await asyncio.sleep(0.05)


@dataclass
class Conversation:
    """What a scenario saw on the wire and found in the database afterwards."""

    answers: dict = field(default_factory=dict)
    api: dict = field(default_factory=dict)
    received: list = field(default_factory=list)
    sent_by_charger: list = field(default_factory=list)
    charger: Charger | None = None
    connectors: list = field(default_factory=list)
    transactions: list = field(default_factory=list)
    frames: list = field(default_factory=list)


def stored(cp_id: str, seen: Conversation) -> Conversation:
    seen.charger = Charger.objects.get(charge_point_id=cp_id)
    seen.connectors = sorted(Connector.objects.filter(charger=seen.charger).values_list("connector_id", "status"))
    seen.transactions = list(Transaction.objects.filter(charger=seen.charger))
    seen.frames = frames_of(cp_id)
    return seen


# -- a charger's whole day: boot, status, a transaction, every command -------------------------


@pytest.fixture(scope="module")
def day(module_server, db_access) -> Conversation:
    seen = Conversation()
    server = module_server()

    async def scenario() -> None:
        async with connected(server.ws_url, "CP-E2E") as cp:
            recorder = RecordingSocket(cp._connection)
            cp._connection = recorder
            seen.answers["boot"] = await boot(cp)
            seen.answers["heartbeat"] = await cp.call(call.Heartbeat())
            for connector in (0, 1, 2):
                await cp.call(call.StatusNotification(connector_id=connector, error_code="NoError", status="Available"))
            seen.answers["authorize"] = await cp.call(call.Authorize(id_tag="TAG1"))
            started = await cp.call(
                call.StartTransaction(connector_id=1, id_tag="TAG1", meter_start=1000, timestamp=now())
            )
            sample = {
                "timestamp": now(),
                "sampledValue": [{"value": "1500", "measurand": "Energy.Active.Import.Register"}],
            }
            await cp.call(call.MeterValues(connector_id=1, transaction_id=started.transaction_id, meter_value=[sample]))
            await cp.call(
                call.StopTransaction(
                    meter_stop=2000,
                    timestamp=now(),
                    transaction_id=started.transaction_id,
                    reason="Local",
                    transaction_data=[sample],
                )
            )
            for action, payload in COMMANDS.items():
                seen.api[action] = await server.aapi("POST", f"/chargers/CP-E2E/commands/{action}", payload)
            seen.received = list(cp.received)
            seen.sent_by_charger = list(recorder.sent)
        await disconnected("CP-E2E")

    db_access(asyncio.run, scenario())
    return db_access(stored, "CP-E2E", seen)


def test_a_booting_charger_is_accepted_with_our_heartbeat_interval(day):
    assert (day.answers["boot"].status, day.answers["boot"].interval) == ("Accepted", 60)


def test_a_heartbeat_is_answered_with_utc_time(day):
    assert day.answers["heartbeat"].current_time.endswith("Z")


def test_a_tag_not_in_the_list_is_authorized_by_default(day):
    assert day.answers["authorize"].id_tag_info["status"] == "Accepted"


def test_the_boot_notifications_facts_are_kept_on_the_charger(day):
    c = day.charger
    assert (c.vendor, c.model, c.serial_number, c.firmware_version) == ("Acme", "Volt-22", "SN-0001", "1.2.3")
    assert (c.iccid, c.imsi, c.meter_type, c.meter_serial_number) == (
        "8931000000000000001",
        "204040000000001",
        "ABB B23",
        "M-77",
    )


def test_status_notifications_set_each_connectors_status(day):
    assert day.connectors == [(0, "Available"), (1, "Available"), (2, "Available")]


def test_a_transaction_is_kept_from_start_to_stop(day):
    (tx,) = day.transactions
    assert (tx.meter_start, tx.meter_stop, tx.stop_reason) == (1000, 2000, "Local")


@pytest.mark.parametrize("action", list(COMMANDS))
def test_a_command_through_the_api_returns_the_chargers_answer(day, action):
    status, body = day.api[action]
    assert (status, body["status"]) == (200, "ok"), body
    assert body["payload"] == EXPECTED.get(action, {"status": "Accepted"})


def test_the_charger_receives_the_commands_in_the_order_sent(day):
    assert [action for action, _ in day.received] == list(COMMANDS)


def test_the_charger_receives_each_commands_payload_as_sent(day):
    # The library hands a charger's handlers the payload in snake case, numbers with a fraction as Decimal.
    sent = [
        (action, camel_to_snake_case(json.loads(json.dumps(p), parse_float=Decimal))) for action, p in COMMANDS.items()
    ]
    assert day.received == sent


def test_frames_are_numbered_without_gaps(day):
    assert [f.seq for f in day.frames] == list(range(1, len(day.frames) + 1))


def test_the_log_opens_with_the_connection_and_closes_with_the_disconnection(day):
    first, last = day.frames[0], day.frames[-1]
    assert (first.direction, json.loads(first.raw)["event"]) == (Frame.EVENT, "connected")
    assert (last.direction, json.loads(last.raw)["event"]) == (Frame.EVENT, "disconnected")


def test_what_the_charger_sent_is_stored_exactly_as_sent_in_order(day):
    assert [f.raw for f in day.frames if f.direction == Frame.IN] == day.sent_by_charger


def test_each_call_is_stored_next_to_its_answer_naming_its_action(day):
    body = day.frames[1:-1]
    for request, answer in zip(body[::2], body[1::2], strict=True):
        assert (request.message_type, answer.message_type) == (2, 3)
        assert (request.unique_id, request.action) == (answer.unique_id, answer.action)
        assert request.direction != answer.direction


def test_our_commands_are_stored_with_their_payloads(day):
    ours = [f for f in day.frames if f.direction == Frame.OUT and f.message_type == 2]
    assert [(f.action, json.loads(f.raw)[3]) for f in ours] == list(COMMANDS.items())


def test_our_commands_are_stored_with_who_sent_them(day):
    ours = [f for f in day.frames if f.direction == Frame.OUT and f.message_type == 2]
    assert all(f.sent_by.startswith("token:") for f in ours)


# -- bad input ---------------------------------------------------------------------------------


BAD_FRAMES = [
    ("{not json", "-1", "FormationViolation"),
    ('[5,"m1",{}]', "m1", "FormationViolation"),
    ('[2,"m2","Heartbeat"]', "m2", "ProtocolError"),
    ('[2,"m3","NoSuchAction",{}]', "m3", "NotImplemented"),
    ('[2,"m4","Reset",{"type":"Hard"}]', "m4", "NotSupported"),
    ('[2,"m5","StatusNotification",{"connectorId":1,"status":"Available"}]', "m5", "OccurenceConstraintViolation"),
    (
        '[2,"m6","StatusNotification",{"connectorId":"1","status":"Available","errorCode":"NoError"}]',
        "m6",
        "TypeConstraintViolation",
    ),
    (
        '[2,"m7","StatusNotification",{"connectorId":1,"status":"Sleeping","errorCode":"NoError"}]',
        "m7",
        "PropertyConstraintViolation",
    ),
    ('[2,"m8","Heartbeat",{"extra":1}]', "m8", "FormationViolation"),
    (
        '[2,"m9","BootNotification",{"chargePointVendor":"' + "V" * 21 + '","chargePointModel":"M"}]',
        "m9",
        "TypeConstraintViolation",
    ),
    ('[2,"' + "x" * 37 + '","Heartbeat",{}]', "x" * 37, "FormationViolation"),
    (
        '[2,"m10","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"yesterday"}]',
        "m10",
        "PropertyConstraintViolation",
    ),
]


STRAY_ANSWERS = ['[3,"never-sent",{}]', '[4,"never-sent-either","GenericError","",{}]']


@pytest.fixture(scope="module")
def bad_input(module_server, db_access) -> Conversation:
    seen = Conversation()
    server = module_server()

    async def scenario() -> None:
        async with websockets.connect(server.ws_url + "CP-BAD", subprotocols=["ocpp1.6"]) as ws:
            await ws.send('[2,"h0","Heartbeat",{}]')  # before any BootNotification
            seen.answers["h0"] = json.loads(await ws.recv())
            for raw, unique_id, _ in BAD_FRAMES:
                await ws.send(raw)
                seen.answers[unique_id] = json.loads(await asyncio.wait_for(ws.recv(), 5))
            for raw in STRAY_ANSWERS:  # results for ids we never used: stored, never answered
                await ws.send(raw)
            await ws.send('[2,"h1","Heartbeat",{}]')
            seen.answers["h1"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
            seen.sent_by_charger = [
                '[2,"h0","Heartbeat",{}]',
                *(raw for raw, _, _ in BAD_FRAMES),
                *STRAY_ANSWERS,
                '[2,"h1","Heartbeat",{}]',
            ]

    db_access(asyncio.run, scenario())
    return db_access(stored, "CP-BAD", seen)


def test_a_call_before_any_boot_is_answered(bad_input):
    assert bad_input.answers["h0"][:2] == [3, "h0"]


def test_a_call_before_any_boot_is_flagged_in_the_evidence(bad_input):
    notes = {f.unique_id: f.note for f in bad_input.frames if f.direction == Frame.IN}
    assert "before any BootNotification" in notes["h0"]


@pytest.mark.parametrize(("raw", "unique_id", "code"), BAD_FRAMES, ids=[code for _, _, code in BAD_FRAMES])
def test_a_bad_frame_gets_the_callerror_of_its_fault(bad_input, raw, unique_id, code):
    answer = bad_input.answers[unique_id]
    assert answer[:3] == [4, unique_id, code]
    assert isinstance(answer[3], str) and answer[4] == {}


def test_the_connection_lives_on_after_bad_frames(bad_input):
    assert bad_input.answers["h1"][:2] == [3, "h1"]


def test_bad_frames_are_stored_exactly_as_sent(bad_input):
    assert [f.raw for f in bad_input.frames if f.direction == Frame.IN] == bad_input.sent_by_charger


def test_an_answer_to_no_call_of_ours_is_stored_and_flagged(bad_input):
    notes = {f.unique_id: f.note for f in bad_input.frames if f.direction == Frame.IN}
    assert "no outstanding CALL" in notes["never-sent"]
    assert "no outstanding CALL" in notes["never-sent-either"]


def test_the_callerrors_we_answered_are_stored_with_their_codes(bad_input):
    answered = [f.error_code for f in bad_input.frames if f.direction == Frame.OUT and f.message_type == 4]
    assert answered == [code for _, _, code in BAD_FRAMES]


# -- times and retried transactions ------------------------------------------------------------


@pytest.fixture(scope="module")
def odd_times(module_server, db_access) -> Conversation:
    seen = Conversation()
    server = module_server()

    async def scenario() -> None:
        async with connected(server.ws_url, "CP-TX") as cp:
            await boot(cp)
            start = {"connector_id": 1, "id_tag": "TAG1", "meter_start": 5, "timestamp": "2026-01-01T10:00:00+03"}
            seen.answers["start"] = await cp.call(call.StartTransaction(**start))
            seen.answers["again"] = await cp.call(call.StartTransaction(**start))  # a retry, a new unique id
            seen.answers["unknown stop"] = await cp.call(
                call.StopTransaction(meter_stop=9, timestamp=now(), transaction_id=999999)
            )
            await cp.call(
                call.StatusNotification(
                    connector_id=1, error_code="NoError", status="Available", timestamp="2026-01-01T10:00:00"
                )
            )

    db_access(asyncio.run, scenario())
    return db_access(stored, "CP-TX", seen)


def note_of(seen: Conversation, action: str) -> str:
    (frame,) = [f for f in seen.frames if f.action == action and f.direction == Frame.IN]
    return frame.note


def test_a_resent_start_gets_the_same_transaction(odd_times):
    assert odd_times.answers["start"].transaction_id == odd_times.answers["again"].transaction_id
    assert len(odd_times.transactions) == 1


def test_a_start_time_with_an_offset_is_stored_in_utc(odd_times):
    assert odd_times.transactions[0].start_timestamp == "2026-01-01T07:00:00.000Z"  # +03


def test_a_stop_of_an_unknown_transaction_is_accepted(odd_times):
    info = odd_times.answers["unknown stop"].id_tag_info
    assert info is None or info["status"] == "Accepted"


def test_a_stop_of_an_unknown_transaction_changes_nothing(odd_times):
    assert odd_times.transactions[0].stopped_at is None


def test_a_stop_of_an_unknown_transaction_is_noted(odd_times):
    assert "999999 is unknown" in note_of(odd_times, "StopTransaction")


def test_a_time_without_a_zone_is_noted(odd_times):
    assert "has no time zone" in note_of(odd_times, "StatusNotification")


# -- commands that cannot be delivered ---------------------------------------------------------


async def test_a_command_to_an_unknown_charger_is_404(live_server_ocpp):
    status, _ = await live_server_ocpp.aapi("POST", "/chargers/NOBODY/commands/Reset", {"type": "Soft"})
    assert status == 404


async def test_an_unknown_command_is_404(live_server_ocpp):
    status, _ = await live_server_ocpp.aapi("POST", "/chargers/NOBODY/commands/Dance", {})
    assert status == 404


async def test_a_payload_that_breaks_the_schema_is_400_and_nothing_is_sent(live_server_ocpp):
    server = live_server_ocpp
    async with connected(server.ws_url, "CP-CMD") as cp:
        await boot(cp)
        status, body = await server.aapi("POST", "/chargers/CP-CMD/commands/Reset", {"type": "Sideways"})
        assert (status, body["status"]) == (400, "invalid")
        assert "Sideways" in body["message"]
        assert cp.received == []


async def test_a_command_to_a_disconnected_charger_is_409_naming_when_it_was_last_seen(live_server_ocpp):
    server = live_server_ocpp
    async with connected(server.ws_url, "CP-GONE") as cp:
        await boot(cp)
    await disconnected("CP-GONE")
    status, body = await server.aapi("POST", "/chargers/CP-GONE/commands/Reset", {"type": "Soft"})
    assert (status, body["status"]) == (409, "not_connected")
    assert "CP-GONE is not connected (last seen" in body["message"]


async def test_a_command_with_a_wrong_token_is_401(live_server_ocpp):
    status, _ = await live_server_ocpp.aapi("POST", "/chargers/NOBODY/commands/Reset", {"type": "Soft"}, token="wrong")
    assert status == 401


async def test_a_command_goes_out_as_a_call_with_a_unique_id_of_at_most_36_characters(live_server_ocpp):
    server = live_server_ocpp
    async with websockets.connect(server.ws_url + "CP-RAW", subprotocols=["ocpp1.6"]) as ws:
        request = asyncio.create_task(server.aapi("POST", "/chargers/CP-RAW/commands/ClearCache", {}))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
        await request
    assert (frame[0], frame[2]) == (2, "ClearCache")
    assert len(frame[1]) <= 36


async def test_a_callerror_answer_comes_back_as_502_with_its_code(live_server_ocpp):
    server = live_server_ocpp
    async with websockets.connect(server.ws_url + "CP-RAW", subprotocols=["ocpp1.6"]) as ws:
        request = asyncio.create_task(server.aapi("POST", "/chargers/CP-RAW/commands/ClearCache", {}))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps([4, frame[1], "NotSupported", "no cache here", {}]))
        status, body = await request
    assert (status, body["code"]) == (502, "NotSupported")
    assert "no cache here" in body["message"]


async def test_silence_comes_back_as_504(live_server_ocpp):
    server = live_server_ocpp
    async with websockets.connect(server.ws_url + "CP-RAW", subprotocols=["ocpp1.6"]) as ws:
        request = asyncio.create_task(server.aapi("POST", "/chargers/CP-RAW/commands/ClearCache", {}))
        await asyncio.wait_for(ws.recv(), 5)  # and never answer
        status, body = await request
    assert (status, body["status"]) == (504, "timeout")


async def test_a_command_in_flight_fails_at_once_when_the_charger_goes_away(live_server_ocpp):
    server = live_server_ocpp
    async with websockets.connect(server.ws_url + "CP-RAW", subprotocols=["ocpp1.6"]) as ws:
        request = asyncio.create_task(server.aapi("POST", "/chargers/CP-RAW/commands/ClearCache", {}))
        await asyncio.wait_for(ws.recv(), 5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, body = await request
    assert (status, body["status"]) == (409, "disconnected")
    assert loop.time() - started < 4  # well before the 5 s call timeout of the tests


# -- handshakes --------------------------------------------------------------------------------


@pytest.mark.parametrize("cp_id", ["", "X" * 49], ids=["empty", "49-characters"])
async def test_a_charge_point_id_out_of_bounds_is_refused(live_server_ocpp, cp_id):
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(live_server_ocpp.ws_url + cp_id, subprotocols=["ocpp1.6"]):
            pass


async def test_a_charger_offering_no_ocpp16_is_refused_and_not_recorded(live_server_ocpp):
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(live_server_ocpp.ws_url + "CP-NOPROTO", subprotocols=["ocpp2.0.1"]):
            pass
    assert not await sync_to_async(Charger.objects.filter(charge_point_id="CP-NOPROTO").exists)()


async def test_a_charge_point_id_of_48_characters_is_accepted(live_server_ocpp):
    async with websockets.connect(live_server_ocpp.ws_url + "X" * 48, subprotocols=["ocpp1.6"]) as ws:
        assert ws.subprotocol == "ocpp1.6"


async def test_a_url_encoded_charge_point_id_is_decoded(live_server_ocpp):
    async with websockets.connect(live_server_ocpp.ws_url + "lab%2Fbench%201", subprotocols=["ocpp1.6"]) as ws:
        await ws.send('[2,"1","Heartbeat",{}]')
        await ws.recv()
    assert await sync_to_async(Charger.objects.filter(charge_point_id="lab/bench 1").exists)()


# -- the same id twice -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def twice(module_server, db_access) -> Conversation:
    seen = Conversation()
    server = module_server()

    async def scenario() -> None:
        async with connected(server.ws_url, "CP-TWICE") as old:
            await boot(old)
            async with connected(server.ws_url, "CP-TWICE") as new:
                await boot(new)
                await asyncio.wait_for(old._connection.wait_closed(), 5)
                seen.answers["old close code"] = old._connection.close_code
                seen.api["ClearCache"] = await server.aapi("POST", "/chargers/CP-TWICE/commands/ClearCache", {})
                seen.answers["old received"] = list(old.received)
                seen.received = list(new.received)

    db_access(asyncio.run, scenario())
    return db_access(stored, "CP-TWICE", seen)


def test_the_older_connection_of_an_id_is_closed_with_4000(twice):
    assert twice.answers["old close code"] == 4000


def test_commands_go_to_the_newest_connection_of_an_id(twice):
    assert twice.api["ClearCache"][0] == 200
    assert [action for action, _ in twice.received] == ["ClearCache"]
    assert twice.answers["old received"] == []


def test_the_replaced_connection_is_logged(twice):
    events = [json.loads(f.raw)["event"] for f in twice.frames if f.direction == Frame.EVENT]
    assert events[:3] == ["connected", "connected", "replaced"]
