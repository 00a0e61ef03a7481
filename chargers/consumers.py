"""The OCPP endpoint: `ws://HOST:PORT/ocpp/<charge_point_id>`.

A consumer only does socket work: accept or refuse the handshake, hand every
frame to the protocol, and run commands routed to it over the channel layer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime
from urllib.parse import unquote

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from . import protocol
from .admission import Admission, admit, is_tls
from .frames import FrameRecord, forget, store_frame
from .layers import LAYER_ERRORS
from .models import Charger, Frame

log = logging.getLogger(__name__)


def charge_point_id_from_scope(scope: dict) -> str:
    """The last path segment of the URL, percent-decoded (so an id may hold '/'
    only as %2F)."""
    raw = scope.get("raw_path")
    if raw:
        path = raw.decode("latin-1") if isinstance(raw, bytes) else raw
        path = path.split("?", 1)[0]
        return unquote(path.rstrip("/").rsplit("/", 1)[-1]) if path.rstrip("/") != "/ocpp" else ""
    return scope["url_route"]["kwargs"].get("charge_point_id", "")


def remote_address(scope: dict) -> str:
    client = scope.get("client") or ("", "")
    return f"{client[0]}:{client[1]}" if client[0] else ""


def _event(kind: str, **details) -> str:
    return json.dumps({"event": kind, **details}, separators=(",", ":"))


@database_sync_to_async
def _admit_and_claim(cp_id: str, scope: dict, remote: str, channel_name: str) -> tuple[Admission, str]:
    """Check the handshake and, if admitted, mark the charger connected on this
    channel, in one trip to the database. Returns the channel of an older
    connection of the same id, which must now be closed."""
    admission = admit(cp_id, scope, remote)
    if not admission.allowed:
        return admission, ""
    charger = admission.charger
    previous = charger.channel_name if charger.connected else ""
    charger.connected, charger.channel_name, charger.remote_addr = True, channel_name, remote
    charger.connected_at = timezone.now()
    Charger.objects.filter(pk=charger.pk).update(
        connected=True, channel_name=channel_name, remote_addr=remote, connected_at=charger.connected_at
    )
    return admission, previous


@database_sync_to_async
def _release_charger(charger_pk: int, channel_name: str) -> bool:
    """Mark the charger offline, unless a newer connection took it over."""
    return bool(
        Charger.objects.filter(pk=charger_pk, channel_name=channel_name).update(
            connected=False, channel_name="", disconnected_at=timezone.now()
        )
    )


class OcppConsumer(AsyncWebsocketConsumer):
    """One charger's WebSocket."""

    async def __call__(self, scope, receive, send) -> None:
        """As Channels runs a consumer, but a reader takes each message off the server
        the moment it arrives and notes when (`arrived`), while the frames are handled
        one at a time: a frame stored after our answer to an earlier CALL still shows
        it reached us before that answer left (OCPP-J §4.1.1, the findings' call-before-answer)."""
        arrivals: asyncio.Queue = asyncio.Queue()  # as unbounded as the server's own queue it drains

        async def read() -> None:
            try:
                while True:
                    message = await receive()
                    if message.get("type") == "websocket.receive":
                        message = {**message, "arrived": timezone.now()}
                    arrivals.put_nowait(message)
                    if message.get("type") == "websocket.disconnect":
                        return
            except Exception as exc:  # handed to the consumer, which would otherwise wait forever
                arrivals.put_nowait(exc)

        async def next_message() -> dict:
            message = await arrivals.get()
            if isinstance(message, Exception):
                raise message
            await asyncio.sleep(0)  # the reader first notes what arrived with it, before it is handled
            return message

        reader = asyncio.ensure_future(read())
        try:
            await super().__call__(scope, next_message, send)
        finally:
            reader.cancel()

    charger: Charger | None = None
    cs: protocol.CentralSystem | None = None

    async def connect(self) -> None:
        # What this process keeps of a charger lives on its connection and goes
        # with it (commands under way, the rate limit's bucket, the protocol's
        # outstanding CALLs); the frame store's numbering goes at disconnect.
        self.tasks: set[asyncio.Task] = set()  # commands under way: removed when done
        remote = remote_address(self.scope)
        cp_id = charge_point_id_from_scope(self.scope)
        offered = self.scope.get("subprotocols", [])
        if not cp_id or len(cp_id) > settings.OCPP_MAX_ID_LENGTH:
            log.warning(
                "Refused OCPP connection from %s: charge point id %r must be 1 to %d characters",
                remote,
                cp_id[:100],
                settings.OCPP_MAX_ID_LENGTH,
            )
            await self.close()
            return
        version = protocol.version_for(offered)
        if version is None:
            log.warning(
                "Refused OCPP connection of %r from %s: it offered subprotocols %s, we speak only %s",
                cp_id,
                remote,
                offered or "none",
                ", ".join(protocol.VERSIONS),
            )
            await self.close()
            return
        admission, previous = await _admit_and_claim(cp_id, self.scope, remote, self.channel_name)
        reason = admission.reason
        if reason:
            log.warning("Refused OCPP connection of %r from %s: %s", cp_id, remote, reason)
            if admission.charger is not None:
                await store_frame(
                    admission.charger.pk,
                    FrameRecord(direction=Frame.EVENT, raw=_event(admission.event, reason=reason, remote=remote)),
                )
            await self.close()
            return
        self.charger = admission.charger
        if previous and previous != self.channel_name:
            # The newest connection wins; the old socket is told to close.
            try:
                await self.channel_layer.send(previous, {"type": "connection.replaced", "by": remote})
            except LAYER_ERRORS:
                log.warning("Could not tell the older connection of %s to close (channel layer down)", cp_id)
        self.cs = version.connect(self.charger, self.send_text)
        self.rate = settings.OCPP_RATE_LIMIT
        self.tokens = 2 * self.rate
        self.last_refill = asyncio.get_running_loop().time()
        self.throttle_warned = 0.0
        tls = {"tls": True} if is_tls(self.scope) else {}
        await self.accept(version.subprotocol)
        await store_frame(
            self.charger.pk,
            FrameRecord(
                direction=Frame.EVENT,
                # tls: the evidence that a case needing wss:// (security profile 2) got it
                raw=_event("connected", remote=remote, subprotocol=version.subprotocol, **tls),
            ),
        )

    async def dispatch(self, message: dict) -> None:
        """As Channels dispatches, minus its close_old_connections() before every
        message: that is a thread hop per frame (a fifth of the server's CPU per
        MeterValues). This consumer reaches the database only through
        database_sync_to_async and the frame writer, which look after their
        own connections."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_text(self, raw: str) -> None:
        await self.send(text_data=raw)

    async def websocket_receive(self, message: dict) -> None:
        await self.receive(message.get("text"), message.get("bytes"), arrived=message.get("arrived"))

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, arrived: datetime | None = None
    ) -> None:
        if self.cs is None:
            return
        if text_data is None:
            # OCPP-J uses text frames only; keep what came, readable.
            text_data = (bytes_data or b"").decode("utf-8", errors="replace")
        await self._throttle()
        await self.cs.handle_frame(text_data, arrived=arrived)

    async def _throttle(self) -> None:
        """A token bucket: a charger sending faster than the limit is slowed
        down (its frames wait, none is dropped), with a warning in the log."""
        if self.rate <= 0:
            return
        now = asyncio.get_running_loop().time()
        self.tokens = min(2 * self.rate, self.tokens + (now - self.last_refill) * self.rate)
        self.last_refill = now
        if self.tokens >= 1:
            self.tokens -= 1
            return
        if now - self.throttle_warned > 10:
            self.throttle_warned = now
            log.warning("%s sends faster than %g frames/s: throttled", self.charger, self.rate)
        await asyncio.sleep((1 - self.tokens) / self.rate)
        self.tokens = 0
        self.last_refill = asyncio.get_running_loop().time()

    async def disconnect(self, code: int) -> None:
        if self.cs is None or self.charger is None:
            return
        if code == 1009:
            log.warning(
                "Closed %s with 1009: it sent a frame over %d bytes", self.charger, settings.OCPP_MAX_FRAME_BYTES
            )
        self.cs.close()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=2)
        await _release_charger(self.charger.pk, self.channel_name)
        await store_frame(
            self.charger.pk,
            FrameRecord(
                direction=Frame.EVENT, raw=_event("disconnected", code=code, remote=remote_address(self.scope))
            ),
        )
        forget(self.charger.pk)  # the frame store's numbering of it

    # -- channel-layer events --------------------------------------------------

    async def connection_replaced(self, event: dict) -> None:
        log.warning("Closing the older connection of %s: a new one came from %s", self.charger, event.get("by"))
        if self.cs:
            self.cs.close()
        await store_frame(
            self.charger.pk,
            FrameRecord(direction=Frame.EVENT, raw=_event("replaced", by=event.get("by", ""))),
        )
        await self.close(code=4000)

    async def connection_offline(self, event: dict) -> None:
        """Close the socket (4001) as an outage would (chargers.offline; its
        reconnects are refused meanwhile by chargers.admission)."""
        log.warning("Closing the connection of %s: %s", self.charger, event.get("by", "taken offline"))
        if self.cs:
            self.cs.close()
        await self.close(code=4001)

    async def command_send(self, event: dict) -> None:
        """Run a command as a task: awaiting the charger here would block the
        very consumer that must deliver its answer."""
        if time.time() > event.get("deliver_by", float("inf")):
            log.warning("Dropped %s for %s: it arrived after its sender gave up", event.get("action"), self.charger)
            return
        try:
            await self.channel_layer.send(event["reply_to"], {"type": "command.ack"})
        except LAYER_ERRORS:
            return  # the requester cannot hear us; it will report the layer down
        task = asyncio.create_task(self._run_command(event))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _security_change(self, action: str, payload: dict, answer) -> None:
        """What the charger accepted from us of the white paper's keys is how we admit it
        from now on, as it reconnects with it at once: a new AuthorizationKey (profile 1),
        a higher SecurityProfile (2: over TLS only; RebootRequired: once it reboots)."""
        key = (payload or {}).get("key")
        if action != "ChangeConfiguration" or key not in ("AuthorizationKey", "SecurityProfile"):
            return
        status = answer.get("status") if isinstance(answer, dict) else None
        taken = ("Accepted",) if key == "AuthorizationKey" else ("Accepted", "RebootRequired")
        value = str(payload.get("value") or "")
        if status not in taken or not value:
            return
        charger_pk = self.charger.pk

        def save() -> str:
            charger = Charger.objects.get(pk=charger_pk)
            if key == "SecurityProfile":
                return charger.raise_security_profile(value)
            charger.set_authorization_key(value)
            charger.save(update_fields=["auth_key_hash", "security_profile"])
            return "accepted a new AuthorizationKey: admitted with it from now on"

        log.warning("%s %s", self.charger, await database_sync_to_async(save)())

    async def _run_command(self, event: dict) -> None:
        reply: dict = {"type": "command.reply"}
        try:
            reply["payload"] = await self.cs.send_call(
                event["action"], event["payload"], sent_by=event.get("sent_by", ""), timeout=event.get("timeout")
            )
            reply["status"] = "ok"
            await self._security_change(event["action"], event["payload"], reply["payload"])
        except protocol.CallFailed as exc:
            reply.update(status=exc.kind, message=exc.message, code=exc.code, details=exc.details)
        except Exception as exc:
            log.exception("Command %s to %s failed", event.get("action"), self.charger)
            reply.update(status="error", message=f"{type(exc).__name__}: {exc}")
        try:
            await self.channel_layer.send(event["reply_to"], reply)
        except LAYER_ERRORS:
            log.warning(
                "Could not return the answer to %s of %s (channel layer down)", event.get("action"), self.charger
            )
