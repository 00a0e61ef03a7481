"""Item 1 of the test script, Boot notification: its data (CASE) and its rule (judge). OCPP
1.6 §4.2 Boot Notification, §6.3 BootNotification.req."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...judging.scope import Scope
from ...judging.verdict import FAILED, OPEN, PASSED, Verdict, at, ids, step
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="1",
    number=1,
    title="Boot notification",
    criteria=(
        "Receive a (not empty) BootNotification message, containing chargePointModel and chargePointVendor "
        "(required by OCPP 1.6), and chargePointSerialNumber, iccid, chargePointVendor, firmwareVersion and "
        "chargePointModel",
    ),
    manual="Power the charger on (or reset it) with its central system URL pointing at this server.",
    commands=(Command("Reset (Soft) to see a boot", "Reset", {"type": "Soft"}),),
    clauses=("4.2 Boot Notification", "6.3 BootNotification.req"),
    octt=("TC_001", "TC_002"),
    # Judged on a boot the session sees: the reboot a reset or a firmware update causes
    # anyway. Never TriggerMessage BootNotification once a boot was accepted (errata v4.0
    # 3.40: the central system shall not).
    rides_on=("9", "12"),
)


SCRIPT_BOOT_FIELDS = ("chargePointSerialNumber", "iccid", "firmwareVersion")


def judge(s: Scope) -> Verdict:
    boots = s.calls("BootNotification", "in")
    if not boots:
        return Verdict(
            OPEN,
            "Awaiting a BootNotification (power the charger on or reset it).",
            steps=[step("BootNotification received")],
            waiting={"for": "a BootNotification", "person": "power the charger on, or send Reset"},
        )
    boot = boots[-1]
    if boot.answer is not None and boot.answer.message_type == 4:
        return Verdict(
            FAILED,
            f"BootNotification broke the schema: we answered {boot.answer_status()}",
            "",
            ids(boot),
            expected="a BootNotification.req with chargePointVendor and chargePointModel (§6.3)",
            actual=f"{boot.answer_status()} at {at(boot)}",
            clause="§6.3 BootNotification.req",
        )
    missing = [key for key in SCRIPT_BOOT_FIELDS if not boot.get(key)]
    absent_imsi = "" if boot.get("imsi") else ", imsi"
    reason = f"BootNotification from {boot.get('chargePointVendor')} {boot.get('chargePointModel')}"
    remark = "ok"
    if missing:
        reason += (
            f"; without {', '.join(missing)}: the test script asks for them, OCPP 1.6 §6.3 makes them optional "
            "(iccid and imsi belong to a modem's SIM)"
        )
        remark = f"ok, no {', '.join(missing)}{absent_imsi if 'iccid' in missing else ''}"
    return Verdict(
        PASSED,
        reason,
        remark,
        ids(boot),
        expected="BootNotification with chargePointVendor and chargePointModel; the script also asks "
        + ", ".join(SCRIPT_BOOT_FIELDS),
        actual=f"BootNotification at {at(boot)}" + (f", without {', '.join(missing)}" if missing else ""),
        steps=[step("BootNotification received", boot)],
    )


async def drive(run: CaseRun) -> None:
    """Riding on a reset or a firmware update, whose reboot is its boot: nothing
    to do. Alone: the charger's power cut and restored (a power-cycle step), as
    TriggerMessage BootNotification is forbidden after an accepted boot (errata
    v4.0 3.40)."""
    if run.riding:
        return
    mark = run.tail.seq
    await run.step("power-cycle", 0)
    await run.reboot(mark)
