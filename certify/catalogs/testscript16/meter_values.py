"""Item 8 of the test script, Receive Meter reading: its data (CASE) and its rule (judge).
OCPP 1.6 §4.7 Meter Values, §9.1.19 MeterValueSampleInterval, §9.1.17
MeterValuesSampledData."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from ...judging.scope import Scope
from ...judging.verdict import FAILED, OPEN, PASSED, Verdict, ids, seconds, step
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="8",
    number=8,
    title="Receive Meter reading",
    criteria=(
        "Meter values are received at the start of transaction and stop of transaction",
        "Meter values are received, according to meter interval that can be set by user (at least 30 seconds "
        "interval when charging)",
        "Voltage, current and power reading are received, according to meter interval that can be set by user "
        "(at least 30 seconds interval)",
    ),
    manual="Charge for at least three meter intervals.",
    commands=(
        Command(
            "Set MeterValueSampleInterval",
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": "30"},
        ),
        Command(
            "Sample voltage, current, power, energy",
            "ChangeConfiguration",
            {
                "key": "MeterValuesSampledData",
                "value": "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage",
            },
        ),
    ),
    clauses=("4.7 Meter Values", "9.1.19 MeterValueSampleInterval", "9.1.17 MeterValuesSampledData"),
    panel=frozenset({"meter_chart"}),
    octt=("TC_070", "TC_071", "TC_036"),
    shows=("meter_chart",),
    # Judged from the transactions of items 6 and 7: its attempt begins first.
    rides_on="6",
)


SCRIPT_MEASURANDS = (("Voltage", "Voltage"), ("Current", "Current.Import"), ("Power", "Power.Active.Import"))


DEFAULT_MEASURAND = "Energy.Active.Import.Register"


PHASE_SUFFIXES = ("L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1", "L1", "L2", "L3", "N")


def _without_phase(measurand: str) -> str:
    """A configured measurand may carry a phase ("Voltage.L1", §9.1.17); samples
    carry it in their own phase field."""
    for suffix in PHASE_SUFFIXES:
        if measurand.endswith("." + suffix):
            return measurand[: -len(suffix) - 1]
    return measurand


def judge(s: Scope) -> Verdict:
    stops = {r.get("transactionId"): r for r in s.state.stops()}
    tolerance, slack = s.opt("interval_tolerance"), s.opt("interval_slack")
    best: Verdict | None = None
    for start in s.state.started(s.lo, s.hi):
        tx = start.answer.get("transactionId")
        stop = stops.get(tx)
        samples = s.state.samples(start, stop, s.now)
        own, periodic, found = samples.frames, samples.periodic, samples.measurands
        config = s.state.config(start.ts)
        interval = s.state.config_int("MeterValueSampleInterval", start.ts)
        configured = {
            _without_phase(m.strip())
            for m in (config.get("MeterValuesSampledData") or DEFAULT_MEASURAND).split(",")
            if m.strip()
        }
        ignored = sorted(m for m in configured - found if m != DEFAULT_MEASURAND or not found)
        if len(periodic) >= 2 and ignored and stop is not None:
            return Verdict(
                FAILED,
                f"MeterValuesSampledData in force for transaction {tx} asks {', '.join(configured)}; its samples "
                f"lack {', '.join(ignored)}",
                "",
                ids(*own[:2]),
                expected=f"periodic samples of {', '.join(sorted(configured))}",
                actual=f"samples of {', '.join(sorted(found))}",
                clause="§9.1.17 MeterValuesSampledData, §3.16.4",
            )
        gaps = [seconds(a.ts, b.ts) for a, b in itertools.pairwise(periodic)]
        if interval and gaps:
            limit = interval * (1 + tolerance) + slack
            if max(gaps) > limit:
                return Verdict(
                    FAILED,
                    f"Periodic samples of transaction {tx} are {max(gaps):.0f} s apart by their own timestamps; "
                    f"MeterValueSampleInterval in force was {interval} s",
                    "",
                    ids(*own[:3]),
                    expected=f"a periodic sample every {interval} s",
                    actual=f"{max(gaps):.0f} s between samples",
                    clause="§9.1.19 MeterValueSampleInterval, §7.33 MeterValue",
                )
        if stop is None:
            continue
        lacking = [name for name, measurand in SCRIPT_MEASURANDS if measurand not in found]
        steps = [
            step(f"Transaction {tx}: start and stop readings (meterStart, meterStop)", stop),
            step("Periodic samples at the interval in force", (own or [stop])[0] if len(periodic) >= 2 else None),
            step("Voltage, current and power sampled", (own or [stop])[0] if periodic and not lacking else None),
        ]
        if len(periodic) < 2 or lacking:
            what = (
                f"had {len(periodic)} periodic sample(s); charge for a few MeterValueSampleInterval"
                f" ({interval if interval else '?'} s)"
                if len(periodic) < 2
                else f"lacks {', '.join(lacking)} (configure MeterValuesSampledData: the spec default is energy "
                "only, §9.1.17)"
            )
            best = best or Verdict(OPEN, f"Transaction {tx} {what}.", "", ids(start, stop), steps=steps)
            continue
        return Verdict(
            PASSED,
            f"Transaction {tx}: meterStart {start.get('meterStart')} and meterStop {stop.get('meterStop')}, periodic "
            f"samples every ~{interval or '?'} s with voltage, current and power",
            "ok",
            ids(start, *own[:3], stop),
            {"samples": len(periodic)},
            expected="start and stop readings, periodic samples at the interval, voltage, current and power",
            actual=f"{len(periodic)} periodic samples of {', '.join(sorted(found))}",
            steps=steps,
        )
    return best or Verdict(
        OPEN,
        "Awaiting a transaction with meter values (start, charge a few intervals, stop).",
        steps=[step("A stopped transaction with periodic samples of voltage, current and power")],
        waiting={"for": "a transaction", "person": "start a transaction, charge a few intervals, stop it"},
    )


async def drive(run: CaseRun) -> None:
    """Judged from the transactions of items 6 and 7, it rides on 6: they need
    samples at a short interval, which item 5 sets; without item 5 in the run,
    item 8 sets it itself."""
    if run.riding and "5" not in run.cases:
        await run.configure("MeterValueSampleInterval")
