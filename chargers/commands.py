"""Send an OCPP command to a charger from any Django code and get its answer.

The request goes over the channel layer to the channel of the charger's live
connection, so it works from whichever server process serves the caller
(in-memory layer: one process; Redis layer: any number).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from . import protocol
from .layers import LAYER_ERRORS
from .models import Charger


@dataclass
class CommandResult:
    """The outcome of a command, as a value a person can read.

    status: ok (a CALLRESULT came), callerror, timeout, not_connected,
    disconnected, invalid (we refused to send it), unavailable (the channel
    layer is down) or error."""

    status: str
    action: str
    charge_point_id: str
    payload: dict | None = None
    message: str = ""
    code: str = ""
    details: object = None
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("extra")
        return data


@database_sync_to_async
def _find(charge_point_id: str) -> Charger | None:
    return Charger.objects.filter(charge_point_id=charge_point_id).first()


def _offline_message(charger: Charger) -> str:
    seen = charger.last_frame_at or charger.disconnected_at
    last = f" (last seen {seen:%Y-%m-%d %H:%M:%S} UTC)" if seen else " (never seen)"
    return f"Charger {charger.charge_point_id} is not connected{last}"


async def send_command(
    charge_point_id: str,
    action: str,
    payload: dict | None = None,
    *,
    timeout: float | None = None,
    sent_by: str = "",
) -> CommandResult:
    """Send `action` with its camelCase OCPP payload; never raises for charger
    trouble, which comes back as the result's status and message."""
    payload = payload or {}
    result = CommandResult(status="error", action=action, charge_point_id=charge_point_id)
    if not protocol.sends(action):
        result.status, result.message = "invalid", f"{action} is not an OCPP command a central system sends"
        return result
    charger = await _find(charge_point_id)
    if charger is None:
        result.status, result.message = "not_connected", f"Charger {charge_point_id} is unknown"
        return result
    if not charger.connected or not charger.channel_name:
        result.status, result.message = "not_connected", _offline_message(charger)
        return result
    timeout = settings.OCPP_CALL_TIMEOUT if timeout is None else timeout
    try:
        return await _deliver(charger, result, action, payload, timeout, sent_by)
    except LAYER_ERRORS as exc:
        result.status = "unavailable"
        result.message = f"The channel layer is unavailable, so the command cannot reach {charge_point_id}: {exc}"
        return result


async def _deliver(charger: Charger, result: CommandResult, action: str, payload: dict, timeout: float, sent_by: str):
    charge_point_id = charger.charge_point_id
    layer = get_channel_layer()
    reply_to = await layer.new_channel()
    await layer.send(
        charger.channel_name,
        {
            "type": "command.send",
            "action": action,
            "payload": payload,
            "reply_to": reply_to,
            "sent_by": sent_by,
            "timeout": timeout,
            # Past this the requester has given up: a late delivery must not run.
            "deliver_by": time.time() + settings.OCPP_COMMAND_ACK_TIMEOUT,
        },
    )
    try:
        ack = await asyncio.wait_for(layer.receive(reply_to), settings.OCPP_COMMAND_ACK_TIMEOUT)
    except TimeoutError:
        result.status = "not_connected"
        result.message = _offline_message(charger) + ": its connection did not take the command"
        return result
    reply = ack
    if ack.get("type") == "command.ack":
        try:
            # The charger's own timeout fires first; the margin covers transit.
            reply = await asyncio.wait_for(layer.receive(reply_to), timeout + 5)
        except TimeoutError:
            result.status, result.message = (
                "timeout",
                f"No answer to {action} from {charge_point_id} within {timeout:g} s",
            )
            return result
    result.status = reply.get("status", "error")
    result.payload = reply.get("payload")
    result.message = reply.get("message", "")
    result.code = reply.get("code", "")
    result.details = reply.get("details")
    return result
