"""A session's verdict rules on its models: an override by hand beside the
automatic verdict, refused where it must be, and the counts per verdict."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from certify import sessions
from certify.models import CertSession, ItemResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> CertSession:
    return sessions.create_session("CP-MODELS", options={"preflight": False})


def item(session: CertSession, key: str) -> ItemResult:
    return ItemResult.objects.get(session=session, case=key)


REFUSED = [
    # (why, verdict, remark, what the error says)
    ("a verdict the engineer may not set", "open", "why", "Choose one of"),
    ("no remark", "failed", "   ", "Say why"),
]


@pytest.mark.parametrize(("why", "verdict", "remark", "says"), REFUSED, ids=[r[0] for r in REFUSED])
def test_an_override_is_refused_and_changes_nothing(session, why, verdict, remark, says):
    result = item(session, "17")
    with pytest.raises(ValidationError, match=says):
        result.override(verdict, remark)
    assert item(session, "17").override_verdict == ""


def test_an_override_wins_and_keeps_the_automatic_verdict_beside_it(session):
    item(session, "17").override("failed", "  Cache kept entries  ")
    result = item(session, "17")
    assert (result.verdict, result.auto_verdict, result.override_remark) == ("failed", "open", "Cache kept entries")


def test_clearing_an_override_gives_back_the_automatic_verdict(session):
    item(session, "17").override("failed", "x")
    item(session, "17").clear_override()
    result = item(session, "17")
    assert (result.verdict, result.override_verdict, result.override_remark) == ("open", "", "")


def test_a_signed_sessions_verdicts_no_longer_change(session):
    item(session, "17").override("failed", "x")
    CertSession.objects.filter(pk=session.pk).update(state=CertSession.STATE_SIGNED)
    for change in (lambda r: r.override("passed", "y"), lambda r: r.clear_override()):
        with pytest.raises(ValidationError, match="signed"):
            change(item(session, "17"))
    assert item(session, "17").verdict == "failed"


def test_the_counts_name_every_verdict_and_an_override_counts_as_its_verdict(session):
    before = session.verdict_counts()
    item(session, "17").override("not_supported", "no cache")
    after = session.verdict_counts()
    assert set(after) == {"open", "passed", "failed", "not_supported", "not_applicable", "inconclusive"}
    assert (after["open"], after["not_supported"]) == (before["open"] - 1, before["not_supported"] + 1)
    assert sum(after.values()) == ItemResult.objects.filter(session=session).count()
