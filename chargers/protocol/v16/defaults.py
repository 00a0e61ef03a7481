"""Sensible starting payloads for every command the console offers (OCPP 1.6
spelling). The engineer edits them before sending."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ...timestamps import utc_iso


def _iso(delta: timedelta = timedelta()) -> str:
    return utc_iso(timezone.now() + delta, timespec="seconds")


def tx_default_profile(
    limit: float | str, unit: str = "A", *, connector_id: int | str = 1, profile_id: int = 1, stack_level: int = 0
) -> dict:
    """A SetChargingProfile payload: one absolute TxDefaultProfile holding
    `limit` (in `unit`, A or W) from its start (OCPP 1.6 section 3.13). The one
    place this payload is written; `limit`, `unit` and `connector_id` may be
    placeholders a caller fills."""
    return {
        "connectorId": connector_id,
        "csChargingProfiles": {
            "chargingProfileId": profile_id,
            "stackLevel": stack_level,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            },
        },
    }


def default_payload(action: str, charger=None) -> dict:
    """A valid payload for `action`; times are relative to now."""
    defaults = {
        "CancelReservation": lambda: {"reservationId": 1},
        "ChangeAvailability": lambda: {"connectorId": 0, "type": "Inoperative"},
        "ChangeConfiguration": lambda: {"key": "HeartbeatInterval", "value": "60"},
        "ClearCache": dict,
        "ClearChargingProfile": dict,
        "DataTransfer": lambda: {"vendorId": "OCPPCertify", "messageId": "Ping", "data": "hello"},
        "GetCompositeSchedule": lambda: {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"},
        "GetConfiguration": dict,
        "GetDiagnostics": lambda: {
            "location": "ftp://user:password@127.0.0.1:2121/",
            "startTime": _iso(-timedelta(hours=1)),
            "stopTime": _iso(),
        },
        "GetLocalListVersion": dict,
        "RemoteStartTransaction": lambda: {"connectorId": 1, "idTag": "CERTIFY01"},
        "RemoteStopTransaction": lambda: {"transactionId": _active_transaction(charger)},
        "ReserveNow": lambda: {
            "connectorId": 1,
            "expiryDate": _iso(timedelta(minutes=15)),
            "idTag": "CERTIFY01",
            "reservationId": 1,
        },
        "Reset": lambda: {"type": "Soft"},
        "SendLocalList": lambda: {
            "listVersion": 1,
            "updateType": "Full",
            "localAuthorizationList": [{"idTag": "CERTIFY01", "idTagInfo": {"status": "Accepted"}}],
        },
        "SetChargingProfile": lambda: tx_default_profile(16.0),
        "TriggerMessage": lambda: {"requestedMessage": "StatusNotification"},
        "UnlockConnector": lambda: {"connectorId": 1},
        "UpdateFirmware": lambda: {"location": "http://127.0.0.1:8000/firmware/example.bin", "retrieveDate": _iso()},
    }
    factory = defaults.get(action)
    return factory() if factory else {}


def _active_transaction(charger) -> int:
    if charger is None:
        return 1
    tx = charger.transactions.filter(stopped_at__isnull=True).first()
    return tx.pk if tx else 1
