"""Behaviour profiles: ways a charger may legally behave under OCPP 1.6, and ways
it misbehaves on purpose, so that a bench can be shown to accept every legal
variant and to catch every fault a real charger could have.

A profile speaks OCPP, not certification: it names clauses of OCPP 1.6 (edition
2) and OCPP-J 1.6, never a test case. `breaks` names the clauses a fault breaks
(empty: a legal variant); `lacks` the clauses of an optional feature a legal
variant leaves out; `feature_profiles` the feature profiles it has. Whoever
tests a bench derives from these and from its own cases' clauses which cases a
profile must fail, which it cannot support, and which must pass. `shown_by`
says where a fault shows: in the cases resting on the broken clause, or only
among the findings over the whole log (a deviation no test case asks about).
Each description names the clause that allows or forbids the behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass

FEATURE_PROFILES = (
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
)

# The feature profile of each command the central system may send (OCPP 1.6 §3.3).
PROFILE_OF_COMMAND = {
    "UpdateFirmware": "FirmwareManagement",
    "GetDiagnostics": "FirmwareManagement",
    "SendLocalList": "LocalAuthListManagement",
    "GetLocalListVersion": "LocalAuthListManagement",
    "ReserveNow": "Reservation",
    "CancelReservation": "Reservation",
    "SetChargingProfile": "SmartCharging",
    "ClearChargingProfile": "SmartCharging",
    "GetCompositeSchedule": "SmartCharging",
    "TriggerMessage": "RemoteTrigger",
}


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    breaks: tuple[str, ...] = ()  # the clauses a fault breaks ("9.1.10 HeartbeatInterval"); empty: legal
    lacks: tuple[str, ...] = ()  # the clauses of an optional feature left out (legal)
    shown_by: str = "cases"  # where a fault shows: "cases" (those resting on the clause) or "findings"
    # -- legal variants -----------------------------------------------------------
    finishing: bool = True  # Finishing after a stop that is not an unplug
    finishing_first: bool = False  # ... and before the StopTransaction
    charging_first: bool = False  # Charging before StartTransaction, no Preparing for a start
    iccid: bool = True  # iccid in BootNotification
    imsi: bool = True  # imsi in BootNotification
    heartbeat_on_idle: bool = False  # Heartbeat only after an interval with nothing else sent
    feature_profiles: tuple[str, ...] = FEATURE_PROFILES  # SupportedFeatureProfiles
    not_implemented: bool = False  # CALLERROR NotImplemented to the commands of profiles it lacks
    auth_cache: bool = True  # an Authorization Cache (AuthorizationCacheEnabled, ClearCache)
    reboot_before_installed: bool = False  # firmware: reboot, then Installed
    offline_statuses: bool = True  # queue the statuses of an offline period
    local_stop_reason: bool = True  # reason "Local" in StopTransaction of a local stop
    reject_first_reset: bool = False  # the first Reset is Rejected
    rate_units: str = "Current,Power"  # ChargingScheduleAllowedChargingRateUnit
    reboot_keys: tuple[str, ...] = ()  # keys answered RebootRequired, applied at the next boot
    vendor_keys: bool = True  # keys beyond §9 (SmartChargingEnabled, VendorNetworkMode, ...)
    settings: tuple[tuple[str, str], ...] = ()  # configuration values of its own: (key, value)
    read_only: tuple[str, ...] = ()  # keys the central system may read but not change
    connectors: int = 0  # this many connectors (0: as SimulatorOptions.connectors says)
    transfer_protocols: str = "FTP,HTTP,HTTPS"  # SupportedFileTransferProtocols: the only ones it uploads over
    plugged_timeout: bool = True  # ConnectionTimeOut also ends a cable plugged in without a card
    reboot_seconds: float | None = None  # how long a reboot takes (None: SimulatorOptions.reboot_delay)
    reject_boot_trigger: bool = False  # TriggerMessage BootNotification Rejected once a boot was accepted
    kw_units: bool = False  # kWh, kW, per-phase voltage L1/L2/L3
    answer_delay: float = 0.0  # seconds before answering every CALL
    # -- misbehaviour ---------------------------------------------------------------
    follow_heartbeat_interval: bool = True  # obey HeartbeatInterval changes
    voltage: bool = True  # report Voltage in MeterValues when configured
    honour_remote_stop: bool = True  # stop after an Accepted RemoteStopTransaction
    start_when_refused: bool = False  # start for a card that Authorize refused
    empty_configuration: bool = False  # GetConfiguration without keys lists nothing
    reboot_on_reset: bool = True  # reboot after an Accepted Reset
    answer_trigger_status: bool = True  # send the StatusNotification a TriggerMessage asks for
    connection_timeout: bool = True  # ConnectionTimeOut ends a session that does not begin
    upload_fails: bool = False  # every diagnostics upload ends UploadFailed
    install_fails: bool = False  # every firmware installation ends InstallationFailed
    meter_backwards: bool = False  # a transaction's first periodic sample reads the register below its start
    double_call: bool = False  # after each boot, two CALLs at once, the second before the first is answered
    naive_timestamps: bool = False  # timestamps without a time zone
    bad_transition: bool = False  # Charging -> Preparing after a stop, where Finishing belongs

    @property
    def legal(self) -> bool:
        """A legal variant: it breaks no clause."""
        return not self.breaks

    @property
    def smart_charging(self) -> bool:
        return "SmartCharging" in self.feature_profiles

    def supports(self, command: str) -> bool:
        """Whether a central-system command's feature profile is one this charger has."""
        return PROFILE_OF_COMMAND.get(command, "Core") in self.feature_profiles


def clause_number(clause: str) -> str:
    """A clause's number, by which clauses match: '9.1.10 HeartbeatInterval' -> '9.1.10',
    'OCPP-J 4.1.1 Synchronicity' -> 'OCPP-J 4.1.1'."""
    first, _, rest = clause.partition(" ")
    return first if first[:1].isdigit() else f"{first} {rest.split(' ', 1)[0]}"


def cite(clause: str) -> str:
    """A clause as the text cites it: '§9.1.10', 'OCPP-J §4.1.1'."""
    number = clause_number(clause)
    document, _, section = number.rpartition(" ")
    return f"{document} §{section}".strip()


def _without(*names: str) -> tuple[str, ...]:
    return tuple(p for p in FEATURE_PROFILES if p not in names)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("default", "A well-behaved OCPP 1.6-J charger with every feature profile."),
        # -- legal variants ------------------------------------------------------------------
        Profile(
            "finishing-first",
            "Sends StatusNotification Finishing before StopTransaction on a stop that is not an unplug "
            "(§4.9 and §4.10 set no order between them).",
            finishing_first=True,
        ),
        Profile(
            "charging-first",
            "Sends StatusNotification Charging before StartTransaction.req (no order is mandated), and goes "
            "Available -> Charging without Preparing when a start is authorised with the cable plugged (§4.9 A3).",
            charging_first=True,
        ),
        Profile(
            "no-sim",
            "A charger without a modem: BootNotification without iccid and imsi (§6.3: both optional).",
            iccid=False,
            imsi=False,
        ),
        Profile(
            "no-iccid",
            "BootNotification without iccid (§6.3: iccid is optional; imsi is still sent).",
            iccid=False,
        ),
        Profile(
            "heartbeat-on-idle",
            "Sends Heartbeat only after HeartbeatInterval passed with no other message sent "
            "(§4.6; §9.1.10: the interval is one of inactivity).",
            heartbeat_on_idle=True,
        ),
        Profile(
            "no-cache",
            "No Authorization Cache and no Local Authorization List: no AuthorizationCacheEnabled key, no "
            "LocalAuthListManagement profile, ClearCache answered Rejected (§3.5.1, §6.12).",
            lacks=("9.1.2 AuthorizationCacheEnabled",),
            auth_cache=False,
            feature_profiles=_without("LocalAuthListManagement"),
        ),
        Profile(
            "reboot-before-installed",
            "Firmware update: Downloading, Downloaded, Installing, then a reboot with a new firmwareVersion in its "
            "BootNotification, then Installed (§5.19 calls this order good practice).",
            reboot_before_installed=True,
        ),
        Profile(
            "core-only",
            "SupportedFeatureProfiles=Core: every command of another profile is answered CALLERROR "
            "NotImplemented (§3.3: only Core is required; OCPP-J's CALLERROR for an unknown action).",
            feature_profiles=("Core",),
            not_implemented=True,
        ),
        Profile(
            "drop-offline-statuses",
            "Does not queue the statuses of an offline period (§4.9: it SHOULD NOT send historical statuses); "
            "after reconnecting it sends the queued transaction messages, then only its current statuses.",
            offline_statuses=False,
        ),
        Profile(
            "stop-no-reason",
            "StopTransaction of a local stop leaves out reason (§6.49: absent means Local); unplugging while "
            "charging goes Charging -> Available (§4.9 C1) with reason EVDisconnected.",
            local_stop_reason=False,
        ),
        Profile(
            "reject-first-reset",
            "Answers the first Reset Rejected and later ones Accepted (§5.14, §7.41: Rejected is a legal answer).",
            reject_first_reset=True,
        ),
        Profile(
            "power-only",
            "ChargingScheduleAllowedChargingRateUnit=Power (§9.4.2): SetChargingProfile in A is Rejected, "
            "in W Accepted.",
            rate_units="Power",
        ),
        Profile(
            "reboot-required",
            "ChangeConfiguration of MeterValueSampleInterval and HeartbeatInterval answered RebootRequired "
            "(§5.3, §7.22); the value takes effect (and reads back) after the next reboot, where a HeartbeatInterval "
            "then yields to the BootNotification.conf interval (§4.2).",
            reboot_keys=("MeterValueSampleInterval", "HeartbeatInterval"),
        ),
        Profile(
            "standard-keys-only",
            "Only the configuration keys §9 lists: ChangeConfiguration of SmartChargingEnabled or of a network "
            "setting (VendorNetworkMode) is answered NotSupported (§5.3: a key the charger does not know).",
            vendor_keys=False,
        ),
        Profile(
            "kw-units",
            "Energy in kWh and power in kW, voltage and current per phase L1, L2, L3 (§7.45 UnitOfMeasure, §7.34 Phase).",
            kw_units=True,
        ),
        Profile(
            "no-finishing",
            "Never sends Finishing: Charging -> Available after a stop, which the §4.9 table permits (C1).",
            finishing=False,
        ),
        Profile(
            "no-smart-charging",
            "No SmartCharging in SupportedFeatureProfiles (§3.3): SetChargingProfile Rejected, its keys absent.",
            feature_profiles=_without("SmartCharging"),
        ),
        Profile(
            "slow",
            "Answers every CALL after a delay (3 s by default); no clause sets a deadline, the timeout is the sender's.",
            answer_delay=3.0,
        ),
        Profile(
            "no-plugged-timeout",
            "A cable plugged in without a card stays Preparing however long; ConnectionTimeOut runs only once a card "
            "was presented (§9.1.6: the time an identified driver has to plug in).",
            plugged_timeout=False,
        ),
        Profile(
            "ftp-only",
            "SupportedFileTransferProtocols=FTP: diagnostics go only over FTP, an HTTP location ends UploadFailed "
            "(§5.9: the upload is the charger's, over what it can).",
            transfer_protocols="FTP",
        ),
        Profile(
            "http-only",
            "SupportedFileTransferProtocols=HTTP,HTTPS: diagnostics go only over HTTP(S), an FTP location ends "
            "UploadFailed (§5.9: the upload is the charger's, over what it can).",
            transfer_protocols="HTTP,HTTPS",
        ),
        Profile(
            "authorize-remote",
            "AuthorizeRemoteTxRequests=true and read-only (§9.1.3 allows either): a RemoteStartTransaction is "
            "authorized with Authorize before the transaction starts (§5.11).",
            settings=(("AuthorizeRemoteTxRequests", "true"),),
            read_only=("AuthorizeRemoteTxRequests",),
        ),
        Profile(
            "one-connector",
            "A single connector: NumberOfConnectors=1 (§9.1.21), StatusNotification for connectors 0 and 1 only.",
            connectors=1,
        ),
        Profile(
            "slow-reboot",
            "Boots 90 s after going down for a reboot (a Reset, a firmware update); §5.14 sets no time for a reboot.",
            reboot_seconds=90.0,
        ),
        Profile(
            "energy-only-default",
            "MeterValuesSampledData is Energy.Active.Import.Register until changed, the specification's example "
            "default (§9.1.17).",
            settings=(("MeterValuesSampledData", "Energy.Active.Import.Register"),),
        ),
        Profile(
            "reject-boot-trigger",
            "Answers TriggerMessage BootNotification Rejected once its boot was accepted (§5.17: Rejected is a legal "
            "answer; errata v4.0 3.40: the central system shall not ask for it then).",
            reject_boot_trigger=True,
        ),
        Profile(
            "min-status-duration",
            "MinimumStatusDuration=3 (§9.1.20): a status is reported only once it has lasted 3 s, a shorter one "
            "(Preparing between a plug and a card) never.",
            settings=(("MinimumStatusDuration", "3"),),
        ),
        # -- faults: each breaks the clauses it names ---------------------------------------
        Profile(
            "ignore-heartbeat-interval",
            "Keeps the heartbeat interval it booted with, whatever is configured later (breaks §9.1.10).",
            breaks=("9.1.10 HeartbeatInterval",),
            follow_heartbeat_interval=False,
        ),
        Profile(
            "no-voltage",
            "Accepts Voltage in MeterValuesSampledData but never sends it (breaks §9.1.17).",
            breaks=("9.1.17 MeterValuesSampledData",),
            voltage=False,
        ),
        Profile(
            "ignore-remote-stop",
            "Answers RemoteStopTransaction Accepted and never sends StopTransaction (breaks §5.12).",
            breaks=("5.12 Remote Stop Transaction",),
            honour_remote_stop=False,
        ),
        Profile(
            "start-when-refused",
            "Starts a transaction for a card that Authorize answered Invalid (breaks §4.1: no energy without authorisation).",
            breaks=("4.1 Authorize",),
            start_when_refused=True,
        ),
        Profile(
            "empty-configuration",
            "Answers GetConfiguration without keys with an empty configurationKey list (breaks §5.8: all keys).",
            breaks=("5.8 Get Configuration",),
            empty_configuration=True,
        ),
        Profile(
            "no-reboot-on-reset",
            "Answers Reset Accepted but never reboots (breaks §5.14).",
            breaks=("5.14 Reset",),
            reboot_on_reset=False,
        ),
        Profile(
            "trigger-ignored",
            "Answers TriggerMessage StatusNotification Accepted and never sends it, nor a status report of its own "
            "(as after a boot) for a while after the answer (breaks §5.17).",
            breaks=("5.17 Trigger Message",),
            answer_trigger_status=False,
        ),
        Profile(
            "no-connection-timeout",
            "Never gives up on a session that does not begin: an identified driver who does not plug in keeps the "
            "connector Preparing past ConnectionTimeOut (breaks §9.1.6).",
            breaks=("9.1.6 ConnectionTimeOut",),
            connection_timeout=False,
        ),
        Profile(
            "upload-fails",
            "Answers GetDiagnostics with a file name and then reports UploadFailed, whatever the protocol (breaks §5.9: "
            "the diagnostics file never reaches the location).",
            breaks=("5.9 Get Diagnostics",),
            upload_fails=True,
        ),
        Profile(
            "install-fails",
            "Downloads every firmware image and reports InstallationFailed: the firmware never changes (breaks §5.19).",
            breaks=("5.19 Update Firmware",),
            install_fails=True,
        ),
        # -- faults no test case asks about: the findings over the whole log show them --------------
        Profile(
            "meter-backwards",
            "The first periodic sample of each transaction reads the energy register below the transaction's start: "
            "a register that goes backwards (breaks §7.31: Energy.Active.Import.Register is a meter register).",
            breaks=("7.31 Measurand",),
            shown_by="findings",
            meter_backwards=True,
        ),
        Profile(
            "double-call",
            "After each boot sends two Heartbeat CALLs at once, the second before the first is answered (breaks "
            "OCPP-J §4.1.1: one CALL at a time).",
            breaks=("OCPP-J 4.1.1 Synchronicity",),
            shown_by="findings",
            double_call=True,
        ),
        Profile(
            "naive-timestamps",
            "Writes every timestamp without a time zone (2025-03-01T10:00:00.000, UTC meant but not said; breaks "
            "§3.14: UTC, and the schemas' RFC 3339 date-time, which needs an offset).",
            breaks=("3.14 Time zones",),
            shown_by="findings",
            naive_timestamps=True,
        ),
        Profile(
            "bad-transition",
            "After a stop that is not an unplug, reports Preparing where Finishing belongs: Charging -> Preparing, a "
            "transition the table does not list (breaks §4.9).",
            breaks=("4.9 Status Notification",),
            shown_by="findings",
            bad_transition=True,
        ),
    )
}
