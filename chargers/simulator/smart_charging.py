"""Smart charging: the charging profiles the central system installs, the
composite schedule they make, and the current limit a transaction gets."""

from __future__ import annotations

from datetime import UTC, datetime

from .composite import composite
from .config import ConfigStore
from .connectors import Connector
from .meter import PHASES
from .profiles import Profile

VOLTS = 230.0
# ChargingScheduleAllowedChargingRateUnit's words for each chargingRateUnit (§9.4.2).
RATE_UNITS = {"A": "Current", "W": "Power"}


def in_unit(limit: float, unit: str, wanted: str, phases: int = len(PHASES)) -> float:
    """A limit in A or W expressed in the other unit, at 230 V per phase."""
    if unit == wanted:
        return limit
    return limit * VOLTS * phases if wanted == "W" else limit / (VOLTS * phases)


class SmartCharging:
    """Mixin of SimulatedCharger: SetChargingProfile, ClearChargingProfile, GetCompositeSchedule."""

    config: ConfigStore
    connectors: dict[int, Connector]
    profile: Profile
    profiles: dict[int, dict]

    @property
    def smart_charging_on(self) -> bool:
        """The SmartCharging profile, switched on (the vendor key SmartChargingEnabled, where it exists)."""
        return self.profile.smart_charging and self.config.bool("SmartChargingEnabled", default=True)

    def current_limit(self, connector: Connector) -> float:
        """What the EV may draw per phase: the station's rating, VendorMaxCurrentA and the schedule in force."""
        limit = min(self.options.charge_current, float(self.config.int("VendorMaxCurrentA", 1000)))
        schedule = self.composite_schedule(connector.number, 60, "A") if self.smart_charging_on else None
        if schedule and schedule["charging_schedule_period"]:
            return min(limit, schedule["charging_schedule_period"][0]["limit"])
        return limit

    def apply_limits(self) -> None:
        """A profile or a key changed: every running transaction draws its new limit."""
        for connector in self.connectors.values():
            if connector.transaction_id is not None and connector.status == "Charging":
                connector.meter.set_current(self.current_limit(connector))

    def set_profile(self, number: int, profile: dict) -> str:
        if not self.smart_charging_on:
            return "Rejected"
        unit = profile.get("charging_schedule", {}).get("charging_rate_unit")
        if RATE_UNITS.get(unit) not in self.config.list("ChargingScheduleAllowedChargingRateUnit"):
            return "Rejected"
        purpose = profile.get("charging_profile_purpose")
        if purpose == "TxProfile":
            connector = self.connectors.get(number)
            if connector is None or connector.transaction_id is None:
                return "Rejected"
            if profile.get("transaction_id") not in (None, connector.transaction_id):
                return "Rejected"
        if purpose == "ChargePointMaxProfile" and number != 0:
            return "Rejected"
        if number != 0 and number not in self.connectors:
            return "Rejected"
        if profile.get("stack_level", 0) > self.config.int("ChargeProfileMaxStackLevel", 8):
            return "Rejected"
        self.profiles[profile["charging_profile_id"]] = {"connector": number, "profile": profile}
        self.apply_limits()
        return "Accepted"

    def install_for_transaction(self, connector: Connector, profile: dict) -> None:
        """The TxProfile of a RemoteStartTransaction, bound to the transaction it started (§5.11)."""
        profile = {**profile, "transaction_id": connector.transaction_id}
        self.profiles[profile["charging_profile_id"]] = {"connector": connector.number, "profile": profile}
        self.apply_limits()

    def drop_transaction_profiles(self, connector: Connector) -> None:
        """A TxProfile lives as long as its transaction (§3.13.2)."""
        for pid, entry in list(self.profiles.items()):
            if (
                entry["connector"] == connector.number
                and entry["profile"].get("charging_profile_purpose") == "TxProfile"
            ):
                del self.profiles[pid]

    def clear_profiles(self, id=None, connector_id=None, charging_profile_purpose=None, stack_level=None, **_) -> str:
        doomed = [
            pid
            for pid, entry in self.profiles.items()
            if (id is None or pid == id)
            and (connector_id is None or entry["connector"] == connector_id)
            and (
                charging_profile_purpose is None
                or entry["profile"].get("charging_profile_purpose") == charging_profile_purpose
            )
            and (stack_level is None or entry["profile"].get("stack_level") == stack_level)
        ]
        for pid in doomed:
            del self.profiles[pid]
        self.apply_limits()
        return "Accepted" if doomed else "Unknown"

    def composite_schedule(self, number: int, duration: int, unit: str | None) -> dict | None:
        """The schedule in force over the next `duration` seconds (§3.13, §5.7): None
        (Rejected) when no profile applies to the connector at all."""
        connector = self.connectors.get(number)
        transaction = connector.transaction_id if connector is not None else None
        relevant = [
            e
            for e in self.profiles.values()
            if e["connector"] in (0, number)
            and (e["profile"].get("charging_profile_purpose") != "TxProfile" or transaction is not None)
        ]
        if not relevant or (number and connector is None):
            return None
        first = next(
            (e for e in relevant if e["profile"].get("charging_profile_purpose") != "ChargePointMaxProfile"),
            relevant[0],
        )
        wanted = unit or first["profile"]["charging_schedule"]["charging_rate_unit"]

        def convert(profile: dict, limit: float, phases: int | None) -> float:
            return in_unit(limit, profile["charging_schedule"]["charging_rate_unit"], wanted, phases or 3)

        periods = composite(
            relevant,
            number,
            datetime.now(UTC),
            duration,
            convert,
            in_unit(self.options.charge_current, "A", wanted),
            transaction=transaction,
            tx_start=connector.started_at if connector is not None else None,
        )
        return {"duration": duration, "charging_rate_unit": wanted, "charging_schedule_period": periods}
