"""Who may open an OCPP connection (OCPP 1.6 Security Whitepaper, profiles 1-2),
and when: not while the charger is taken offline (chargers.offline).

Decided before the WebSocket is accepted. daphne can refuse a handshake only
with HTTP 403, so every refusal is a 403 (SECURITY.md says so); the reason goes
to the log, to the charger's evidence log as an event (`security`, or `refused`
while taken offline), and for unknown ids to the rejected attempts the
dashboard lists.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F

from .models import Charger, RejectedAttempt
from .offline import refusal

log = logging.getLogger(__name__)


@dataclass
class Admission:
    allowed: bool
    charger: Charger | None = None
    reason: str = ""
    event: str = "security"  # the evidence log's event for a refusal


def _header(scope: dict, name: bytes) -> bytes:
    for key, value in scope.get("headers", []):
        if key == name:
            return value
    return b""


def basic_credentials(scope: dict) -> tuple[str, bytes] | None:
    """(username, password bytes) of an `Authorization: Basic` header."""
    value = _header(scope, b"authorization")
    scheme, _, encoded = value.partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(b":")
    if not sep:
        return None
    return user.decode("utf-8", errors="replace"), password


def is_tls(scope: dict) -> bool:
    if scope.get("scheme") == "wss":
        return True
    server = scope.get("server") or (None, None)
    if settings.OCPP_TLS_PORT and server[1] == settings.OCPP_TLS_PORT:
        return True
    return settings.OCPP_TRUST_FORWARDED_PROTO and _header(scope, b"x-forwarded-proto") in (b"https", b"wss")


def record_rejection(charge_point_id: str, remote: str, reason: str) -> None:
    updated = RejectedAttempt.objects.filter(charge_point_id=charge_point_id, reason=reason).update(
        count=F("count") + 1, remote_addr=remote
    )
    if not updated:
        RejectedAttempt.objects.create(charge_point_id=charge_point_id, remote_addr=remote, reason=reason)


def admit(charge_point_id: str, scope: dict, remote: str) -> Admission:
    """Check a handshake; never logs the password."""
    charger = Charger.objects.filter(charge_point_id=charge_point_id).first()
    if charger is not None and (reason := refusal(charger)):
        # Refused as an outage would be, before its credentials are even read.
        return Admission(False, charger, reason, event="refused")
    if charger is None:
        if settings.OCPP_ADMISSION == "known":
            reason = "unknown charge point id (known chargers only)"
            record_rejection(charge_point_id, remote, reason)
            return Admission(False, None, reason)
        charger, _ = Charger.objects.get_or_create(charge_point_id=charge_point_id)
    if charger.security_profile >= 2 and not is_tls(scope):
        return Admission(False, charger, "security profile 2 requires TLS (wss://); refused plain ws://")
    if charger.security_profile >= 1:
        credentials = basic_credentials(scope)
        if credentials is None:
            return Admission(False, charger, "missing HTTP Basic credentials (security profile 1)")
        user, password = credentials
        if user != charge_point_id:
            return Admission(False, charger, "Basic auth user name is not the charge point id")
        if not charger.check_authorization_key(password):
            return Admission(False, charger, "wrong AuthorizationKey")
    return Admission(True, charger)
