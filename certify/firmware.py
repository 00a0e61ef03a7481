"""The firmware under test: the version the charger ran when a session began and
the one it booted with after our UpdateFirmware (item 12), kept on the session so
the header, the history, its filter, compare and the report all say the same.

Read from the frames (the BootNotifications), never from the charger's latest
facts, so an update during the session cannot rename the firmware it tested.
"""

from __future__ import annotations

from chargers.frames.reader import parse
from chargers.models import Frame

from .models import CertSession


def from_frames(session: CertSession) -> dict:
    """{"at_start", "after_update", "update_seq"}: the firmware of the charger's
    last BootNotification before the session (else its first in it), and of its
    first boot after our first UpdateFirmware in the session."""
    found = {"at_start": "", "after_update": "", "update_seq": None}
    if session.charger_id is None:
        return found
    boots = Frame.objects.filter(charger_id=session.charger_id, action="BootNotification", message_type=2)
    during = session.frames().filter(action="BootNotification", message_type=2)
    first = boots.filter(seq__lte=session.start_seq).order_by("-seq").first() or during.first()
    found["at_start"] = _version(first)
    update = session.frames().filter(action="UpdateFirmware", message_type=2, direction=Frame.OUT).first()
    if update is not None:
        boot = during.filter(seq__gt=update.seq).first()
        if boot is not None:
            found["after_update"], found["update_seq"] = _version(boot), boot.seq
    return found


def _version(boot: Frame | None) -> str:
    payload = parse(boot).payload if boot is not None else None
    return str(payload.get("firmwareVersion") or "")[:50] if isinstance(payload, dict) else ""


def record(session: CertSession) -> None:
    """Store what the frames say once it is known (after each evaluation; a
    signed session keeps what it had). Costs two indexed queries until both
    versions are known, none after."""
    if session.is_signed or (session.firmware_at_start and session.firmware_after_update):
        return
    found = from_frames(session)
    fields = {
        # No boot in the log (a charger known before frames were kept): its facts when the session opened.
        "firmware_at_start": session.firmware_at_start
        or found["at_start"]
        or str((session.options or {}).get("initial", {}).get("firmware_version") or "")[:50],
        "firmware_after_update": found["after_update"],
        "firmware_update_seq": found["update_seq"],
    }
    changed = {k: v for k, v in fields.items() if getattr(session, k) != v}
    if changed:
        CertSession.objects.filter(pk=session.pk).update(**changed)
        for name, value in changed.items():
            setattr(session, name, value)
