"""A configured PKCS#12 (CERTIFY_SIGNING_P12, CERTIFY_SIGNING_PASSWORD) signs the
report, not the lab's own certificate, and `verify_report` names it."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.management import CommandError, call_command
from django.test import override_settings

from certify import signing

EVIDENCE = b'{"seq": 1, "frame": "[2,\\"1\\",\\"Heartbeat\\",{}]"}\n'
PASSWORD = "test-p12-password"


def make_p12(folder: Path, common_name: str) -> Path:
    """A self-signed signing certificate and its key, as a lab would bring them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = folder / f"{common_name.replace(' ', '-')}.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signing", key, cert, None, serialization.BestAvailableEncryption(PASSWORD.encode())
        )
    )
    return path


def signed_report(folder: Path) -> Path:
    """A small report PDF carrying the lines verify_report reads, signed as reports are."""
    from weasyprint import HTML

    sha = hashlib.sha256(EVIDENCE).hexdigest()
    pdf = HTML(string=f"<p>Session 7, revision 1, charger CP-TEST</p><p>Evidence log SHA-256: {sha}</p>").write_pdf()
    path = folder / "report.pdf"
    path.write_bytes(signing.sign(pdf, EVIDENCE, "Test Engineer", "Certified", "Test lab"))
    return path


@pytest.fixture
def configured(tmp_path):
    p12 = make_p12(tmp_path, "Acme Test Lab signing")
    with override_settings(CERTIFY_SIGNING_P12=str(p12), CERTIFY_SIGNING_PASSWORD=PASSWORD, VAR_DIR=tmp_path / "var"):
        yield p12


def verify_report(path: Path) -> str:
    out = io.StringIO()
    call_command("verify_report", str(path), stdout=out)
    return out.getvalue()


def test_a_configured_certificate_signs_the_report(configured, tmp_path):
    report = signed_report(tmp_path)
    assert signing.verify(report.read_bytes()).trusted


def test_a_configured_certificate_is_used_instead_of_the_labs_own(configured, tmp_path):
    signed_report(tmp_path)
    assert not (tmp_path / "var" / "signing" / "lab.p12").exists()


def test_a_report_signed_with_another_certificate_is_not_trusted(configured, tmp_path):
    report = signed_report(tmp_path)
    with override_settings(CERTIFY_SIGNING_P12=str(make_p12(tmp_path, "Someone else"))):
        assert not signing.verify(report.read_bytes()).trusted


def test_verify_report_says_when_another_certificate_signed(configured, tmp_path):
    report = signed_report(tmp_path)
    with override_settings(CERTIFY_SIGNING_P12=str(make_p12(tmp_path, "Someone else"))), pytest.raises(CommandError):
        out = io.StringIO()
        try:
            call_command("verify_report", str(report), stdout=out)
        finally:
            assert "Signed with the configured certificate: NO" in out.getvalue()


def test_a_changed_report_still_names_the_certificate_that_signed_it(configured, tmp_path):
    """Only the signed bytes broke: the signature is still the configured certificate's."""
    data = bytearray(signed_report(tmp_path).read_bytes())
    start = data.index(b"stream", data.index(b"/FlateDecode")) + 8
    data[start + 40] ^= 0xFF
    checked = signing.verify(bytes(data))
    assert (checked.intact, checked.configured_certificate_used) == (False, True)


def test_verify_report_names_the_configured_certificate(configured, tmp_path):
    out = verify_report(signed_report(tmp_path))
    assert f"Certificate: CN=Acme Test Lab signing (CERTIFY_SIGNING_P12={configured})" in out
    assert signing.fingerprint() in out
    assert "VALID" in out


def test_a_wrong_signing_password_stops_verify_report_naming_the_settings(configured, tmp_path):
    report = signed_report(tmp_path)
    with (
        override_settings(CERTIFY_SIGNING_PASSWORD="not-the-password"),
        pytest.raises(CommandError, match="CERTIFY_SIGNING_PASSWORD"),
    ):
        verify_report(report)
