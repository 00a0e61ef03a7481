"""The signed report of an OCTT session, read back with pdftotext from the real
signed PDF: page one lists the cases by feature profile (id, title, verdict)
with the OCA credit; then each case worked shows its steps with the frames that
decided each (a step done by hand with the engineer's Done), a failure its
expected versus actual; the cases not worked are listed, not printed one by one;
the signature verifies.

The session's frames are stored through the frame writer as a charger and the
bench would have sent them (no socket: the verdicts are what is under test here,
the live path is in test_octt16_browser.py)."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import timedelta
from io import StringIO

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from certify import attempts, report, sessions
from certify.evaluation import evaluate_session
from certify.signing import verify
from chargers.frames import FrameRecord, store_frames
from chargers.models import Frame

pytestmark = pytest.mark.django_db(transaction=True)
CP = "OCTT-REPORT-1"
PLUG = "Plug the EV in (at the EV and at the charger)"


class Wire:
    """Frames of the session's charger, a second apart, as the log stores them."""

    def __init__(self, charger_pk: int) -> None:
        self.charger_pk, self.n = charger_pk, 0
        self.t = timezone.now() - timedelta(seconds=60)

    def _store(self, *records: FrameRecord) -> None:
        async_to_sync(store_frames)(self.charger_pk, list(records))

    def _next(self) -> str:
        self.n += 1
        self.t += timedelta(seconds=1)
        return f"u{self.n}"

    def charger(self, action: str, payload: dict, answer: dict) -> None:
        uid = self._next()
        self._store(
            FrameRecord(Frame.IN, json.dumps([2, uid, action, payload]), 2, action, uid, ts=self.t),
            FrameRecord(Frame.OUT, json.dumps([3, uid, answer]), 3, action, uid, ts=self.t),
        )

    def us(self, action: str, payload: dict, answer: dict, case: str) -> None:
        uid = self._next()
        by = f"user:ada case:{case}"
        self._store(
            FrameRecord(Frame.OUT, json.dumps([2, uid, action, payload]), 2, action, uid, sent_by=by, ts=self.t),
            FrameRecord(Frame.IN, json.dumps([3, uid, answer]), 3, action, uid, ts=self.t),
        )

    def done(self, case: str, step: int, label: str) -> None:
        self._next()
        event = {"event": "step-done", "case": case, "step": step, "label": label, "by": "user:ada"}
        self._store(FrameRecord(Frame.EVENT, json.dumps(event), sent_by=f"user:ada case:{case}", ts=self.t))


@pytest.fixture(scope="module")
def signed(db_access, tmp_path_factory) -> dict:
    """One session signed once; each test reads what its PDF says."""
    return db_access(_signed, tmp_path_factory.mktemp("octt-report"))


def _signed(tmp_path) -> dict:
    user = get_user_model().objects.create_user("ada", password="pw", first_name="Ada", last_name="Lovelace")
    session = sessions.create_session(CP, engineer=user, catalog_name="octt16")
    wire = Wire(session.charger_id)

    # TC_040_1_CS: the unknown key accepted, where NotSupported is due: failed.
    attempts.start_attempt(session, "TC_040_1_CS", "user:ada")
    wire.us("ChangeConfiguration", {"key": "Testing", "value": "true"}, {"status": "Accepted"}, "TC_040_1_CS")
    evaluate_session(session)

    # TC_003_CS: the plug confirmed with Done, then the charger's frames: passed.
    attempts.start_attempt(session, "TC_003_CS", "user:ada")
    wire.done("TC_003_CS", 1, PLUG)
    wire.charger("StatusNotification", {"connectorId": 1, "status": "Preparing", "errorCode": "NoError"}, {})
    accepted = {"idTagInfo": {"status": "Accepted"}}
    wire.charger("Authorize", {"idTag": "CERTIFY-OK"}, accepted)
    start = {"connectorId": 1, "idTag": "CERTIFY-OK", "meterStart": 0, "timestamp": wire.t.isoformat()}
    wire.charger("StartTransaction", start, {**accepted, "transactionId": 7})
    wire.charger("StatusNotification", {"connectorId": 1, "status": "Charging", "errorCode": "NoError"}, {})
    evaluate_session(session)

    report.sign_off(session, user, "Ada Lovelace", "Test engineer", "As seen.")
    session.refresh_from_db()
    path = tmp_path / "octt.pdf"
    pdf = session.report.read()
    path.write_bytes(pdf)
    pages = []
    for n in (1, 2):
        run = subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"], capture_output=True)
        pages.append(run.stdout.decode())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    done = Frame.objects.get(charger_id=session.charger_id, direction=Frame.EVENT).seq
    out = StringIO()
    call_command("judge", str(path), "--json", stdout=out)
    rejudged = {item["key"]: item["verdict"] for item in json.loads(out.getvalue())["items"]}
    return {"text": " ".join(text.split()), "page one": pages[0], "pdf": pdf, "done seq": done, "rejudged": rejudged}


def test_page_one_lists_the_cases_by_profile_with_id_title_and_verdict(signed) -> None:
    """The table begins on page one (102 cases run over to the next) and holds every case, by profile."""
    page, text = signed["page one"], signed["text"]
    assert "OCA OCTT 1.6 charger test cases (2024-04)" in page
    assert page.index("Core") < page.index("TC_003_CS")
    assert re.search(r"TC_003_CS\s+Charging at the charger: cable first, then the tag\s+Passed", page), page
    table = text[: text.index("Evidence Per item")]
    assert "TC_040_1_CS Change an unknown configuration key Failed: Step 1" in table
    assert table.index("TC_003_CS") < table.index("Local Authorization List Management") < table.index("TC_043_CS")
    assert table.index("Smart Charging") < table.index("Security (OCPP 1.6 security white paper)")
    assert all(case in table for case in ("TC_001_CS", "TC_087_CS", "TC_017_2_CS"))
    assert "Derived from the OCA OCTT test case document, FINAL 2024-04" in table
    assert "Declaration (PICS): Core, FirmwareManagement" in " ".join(page.split())


def test_a_failed_case_says_its_step_and_expected_versus_actual(signed) -> None:
    text = signed["text"]
    section = text[text.index("TC_040_1_CS Change an unknown configuration key — Failed") :]
    assert "Expected: ChangeConfiguration answered status NotSupported" in section
    assert "Actual: status Accepted at" in section
    assert "1 We send ChangeConfiguration; the charger answers status NotSupported failed seq 1, 2" in section


def test_each_step_of_a_case_names_the_frames_that_decided_it(signed) -> None:
    text, done = signed["text"], signed["done seq"]
    section = text[text.index("TC_003_CS Charging at the charger: cable first, then the tag — Passed") :]
    section = section[: section.index("Sign-off")]
    preparing = done + 1
    assert f"1 {PLUG} done by hand, confirmed by user:ada seq {preparing - 1}" in section
    assert f"2 The charger sends StatusNotification (status Preparing) done seq {preparing}, {preparing + 1}" in section
    assert "3 Present the valid tag done by hand —" in section
    assert f"5 The charger sends StartTransaction done seq {preparing + 4}, {preparing + 5}" in section
    # The engineer's Done is a line of the evidence, as the attached log holds it.
    assert f"{preparing - 1} " in section and "step-done case=TC_003_CS, step=1" in section


def test_the_cases_not_worked_are_listed_with_their_verdict_not_printed_one_by_one(signed) -> None:
    text = signed["text"]
    listed = text[text.index("Cases not worked in this session") :]
    assert "TC_001_CS" in listed and "TC_017_2_CS" in listed
    assert "TC_001_CS Cold boot: registration refused once, then accepted — Open" not in text


def test_the_octt_report_is_signed_and_verifies(signed) -> None:
    result = verify(signed["pdf"])
    assert result.intact and result.covers_whole_file and result.evidence_matches, result


def test_the_log_it_carries_judges_alike_with_the_done_in_it(signed) -> None:
    """manage.py judge on the signed PDF: the engineer's Done is in the attached log, so TC_003_CS passes again."""
    assert signed["rejudged"]["TC_003_CS"] == "passed"
    assert signed["rejudged"]["TC_040_1_CS"] == "failed"
