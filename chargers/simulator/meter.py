"""An energy meter that makes sense: three phases at 230 V, power from the
current the charging limit allows, energy that grows with time, and an EV's
state of charge that rises with it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

PHASES = ("L1", "L2", "L3")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Meter:
    def __init__(self, energy_wh: float = 12_345.0, soc: float = 35.0) -> None:
        self.energy_wh = energy_wh
        self.soc = soc
        self.current_a = 0.0  # per phase
        self.voltage = 230.0
        self._since = time.monotonic()

    @property
    def power_w(self) -> float:
        return self.current_a * self.voltage * len(PHASES)

    def advance(self) -> None:
        """Add the energy delivered since the last reading."""
        now = time.monotonic()
        hours = (now - self._since) / 3600
        self._since = now
        self.energy_wh += self.power_w * hours
        self.soc = min(100.0, self.soc + self.power_w * hours / 600)  # a 60 kWh battery

    def set_current(self, amps: float) -> None:
        self.advance()
        self.current_a = max(0.0, amps)

    def register(self) -> int:
        self.advance()
        return int(self.energy_wh)

    def sample(self, measurands: list[str], context: str, voltage: bool = True, kw: bool = False) -> dict:
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
            elif measurand == "Power.Active.Import":
                if kw:
                    values.append(_value(f"{self.power_w / 1000:.3f}", measurand, "kW", context))
                else:
                    values.append(_value(f"{self.power_w:.0f}", measurand, "W", context))
            elif measurand == "Current.Import":
                values += [_value(f"{self.current_a:.1f}", measurand, "A", context, p) for p in PHASES]
            elif measurand == "Voltage" and voltage:
                values += [
                    _value(f"{self.voltage + i * 0.4:.1f}", measurand, "V", context, p if kw else f"{p}-N")
                    for i, p in enumerate(PHASES)
                ]
            elif measurand == "SoC":
                values.append(_value(f"{self.soc:.0f}", measurand, "Percent", context, location="EV"))
        return {"timestamp": now_iso(), "sampledValue": values}


def _value(value: str, measurand: str, unit: str, context: str, phase: str = "", location: str = "Outlet") -> dict:
    entry = {"value": value, "context": context, "measurand": measurand, "unit": unit, "location": location}
    if phase:
        entry["phase"] = phase
    return entry
