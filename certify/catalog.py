"""The test items, as data: one catalog per test script.

`ocpp16-testscript` is the 18-item script of
../shared/reference/ocpp16-certification-testscript.txt. Each item names the
rule (a function in certify.verdicts) that judges it, the commands its page
offers, what the engineer does by hand, and where it maps onto OCPP 1.6 and the
OCA Compliance Testing Tool. Another catalog is another list of Items.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Command:
    """A button on an item: an OCPP command with a prefilled, editable payload.
    Payload values may use placeholders filled in per session
    (certify.services.fill_payload): {connector}, {id_tag}, {transaction_id},
    {firmware_url}, {diagnostics_url} (FTP), {diagnostics_http_url}, {now},
    {hour_ago}."""

    label: str
    action: str
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    number: int
    function: str
    criteria: tuple[str, ...]
    rule: str
    manual: str = ""
    commands: tuple[Command, ...] = ()
    clauses: tuple[str, ...] = ()
    ctt: tuple[str, ...] = ()
    # The feature profile the item needs (SupportedFeatureProfiles); None: Core.
    profile: str | None = None
    automatic: bool = True
    # What the report shows beside the item's evidence: "meter_chart",
    # "firmware" (files hosted, version after the update), "diagnostics" (files received).
    shows: tuple[str, ...] = ()
    # Put before a pass's remark in the Result column, as the reference words it
    # ("Ok, Configuration (109)"); most remarks stand as they are ("Both ok").
    result_prefix: str = ""
    # What the item's page shows beside its commands (see PANEL_PARTS).
    panel: frozenset[str] = frozenset()
    # Placeholders in `manual` filled per session, e.g. {id_tag}.
    needs_card: bool = False

    @property
    def key(self) -> str:
        """The item's key: what the database, the API, URLs and `sent_by` tags name it by."""
        return str(self.number)


# The parts an item's page may show, by name: the views and templates read these
# from the Item, never an item number.
PANEL_PARTS = {
    "per_connector": "its commands once per connector (0 and each connector reported)",
    "payload": "the filled payload of its commands (our URLs, the time window)",
    "firmware_upload": "the upload of the manufacturer's firmware file",
    "diagnostics_files": "the diagnostics files received",
    "profile_presets": "charging-profile presets, in the units the charger allows",
    "meter_chart": "the meter-value chart",
    "offline_control": "'Take offline for N s'",
    "cards": "the cards of the session (accepted and refused) and the link to the id-tag list",
}


OCPP16_TESTSCRIPT: tuple[Item, ...] = (
    Item(
        1,
        "Boot notification",
        (
            "Receive a (not empty) BootNotification message, containing chargePointModel and chargePointVendor "
            "(required by OCPP 1.6), and chargePointSerialNumber, iccid, chargePointVendor, firmwareVersion and "
            "chargePointModel",
        ),
        rule="boot_notification",
        manual="Power the charger on (or reset it) with its central system URL pointing at this server.",
        commands=(Command("Reset (Soft) to see a boot", "Reset", {"type": "Soft"}),),
        clauses=("4.2 Boot Notification", "6.3 BootNotification.req"),
        ctt=("TC_001", "TC_002"),
    ),
    Item(
        2,
        "Heartbeat (automatic)",
        (
            "Receive OCPP command from CS i.e. heartbeat registered",
            "When CS is not providing heartbeat, send OCPP command to see heartbeat",
            "Provide TCPIP default heartbeat at least every 1 hour from CS (configurable under Set Configuration).",
        ),
        rule="heartbeat",
        manual="Leave the charger idle for at least two heartbeat intervals.",
        commands=(
            Command("Set HeartbeatInterval", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}),
            Command("Trigger a Heartbeat", "TriggerMessage", {"requestedMessage": "Heartbeat"}),
        ),
        clauses=("4.6 Heartbeat", "9.1.10 HeartbeatInterval"),
        ctt=("TC_001",),
    ),
    Item(
        3,
        "Change availability",
        (
            "After sending ChangeAvailability with type Operative, the status must change to Available.",
            "After sending ChangeAvailability with type Inoperative, the status must change to Unavailable.",
            "This availability must be reflected by receiving a StatusNotification message (per socket)",
            "Receive a (not empty) StatusNotification message per connector (including connector 0), containing: "
            "If not in error: status with Available, Preparing, Charging, SuspendedEV, SuspendedEVSE, Finishing, "
            "Reserved, Unavailable or Faulted; If in error: error details (errorCode)",
        ),
        rule="change_availability",
        commands=(
            Command("Inoperative", "ChangeAvailability", {"connectorId": "{connector}", "type": "Inoperative"}),
            Command("Operative", "ChangeAvailability", {"connectorId": "{connector}", "type": "Operative"}),
        ),
        clauses=("5.2 Change Availability", "4.9 Status Notification"),
        panel=frozenset({"per_connector"}),
        ctt=("TC_013", "TC_014", "TC_015", "TC_016", "TC_017"),
    ),
    Item(
        4,
        "Get configuration (list parameters that can be read)",
        (
            "After sending GetConfiguration() the Charge Station must respond with a GetConfiguration message, "
            "containing the total number of items, followed by a message with the complete list of items.",
        ),
        rule="get_configuration",
        commands=(Command("Get all keys", "GetConfiguration", {}),),
        clauses=("5.8 Get Configuration",),
        ctt=("TC_019",),
        result_prefix="Ok, ",
    ),
    Item(
        5,
        "Set configuration (set parameters that can be configured)",
        (
            "After sending ChangeConfiguration (per item) a message with status Accepted must be received (and not "
            '"Not Supported", "Not implemented")',
        ),
        rule="change_configuration",
        commands=(
            Command("Change a key", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}),
            Command("Read the key back", "GetConfiguration", {"key": ["HeartbeatInterval"]}),
        ),
        clauses=("5.3 Change Configuration",),
        ctt=("TC_021",),
    ),
    Item(
        6,
        "Start charge transaction (both local notification and remote trigger)",
        (
            "After sending RemoteStartTransaction the transaction must start, and a StartTransaction message "
            "(including transactionId) must be received, followed by several StatusNotification messages "
            "(according to OCPP 1.6)",
            "Local StartTransaction should start with an Authorize, which – if approved – must be followed by a "
            "StartTransaction and several StatusNotification messages (according to OCPP 1.6). If not approved the "
            "sequence must stop",
        ),
        rule="start_transaction",
        manual="Plug the cable in. For the local start, present the accepted card {id_tag}; then present the "
        "refused card {refused_id_tag} (answered Invalid) and check that no transaction starts.",
        panel=frozenset({"cards"}),
        needs_card=True,
        commands=(
            Command("Remote start", "RemoteStartTransaction", {"connectorId": "{connector}", "idTag": "{id_tag}"}),
        ),
        clauses=("5.11 Remote Start Transaction", "4.1 Authorize", "4.8 Start Transaction"),
        ctt=("TC_003", "TC_004", "TC_010", "TC_011"),
    ),
    Item(
        7,
        "Stop charge transaction (both local notification and remote trigger)",
        (
            "After sending RemoteStopTransaction (by using the transactionId) the transaction must stop, via a "
            "StopTransaction message, followed by several StatusNotification messages (according to OCPP 1.6)",
            "Local StopTransaction starts with receiving a StopTransaction and several StatusNotification messages "
            "(according to OCPP 1.6)",
            "When the charging cable is disconnected, a StopTransaction message must be received",
        ),
        rule="stop_transaction",
        manual="For the local stop, present the card {id_tag} again or press stop; then start again and unplug "
        "the cable while charging.",
        panel=frozenset({"cards"}),
        needs_card=True,
        commands=(Command("Remote stop", "RemoteStopTransaction", {"transactionId": "{transaction_id}"}),),
        clauses=("5.12 Remote Stop Transaction", "4.10 Stop Transaction"),
        ctt=("TC_005", "TC_006", "TC_007", "TC_012"),
    ),
    Item(
        8,
        "Receive Meter reading",
        (
            "Meter values are received at the start of transaction and stop of transaction",
            "Meter values are received, according to meter interval that can be set by user (at least 30 seconds "
            "interval when charging)",
            "Voltage, current and power reading are received, according to meter interval that can be set by user "
            "(at least 30 seconds interval)",
        ),
        rule="meter_values",
        manual="Charge for at least three meter intervals.",
        commands=(
            Command(
                "Set MeterValueSampleInterval",
                "ChangeConfiguration",
                {"key": "MeterValueSampleInterval", "value": "30"},
            ),
            Command(
                "Sample voltage, current, power, energy",
                "ChangeConfiguration",
                {
                    "key": "MeterValuesSampledData",
                    "value": "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage",
                },
            ),
        ),
        clauses=("4.7 Meter Values", "9.1.19 MeterValueSampleInterval", "9.1.17 MeterValuesSampledData"),
        panel=frozenset({"meter_chart"}),
        ctt=("TC_008", "TC_009"),
        shows=("meter_chart",),
    ),
    Item(
        9,
        "Reset CS (both hard and soft reset)",
        (
            "Hard reset (ResetType 0): Charging Station comes online after reset (BootNotification message, "
            "StatusNotification message, etc.)",
            "Soft reset (ResetType 1): Charging Station comes online after reset (BootNotification message, "
            "StatusNotification message, etc.)",
        ),
        rule="reset",
        commands=(
            Command("Hard reset", "Reset", {"type": "Hard"}),
            Command("Soft reset", "Reset", {"type": "Soft"}),
        ),
        clauses=("5.14 Reset",),
        ctt=("TC_023", "TC_024", "TC_025", "TC_026"),
    ),
    Item(
        10,
        "Any hardware related notifications or error conditions",
        (
            "Create an error (e.g. disconnecting communication pin or power pin connection or create 3 phase "
            "imbalance supply), notifications to be represented in the StatusNotification messages.",
            "Error messages on connector 0 are from the Charging Station itself.",
        ),
        rule="error_notification",
        manual="Create a hardware error: interrupt the CP signal, open a phase or unbalance the supply; then "
        "restore it.",
        clauses=("4.9 Status Notification", "7.6 ChargePointErrorCode"),
        ctt=("TC_037",),
    ),
    Item(
        11,
        "Charging cable connection status",
        (
            "Status to be represented in the StatusNotification messages.",
            "When car is connected, the charging station changes from Available to Occupied and to Error "
            "(connection is timed out).",
        ),
        rule="cable_status",
        manual="Plug the cable in and wait longer than ConnectionTimeOut without starting a transaction.",
        commands=(
            Command("Set ConnectionTimeOut", "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "30"}),
        ),
        clauses=("4.9 Status Notification", "9.1.6 ConnectionTimeOut"),
        ctt=("TC_032",),
    ),
    Item(
        12,
        "Remote Firmware update",
        (
            "Receive firmware file from manufacturer.",
            'After sending UpdateFirmware, FirmwareStatusNotification message with FirmwareStatus "Downloading" must '
            'be received, followed by FirmwareStatusNotification message with FirmwareStatus "Installed".',
            "Automatically reboot if connectors are available",
        ),
        rule="firmware_update",
        manual="Upload the manufacturer's firmware file here first; the charger downloads it from us.",
        commands=(
            Command("Update firmware", "UpdateFirmware", {"location": "{firmware_url}", "retrieveDate": "{now}"}),
        ),
        clauses=("5.19 Update Firmware", "6.55 UpdateFirmware.req", "4.5 Firmware Status Notification"),
        panel=frozenset({"firmware_upload", "payload"}),
        ctt=("TC_044",),
        profile="FirmwareManagement",
        shows=("firmware",),
    ),
    Item(
        13,
        "Remotely initiate and get diagnostics reports",
        (
            "After sending GetDiagnostics, with specific timeframe and ftp location, the Charging Station must send "
            "GetDiagnostics message and upload the diagnostic file to the specified ftp location",
        ),
        rule="diagnostics",
        commands=(
            Command(
                "Get diagnostics",
                "GetDiagnostics",
                {"location": "{diagnostics_url}", "startTime": "{hour_ago}", "stopTime": "{now}"},
            ),
        ),
        clauses=("5.9 Get Diagnostics", "6.25 GetDiagnostics.req", "4.4 Diagnostics Status Notification"),
        panel=frozenset({"diagnostics_files", "payload"}),
        ctt=("TC_045",),
        profile="FirmwareManagement",
        shows=("diagnostics",),
    ),
    Item(
        14,
        "Set charging profile or power control (for smart charging)",
        ("After sending SetChargingProfile (per connector) a message with status Accepted must be received",),
        rule="charging_profile",
        commands=(
            Command(
                "Set TxDefaultProfile",
                "SetChargingProfile",
                {
                    "connectorId": "{connector}",
                    "csChargingProfiles": {
                        "chargingProfileId": 1,
                        "stackLevel": 0,
                        "chargingProfilePurpose": "TxDefaultProfile",
                        "chargingProfileKind": "Absolute",
                        "chargingSchedule": {
                            "chargingRateUnit": "{rate_unit}",
                            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": "{rate_limit}"}],
                        },
                    },
                },
            ),
            Command("Clear profiles", "ClearChargingProfile", {}),
            Command(
                "Composite schedule",
                "GetCompositeSchedule",
                {"connectorId": "{connector}", "duration": 3600, "chargingRateUnit": "{rate_unit}"},
            ),
        ),
        clauses=("5.16 Set Charging Profile", "3.13 Smart Charging", "9.4.2 ChargingScheduleAllowedChargingRateUnit"),
        panel=frozenset({"profile_presets", "per_connector"}),
        ctt=("TC_056", "TC_057", "TC_059", "TC_066"),
        profile="SmartCharging",
    ),
    Item(
        15,
        "Smart Charging Enable/Disable",
        ("Receive enable/disable status notification when smart charging enabled/disabled",),
        rule="manual_only",
        manual="OCPP 1.6 has no message for this: enable and disable smart charging on the charger and record "
        'what it showed (e.g. "Not supported by the vendor").',
        profile="SmartCharging",
        automatic=False,
    ),
    Item(
        16,
        "Get past charge transactions",
        (
            "When Charging Station reconnects, after being offline, the cached transactions must be sent to the "
            "server automatically",
        ),
        rule="offline_transactions",
        manual="Take the charger offline ('Take offline' below closes its socket and refuses its reconnects for "
        "N s), start and stop a transaction with the card {id_tag} while it is offline, then let it reconnect.",
        panel=frozenset({"offline_control", "cards"}),
        needs_card=True,
        clauses=("3.7 Transaction-related messages", "4.8 Start Transaction", "4.10 Stop Transaction"),
        ctt=("TC_036", "TC_037", "TC_038", "TC_039"),
    ),
    Item(
        17,
        "Clear cache (if applicable)",
        ("After sending the ClearCache, a message with status Accepted must be received",),
        rule="clear_cache",
        commands=(Command("Clear cache", "ClearCache", {}),),
        clauses=("5.4 Clear Cache", "9.1.2 AuthorizationCacheEnabled"),
        ctt=("TC_061",),
    ),
    Item(
        18,
        "TriggerMessage",
        ("After booting the centralsystem will send a TriggerMessage requesting the status of the charger.",),
        rule="trigger_message",
        commands=(
            Command(
                "Trigger StatusNotification",
                "TriggerMessage",
                {"requestedMessage": "StatusNotification", "connectorId": "{connector}"},
            ),
        ),
        clauses=("5.17 Trigger Message",),
        ctt=("TC_054", "TC_055"),
        profile="RemoteTrigger",
    ),
)

CATALOGS: dict[str, tuple[Item, ...]] = {"ocpp16-testscript": OCPP16_TESTSCRIPT}


def items(catalog: str = "ocpp16-testscript") -> tuple[Item, ...]:
    return CATALOGS[catalog]


def profile_items(catalog: str = "ocpp16-testscript") -> dict[str, tuple[str, ...]]:
    """Feature profile -> the keys of the items that need it."""
    found: dict[str, tuple[str, ...]] = {}
    for entry in CATALOGS[catalog]:
        if entry.profile:
            found[entry.profile] = (*found.get(entry.profile, ()), entry.key)
    return found


def item(key: str, catalog: str = "ocpp16-testscript") -> Item:
    """The item with that key; StopIteration when there is none."""
    return next(i for i in CATALOGS[catalog] if i.key == str(key))
