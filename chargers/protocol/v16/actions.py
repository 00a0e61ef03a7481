"""The actions of OCPP 1.6: who sends which, and the frame logs' filter."""

from __future__ import annotations

from ocpp.v16.enums import Action

# Actions a charger sends to us; the rest of OCPP 1.6 are ours to send.
CHARGER_ACTIONS = frozenset(
    {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        "SecurityEventNotification",
        "SignedFirmwareStatusNotification",
        "LogStatusNotification",
        "SignCertificate",
    }
)
COMMAND_ACTIONS = (
    "CancelReservation",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "ClearChargingProfile",
    "DataTransfer",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDiagnostics",
    "GetLocalListVersion",
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "ReserveNow",
    "Reset",
    "SendLocalList",
    "SetChargingProfile",
    "TriggerMessage",
    "UnlockConnector",
    "UpdateFirmware",
)
# Security-extension commands the library has schemas for.
EXTENSION_COMMANDS = (
    "CertificateSigned",
    "DeleteCertificate",
    "ExtendedTriggerMessage",
    "GetInstalledCertificateIds",
    "GetLog",
    "InstallCertificate",
    "SignedUpdateFirmware",
)
KNOWN_ACTIONS = frozenset(a.value for a in Action)
# The frame logs' action filter: every action we answer or send. Fixed, because
# reading the actions off a log of 100,000 frames cost 50-270 ms per page view.
FILTER_ACTIONS = tuple(sorted({*CHARGER_ACTIONS, *COMMAND_ACTIONS, *EXTENSION_COMMANDS}))
