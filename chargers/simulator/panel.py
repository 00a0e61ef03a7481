"""The dashboard's link to a running simulator's control port (SIMULATOR_CONTROL_URL,
set by `make run`): which chargers are simulated, and their physical events.

The control port is the simulator's own HTTP interface on 127.0.0.1 (see
chargers/simulator/control.py); nothing else is reached from here.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from ocpp.v16.enums import ChargePointErrorCode

from .control import VERBS

TIMEOUT = 5.0  # seconds; an event such as a plug-in answers in milliseconds
# Every ChargePointErrorCode of OCPP 1.6 but NoError, which is not a fault.
FAULT_CODES = tuple(c.value for c in ChargePointErrorCode if c is not ChargePointErrorCode.no_error)


class SimulatorUnavailable(Exception):
    """The control port is not configured, not running, or answered an error."""


def control_url() -> str:
    """The configured control URL, or '' when none is set or it is not local."""
    url = settings.SIMULATOR_CONTROL_URL
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return ""
    return url.rstrip("/")


def _request(method: str, path: str) -> object:
    base = control_url()
    if not base:
        raise SimulatorUnavailable("no simulator control port is configured (SIMULATOR_CONTROL_URL)")
    request = urllib.request.Request(base + path, data=b"" if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read() or b"{}").get("error", "")
        except ValueError:
            detail = ""
        raise SimulatorUnavailable(detail or f"the simulator answered HTTP {error.code}") from error
    except (OSError, ValueError) as error:
        raise SimulatorUnavailable(f"the simulator's control port does not answer ({error})") from error


def state(cp_id: str) -> dict | None:
    """The simulated charger's state, or None when this charger is not one of the
    simulator's (or no simulator runs)."""
    try:
        chargers = _request("GET", "/")
    except SimulatorUnavailable:
        return None
    return chargers.get(cp_id) if isinstance(chargers, dict) else None


def send_event(cp_id: str, verb: str, params: dict[str, str]) -> dict:
    """Do one physical event on the simulated charger; its new state."""
    if verb not in VERBS:
        raise SimulatorUnavailable(f"unknown event {verb!r}")
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return _request("POST", f"/{quote(cp_id, safe='')}/{verb}" + (f"?{query}" if query else ""))
