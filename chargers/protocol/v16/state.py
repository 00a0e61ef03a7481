"""What an OCPP 1.6 log says, in one place: the configuration as last read or
changed, the connectors' statuses, the transactions with their connector and
their meter samples, the outages, the charger's clock offset and the rate units
it allows.

Read from a `chargers.frames.reader.Log` (the rules, the chart and the headless
tail all ask here), with what was known before the log began (`initial`: the
configuration, connector statuses, vendor and firmware read before a session
started). Answers are worked out once per length of the log: a log that grows
is asked again as it grows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ...frames.reader import GONE_EVENTS, Log, Record, parse_time

CHARGING_STATES = frozenset({"Charging", "SuspendedEV", "SuspendedEVSE"})
OPERATIVE_STATES = frozenset(
    {"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Reserved"}
)
# StopTransaction reasons that mean the charger rebooted (§7.45).
REBOOT_REASONS = frozenset({"HardReset", "SoftReset", "Reboot", "PowerLoss"})
RATE_UNITS = {"A": "Current", "W": "Power"}  # chargingRateUnit -> its name in §9.4.2's value
DEFAULT_MEASURAND = "Energy.Active.Import.Register"  # §7.31: a sampled value without a measurand
PERIODIC = "Sample.Periodic"  # §7.26: a sampled value without a context
# After a reconnect, queues drain for a while: statuses then tell nothing of the clock.
DRAIN = timedelta(seconds=30)


@dataclass(frozen=True)
class SampledValue:
    """One sampledValue of a meter reading, with the defaults §7.43 gives absent fields."""

    value: object
    measurand: str = DEFAULT_MEASURAND
    phase: str = ""
    unit: str = ""
    context: str = PERIODIC
    format: str = ""
    location: str = ""


@dataclass(frozen=True)
class MeterValue:
    """One meterValue (a timestamp and its sampled values) of a MeterValues or
    of a StopTransaction's transactionData; `ts` is None when its timestamp is
    not a time."""

    ts: datetime | None
    values: tuple[SampledValue, ...]
    timestamp: object = None  # as the charger wrote it

    @property
    def periodic(self) -> bool:
        """A periodic sample: any of its values is Sample.Periodic (the default)."""
        return any(v.context == PERIODIC for v in self.values)


def meter_values(record: Record) -> list[MeterValue]:
    """The meter readings a MeterValues (meterValue) or a StopTransaction
    (transactionData, §3.16) carries; the one reader of samples."""
    entries = record.get("meterValue") or record.get("transactionData") or []
    readings = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        values = []
        for value in entry.get("sampledValue") or []:
            if isinstance(value, dict):
                values.append(
                    SampledValue(
                        value.get("value"),
                        value.get("measurand") or DEFAULT_MEASURAND,
                        value.get("phase") or "",
                        value.get("unit") or "",
                        value.get("context") or PERIODIC,
                        value.get("format") or "",
                        value.get("location") or "",
                    )
                )
        readings.append(MeterValue(parse_time(entry.get("timestamp")), tuple(values), entry.get("timestamp")))
    return readings


@dataclass(frozen=True)
class Samples:
    """A transaction's meter readings: its MeterValues frames, its periodic
    readings in the order of their own timestamps, and the measurands those sampled."""

    frames: list[Record]
    periodic: list[MeterValue]
    measurands: frozenset[str]


def same_key(a, b) -> bool:
    """Configuration keys are CiStrings: compared without case (§7.17, §9)."""
    return isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower()


def same_tag(a, b) -> bool:
    """idTags are IdTokens, CiString20: compared without case (§7.28)."""
    return isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower()


class Configuration(dict):
    """Configuration keys and values, looked up without case (keys are CiStrings,
    §7.17), keeping the spelling last seen."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()
        self._spelling: dict[str, str] = {}
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def _key(self, key):
        return self._spelling.get(key.lower(), key) if isinstance(key, str) else key

    def __setitem__(self, key, value) -> None:
        old = self._key(key)
        if old != key and dict.__contains__(self, old):
            dict.__delitem__(self, old)
        if isinstance(key, str):
            self._spelling[key.lower()] = key
        dict.__setitem__(self, key, value)

    def __getitem__(self, key):
        return dict.__getitem__(self, self._key(key))

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, self._key(key))

    def get(self, key, default=None):
        return dict.get(self, self._key(key), default)


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class State16:
    """What a 1.6 log says. `initial` holds what was read before the log began:
    {"config": {key: value}, "connectors": {"1": status}, "vendor", "firmware_version"}."""

    def __init__(self, log: Log, initial: dict | None = None) -> None:
        self.log = log
        self.initial = initial or {}
        self._memo: dict[str, tuple[int, object]] = {}

    def _once(self, name: str, compute: Callable[[], object]):
        """compute(), worked out once per length of the log."""
        cached = self._memo.get(name)
        if cached is None or cached[0] != self.log.last_seq:
            cached = (self.log.last_seq, compute())
            self._memo[name] = cached
        return cached[1]

    # -- configuration ------------------------------------------------------------

    def config(self, before: datetime | None = None) -> Configuration:
        """Configuration keys as last read (GetConfiguration) or changed
        (ChangeConfiguration Accepted; RebootRequired after the next boot), looked up without case."""
        if before is None:
            return self._once("config", lambda: self._config(None))
        return self._config(before)

    def _changes(self) -> list[tuple[datetime, str, str]]:
        """(when it took effect, key, value) of every value read or changed, in time order."""

        def compute() -> list:
            changes: list[tuple[datetime, str, str | None, str]] = []
            for read in self.log.calls("GetConfiguration", "out"):
                if read.ok:
                    for entry in read.answer.get("configurationKey", []) or []:
                        if isinstance(entry, dict) and entry.get("key"):
                            changes.append((read.answer.ts, entry["key"], entry.get("value"), "read"))
            for change in self.log.calls("ChangeConfiguration", "out"):
                if change.answer_status() in ("Accepted", "RebootRequired"):
                    changes.append((change.answer.ts, change.get("key"), change.get("value"), change.answer_status()))
            boots = [b.ts for b in self.log.calls("BootNotification", "in")]
            effective = []
            for when, key, value, kind in sorted(changes, key=lambda c: c[0]):
                if kind == "RebootRequired":
                    when = next((b for b in boots if b > when), None)
                if when is not None and value is not None and isinstance(key, str):
                    effective.append((when, key, str(value)))
            return sorted(effective, key=lambda c: c[0])

        return self._once("changes", compute)

    def _config(self, before: datetime | None) -> Configuration:
        known = Configuration({k: str(v) for k, v in (self.initial.get("config") or {}).items() if v is not None})
        for when, key, value in self._changes():
            if before is not None and when > before:
                break
            known[key] = value
        return known

    def value_at(self, key: str, when: datetime) -> str | None:
        """One key's value in force at a moment (without case)."""

        def compute() -> dict:
            timeline: dict[str, list] = {}
            for k, v in (self.initial.get("config") or {}).items():
                if v is not None:
                    timeline.setdefault(k.lower(), []).append((datetime.min.replace(tzinfo=UTC), str(v)))
            for moment, k, v in self._changes():
                timeline.setdefault(k.lower(), []).append((moment, v))
            return timeline

        entries = self._once("timeline", compute).get(key.lower(), [])
        index = bisect_right([moment for moment, _ in entries], when)
        return entries[index - 1][1] if index else None

    def config_known(self) -> bool:
        """Whether the charger's whole configuration was read (GetConfiguration without keys,
        answered with keys: an empty answer tells nothing)."""
        return any(
            r.ok and not r.get("key") and r.answer.get("configurationKey")
            for r in self.log.calls("GetConfiguration", "out")
        )

    def config_int(self, key: str, before: datetime | None = None) -> int | None:
        try:
            return int(float(self.config()[key] if before is None else self.value_at(key, before)))
        except (KeyError, TypeError, ValueError):
            return None

    def config_bool(self, key: str) -> bool | None:
        value = self.config().get(key)
        return None if value is None else value.strip().lower() == "true"

    def lacks_profile(self, profile: str) -> bool:
        """SupportedFeatureProfiles was read and does not list the profile (§9.1.30)."""
        value = self.config().get("SupportedFeatureProfiles")
        return value is not None and profile not in {p.strip() for p in value.split(",")}

    def allowed_rate_units(self) -> list[str]:
        """The chargingRateUnits the charger allows (§9.4.2), A first; both when unknown."""
        value = self.config().get("ChargingScheduleAllowedChargingRateUnit")
        if not value:
            return ["A", "W"]
        allowed = [unit for unit, name in RATE_UNITS.items() if name in value]
        return allowed or ["A", "W"]

    def minimum_status_duration(self) -> int:
        return self.config_int("MinimumStatusDuration") or 0

    # -- the charger and its connectors ---------------------------------------------

    def vendor(self) -> str:
        for boot in reversed(self.log.calls("BootNotification")):
            if boot.get("chargePointVendor"):
                return boot.get("chargePointVendor")
        return self.initial.get("vendor") or "the vendor"

    def firmware_before(self, when: datetime) -> str:
        """The firmwareVersion of the last BootNotification before a moment."""
        boots = [b for b in self.log.calls("BootNotification", "in") if b.ts < when]
        if boots:
            return boots[-1].get("firmwareVersion") or ""
        return self.initial.get("firmware_version") or ""

    def initial_statuses(self) -> dict[int, str]:
        """Each connector's status as known when the log began."""
        return {int(c): s for c, s in (self.initial.get("connectors") or {}).items()}

    def statuses(self, connector: int | None = None, lo: int = 0, hi: int | None = None) -> list[Record]:
        """The charger's StatusNotifications with seq in (lo, hi], of one connector or all."""
        records = self.log.calls("StatusNotification", "in", lo, hi)
        return [r for r in records if connector is None or r.get("connectorId") == connector]

    def connector_count(self) -> int:
        """NumberOfConnectors, else the highest connector a status named or was known."""
        count = self.config_int("NumberOfConnectors")
        if count:
            return count
        seen = [r.get("connectorId") for r in self.statuses()]
        return max([c for c in [*seen, *self.initial_statuses()] if isinstance(c, int)], default=0)

    def status_at(self, connector: int, when: datetime) -> str:
        """The connector's last reported status before a moment ('' if none)."""
        last = ""
        for record in self.statuses(connector):
            if record.ts >= when:
                break
            last = record.get("status") or ""
        if not last:
            last = (self.initial.get("connectors") or {}).get(str(connector), "")
        return last

    def last_statuses(self) -> dict[int, Record]:
        """Each connector's latest StatusNotification."""
        return self._once("last_statuses", lambda: {r.get("connectorId"): r for r in self.statuses()})

    # -- transactions -----------------------------------------------------------------

    def started(self, lo: int = 0, hi: int | None = None) -> list[Record]:
        """StartTransactions we accepted (transactionId in our answer) with seq
        in (lo, hi]; retries of one start (same connector, tag, timestamp) once."""
        if lo == 0 and hi is None:
            return self._once("started", lambda: self._started(0, None))
        return self._started(lo, hi)

    def _started(self, lo: int, hi: int | None) -> list[Record]:
        seen, starts = set(), []
        for record in self.log.calls("StartTransaction", "in", lo, hi):
            if not record.ok:
                continue
            key = (record.get("connectorId"), record.get("idTag"), record.get("timestamp"), record.get("meterStart"))
            if key in seen:
                continue
            seen.add(key)
            starts.append(record)
        return starts

    def stops(self, lo: int = 0, hi: int | None = None) -> list[Record]:
        """StopTransactions answered with seq in (lo, hi], one per transaction
        (retries with a new message id are the same stop, §3.7.1)."""
        if lo == 0 and hi is None:
            return self._once("stops", lambda: self._stops(0, None))
        return self._stops(lo, hi)

    def _stops(self, lo: int, hi: int | None) -> list[Record]:
        seen, stops = set(), []
        for record in self.log.calls("StopTransaction", "in", lo, hi):
            if record.ok and record.get("transactionId") not in seen:
                seen.add(record.get("transactionId"))
                stops.append(record)
        return stops

    def _links(self) -> dict:
        """transactionId -> its StartTransaction (the first we accepted), and
        -> its connector: the start's, else one a MeterValues named beside it."""
        starts = {s.answer.get("transactionId"): s for s in reversed(self.started())}
        connectors = {tx: s.get("connectorId") for tx, s in starts.items()}
        for meter in self.log.calls("MeterValues", "in"):
            tx, connector = _int(meter.get("transactionId")), _int(meter.get("connectorId"))
            if tx is not None and connector is not None:
                connectors.setdefault(tx, connector)
        return {"starts": starts, "connectors": connectors}

    def start_of(self, transaction_id) -> Record | None:
        """The StartTransaction we gave this transactionId."""
        return self._once("links", self._links)["starts"].get(transaction_id)

    def connector_of(self, transaction_id) -> int | None:
        """The connector a transaction ran on: the one linker of transactions to connectors."""
        return self._once("links", self._links)["connectors"].get(transaction_id)

    def happened(self, record: Record) -> datetime:
        """When a transaction message says it happened: its own timestamp on our clock
        (it may have waited in the offline queue, §3.7), else when it came."""
        stamp = parse_time(record.get("timestamp"))
        return stamp - self.clock_offset() if stamp is not None else record.ts

    def running(self, connector: int, when: datetime) -> Record | None:
        """The StartTransaction of the transaction running on a connector at a moment, by the
        transaction messages' own times."""
        stops = {s.get("transactionId"): s for s in self.stops()}
        for start in reversed(self.started()):
            if start.get("connectorId") != connector or self.happened(start) > when:
                continue
            stop = stops.get(start.answer.get("transactionId"))
            if stop is None or self.happened(stop) > when:
                return start
            return None
        return None

    def open_transactions(self) -> dict[int, object]:
        """connector -> its transaction started and not (yet) stopped."""

        def compute() -> dict:
            stopped = {s.get("transactionId") for s in self.log.calls("StopTransaction", "in")}
            running = {}
            for start in self.started():
                tx = start.answer.get("transactionId")
                if tx not in stopped:
                    running[start.get("connectorId")] = tx
            return running

        return self._once("open", compute)

    def samples(self, start: Record, stop: Record | None, now: datetime) -> Samples:
        """A transaction's meter readings: MeterValues naming it, or naming its
        connector and no transaction while it ran, and its stop's
        transactionData; worked out once (a long transaction has tens of
        thousands of samples)."""
        key = f"samples {start.id} {stop.id if stop else None}"
        return self._once(key, lambda: self._samples(start, stop, now))

    def _samples(self, start: Record, stop: Record | None, now: datetime) -> Samples:
        tx, connector = start.answer.get("transactionId"), start.get("connectorId")
        end_ts = stop.ts if stop else now
        own = [
            m
            for m in self.log.calls("MeterValues", "in")
            if m.get("transactionId") == tx
            or (m.get("transactionId") is None and m.get("connectorId") == connector and start.ts <= m.ts <= end_ts)
        ]
        readings = [reading for m in own for reading in meter_values(m)]
        if stop is not None:
            readings += meter_values(stop)  # MeterValues and/or transactionData (§3.16)
        sampled = [r for r in readings if r.periodic]
        periodic = sorted((r for r in sampled if r.ts is not None), key=lambda r: r.ts)
        measurands = frozenset(v.measurand for r in sampled for v in r.values)
        if len(self._memo) > 64:
            self._memo = {k: v for k, v in self._memo.items() if not k.startswith("samples ")}
        return Samples(own, periodic, measurands)

    # -- the connection ------------------------------------------------------------------

    def offline_windows(self) -> list[tuple[datetime, datetime, Record]]:
        """(went away, came back, the connected event) for each reconnection the server saw.
        The charger went away after its last frame: the server may learn of an outage
        late (a ping timeout) or only when the charger connects anew (a half-open socket)."""

        def compute() -> list:
            windows = []
            gone: datetime | None = None
            for event in self.log.events:
                if event.event in GONE_EVENTS and gone is None:
                    last = self.log.before(event.seq, lambda r: r.direction == "in")
                    gone = min(last.ts, event.ts) if last is not None else event.ts
                elif event.event == "connected" and gone is not None:
                    windows.append((gone, event.ts, event))
                    gone = None
            return windows

        return self._once("windows", compute)

    def connected_now(self) -> bool:
        """Whether the charger's socket is open, as the log last said (open when it said nothing)."""
        return self.log.connected() is not False

    def came_back(self, after: datetime) -> tuple[Record | None, Record | None, Record | None]:
        """The reconnect, accepted BootNotification and StatusNotification after a moment."""
        connected = next((e for e in self.log.events if e.ts >= after and e.event == "connected"), None)
        boot = next(
            (
                b
                for b in self.log.calls("BootNotification", "in")
                if b.ts >= after and b.ok and b.answer.get("status") == "Accepted"
            ),
            None,
        )
        status = next((r for r in self.statuses() if r.ts >= boot.ts), None) if boot else None
        return connected, boot, status

    def clock_offset(self) -> timedelta:
        """The charger's clock minus ours, from the statuses it sent live
        (outside the first 30 s after each reconnect, when queues drain); 0
        when it sent none with a timestamp."""

        def compute() -> timedelta:
            backs = [back for _, back, _ in self.offline_windows()]
            offsets = []
            # Statuses travel live (historical ones SHOULD NOT be sent, §4.9); transaction messages may be queued.
            for record in self.statuses():
                stamp = parse_time(record.get("timestamp"))
                if stamp is None or any(b <= record.ts <= b + DRAIN for b in backs):
                    continue
                offsets.append((stamp - record.ts).total_seconds())
            offsets.sort()
            return timedelta(seconds=offsets[len(offsets) // 2]) if offsets else timedelta(0)

        return self._once("offset", compute)

    def from_queue(self, record: Record, slack: float) -> bool:
        """Whether a transaction message was delivered from the offline queue:
        it arrived after a reconnect and its own time, corrected by the
        charger's clock offset, lies in the server's offline window (§3.7),
        give or take `slack` seconds. The server's window and the order of
        events decide, not the charger's clock alone."""
        stamp = parse_time(record.get("timestamp"))
        if stamp is None and record.action == "MeterValues":
            stamps = [m.ts for m in meter_values(record)]
            stamp = min([t for t in stamps if t], default=None)
        if stamp is None:
            return False
        stamp -= self.clock_offset()
        margin = timedelta(seconds=slack + 1)
        return any(
            gone - margin <= stamp <= back + margin and record.ts >= back for gone, back, _ in self.offline_windows()
        )


__all__ = [
    "CHARGING_STATES",
    "OPERATIVE_STATES",
    "REBOOT_REASONS",
    "Configuration",
    "MeterValue",
    "SampledValue",
    "Samples",
    "State16",
    "meter_values",
    "same_key",
    "same_tag",
]
