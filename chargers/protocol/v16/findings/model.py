"""What a finding is, and the registry of the checks that raise them.

A check names the clause it rests on and how strong that clause is: a
`violation` breaks a SHALL (or MUST), a `deviation` goes against a SHOULD or
against what the specification describes without a SHALL, a `note` is worth
knowing and breaks nothing. Where the specification says MAY, no check exists.
"""

from __future__ import annotations

from dataclasses import dataclass

VIOLATION, DEVIATION, NOTE = "violation", "deviation", "note"
SEVERITIES = (VIOLATION, DEVIATION, NOTE)


@dataclass(frozen=True)
class Check:
    """One registered check: its id, severity, clause and what it looks for (one line)."""

    id: str
    severity: str
    clause: str
    title: str


@dataclass(frozen=True)
class Finding:
    """One thing the charger did wrong, with the frames (by seq) it rests on."""

    check: str
    severity: str
    clause: str
    text: str
    seqs: tuple[int, ...]
    connector: int | None = None
    ts: str = ""  # ISO UTC of the first frame it rests on

    def as_dict(self) -> dict:
        """JSON-ready, with the check's title beside it."""
        registered = CHECKS.get(self.check)
        return {
            "check": self.check,
            "severity": self.severity,
            "clause": self.clause,
            "title": registered.title if registered else "",
            "text": self.text,
            "seqs": list(self.seqs),
            "connector": self.connector,
            "ts": self.ts,
        }


CHECKS: dict[str, Check] = {}


def register(id: str, severity: str, clause: str, title: str) -> Check:
    """Add a check to the registry (ids are unique)."""
    if id in CHECKS:
        raise ValueError(f"check {id!r} registered twice")
    if severity not in SEVERITIES:
        raise ValueError(f"check {id!r}: severity {severity!r} is not one of {SEVERITIES}")
    CHECKS[id] = Check(id, severity, clause, title)
    return CHECKS[id]
