"""Protocol findings over a whole OCPP 1.6-J log: everything the charger did
against the specification, not only what a test case asks (issue 22).

`scan(records)` lints a whole log; `Findings().feed(records)` does the same as
frames arrive, keeping only the state the checks need. `CHECKS` lists every
check with its severity and clause. Findings never change a verdict.
"""

from __future__ import annotations

from . import checks as _checks  # noqa: F401  (registers the checks)
from .engine import Findings, scan
from .model import CHECKS, DEVIATION, NOTE, SEVERITIES, VIOLATION, Check, Finding
from .rules import TRANSITIONS

__all__ = [
    "CHECKS",
    "DEVIATION",
    "NOTE",
    "SEVERITIES",
    "TRANSITIONS",
    "VIOLATION",
    "Check",
    "Finding",
    "Findings",
    "scan",
]
