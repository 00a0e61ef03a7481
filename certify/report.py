"""The engineer's deliverable: a PDF shaped like the reference test script,
with the evidence each verdict rests on, signed (PAdES) with the complete
evidence log attached. Rendering fetches nothing from the network.

Page one is the script's head (title, charger, summary) and its results table;
then each item's evidence as one line per frame, the deciding fields only. The
full frames are in the attached log under the same seq, so a long session
prints the first and last frames an item rests on and names the rest. The same
context renders the HTML preview of the sign-off page.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from chargers import findings as shown_findings
from chargers.frames.reader import parse
from chargers.models import Frame

from . import catalogs, charts, evidence, firmware, heap, parsed_sessions, session_findings, signing
from .evaluation import evaluate_session, session_scope
from .models import FAILED, INCONCLUSIVE, OPEN, VERDICT_LABELS, CertSession, ItemResult, SessionFile
from .open_sessions import forget

COUNT_ORDER = ("passed", "failed", "not_supported", "not_applicable", "inconclusive", "open")
PRINTED_HEAD, PRINTED_TAIL = 10, 4  # an item's frames printed: its first ten and last four
ATTACH_MAX_BYTES = 5 * 1024 * 1024  # a received diagnostics file is attached below this size


def refuse_fetch(url: str, timeout: int = 10, ssl_context=None):
    """WeasyPrint's URL fetcher: data: URIs only, nothing from the network."""
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url, timeout, ssl_context)
    raise ValueError(f"The report fetches nothing: {url[:80]}")


def result_text(result: ItemResult, item: catalogs.Case) -> str:
    """The Result column as the reference writes it ("ok", "Ok, Configuration
    (109)", "Not supported by ...")."""
    if result.is_overridden:
        return result.override_remark
    if result.verdict == "passed":
        remark = result.remark or "ok"
        prefix = item.result_prefix
        return remark if not prefix or remark.lower().startswith(prefix.lower()) else prefix + remark
    if result.verdict == OPEN:  # printed after "Open: "; an open item was worked, or is being
        if not item.automatic:
            return "awaiting the engineer's verdict" + (f": {item.manual}" if item.manual else "")
        what = (result.waiting or {}).get("for")
        if what:
            return f"awaiting {what}"
        reason = result.auto_reason or "awaiting its evidence"
        return "a" + reason[1:] if reason.startswith("Awaiting") else reason
    return result.auto_reason  # failed, inconclusive (why the bench could not test it), not supported


def person(user) -> str:
    """ "Ada Lovelace (login ada)": a name and the login it signed in with."""
    if user is None:
        return "an unknown user"
    name, login = user.get_full_name().strip(), user.get_username()
    return f"{name} (login {login})" if name and name != login else f"login {login}"


@dataclass
class Printed:
    """An item's evidence as printed: its lines (each with the number of the
    item's frames left out before it, "gap_before", and the seq the gap starts
    after, "gap_from"), and how many frames the verdict rests on."""

    lines: list[dict]
    total: int
    head: int = PRINTED_HEAD
    tail: int = PRINTED_TAIL

    @property
    def gap(self) -> int:
        return self.total - len(self.lines)

    @property
    def decided(self) -> bool:
        return any(line["decides"] for line in self.lines)


def _chosen(ids: list[int]) -> list[int]:
    """The frames printed of a verdict's: its first and last, each once."""
    ids = list(dict.fromkeys(ids))
    if len(ids) <= PRINTED_HEAD + PRINTED_TAIL:
        return ids
    return ids[:PRINTED_HEAD] + ids[-PRINTED_TAIL:]


def _printed(ids: list[int], frames: dict[int, Frame], secrets: list[str], deciding: set = frozenset()) -> Printed:
    """The lines of the frames `_chosen` picked and of those that decided a
    step (all already loaded in `frames`), in log order; a deciding frame is
    marked, the others accompany it (answers, statuses)."""
    ids = list(dict.fromkeys(ids))
    picked = set(_chosen(ids)) | (set(ids) & deciding)
    lines, previous = [], None
    for index, fid in enumerate(ids):
        frame = frames.get(fid)
        if fid not in picked or frame is None:
            continue
        line = evidence.frame_line(frame, secrets)
        line["decides"] = fid in deciding
        line["gap_before"] = index - previous[0] - 1 if previous else 0
        line["gap_from"] = previous[1] if previous else None
        lines.append(line)
        previous = (index, frame.seq)
    return Printed(lines, len(ids))


def firmware_versions(session: CertSession) -> dict:
    """{"under_test", "after", "after_seq"}: the firmware under test as the
    session keeps it (certify.firmware), as every page shows it."""
    firmware.record(session)
    return {
        "under_test": session.firmware_at_start,
        "after": session.firmware_after_update,
        "after_seq": session.firmware_update_seq,
        "text": session.firmware,
    }


def outcome(counts: dict, results: dict[str, ItemResult], found: list[dict] = (), noun: str = "item") -> str:
    """The verdicts in a line, then the protocol findings seen (they never change a verdict)."""
    return f"{_verdicts_outcome(results, noun)}; {session_findings.outcome_words(list(found))}"


def _verdicts_outcome(results: dict[str, ItemResult], noun: str = "item") -> str:
    """In the catalog's order (its numbers), not the keys' text order ("10" before "2").
    A catalog of cases (OCTT) is run a selection at a time: its open cases are counted."""
    ordered = sorted(results.items(), key=lambda kv: (kv[1].number or 0, kv[0]))
    failed = [n for n, r in ordered if r.verdict == FAILED]
    open_ = [n for n, r in ordered if r.verdict == OPEN]
    untested = [n for n, r in ordered if r.verdict == INCONCLUSIVE]
    not_run = f"; {len(open_)} {noun}s not run" if noun == "case" and open_ else ""
    if failed:
        return f"Failed: {noun}{'s' if len(failed) > 1 else ''} {', '.join(map(str, failed))}{not_run}"
    if open_ and noun == "case":
        return f"Incomplete: {len(open_)} case{'s' if len(open_) > 1 else ''} not run (listed after the evidence)"
    if open_ or untested:
        parts = [f"{noun}{'s' if len(open_) > 1 else ''} {', '.join(map(str, open_))} open"] if open_ else []
        if untested:
            parts.append(f"{noun}{'s' if len(untested) > 1 else ''} {', '.join(map(str, untested))} inconclusive")
        return "Incomplete: " + "; ".join(parts)
    return f"Passed: every {noun} passed, is not supported or does not apply"


def _files(session: CertSession) -> list[dict]:
    rows = []
    for record in SessionFile.objects.filter(session=session):
        attach = record.kind == SessionFile.DIAGNOSTICS and record.size < ATTACH_MAX_BYTES
        rows.append({"record": record, "attached": attach, "attachment": _attachment_name(record) if attach else ""})
    return rows


def _attachment_name(record: SessionFile) -> str:
    return f"diagnostics-{record.name}" if record.name == signing.EVIDENCE_NAME else record.name


def attachments(session: CertSession) -> list[signing.Attachment]:
    """The received diagnostics files under ATTACH_MAX_BYTES, attached beside the log."""
    out = []
    for row in _files(session):
        if row["attached"]:
            record = row["record"]
            with record.file.open("rb") as handle:
                data = handle.read()
            out.append(signing.Attachment(row["attachment"], data, "text/plain", f"Diagnostics file {record.name}"))
    return out


WARNINGS_SHOWN = 5  # per item; the rest are counted


def _span(ids: list[int], seqs: dict[int, int]) -> str:
    """ "3 frames, seq 36 to 41": where in the log a list of frames lies."""
    known = sorted(seqs[i] for i in dict.fromkeys(ids) if i in seqs)
    if not known:
        return ""
    count = len(dict.fromkeys(ids))
    where = f"seq {known[0]}" if known[0] == known[-1] else f"seq {known[0]} to {known[-1]}"
    return f"{count} frame{'s' if count != 1 else ''}, {where}"


def _deciding(result: ItemResult) -> set[int]:
    """The frames the item's steps name: the ones that decided it."""
    return {
        f
        for s in result.steps
        if isinstance(s, dict) and s.get("done")
        for f in (s.get("frame"), *s.get("frames", ()))
        if isinstance(f, int)
    }


def _step_rows(result: ItemResult, frames: dict[int, Frame], seqs: dict[int, int]) -> list[dict]:
    """A case's steps as its section prints them: each with what became of it and
    the frames that decided it (seq); a step done by hand, who confirmed it."""
    rows = []
    for n, step in enumerate((s for s in result.steps if isinstance(s, dict)), 1):
        ids = [f for f in (step.get("frame"), *step.get("frames", ())) if isinstance(f, int)]
        state = step.get("state") or ("done" if step.get("done") else "pending")
        words = STEP_WORDS.get(state, state.replace("_", " "))
        if state == "manual":
            words = "done by hand" if step.get("done") else "to do by hand, not seen done"
        if step.get("confirmed") and ids and ids[0] in frames:
            words = f"done by hand, confirmed by {parse(frames[ids[0]]).get('by') or 'the engineer'}"
        seq_list = sorted({seqs[i] for i in ids if i in seqs})
        rows.append({"n": n, "label": step.get("label", ""), "state": state, "words": words, "seqs": seq_list})
    return rows


# What became of a step, as a case's section says it (sequence.Outcome's row states).
STEP_WORDS = {
    "done": "done",
    "skipped": "optional, did not come",
    "watching": "watched",
    "pending": "not reached",
    "open": "awaited",
    "failed": "failed",
    "inconclusive": "could not be tested",
    "not_supported": "not supported",
}


def _ends(ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(ids))
    return ids[:1] + ids[-1:]


def context(
    session: CertSession, signoff: dict, evidence_sha256: str, *, evidence_size: int = 0, preview: bool = False
) -> dict:
    results = {r.case: r for r in session.items.select_related("override_by")}
    tries: dict[str, list] = {}
    for attempt in session.attempts.order_by("case", "n"):
        tries.setdefault(attempt.case, []).append(attempt)
    secrets = evidence.secrets_of(session)
    wanted = {fid for r in results.values() for fid in (*_chosen(r.evidence), *_deciding(r))}
    located = {
        f
        for r in results.values()
        for step in r.steps
        if isinstance(step, dict)
        for f in (step.get("frame"), *step.get("frames", ()))
    }
    for r in results.values():
        for warning in r.warnings[:WARNINGS_SHOWN]:
            located.update(_ends(warning.get("evidence") or []))
    for attempts in tries.values():
        for attempt in attempts:
            located.update(_ends(attempt.evidence))
    frames = {f.pk: f for f in Frame.objects.filter(pk__in=wanted)}
    seqs = {pk: f.seq for pk, f in frames.items()}
    seqs.update(Frame.objects.filter(pk__in=[i for i in located if isinstance(i, int)]).values_list("pk", "seq"))
    files = _files(session)
    firmware = firmware_versions(session)
    rows = []
    counts = dict.fromkeys(VERDICT_LABELS, 0)
    catalog = catalogs.get(session.catalog)
    for item in catalog.cases:
        result = results.get(item.key) or ItemResult(case=item.key, number=item.number)
        results[item.key] = result
        counts[result.verdict] += 1
        label = VERDICT_LABELS[result.verdict]
        overridden = result.is_overridden
        attempts = tries.get(item.key, [])
        rows.append(
            {
                "item": item,
                "result": result,
                "text": result_text(result, item),
                "label": label,
                "auto_label": VERDICT_LABELS.get(result.auto_verdict, result.auto_verdict),
                "overridden": overridden,
                "override_by": person(result.override_by) if overridden else "",
                "group": catalog.groups.get(item.group, ""),
                "heading": f"{item.key if item.group else f'{item.number}.'} {item.title} — {label}"
                + (f" (set by hand; automatic: {VERDICT_LABELS.get(result.auto_verdict)})" if overridden else ""),
                "printed": _printed(result.evidence, frames, secrets, _deciding(result)),
                "attempt_summary": result.attempt_summary(attempts) if attempts else "",
                # One attempt that decided the verdict says all in the summary; more get a table.
                "attempts": [
                    {"attempt": a, "frames": _span(a.evidence, seqs)}
                    for a in attempts
                    if len(attempts) > 1 or a.verdict != result.auto_verdict
                ],
                "steps": [
                    {"label": step.get("label", ""), "done": step.get("done"), "seq": seqs.get(step.get("frame"))}
                    for step in result.steps
                    if isinstance(step, dict)
                ],
                # A case of a grouped catalog (OCTT): its steps as a table, each with its deciding frames.
                "step_rows": _step_rows(result, frames, seqs) if item.group else [],
                "worked": bool(attempts or result.evidence or result.is_overridden),
                "warnings": [
                    {**w, "frames": _span(w.get("evidence") or [], seqs)}
                    for w in result.warnings[:WARNINGS_SHOWN]
                    if isinstance(w, dict)
                ],
                "more_warnings": max(0, len(result.warnings) - WARNINGS_SHOWN),
                "timings": list((result.timings or {}).items()),
                "files": [
                    f
                    for f in files
                    if ("firmware" in item.shows and f["record"].kind == SessionFile.FIRMWARE)
                    or ("diagnostics" in item.shows and f["record"].kind == SessionFile.DIAGNOSTICS)
                ],
            }
        )
    frame_count = session.frames().count()
    days = {f.ts.date() for f in frames.values()}
    found = session_findings.of(session)
    return {
        "day": days.pop() if len(days) == 1 else None,  # all printed frames on one UTC day: times only
        "session": session,
        "facts": session.facts,
        "firmware": firmware,
        "platform": settings.CERTIFY_PLATFORM,
        "lab": session.lab or settings.CERTIFY_LAB,
        "rows": rows,
        # A catalog with groups (OCTT: its feature profiles) lists its cases by group on page one.
        "groups": [(words, [r for r in rows if r["group"] == words]) for words in catalog.groups.values()],
        "credit": catalog.credit,
        "catalog": catalog,
        # In the page footer, a CSS string: no quote or backslash to end it early.
        "footer_title": (catalog.title if catalog.groups else "OCPP 1.6 test script").translate({34: "'", 92: "/"}),
        "declaration": _declaration(session, catalog),
        # A grouped catalog's cases not worked (not run, ruled out) are listed, not printed one by one.
        "not_worked": [r for r in rows if r["group"] and not r["worked"]],
        # Inconclusive (the bench could not test a case) only when there is one.
        "counts": [(VERDICT_LABELS[k], counts[k]) for k in COUNT_ORDER if k != "inconclusive" or counts[k]],
        "outcome": outcome(counts, results, found, "case" if catalog.groups else "item"),
        "findings": {
            "counted": [
                (label, shown_findings.counts(found)[k]) for k, label in shown_findings.SEVERITY_LABELS.items()
            ],
            "groups": shown_findings.grouped(found),
        },
        "files": files,
        "chart": charts.session_chart(session),
        "max_points": charts.MAX_POINTS,
        "signoff": signoff,
        "evidence_sha256": evidence_sha256,
        "evidence_size": evidence_size,
        "evidence_name": signing.EVIDENCE_NAME,
        "frame_count": frame_count,
        "fingerprint": signing.fingerprint(),
        "preview": preview,
        "report": True,
        "attach_max_mb": ATTACH_MAX_BYTES // (1024 * 1024),
    }


def _declaration(session: CertSession, catalog: catalogs.Catalog) -> str:
    """The charger's declaration in one line (a catalog that has one), as the session judged with it."""
    if catalog.declaration is None:
        return ""
    return catalog.declaration.summary(session.options or {}, session_scope(session).state.config())


def render_html(session: CertSession, signoff: dict, log: bytes, sha: str, *, preview: bool = False) -> str:
    """The report as HTML; `log` is the evidence log it is signed with, `sha` its SHA-256."""
    page = context(session, signoff, sha, evidence_size=len(log), preview=preview)
    # The session's own secrets are masked in the whole page, not only in the
    # frames: a verdict's text may quote a location that carries them.
    return evidence.redact(render_to_string("certify/report.html", page), evidence.secrets_of(session))


def render_pdf(session: CertSession, signoff: dict, log: bytes, sha: str) -> tuple[bytes, tuple | None]:
    """The PDF, and the box (x1, y1, x2, y2 in PDF points, on the last page)
    where the template drew the visible signature: the signature's field goes
    over it, so the statement is never cut off and every font is embedded."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    global _fonts
    html = render_html(session, signoff, log, sha)
    with _rendering:
        if _fonts is None:
            _fonts = FontConfiguration()
        document = HTML(string=html, url_fetcher=refuse_fetch).render(font_config=_fonts)
        return document.write_pdf(), _reserved_box(document)


# One font configuration for every report of the process, one report rendered at
# a time: WeasyPrint's default, a new one per report, left Pango and fontconfig
# state behind for the life of the process with every report (certify/heap.py).
_fonts = None
_rendering = threading.Lock()


def _reserved_box(document) -> tuple | None:
    page = document.pages[-1]
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        if element is not None and element.get("id") == "signature-box" and box.element_tag == "div":
            pt = 0.75  # CSS px per PDF point
            x, y = box.border_box_x(), box.border_box_y()
            w, h = box.border_width(), box.border_height()
            return (x * pt, (page.height - y - h) * pt, (x + w) * pt, (page.height - y) * pt)
    return None


def signoff_of(user, name: str, role: str, statement: str, day: date | None, finished: datetime | None) -> dict:
    return {
        "name": name,
        "role": role,
        "statement": statement,
        "date": day or timezone.now().date(),
        "login": user.get_username() if getattr(user, "pk", None) else "",
        "at": timezone.now(),
        "finished": finished or timezone.now(),
    }


def preview_html(session: CertSession, user, name: str, role: str, statement: str, day: date | None = None) -> str:
    """The report as it would be signed now, as HTML, marked as a preview."""
    evaluate_session(session)
    session.refresh_from_db(fields=["facts"])
    log, sha = evidence.export(session)
    signoff = signoff_of(user, name, role, statement, day, session.finished_at)
    return render_html(session, signoff, log, sha, preview=True)


def sign_off(session: CertSession, user, name: str, role: str, statement: str, day: date | None = None) -> CertSession:
    """Render, attach the evidence, sign, store and finalize: from here on the
    session's verdicts cannot change."""
    if session.is_signed:
        raise ValidationError("This session is signed already; open a new revision to change it.")
    if not name.strip() or not role.strip():
        raise ValidationError("Name and role are needed to sign.")
    evaluate_session(session)
    session.end_seq = session.frames().aggregate(m=Max("seq"))["m"] or session.start_seq
    session.refresh_from_db(fields=["facts"])
    session.findings = session_findings.of(session)  # as the report prints them, kept with it
    data, sha = evidence.export(session)
    signoff = signoff_of(user, name, role, statement, day, session.finished_at)
    pdf, box = render_pdf(session, signoff, data, sha)
    signed = signing.sign(
        pdf,
        data,
        signer_name=name,
        reason=f"{role}: {statement}"[:200] if statement else role,
        location=session.lab or settings.CERTIFY_LAB or "OCPP Certify",
        box=box,
        drawn=box is not None,
        attachments=attachments(session),
    )
    with transaction.atomic():
        session.state = CertSession.STATE_SIGNED
        session.finished_at = timezone.now()
        session.signed_at = timezone.now()
        session.signed_by = user if getattr(user, "pk", None) else None
        session.signer_name, session.signer_role, session.signer_statement = name, role, statement
        session.log_sha256 = sha
        session.report_sha256 = hashlib.sha256(signed).hexdigest()
        session.report.save(f"session-{session.pk}-rev{session.revision}.pdf", ContentFile(signed), save=False)
        session.save()
    forget(session.charger_id)
    parsed_sessions.drop(session.pk)  # finalised: it can no longer change
    heap.release()  # what the PDF took for a moment
    return session


def new_revision(session: CertSession, user=None) -> CertSession:
    """A fresh session continuing a signed one; the history keeps both."""
    from . import sessions

    revision = sessions.create_session(
        session.charge_point_id,
        engineer=user,
        engineer_name=session.engineer_name,
        lab=session.lab,
        options={k: v for k, v in session.options.items() if k not in ("not_applicable", "profiles")},
        catalog_name=session.catalog,
    )
    revision.revision = session.revision + 1
    revision.revision_of = session
    revision.save(update_fields=["revision", "revision_of"])
    return revision
