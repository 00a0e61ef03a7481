"""TC_071_CS: clock-aligned meter values."""

from datetime import datetime

from certify.judging.steps import Check, Expect, Ref, Send, Var

from ..case import OcttCase
from ..states import CHARGING, CONNECTOR


def _measurands(entries) -> list[str]:
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and entry.get("key") == "MeterValuesAlignedData":
            return [m.strip() for m in str(entry.get("value") or "").split(",") if m.strip()]
    return []


def aligned_samples(values, resolve) -> bool:
    """Context Sample.Clock, timestamps on the interval's boundaries (2 s
    either side), every configured measurand (default: the energy register)."""
    try:
        interval = int(resolve(Var("clock_aligned_interval")))
    except (TypeError, ValueError):
        return False
    wanted = _measurands(resolve(Ref("aligned", "answer.configurationKey"))) or ["Energy.Active.Import.Register"]
    found = set()
    for meter_value in values if isinstance(values, list) else ():
        try:
            stamp = datetime.fromisoformat(str(meter_value.get("timestamp")).replace("Z", "+00:00"))
        except ValueError:
            return False
        offset = (stamp.hour * 3600 + stamp.minute * 60 + stamp.second + stamp.microsecond / 1e6) % interval
        if min(offset, interval - offset) > 2:
            return False
        for sample in meter_value.get("sampledValue", []):
            if sample.get("context") != "Sample.Clock":
                return False
            found.add(sample.get("measurand", "Energy.Active.Import.Register"))
    return set(wanted) <= found


def sample(label: str, **timing) -> Expect:
    return Expect(
        "MeterValues",
        {"meterValue": Check(aligned_samples, "clock-aligned samples of every configured measurand")},
        match={"connectorId": CONNECTOR},
        strict=False,
        label=label,
        **timing,
    )


INTERVAL = Var("clock_aligned_interval")

CASE = OcttCase(
    id="TC_071_CS",
    title="Clock-aligned meter values",
    group="core",
    purpose="The charger sends the aligned measurands on every ClockAlignedDataInterval boundary of the clock.",
    config={"MeterValueSampleInterval": "0", "ClockAlignedDataInterval": "{clock_aligned_interval}"},
    steps=(
        Send(
            "GetConfiguration",
            {"key": ["MeterValuesAlignedData"]},
            name="aligned",
            label="We read MeterValuesAlignedData",
        ),
        *CHARGING,
        sample("An aligned sample within one interval", within=INTERVAL),
        sample("The next one interval later", after=INTERVAL, within=INTERVAL),
        sample("And the next", after=INTERVAL, within=INTERVAL),
    ),
    criteria=(
        "MeterValues every ClockAlignedDataInterval, context Sample.Clock, timestamps on the clock's boundaries.",
        "Each carries every measurand of MeterValuesAlignedData (default: Energy.Active.Import.Register).",
    ),
    clauses=("4.7 Meter Values", "9.1.5 ClockAlignedDataInterval", "9.1.15 MeterValuesAlignedData"),
    data=("clock_aligned_interval",),
)
