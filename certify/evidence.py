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
from chargers.models import utc_iso

from .models import CertSession

__all__ = ["REDACTED", "charger_secrets", "export", "frame_line", "lines", "redact", "restore_secrets", "secrets_of"]

FIELDS = ("seq", "ts", "direction", "message_type", "action", "unique_id", "raw", "note", "sent_by")


def secrets_of(session: CertSession) -> list[str]:
    """What a report must not carry: the FTP password of the session's
    diagnostics upload and the secret of its file URLs (both appear in the
    GetDiagnostics and UpdateFirmware frames we sent), and those of every other
    session of its charger, whose frames may fall in its range."""
    own = [s for s in (session.ftp_password, session.upload_secret) if s and len(s) >= 8]
    others = charger_secrets(session.charger_id) if session.charger_id else []
    return list(dict.fromkeys([*own, *others]))


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
    secrets = secrets_of(session)
    for frame in session.frames().values_list(*FIELDS).iterator(chunk_size=2000):
        record = dict(zip(FIELDS, frame, strict=True))
        record["ts"] = utc_iso(record["ts"])
        record["raw"] = redact(record["raw"], secrets)
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def export(session: CertSession) -> tuple[bytes, str]:
    """(JSON Lines bytes, their SHA-256 hex)."""
    data = "".join(lines(session)).encode()
    return data, hashlib.sha256(data).hexdigest()
