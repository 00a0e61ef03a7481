"""The FTP server that receives diagnostics uploads (item 13).

Each session has its own user (`s<pk>`) and password, and its own home folder;
there is no anonymous access, pyftpdlib keeps paths inside the home folder, the
passive ports come from a fixed range, and an upload over the size limit is cut
off. A completed upload becomes a SessionFile of the session.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import close_old_connections
from django.utils.crypto import constant_time_compare
from pyftpdlib.authorizers import AuthenticationFailed, DummyAuthorizer
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.servers import FTPServer

from .models import CertSession, SessionFile, TransferEvent
from .transfer import safe_name, saw

log = logging.getLogger(__name__)


def ftp_root() -> Path:
    return Path(settings.CERTIFY_FTP_ROOT)


def _session_pk(username: str) -> int | None:
    """The session a user name names (`s<pk>`), whatever its state."""
    return int(username[1:]) if username.startswith("s") and username[1:].isdigit() else None


def _session_of(username: str) -> CertSession | None:
    pk = _session_pk(username)
    if pk is None:
        return None
    close_old_connections()
    return CertSession.objects.filter(pk=pk, state=CertSession.STATE_OPEN).first()


class SessionAuthorizer(DummyAuthorizer):
    """Users are the open sessions; they may only list, enter and store files.

    A session's user is added at its first login and removed at the next login
    of another once the session is no longer open, so the server, which runs for
    months, holds the users of open sessions only."""

    PERMS = "elw"

    def validate_authentication(self, username, password, handler):
        session = _session_of(username)
        if session is None or not constant_time_compare(password, session.ftp_password):
            raise AuthenticationFailed("Authentication failed.")  # logged once, by on_login_failed
        home = ftp_root() / username
        home.mkdir(parents=True, exist_ok=True)
        self._remove_closed(keep=username)
        if not self.has_user(username):
            self.add_user(username, "", str(home), perm=self.PERMS)

    def _remove_closed(self, keep: str) -> None:
        """Remove the users of sessions no longer open (signed since their login)."""
        others = {int(name[1:]): name for name in self.user_table if name != keep}
        if not others:
            return
        still_open = set(
            CertSession.objects.filter(pk__in=others, state=CertSession.STATE_OPEN).values_list("pk", flat=True)
        )
        for pk, name in others.items():
            if pk not in still_open:
                self.remove_user(name)

    def has_perm(self, username, perm, path=None):
        if username == "anonymous" or not self.has_user(username):
            return False
        return super().has_perm(username, perm, path)


class LimitedDTPHandler(DTPHandler):
    """Cuts an upload off at the size limit."""

    def handle_read(self):
        super().handle_read()
        if self.tot_bytes_received > settings.CERTIFY_MAX_DIAGNOSTICS_BYTES:
            log.warning("FTP upload over %d bytes cut off", settings.CERTIFY_MAX_DIAGNOSTICS_BYTES)
            username = getattr(self.cmd_channel, "username", "") or ""
            detail = f"upload cut off at {settings.CERTIFY_MAX_DIAGNOSTICS_BYTES} bytes"
            saw(_session_pk(username), TransferEvent.FTP, "too-large", detail, self.cmd_channel.remote_ip)
            self.close()


class DiagnosticsHandler(FTPHandler):
    authorizer = SessionAuthorizer()
    dtp_handler = LimitedDTPHandler
    banner = "OCPP Certify diagnostics upload"

    def pre_process_command(self, line, cmd, arg):
        """Refuse (and log) paths that try to climb out, rather than silently
        clamping them into the home folder."""
        if arg and ".." in arg.replace("\\", "/").split("/"):
            log.warning("FTP path traversal refused for %r from %s: %s %s", self.username, self.remote_ip, cmd, arg)
            self.respond("550 Path traversal refused.")
            return
        super().pre_process_command(line, cmd, arg)

    def on_file_received(self, file):
        session = _session_of(self.username)
        path = Path(file)
        if session is None or path.stat().st_size > settings.CERTIFY_MAX_DIAGNOSTICS_BYTES:
            path.unlink(missing_ok=True)
            return
        record = SessionFile(
            session=session,
            kind=SessionFile.DIAGNOSTICS,
            name=safe_name(path.name),
            size=path.stat().st_size,
            source="ftp",
        )
        import hashlib

        with path.open("rb") as handle:
            record.sha256 = hashlib.sha256(handle.read()).hexdigest()
            handle.seek(0)
            record.file.save(f"{session.pk}/diagnostics/{record.name}", File(handle), save=False)
        record.save()
        path.unlink(missing_ok=True)
        log.info("Diagnostics %s (%d bytes) received for session %s", record.name, record.size, session.pk)
        saw(session.pk, TransferEvent.FTP, "stored", f"{record.name} ({record.size} bytes)", self.remote_ip)

    def on_incomplete_file_received(self, file):
        path = Path(file)
        size = path.stat().st_size if path.exists() else 0
        saw(
            _session_pk(self.username),
            TransferEvent.FTP,
            "incomplete",
            f"{path.name} broke off at {size} bytes",
            self.remote_ip,
        )
        path.unlink(missing_ok=True)

    def on_login(self, username):
        saw(_session_pk(username), TransferEvent.FTP, "login", f"user {username!r}", self.remote_ip)

    def on_login_failed(self, username, password):
        log.warning("FTP login failed for %r from %s", username, self.remote_ip)
        pk = _session_pk(username)
        why = "wrong password" if _session_of(username) is not None else "its session is no longer open"
        saw(pk, TransferEvent.FTP, "login-failed", f"user {username!r}: {why}", self.remote_ip)


def make_server(host: str = "127.0.0.1", port: int = 2121) -> FTPServer:
    """An FTP server for diagnostics; `serve_forever()` runs it."""
    ftp_root().mkdir(parents=True, exist_ok=True)
    handler = type("Handler", (DiagnosticsHandler,), {"passive_ports": settings.CERTIFY_FTP_PASSIVE_PORTS})
    masquerade = settings.CERTIFY_FTP_MASQUERADE_ADDRESS
    if masquerade:
        handler.masquerade_address = masquerade
    server = FTPServer((host, port), handler)
    server.max_cons = 64
    server.max_cons_per_ip = 16
    return server
