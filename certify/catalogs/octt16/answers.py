"""Our scripted answers while an OCTT case runs: what the document has the
central system answer (a Rejected, then an Accepted boot; Pending; idTagInfo
Invalid, Blocked, Expired, ConcurrentTx or with a parentIdTag), decided from the
case and the session's test data. The certify side asks this through
chargers.hooks.answer_sources for the charger's running case.

Between cases (no case running) an OCTT session still answers as the document's
general setup says: boots Accepted with the configured heartbeat interval, the
configured tags as configured."""

from __future__ import annotations

from collections.abc import Mapping

from .case import OcttCase
from .judge import fill

# The test data naming a tag, and what we answer for it unless a case says otherwise.
TAGS = {
    "id_tag": {"status": "Accepted"},
    "id_tag_2": {"status": "Accepted"},
    "parent_id_tag": {"status": "Accepted"},
    "invalid_id_tag": {"status": "Invalid"},
    "blocked_id_tag": {"status": "Blocked"},
    "expired_id_tag": {"status": "Expired"},
    "concurrent_id_tag": {"status": "ConcurrentTx"},
}
INTERVALS = {"Rejected": "rejected_interval", "Pending": "pending_interval", "Accepted": "heartbeat_interval"}


def scripted(case: OcttCase | None, data: Mapping, action: str, payload: dict, boots: int = 0) -> dict | None:
    """The fields of our answer the case decides (chargers.hooks.answer_sources'
    form), or None to let the next source decide. `boots`: how many
    BootNotifications the charger sent since the case began (this one not counted)."""
    if action == "BootNotification":
        statuses = tuple(case.answers.get("BootNotification", ())) if case is not None else ()
        status = statuses[boots] if boots < len(statuses) else "Accepted"
        try:
            interval = int(data[INTERVALS[status]])
        except (KeyError, TypeError, ValueError):
            return {"status": status}
        return {"status": status, "interval": interval}
    if action not in ("Authorize", "StartTransaction", "StopTransaction") or "idTag" not in payload:
        return None
    name = next((n for n in TAGS if data.get(n) is not None and str(data[n]) == payload["idTag"]), None)
    if name is None:
        return None
    info = dict(TAGS[name])
    if case is not None:
        override = case.answers.get("idTagInfo", {}).get(name)
        if override is not None:
            info = fill(dict(override), data)
        status = case.answers.get(action, {}).get(name)
        if status is not None:
            info["status"] = status
    return {"idTagInfo": info}
