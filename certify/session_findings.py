"""A session's protocol findings (chargers.protocol.v16.findings): what the charger
did against the specification anywhere in the session, beside the items.

While the session is open they are worked out from its log as it grows, fed
with the new frames only, and kept with the session's parse
(certify.evaluation.Parsed in certify.parsed_sessions: same owner, same bounds,
gone at sign-off and disconnect). At sign-off they are kept on the session as
the report printed them (CertSession.findings) and never worked out again.
Findings never change an item's verdict.
"""

from __future__ import annotations

from chargers import findings as shown

from .evaluation import session_parse
from .models import CertSession


def of(session: CertSession) -> list[dict]:
    """The session's findings (Finding.as_dict each, in the order found): as kept at
    sign-off, else from its log now."""
    if session.findings is not None:
        return list(session.findings)
    return session_parse(session).findings((session.options or {}).get("initial"))


def violations(found: list[dict]) -> int:
    return shown.counts(found)["violation"]


def outcome_words(found: list[dict]) -> str:
    """What the outcome line adds: "protocol findings: 2 violations, no deviations, 1 note"."""
    return f"protocol findings: {shown.counted_words(shown.counts(found))}"


def api_out(session: CertSession, found: list[dict]) -> dict:
    """GET /api/sessions/{id}/findings and the headless run's JSON."""
    return {"session": session.pk, "counts": shown.counts(found), "findings": found}
