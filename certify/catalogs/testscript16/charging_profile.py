"""Item 14 of the test script, Set charging profile or power control (for smart charging):
its data (CASE) and its rule (judge). OCPP 1.6 §5.16 Set Charging Profile, §3.13 Smart
Charging, §9.4.2 ChargingScheduleAllowedChargingRateUnit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chargers.frames.reader import CALL, Record
from chargers.protocol.v16.defaults import tx_default_profile

from ...judging.scope import Scope
from ...judging.verdict import (
    FAILED,
    OPEN,
    PASSED,
    UNSUPPORTED_ANSWERS,
    Verdict,
    at,
    connectors,
    ids,
    not_supported,
    step,
)
from .. import Case, Command

# What {rate_limit} fills the TxDefaultProfile with, per chargingRateUnit: a common 16 A or 11 kW.

if TYPE_CHECKING:
    from ...headless.run import CaseRun

RATE_LIMITS = {"A": 16.0, "W": 11000.0}


def _profile(purpose: str, unit: str, limit: float, kind: str = "Absolute", **extra) -> dict:
    """The csChargingProfiles part of a preset: one period holding `limit` from its start."""
    schedule = {"chargingRateUnit": unit, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}
    return {
        "chargingProfileId": extra.pop("profile_id", 1),
        "stackLevel": 0,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
        **extra,
    }


# The profiles the command's form offers (a ChargePointMaxProfile goes to connector 0).
PRESETS = {
    "tx-default-16a": ("TxDefaultProfile, 16 A", _profile("TxDefaultProfile", "A", 16.0)),
    "tx-default-6a": ("TxDefaultProfile, 6 A (minimum)", _profile("TxDefaultProfile", "A", 6.0)),
    "cp-max-11kw": ("ChargePointMaxProfile, 11 kW (connector 0)", _profile("ChargePointMaxProfile", "W", 11000.0)),
    "recurring-daily": (
        "TxDefaultProfile, daily: 8 A from 00:00, 16 A from 06:00",
        {
            **_profile("TxDefaultProfile", "A", 8.0, kind="Recurring", recurrencyKind="Daily", profile_id=2),
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "duration": 86400,
                "startSchedule": "2024-01-01T00:00:00Z",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8.0}, {"startPeriod": 21600, "limit": 16.0}],
            },
        },
    ),
}

CASE = Case(
    key="14",
    number=14,
    title="Set charging profile or power control (for smart charging)",
    criteria=("After sending SetChargingProfile (per connector) a message with status Accepted must be received",),
    commands=(
        Command(
            "Set TxDefaultProfile",
            "SetChargingProfile",
            tx_default_profile("{rate_limit}", "{rate_unit}", connector_id="{connector}"),
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
    octt=("TC_056", "TC_057", "TC_059", "TC_066", "TC_058_1", "TC_058_2", "TC_067", "TC_072", "TC_082"),
    profile="SmartCharging",
    presets=PRESETS,
    rate_limits=RATE_LIMITS,
)


def _profile_legal_reject(s: Scope, command: Record) -> str:
    """Why a Rejected SetChargingProfile is a legal answer, or ''."""
    profile = command.get("csChargingProfiles") or {}
    schedule = profile.get("chargingSchedule") or {}
    unit = schedule.get("chargingRateUnit")
    if unit and unit not in s.state.allowed_rate_units():
        return f"chargingRateUnit {unit} is not in ChargingScheduleAllowedChargingRateUnit (§9.4.2)"
    level = s.state.config_int("ChargeProfileMaxStackLevel")
    if level is not None and (profile.get("stackLevel") or 0) > level:
        return f"stackLevel above ChargeProfileMaxStackLevel {level} (§9.4.1)"
    periods = s.state.config_int("ChargingScheduleMaxPeriods")
    if periods is not None and len(schedule.get("chargingSchedulePeriod") or []) > periods:
        return f"more periods than ChargingScheduleMaxPeriods {periods}"
    if command.get("connectorId") not in range(0, s.state.connector_count() + 1):
        return "no such connector"
    most = s.state.config_int("MaxChargingProfilesInstalled")
    installed = _installed(s, command)
    key = (command.get("connectorId"), profile.get("chargingProfileId"))
    if most is not None and key not in installed and len(installed) >= most:
        return f"{len(installed)} profiles installed already, MaxChargingProfilesInstalled {most} (§9.4.3)"
    return ""


def _installed(s: Scope, before: Record) -> set[tuple]:
    """(connector, chargingProfileId) of the profiles the charger accepted before a
    command, since it last accepted clearing them all."""
    installed: set[tuple] = set()
    for record in s.log.window(0, before.seq - 1):
        if record.direction != "out" or record.message_type != CALL or record.answer_status() != "Accepted":
            continue
        if record.action == "ClearChargingProfile" and not record.payload:
            installed.clear()
        elif record.action == "SetChargingProfile":
            profile = record.get("csChargingProfiles") or {}
            installed.add((record.get("connectorId"), profile.get("chargingProfileId")))
    return installed


def judge(s: Scope) -> Verdict:
    latest: dict = {}
    notes = []
    for command in s.calls("SetChargingProfile", "out"):
        if command.answer is None:
            continue
        if command.answer_status() in UNSUPPORTED_ANSWERS or (
            command.answer_status() != "Accepted"
            and command.answer.message_type == 3
            and s.state.lacks_profile("SmartCharging")
        ):
            return not_supported(command, "SetChargingProfile", s.state.vendor())
        status = command.answer_status()
        if status != "Accepted":
            if not s.state.config_known():
                notes.append(f"connector {command.get('connectorId')}: Rejected while the charger's limits are unknown")
                continue
            why = _profile_legal_reject(s, command)
            if why:
                notes.append(f"connector {command.get('connectorId')}: Rejected, {why}")
                continue
            return Verdict(
                FAILED,
                f"SetChargingProfile for connector {command.get('connectorId')} answered {status} for a profile the "
                "charger's own limits allow: the test script requires Accepted (§5.16 allows Rejected, without saying "
                "when)",
                "",
                ids(command),
                expected="SetChargingProfile Accepted",
                actual=f"{status} at {at(command.answer)}",
                clause="test script item 14 (§5.16 Set Charging Profile)",
            )
        latest[command.get("connectorId")] = command
    count = s.state.connector_count() or 1
    wanted = list(range(1, count + 1))
    steps = [step(f"Connector {c}: SetChargingProfile Accepted", latest.get(c)) for c in wanted]
    note = f" ({'; '.join(notes)})" if notes else ""
    missing = [c for c in wanted if c not in latest]
    if missing:
        return Verdict(
            OPEN,
            f"Send SetChargingProfile for {connectors(missing)}.{note}",
            "",
            ids(*latest.values()),
            steps=steps,
        )
    return Verdict(
        PASSED,
        f"SetChargingProfile accepted for every connector ({', '.join(map(str, wanted))}){note}",
        "ok",
        ids(*latest.values()),
        expected="SetChargingProfile Accepted per connector",
        actual=", ".join(f"connector {c} at {at(latest[c].answer)}" for c in wanted),
        steps=steps,
    )


async def drive(run: CaseRun) -> None:
    """A TxDefaultProfile per connector, in a unit the charger allows (Current
    unless it allows only Power, §9.4.2), at the case's rate limit."""
    units = run.config.get("ChargingScheduleAllowedChargingRateUnit", "Current")
    unit = "A" if "Current" in units or not units else "W"
    for connector in run.connectors:
        payload = tx_default_profile(RATE_LIMITS[unit], unit, connector_id=connector, profile_id=900 + connector)
        await run.command("SetChargingProfile", payload)
