"""A model of an OCPP 1.6 charger and of the bench that tests it, for generated logs.

The charger follows OCPP 1.6 edition 2 (with errata v4.0) and, wherever the
specification leaves a choice (MAY, SHOULD, optional keys and profiles, legal
Rejected answers), takes one of the allowed paths, drawn once per charger
(`Traits`). The bench plays our central system: it answers the charger as
chargers.protocol does, sends the catalog's commands tagged with their item,
starts attempts, and writes everything into a log of frames shaped like the
evidence log (and its JSON Lines export, attempt markers included).

A `Fault` breaks one SHALL on purpose; the rule that owns it must fail it.
Nothing here knows the rules: tests/certify/test_generated_behaviour.py judges
the logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
GOOD, GOOD2, BAD = "CERTIFY-OK", "CARD-2", "CERTIFY-REFUSED"
HEARTBEAT_INTERVAL = 300  # what our BootNotification answer hands out (settings.OCPP_HEARTBEAT_INTERVAL)
FIRMWARE = "2.0"  # the version inside the image the bench hosts
OPERATIVE = {"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Reserved"}
CHARGING = {"Charging", "SuspendedEV", "SuspendedEVSE"}

# §4.9: the transitions the state table allows (from -> to), connector 0 aside.
TRANSITIONS = {
    "Available": {"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Reserved", "Unavailable", "Faulted"},
    "Preparing": {"Available", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Faulted"},
    "Charging": {"Available", "SuspendedEV", "SuspendedEVSE", "Finishing", "Unavailable", "Faulted"},
    "SuspendedEV": {"Available", "Charging", "SuspendedEVSE", "Finishing", "Unavailable", "Faulted"},
    "SuspendedEVSE": {"Available", "Charging", "SuspendedEV", "Finishing", "Unavailable", "Faulted"},
    "Finishing": {"Available", "Preparing", "Unavailable", "Faulted"},
    "Reserved": {"Available", "Preparing", "Unavailable", "Faulted"},
    "Unavailable": {"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Faulted"},
    "Faulted": {"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Reserved",
                "Unavailable"},
}  # fmt: skip

MEASURANDS = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage")
ALL_SAMPLED = ",".join(MEASURANDS)


@dataclass(frozen=True)
class Traits:
    """The choices OCPP 1.6 leaves to a charger, each with the clause that leaves it."""

    connectors: int = 1
    # §3.3: only Core is required.
    profiles: tuple[str, ...] = ("Core", "FirmwareManagement", "SmartCharging", "RemoteTrigger")
    # §4.2: synchronising with our currentTime is RECOMMENDED only: its clock may be off.
    clock_skew: float = 0.0
    # §9.1.15 MinimumStatusDuration: shorter statuses MAY be left unreported.
    minimum_status_duration: int = 0
    # §4.9 A3: a plug with an authorisation at hand MAY go straight to Charging.
    preparing: bool = True
    # No clause orders StatusNotification against Start/StopTransaction.
    charging_first: bool = False
    finishing: str = "after"  # "after" | "before" the StopTransaction, or "none" (§4.9 C1: straight to Available)
    # §4.9 B1 / B6: a ConnectionTimeOut ends in Available or in Finishing.
    timeout_to: str = "Available"
    # §3.5.1, §9.1.2: the authorization cache is optional ("enabled", "disabled", "absent").
    cache: str = "enabled"
    # §4.1: a cached card MAY start without Authorize.
    start_from_cache: bool = False
    # errata 3.80: StopTransactionOnEVSideDisconnect is optional ("true", "false", "absent").
    stop_on_unplug: str = "true"
    # §5.11: AuthorizeRemoteTxRequests.
    authorize_remote: bool = False
    # §6.49: reason MAY be omitted for Local.
    omit_local_reason: bool = False
    # §3.16.4: measurands the meter can sample; others are Rejected in MeterValuesSampledData.
    measurands: tuple[str, ...] = MEASURANDS
    # §3.16.5: with StopTxnSampledData empty, no values in StopTransaction.
    stop_txn_data: bool = True
    # §4.7: Transaction.Begin values MAY be sent.
    begin_sample: bool = True
    # §9.4.2 ChargingScheduleAllowedChargingRateUnit.
    rate_units: str = "Current,Power"
    max_stack_level: int = 8
    max_profiles: int = 8  # MaxChargingProfilesInstalled
    # §7.41: Reset MAY be Rejected (e.g. the first one, while it is busy).
    reject_first_reset: bool = False
    # §5.19: rebooting before Installed is good practice, not a requirement.
    reboot_before_installed: bool = False
    # §5.19, §6.55 retries: a failed download MAY be retried.
    download_retry: bool = False
    # The image's version may be what it runs already (the same build re-flashed).
    version_changes: bool = True
    # §5.9: no diagnostics in the window: no file name.
    diagnostics_empty: bool = False
    # §5.9, §6.25 retries: a failed upload MAY be retried.
    upload_retry: bool = False
    # §4.9: connector 0 MAY be reported.
    report_connector0: bool = True
    # How our server learns of an outage: "prompt" (TCP close), "late" (ping timeout), "reconnect" (replaced).
    outage_notice: str = "prompt"
    ping_timeout: float = 60.0
    # §4.6, §9.1.10: the inactivity that a Heartbeat fills: "own" (its own CALLs), "any" (any exchange,
    # our requests too), "timer" (every interval, whatever else was sent).
    inactivity: str = "own"
    # §6.9/§7.29: keys are CiStrings, case-insensitive: the charger MAY spell them otherwise.
    key_case: str = "canonical"  # "canonical" | "lower"
    # §5.3: keys it answers RebootRequired for, applied at the next boot.
    reboot_keys: tuple[str, ...] = ()
    # §5.17: the answer to TriggerMessage when RemoteTrigger is supported ("Accepted" or "Rejected").
    trigger_answer: str = "Accepted"
    # §6.3: serial, iccid, imsi are optional.
    iccid: bool = True
    # errata 3.80: without StopTransactionOnEVSideDisconnect, the charger's own default.
    unplug_default_stops: bool = True
    # §5.4: a charger without a cache answers ClearCache as it likes ("Rejected" or "Accepted").
    clear_without_cache: str = "Rejected"
    # §5.14: how long a reboot takes.
    reboot_seconds: float = 20.0
    # §3.7, §4.9: the current statuses after a reconnect come before or after the queued messages.
    statuses_before_queue: bool = True

    def supports(self, profile: str) -> bool:
        return profile == "Core" or profile in self.profiles


@dataclass(frozen=True)
class Fault:
    """One SHALL broken on purpose; `owner` is the rule that must fail it."""

    name: str
    owner: str
    clause: str


FAULTS = {
    f.name: f
    for f in (
        Fault("boot-breaks-schema", "boot_notification", "§6.3 BootNotification.req: chargePointModel is required"),
        Fault("ignore-heartbeat-interval", "heartbeat", "§9.1.10 HeartbeatInterval"),
        Fault("availability-not-reported", "change_availability", "§5.2, §4.9: the status after the change"),
        Fault("empty-configuration", "get_configuration", "§5.8: GetConfiguration without keys lists all"),
        Fault("configuration-not-applied", "change_configuration", "§5.3: Accepted means applied"),
        Fault("start-when-refused", "start_transaction", "§4.1/§4.8: no transaction after Authorize Invalid"),
        Fault("ignore-remote-stop", "stop_transaction", "§5.12: an accepted RemoteStop stops"),
        Fault("no-status-after-stop", "stop_transaction", "§4.9: the connector leaves Charging"),
        Fault("measurand-not-sampled", "meter_values", "§9.1.17: accepted measurands are sampled"),
        Fault("interval-ignored", "meter_values", "§9.1.19 MeterValueSampleInterval"),
        Fault("no-reboot-on-reset", "reset", "§5.14: an accepted Reset reboots"),
        Fault("installed-without-downloading", "firmware_update", "§4.5: Downloading before Installed"),
        Fault("upload-fails", "diagnostics", "§4.4: the upload ends Uploaded"),
        Fault("clear-cache-rejected", "clear_cache", "§5.4: a cache that is enabled is cleared"),
        Fault("clear-cache-not-implemented", "clear_cache", "§3.3, §5.4: ClearCache is Core"),
        Fault("trigger-ignored", "trigger_message", "§5.17: the requested message is sent"),
    )
}


@dataclass
class Tx:
    """A transaction as the charger knows it."""

    connector: int
    tag: str
    meter_start: int
    started: float  # charger clock
    id: int | None = None  # ours, once StartTransaction was answered
    next_sample: float | None = None  # charger clock


@dataclass
class Connector:
    status: str = "Available"
    error: str = "NoError"
    reported: tuple[str, str] | None = None  # the last (status, errorCode) our server was told
    plugged: bool = False
    operative: bool = True
    scheduled: str | None = None  # an availability change waiting for the transaction's end (§5.2)
    tx: Tx | None = None
    authorized: str | None = None  # a card presented before the plug
    timeout_at: float | None = None  # ConnectionTimeOut while Preparing
    report_at: float | None = None  # MinimumStatusDuration: when the current status may be reported


@dataclass
class Attempt:
    item: int
    started_seq: int
    ended: bool = False


@dataclass
class Bench:
    """Our side: the central system's answers, the session's commands, the log."""

    frames: list = field(default_factory=list)
    now: float = 0.0  # seconds after T0, our clock
    server_connected: bool = False
    next_tx: int = 1
    attempts: dict[int, Attempt] = field(default_factory=dict)
    files: list = field(default_factory=list)
    auto_trigger: bool = True
    options: dict = field(default_factory=dict)
    _uid: int = 0

    # -- the log ---------------------------------------------------------------------

    def tick(self, seconds: float = 0.001) -> float:
        self.now += seconds
        return self.now

    def frame(self, direction, message_type, action, unique_id, body, sent_by="") -> SimpleNamespace:
        self.tick()
        seq = len(self.frames) + 1
        record = SimpleNamespace(
            id=seq,
            seq=seq,
            ts=T0 + timedelta(seconds=self.now),
            direction=direction,
            message_type=message_type,
            action=action,
            unique_id=unique_id,
            raw=json.dumps(body, separators=(",", ":")),
            sent_by=sent_by,
            note="",
        )
        self.frames.append(record)
        return record

    def event(self, name: str, details: dict | None = None, **more) -> None:
        self.frame("event", None, "", "", {"event": name, **(details or {}), **more})

    def uid(self, prefix: str) -> str:
        self._uid += 1
        return f"{prefix}{self._uid}"

    @property
    def last_seq(self) -> int:
        return len(self.frames)

    def lines(self) -> list[str]:
        """The log as the JSON Lines export writes it."""
        out = []
        for f in self.frames:
            record = {k: getattr(f, k) for k in ("seq", "direction", "message_type", "action", "unique_id", "raw")}
            record["ts"] = f.ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            record["sent_by"] = f.sent_by
            out.append(json.dumps(record, separators=(",", ":")))
        return out

    # -- attempts ---------------------------------------------------------------------

    def start_attempt(self, item: int) -> None:
        current = self.attempts.get(item)
        if current is not None and not current.ended:
            self.end_attempt(item, "abandoned")
        self.event("attempt-started", item=str(item))
        self.attempts[item] = Attempt(item, self.last_seq)

    def ensure_attempt(self, item: int) -> None:
        current = self.attempts.get(item)
        if current is None or current.ended:
            self.start_attempt(item)

    def end_attempt(self, item: int, outcome: str) -> None:
        self.attempts[item].ended = True
        self.event("attempt-ended", item=str(item), outcome=outcome)

    # -- our answers to the charger (chargers.protocol) -----------------------------

    def answer(self, action: str, payload: dict) -> dict:
        if action == "BootNotification":
            when = (T0 + timedelta(seconds=self.now)).isoformat()
            return {"status": "Accepted", "currentTime": when, "interval": HEARTBEAT_INTERVAL}
        if action == "Heartbeat":
            return {"currentTime": (T0 + timedelta(seconds=self.now)).isoformat()}
        if action == "Authorize":
            return {"idTagInfo": self.id_tag_info(payload["idTag"])}
        if action == "StartTransaction":
            tx = self.next_tx
            self.next_tx += 1
            return {"transactionId": tx, "idTagInfo": self.id_tag_info(payload["idTag"])}
        if action == "StopTransaction":
            return {"idTagInfo": self.id_tag_info(payload["idTag"])} if "idTag" in payload else {}
        return {}

    def id_tag_info(self, tag: str) -> dict:
        return {"status": "Invalid" if tag == BAD else "Accepted"}

    def trigger_after_boot(self, charger: Charger) -> None:
        """Item 18's TriggerMessage after every boot (certify.reactions)."""
        self.tick(0.3)
        _send_command(
            self, charger, "TriggerMessage", {"requestedMessage": "StatusNotification"}, "certify:auto case:18"
        )


def _iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Charger:
    """An OCPP 1.6 charger writing into the bench's log. Time moves only through `advance`."""

    def __init__(self, bench: Bench, traits: Traits, fault: Fault | None = None) -> None:
        self.bench, self.traits, self.fault = bench, traits, fault
        self.connectors = {c: Connector() for c in range(0, traits.connectors + 1)}
        self.config = self._initial_config()
        self.online = False  # the socket as the charger knows it
        self.link = True  # the network
        self.boot_at: float | None = 0.5  # when the next boot completes
        self.lost_at: float | None = None  # an outage the server has not noticed yet
        self.offline_until: float | None = None  # the bench refuses reconnects until then (item 16)
        self.queue: list[list] = []  # [action, payload, tx]: transaction messages while offline (§3.7)
        self.last_activity = 0.0
        self.last_heartbeat = 0.0
        self.energy = 1000
        self.firmware = "1.0"
        self.resets_seen = 0
        self.jobs: list[tuple[float, int, str, tuple]] = []  # (when, n, kind, args)
        self._jobs = 0
        self.profiles_installed: set[tuple[int, int]] = set()
        self.cache: set[str] = set()
        self.ignored_interval: int | None = None  # fault ignore-heartbeat-interval: the interval kept
        self.pending_reboot: dict[str, str] = {}  # RebootRequired values, applied at the next boot
        self.after: list = []
        self.muted: set[int] = set()  # fault no-status-after-stop: connectors it no longer reports

    # -- configuration ---------------------------------------------------------------------

    def _initial_config(self) -> dict[str, list]:
        t = self.traits
        config = {
            "HeartbeatInterval": [str(HEARTBEAT_INTERVAL), False],
            "ConnectionTimeOut": ["60", False],
            "MeterValueSampleInterval": ["30", False],
            "MeterValuesSampledData": ["Energy.Active.Import.Register", False],
            "StopTxnSampledData": ["Energy.Active.Import.Register" if t.stop_txn_data else "", False],
            "NumberOfConnectors": [str(t.connectors), True],
            "SupportedFeatureProfiles": [",".join(t.profiles), True],
            "AuthorizeRemoteTxRequests": ["true" if t.authorize_remote else "false", False],
            "LocalAuthorizeOffline": ["true", False],
            "MinimumStatusDuration": [str(t.minimum_status_duration), False],
            "GetConfigurationMaxKeys": ["100", True],
        }
        if t.cache != "absent":
            config["AuthorizationCacheEnabled"] = ["true" if t.cache == "enabled" else "false", False]
        if t.stop_on_unplug != "absent":
            config["StopTransactionOnEVSideDisconnect"] = [t.stop_on_unplug, False]
        if t.supports("SmartCharging"):
            config["ChargingScheduleAllowedChargingRateUnit"] = [t.rate_units, True]
            config["ChargeProfileMaxStackLevel"] = [str(t.max_stack_level), True]
            config["MaxChargingProfilesInstalled"] = [str(t.max_profiles), True]
            config["ChargingScheduleMaxPeriods"] = ["24", True]
        return config

    def value(self, key: str) -> str:
        return self.config.get(key, [""])[0]

    def number(self, key: str) -> int:
        try:
            return int(self.value(key))
        except ValueError:
            return 0

    def _find_key(self, key: str) -> str | None:
        """Keys are CiStrings: compared without case (§7.17)."""
        return next((k for k in self.config if k.lower() == str(key).lower()), None)

    def stops_on_unplug(self) -> bool:
        value = self.value("StopTransactionOnEVSideDisconnect")
        return self.traits.unplug_default_stops if not value else value == "true"

    @property
    def clock(self) -> float:
        """The charger's own clock, seconds after T0."""
        return self.bench.now + self.traits.clock_skew

    def broken(self, name: str) -> bool:
        return self.fault is not None and self.fault.name == name

    # -- time --------------------------------------------------------------------------------

    def schedule(self, delay: float, kind: str, *args) -> None:
        self._jobs += 1
        self.jobs.append((self.bench.now + delay, self._jobs, kind, args))

    def advance(self, seconds: float) -> None:
        """Let time pass: timers fire in order (boot, heartbeats, samples, timeouts, jobs)."""
        end = self.bench.now + seconds
        for _ in range(10_000):
            due = self._next_due()
            if due is None or due[0] > end:
                break
            self.bench.now = max(self.bench.now, due[0])
            due[1]()
        self.bench.now = max(self.bench.now, end)

    def _next_due(self):
        options = []
        if self.boot_at is not None:
            options.append((self.boot_at, self._boot))
        if self.jobs:
            job = min(self.jobs)
            options.append((job[0], lambda job=job: self._run_job(job)))
        if self.online:
            options.append((self._heartbeat_due(), self._heartbeat))
        for c, conn in self.connectors.items():
            if conn.report_at is not None and self.online:
                options.append((conn.report_at, lambda c=c: self._report(c)))
            if conn.timeout_at is not None:
                options.append((conn.timeout_at, lambda c=c: self._connection_timeout(c)))
            if conn.tx is not None and conn.tx.next_sample is not None and self.boot_at is None:
                options.append((conn.tx.next_sample - self.traits.clock_skew, lambda c=c: self._sample(c)))
        if self.lost_at is not None and self.traits.outage_notice == "late" and self.bench.server_connected:
            options.append((self.lost_at + self.traits.ping_timeout, self._server_notices))
        return min(options, key=lambda o: o[0]) if options else None

    def _run_job(self, job) -> None:
        self.jobs.remove(job)
        getattr(self, "_job_" + job[2])(*job[3])

    def _heartbeat_due(self) -> float:
        interval = self.ignored_interval or self.number("HeartbeatInterval") or HEARTBEAT_INTERVAL
        since = self.last_heartbeat if self.traits.inactivity == "timer" else self.last_activity
        return max(since + interval, self.bench.now)

    def _heartbeat(self) -> None:
        self.call("Heartbeat", {})
        self.last_heartbeat = self.bench.now

    def _server_notices(self) -> None:
        """The ping timeout: our server closes a socket that went quiet."""
        self.bench.event("disconnected", code=1006)
        self.bench.server_connected = False
        self.lost_at = None

    # -- talking ---------------------------------------------------------------------------

    def call(self, action: str, payload: dict, tx: Tx | None = None) -> dict | None:
        """Send a CALL; transaction messages wait in the queue while offline (§3.7),
        other messages of an offline period are not sent."""
        transactional = action in ("StartTransaction", "StopTransaction") or (
            action == "MeterValues" and "transactionId" in payload
        )
        if not self.online or (transactional and self.queue):
            if transactional:
                self.queue.append([action, payload, tx])
            return None
        return self._send(action, payload, tx)

    def _send(self, action: str, payload: dict, tx: Tx | None) -> dict:
        uid = self.bench.uid("c")
        self.bench.frame("in", 2, action, uid, [2, uid, action, payload])
        self.last_activity = self.bench.now
        if self.broken("boot-breaks-schema") and action == "BootNotification":
            self.bench.frame("out", 4, action, uid, [4, uid, "OccurenceConstraintViolation", "", {}])
            return {}
        answer = self.bench.answer(action, payload)
        self.bench.frame("out", 3, action, uid, [3, uid, answer])
        if action == "StartTransaction" and tx is not None:
            tx.id = answer["transactionId"]
            for queued in self.queue:
                if queued[2] is tx and "transactionId" in queued[1]:
                    queued[1]["transactionId"] = tx.id
        accepted = (answer.get("idTagInfo") or {}).get("status") == "Accepted"
        if (
            action in ("Authorize", "StartTransaction")
            and accepted
            and self.value("AuthorizationCacheEnabled") == "true"
        ):
            self.cache.add(payload["idTag"])
        return answer

    def _drain(self) -> None:
        while self.online and self.queue:
            action, payload, tx = self.queue.pop(0)
            self.bench.tick(0.05)
            self._send(action, payload, tx)

    # -- statuses (§4.9) ---------------------------------------------------------------------

    def set_status(self, c: int, status: str, error: str = "NoError") -> None:
        conn = self.connectors[c]
        if (conn.status, conn.error) == (status, error):
            return
        conn.status, conn.error = status, error
        if self.broken("availability-not-reported") and status == "Unavailable":
            return
        if not self.online:
            return  # reported, if still current, after the reconnect
        conn.report_at = self.bench.now + self.traits.minimum_status_duration
        if self.traits.minimum_status_duration == 0:
            self._report(c)

    def _report(self, c: int) -> None:
        conn = self.connectors[c]
        conn.report_at = None
        if self.online and conn.reported != (conn.status, conn.error):
            self._status_now(c)

    def _status_now(self, c: int) -> None:
        conn = self.connectors[c]
        conn.report_at = None
        if (c == 0 and not self.traits.report_connector0) or c in self.muted:
            return
        conn.reported = (conn.status, conn.error)
        payload = {"connectorId": c, "status": conn.status, "errorCode": conn.error, "timestamp": _iso(self.clock)}
        self.call("StatusNotification", payload)
        self.bench.tick(0.01)

    # -- connection, boot, reboots --------------------------------------------------------------

    def _connect(self) -> bool:
        """Open the socket, if the network and our server let it."""
        if not self.link:
            return False
        if self.offline_until is not None and self.bench.now < self.offline_until:
            self.bench.event("refused", reason="taken offline")
            return False
        self.offline_until = None
        if self.bench.server_connected:
            self.bench.event("replaced", by="a new connection")
        self.bench.event("connected", subprotocol="ocpp1.6")
        self.bench.server_connected = True
        self.online = True
        self.lost_at = None
        self.last_activity = self.last_heartbeat = self.bench.now
        return True

    def _boot(self) -> None:
        self.boot_at = None
        if not self._connect():
            self.boot_at = self.bench.now + 10
            return
        boot = {"chargePointVendor": "Model", "chargePointModel": "M1", "chargePointSerialNumber": "S1"}
        if self.broken("boot-breaks-schema"):
            boot.pop("chargePointModel")
        boot["firmwareVersion"] = self.firmware
        if self.traits.iccid:
            boot["iccid"] = "8931"
        answer = self.call("BootNotification", boot)
        if answer and answer.get("interval"):
            self.config["HeartbeatInterval"][0] = str(answer["interval"])  # §4.2
        self.bench.tick(0.05)
        for c, conn in self.connectors.items():
            conn.reported = None
            self._status_now(c)
        self._drain()
        if self.bench.auto_trigger:
            self.bench.trigger_after_boot(self)

    def _job_reconnect(self) -> None:
        if self.online or self.boot_at is not None:
            return
        if not self._connect():
            self.schedule(10, "reconnect")
            return
        # §4.9: the current statuses only, never the historical ones; and the queue (§3.7).
        if not self.traits.statuses_before_queue:
            self._drain()
        for c, conn in self.connectors.items():
            if conn.reported != (conn.status, conn.error):
                self._status_now(c)
        self._drain()

    def _go_offline(self, noticed: bool) -> None:
        self.online = False
        for conn in self.connectors.values():
            conn.report_at = None
        if not self.bench.server_connected:
            return
        if noticed:
            self.bench.event("disconnected", code=1000)
            self.bench.server_connected = False
        else:
            self.lost_at = self.bench.now

    def reboot(self, reason: str, down: float) -> None:
        """Go down (a reset, a firmware update or a power cut) and boot after `down` s (§5.14)."""
        for c, conn in self.connectors.items():
            if conn.tx is not None:
                # A soft reset stops gracefully; otherwise the stop is sent after the boot (§5.14, §4.10).
                self.stop(c, reason, after_boot=reason != "SoftReset")
            conn.timeout_at = None
            conn.authorized = None
        self._go_offline(noticed=reason == "SoftReset" or self.traits.outage_notice == "prompt")
        for key, value in self.pending_reboot.items():
            self.config[key][0] = value
        self.pending_reboot = {}
        for c, conn in self.connectors.items():
            if conn.scheduled is not None:
                conn.operative, conn.scheduled = conn.scheduled == "Operative", None
            if conn.status == "Faulted":
                continue
            if not conn.operative:
                conn.status = "Unavailable"
            elif conn.plugged and c:
                conn.status = "Preparing"
                conn.timeout_at = self.bench.now + down + self.number("ConnectionTimeOut")
            else:
                conn.status = "Available"
        self.boot_at = self.bench.now + down

    def network_lost(self) -> None:
        if not self.link:
            return
        self.link = False
        if self.online:
            self._go_offline(noticed=self.traits.outage_notice == "prompt")

    def network_back(self) -> None:
        if self.link:
            return
        self.link = True
        if self.boot_at is None:
            self.schedule(2.0, "reconnect")

    def taken_offline(self, seconds: float) -> None:
        """The bench closes the socket and refuses reconnects for a while (item 16)."""
        if not self.bench.server_connected:
            return
        self.bench.event("offline", seconds=seconds)
        self.offline_until = self.bench.now + seconds
        self.bench.event("disconnected", code=1000)
        self.bench.server_connected = False
        if self.online:
            self.online = False
            for conn in self.connectors.values():
                conn.report_at = None
            self.schedule(3.0, "reconnect")

    # -- physical steps ------------------------------------------------------------------------

    def plug(self, c: int) -> None:
        conn = self.connectors[c]
        if conn.plugged:
            return
        conn.plugged = True
        if conn.status not in ("Available", "Preparing") or not conn.operative:
            return
        if conn.authorized is not None:
            tag, conn.authorized, conn.timeout_at = conn.authorized, None, None
            self.start(c, tag)  # §4.9 A3 when Preparing was not reported
            return
        self.set_status(c, "Preparing")
        conn.timeout_at = self.bench.now + self.number("ConnectionTimeOut")

    def unplug(self, c: int) -> None:
        conn = self.connectors[c]
        if not conn.plugged:
            return
        conn.plugged = False
        if conn.tx is not None:
            if self.stops_on_unplug():
                self.stop(c, "EVDisconnected")
            else:
                self.set_status(c, "SuspendedEV")  # the transaction goes on (§9.1.23)
            return
        if conn.status in ("Preparing", "Finishing") and conn.authorized is None:
            conn.timeout_at = None
            self._idle(c)

    def _idle(self, c: int) -> None:
        """The driver has left: a scheduled availability change applies now (§5.2), else Available."""
        conn = self.connectors[c]
        if conn.scheduled is not None:
            conn.operative, conn.scheduled = conn.scheduled == "Operative", None
            station = self.connectors[0]
            if station.scheduled is not None and all(k.scheduled is None for n, k in self.connectors.items() if n):
                station.operative, station.scheduled = station.scheduled == "Operative", None
                self.set_status(0, "Available" if station.operative else "Unavailable")
        self.set_status(c, "Available" if conn.operative else "Unavailable")

    def swipe(self, tag: str, c: int) -> None:
        conn = self.connectors[c]
        if conn.tx is not None:
            if conn.tx.tag == tag:
                self.stop(c, "Local")
            return
        if conn.status not in ("Available", "Preparing") or not conn.operative or conn.authorized is not None:
            return
        known = tag in self.cache
        if self.online and not (known and self.traits.start_from_cache):
            answer = self.call("Authorize", {"idTag": tag})
            accepted = (answer or {}).get("idTagInfo", {}).get("status") == "Accepted"
            if not accepted and not self.broken("start-when-refused"):
                return
        elif not self.online and not known and tag != GOOD:
            return  # LocalAuthorizeOffline: only cards it knows (its cache or local list, §3.5)
        if conn.plugged:
            conn.timeout_at = None
            self.start(c, tag)
            return
        conn.authorized = tag
        if self.traits.preparing:
            self.set_status(c, "Preparing")
        conn.timeout_at = self.bench.now + self.number("ConnectionTimeOut")

    def _connection_timeout(self, c: int) -> None:
        """§9.1.6: nothing started within ConnectionTimeOut."""
        conn = self.connectors[c]
        conn.timeout_at = None
        conn.authorized = None
        if conn.tx is not None or conn.status != (
            "Preparing" if conn.plugged or self.traits.preparing else "Available"
        ):
            return
        if conn.plugged and self.traits.timeout_to == "Finishing":
            self.set_status(c, "Finishing")  # B6; Available once unplugged
        elif not conn.plugged or self.traits.timeout_to == "Available":
            self._idle(c)

    def fault_on(self, c: int, code: str) -> None:
        conn = self.connectors[c]
        if conn.tx is not None and code != "EVCommunicationError":
            return
        if code == "EVCommunicationError":
            # A warning: the status stays; it SHALL only go with Preparing, SuspendedEV,
            # SuspendedEVSE and Finishing (§4.9), so in other statuses there is none to report.
            if conn.status in ("Preparing", "SuspendedEV", "SuspendedEVSE", "Finishing"):
                self.set_status(c, conn.status, code)
        else:
            self.set_status(c, "Faulted", code)

    def fault_off(self, c: int) -> None:
        conn = self.connectors[c]
        if conn.error == "NoError":
            return
        if conn.status != "Faulted":
            self.set_status(c, conn.status)
        elif not conn.operative:
            self.set_status(c, "Unavailable")
        else:
            self.set_status(c, "Preparing" if conn.plugged and c else "Available")
            if conn.plugged and c:
                conn.timeout_at = self.bench.now + self.number("ConnectionTimeOut")

    # -- transactions (§4.8, §4.10, §3.7) --------------------------------------------------------

    def start(self, c: int, tag: str) -> None:
        conn = self.connectors[c]
        tx = Tx(c, tag, self.energy, self.clock)
        conn.tx = tx
        payload = {"connectorId": c, "idTag": tag, "meterStart": self.energy, "timestamp": _iso(self.clock)}
        if self.traits.charging_first:
            self.set_status(c, "Charging")
        self.call("StartTransaction", payload, tx)
        self.bench.tick(0.05)
        self.set_status(c, "Charging")
        if self.traits.begin_sample:
            self._meter(c, "Transaction.Begin")
        interval = self.number("MeterValueSampleInterval")
        tx.next_sample = self.clock + interval if interval > 0 else None

    def stop(self, c: int, reason: str, after_boot: bool = False) -> None:
        conn = self.connectors[c]
        tx, conn.tx = conn.tx, None
        if tx is None:
            return
        self.energy += 1
        payload = {"transactionId": tx.id, "meterStop": self.energy, "timestamp": _iso(self.clock)}
        if not (reason == "Local" and self.traits.omit_local_reason):
            payload["reason"] = reason
        if reason == "Local":
            payload["idTag"] = tx.tag
        if self.value("StopTxnSampledData"):
            payload["transactionData"] = [self._values("Transaction.End", self.value("StopTxnSampledData"))]
        if after_boot:
            self.queue.append(["StopTransaction", payload, tx])
            return
        finishing = conn.plugged and self.traits.finishing != "none"
        if finishing and self.traits.finishing == "before":
            self.set_status(c, "Finishing")
        self.call("StopTransaction", payload, tx)
        self.bench.tick(0.05)
        if self.broken("no-status-after-stop"):
            self.muted.add(c)  # it reports nothing more of this connector
        if finishing:
            self.set_status(c, "Finishing")
        else:
            self._idle(c)

    def _values(self, context: str, sampled: str | None = None) -> dict:
        wanted = [m.strip() for m in (sampled or self.value("MeterValuesSampledData")).split(",") if m.strip()]
        if self.broken("measurand-not-sampled"):
            wanted = [m for m in wanted if m != "Voltage"]
        values = []
        for m in wanted:
            value = {"Energy.Active.Import.Register": self.energy, "Power.Active.Import": 7200}.get(m, 230)
            values.append({"value": str(value), "measurand": m, "context": context})
        return {"timestamp": _iso(self.clock), "sampledValue": values}

    def _meter(self, c: int, context: str) -> None:
        tx = self.connectors[c].tx
        payload = {"connectorId": c, "transactionId": tx.id, "meterValue": [self._values(context)]}
        self.call("MeterValues", payload, tx)

    def _sample(self, c: int) -> None:
        tx = self.connectors[c].tx
        self.energy += 10
        self._meter(c, "Sample.Periodic")
        interval = self.number("MeterValueSampleInterval")
        if self.broken("interval-ignored"):
            interval *= 4
        tx.next_sample = tx.next_sample + interval if interval > 0 else None

    # -- notifications that wait for the connection ------------------------------------------------

    def _notify(self, action: str, status: str) -> None:
        """Firmware and diagnostics notifications are not queued by OCPP; this charger holds them
        until it is connected again."""
        if not self.online:
            self.schedule(5, "notify", action, status)
            return
        self.call(action, {"status": status})

    def _job_notify(self, action: str, status: str) -> None:
        self._notify(action, status)

    # -- commands from the bench (chapter 5) -------------------------------------------------------

    def handle(self, action: str, payload: dict) -> tuple[str, dict]:
        """Our answer to a command: ("result", payload) or ("error", {"code"}); the effects
        that follow the answer go into `self.after`."""
        self.after = []
        profile = {
            "UpdateFirmware": "FirmwareManagement",
            "GetDiagnostics": "FirmwareManagement",
            "SetChargingProfile": "SmartCharging",
            "ClearChargingProfile": "SmartCharging",
            "GetCompositeSchedule": "SmartCharging",
            "TriggerMessage": "RemoteTrigger",
        }.get(action, "Core")
        if not self.traits.supports(profile):
            return "error", {"code": "NotImplemented"}  # OCPP-J §4.2.3
        if action == "ClearCache" and self.broken("clear-cache-not-implemented"):
            return "error", {"code": "NotImplemented"}
        return getattr(self, "on_" + action)(payload)

    def on_ChangeAvailability(self, p):
        c, kind = p["connectorId"], p["type"]
        if c not in self.connectors:
            return "result", {"status": "Rejected"}  # no such connector
        targets = [c] if c else list(self.connectors)
        if any(self.connectors[t].status == "Preparing" and self.connectors[t].tx is None for t in targets):
            return "result", {"status": "Rejected"}  # §4.9 has no Preparing -> Unavailable
        busy = [t for t in targets if t and self.connectors[t].tx is not None]
        for t in targets:
            conn = self.connectors[t]
            if t in busy or (t == 0 and busy):
                conn.scheduled = kind  # when its transaction ends and the driver leaves
                continue
            conn.operative, conn.scheduled = kind == "Operative", None
            if conn.status == "Faulted":
                continue
            want = "Available" if conn.operative else "Unavailable"
            if conn.operative and conn.plugged and t:
                want = "Preparing"
            if conn.status != want and (conn.status in ("Available", "Unavailable", "Finishing")):
                self.after.append(lambda t=t, want=want: self._availability(t, want))
        return "result", {"status": "Scheduled" if busy else "Accepted"}

    def _availability(self, c: int, status: str) -> None:
        self.set_status(c, status)
        if status == "Preparing":
            self.connectors[c].timeout_at = self.bench.now + self.number("ConnectionTimeOut")

    def on_GetConfiguration(self, p):
        keys = p.get("key")
        if keys:
            found = [self._find_key(k) for k in keys]
            entries = [self._entry(k) for k in found if k]
            unknown = [k for k, f in zip(keys, found, strict=True) if not f]
            return "result", {"configurationKey": entries, **({"unknownKey": unknown} if unknown else {})}
        if self.broken("empty-configuration"):
            return "result", {"configurationKey": []}
        return "result", {"configurationKey": [self._entry(k) for k in self.config]}

    def _entry(self, key: str) -> dict:
        value, readonly = self.config[key]
        spelled = key.lower() if self.traits.key_case == "lower" else key
        return {"key": spelled, "readonly": readonly, "value": value}

    def on_ChangeConfiguration(self, p):
        key, value = self._find_key(p["key"]), str(p["value"])
        if key is None:
            return "result", {"status": "NotSupported"}
        if self.config[key][1]:
            return "result", {"status": "Rejected"}  # read-only
        minimum = {"HeartbeatInterval": 10, "MeterValueSampleInterval": 5, "ConnectionTimeOut": 10}.get(key)
        if minimum is not None:
            if not value.isdigit() or (
                int(value) < minimum and not (key == "MeterValueSampleInterval" and value == "0")
            ):
                return "result", {"status": "Rejected"}  # out of range (§5.3)
        if key in ("MeterValuesSampledData", "StopTxnSampledData"):
            if any(m.strip() not in self.traits.measurands for m in value.split(",") if m.strip()):
                return "result", {"status": "Rejected"}  # a measurand it cannot sample (§3.16.4)
        if key in self.traits.reboot_keys:
            self.pending_reboot[key] = value
            return "result", {"status": "RebootRequired"}
        if self.broken("configuration-not-applied"):
            return "result", {"status": "Accepted"}
        if key == "HeartbeatInterval" and self.broken("ignore-heartbeat-interval"):
            self.ignored_interval = self.ignored_interval or self.number("HeartbeatInterval")
        self.config[key][0] = value
        if key == "MeterValueSampleInterval":
            # §5.3: in force from now on, also for a transaction under way.
            for conn in self.connectors.values():
                if conn.tx is not None:
                    conn.tx.next_sample = self.clock + int(value) if int(value) > 0 else None
        return "result", {"status": "Accepted"}

    def on_RemoteStartTransaction(self, p):
        c, tag = p.get("connectorId") or 1, p["idTag"]
        conn = self.connectors.get(c)
        if (
            conn is None
            or c == 0
            or conn.tx is not None
            or conn.authorized is not None
            or not conn.operative
            or conn.status not in ("Available", "Preparing")
        ):
            return "result", {"status": "Rejected"}  # §5.11: unavailable or occupied

        def go():
            if self.traits.authorize_remote:
                answer = self.call("Authorize", {"idTag": tag})  # §5.11: as for a local card
                if (answer or {}).get("idTagInfo", {}).get("status") != "Accepted":
                    return
            if conn.tx is not None or conn.status not in ("Available", "Preparing"):
                return
            if conn.plugged:
                conn.timeout_at = None
                self.start(c, tag)
                return
            conn.authorized = tag
            if self.traits.preparing:
                self.set_status(c, "Preparing")
            conn.timeout_at = self.bench.now + self.number("ConnectionTimeOut")

        self.after.append(go)
        return "result", {"status": "Accepted"}

    def on_RemoteStopTransaction(self, p):
        for c, conn in self.connectors.items():
            if conn.tx is not None and conn.tx.id is not None and conn.tx.id == p.get("transactionId"):
                if not self.broken("ignore-remote-stop"):
                    self.after.append(lambda c=c: self.stop(c, "Remote"))
                return "result", {"status": "Accepted"}
        return "result", {"status": "Rejected"}  # §5.12: no such transaction

    def on_Reset(self, p):
        self.resets_seen += 1
        if self.traits.reject_first_reset and self.resets_seen == 1:
            return "result", {"status": "Rejected"}  # §7.41
        if not self.broken("no-reboot-on-reset"):
            reason = "SoftReset" if p["type"] == "Soft" else "HardReset"
            self.after.append(lambda: self.reboot(reason, self.traits.reboot_seconds))
        return "result", {"status": "Accepted"}

    def on_UpdateFirmware(self, p):
        if self.broken("installed-without-downloading"):
            self.schedule(2, "notify", "FirmwareStatusNotification", "Installed")
            return "result", {}
        delay = 2.0
        self.schedule(delay, "notify", "FirmwareStatusNotification", "Downloading")
        if self.traits.download_retry:
            delay += 5
            self.schedule(delay, "notify", "FirmwareStatusNotification", "DownloadFailed")
            delay += 90  # UpdateFirmware.retryInterval is the charger's to choose when absent (§6.55)
            self.schedule(delay, "notify", "FirmwareStatusNotification", "Downloading")
        for state in ("Downloaded", "Installing"):
            delay += 3
            self.schedule(delay, "notify", "FirmwareStatusNotification", state)
        self.schedule(delay + 3, "firmware_install")
        return "result", {}

    def _job_firmware_install(self) -> None:
        if any(conn.tx is not None for conn in self.connectors.values()) or not self.online:
            self.schedule(30, "firmware_install")  # not while charging or offline
            return
        if self.traits.version_changes:
            self.firmware = FIRMWARE
        if self.traits.reboot_before_installed:
            self.reboot("Reboot", 30)  # §5.19: good practice
            self.schedule(40, "notify", "FirmwareStatusNotification", "Installed")
        else:
            self.call("FirmwareStatusNotification", {"status": "Installed"})
            self.bench.tick(0.5)
            self.reboot("Reboot", 30)

    def on_GetDiagnostics(self, p):
        if self.traits.diagnostics_empty:
            return "result", {}  # §5.9: nothing in that window, no file name
        self.schedule(1, "notify", "DiagnosticsStatusNotification", "Uploading")
        if self.broken("upload-fails"):
            self.schedule(5, "notify", "DiagnosticsStatusNotification", "UploadFailed")
        elif self.traits.upload_retry:
            self.schedule(5, "notify", "DiagnosticsStatusNotification", "UploadFailed")
            self.schedule(90, "notify", "DiagnosticsStatusNotification", "Uploading")  # retryInterval (§6.25)
            self.schedule(95, "upload")
        else:
            self.schedule(5, "upload")
        return "result", {"fileName": "diag.log"}

    def _job_upload(self) -> None:
        if not self.link:
            self.schedule(10, "upload")
            return
        self.bench.files.append(
            {
                "id": len(self.bench.files) + 1,
                "kind": "diagnostics",
                "name": "diag.log",
                "size": 42,
                "created_at": T0 + timedelta(seconds=self.bench.now),
            }
        )
        self.bench.event("file-received", {"kind": "diagnostics", "name": "diag.log", "size": 42, "sha256": ""})
        self.bench.tick(0.2)
        self._notify("DiagnosticsStatusNotification", "Uploaded")

    def on_SetChargingProfile(self, p):
        c, profile = p["connectorId"], p["csChargingProfiles"]
        unit = {"A": "Current", "W": "Power"}.get(profile["chargingSchedule"]["chargingRateUnit"])
        if c not in self.connectors or unit not in self.traits.rate_units.split(","):
            return "result", {"status": "Rejected"}  # §9.4.2
        if profile.get("stackLevel", 0) > self.traits.max_stack_level:
            return "result", {"status": "Rejected"}  # ChargeProfileMaxStackLevel
        key = (c, profile["chargingProfileId"])
        if key not in self.profiles_installed and len(self.profiles_installed) >= self.traits.max_profiles:
            return "result", {"status": "Rejected"}  # MaxChargingProfilesInstalled
        self.profiles_installed.add(key)
        return "result", {"status": "Accepted"}

    def on_ClearCache(self, p):
        if self.broken("clear-cache-rejected"):
            return "result", {"status": "Rejected"}
        if self.value("AuthorizationCacheEnabled") == "true":
            self.cache.clear()
            return "result", {"status": "Accepted"}
        # §5.4: Accepted if executed, otherwise Rejected: without a cache there is nothing to execute.
        return "result", {"status": self.traits.clear_without_cache}

    def on_TriggerMessage(self, p):
        what, c = p["requestedMessage"], p.get("connectorId")
        if c is not None and (c not in self.connectors or (c == 0 and not self.traits.report_connector0)):
            return "result", {"status": "Rejected"}
        if what not in ("StatusNotification", "Heartbeat", "MeterValues"):
            return "result", {"status": "NotImplemented"}
        if self.traits.trigger_answer != "Accepted":
            return "result", {"status": self.traits.trigger_answer}
        if not self.broken("trigger-ignored"):
            if what == "Heartbeat":
                self.after.append(self._heartbeat)
            elif what == "StatusNotification":
                targets = [c] if c is not None else list(self.connectors)
                self.after.append(lambda: [self._status_now(t) for t in targets])
            else:
                self.after.append(lambda: self.call("MeterValues", {"connectorId": c or 0, "meterValue": []}))
        return "result", {"status": "Accepted"}


def _send_command(bench: Bench, charger: Charger, action: str, payload: dict, sent_by: str) -> None:
    """Our CALL: stored, then answered by the charger if it hears it (chargers.commands)."""
    if not bench.server_connected:
        return  # "not connected": nothing is sent
    uid = bench.uid("u")
    bench.frame("out", 2, action, uid, [2, uid, action, payload], sent_by)
    if not charger.online:
        return  # the server did not notice the outage yet: no answer comes
    if charger.traits.inactivity == "any":
        charger.last_activity = bench.now
    answer = charger.handle(action, payload)
    bench.tick(0.05)
    if answer[0] == "error":
        bench.frame("in", 4, action, uid, [4, uid, answer[1]["code"], "", {}])
    else:
        bench.frame("in", 3, action, uid, [3, uid, answer[1]])
    for effect in charger.after:
        bench.tick(0.05)
        effect()


class Session:
    """A certification session: a bench, a charger, and the engineer's moves."""

    def __init__(self, traits: Traits, fault: Fault | None = None, auto_trigger: bool = True) -> None:
        # The lab: how soon its server notices a dead connection (pings), or never when they are off.
        notice = None if traits.outage_notice == "reconnect" else traits.ping_timeout + 5
        options = {"id_tag": GOOD, "refused_id_tag": BAD, "notice_time": notice}
        self.bench = Bench(auto_trigger=auto_trigger, options=options)
        self.charger = Charger(self.bench, traits, fault)
        self.traits = traits
        self.checkpoint = None  # called after every wait: the judge looks at the log then
        self.charger.advance(1)
        self.preflight()

    @property
    def now(self) -> float:
        return self.bench.now

    def preflight(self) -> None:
        _send_command(self.bench, self.charger, "GetConfiguration", {}, "certify:preflight")

    def command(self, item: int, action: str, payload: dict) -> None:
        if not self.bench.server_connected:
            return
        self.bench.ensure_attempt(item)
        _send_command(self.bench, self.charger, action, payload, f"user:ada case:{item}")

    def wait(self, seconds: float) -> None:
        self.charger.advance(seconds)
        if self.checkpoint is not None:
            self.checkpoint()

    def rate_unit(self) -> str:
        """The unit item 14's preset uses: one the charger allows (§9.4.2)."""
        return "A" if "Current" in self.traits.rate_units else "W"

    def open_transaction(self, connector: int) -> int:
        tx = self.charger.connectors[connector].tx
        return tx.id if tx is not None and tx.id is not None else 0

    # -- the engineer's hands: a person takes a moment for each -------------------------------

    def plug(self, c: int) -> None:
        self.wait(1)
        self.charger.plug(c)

    def unplug(self, c: int) -> None:
        self.wait(1)
        self.charger.unplug(c)

    def swipe(self, card: str, c: int) -> None:
        self.wait(1)
        self.charger.swipe(card, c)

    def take_offline(self, seconds: float) -> None:
        """Item 16's panel: the server closes the socket and refuses reconnects for a while."""
        self.bench.ensure_attempt(16)
        self.charger.taken_offline(seconds)

    # -- an item worked as the headless run does (certify.headless) ------------------------------

    def work(self, item: int, c: int = 1) -> None:
        """Item `item`'s commands and physical steps, in the order the headless run takes them."""
        getattr(self, f"_work_{item}")(c)

    def _work_1(self, c: int) -> None:
        self.command(1, "Reset", {"type": "Soft"})
        self.wait(self.traits.reboot_seconds + 20)

    def _work_2(self, c: int) -> None:
        self.command(2, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "30"})
        self.command(2, "TriggerMessage", {"requestedMessage": "Heartbeat"})
        self.wait(100)

    def _work_3(self, c: int) -> None:
        for k in range(0, self.traits.connectors + 1):
            self.command(3, "ChangeAvailability", {"connectorId": k, "type": "Inoperative"})
            self.wait(5)
            self.command(3, "ChangeAvailability", {"connectorId": k, "type": "Operative"})
            self.wait(5)

    def _work_4(self, c: int) -> None:
        self.command(4, "GetConfiguration", {})

    def _work_5(self, c: int) -> None:
        self.command(5, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"})
        self.command(5, "GetConfiguration", {"key": ["HeartbeatInterval"]})

    def _work_6(self, c: int) -> None:
        self.command(6, "RemoteStartTransaction", {"connectorId": c, "idTag": GOOD})
        self.plug(c)
        self.wait(20)
        self.command(6, "RemoteStopTransaction", {"transactionId": self.open_transaction(c)})
        self.unplug(c)
        self.wait(3)
        self.swipe(GOOD2, c)
        self.plug(c)
        self.wait(20)
        self.swipe(GOOD2, c)
        self.unplug(c)
        self.plug(c)
        self.swipe(BAD, c)
        self.wait(15)
        self.unplug(c)

    def _work_7(self, c: int) -> None:
        self.command(7, "RemoteStartTransaction", {"connectorId": c, "idTag": GOOD})
        self.plug(c)
        self.wait(10)
        self.command(7, "RemoteStopTransaction", {"transactionId": self.open_transaction(c)})
        self.wait(3)
        self.unplug(c)
        self.swipe(GOOD, c)
        self.plug(c)
        self.wait(10)
        self.swipe(GOOD, c)
        self.wait(3)
        self.unplug(c)
        self.swipe(GOOD, c)
        self.plug(c)
        self.wait(10)
        self.unplug(c)
        self.wait(10)

    def _work_8(self, c: int) -> None:
        self.command(8, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "10"})
        self.command(8, "ChangeConfiguration", {"key": "MeterValuesSampledData", "value": ",".join(MEASURANDS)})
        self.swipe(GOOD, c)
        self.plug(c)
        self.wait(95)
        self.swipe(GOOD, c)
        self.unplug(c)
        self.wait(5)

    def _work_9(self, c: int) -> None:
        for kind in ("Hard", "Soft"):
            self.command(9, "Reset", {"type": kind})
            self.wait(self.traits.reboot_seconds + 20)

    def _work_10(self, c: int) -> None:
        self.bench.ensure_attempt(10)
        self.wait(1)
        self.charger.fault_on(c, "GroundFailure")
        self.wait(5)
        self.charger.fault_off(c)
        self.wait(5)

    def _work_11(self, c: int) -> None:
        self.command(11, "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "15"})
        self.plug(c)
        self.wait(30)
        self.unplug(c)

    def _work_12(self, c: int) -> None:
        self.command(12, "UpdateFirmware", {"location": "http://bench/fw.bin", "retrieveDate": self.iso()})
        self.wait(250)

    def _work_13(self, c: int) -> None:
        self.command(13, "GetDiagnostics", {"location": "ftp://bench/", "stopTime": self.iso()})
        self.wait(120)

    def _work_14(self, c: int) -> None:
        for k in range(1, self.traits.connectors + 1):
            self.command(14, "SetChargingProfile", self.profile(k))

    def _work_16(self, c: int) -> None:
        self.take_offline(60)
        self.wait(2)
        self.swipe(GOOD, c)
        self.plug(c)
        self.wait(20)
        self.swipe(GOOD, c)
        self.unplug(c)
        self.wait(60)

    def _work_17(self, c: int) -> None:
        self.command(17, "ClearCache", {})

    def _work_18(self, c: int) -> None:
        self.command(18, "TriggerMessage", {"requestedMessage": "StatusNotification"})

    def iso(self) -> str:
        return _iso(self.now)

    def profile(self, connector: int, stack: int = 0) -> dict:
        """Item 14's preset TxDefaultProfile, in a unit the charger allows (§9.4.2)."""
        unit = self.rate_unit()
        return {
            "connectorId": connector,
            "csChargingProfiles": {
                "chargingProfileId": connector + 1,
                "stackLevel": stack,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": {
                    "chargingRateUnit": unit,
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16 if unit == "A" else 11000}],
                },
            },
        }


WORKED = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18)  # 15 has no OCPP message
