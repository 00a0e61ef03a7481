"""The server's JSON API as the headless run uses it: the same calls the
buttons make, so the run works against a server in another process or on
another machine."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit


class ApiError(Exception):
    """The run could not talk to the server (exit status 3)."""


class Unreachable(ApiError):
    """Nothing answers at the server's address (yet)."""


@dataclass
class Api:
    """The server's JSON API, from a thread so the event loop stays free."""

    base: str
    token: str

    def _call(self, method: str, path: str, body=None, raw: bool = False) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + "/api" + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                content = response.read()
                return response.status, content if raw else json.loads(content or b"null")
        except urllib.error.HTTPError as error:
            if error.code == 401:
                raise ApiError(f"{self.base} refused the API token (HTTP 401)") from error
            try:
                return error.code, json.loads(error.read() or b"null")
            except ValueError:
                return error.code, None
        except OSError as error:
            raise Unreachable(f"{self.base} is not reachable: {error}") from error

    async def call(self, method: str, path: str, body=None, raw: bool = False) -> tuple[int, object]:
        return await asyncio.to_thread(partial(self._call, method, path, body, raw))


def http_base(ws_url: str) -> str:
    """ws://host:8000/ocpp/ -> http://host:8000 (wss -> https)."""
    parts = urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return f"{scheme}://{parts.netloc}"
