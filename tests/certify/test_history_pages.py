"""The history pages say what the report says: every kind of verdict counted
(not supported too), the engineer's remark where they set a verdict, and the
sign-off on one page beside the verdicts it signs for, its preview POSTed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from certify import sessions
from certify.models import ItemResult
from chargers.models import Charger

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    Charger.objects.create(charge_point_id="CP-HIST", model="M")
    a, b = sessions.create_session("CP-HIST"), sessions.create_session("CP-HIST")
    for session in (a, b):
        ItemResult.objects.filter(session=session, case="15").update(auto_verdict="not_supported")
    ada = User.objects.create_superuser("ada", "", "pw-pw-pw-pw")
    ItemResult.objects.get(session=b, case="17").override("failed", "Cache kept its entries", ada)
    return a, b


@pytest.fixture
def client() -> Client:
    client = Client()
    client.force_login(User.objects.get(username="ada"))
    return client


def test_the_history_list_counts_not_supported_items(pair, client):
    html = client.get("/history/").content.decode()
    assert 'data-count="not_supported">1 not supported' in html


def test_compare_shows_the_engineers_remark(pair, client):
    a, b = pair
    html = client.get(f"/history/compare/?a={a.pk}&b={b.pk}").content.decode()
    assert "Cache kept its entries" in html


def test_the_sign_off_page_lists_the_verdicts_it_signs_for(pair, client):
    html = client.get(f"/history/{pair[1].pk}/sign/").content.decode()
    assert 'id="history-checklist"' in html and "Cache kept its entries" in html
    assert 'formmethod="post"' in html


def test_the_report_prints_a_count_as_a_count_and_a_duration_in_seconds(pair):
    from certify import report

    _, b = pair
    ItemResult.objects.filter(session=b, case="8").update(
        auto_verdict="passed", timings={"samples": 3, "StartTransaction→first sample": 1.5}
    )
    signoff = report.signoff_of(None, "Ada", "Engineer", "", None, None)
    html = report.render_html(b, signoff, b"", "0" * 64, preview=True)
    assert "samples 3;" in html and "samples 3 s" not in html
    assert "StartTransaction→first sample 1.5 s" in html


def test_the_reports_outcome_names_items_in_the_catalogs_order(pair):
    from certify import report

    a, _ = pair
    html = report.render_html(a, report.signoff_of(None, "Ada", "Engineer", "", None, None), b"", "0" * 64)
    assert "Incomplete: items 1, 2, 3, 4, 5" in html
