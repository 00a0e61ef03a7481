"""What the checks compare against: §4.9's transition table, the Core commands,
the units of each measurand, our CALLERROR codes that mean a schema breach, and
the tolerances that keep clocks and jitter from raising noise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# §4.9's table: from each status, the statuses it may change to (connectors > 0).
TRANSITIONS: dict[str, frozenset[str]] = {
    "Available": frozenset(
        {"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Reserved", "Unavailable", "Faulted"}
    ),
    "Preparing": frozenset({"Available", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Faulted"}),
    "Charging": frozenset({"Available", "SuspendedEV", "SuspendedEVSE", "Finishing", "Unavailable", "Faulted"}),
    "SuspendedEV": frozenset({"Available", "Charging", "SuspendedEVSE", "Finishing", "Unavailable", "Faulted"}),
    "SuspendedEVSE": frozenset({"Available", "Charging", "SuspendedEV", "Finishing", "Unavailable", "Faulted"}),
    "Finishing": frozenset({"Available", "Preparing", "Unavailable", "Faulted"}),
    "Reserved": frozenset({"Available", "Preparing", "Unavailable", "Faulted"}),
    "Unavailable": frozenset({"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Faulted"}),
    "Faulted": frozenset(
        {"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Reserved", "Unavailable"}
    ),
}
# The commands of the Core profile (§3.3), which every charger SHALL support.
CORE_COMMANDS = frozenset(
    {
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "DataTransfer",
        "GetConfiguration",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "Reset",
        "UnlockConnector",
    }
)
# The units each measurand is measured in (§7.31 with §7.45's UnitOfMeasure); measurands not named take any.
UNITS = {
    "Energy.Active": frozenset({"Wh", "kWh"}),
    "Energy.Reactive": frozenset({"varh", "kvarh"}),
    "Power.Active": frozenset({"W", "kW"}),
    "Power.Offered": frozenset({"W", "kW"}),
    "Power.Reactive": frozenset({"var", "kvar"}),
    "Current": frozenset({"A"}),
    "Voltage": frozenset({"V"}),
    "Temperature": frozenset({"Celsius", "Celcius", "Fahrenheit", "K"}),
    "SoC": frozenset({"Percent"}),
}
# Our CALLERROR codes that say the charger's frame was malformed or broke its schema.
SCHEMA_CODES = frozenset(
    {
        "FormationViolation",
        "FormatViolation",
        "ProtocolError",
        "TypeConstraintViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "OccurrenceConstraintViolation",
        "NotImplemented",
        "NotSupported",
    }
)
TIMESTAMPED = ("StatusNotification", "StartTransaction", "StopTransaction")
FUTURE = timedelta(minutes=2)  # a clock this far ahead of our receive time is worth a finding
BACKWARDS = timedelta(seconds=2)  # jitter of a clock being set is not a jump
QUEUED = timedelta(seconds=5)
TRIGGERED = timedelta(
    seconds=60
)  # how long after our TriggerMessage its message counts as asked for  # a start this much older than its connection came from the offline queue
# Idle heartbeats closer than this times the interval; none farther: with OCPP-J heartbeats are not
# mandatory (§4.6), so fewer is allowed.
HEARTBEAT_LOW = 0.5
# The statuses EVCommunicationError may go with (§4.9: SHALL only be used with these).
EV_COMMUNICATION_STATUSES = frozenset({"Preparing", "SuspendedEV", "SuspendedEVSE", "Finishing"})
EPOCH = datetime.min.replace(tzinfo=UTC)


def as_number(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def energy_wh(value, unit: str) -> tuple[float, float] | None:
    """An energy reading in Wh, and its resolution in Wh (a rounded kWh reading may sit below the exact start)."""
    number = as_number(value)
    if number is None:
        return None
    text = str(value)
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    scale = 1000.0 if unit == "kWh" else 1.0
    return number * scale, max(1.0, scale * 10.0**-decimals)


def iso_utc(ts: datetime) -> str:
    return "" if ts == EPOCH else ts.astimezone(UTC).isoformat().replace("+00:00", "Z")
