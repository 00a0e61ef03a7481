"""An energy meter that makes sense: three phases at 230 V, power from the
current the charging limit allows, energy that grows with time, an EV's state
of charge that rises with it, and a station that warms up while it charges."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from ..timestamps import utc_iso

PHASES = ("L1", "L2", "L3")
# Every measurand the meter reads (OCPP 1.6 §7.31); the simulator accepts no other.
MEASURANDS = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
    "SoC",
    "Frequency",
    "Temperature",
    "Current.Offered",
    "Power.Offered",
)


def iso(moment: datetime, naive: bool = False) -> str:
    """A moment as OCPP 1.6 writes it: ISO 8601 in UTC with 'Z' (§3.14 Time zones);
    `naive` leaves the zone out, as the naive-timestamps fault does."""
    text = utc_iso(moment)
    return text.removesuffix("Z") if naive else text


def now_iso(naive: bool = False) -> str:
    return iso(datetime.now(UTC), naive)


class Meter:
    def __init__(self, energy_wh: float = 12_345.0, soc: float = 35.0) -> None:
        self.energy_wh = energy_wh
        self.soc = soc
        self.current_a = 0.0  # per phase
        self.offered_a = 0.0  # per phase, the limit the EV may draw
        self.voltage = 230.0
        self._since = time.monotonic()

    @property
    def power_w(self) -> float:
        return self.current_a * self.voltage * len(PHASES)

    @property
    def temperature_c(self) -> float:
        """The station's body: 25 °C idle, warmer with the current it carries."""
        return 25.0 + self.current_a * 0.5

    def advance(self) -> None:
        """Add the energy delivered since the last reading."""
        now = time.monotonic()
        hours = (now - self._since) / 3600
        self._since = now
        self.energy_wh += self.power_w * hours
        self.soc = min(100.0, self.soc + self.power_w * hours / 600)  # a 60 kWh battery

    def set_current(self, amps: float, offered: float | None = None) -> None:
        """The EV draws `amps` per phase; `offered` (default: the same) is the limit it is given."""
        self.advance()
        self.current_a = max(0.0, amps)
        self.offered_a = max(0.0, amps if offered is None else offered)

    def register(self) -> int:
        self.advance()
        return int(self.energy_wh)

    def sample(
        self, measurands: list[str], context: str, voltage: bool = True, kw: bool = False, timestamp: str = ""
    ) -> dict:
        """One meterValue entry for the measurands asked for: energy in Wh and
        power in W, or in kWh and kW with voltage per phase L1, L2, L3 (`kw`)."""
        self.advance()
        values = []
        for measurand in measurands:
            if measurand == "Energy.Active.Import.Register":
                if kw:
                    values.append(_value(f"{self.energy_wh / 1000:.3f}", measurand, "kWh", context))
                else:
                    values.append(_value(f"{self.energy_wh:.0f}", measurand, "Wh", context))
            elif measurand in ("Power.Active.Import", "Power.Offered"):
                watts = self.power_w if measurand == "Power.Active.Import" else self.offered_a * self.voltage * 3
                if kw:
                    values.append(_value(f"{watts / 1000:.3f}", measurand, "kW", context))
                else:
                    values.append(_value(f"{watts:.0f}", measurand, "W", context))
            elif measurand == "Current.Import":
                values += [_value(f"{self.current_a:.1f}", measurand, "A", context, p) for p in PHASES]
            elif measurand == "Current.Offered":
                values.append(_value(f"{self.offered_a:.1f}", measurand, "A", context))
            elif measurand == "Voltage" and voltage:
                values += [
                    _value(f"{self.voltage + i * 0.4:.1f}", measurand, "V", context, p if kw else f"{p}-N")
                    for i, p in enumerate(PHASES)
                ]
            elif measurand == "SoC":
                values.append(_value(f"{self.soc:.0f}", measurand, "Percent", context, location="EV"))
            elif measurand == "Temperature":
                values.append(_value(f"{self.temperature_c:.1f}", measurand, "Celsius", context, location="Body"))
            elif measurand == "Frequency":
                # §7.31: no UnitOfMeasure for frequency in 1.6; its unit is Hertz, the unit field stays out.
                values.append(_value("50.00", measurand, "", context))
        return {"timestamp": timestamp or now_iso(), "sampledValue": values}


def _value(value: str, measurand: str, unit: str, context: str, phase: str = "", location: str = "Outlet") -> dict:
    entry = {"value": value, "context": context, "measurand": measurand, "location": location}
    if unit:
        entry["unit"] = unit
    if phase:
        entry["phase"] = phase
    return entry
