"""Moving bytes as a charger does: firmware downloads over HTTP(S), diagnostics
uploads over FTP and HTTP(S). Blocking I/O, run in a thread by the caller."""

from __future__ import annotations

import ftplib
import io
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit


def download(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def upload(location: str, name: str, data: bytes, timeout: float = 60) -> None:
    """Store `data` as `name` at an ftp:// or http(s):// location."""
    parts = urlsplit(location)
    if parts.scheme == "ftp":
        with ftplib.FTP() as ftp:
            ftp.connect(parts.hostname, parts.port or 21, timeout=timeout)
            ftp.login(unquote(parts.username or "anonymous"), unquote(parts.password or ""))
            ftp.set_pasv(True)
            folder = parts.path.strip("/")
            if folder:
                ftp.cwd(folder)
            ftp.storbinary(f"STOR {name}", io.BytesIO(data))
        return
    if parts.scheme in ("http", "https"):
        url = location if location.endswith("/") else location + "/"
        for method in ("PUT", "POST"):
            request = urllib.request.Request(url + name, data=data, method=method)
            request.add_header("Content-Type", "application/octet-stream")
            try:
                with urllib.request.urlopen(request, timeout=timeout):
                    return
            except urllib.error.HTTPError as error:
                if error.code != 405 or method == "POST":
                    raise
        return
    raise ValueError(f"Cannot upload to {location!r}: only ftp:// and http(s)://")
