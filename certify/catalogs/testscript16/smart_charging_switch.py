"""Item 15 of the test script, Smart Charging Enable/Disable: its data (CASE) and its rule
(judge)."""

from __future__ import annotations

from ...judging.scope import Scope
from ...judging.verdict import OPEN, Verdict
from .. import Case

CASE = Case(
    key="15",
    number=15,
    title="Smart Charging Enable/Disable",
    criteria=("Receive enable/disable status notification when smart charging enabled/disabled",),
    manual="OCPP 1.6 has no message for this: enable and disable smart charging on the charger and record "
    'what it showed (e.g. "Not supported by the vendor").',
    profile="SmartCharging",
    automatic=False,
)


def judge(s: Scope) -> Verdict:
    return Verdict(OPEN, "Manual item: no OCPP 1.6 message exists for it; record what the charger showed.")
