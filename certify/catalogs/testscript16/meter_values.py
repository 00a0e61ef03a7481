"""Item 8 of the test script, Receive Meter reading: its data (CASE) and its rule (judge).
OCPP 1.6 §4.7 Meter Values, §9.1.19 MeterValueSampleInterval, §9.1.17
MeterValuesSampledData."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chargers.frames.reader import Record
from chargers.protocol.v16.state import meter_values, same_key

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


def _configured(s: Scope, when: datetime) -> dict[str, str]:
    """The measurands MeterValuesSampledData asks at a moment, without phase, by their
    name without case (§7.17) -> as configured."""
    value = s.state.value_at("MeterValuesSampledData", when) or DEFAULT_MEASURAND
    names = [_without_phase(m.strip()) for m in value.split(",") if m.strip()]
    return {name.lower(): name for name in names}


def _names(value) -> set[str]:
    return {_without_phase(m.strip()).lower() for m in str(value or "").split(",") if m.strip()}


def _waived(s: Scope) -> tuple[set[str], str]:
    """The script's measurands the charger was asked for and would not sample (lower
    case), and the words saying so: those in a MeterValuesSampledData of ours it
    refused (§5.3: Rejected is legal for a measurand it cannot sample) and in none it
    accepted, or left out to keep within MeterValuesSampledDataMaxLength (§9.1.18)."""
    script = {m.lower() for _, m in SCRIPT_MEASURANDS}
    refused: set[str] = set()
    accepted: list[set[str]] = []
    said: list[str] = []
    for change in s.calls("ChangeConfiguration", "out"):
        if change.answer is None or not same_key(change.get("key"), "MeterValuesSampledData"):
            continue
        if change.answer_status() in ("Accepted", "RebootRequired"):
            accepted.append(_names(change.get("value")))
        else:
            refused |= _names(change.get("value"))
            said.append(f"{change.get('value')} {change.answer_status()}")
    if not accepted and not refused:
        return set(), ""
    waived = script & refused - set().union(*accepted)
    limit = s.state.config_int("MeterValuesSampledDataMaxLength")
    if accepted and limit and len(accepted[-1]) >= limit:
        beyond = script - accepted[-1] - waived
        if beyond:
            waived |= beyond
            said.append(f"no room for {', '.join(sorted(beyond))} within MeterValuesSampledDataMaxLength {limit}")
    if not waived:
        return set(), ""
    names = {m.lower(): m for _, m in SCRIPT_MEASURANDS}
    return waived, (
        f"MeterValuesSampledData: {'; '.join(said)}; so without {', '.join(names[m] for m in sorted(waived))}, "
        "which the test script asks and OCPP 1.6 lets a charger refuse (§5.3, §9.1.17)"
    )


def _violation(s: Scope, start: Record, stop: Record | None, samples) -> Verdict | None:
    """A SHALL a transaction's samples break: an accepted measurand missing from a
    periodic sample of its MeterValues (each sample judged, §9.1.17), or samples further
    apart than the interval in force, which counts from its change (§5.3, §9.1.19)."""
    tx = start.answer.get("transactionId")
    tolerance, slack = s.opt("interval_tolerance"), s.opt("interval_slack")
    offset = s.state.clock_offset()
    margin = timedelta(seconds=slack)
    if stop is not None:
        by_time: dict[datetime, set[str]] = {}
        for frame in samples.frames:
            for reading in meter_values(frame):
                if reading.periodic and reading.ts is not None:
                    by_time.setdefault(reading.ts, set()).update(v.measurand.lower() for v in reading.values)
        for when, found in sorted(by_time.items()):
            wanted = _configured(s, when - offset - margin)
            lacking = sorted(wanted[m] for m in wanted.keys() - found if m != DEFAULT_MEASURAND.lower())
            if lacking and len(by_time) >= 2:
                return Verdict(
                    FAILED,
                    f"MeterValuesSampledData in force for transaction {tx} asks {', '.join(sorted(wanted.values()))}; its "
                    f"periodic sample of {when:%H:%M:%S} lacks {', '.join(lacking)}",
                    "",
                    ids(*samples.frames[:2]),
                    expected=f"every periodic sample with {', '.join(sorted(wanted.values()))}",
                    actual=f"a sample of {', '.join(sorted(found))}",
                    clause="§9.1.17 MeterValuesSampledData, §3.16.4",
                )
    changes = [
        c.answer.ts
        for c in s.log.calls("ChangeConfiguration", "out")
        if same_key(c.get("key"), "MeterValueSampleInterval") and c.answer_status() == "Accepted"
    ]
    for a, b in itertools.pairwise(samples.periodic):
        before = s.state.config_int("MeterValueSampleInterval", a.ts - offset) or 0
        after = s.state.config_int("MeterValueSampleInterval", b.ts - offset - margin) or 0
        if not after:
            continue  # 0: no periodic samples asked
        # Across a change (even to the same value) the old period may run out first, or the
        # new one count from the change (§5.3).
        changed = any(a.ts - offset < when <= b.ts - offset for when in changes)
        allowed = (before + after if changed else after) * (1 + tolerance) + slack
        gap = seconds(a.ts, b.ts)
        if gap > allowed:
            return Verdict(
                FAILED,
                f"Periodic samples of transaction {tx} are {gap:.0f} s apart by their own timestamps; "
                f"MeterValueSampleInterval in force was {after} s",
                "",
                ids(*samples.frames[:3]),
                expected=f"a periodic sample every {after} s",
                actual=f"{gap:.0f} s between the samples of {a.ts:%H:%M:%S} and {b.ts:%H:%M:%S}",
                clause="§9.1.19 MeterValueSampleInterval, §7.33 MeterValue",
            )
    return None


def judge(s: Scope) -> Verdict:
    stops = {r.get("transactionId"): r for r in s.state.stops()}
    waived, waived_note = _waived(s)
    best: Verdict | None = None
    done: Verdict | None = None
    # Every transaction is judged: one that breaks a SHALL fails the item whatever came
    # before it, and any one that shows the script's criteria passes it.
    for start in s.state.started(s.lo, s.hi):
        tx = start.answer.get("transactionId")
        stop = stops.get(tx)
        samples = s.state.samples(start, stop, s.now)
        violation = _violation(s, start, stop, samples)
        if violation is not None:
            return violation
        own, periodic = samples.frames, samples.periodic
        found = {m.lower() for m in samples.measurands}
        interval = s.state.config_int("MeterValueSampleInterval", start.ts)
        if stop is None or done is not None:
            continue
        lacking = [name for name, measurand in SCRIPT_MEASURANDS if measurand.lower() not in found | waived]
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
        done = Verdict(
            PASSED,
            f"Transaction {tx}: meterStart {start.get('meterStart')} and meterStop {stop.get('meterStop')}, periodic "
            f"samples every ~{interval or '?'} s with "
            + (f"what it accepted to sample ({waived_note})" if waived else "voltage, current and power"),
            "ok",
            ids(start, *own[:3], stop),
            {"samples": len(periodic)},
            expected="start and stop readings, periodic samples at the interval, voltage, current and power",
            actual=f"{len(periodic)} periodic samples of {', '.join(sorted(samples.measurands))}",
            steps=steps,
        )
    return (
        done
        or best
        or Verdict(
            OPEN,
            "Awaiting a transaction with meter values (start, charge a few intervals, stop).",
            steps=[step("A stopped transaction with periodic samples of voltage, current and power")],
            waiting={"for": "a transaction", "person": "start a transaction, charge a few intervals, stop it"},
        )
    )


async def drive(run: CaseRun) -> None:
    """Judged from the transactions of items 6 and 7 (it rides on 6; item 7 lets one run
    2.5 intervals): before them, the interval and the measurands it judges are set. The
    interval is item 5's when item 5 is in the run."""
    if "5" not in run.cases:
        await run.configure("MeterValueSampleInterval")
    await sample_the_script(run)


async def sample_the_script(run: CaseRun) -> None:
    """MeterValuesSampledData with the script's measurands, within
    MeterValuesSampledDataMaxLength (§9.1.18); when the charger refuses them all at
    once, they are added one by one, keeping those it accepts (the judge says which
    it refused)."""
    wanted = [m for _, m in reversed(SCRIPT_MEASURANDS)] + [DEFAULT_MEASURAND]  # what the script asks first
    limit = _int(run.config.get("MeterValuesSampledDataMaxLength"))
    if limit:
        wanted = wanted[:limit]
    value = ",".join(m for m in CASE.commands[1].payload["value"].split(",") if m in wanted)
    status = await _sampled(run, value)
    if status != "Rejected":  # Accepted; or NotSupported, no answer: nothing smaller would do
        return
    kept: list[str] = []
    for measurand in wanted:
        if await _sampled(run, ",".join([*kept, measurand])) in ("Accepted", "RebootRequired"):
            kept.append(measurand)
    run.notes.append(f"MeterValuesSampledData {value} Rejected; {','.join(kept) or 'none of them'} accepted")


async def _sampled(run: CaseRun, value: str) -> str:
    answer = await run.command("ChangeConfiguration", {"key": "MeterValuesSampledData", "value": value})
    return (answer or {}).get("status") or "no answer"


def _int(value: str | None) -> int:
    try:
        return int(float(value or 0))
    except ValueError:
        return 0
