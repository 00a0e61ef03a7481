"""Files a session moves, over real sockets: diagnostics by FTP (per-session
user, no anonymous write, no way out of the home folder) and by HTTP (secret
URL), firmware served read-only."""

from __future__ import annotations

import ftplib
import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certify import services
from certify.ftp import make_server
from certify.models import SessionFile
from certify.transfer import upload_firmware
from tests.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session():
    return services.create_session("CP-FILES", engineer_name="Ada")


@pytest.fixture
def ftp_port(settings, tmp_path):
    settings.CERTIFY_FTP_ROOT = tmp_path / "ftp"
    port = free_port()
    server = make_server("127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2}, daemon=True)
    thread.start()
    yield port
    server.close_all()
    thread.join(5)


def test_diagnostics_arrive_by_ftp_with_the_sessions_own_credentials(session, ftp_port, tmp_path):
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", ftp_port, timeout=5)
        ftp.login(session.ftp_user, session.ftp_password)
        ftp.storbinary("STOR diag-20260101.log", io.BytesIO(b"line one\nline two\n"))
        with pytest.raises(ftplib.error_perm):
            ftp.storbinary("STOR ../../escaped.log", io.BytesIO(b"x"))
        with pytest.raises(ftplib.error_perm):
            ftp.retrbinary("RETR diag-20260101.log", lambda _: None)  # write-only
    received = SessionFile.objects.get(session=session, kind="diagnostics")
    assert (received.name, received.size, received.source) == ("diag-20260101.log", 18, "ftp")
    assert received.file.read() == b"line one\nline two\n"
    assert not list(tmp_path.parent.rglob("escaped.log"))


@pytest.mark.parametrize("user, password", [("anonymous", "x@y"), ("s999999", "nope"), (None, "wrong")])
def test_ftp_refuses_strangers(session, ftp_port, user, password):
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", ftp_port, timeout=5)
        with pytest.raises(ftplib.error_perm):
            ftp.login(user or session.ftp_user, password)


def test_diagnostics_arrive_by_http_put_at_the_secret_url(session, client):
    url = f"/files/diagnostics/{session.pk}/{session.upload_secret}/"
    assert client.put(url + "diag.tar.gz", b"\x1f\x8bdata", content_type="application/octet-stream").status_code == 201
    assert client.put(f"/files/diagnostics/{session.pk}/wrong-secret/", b"x").status_code == 404
    assert client.put(url + "..", b"x").status_code == 400
    assert client.get(url).status_code == 405
    received = SessionFile.objects.get(session=session, kind="diagnostics")
    assert (received.name, received.size, received.source) == ("diag.tar.gz", 6, "http")


def test_firmware_is_hosted_read_only_at_an_unguessable_url(session, client):
    upload_firmware(session, SimpleUploadedFile("../../fw v2.bin", b"FIRMWARE"))
    url = services.firmware_url(session, "lab.example:8000")
    assert url == f"http://lab.example:8000/files/firmware/{session.pk}/{session.upload_secret}/fw_v2.bin"
    response = client.get(url.split("lab.example:8000", 1)[1])
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"FIRMWARE"
    assert client.get(f"/files/firmware/{session.pk}/guess/fw_v2.bin").status_code == 404
    assert client.post(url.split("lab.example:8000", 1)[1]).status_code == 405
