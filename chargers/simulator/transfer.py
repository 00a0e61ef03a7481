"""Moving bytes as a charger does: firmware downloads over HTTP(S) or FTP,
diagnostics uploads over FTP and HTTP(S). Blocking I/O, run in a thread by the
caller."""

from __future__ import annotations

import ftplib
import io
import re
import urllib.error
import urllib.request
import uuid
from urllib.parse import unquote, urlsplit


def scheme_of(location: str) -> str:
    """The location's protocol as SupportedFileTransferProtocols names it (FTP, HTTP, HTTPS)."""
    return urlsplit(location).scheme.upper()


def version_in(location: str) -> str | None:
    """The firmware version an image's file name carries ('fw-2.0.1.bin' -> '2.0.1'), if any."""
    name = unquote(urlsplit(location).path.rsplit("/", 1)[-1])
    stem = re.sub(r"(\.[A-Za-z][A-Za-z0-9]*)+$", "", name)
    found = re.findall(r"\d+(?:\.\d+)+(?:[-+][0-9A-Za-z][0-9A-Za-z.-]*)?", stem)
    return found[-1] if found else None


def download(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def upload(location: str, name: str, data: bytes, timeout: float = 60) -> str:
    """Store `data` as `name` at an ftp:// or http(s):// location; say how.

    FTP: STOR in the location's folder. HTTP(S): PUT to location/name, and when
    the server answers that with an error, a multipart/form-data POST (field
    "file") to the location, as chargers do for receivers that only take forms."""
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
        return "FTP STOR"
    if parts.scheme in ("http", "https"):
        url = location if location.endswith("/") else location + "/"
        request = urllib.request.Request(url + name, data=data, method="PUT")
        request.add_header("Content-Type", "application/octet-stream")
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                return "HTTP PUT"
        except urllib.error.HTTPError as refused:
            refused.close()
        body, content_type = multipart(name, data)
        request = urllib.request.Request(location, data=body, method="POST")
        request.add_header("Content-Type", content_type)
        with urllib.request.urlopen(request, timeout=timeout):
            return "HTTP POST (multipart, after PUT was refused)"
    raise ValueError(f"Cannot upload to {location!r}: only ftp:// and http(s)://")


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    """A form with one file field, as a browser sends it: (body, Content-Type)."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
