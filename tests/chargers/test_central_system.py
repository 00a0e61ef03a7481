"""The central system over real WebSockets against a live daphne process."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from ocpp.v16 import call

from chargers.models import Charger, Connector, Frame, Transaction

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
    "SetChargingProfile": {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 21.4}],
            },
        },
    },
    "TriggerMessage": {"requestedMessage": "Heartbeat"},
    "UnlockConnector": {"connectorId": 1},
    "UpdateFirmware": {"location": "http://127.0.0.1/fw.bin", "retrieveDate": "2030-01-01T00:00:00Z"},
}
EXPECTED = {
    "GetConfiguration": {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]},
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


async def test_a_charger_boots_charges_and_answers_every_command(live_server_ocpp):
    server = live_server_ocpp
    async with connected(server.ws_url, "CP-E2E") as cp:
        recorder = RecordingSocket(cp._connection)
        cp._connection = recorder
        booted = await boot(cp)
        assert booted.status == "Accepted" and booted.interval == 60
        assert (await cp.call(call.Heartbeat())).current_time.endswith("Z")
        for connector in (0, 1, 2):
            await cp.call(call.StatusNotification(connector_id=connector, error_code="NoError", status="Available"))
        assert (await cp.call(call.Authorize(id_tag="TAG1"))).id_tag_info["status"] == "Accepted"
        started = await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG1", meter_start=1000, timestamp=now()))
        sample = {"timestamp": now(), "sampledValue": [{"value": "1500", "measurand": "Energy.Active.Import.Register"}]}
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
            status, body = await server.aapi("POST", f"/chargers/CP-E2E/commands/{action}", payload)
            assert status == 200, (action, body)
            assert body["status"] == "ok"
            assert body["payload"] == EXPECTED.get(action, {"status": "Accepted"}), action
        assert [action for action, _ in cp.received] == list(COMMANDS)
        assert cp.received[1][1] == {"connector_id": 1, "type": "Inoperative"}
        sent_by_charger = list(recorder.sent)
    await disconnected("CP-E2E")

    def check():
        charger = Charger.objects.get(charge_point_id="CP-E2E")
        assert (charger.vendor, charger.model, charger.serial_number, charger.firmware_version) == (
            "Acme",
            "Volt-22",
            "SN-0001",
            "1.2.3",
        )
        assert (charger.iccid, charger.imsi, charger.meter_type, charger.meter_serial_number) == (
            "8931000000000000001",
            "204040000000001",
            "ABB B23",
            "M-77",
        )
        assert sorted(Connector.objects.filter(charger=charger).values_list("connector_id", "status")) == [
            (0, "Available"),
            (1, "Available"),
            (2, "Available"),
        ]
        tx = Transaction.objects.get(charger=charger)
        assert (tx.meter_start, tx.meter_stop, tx.stop_reason) == (1000, 2000, "Local")

        frames = frames_of("CP-E2E")
        assert [f.seq for f in frames] == list(range(1, len(frames) + 1))
        assert frames[0].direction == Frame.EVENT and json.loads(frames[0].raw)["event"] == "connected"
        assert frames[-1].direction == Frame.EVENT and json.loads(frames[-1].raw)["event"] == "disconnected"
        # What the charger sent is stored exactly as sent, in order.
        assert [f.raw for f in frames if f.direction == Frame.IN] == sent_by_charger
        # Every CALL is followed at once by its answer, which names the CALL's action.
        body = frames[1:-1]
        for request, answer in zip(body[::2], body[1::2], strict=True):
            assert request.message_type == 2 and answer.message_type == 3
            assert request.unique_id == answer.unique_id and request.action == answer.action
            assert request.direction != answer.direction
        ours = [f for f in body if f.direction == Frame.OUT and f.message_type == 2]
        assert [f.action for f in ours] == list(COMMANDS)
        assert all(f.sent_by.startswith("token:") for f in ours)
        assert [json.loads(f.raw)[3] for f in ours] == list(COMMANDS.values())

    await sync_to_async(check)()


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


async def test_bad_frames_get_the_right_callerror_and_the_connection_lives(live_server_ocpp):
    server = live_server_ocpp
    async with websockets.connect(server.ws_url + "CP-BAD", subprotocols=["ocpp1.6"]) as ws:
        # Before any BootNotification: answered, and flagged in the evidence.
        await ws.send('[2,"h0","Heartbeat",{}]')
        first = json.loads(await ws.recv())
        assert first[0] == 3 and first[1] == "h0"
        for raw, unique_id, code in BAD_FRAMES:
            await ws.send(raw)
            answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert answer[:3] == [4, unique_id, code], raw
            assert isinstance(answer[3], str) and answer[4] == {}
        # A result for an id we never used: stored, never answered.
        await ws.send('[3,"never-sent",{}]')
        await ws.send('[4,"never-sent-either","GenericError","",{}]')
        await ws.send('[2,"h1","Heartbeat",{}]')
        last = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert last[:2] == [3, "h1"]
        sent = [
            '[2,"h0","Heartbeat",{}]',
            *(raw for raw, _, _ in BAD_FRAMES),
            '[3,"never-sent",{}]',
            '[4,"never-sent-either","GenericError","",{}]',
            '[2,"h1","Heartbeat",{}]',
        ]

    def check():
        frames = frames_of("CP-BAD")
        assert [f.raw for f in frames if f.direction == Frame.IN] == sent
        notes = {f.unique_id: f.note for f in frames if f.direction == Frame.IN}
        assert "before any BootNotification" in notes["h0"]
        assert "no outstanding CALL" in notes["never-sent"]
        assert "no outstanding CALL" in notes["never-sent-either"]
        answered = [f for f in frames if f.direction == Frame.OUT]
        assert [f.error_code for f in answered if f.message_type == 4] == [code for _, _, code in BAD_FRAMES]

    await sync_to_async(check)()


async def test_offsets_are_accepted_and_a_resent_start_gets_the_same_transaction(live_server_ocpp):
    async with connected(live_server_ocpp.ws_url, "CP-TX") as cp:
        await boot(cp)
        start = {"connector_id": 1, "id_tag": "TAG1", "meter_start": 5, "timestamp": "2026-01-01T10:00:00+03"}
        first = await cp.call(call.StartTransaction(**start))
        again = await cp.call(call.StartTransaction(**start))  # a retry with a new unique id
        assert first.transaction_id == again.transaction_id
        naive = await cp.call(call.Heartbeat())
        assert naive.current_time
        unknown = await cp.call(call.StopTransaction(meter_stop=9, timestamp=now(), transaction_id=999999))
        assert unknown.id_tag_info is None or unknown.id_tag_info["status"] == "Accepted"
        await cp.call(
            call.StatusNotification(
                connector_id=1, error_code="NoError", status="Available", timestamp="2026-01-01T10:00:00"
            )
        )

    def check():
        assert Transaction.objects.filter(charger__charge_point_id="CP-TX").count() == 1
        tx = Transaction.objects.get(charger__charge_point_id="CP-TX")
        assert tx.stopped_at is None  # the unknown stop changed nothing
        assert tx.start_timestamp == "2026-01-01T07:00:00.000Z"  # +03 offset, stored in UTC
        stop = Frame.objects.get(charger__charge_point_id="CP-TX", action="StopTransaction", direction="in")
        assert "999999 is unknown" in stop.note
        status = Frame.objects.get(charger__charge_point_id="CP-TX", action="StatusNotification", direction="in")
        assert "has no time zone" in status.note

    await sync_to_async(check)()


async def test_commands_report_why_they_could_not_be_delivered(live_server_ocpp):
    server = live_server_ocpp
    status, body = await server.aapi("POST", "/chargers/NOBODY/commands/Reset", {"type": "Soft"})
    assert status == 404
    status, body = await server.aapi("POST", "/chargers/NOBODY/commands/Dance", {})
    assert status == 404
    async with connected(server.ws_url, "CP-CMD") as cp:
        await boot(cp)
        status, body = await server.aapi("POST", "/chargers/CP-CMD/commands/Reset", {"type": "Sideways"})
        assert status == 400 and body["status"] == "invalid" and "Sideways" in body["message"]
        assert cp.received == []
    status, body = await server.aapi("POST", "/chargers/CP-CMD/commands/Reset", {"type": "Soft"})
    assert status == 409 and body["status"] == "not_connected"
    assert "CP-CMD is not connected (last seen" in body["message"]
    status, body = await server.aapi("POST", "/chargers/CP-CMD/commands/Reset", {"type": "Soft"}, token="wrong")
    assert status == 401


async def test_callerror_and_silence_come_back_as_errors(live_server_ocpp):
    server = live_server_ocpp
    async with websockets.connect(server.ws_url + "CP-RAW", subprotocols=["ocpp1.6"]) as ws:
        request = asyncio.create_task(server.aapi("POST", "/chargers/CP-RAW/commands/ClearCache", {}))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert frame[0] == 2 and frame[2] == "ClearCache" and len(frame[1]) <= 36
        await ws.send(json.dumps([4, frame[1], "NotSupported", "no cache here", {}]))
        status, body = await request
        assert status == 502 and body["code"] == "NotSupported" and "no cache here" in body["message"]

        request = asyncio.create_task(server.aapi("POST", "/chargers/CP-RAW/commands/ClearCache", {}))
        await asyncio.wait_for(ws.recv(), 5)  # and never answer
        status, body = await request
        assert status == 504 and body["status"] == "timeout"

        # A command in flight when the charger goes away fails at once.
        request = asyncio.create_task(server.aapi("POST", "/chargers/CP-RAW/commands/ClearCache", {}))
        await asyncio.wait_for(ws.recv(), 5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, body = await request
    assert status == 409 and body["status"] == "disconnected"
    assert loop.time() - started < 4  # well before the 5 s call timeout of the tests


async def test_handshakes_that_break_the_rules_are_refused(live_server_ocpp):
    url = live_server_ocpp.ws_url
    for bad in [url + "", url + "X" * 49]:
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(bad, subprotocols=["ocpp1.6"]):
                pass
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(url + "CP-NOPROTO", subprotocols=["ocpp2.0.1"]):
            pass
    async with websockets.connect(url + "X" * 48, subprotocols=["ocpp1.6"]) as ws:
        assert ws.subprotocol == "ocpp1.6"
    async with websockets.connect(url + "lab%2Fbench%201", subprotocols=["ocpp1.6"]) as ws:
        await ws.send('[2,"1","Heartbeat",{}]')
        await ws.recv()
    assert await sync_to_async(Charger.objects.filter(charge_point_id="lab/bench 1").exists)()
    assert not await sync_to_async(Charger.objects.filter(charge_point_id="CP-NOPROTO").exists)()


async def test_the_newest_connection_of_an_id_wins(live_server_ocpp):
    server = live_server_ocpp
    async with connected(server.ws_url, "CP-TWICE") as old:
        await boot(old)
        async with connected(server.ws_url, "CP-TWICE") as new:
            await boot(new)
            await asyncio.wait_for(old._connection.wait_closed(), 5)
            assert old._connection.close_code == 4000
            status, _body = await server.aapi("POST", "/chargers/CP-TWICE/commands/ClearCache", {})
            assert status == 200
            assert [a for a, _ in new.received] == ["ClearCache"] and old.received == []

    def check():
        events = [json.loads(f.raw)["event"] for f in frames_of("CP-TWICE") if f.direction == Frame.EVENT]
        assert events[:3] == ["connected", "connected", "replaced"]

    await sync_to_async(check)()
