"""A session's complete evidence log as JSON Lines: one object per frame, the
raw text exactly as it crossed the wire. Embedded in the signed report and
downloadable on its own; its SHA-256 is printed in the report."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from .models import CertSession

FIELDS = ("seq", "ts", "direction", "message_type", "action", "unique_id", "raw", "note", "sent_by")


def lines(session: CertSession) -> Iterator[str]:
    for frame in session.frames().values_list(*FIELDS).iterator(chunk_size=2000):
        record = dict(zip(FIELDS, frame, strict=True))
        record["ts"] = record["ts"].isoformat(timespec="milliseconds").replace("+00:00", "Z")
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def export(session: CertSession) -> tuple[bytes, str]:
    """(JSON Lines bytes, their SHA-256 hex)."""
    data = "".join(lines(session)).encode()
    return data, hashlib.sha256(data).hexdigest()
