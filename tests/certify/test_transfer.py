"""Files a session moves, over real sockets: diagnostics by FTP (per-session
user, no anonymous write, no way out of the home folder) and by HTTP (secret
URL), firmware served read-only.

One FTP server serves the module; its session's upload runs once (a fixture keeps
what the server answered and stored) and each test checks one behaviour of it."""

from __future__ import annotations

import ftplib
import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from certify import sessions, transfer
from certify.ftp import DiagnosticsHandler, make_server
from certify.models import CertSession, SessionFile
from certify.transfer import upload_firmware
from tests.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)

DIAGNOSTICS = b"line one\nline two\n"


@pytest.fixture
def session():
    return sessions.create_session("CP-FILES", engineer_name="Ada")


@pytest.fixture(scope="module")
def ftp_port(tmp_path_factory):
    with override_settings(CERTIFY_FTP_ROOT=tmp_path_factory.mktemp("transfer") / "ftp"):
        port = free_port()
        server = make_server("127.0.0.1", port)
        thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2}, daemon=True)
        thread.start()
        yield port
        server.close_all()
        thread.join(5)


def refusal(action) -> ftplib.error_perm | None:
    """The FTP server's refusal of `action`, or None when it was carried out."""
    try:
        action()
    except ftplib.error_perm as error:
        return error
    return None


def upload_by_ftp(port: int) -> dict:
    """A charger logs in with its session's credentials, stores a log, then tries
    to write out of its home folder and to read the log back."""
    session = sessions.create_session("CP-FILES-FTP", engineer_name="Ada")
    seen: dict = {}
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port, timeout=5)
        ftp.login(session.ftp_user, session.ftp_password)
        ftp.storbinary("STOR diag-20260101.log", io.BytesIO(DIAGNOSTICS))
        seen["escape"] = refusal(lambda: ftp.storbinary("STOR ../../escaped.log", io.BytesIO(b"x")))
        seen["read back"] = refusal(lambda: ftp.retrbinary("RETR diag-20260101.log", lambda _: None))
    received = SessionFile.objects.get(session=session, kind="diagnostics")
    seen["received"] = (received.name, received.size, received.source, received.file.read())
    seen["events"] = list(session.transfers.values_list("server", "event", "detail"))
    return seen


@pytest.fixture(scope="module")
def ftp_upload(ftp_port, db_access, tmp_path_factory) -> dict:
    seen = db_access(upload_by_ftp, ftp_port)
    seen["escaped"] = list(tmp_path_factory.getbasetemp().rglob("escaped.log"))
    return seen


def test_diagnostics_arrive_by_ftp_with_the_sessions_own_credentials(ftp_upload):
    name, size, source, _ = ftp_upload["received"]
    assert (name, size, source) == ("diag-20260101.log", 18, "ftp")


def test_diagnostics_that_arrive_by_ftp_keep_their_bytes(ftp_upload):
    *_, content = ftp_upload["received"]
    assert content == DIAGNOSTICS


def test_ftp_refuses_a_path_out_of_the_home_folder(ftp_upload):
    assert isinstance(ftp_upload["escape"], ftplib.error_perm)


def test_nothing_written_by_ftp_lands_out_of_the_home_folder(ftp_upload):
    assert not ftp_upload["escaped"]


def test_ftp_is_write_only(ftp_upload):
    assert isinstance(ftp_upload["read back"], ftplib.error_perm)


def test_what_the_ftp_server_saw_is_kept_with_the_session(ftp_upload):
    assert [(server, event) for server, event, _ in ftp_upload["events"]] == [("ftp", "login"), ("ftp", "stored")]
    assert ftp_upload["events"][1][2] == "diag-20260101.log (18 bytes)"


def test_a_refused_ftp_login_is_kept_with_the_session_it_named(session, ftp_port):
    with ftplib.FTP() as ftp, pytest.raises(ftplib.error_perm):
        ftp.connect("127.0.0.1", ftp_port, timeout=5)
        ftp.login(session.ftp_user, "not-the-password")
    assert list(session.transfers.values_list("server", "event", "detail")) == [
        ("ftp", "login-failed", f"user {session.ftp_user!r}: wrong password")
    ]


@pytest.mark.parametrize("user, password", [("anonymous", "x@y"), ("s999999", "nope"), (None, "wrong")])
def test_ftp_refuses_strangers(session, ftp_port, user, password):
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", ftp_port, timeout=5)
        with pytest.raises(ftplib.error_perm):
            ftp.login(user or session.ftp_user, password)


def test_the_ftp_server_keeps_users_of_open_sessions_only(ftp_port):
    first, second = sessions.create_session("CP-FTP-FIRST"), sessions.create_session("CP-FTP-SECOND")
    for session in (first, second):
        with ftplib.FTP() as ftp:
            ftp.connect("127.0.0.1", ftp_port, timeout=5)
            ftp.login(session.ftp_user, session.ftp_password)
        if session is first:
            CertSession.objects.filter(pk=first.pk).update(state=CertSession.STATE_SIGNED)
    assert set(DiagnosticsHandler.authorizer.user_table) == {second.ftp_user}


# -- diagnostics by HTTP -------------------------------------------------------------------------


def diagnostics_url(session) -> str:
    return f"/files/diagnostics/{session.pk}/{session.upload_secret}/"


@pytest.fixture
def http_upload(session, client):
    return client.put(
        diagnostics_url(session) + "diag.tar.gz", b"\x1f\x8bdata", content_type="application/octet-stream"
    )


def test_diagnostics_put_at_the_secret_url_are_accepted(http_upload):
    assert http_upload.status_code == 201


def test_diagnostics_put_at_the_secret_url_are_kept_for_the_session(http_upload, session):
    received = SessionFile.objects.get(session=session, kind="diagnostics")
    assert (received.name, received.size, received.source) == ("diag.tar.gz", 6, "http")


def test_a_put_with_a_wrong_secret_is_not_found(session, client):
    assert client.put(f"/files/diagnostics/{session.pk}/wrong-secret/", b"x").status_code == 404


def test_a_put_with_a_wrong_secret_is_kept_as_refused(session, client):
    client.put(f"/files/diagnostics/{session.pk}/wrong-secret/", b"x")
    assert list(session.transfers.values_list("server", "event")) == [("http", "refused")]


def test_a_put_that_is_stored_is_kept_as_stored(http_upload, session):
    assert list(session.transfers.values_list("server", "event", "detail")) == [
        ("http", "stored", "diag.tar.gz (6 bytes)")
    ]


def test_a_put_of_a_name_out_of_the_folder_is_refused(session, client):
    assert client.put(diagnostics_url(session) + "..", b"x").status_code == 400


def test_the_diagnostics_url_cannot_be_read(session, client):
    assert client.get(diagnostics_url(session)).status_code == 405


# -- firmware ------------------------------------------------------------------------------------


@pytest.fixture
def firmware_url(session) -> str:
    upload_firmware(session, SimpleUploadedFile("../../fw v2.bin", b"FIRMWARE"))
    return transfer.firmware_url(session, "lab.example:8000")


def test_firmware_is_hosted_at_an_unguessable_url_under_a_safe_name(firmware_url, session):
    assert firmware_url == f"http://lab.example:8000/files/firmware/{session.pk}/{session.upload_secret}/fw_v2.bin"


def test_hosted_firmware_is_served_as_uploaded(firmware_url, client):
    response = client.get(firmware_url.split("lab.example:8000", 1)[1])
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"FIRMWARE"


def test_served_firmware_is_kept_as_served(firmware_url, session, client):
    b"".join(client.get(firmware_url.split("lab.example:8000", 1)[1]).streaming_content)
    assert list(session.transfers.values_list("server", "event", "detail")) == [
        ("http", "served", "fw_v2.bin (8 bytes)")
    ]


def test_firmware_under_a_guessed_secret_is_not_found(firmware_url, session, client):
    assert client.get(f"/files/firmware/{session.pk}/guess/fw_v2.bin").status_code == 404


def test_hosted_firmware_cannot_be_written(firmware_url, client):
    assert client.post(firmware_url.split("lab.example:8000", 1)[1]).status_code == 405


def test_the_items_panel_shows_what_our_servers_saw(session, admin_client):
    transfer.saw(session.pk, "ftp", "login-failed", "user 's1': wrong password", "10.0.0.7")
    html = admin_client.get(f"/sessions/{session.pk}/items/13/status/").content.decode()
    assert "What our servers saw" in html and "FTP · login-failed · user &#x27;s1&#x27;: wrong password" in html
