"""Every command a central system can send, to the default profile, in one
conversation with our own central system: each answer, and each message the
charger must send after it (in order; other messages may come between)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async

from certify.models import CertSession, SessionFile
from certify.transfer import store
from tests.simulator.live import alast_seq, calls, command, running, until

pytestmark = pytest.mark.django_db(transaction=True)
CP = "CMDSET-1"


def later(seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def told(action: str, payload: dict) -> str:
    """A charger's message, in a word or three."""
    if action == "StatusNotification":
        return f"Status {payload['connectorId']} {payload['status']}"
    if action == "StartTransaction":
        return f"Start {payload['connectorId']} {payload['idTag']}" + (
            f" reservation {payload['reservationId']}" if "reservationId" in payload else ""
        )
    if action == "StopTransaction":
        return f"Stop {payload.get('reason', 'Local')}"
    if action == "MeterValues":
        return f"MeterValues {payload['connectorId']} {payload['meterValue'][0]['sampledValue'][0]['context']}"
    if action == "BootNotification":
        return f"Boot {payload['firmwareVersion']}"
    if action in ("FirmwareStatusNotification", "DiagnosticsStatusNotification"):
        return f"{action.removesuffix('StatusNotification')} {payload['status']}"
    return action


def within(expected: list[str], seen: list[str]) -> bool:
    """Whether `expected` occurs in `seen` in order (other messages may come between)."""
    rest = iter(seen)
    return all(any(s == e for s in rest) for e in expected)


def profile(pid: int, purpose: str, limit: float, **extra) -> dict:
    return {
        "chargingProfileId": pid,
        "stackLevel": 0,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]},
        **extra,
    }


STARTED = ["Start 1 TAG-A", "Status 1 Charging", "MeterValues 1 Transaction.Begin"]
INSTALLED = ["Firmware Downloading", "Firmware Downloaded", "Firmware Installing", "Firmware Installed"]
# The Core keys OCTT TC_019_CS reads, and whether each is read-only (None: either).
CORE_KEYS = {
    "AuthorizeRemoteTxRequests": None,
    "ClockAlignedDataInterval": False,
    "ConnectionTimeOut": False,
    "ConnectorPhaseRotation": False,
    "GetConfigurationMaxKeys": True,
    "HeartbeatInterval": False,
    "LocalAuthorizeOffline": False,
    "LocalPreAuthorize": False,
    "MeterValuesAlignedData": False,
    "MeterValuesSampledData": False,
    "MeterValueSampleInterval": False,
    "NumberOfConnectors": True,
    "ResetRetries": False,
    "StopTransactionOnInvalidId": False,
    "StopTxnAlignedData": False,
    "StopTxnSampledData": False,
    "SupportedFeatureProfiles": True,
    "TransactionMessageAttempts": False,
    "TransactionMessageRetryInterval": False,
    "UnlockConnectorOnEVSideDisconnect": None,
}


def has_core_keys(keys: list[dict]) -> bool:
    readonly = {k["key"]: k["readonly"] for k in keys}
    return all(name in readonly and ro in (None, readonly[name]) for name, ro in CORE_KEYS.items())


def matches(expected: dict, answer: dict) -> bool:
    """The answer has every field expected (a callable: a test the value passes)."""
    return all(e(answer.get(k)) if callable(e) else answer.get(k) == e for k, e in expected.items())


# (command, payload (or a function that makes it then), the answer's fields, the messages that must follow);
# "plug" is the driver plugging a connector in, between two commands.
def plan(files: dict[str, str], transaction: dict) -> list[tuple[str, object, dict, list[str]]]:
    return [
        ("GetConfiguration", {}, {"configurationKey": has_core_keys, "unknownKey": None}, []),
        ("GetConfiguration", {"key": ["SupportedFeatureProfiles", "Testing"]}, {"unknownKey": ["Testing"]}, []),
        ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "2"}, {"status": "Accepted"}, []),
        ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "-1"}, {"status": "Rejected"}, []),
        ("ChangeConfiguration", {"key": "NumberOfConnectors", "value": "5"}, {"status": "Rejected"}, []),
        ("ChangeConfiguration", {"key": "Testing", "value": "true"}, {"status": "NotSupported"}, []),
        ("ChangeConfiguration", {"key": "VendorNetworkMode", "value": "wifi"}, {"status": "RebootRequired"}, []),
        ("ChangeConfiguration", {"key": "SmartChargingEnabled", "value": "true"}, {"status": "Accepted"}, []),
        (
            "ChangeAvailability",
            {"connectorId": 1, "type": "Inoperative"},
            {"status": "Accepted"},
            ["Status 1 Unavailable"],
        ),
        ("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, {"status": "Accepted"}, ["Status 1 Available"]),
        ("DataTransfer", {"vendorId": "SomeoneElse", "messageId": "x"}, {"status": "UnknownVendorId"}, []),
        (
            "SendLocalList",
            {
                "listVersion": 1,
                "updateType": "Full",
                "localAuthorizationList": [{"idTag": "TAG-LIST", "idTagInfo": {"status": "Accepted"}}],
            },
            {"status": "Accepted"},
            [],
        ),
        ("GetLocalListVersion", {}, {"listVersion": 1}, []),
        ("ClearCache", {}, {"status": "Accepted"}, []),
        (
            "ReserveNow",
            {"connectorId": 1, "expiryDate": later(600), "idTag": "TAG-A", "reservationId": 1},
            {"status": "Accepted"},
            ["Status 1 Reserved"],
        ),
        ("CancelReservation", {"reservationId": 1}, {"status": "Accepted"}, ["Status 1 Available"]),
        ("CancelReservation", {"reservationId": 1}, {"status": "Rejected"}, []),
        (
            "ReserveNow",
            {"connectorId": 2, "expiryDate": later(2), "idTag": "TAG-B", "reservationId": 2},
            {"status": "Accepted"},
            ["Status 2 Reserved", "Status 2 Available"],  # it expires
        ),
        (
            "RemoteStartTransaction",
            {"connectorId": 1, "idTag": "TAG-A"},
            {"status": "Accepted"},
            ["Status 1 Preparing"],
        ),
        ("plug", 1, {}, [*STARTED, "MeterValues 1 Sample.Periodic"]),  # the driver plugs in: the start goes on
        ("RemoteStartTransaction", {"connectorId": 1, "idTag": "TAG-A"}, {"status": "Rejected"}, []),
        (
            "SetChargingProfile",
            lambda: {
                "connectorId": 1,
                "csChargingProfiles": profile(7, "TxProfile", 10, transactionId=transaction["id"]),
            },
            {"status": "Accepted"},
            [],
        ),
        (
            "SetChargingProfile",
            {"connectorId": 0, "csChargingProfiles": profile(8, "TxDefaultProfile", 20)},
            {"status": "Accepted"},
            [],
        ),
        (
            "GetCompositeSchedule",
            {"connectorId": 1, "duration": 60, "chargingRateUnit": "A"},
            {"status": "Accepted"},
            [],
        ),
        (
            "TriggerMessage",
            {"requestedMessage": "MeterValues", "connectorId": 1},
            {"status": "Accepted"},
            ["MeterValues 1 Trigger"],
        ),
        ("TriggerMessage", {"requestedMessage": "Heartbeat"}, {"status": "Accepted"}, ["Heartbeat"]),
        (
            "TriggerMessage",
            {"requestedMessage": "StatusNotification", "connectorId": 1},
            {"status": "Accepted"},
            ["Status 1 Charging"],
        ),
        (
            "TriggerMessage",
            {"requestedMessage": "DiagnosticsStatusNotification"},
            {"status": "Accepted"},
            ["Diagnostics Idle"],
        ),
        (
            "TriggerMessage",
            {"requestedMessage": "FirmwareStatusNotification"},
            {"status": "Accepted"},
            ["Firmware Idle"],
        ),
        ("TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 3}, {"status": "Rejected"}, []),
        ("RemoteStopTransaction", {"transactionId": 999_999}, {"status": "Rejected"}, []),
        (
            "RemoteStopTransaction",
            lambda: {"transactionId": transaction["id"]},
            {"status": "Accepted"},
            ["Stop Remote", "Status 1 Finishing", "Status 1 Available"],
        ),
        ("ClearChargingProfile", {}, {"status": "Accepted"}, []),
        ("ClearChargingProfile", {}, {"status": "Unknown"}, []),
        ("UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}, []),
        ("UnlockConnector", {"connectorId": 9}, {"status": "NotSupported"}, []),
        ("plug", 2, {}, ["Status 2 Preparing"]),  # the cable first, this time
        (
            "RemoteStartTransaction",
            {"connectorId": 2, "idTag": "TAG-B"},
            {"status": "Accepted"},
            ["Start 2 TAG-B", "Status 2 Charging"],
        ),
        ("UnlockConnector", {"connectorId": 2}, {"status": "Unlocked"}, ["Stop UnlockCommand", "Status 2 Finishing"]),
        (
            "GetDiagnostics",
            {"location": files["diagnostics"]},
            {"fileName": lambda name: name.startswith(f"diagnostics-{CP}-")},
            ["Diagnostics Uploading", "Diagnostics Uploaded"],
        ),
        (
            "UpdateFirmware",
            {"location": files["firmware"], "retrieveDate": later()},
            {},
            [*INSTALLED, "Boot 2.0.1", "Status 0 Available", "Status 1 Available", "Status 2 Available"],
        ),
        (
            "GetConfiguration",
            {"key": ["VendorNetworkMode"]},
            {"configurationKey": [{"key": "VendorNetworkMode", "readonly": False, "value": "wifi"}]},
            [],
        ),
        ("Reset", {"type": "Soft"}, {"status": "Accepted"}, ["Boot 2.0.1", "Status 1 Available"]),
        ("Reset", {"type": "Hard"}, {"status": "Accepted"}, ["Boot 2.0.1", "Status 1 Available"]),
    ]


async def test_the_default_profile_answers_every_command_and_follows_up(live_server_ocpp):
    status, body = await live_server_ocpp.aapi("POST", "/sessions", {"charge_point_id": CP, "engineer_name": "Sim"})
    assert status == 201, body
    session = await sync_to_async(CertSession.objects.get)(pk=body["id"])
    await sync_to_async(store)(session, SessionFile.FIRMWARE, "fw-2.0.1.bin", b"IMAGE" * 200, "upload")
    base = f"{live_server_ocpp.http_url}/files"
    files = {
        "diagnostics": f"{base}/diagnostics/{session.pk}/{session.upload_secret}/",
        "firmware": f"{base}/firmware/{session.pk}/{session.upload_secret}/fw-2.0.1.bin",
    }
    transaction: dict = {"id": None}
    steps = plan(files, transaction)
    wrong = []
    async with running(live_server_ocpp, CP) as sim:
        for n, (action, payload, expected, then) in enumerate(steps):
            before = await alast_seq(CP)
            if action == "plug":  # a physical step, between the commands
                await sim.plug(payload)
            else:
                status, body = await command(live_server_ocpp, CP, action, payload() if callable(payload) else payload)
                assert status == 200, (n, action, body)
                if not matches(expected, body["payload"]):
                    wrong.append((n, action, body["payload"]))
            try:
                await until(
                    lambda t=then, b=before: within(t, [told(c.action, c.payload) for c in calls(CP, after=b)]), 30
                )
            except AssertionError:
                seen = [told(c.action, c.payload) for c in await sync_to_async(calls)(CP, after=before)]
                raise AssertionError(f"step {n} {action}: expected {then} among {seen}") from None
            if action == "RemoteStartTransaction" and transaction["id"] is None:
                transaction["id"] = sim.connectors[1].transaction_id
    assert wrong == []
