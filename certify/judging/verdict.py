"""What a rule returns, and the words verdicts are written in.

A `Verdict` is open, passed, failed, not supported or not applicable, with a
one-line reason, a short remark in the reference's words, what was expected and
what came, the clause a failure breaks, the frames it rests on, its steps (each
done or not, with its frame) and what it waits for. The constants are the
database's too (certify.models imports them from here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from chargers.frames.reader import CALLRESULT, Record

OPEN, PASSED, FAILED, NOT_SUPPORTED, NOT_APPLICABLE = "open", "passed", "failed", "not_supported", "not_applicable"
INCONCLUSIVE = "inconclusive"  # the bench could not test it (our answer was not what the case needs, a disconnect)
VERDICT_LABELS = {
    OPEN: "Open",
    PASSED: "Passed",
    FAILED: "Failed",
    NOT_SUPPORTED: "Not supported",
    NOT_APPLICABLE: "Not applicable",
    INCONCLUSIVE: "Inconclusive",
}
FINAL_VERDICTS = (PASSED, FAILED, NOT_SUPPORTED, NOT_APPLICABLE, INCONCLUSIVE)
# Answers that say "this optional feature is not implemented" (OCPP-J §4.2.3; 1.6 §7.11, §7.44).
UNSUPPORTED_ANSWERS = frozenset({"NotImplemented", "NotSupported"})


@dataclass
class Verdict:
    status: str
    reason: str
    remark: str = ""
    evidence: list[int] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    expected: str = ""
    actual: str = ""
    clause: str = ""  # the clause a failure breaks
    steps: list[dict] = field(default_factory=list)  # {"label", "done", "frame"}
    waiting: dict = field(default_factory=dict)  # {"for", "deadline", "person"}

    @property
    def final(self) -> bool:
        return self.status != OPEN


def step(label: str, record: Record | None = None, done: bool | None = None, also: tuple = ()) -> dict:
    """One step of a verdict: done when its frame came (or as `done` says). A
    step made of several frames ("RemoteStartTransaction, StartTransaction,
    Charging") names the others in `also`: the evidence table shows them all."""
    found = {
        "label": label,
        "done": record is not None if done is None else done,
        "frame": record.id if record else None,
    }
    more = [r.id for r in also if r is not None]
    if record is not None and more:
        found["frames"] = more
    return found


def ids(*records: Record | None) -> list[int]:
    """The frames records rest on: each, and a CALL's answer with it."""
    found: list[int] = []
    for record in records:
        if record is not None:
            found.append(record.id)
            if record.answer is not None:
                found.append(record.answer.id)
    return found


def seconds(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds(), 3)


def at(record: Record | None) -> str:
    """Where a frame is, in words: "12:00:03 (frame #42)"."""
    return f"{record.ts:%H:%M:%S} (frame #{record.seq})" if record is not None else ""


def connectors(numbers) -> str:
    """ "connector 1", "connectors 1 and 2", "connectors 0, 1 and 2": a list of
    connector ids as a reason reads it."""
    names = [str(n) for n in numbers]
    if len(names) < 2:
        return f"connector {''.join(names)}"
    return f"connectors {', '.join(names[:-1])} and {names[-1]}"


# What our servers saw of a transfer (certify.transfer.saw), the telling ones first.
SERVER_SAW = {
    "stored": "stored {detail}",
    "served": "served {detail}",
    "login-failed": "refused the login ({detail})",
    "refused": "refused a request ({detail})",
    "too-large": "cut an upload off ({detail})",
    "incomplete": "saw the upload break off ({detail})",
    "login": "saw the charger log in ({detail}) but no file came",
}


def server_saw(
    transfers: list[dict], since: datetime, server: str, only: tuple[str, ...] = ()
) -> tuple[str | None, str]:
    """(the telling event, in words) of what our FTP or HTTP server saw of the
    session's transfers since a moment (of the events `only` names, when given: a
    firmware download is not a diagnostics upload): a failed transfer's reason says
    whose the failure was. (None, "nothing reached ...") when it saw nothing."""
    name = server.upper()
    seen = [t for t in transfers if t["server"] == server and t["at"] >= since and (not only or t["event"] in only)]
    for event, words in SERVER_SAW.items():
        found = [t for t in seen if t["event"] == event]
        if found:
            last = found[-1]
            return event, f"our {name} server {words.format(detail=last['detail'])} at {last['at']:%H:%M:%S}"
    return None, f"nothing reached our {name} server"


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def without_credentials(url: str) -> str:
    """A location as a report may print it: no user or password (they stay in the log)."""
    parts = urlsplit(str(url))
    if not parts.netloc or "@" not in parts.netloc:
        return str(url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def not_supported(command: Record, what: str, vendor: str) -> Verdict:
    """Not supported: the charger answered that it does not implement an optional feature."""
    return Verdict(
        NOT_SUPPORTED,
        f"{what} answered {command.answer_status()}: the charger does not implement this optional feature "
        "(§3.3: only Core is required; NotImplemented and NotSupported are correct answers: OCPP-J §4.2.3, "
        "§7.11, §7.44)",
        f"Not supported by {vendor}",
        ids(command),
        expected=f"{what} Accepted",
        actual=f"{command.answer_status()} at {at(command.answer)}",
    )


def refusal(command: Record, what: str, vendor: str, clause: str = "") -> Verdict | None:
    """The verdict a command's refusal gives, or None when it was answered with
    a CALLRESULT: Not supported for NotImplemented or NotSupported; with
    `clause`, Failed for any other CALLERROR."""
    if command.answer_status() in UNSUPPORTED_ANSWERS:
        return not_supported(command, what, vendor)
    if clause and command.answer is not None and command.answer.message_type != CALLRESULT:
        return Verdict(
            FAILED,
            f"{what} answered {command.answer_status()}",
            "",
            ids(command),
            expected=f"{what}.conf",
            actual=command.answer_status(),
            clause=clause,
        )
    return None
