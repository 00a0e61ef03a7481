"""Protocol findings as the pages and the API show them (the checks themselves:
chargers.protocol.v16.findings): a charger's kept between looks, within bounds;
counted, filtered by severity and check, grouped when repeated, and their frames
made links into the frame log.

A charger's findings are worked out when its page or the API asks, over its
recent log: the first look reads at most WINDOW_FRAMES frames back from the
newest, later looks feed only the frames that came since (a busy charger is not
read again per frame). What a look keeps (the parsed log and the findings) is
owned by this module's table, bounded: at most KEPT_CHARGERS chargers and
KEPT_FRAMES frames in all, the least recently looked at going first; a charger
whose window grew past twice WINDOW_FRAMES starts a new window at its next look.
Everything here is plain dicts (Finding.as_dict), so findings kept at a
session's sign-off read as live ones do.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from .frames.reader import Log, parse_time
from .models import Frame
from .protocol.v16 import findings as v16_findings

SEVERITIES = ("violation", "deviation", "note")  # most serious first, as every list orders them
SEVERITY_LABELS = {"violation": "Violation", "deviation": "Deviation", "note": "Note"}
WINDOW_FRAMES = 5_000  # a charger's first look reads its newest frames, this many at most
KEPT_CHARGERS = 8  # chargers whose look is kept between requests
KEPT_FRAMES = 20_000  # frames kept in all over those chargers (each parsed, with its text)
PANEL_SHOWN = 100  # findings a panel lists, newest first; the rest are counted
FRAMES_SHOWN = 5  # a grouped finding's frames named, the first ones


def checks() -> dict:
    """The registered checks, by id (Check: id, severity, clause, title)."""
    return v16_findings.CHECKS


def new_engine(initial: dict | None = None):
    """An incremental findings engine (Findings: feed(records) -> new ones, .all, .counts());
    `initial`: what was known before the log began ({"config": {...}}, as State16 takes it)."""
    return v16_findings.Findings(initial)


def of_records(records, now=None, initial: dict | None = None) -> list[dict]:
    """Every finding over these records (a whole log read at once), as dicts."""
    return [f.as_dict() for f in v16_findings.scan(list(records), now=now, initial=initial)]


def counts(findings: Iterable[dict]) -> dict[str, int]:
    """Findings counted by severity, every severity named."""
    out = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        out[finding["severity"]] = out.get(finding["severity"], 0) + 1
    return out


def counted_words(tally: dict[str, int]) -> str:
    """ "2 violations, 1 deviation, no notes": every severity, for an outcome line."""

    def words(n: int, severity: str) -> str:
        return f"{n or 'no'} {severity}{'' if n == 1 else 's'}"

    return ", ".join(words(tally.get(severity, 0), severity) for severity in SEVERITIES)


def ordered(findings: Iterable[dict]) -> list[dict]:
    """Most serious first, then in log order."""
    rank = {severity: n for n, severity in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (rank.get(f["severity"], 9), min(f["seqs"] or [0])))


def filtered(findings: Iterable[dict], severity: str = "", check: str = "") -> list[dict]:
    """The findings of one severity and/or one check ('' for all)."""
    return [f for f in findings if (not severity or f["severity"] == severity) and (not check or f["check"] == check)]


def since(findings: Iterable[dict], after: str) -> list[dict]:
    """The findings raised after `after`: a seq (their last frame's seq is greater) or an
    ISO 8601 time (their time is at or after it; a time without a zone is UTC).
    ValueError if `after` is neither."""
    after = after.strip()
    if after.isdigit():
        seq = int(after)
        return [f for f in findings if max(f["seqs"] or [0]) > seq]
    moment = parse_time(after)
    if moment is None:
        raise ValueError(f"since={after!r} is neither a frame seq nor an ISO 8601 time")
    return [f for f in findings if (parse_time(f["ts"]) or moment) >= moment]


def grouped(findings: Iterable[dict]) -> list[dict]:
    """Repeated findings of one check as one line: {check, severity, clause, title,
    text (the first's), count, seqs (the first FRAMES_SHOWN frames), more (frames
    left unnamed)}; most serious first, then by the check's first frame."""
    groups: dict[str, dict] = {}
    for finding in ordered(findings):
        group = groups.get(finding["check"])
        if group is None:
            check = checks().get(finding["check"])
            group = groups[finding["check"]] = {
                "check": finding["check"],
                "severity": finding["severity"],
                "clause": finding["clause"],
                "title": check.title if check else finding["check"],
                "text": finding["text"],
                "count": 0,
                "all_seqs": [],
            }
        group["count"] += 1
        group["all_seqs"].extend(finding["seqs"])
    for group in groups.values():
        seqs = sorted(set(group.pop("all_seqs")))
        group["seqs"], group["more"] = seqs[:FRAMES_SHOWN], max(0, len(seqs) - FRAMES_SHOWN)
    return list(groups.values())


@dataclass
class Panel:
    """What a findings panel shows: the counts, the filter's choices and values, the
    findings listed (each with its frames as {seq, pk}), and how many were left out."""

    tally: dict[str, int]
    shown: list[dict]
    hidden: int
    severity: str
    check: str
    check_choices: list[tuple[str, str]]
    from_seq: int | None = None  # a charger's: the first frame its window read

    @property
    def total(self) -> int:
        return sum(self.tally.values())

    @property
    def counted(self) -> list[tuple[str, str, int]]:
        """(severity, label, how many), every severity, most serious first."""
        return [(s, SEVERITY_LABELS[s], self.tally.get(s, 0)) for s in SEVERITIES]

    @property
    def severity_choices(self) -> list[tuple[str, str]]:
        return [(s, SEVERITY_LABELS[s]) for s in SEVERITIES]


def charger_panel(charger_pk: int, params) -> Panel:
    """A charger page's findings panel, over the charger's recent log."""
    found, from_seq, _ = of_charger(charger_pk)
    return panel(found, params, charger_pk, from_seq)


def panel(findings: list[dict], params, charger_pk: int | None, from_seq: int | None = None) -> Panel:
    """The panel of these findings, filtered as the URL says (`severity`, `check`), newest
    first, each frame a link target (its Frame pk, looked up once for the panel)."""
    severity = params.get("severity", "")
    severity = severity if severity in SEVERITIES else ""
    check = params.get("check", "")
    check = check if check in checks() else ""
    chosen = filtered(findings, severity, check)
    shown = sorted(chosen, key=lambda f: -max(f["seqs"] or [0]))[:PANEL_SHOWN]
    wanted = {seq for f in shown for seq in f["seqs"]}
    pks = {}
    if charger_pk is not None and wanted:
        pks = dict(Frame.objects.filter(charger_id=charger_pk, seq__in=wanted).values_list("seq", "pk"))
    listed = [
        {
            **f,
            "label": SEVERITY_LABELS.get(f["severity"], f["severity"]),
            "title": getattr(checks().get(f["check"]), "title", f["check"]),
            "frames": [{"seq": seq, "pk": pks.get(seq)} for seq in f["seqs"]],
        }
        for f in shown
    ]
    choices = [(c.id, c.title) for c in sorted(checks().values(), key=lambda c: c.id)]
    return Panel(counts(findings), listed, len(chosen) - len(shown), severity, check, choices, from_seq)


# -- a charger's findings, kept between looks ----------------------------------------------


@dataclass(eq=False)
class _Look:
    from_seq: int  # the first seq the window read
    log: Log
    engine: object
    fed: int = 0  # records of the log the engine has seen


# charger pk -> its look, least recently used first. Owned here, bounded by
# KEPT_CHARGERS and KEPT_FRAMES (see the module's docstring); nothing else holds them.
_looks: OrderedDict[int, _Look] = OrderedDict()
_lock = threading.Lock()  # looks come from request threads


def of_charger(charger_pk: int) -> tuple[list[dict], int | None, int | None]:
    """The charger's findings over its recent log (as dicts, in the order found), the
    first seq the window read and the last (None, None: the charger has no frames)."""
    with _lock:
        look = _looks.pop(charger_pk, None)
    newest = Frame.objects.filter(charger_id=charger_pk).order_by("-seq").values_list("seq", flat=True).first()
    if newest is None:
        return [], None, None
    if look is None or len(look.log) > 2 * WINDOW_FRAMES:
        start = max(0, newest - WINDOW_FRAMES)
        look = _Look(start + 1, Log(), new_engine())
    frames = Frame.objects.filter(charger_id=charger_pk, seq__gt=max(look.log.last_seq, look.from_seq - 1))
    look.log.extend(frames.order_by("seq").values(*_COLUMNS).iterator(chunk_size=2000))
    look.engine.feed(look.log.records[look.fed :])
    look.fed = len(look.log.records)
    found = [f.as_dict() for f in look.engine.all]
    with _lock:
        _looks[charger_pk] = look
        while len(_looks) > KEPT_CHARGERS or sum(len(x.log) for x in _looks.values()) > KEPT_FRAMES:
            _looks.popitem(last=False)
    return found, look.from_seq, look.log.last_seq or None


_COLUMNS = ("id", "seq", "ts", "direction", "message_type", "action", "unique_id", "raw", "sent_by", "note")


def forget(charger_pk: int | None = None) -> None:
    """Drop a charger's look (or all of them)."""
    with _lock:
        if charger_pk is None:
            _looks.clear()
        else:
            _looks.pop(charger_pk, None)


def kept() -> dict[int, int]:
    """Charger pk -> frames kept, least recently used first."""
    with _lock:
        return {pk: len(look.log) for pk, look in _looks.items()}
