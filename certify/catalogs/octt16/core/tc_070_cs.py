"""TC_070_CS: sampled meter values during a transaction."""

from certify.judging.steps import Check, Expect, Ref, Send, Var

from ..case import OcttCase
from ..states import CHARGING, CONNECTOR, OF_THE_TRANSACTION


def _measurands(entries) -> list[str]:
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and entry.get("key") == "MeterValuesSampledData":
            return [m.strip() for m in str(entry.get("value") or "").split(",") if m.strip()]
    return []


def periodic_samples(values, resolve) -> bool:
    """Every sampled value is Sample.Periodic (the default context), and each
    measurand configured (default: the energy register) is there."""
    wanted = _measurands(resolve(Ref("sampled", "answer.configurationKey"))) or ["Energy.Active.Import.Register"]
    found = set()
    for meter_value in values if isinstance(values, list) else ():
        for sample in meter_value.get("sampledValue", []) if isinstance(meter_value, dict) else ():
            if sample.get("context", "Sample.Periodic") != "Sample.Periodic":
                return False
            found.add(sample.get("measurand", "Energy.Active.Import.Register"))
    return set(wanted) <= found


def sample(label: str, **timing) -> Expect:
    return Expect(
        "MeterValues",
        {"meterValue": Check(periodic_samples, "periodic samples of every configured measurand")},
        match={"connectorId": CONNECTOR, **OF_THE_TRANSACTION},
        strict=False,
        label=label,
        **timing,
    )


INTERVAL = Var("meter_value_interval")

CASE = OcttCase(
    id="TC_070_CS",
    title="Sampled meter values during a transaction",
    group="core",
    purpose="During a transaction the charger sends the configured measurands every MeterValueSampleInterval.",
    config={"MeterValueSampleInterval": "{meter_value_interval}", "ClockAlignedDataInterval": "0"},
    steps=(
        Send(
            "GetConfiguration",
            {"key": ["MeterValuesSampledData"]},
            name="sampled",
            label="We read MeterValuesSampledData",
        ),
        *CHARGING,
        sample("A periodic sample within one interval", within=INTERVAL),
        sample("The next one interval later", after=INTERVAL, within=INTERVAL),
        sample("And the next", after=INTERVAL, within=INTERVAL),
    ),
    criteria=(
        "MeterValues of the transaction every MeterValueSampleInterval, context Sample.Periodic.",
        "Each carries every measurand of MeterValuesSampledData (default: Energy.Active.Import.Register).",
    ),
    clauses=("4.7 Meter Values", "9.1.19 MeterValueSampleInterval", "9.1.17 MeterValuesSampledData"),
    data=("meter_value_interval",),
    differs="We time the samples by their arrival, not by the timestamps they carry.",
)
