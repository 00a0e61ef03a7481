"""The signed report of a real session: its text, its pictures, its signature, its evidence."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image
from pypdf import PdfReader

from certify import catalogs, charts, evidence, report, sessions, transfer
from certify.headless import run as headless_run
from certify.headless.api import Api
from certify.headless.run import Run, RunOptions
from certify.headless.steps import SimulatorPerformer
from certify.log_file import BENCH_EVENTS
from certify.management.commands.certify import TEST_FIRMWARE
from certify.models import Attempt, CertSession, ItemResult, SessionFile
from certify.signing import verify
from certify.transfer import store
from chargers.frames.reader import Log
from chargers.models import Charger, Frame
from chargers.simulator import SimulatedCharger, SimulatorOptions

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"auto_unplug": 0.5, "reboot_delay": 0.5, "backoff_base": 0.2, "slow_delay": 1.0}
EVIDENCE_HEADER = "seq time (UTC) dir action deciding fields"


def text_of(pdf: bytes) -> str:
    """The PDF's text with its line wrapping folded into single spaces."""
    return " ".join(" ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages).split())


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def everything_in(pdf: bytes, path: Path) -> str:
    """All a reader could get out of the file: its bytes, every stream decoded
    (attachments included) and its text as poppler extracts it."""
    reader = PdfReader(io.BytesIO(pdf))
    parts = [pdf.decode("latin-1")]
    for number in sorted({*reader.xref_objStm, *(n for numbers in reader.xref.values() for n in numbers)}):
        try:
            obj = reader.get_object(number)
        except Exception:
            continue
        if hasattr(obj, "get_data"):
            try:
                parts.append(obj.get_data().decode("utf-8", "replace"))
            except Exception:
                continue
    for files in reader.attachments.values():
        parts.extend(data.decode("utf-8", "replace") for data in files)
    path.write_bytes(pdf)
    parts.append(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)
    return "\n".join(parts)


def item_sections(text: str) -> list[str]:
    """Each item's section of the evidence part, from its heading to the next."""
    evidence_part = text[text.index("Evidence Per item:") :]
    starts = [evidence_part.index(f"{item.number}. {item.title} — ") for item in catalogs.get().cases]
    ends = [*starts[1:], evidence_part.index("Sign-off")]
    return [evidence_part[a:b] for a, b in zip(starts, ends, strict=True)]


def outline_titles(pdf: bytes) -> list[str]:
    def walk(items):
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield item.title

    return list(walk(PdfReader(io.BytesIO(pdf)).outline))


async def drive(
    server, cp_id: str, numbers: list[int], *, firmware: bool = False, before=None, extra=None, profile: str = "default"
) -> int:
    """A session of the simulator driven through the API as the buttons do; its id."""
    sim = SimulatedCharger(
        SimulatorOptions(
            url=server.ws_url,
            charge_point_id=cp_id,
            vendor="Acme <Labs>",
            model="Volt-22",
            firmware="2.4.1",
            serial="SN-77",
            profile=profile,
            **FAST,
        )
    )
    task = asyncio.create_task(sim.run())
    try:
        await sim.wait_booted(15)
        api = Api(server.http_url, server.token)
        _, session = await api.call("POST", "/sessions", {"charge_point_id": cp_id, "engineer_name": "Ada"})
        if firmware:

            def host():
                pk = session["id"]
                store(CertSession.objects.get(pk=pk), SessionFile.FIRMWARE, "fw.bin", TEST_FIRMWARE, "upload")

            await sync_to_async(host)()
        keys = [str(n) for n in numbers]
        options = RunOptions(
            cp_id,
            keys,
            timeout=40,
            step_timeout=15,
            interval=2,
            offline_seconds=4,
            reboot_timeout=30,
            firmware="fw.bin" if firmware else "",
        )
        run = Run(api, session["id"], options, SimulatorPerformer(sim), catalogs.get(), progress=lambda line: None)
        if before:
            await before(run)
        await headless_run.drive(run, session["start_seq"])
        if extra:
            await extra(run)
        return session["id"]
    finally:
        await sim.stop()
        task.cancel()


def engineer():
    return get_user_model().objects.create_user("ada", first_name="Ada", last_name="Lovelace")


async def ask_diagnostics_over_ftp(run: Run) -> None:
    """The catalog's GetDiagnostics: its location carries the session's FTP password."""
    payload = {"location": "{diagnostics_url}", "startTime": "{hour_ago}"}
    await run.api.call("POST", f"/sessions/{run.session}/items/13/commands/GetDiagnostics", payload)


def test_a_signed_report_of_a_real_session(live_server_ocpp, tmp_path):
    pk = asyncio.run(drive(live_server_ocpp, "SIM-REPORT", [1, 4, 17, 18], extra=ask_diagnostics_over_ftp))
    session = CertSession.objects.get(pk=pk)
    ada = engineer()
    ItemResult.objects.get(session=session, number=15).override("not_supported", "Not supported by Acme", ada)
    session = report.sign_off(session, ada, "Ada Lovelace", "Test engineer", "Results as the charger gave them.")
    pdf = session.report.read()
    text = text_of(pdf)
    pages = page_count(pdf)

    for fact in (
        "TestScript Charge Station connected with OCPP 1.6 to",
        "Manufacturer Name: Acme <Labs>",
        "Manufacturer Model: Volt-22",
        "Firmware Version: 2.4.1",
        "Manufacturer Number: SN-77",
        f"Session {pk}, revision 1, charger SIM-REPORT",
    ):
        assert fact in text, fact
    # The summary: counts, outcome, who signed and when, the lab.
    assert re.search(r"Outcome: (Incomplete|Failed): items? [\d, ]+", text)
    assert re.search(r"Verdicts: Passed \d+ · Failed \d+ · Not supported 1 · Not applicable \d+ · Open \d+", text)
    assert "Signed by: Ada Lovelace, Test engineer (login ada), on " in text
    # All 18 rows in the reference's words, then an evidence table per item.
    for item in catalogs.get().cases:
        assert f"{item.number} {item.title.split(' (')[0][:20]}" in text, item.title
    assert "Passed: Ok, Configuration (" in text and "Support triggermessage" in text
    # An item not worked is open, saying what it awaits: never "not tested" (issue 20.9).
    assert "Open: awaiting " in text and "not tested" not in text.lower()
    for section in item_sections(text):
        assert EVIDENCE_HEADER in section, section[:200]
    # Headers and footers on every page; hashes on the last.
    for n in range(1, pages + 1):
        assert f"page {n} of {pages}" in text
    assert text.count(f"Charger SIM-REPORT · session {pk}, revision 1") == pages
    last = " ".join((PdfReader(io.BytesIO(pdf)).pages[-1].extract_text() or "").split())
    assert f"Evidence log SHA-256: {session.log_sha256}" in last
    assert "Signing certificate SHA-256: " in last

    # One truth per item: the override in the table, the item's section and the bookmarks.
    assert "Not supported: Not supported by Acme Set by hand by Ada Lovelace (login ada) on" in text
    assert "Automatic verdict: Open" in text
    assert "Final verdict: Not supported, set by hand by Ada Lovelace (login ada)" in text
    titles = outline_titles(pdf)
    assert "15. Smart Charging Enable/Disable — Not supported (set by hand; automatic: Open)" in titles
    assert "1. Boot notification — Passed" in titles

    # No credentials, anywhere: not in the text, the streams or the attached log.
    sent = Frame.objects.filter(charger=session.charger, action="GetDiagnostics", message_type=2).last()
    assert session.ftp_password in sent.raw  # we did send it to the charger...
    contents = everything_in(pdf, tmp_path / "report.pdf")
    assert session.ftp_password not in contents  # ...and it is nowhere in the report
    assert session.upload_secret not in contents

    checked = verify(pdf)
    assert checked.ok, checked.problems
    assert checked.session == f"session {pk} revision 1 of SIM-REPORT"
    attached = PdfReader(io.BytesIO(pdf)).attachments["evidence.jsonl"][0]
    assert attached == evidence.export(session)[0]
    lines = [json.loads(line) for line in attached.decode().splitlines()]
    bench = [json.loads(line["raw"])["event"] for line in lines if line["direction"] == "event"]
    assert len(lines) - sum(e in BENCH_EVENTS for e in bench) == (session.frames().count())
    # A reviewer recomputes the verdicts from the log the report carries (manage.py judge).
    (tmp_path / "signed.pdf").write_bytes(pdf)
    out = io.StringIO()
    call_command("judge", str(tmp_path / "signed.pdf"), "--json", stdout=out)
    judged = {item["key"]: item["verdict"] for item in json.loads(out.getvalue())["items"]}
    assert judged == {r.case: r.auto_verdict for r in session.items.all()}

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    assert validate_pdf_signature(signature, ValidationContext(trust_roots=[])).intact  # pyHanko's own, no root

    # Finalized: verdicts cannot change; a new revision starts fresh.
    with pytest.raises(Exception, match="signed"):
        ItemResult.objects.get(session=session, number=17).override("failed", "x", None)
    revision = report.new_revision(session)
    assert (revision.revision, revision.revision_of_id, revision.state) == (2, pk, "open")


async def abandon_a_first_attempt_at_item_17(run: Run) -> None:
    for path in ("attempts", "attempts/abandon"):
        status, _ = await run.api.call("POST", f"/sessions/{run.session}/items/17/{path}", {})
        assert status in (200, 201), path


def test_an_item_tried_twice_shows_both_attempts(live_server_ocpp):
    pk = asyncio.run(drive(live_server_ocpp, "SIM-TWICE", [17], before=abandon_a_first_attempt_at_item_17))
    session = report.sign_off(CertSession.objects.get(pk=pk), None, "Ada", "Engineer", "Tried twice.")
    section = item_sections(text_of(session.report.read()))[16]
    assert "Expected:" in section and "Actual:" in section
    assert "Attempts: passed on attempt 2; attempt 1 abandoned" in section, section
    assert re.search(r"attempt verdict started \(UTC\), by reason frames 1 Abandoned .* 2 Passed", section), section


def test_verify_report_gives_its_verdict_as_text_and_as_json(live_server_ocpp, tmp_path):
    pk = asyncio.run(drive(live_server_ocpp, "SIM-VERIFY", [1]))
    session = report.sign_off(CertSession.objects.get(pk=pk), None, "Ada", "Engineer", "Checked.")
    pdf = session.report.read()
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(pdf)
    tampered = bytearray(pdf)
    content = pdf.index(b"stream", pdf.index(b"/FlateDecode")) + 8
    tampered[content + 40] ^= 0xFF  # a compressed stream no longer inflates: the readers complain
    bad.write_bytes(bytes(tampered))

    out = io.StringIO()
    call_command("verify_report", str(good), stdout=out)
    assert "VALID" in out.getvalue() and f"session {pk}" in out.getvalue()
    out = io.StringIO()
    call_command("verify_report", str(good), "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert (document["verdict"], document["valid"], document["problems"]) == ("VALID", True, [])
    assert document["printed_sha256"] == session.log_sha256 == document["embedded_sha256"]

    for args in ([str(bad)], [str(bad), "--json"]):
        run = subprocess.run(
            [sys.executable, "manage.py", "verify_report", *args],
            cwd=Path(__file__).parents[2],
            capture_output=True,
            text=True,
            timeout=60,
            env=_env_of_this_test(),
        )
        assert run.returncode == 1
        assert run.stderr.strip() == "CommandError: INVALID report", run.stderr  # no library warnings
        if "--json" in args:
            document = json.loads(run.stdout)
            assert document["verdict"] == "INVALID" and document["intact"] is False
            assert any("structure is damaged" in p for p in document["problems"])  # heard, and kept quiet
        else:
            assert "INVALID" in run.stdout and "Signature intact: NO" in run.stdout
            # Only the signed bytes broke: the certificate that signed is still ours.
            assert "Signed with the configured certificate: yes" in run.stdout


def _env_of_this_test() -> dict:
    """The environment a manage.py child needs to read this test's lab certificate."""
    import os

    from django.conf import settings

    return {
        **os.environ,
        "VAR_DIR": str(settings.VAR_DIR),
        "DJANGO_SETTINGS_MODULE": "certify.settings",
        "SECRET_KEY": "verify-report-test",
        "DEBUG": "0",
    }


def test_a_complete_simulated_run_fits_in_twelve_pages_with_a_right_chart(live_server_ocpp, tmp_path):
    numbers = [i.number for i in catalogs.get().cases]
    pk = asyncio.run(drive(live_server_ocpp, "SIM-FULLREPORT", numbers, firmware=True))
    session = CertSession.objects.get(pk=pk)
    ada = engineer()
    ItemResult.objects.get(session=session, number=15).override("not_supported", "Not supported by Acme", ada)
    session = report.sign_off(session, ada, "Ada Lovelace", "Test engineer", "Results as the charger gave them.")
    pdf = session.report.read()
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = text_of(pdf)

    assert page_count(pdf) <= 12
    assert "Outcome: Passed" in text, text[:2000]
    # The Result column in the reference's words.
    for words in ("Passed: Ok, Configuration (", "Passed: Both ok", "Passed: Support triggermessage, reply status"):
        assert words in text, words
    # The firmware under test is the one the session began with; item 12 shows the update.
    assert "Firmware Version: 2.4.1" in text
    assert re.search(r"Firmware: 2\.4\.1 when the session began; (\S+) after the update", text)
    assert "fw.bin" in text and SessionFile.objects.get(session=session, kind="firmware").sha256 in text
    # The received diagnostics file: named, fingerprinted and attached (it is under 5 MB).
    diagnostics = SessionFile.objects.get(session=session, kind="diagnostics")
    assert diagnostics.sha256 in text
    with diagnostics.file.open("rb") as handle:
        assert PdfReader(io.BytesIO(pdf)).attachments[diagnostics.name] == [handle.read()]
    # Every font the PDF uses is embedded in it.
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    embedded = [re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s", line).group(1) for line in fonts]
    assert embedded and set(embedded) == {"yes"}, fonts

    page = chart_page(path)
    image = render(path, page, tmp_path)
    assert light_share(image) > 0.10, "the plot areas are not light"
    assert dark_share(image) < 0.03, "too much of the chart page is dark"
    y_axes, x_axis = axis_labels(path, page)
    assert len(y_axes) >= 4, y_axes
    for unit, labels in y_axes.items():
        assert len(labels) >= 3 and len(set(labels)) == len(labels), (unit, labels)
    assert len(x_axis) >= 3 and len(set(x_axis)) == len(x_axis), x_axis


def chart_page(path: Path) -> int:
    """The 1-based page the meter chart is on (its caption names it)."""
    for n in range(1, 30):
        text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"], capture_output=True, text=True)
        if text.returncode != 0:
            break
        if "one colour per transaction and connector" in text.stdout:
            return n
    raise AssertionError("no chart in the report")


def render(path: Path, page: int, folder: Path) -> Image.Image:
    prefix = folder / "chart"
    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", str(page), "-l", str(page), "-png", str(path), str(prefix)], check=True
    )
    return Image.open(next(folder.glob("chart*.png"))).convert("RGB")


def light_share(image: Image.Image) -> float:
    """The share of the page in the plot areas' light fill."""
    target = tuple(int(charts.PLOT_FILL[i : i + 2], 16) for i in (1, 3, 5))
    pixels = list(zip(*[iter(image.tobytes())] * 3, strict=True))
    return sum(all(abs(p[i] - target[i]) <= 6 for i in range(3)) for p in pixels) / len(pixels)


def dark_share(image: Image.Image) -> float:
    pixels = list(zip(*[iter(image.tobytes())] * 3, strict=True))
    return sum(sum(p) < 150 for p in pixels) / len(pixels)


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")
CLOCK = re.compile(r"^\d\d:\d\d(:\d\d)?$")


def axis_labels(path: Path, page: int) -> tuple[dict[str, list[str]], list[str]]:
    """The chart's tick labels as the PDF prints them: the y axes (labels
    right-aligned in one column, "11.5 kW"), by unit, and the time axis."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"], capture_output=True, text=True
    ).stdout
    words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in WORD.findall(xhtml)]
    pairs = []  # (right edge of the unit, unit, number)
    for (_, y0, x1, _, w), (ux0, uy0, ux1, _, unit) in itertools.pairwise(words):
        if NUMBER.match(w) and abs(uy0 - y0) < 1 and 0 < ux0 - x1 < 6 and re.match(r"^[kM]?(W|Wh|A|V)$", unit):
            pairs.append((round(ux1), unit, w))
    columns: dict[int, list[tuple[str, str]]] = {}
    for right, unit, number in pairs:
        columns.setdefault(right, []).append((unit, f"{number} {unit}"))
    column = max(columns.values(), key=len, default=[])
    y_axes: dict[str, list[str]] = {}
    for unit, label in column:
        y_axes.setdefault(unit, []).append(label)
    rows: dict[int, list[str]] = {}
    for _, y0, _, _, w in words:
        if CLOCK.match(w):
            rows.setdefault(round(y0), []).append(w)
    x_axis = max(rows.values(), key=len, default=[])
    return y_axes, x_axis


def test_an_evidence_line_carries_the_fields_that_decide():
    charger = Charger.objects.create(charge_point_id="CP-LINE")
    at = datetime(2026, 1, 1, 12, 0, 1, 234000, tzinfo=UTC)

    def line(direction, message_type, action, message, note=""):
        frame = Frame(
            charger=charger, seq=42, ts=at, direction=direction, message_type=message_type, action=action, note=note
        )
        frame.raw = json.dumps(message)
        return evidence.frame_line(frame, ["s3cret-password"])

    status = line(
        "in",
        2,
        "StatusNotification",
        [2, "1", "StatusNotification", {"connectorId": 0, "errorCode": "GroundFailure", "status": "Faulted"}],
    )
    assert status == {
        "seq": 42,
        "ts": "2026-01-01 12:00:01.234",
        "time": "12:00:01.234",
        "direction": "CP→CS",
        "action": "StatusNotification",
        "fields": "connectorId=0, status=Faulted, errorCode=GroundFailure",
    }
    answer = line("out", 3, "StartTransaction", [3, "1", {"transactionId": 7, "idTagInfo": {"status": "Invalid"}}])
    assert (answer["action"], answer["fields"]) == ("StartTransaction result", "transactionId=7, idTag status=Invalid")
    meter = {
        "connectorId": 1,
        "transactionId": 7,
        "meterValue": [
            {
                "timestamp": "2026-01-01T12:00:00Z",
                "sampledValue": [
                    {
                        "value": "12.5",
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "kWh",
                        "context": "Transaction.Begin",
                    },
                    *({"value": "16", "measurand": "Current.Import", "unit": "A", "phase": p} for p in ("L1", "L2")),
                ],
            }
        ],
    }
    values = line("in", 2, "MeterValues", [2, "2", "MeterValues", meter])
    assert (
        values["fields"] == "connectorId=1, transactionId=7, Energy 12.5 kWh, Current L1/L2 16/16 A [Transaction.Begin]"
    )
    ftp = line("out", 2, "GetDiagnostics", [2, "3", "GetDiagnostics", {"location": "ftp://s1:s3cret-password@h:21/"}])
    assert ftp["fields"] == "location=ftp://s1:***@h:21/"
    error = line("in", 4, "Reset", [4, "4", "NotImplemented", "no reset here", {}])
    assert (error["action"], error["fields"]) == ("Reset error", "NotImplemented: no reset here")
    event = line("event", None, "", {"event": "disconnected", "code": 1006}, note="")
    assert (event["direction"], event["action"], event["fields"]) == ("event", "connection", "disconnected, code 1006")
    noted = line("in", 2, "Heartbeat", [2, "5", "Heartbeat", {}], note="schema: extra field")
    assert noted["fields"] == "[note: schema: extra field]"


def test_a_frame_that_decided_a_step_is_printed_and_marked_even_in_the_middle():
    at = datetime(2026, 1, 1, tzinfo=UTC)
    frames = {
        n: Frame(pk=n, seq=100 + n, ts=at, direction="in", message_type=2, action="MeterValues", raw="[2]")
        for n in range(1, 41)
    }
    printed = report._printed(list(frames), frames, [], deciding={20})
    seqs = [line["seq"] for line in printed.lines]
    assert seqs == [*range(101, 111), 120, *range(137, 141)]
    assert [line["seq"] for line in printed.lines if line["decides"]] == [120] and printed.decided
    gaps = [(line["gap_before"], line["gap_from"], line["seq"]) for line in printed.lines if line["gap_before"]]
    assert gaps == [(9, 110, 120), (16, 120, 137)]
    assert printed.gap == 25 == sum(g for g, _, _ in gaps)


def test_chart_ticks_are_distinct_round_values_with_units():
    for low, high, unit in ((11000, 11000, "W"), (230.0, 230.8, "V"), (12345, 12368, "Wh"), (0, 3, "A"), (16, 16, "A")):
        ticks = charts.nice_ticks(low, high)
        labels, _ = charts.tick_labels(ticks, unit)
        assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
        assert ticks[0] <= low and ticks[-1] >= high
    assert charts.tick_labels(charts.nice_ticks(11000, 11000), "W")[0][0].endswith(" kW")


def test_each_transaction_and_connector_is_its_own_series():
    """Two connectors charging at once: two energy lines, not one sawing between them."""
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def meter(n, connector, tx, wh):
        stamp = (start + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
        payload = {
            "connectorId": connector,
            "transactionId": tx,
            "meterValue": [{"timestamp": stamp, "sampledValue": [{"value": str(wh), "unit": "Wh"}]}],
        }
        return {"ts": start, "direction": "in", "raw": json.dumps([2, str(n), "MeterValues", payload])}

    frames = [meter(n, 1 + n % 2, 10 + n % 2, 1000 * (n % 2) + n) for n in range(20)]
    # The StopTransaction of transaction 11 names no connector: it is found through the transaction.
    last = {"timestamp": "2026-01-01T00:00:30Z", "sampledValue": [{"value": "1050", "unit": "Wh"}]}
    stop = {"transactionId": 11, "meterStop": 1050, "transactionData": [last]}
    frames.append({"ts": start, "direction": "in", "raw": json.dumps([2, "s", "StopTransaction", stop])})
    series, used = charts.meter_series(Log(frames))
    assert used == 21
    assert sorted(source for (_, source, _) in series) == [(1, 10), (2, 11)]
    assert series[("energy", (2, 11), "")][-1][1] == 1050
    for points in series.values():
        values = [v for _, v in points]
        assert values == sorted(values)  # each register only rises
    chart = charts.build_chart(series, used)
    assert [entry.label for entry in chart.legend] == ["connector 1, transaction 10", "connector 2, transaction 11"]


def test_a_long_session_prints_the_first_and_last_frames_a_verdict_rests_on():
    """3,000 MeterValues queued while offline: item 16 rests on all of them, the
    report prints its first and last and names the rest by seq."""
    charger = Charger.objects.create(charge_point_id="CP-LONG", vendor="V", model="M", firmware_version="1")
    session = sessions.create_session("CP-LONG")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    offline = (start + timedelta(seconds=50)).isoformat().replace("+00:00", "Z")
    rows = [
        Frame(charger=charger, seq=1, ts=start, direction="event", raw='{"event":"disconnected","code":1006}'),
        Frame(
            charger=charger, seq=2, ts=start + timedelta(seconds=100), direction="event", raw='{"event":"connected"}'
        ),
    ]
    # The offline transaction itself, delivered from the queue around its meter values.
    for seq, (action, body) in (
        (3, ("StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": offline})),
        (3005, ("StopTransaction", {"transactionId": 7, "meterStop": 9, "timestamp": offline})),
    ):
        at = start + timedelta(seconds=100.5 if seq == 3 else 3200)
        answer = {"transactionId": 7, "idTagInfo": {"status": "Accepted"}}
        for offset, direction, message in ((0, "in", [2, f"q{seq}", action, body]), (1, "out", [3, f"q{seq}", answer])):
            rows.append(
                Frame(
                    charger=charger,
                    seq=seq + offset,
                    ts=at,
                    direction=direction,
                    message_type=message[0],
                    action=action,
                    unique_id=f"q{seq}",
                    raw=json.dumps(message),
                )
            )
    for n in range(3000):
        payload = (
            '{"connectorId":1,"transactionId":7,"meterValue":[{"timestamp":"%s","sampledValue":[{"value":"%d"}]}]}'
        )
        rows.append(
            Frame(
                charger=charger,
                seq=5 + n,
                ts=start + timedelta(seconds=101 + n),
                direction="in",
                message_type=2,
                action="MeterValues",
                unique_id=str(n),
                raw=f'[2,"{n}","MeterValues",{payload % (offline, n)}]',
            )
        )
    Frame.objects.bulk_create(rows)
    # Item 16 passes inside an attempt of its own (its panel's Take offline begins one).
    Attempt.objects.create(session=session, case="16", n=1, start_seq=session.start_seq)
    session = report.sign_off(session, None, "Ada", "Engineer", "Long one.")
    result = ItemResult.objects.get(session=session, number=16)
    assert result.auto_verdict == "passed"
    pdf = session.report.read()
    assert verify(pdf).ok
    assert page_count(pdf) < 10
    text = text_of(pdf)
    shown = report.PRINTED_HEAD + report.PRINTED_TAIL
    gap = re.search(r"… ([\d,]+) more frames this verdict rests on \(between seq (\d+) and (\d+)\)", text)
    assert gap and int(gap.group(1)) == len(result.evidence) - shown
    seqs = sorted(Frame.objects.filter(pk__in=result.evidence).values_list("seq", flat=True))
    # The gap is named by the printed frames either side of it.
    around = (seqs[report.PRINTED_HEAD - 1], seqs[len(seqs) - report.PRINTED_TAIL])
    assert (gap.group(2), gap.group(3)) == tuple(map(str, around))
    assert "connectorId=1, transactionId=7, Energy 2999" in text  # the last reading, in its deciding fields


def test_a_secret_quoted_in_any_text_of_the_report_is_masked(tmp_path):
    Charger.objects.create(charge_point_id="CP-QUOTE", vendor="V", model="M", firmware_version="1")
    session = sessions.create_session("CP-QUOTE")
    url = transfer.diagnostics_url(session)
    result = ItemResult.objects.get(session=session, number=13)
    result.override("failed", f"The charger could not reach {url}", None)
    session = report.sign_off(session, None, "Ada", "Engineer", "Quoted.")
    contents = everything_in(session.report.read(), tmp_path / "report.pdf")
    assert session.ftp_password not in contents
    assert "The charger could not reach ftp://" in " ".join(contents.split())


def test_the_sign_off_page_previews_the_report_before_signing(live_server_ocpp, client):
    charger = Charger.objects.create(charge_point_id="CP-PREVIEW", vendor="V", model="M", firmware_version="7.1")
    session = sessions.create_session("CP-PREVIEW")
    Frame.objects.create(
        charger=charger,
        seq=session.start_seq + 1,
        ts=datetime(2026, 1, 1, tzinfo=UTC),
        direction="in",
        message_type=2,
        action="Heartbeat",
        unique_id="h1",
        raw='[2,"h1","Heartbeat",{}]',
    )
    client.login(username=live_server_ocpp.username, password=live_server_ocpp.password)
    page = client.get(f"/history/{session.pk}/sign/")
    assert f'formaction="/history/{session.pk}/sign/preview/"' in page.content.decode()
    assert 'formmethod="post"' in page.content.decode()  # the CSRF token stays out of the URL
    assert client.get(f"/history/{session.pk}/sign/preview/").status_code == 405
    preview = client.post(f"/history/{session.pk}/sign/preview/", {"name": "Ada Lovelace", "role": "Engineer"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Preview: this is the report as it would be signed now" in html
    assert f"Session {session.pk}, revision 1, charger CP-PREVIEW" in html
    assert html.count('class="frames"') == len(catalogs.get().cases)
    assert "Ada Lovelace, Engineer would sign" in html
    session.refresh_from_db()
    assert not session.is_signed and not session.report
