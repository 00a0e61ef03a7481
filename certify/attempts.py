"""Attempts: each item is worked in tries, so a failure rests only on frames of
one of the item's own tries and a retry can pass it (certify.evaluation)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from . import catalogs
from .judging.verdict import FINAL_VERDICTS
from .models import ABANDONED, Attempt, CertSession, ItemResult

# The label of a command sent from an item's panel outside any attempt of it
# (chosen by the engineer once its verdict was final): context, never its verdict.
OUTSIDE = " (outside an attempt)"


def current_attempt(session: CertSession, key: str) -> Attempt | None:
    """The item's attempt still running, if any."""
    return session.attempts.filter(case=key, ended_at__isnull=True).order_by("-n").first()


def _last_seq(session: CertSession) -> int:
    if session.charger_id is None:
        return session.start_seq
    return max(session.charger.last_seq(), session.start_seq)


def start_attempt(session: CertSession, key: str, started_by: str) -> Attempt:
    """Begin a new attempt at an item; one still running is abandoned first."""
    if session.is_signed:
        raise ValidationError("This session is signed: its items can no longer be worked.")
    if catalogs.case(session.catalog, key) is None:
        raise ValidationError(f"Item {key} does not exist.")
    with transaction.atomic():
        abandon_attempt(session, key, started_by, why="restarted")
        n = (session.attempts.filter(case=key).aggregate(m=Max("n"))["m"] or 0) + 1
        return Attempt.objects.create(
            session=session, case=key, n=n, started_by=started_by, start_seq=_last_seq(session)
        )


def final_without_attempt(session: CertSession, key: str) -> ItemResult | None:
    """The item's result when its verdict is final and no attempt of it runs: an
    action on its panel then asks before it opens a new attempt (one that would
    change the verdict), or runs outside any attempt."""
    result = session.items.filter(case=key).first()
    if result is None or result.verdict not in FINAL_VERDICTS or current_attempt(session, key) is not None:
        return None
    return result


def case_with(session: CertSession, part: str) -> str | None:
    """The key of the session's case whose panel has this part ("offline_control",
    "firmware_upload"): its attempt is the one those controls belong to."""
    return next((c.key for c in catalogs.get(session.catalog).cases if part in c.panel), None)


def ensure_attempt(session: CertSession, key: str, started_by: str) -> Attempt:
    """The running attempt, or a new one (sending an item's command starts it)."""
    return current_attempt(session, key) or start_attempt(session, key, started_by)


def abandon_attempt(
    session: CertSession, key: str, by: str, why: str = "abandoned", verdict: str = ABANDONED
) -> Attempt | None:
    """End the running attempt without a verdict of the charger's: abandoned, or
    inconclusive when the bench or the rig could not test the item (OCTT's INCONC)."""
    attempt = current_attempt(session, key)
    if attempt is None:
        return None
    attempt.verdict = verdict
    attempt.ended_at = timezone.now()
    attempt.end_seq = _last_seq(session)
    attempt.reason = f"{why} by {by}"[:500] if by else why
    attempt.save(update_fields=["verdict", "ended_at", "end_seq", "reason"])
    return attempt
