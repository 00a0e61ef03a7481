"""Item 5 of the test script, Set configuration (set parameters that can be configured):
its data (CASE) and its rule (judge). OCPP 1.6 §5.3 Change Configuration."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chargers.frames.reader import Record
from chargers.protocol.v16.state import same_key

from ...judging.scope import Scope
from ...judging.verdict import FAILED, OPEN, PASSED, Verdict, at, ids, step
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="5",
    number=5,
    title="Set configuration (set parameters that can be configured)",
    criteria=(
        "After sending ChangeConfiguration (per item) a message with status Accepted must be received (and not "
        '"Not Supported", "Not implemented")',
    ),
    commands=(
        Command("Change a key", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}),
        Command("Read the key back", "GetConfiguration", {"key": ["HeartbeatInterval"]}),
    ),
    clauses=("5.3 Change Configuration",),
    octt=("TC_021", "TC_040_1", "TC_040_2"),
)


def _normal(value) -> str:
    """A configuration value as compared: case, spaces and the order of a comma-separated
    list do not matter (CiString values, §7.17; lists are sets of measurands or profiles)."""
    return ",".join(sorted({part.strip().lower() for part in str(value).split(",")}))


def _read_back(s: Scope, key: str, after: datetime) -> tuple[Record | None, str | None]:
    """The first GetConfiguration answer after a moment that lists the key."""
    for read in s.log.calls("GetConfiguration"):
        if read.direction != "out" or not read.ok or read.answer.ts < after:
            continue
        for entry in read.answer.get("configurationKey", []) or []:
            if isinstance(entry, dict) and same_key(entry.get("key"), key):
                return read, entry.get("value")
    return None, None


def judge(s: Scope) -> Verdict:
    changes = [c for c in s.calls("ChangeConfiguration", "out") if c.answer is not None]
    if not changes:
        return Verdict(
            OPEN, "Send ChangeConfiguration for a writable key, then read it back.", steps=[step("A key changed")]
        )
    notes, waiting_for = [], ""
    for change in reversed(changes):
        key, value, status = change.get("key"), change.get("value"), change.answer_status()
        if status not in ("Accepted", "RebootRequired"):
            # Rejected (out of range, read-only) and NotSupported (absent key) are legal (§5.3).
            notes.append(f"{key}={value} answered {status}")
            continue
        since = change.answer.ts
        if status == "RebootRequired":
            boot = s.first_after(s.root.calls("BootNotification", "in"), since)
            if boot is None:
                waiting_for = waiting_for or f"{key}: RebootRequired; reset the charger, then read the key back"
                continue
            since = boot.ts
        read, found = _read_back(s, key, since)
        if read is None:
            waiting_for = waiting_for or f"{key} changed ({status}); read it back (GetConfiguration)"
            continue
        boots = [b for b in s.root.calls("BootNotification", "in") if change.ts < b.ts <= read.answer.ts and b.ok]
        overridden = boots and str(boots[-1].answer.get("interval")) == str(found)
        if same_key(key, "HeartbeatInterval") and overridden and _normal(found) != _normal(value):
            # A boot in between handed out its own interval (§4.2): the change cannot be read back.
            notes.append(f"{key}={value}: a BootNotification set the interval to {found} before the read-back (§4.2)")
            continue
        if _normal(found) != _normal(value):
            return Verdict(
                FAILED,
                f"ChangeConfiguration {key}={value} was {status}, but GetConfiguration reads {found}",
                "",
                ids(change, read),
                expected=f"{key} = {value} when read back",
                actual=f"{key} = {found} at {at(read.answer)}",
                clause="§5.3 Change Configuration",
            )
        remark = "ok, heartbeat interval changed" if same_key(key, "HeartbeatInterval") else f"ok, {key} changed"
        note = f" (also: {'; '.join(notes)}: legal answers, §5.3)" if notes else ""
        return Verdict(
            PASSED,
            f"{key} changed to {value} ({status}) and read back{note}",
            remark,
            ids(change, read),
            expected=f"ChangeConfiguration {key} Accepted and the new value read back",
            actual=f"{status} at {at(change.answer)}, read back at {at(read.answer)}",
            steps=[step(f"{key} changed", change), step(f"{key} read back", read)],
        )
    reason = waiting_for or f"No key was changed ({'; '.join(notes)}: legal answers, §5.3); try a writable key."
    return Verdict(
        OPEN,
        reason,
        "",
        ids(*changes[-3:]),
        steps=[step("A key changed", None, done=bool(waiting_for)), step("Read back")],
        waiting={"for": reason} if waiting_for else {},
    )


async def drive(run: CaseRun) -> None:
    value = await run.configure("MeterValueSampleInterval")
    if value:
        await run.command("GetConfiguration", {"key": ["MeterValueSampleInterval"]})  # read back
    if run.reboot_required:  # applied after a reboot: read back after item 9's
        run.notes.append("RebootRequired: read back after the reset of item 9")
        run.deferred = True
