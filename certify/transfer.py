"""Files a session moves: firmware we host for item 12, diagnostics we receive
for item 13 (over HTTP here, over FTP in certify.ftp), and the public URLs a
charger reaches them at."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from .models import CertSession, SessionFile, TransferEvent

log = logging.getLogger(__name__)


def saw(session_pk: int | None, server: str, event: str, detail: str = "", remote: str = "") -> None:
    """Keep what our FTP or HTTP server saw of a session's transfer (a login
    refused, a file stored or served), for the item's page and its verdict's
    reason. Never raises: the server goes on whatever the database says."""
    if session_pk is None or not CertSession.objects.filter(pk=session_pk).exists():
        return
    try:
        TransferEvent.objects.create(
            session_id=session_pk, server=server, event=event, detail=detail[:300], remote=(remote or "")[:100]
        )
    except Exception:  # a lost event must not stop a transfer
        log.exception("Could not keep the %s event %s of session %s", server, event, session_pk)
        return
    from .sessions import announce  # sessions imports this module

    announce(CertSession(pk=session_pk))


def safe_name(name: str, default: str = "file.bin") -> str:
    """A file name with no path and no surprises."""
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._+-]", "_", name).lstrip(".")
    return name[:120] or default


def store(session: CertSession, kind: str, name: str, data: bytes, source: str) -> SessionFile:
    """Keep a file with the session, under the session's own folder."""
    name = safe_name(name)
    record = SessionFile(
        session=session, kind=kind, name=name, size=len(data), source=source, sha256=hashlib.sha256(data).hexdigest()
    )
    record.file.save(f"{session.pk}/{kind}/{name}", ContentFile(data), save=False)
    record.save()
    from .sessions import announce  # sessions imports this module

    announce(session)  # the item's panel lists the file as it arrives
    return record


# -- the URLs a charger fetches and sends a session's files at ---------------------------


def public_host(request_host: str | None = None) -> str:
    """The host a charger can reach us at: CERTIFY_PUBLIC_HOST, else the host
    the engineer's browser used (on a lab network, the same machine), else
    127.0.0.1."""
    configured = settings.CERTIFY_PUBLIC_HOST
    if configured:
        return configured
    if request_host:
        return request_host.rsplit(":", 1)[0] if request_host.count(":") == 1 else request_host
    return "127.0.0.1"


def http_base(request_host: str | None = None) -> str:
    port = settings.CERTIFY_PUBLIC_HTTP_PORT
    if request_host and not settings.CERTIFY_PUBLIC_HOST:
        return f"http://{request_host}"
    return f"http://{public_host(request_host)}{f':{port}' if port else ''}"


def firmware_url(session: CertSession, request_host: str | None = None) -> str:
    latest = SessionFile.objects.filter(session=session, kind=SessionFile.FIRMWARE).order_by("-created_at").first()
    if latest is None:
        return ""
    return f"{http_base(request_host)}/files/firmware/{session.pk}/{session.upload_secret}/{latest.name}"


def diagnostics_url(session: CertSession, request_host: str | None = None) -> str:
    port = settings.CERTIFY_FTP_PORT
    return f"ftp://{session.ftp_user or f's{session.pk}'}:{session.ftp_password}@{public_host(request_host)}:{port}/"


def diagnostics_http_url(session: CertSession, request_host: str | None = None) -> str:
    return f"{http_base(request_host)}/files/diagnostics/{session.pk}/{session.upload_secret}/"


def upload_firmware(session: CertSession, upload) -> SessionFile:
    """The manufacturer's firmware, hosted for the charger to download."""
    if session.is_signed:
        raise ValidationError("This session is signed.")
    if upload.size > settings.CERTIFY_MAX_FIRMWARE_BYTES:
        raise ValidationError(
            {"firmware": f"The file is larger than {settings.CERTIFY_MAX_FIRMWARE_BYTES // (1024 * 1024)} MiB."}
        )
    return store(session, SessionFile.FIRMWARE, upload.name, upload.read(), "upload")


def _session_with_secret(pk: int, secret: str, request: HttpRequest | None = None) -> CertSession:
    session = CertSession.objects.filter(pk=pk).first()
    if session is None or not constant_time_compare(secret, session.upload_secret):
        if session is not None and request is not None:
            saw(pk, TransferEvent.HTTP, "refused", f"{request.method} with a wrong secret in the URL", _remote(request))
        raise Http404("No such location")
    return session


def _remote(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@require_safe
def firmware_download(request: HttpRequest, pk: int, secret: str, name: str) -> FileResponse:
    """Read-only, at an unguessable URL: chargers send no credentials."""
    session = _session_with_secret(pk, secret, request)
    record = SessionFile.objects.filter(session=session, kind=SessionFile.FIRMWARE, name=safe_name(name)).last()
    if record is None:
        saw(pk, TransferEvent.HTTP, "refused", f"GET {name!r}: no such firmware in the session", _remote(request))
        raise Http404("No such firmware")
    log.info("Firmware %s of session %s fetched by %s", record.name, pk, request.META.get("REMOTE_ADDR"))
    saw(pk, TransferEvent.HTTP, "served", f"{record.name} ({record.size} bytes)", _remote(request))
    return FileResponse(record.file.open("rb"), as_attachment=True, filename=record.name)


@csrf_exempt
def diagnostics_upload(request: HttpRequest, pk: int, secret: str, name: str = "") -> HttpResponse:
    """PUT or POST a diagnostics file (raw body or one multipart file); the URL's
    secret is the credential, since chargers cannot carry a CSRF token."""
    if request.method not in ("PUT", "POST"):
        return HttpResponse("PUT or POST a file here.\n", status=405, headers={"Allow": "PUT, POST"})
    session = _session_with_secret(pk, secret, request)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.CERTIFY_MAX_DIAGNOSTICS_BYTES:
        saw(pk, TransferEvent.HTTP, "too-large", f"{request.method} of {length} bytes refused", _remote(request))
        return HttpResponse("Too large.\n", status=413)
    if request.FILES:
        upload = next(iter(request.FILES.values()))
        data, filename = upload.read(), upload.name
    else:
        data, filename = request.body, name or f"diagnostics-{pk}.log"
    if len(data) > settings.CERTIFY_MAX_DIAGNOSTICS_BYTES:
        saw(pk, TransferEvent.HTTP, "too-large", f"{request.method} of {len(data)} bytes refused", _remote(request))
        return HttpResponse("Too large.\n", status=413)
    if name and safe_name(name) != name:
        log.warning("Refused diagnostics upload name %r for session %s", name, pk)
        saw(pk, TransferEvent.HTTP, "refused", f"{request.method} of a bad file name {name!r}", _remote(request))
        return HttpResponse("Bad file name.\n", status=400)
    record = store(session, SessionFile.DIAGNOSTICS, filename, data, "http")
    saw(pk, TransferEvent.HTTP, "stored", f"{record.name} ({record.size} bytes)", _remote(request))
    return HttpResponse(f"Stored {record.name} ({record.size} bytes).\n", status=201)
