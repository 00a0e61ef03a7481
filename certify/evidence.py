"""A session's complete evidence log as JSON Lines: one object per frame, the
raw text exactly as it crossed the wire but for the session's own secrets
(see `secrets_of`). Embedded in the signed report and downloadable on its own;
its SHA-256 is printed in the report.

The one-line form of a frame the report prints is chargers.frames.lines (the
pages print frames the same way).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from chargers.frames.lines import REDACTED, frame_line, redact
from chargers.timestamps import utc_iso

from .models import ABANDONED, INCONCLUSIVE, CertSession

__all__ = [
    "REDACTED",
    "charger_secrets",
    "export",
    "frame_line",
    "lines",
    "own_secrets",
    "redact",
    "restore_secrets",
    "secrets_of",
]

FIELDS = ("seq", "ts", "direction", "message_type", "action", "unique_id", "raw", "note", "sent_by")


def secrets_of(session: CertSession) -> list[str]:
    """What a report must not carry: the FTP password of the session's
    diagnostics upload and the secret of its file URLs (both appear in the
    GetDiagnostics and UpdateFirmware frames we sent), and those of every other
    session of its charger, whose frames may fall in its range."""
    others = charger_secrets(session.charger_id) if session.charger_id else []
    return list(dict.fromkeys([*own_secrets(session), *others]))


def own_secrets(session: CertSession) -> list[str]:
    """The session's own secrets (its FTP password, its file URLs' secret), without
    a query: what its verdicts' words are masked with when they are stored."""
    return [s for s in (session.ftp_password, session.upload_secret) if s and len(s) >= 8]


def charger_secrets(charger_pk: int) -> list[str]:
    """The secrets of every session of a charger: its frame log (on the charger's
    page, or a session's page whose range another session shares) shows none."""
    pairs = CertSession.objects.filter(charger_id=charger_pk).values_list("ftp_password", "upload_secret")
    return [s for pair in pairs for s in pair if s and len(s) >= 8]


def restore_secrets(session: CertSession, text: str) -> str:
    """A payload a page showed masked, as it must be sent: the session's own upload
    locations (FTP user's password, the file URLs' secret) get their secret back;
    nothing else that reads *** changes."""
    user = session.ftp_user or f"s{session.pk}"
    text = text.replace(f"//{user}:{REDACTED}@", f"//{user}:{session.ftp_password}@")
    return text.replace(f"/{session.pk}/{REDACTED}/", f"/{session.pk}/{session.upload_secret}/")


def lines(session: CertSession) -> Iterator[str]:
    """The frames, and beside them the bench's own event lines (certify.log_file): first
    the session's catalog and options, then attempt markers, files received and what our
    FTP and HTTP servers saw, where they happened, each carrying the seq of the frame it
    follows; so the verdicts can be recomputed from the log alone (`manage.py judge`)."""
    secrets = secrets_of(session)
    yield _event_line(session.started_at, session.start_seq, _session_event(session))
    extra = sorted(_bench_events(session), key=lambda e: (e[0], e[1]))  # by the frame they follow, then time
    # What our servers received or saw, where it happened in time.
    files = [(f.created_at, _file_event(f)) for f in session.files.all()]
    files += [(t.at, _transfer_event(t, secrets)) for t in session.transfers.all()]
    files.sort(key=lambda f: f[0])
    last_seq, at = session.start_seq, 0
    for frame in session.frames().values_list(*FIELDS).iterator(chunk_size=2000):
        record = dict(zip(FIELDS, frame, strict=True))
        while files and files[0][0] < record["ts"]:
            yield _event_line(files[0][0], last_seq, files.pop(0)[1])
        while at < len(extra) and extra[at][0] < record["seq"]:
            yield _event_line(extra[at][1], extra[at][0], extra[at][2])
            at += 1
        last_seq = record["seq"]
        record["ts"] = utc_iso(record["ts"])
        record["raw"] = redact(record["raw"], secrets)
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    for when, after, event in sorted(
        [(when, last_seq, event) for when, event in files] + [(e[1], e[0], e[2]) for e in extra[at:]],
        key=lambda e: (e[1], e[0]),
    ):
        yield _event_line(when, after, event)


def _event_line(when, after_seq: int, event: dict) -> str:
    record = {
        "seq": after_seq,
        "ts": utc_iso(when),
        "direction": "event",
        "raw": json.dumps(event, separators=(",", ":")),
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _session_event(session: CertSession) -> dict:
    from .evaluation import tolerances

    options = {**tolerances(), **(session.options or {})}
    options.pop("preflight_at", None)
    return {"event": "session", "session": session.pk, "catalog": session.catalog, "options": options}


def _file_event(record) -> dict:
    return {
        "event": "file-received",
        "kind": record.kind,
        "name": record.name,
        "size": record.size,
        "sha256": record.sha256,
    }


def _transfer_event(record, secrets) -> dict:
    return {
        "event": "transfer-seen",
        "server": record.server,
        "seen": record.event,
        "detail": redact(record.detail, secrets),
    }


def _bench_events(session: CertSession) -> Iterator[tuple[int, object, dict]]:
    """(after seq, time, event) of every attempt's start and end; an end's outcome is
    its verdict, or "abandoned" (with the reason, as for inconclusive: a replay of the
    frames alone cannot know why the bench ended it)."""
    for attempt in session.attempts.all():
        yield attempt.start_seq, attempt.started_at, {"event": "attempt-started", "item": attempt.case}
        if attempt.ended_at is not None:
            end = {"event": "attempt-ended", "item": attempt.case, "outcome": attempt.verdict}
            if attempt.verdict in (ABANDONED, INCONCLUSIVE):  # the bench's word may be all there is
                end["reason"] = attempt.reason
            yield (attempt.end_seq if attempt.end_seq is not None else attempt.start_seq), attempt.ended_at, end


def export(session: CertSession) -> tuple[bytes, str]:
    """(JSON Lines bytes, their SHA-256 hex)."""
    data = "".join(lines(session)).encode()
    return data, hashlib.sha256(data).hexdigest()
