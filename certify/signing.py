"""Signing reports (PAdES, pyHanko) and checking them.

The certificate is a PKCS#12 file (CERTIFY_SIGNING_P12 and its password); with
none configured, the first use creates a self-signed one for the lab under
VAR_DIR/signing and keeps using it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
import re
import secrets
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings

EVIDENCE_NAME = "evidence.jsonl"
FIELD_NAME = "CertifySignature"


def _lab_paths() -> tuple[Path, Path]:
    folder = Path(settings.VAR_DIR) / "signing"
    return folder / "lab.p12", folder / "lab.pass"


def certificate_file() -> tuple[Path, bytes]:
    """(PKCS#12 path, password): the configured one, or the lab's own."""
    if settings.CERTIFY_SIGNING_P12:
        return Path(settings.CERTIFY_SIGNING_P12), settings.CERTIFY_SIGNING_PASSWORD.encode()
    p12, secret = _lab_paths()
    if not p12.exists():
        _create_lab_certificate(p12, secret)
    return p12, secret.read_bytes().strip()


def _create_lab_certificate(p12: Path, secret: Path) -> None:
    p12.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    lab = settings.CERTIFY_LAB or "OCPP Certify lab"
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{lab} report signing"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, lab[:64]),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    password = secrets.token_urlsafe(24).encode()
    blob = pkcs12.serialize_key_and_certificates(
        b"lab", key, cert, None, serialization.BestAvailableEncryption(password)
    )
    secret.write_bytes(password)
    secret.chmod(0o600)
    p12.write_bytes(blob)
    p12.chmod(0o600)


class SigningCertificateError(Exception):
    """The configured PKCS#12 cannot be read; the message names the file and the settings."""


def _load():
    path, password = certificate_file()
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), password)
    except (OSError, ValueError) as error:
        raise SigningCertificateError(
            f"The signing certificate {path} cannot be read ({error}); check CERTIFY_SIGNING_P12 and "
            "CERTIFY_SIGNING_PASSWORD."
        ) from error
    if key is None or cert is None:
        raise SigningCertificateError(f"The signing certificate {path} holds no key and certificate.")
    return key, cert


def fingerprint() -> str:
    """SHA-256 of the signing certificate, as the dashboard shows it."""
    _, cert = _load()
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def certificate_description() -> str:
    """Which certificate reports are signed and checked with: its subject, where it
    comes from and its fingerprint, for `verify_report` to name."""
    _, cert = _load()
    source = f"CERTIFY_SIGNING_P12={settings.CERTIFY_SIGNING_P12}" if settings.CERTIFY_SIGNING_P12 else "the lab's own"
    return f"{cert.subject.rfc4514_string()} ({source}), SHA-256 {fingerprint()}"


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the signed PDF beside the evidence log."""

    name: str
    data: bytes
    mime_type: str
    description: str


DEFAULT_BOX = (50, 40, 330, 110)


def sign(
    pdf: bytes,
    evidence: bytes,
    signer_name: str,
    reason: str,
    location: str,
    *,
    box: tuple | None = None,
    drawn: bool = False,
    attachments: list[Attachment] = (),
) -> bytes:
    """Attach the evidence log (and any further files), then sign the whole
    (PAdES) with the signature's field on the last page, over `box`. With
    `drawn`, the report has drawn the visible block there itself (its fonts
    embedded, its statement whole), so the field adds no text of its own;
    otherwise pyHanko stamps signer and time in the box."""
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import NoOpStampStyle, TextStampStyle

    path, password = certificate_file()
    signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=password)
    if signer is None:  # pyHanko logs why and returns None
        _load()  # raises with the file and the settings named
        raise SigningCertificateError(f"The signing certificate {path} cannot be used to sign.")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    files = [
        Attachment(EVIDENCE_NAME, evidence, "application/jsonl", "The session's complete evidence log (JSON Lines)")
    ]
    for attachment in [*files, *attachments]:
        embed.embed_file(
            writer,
            embed.FileSpec(
                file_spec_string=attachment.name,
                file_name=attachment.name,
                embedded_data=embed.EmbeddedFileObject.from_file_data(
                    writer, data=attachment.data, mime_type=attachment.mime_type
                ),
                description=attachment.description,
            ),
        )
    pages = int(writer.root["/Pages"]["/Count"])
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason[:200],
        location=location[:100],
        name=signer_name[:100],
        md_algorithm="sha256",
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        stamp_style=NoOpStampStyle() if drawn else TextStampStyle(stamp_text="Signed by %(signer)s\n%(ts)s"),
        new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=pages - 1, box=tuple(box or DEFAULT_BOX)),
    )
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out)
    return out.getvalue()


@dataclass
class Verification:
    """What verify_report prints, and `--json` gives as a document."""

    file_sha256: str = ""
    intact: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    evidence_matches: bool = False
    printed_sha256: str = ""
    embedded_sha256: str = ""
    session: str = ""
    signer: str = ""
    signed_at: str = ""
    certificate: str = ""
    certificate_sha256: str = ""
    # Whether the certificate in the signature is the configured one (None: no
    # certificate could be read). Known apart from `intact`, so a file changed after
    # signing is not also said to be signed with another certificate.
    configured_certificate_used: bool | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.intact and self.trusted and self.covers_whole_file and self.evidence_matches

    def as_dict(self) -> dict:
        return {"verdict": "VALID" if self.ok else "INVALID", "valid": self.ok, **asdict(self)}


# Libraries that log (or warn) about a damaged file as they read it: their words
# are not the verdict, so verify() keeps them quiet and counts them instead.
READER_LOGGERS = ("pypdf", "pyhanko", "pyhanko_certvalidator", "fontTools")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage())


@contextmanager
def _quiet_readers():
    """Route the readers' warnings and log records into a list, not stderr."""
    collect = _Collect()
    saved = []
    for name in READER_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.propagate))
        logger.handlers, logger.propagate = [collect], False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield collect.messages
        collect.messages.extend(str(w.message) for w in caught)
    finally:
        for logger, handlers, propagate in saved:
            logger.handlers, logger.propagate = handlers, propagate


def verify(pdf: bytes) -> Verification:
    """Check the signature against the configured (or lab) certificate and the
    embedded log against the hash printed in the report.

    pyHanko's validator runs its own event loop, so from inside a running one
    (an async view, a browser test) the check moves to a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _verify_quietly(pdf)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_verify_quietly, pdf).result()


def _verify_quietly(pdf: bytes) -> Verification:
    with _quiet_readers() as messages:
        result = _verify(pdf)
    if messages and not result.ok:
        result.problems.append(f"the file's structure is damaged ({len(messages)} complaint(s) while reading it)")
    return result


def _verify(pdf: bytes) -> Verification:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    result = Verification(file_sha256=hashlib.sha256(pdf).hexdigest())
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        signatures = reader.embedded_signatures
    except Exception as exc:
        result.problems.append(f"not a readable PDF: {exc}")
        return result
    if not signatures:
        result.problems.append("no signature")
        return result
    _, cert = _load()
    root = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    result.signer = str(signatures[-1].sig_object.get("/Name", ""))
    try:
        status = validate_pdf_signature(signatures[-1], ValidationContext(trust_roots=[root]))
        result.intact = bool(status.intact and status.valid)
        result.trusted = bool(status.trusted)
        result.covers_whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        signing_cert = status.signing_cert
        if signing_cert is not None:
            result.certificate_sha256 = _colons(hashlib.sha256(signing_cert.dump()).hexdigest())
            result.certificate = signing_cert.subject.human_friendly
            result.configured_certificate_used = result.certificate_sha256 == fingerprint()
        if status.signer_reported_dt is not None:
            result.signed_at = status.signer_reported_dt.isoformat(timespec="seconds")
        if not result.intact:
            result.problems.append("the signed bytes were changed")
        elif not result.trusted:
            result.problems.append(
                "the configured certificate's signature does not validate"
                if result.configured_certificate_used
                else "not signed with the configured certificate"
            )
        if not result.covers_whole_file:
            result.problems.append("content was added after signing")
    except Exception as exc:
        result.problems.append(f"signature check failed: {exc}")
    _check_evidence(pdf, result)
    return result


def _check_evidence(pdf: bytes, result: Verification) -> None:
    from pypdf import PdfReader

    try:
        text_reader = PdfReader(io.BytesIO(pdf))
        text = " ".join(page.extract_text() or "" for page in text_reader.pages)
        printed = re.search(r"Evidence log SHA-256:\s*([0-9a-f]{64})", text.replace("\n", " "))
        result.printed_sha256 = printed.group(1) if printed else ""
        session = re.search(r"Session (\d+), revision (\d+), charger (\S+)", text)
        result.session = (
            f"session {session.group(1)} revision {session.group(2)} of {session.group(3)}" if session else ""
        )
        attachments = text_reader.attachments.get(EVIDENCE_NAME) or []
        if attachments:
            result.embedded_sha256 = hashlib.sha256(attachments[0]).hexdigest()
        result.evidence_matches = bool(result.printed_sha256) and result.printed_sha256 == result.embedded_sha256
        if not result.evidence_matches:
            result.problems.append("the embedded evidence log does not match the printed SHA-256")
    except Exception as exc:
        result.problems.append(f"could not read the report's text or attachment: {exc}")


def _colons(hex_digest: str) -> str:
    digest = hex_digest.upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
