"""What an auditor follows: after a whole simulated certification, every ticked
step of an attempt names a frame inside that attempt's window, and each item's
evidence (the table of the page and the report) holds every frame its steps
name, once each, in seq order."""

from __future__ import annotations

import asyncio

import pytest

from certify import catalogs
from certify.models import Attempt, CertSession, ItemResult
from chargers.models import Frame
from tests.certify.test_full_session import certify

pytestmark = pytest.mark.django_db(transaction=True)

CP = "SIM-WINDOWS"


@pytest.fixture(scope="module")
def run(module_server, db_access) -> dict:
    server = module_server()
    keys = [case.number for case in catalogs.get().cases]
    db_access(asyncio.run, certify(server, CP, keys))

    def read() -> dict:
        session = CertSession.objects.get(charge_point_id=CP)
        seqs = dict(Frame.objects.filter(charger=session.charger).values_list("pk", "seq"))
        return {
            "seqs": seqs,
            "attempts": list(Attempt.objects.filter(session=session).exclude(end_seq=None)),
            "items": list(ItemResult.objects.filter(session=session)),
        }

    return db_access(read)


def ticked(steps) -> list[int]:
    return [s["frame"] for s in steps or [] if isinstance(s, dict) and s.get("done") and s.get("frame")]


def test_the_run_finished_attempts_to_look_at(run):
    assert len(run["attempts"]) >= 10


def test_every_ticked_step_of_an_attempt_names_a_frame_inside_its_window(run):
    outside = [
        (a.case, a.n, step_frame, run["seqs"].get(step_frame), (a.start_seq, a.end_seq))
        for a in run["attempts"]
        for step_frame in ticked(a.steps)
        if not a.start_seq < run["seqs"].get(step_frame, -1) <= a.end_seq
    ]
    assert outside == []


def test_every_item_shows_each_frame_its_steps_name(run):
    missing = {r.case: sorted(set(ticked(r.steps)) - set(r.evidence)) for r in run["items"]}
    assert {case: frames for case, frames in missing.items() if frames} == {}


def test_every_items_evidence_is_in_seq_order_once_each(run):
    unordered = {}
    for r in run["items"]:
        seqs = [run["seqs"][i] for i in r.evidence if i in run["seqs"]]
        if seqs != sorted(set(seqs)):
            unordered[r.case] = seqs
    assert unordered == {}
