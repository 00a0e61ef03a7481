"""The signed report of a real session: its text, its signature, its evidence."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from certify import catalog, evidence, headless, report, services
from certify.models import CertSession, ItemResult
from certify.signing import verify
from chargers.models import Charger, Frame
from chargers.simulator import SimulatedCharger, SimulatorOptions

pytestmark = pytest.mark.django_db(transaction=True)


def text_of(pdf: bytes) -> str:
    """The PDF's text with its line wrapping folded into single spaces."""
    return " ".join(" ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages).split())


async def run_session(server) -> int:
    sim = SimulatedCharger(
        SimulatorOptions(
            url=server.ws_url,
            charge_point_id="SIM-REPORT",
            vendor="Acme <Labs>",
            model="Volt-22",
            firmware="2.4.1",
            serial="SN-77",
        )
    )
    task = asyncio.create_task(sim.run())
    try:
        await sim.wait_booted(15)
        api = headless.Api(server.http_url, server.token)
        _, session = await api.call("POST", "/sessions", {"charge_point_id": "SIM-REPORT", "engineer_name": "Ada"})
        run = headless.Run(api, session["id"], "SIM-REPORT", sim)
        await headless.drive(run, [1, 4, 17, 18], 20, progress=lambda line: None)
        return session["id"]
    finally:
        await sim.stop()
        task.cancel()


def test_a_signed_report_of_a_real_session(live_server_ocpp, tmp_path, settings):
    pk = asyncio.run(run_session(live_server_ocpp))
    session = CertSession.objects.get(pk=pk)
    services.override_item(
        ItemResult.objects.get(session=session, number=15), "not_supported", "Not supported by Acme", None
    )
    session = report.sign_off(session, None, "Ada Lovelace", "Test engineer", "Results as the charger gave them.")
    pdf = session.report.read()
    text = text_of(pdf)
    for fact in (
        "Manufacturer Name: Acme <Labs>",
        "Manufacturer Model: Volt-22",
        "Firmware Version: 2.4.1",
        "Manufacturer Number: SN-77",
        f"Session {pk}, revision 1, charger SIM-REPORT",
    ):
        assert fact in text, fact
    assert "TestScript Charge Station connected with OCPP 1.6 to" in text
    for item in catalog.items():
        assert item.function.split(" (")[0][:20] in text, item.function
    assert "Configuration (" in text and "Not supported by Acme" in text and "Support triggermessage" in text
    assert f"Evidence log SHA-256: {session.log_sha256}" in text

    checked = verify(pdf)
    assert checked.ok, checked.problems
    assert checked.session == f"session {pk} revision 1 of SIM-REPORT"
    attached = PdfReader(io.BytesIO(pdf)).attachments["evidence.jsonl"][0]
    assert attached == evidence.export(session)[0]
    assert attached.decode().count("\n") == session.frames().count()

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    assert validate_pdf_signature(signature).intact  # pyHanko's own check, no trust root

    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(pdf)
    tampered = bytearray(pdf)
    tampered[len(tampered) // 2] ^= 0x01
    bad.write_bytes(bytes(tampered))
    out = io.StringIO()
    call_command("verify_report", str(good), stdout=out)
    assert "VALID" in out.getvalue() and f"session {pk}" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("verify_report", str(bad), stdout=io.StringIO())

    # Finalized: verdicts cannot change; a new revision starts fresh.
    with pytest.raises(Exception, match="signed"):
        services.override_item(ItemResult.objects.get(session=session, number=17), "failed", "x", None)
    revision = report.new_revision(session)
    assert (revision.revision, revision.revision_of_id, revision.state) == (2, pk, "open")


def test_a_long_session_prints_only_what_verdicts_rest_on():
    """3,000 MeterValues queued while offline: item 16 rests on all of them, the
    report prints 20 and points to the attached log for the rest."""
    charger = Charger.objects.create(charge_point_id="CP-LONG", vendor="V", model="M", firmware_version="1")
    session = services.create_session("CP-LONG")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    offline = (start + timedelta(seconds=50)).isoformat().replace("+00:00", "Z")
    rows = [
        Frame(charger=charger, seq=1, ts=start, direction="event", raw='{"event":"disconnected","code":1006}'),
        Frame(
            charger=charger, seq=2, ts=start + timedelta(seconds=100), direction="event", raw='{"event":"connected"}'
        ),
    ]
    for n in range(3000):
        payload = (
            '{"connectorId":1,"transactionId":7,"meterValue":[{"timestamp":"%s","sampledValue":[{"value":"%d"}]}]}'
        )
        rows.append(
            Frame(
                charger=charger,
                seq=3 + n,
                ts=start + timedelta(seconds=101 + n),
                direction="in",
                message_type=2,
                action="MeterValues",
                unique_id=str(n),
                raw=f'[2,"{n}","MeterValues",{payload % (offline, n)}]',
            )
        )
    Frame.objects.bulk_create(rows)
    session = report.sign_off(session, None, "Ada", "Engineer", "Long one.")
    assert ItemResult.objects.get(session=session, number=16).auto_verdict == "passed"
    pdf = session.report.read()
    assert verify(pdf).ok
    assert len(PdfReader(io.BytesIO(pdf)).pages) < 10
    assert "2980 more frame(s) in the attached evidence.jsonl" in text_of(pdf)
