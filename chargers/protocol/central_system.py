"""The central system's side of one connection: store every frame, then answer;
our CALLs out. It names no OCPP version: the version (chargers.protocol.vNN)
hands in its actions, its validator and its handlers as a `Version`.

Built on the `ocpp` library's `@on` routing and message classes, composed
rather than inherited: the library's ChargePoint owns a socket and a `call()`
that would send without storing the frame, so CentralSystem has neither;
`send_call` is the only way out. What we do differently, and why:
- frames arrive from a Channels consumer, not from a `recv()` loop, so the
  consumer calls `handle_frame` for each one;
- every frame is stored (chargers.frames) before anything is answered;
- payloads are validated by the version's compiled validator, errors answered
  with the version's OCPP-J codes;
- handlers get the payload as the spec spells it (camelCase), sparing a key
  conversion per message, and return the response, or (response, note) when
  they noticed something the evidence log should say.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from ocpp.messages import Call
from ocpp.routing import create_route_map

from .. import hooks
from ..frames import FrameRecord, store_frame, store_frames
from ..models import Charger, Frame
from .rpc import (
    INTERNAL_ERROR,
    NOT_IMPLEMENTED,
    NOT_SUPPORTED,
    CallFailed,
    Parsed,
    PayloadError,
    call_error,
    parse_frame,
    result_frame,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Version:
    """One OCPP version as the central system speaks it: chosen by the WebSocket
    subprotocol a charger offers (chargers.protocol.VERSIONS)."""

    subprotocol: str  # e.g. "ocpp1.6"
    name: str  # e.g. "OCPP 1.6", for messages a person reads
    central_system: type[CentralSystem]  # the subclass holding the version's @on handlers
    charger_actions: frozenset[str]  # what a charger sends us, answered by the handlers
    command_actions: tuple[str, ...]  # what we send a charger
    extension_commands: tuple[str, ...]  # further commands we may send (security extensions)
    known_actions: frozenset[str]  # every action of the version
    filter_actions: tuple[str, ...]  # the frame logs' action filter
    # validate(action, payload, response=False) -> findings; raises rpc.PayloadError
    validate: Callable[..., list[str]]
    format_violation: str  # the version's code for a frame of the wrong shape
    default_payload: Callable[..., dict]  # (action, charger=None) -> a starting payload to edit
    state: Callable[..., object]  # (log, initial=None) -> what a log of this version says (v16.state.State16)

    def sends(self, action: str) -> bool:
        """Whether `action` is a command a central system sends."""
        return action in self.command_actions or action in self.extension_commands

    def connect(self, charger: Charger, send: Callable[[str], Awaitable[None]]) -> CentralSystem:
        return self.central_system(charger, send, self)


def asked(charger_pk: int, action: str, payload: dict) -> dict:
    """What the answer sources (chargers.hooks.answer_sources) decide for this
    CALL: the first that answers wins; {} when none does. Sync: call it in the
    handler's database thread. A source that raises is logged and skipped."""
    for source in hooks.answer_sources:
        try:
            decided = source(charger_pk, action, payload)
        except Exception:
            log.exception("answer source %r failed", source)
            continue
        if decided is not None:
            return decided
    return {}


class CentralSystem:
    """One connected charger, seen from the central system.

    Not a subclass of the library's ChargePoint: its `call()` and `start()` send
    and receive without the evidence log, so here they do not exist at all."""

    def __init__(self, charger: Charger, send: Callable[[str], Awaitable[None]], version: Version) -> None:
        self.id = charger.charge_point_id
        self.charger = charger
        self.version = version
        # Built from the subclass's @on handlers.
        self.route_map = create_route_map(self)
        self._call_lock = asyncio.Lock()
        self._send_text = send
        # This connection's own, gone with it: our CALLs awaiting an answer
        # (removed when answered or given up) and the charger's CALL ids (cleared past 1,000).
        self._pending: dict[str, asyncio.Future] = {}
        self._pending_action: dict[str, str] = {}
        self._seen_call_ids: set[str] = set()
        self.closed = False

    # -- the frame pipeline ---------------------------------------------------

    async def record(self, record: FrameRecord) -> Frame:
        return await store_frame(self.charger.pk, record)

    async def send_frame(self, raw: str, **fields) -> Frame:
        """Store an outgoing frame, then send it: stored first, always."""
        frame = await self.record(FrameRecord(direction=Frame.OUT, raw=raw, **fields))
        await self._send_text(raw)
        return frame

    async def handle_frame(self, raw: str, arrived: datetime | None = None) -> None:
        """Store a received frame, then answer or route it. Its time is when it
        `arrived` (taken off the socket), else now."""
        parsed = parse_frame(raw, self.version.format_violation)
        note = ""
        if parsed.message_type in (3, 4) and parsed.error is None:
            if parsed.unique_id not in self._pending:
                note = "answers no outstanding CALL of ours (ignored)"
        elif parsed.message_type == 2 and parsed.error is None:
            if parsed.unique_id in self._seen_call_ids:
                note = "unique id already used by an earlier CALL on this connection"
            self._seen_call_ids.add(parsed.unique_id)
            if len(self._seen_call_ids) > 1000:
                self._seen_call_ids.clear()
        if parsed.error and not parsed.answerable:
            note = parsed.error[1]
        answers = self._pending_action.get(parsed.unique_id, "") if parsed.message_type in (3, 4) else ""
        incoming = FrameRecord(
            direction=Frame.IN,
            raw=raw,
            message_type=parsed.message_type,
            action=parsed.action or answers,
            unique_id=parsed.unique_id,
            error_code=parsed.payload[0] if parsed.message_type == 4 and parsed.payload else "",
            note=note,
            ts=arrived or timezone.now(),
        )
        if parsed.message_type == 2 and parsed.error is None:
            await self._answer_call(parsed, incoming)
            return
        await self.record(incoming)
        if parsed.error:
            if parsed.answerable:
                code, description = parsed.error
                await self.send_frame(
                    call_error(parsed.unique_id, code, description),
                    message_type=4,
                    unique_id=parsed.unique_id,
                    action=parsed.action,
                    error_code=code,
                )
            return
        future = self._pending.get(parsed.unique_id)
        if future is not None and not future.done():
            future.set_result(parsed)

    async def _answer_call(self, msg: Parsed, incoming: FrameRecord) -> None:
        version = self.version
        code = description = ""
        findings: list[str] = []
        handler = None
        if msg.action not in version.known_actions:
            code, description = NOT_IMPLEMENTED, f"{msg.action!r} is not an {version.name} action"
        elif msg.action not in version.charger_actions:
            code, description = NOT_SUPPORTED, f"{msg.action} is sent by a central system, not to it"
        else:
            handler = self.route_map.get(msg.action, {}).get("_on_action")
            if handler is None:
                code, description = NOT_SUPPORTED, f"{msg.action} is not supported"
            else:
                try:
                    findings = version.validate(msg.action, msg.payload)
                except PayloadError as exc:
                    code, description = exc.code, exc.description
        if self.charger.booted_at is None and msg.action != "BootNotification":
            # Answered all the same: a charger that reconnects need not boot again,
            # but one we have never seen boot is worth a look.
            findings.append("sent before any BootNotification of this charger")
        if findings:
            incoming.note = "; ".join(filter(None, [incoming.note, *findings]))
        if code:
            incoming.note = "; ".join(filter(None, [incoming.note, f"{code}: {description}"]))
            answer = FrameRecord(
                direction=Frame.OUT,
                raw=call_error(msg.unique_id, code, description),
                message_type=4,
                unique_id=msg.unique_id,
                action=msg.action,
                error_code=code,
            )
            await self._store_and_send(incoming, answer)
            return
        try:
            response = await handler(msg.payload)
            if isinstance(response, tuple):  # (response, what the handler noticed)
                response, noticed = response
                incoming.note = "; ".join(filter(None, [incoming.note, noticed]))
            raw, payload = result_frame(msg.unique_id, response)
            version.validate(msg.action, payload, response=True)
            answer = FrameRecord(
                direction=Frame.OUT, raw=raw, message_type=3, unique_id=msg.unique_id, action=msg.action
            )
        except Exception as exc:
            log.exception("%s: handling %s failed", self.id, msg.action)
            answer = FrameRecord(
                direction=Frame.OUT,
                raw=call_error(msg.unique_id, INTERNAL_ERROR, f"Could not process {msg.action}: {type(exc).__name__}"),
                message_type=4,
                unique_id=msg.unique_id,
                action=msg.action,
                error_code=INTERNAL_ERROR,
            )
        if not await self._store_and_send(incoming, answer) or answer.message_type != 3:
            return
        for hook in hooks.call_answered:
            try:
                await hook(self.charger.pk, self.id, msg.action, msg.payload)
            except Exception:
                log.exception("call_answered hook %r failed", hook)

    async def _store_and_send(self, incoming: FrameRecord, answer: FrameRecord) -> bool:
        """Store a CALL and its answer in one commit, then send the answer. If
        the database refuses, the charger hears InternalError, never a false
        "Accepted" for something we did not keep."""
        try:
            await store_frames(self.charger.pk, [incoming, answer])
        except Exception:
            await self._send_text(call_error(incoming.unique_id, INTERNAL_ERROR, "Could not record the message"))
            return False
        await self._send_text(answer.raw)
        return True

    # -- commands to the charger -----------------------------------------------

    async def send_call(self, action: str, payload: dict, sent_by: str = "", timeout: float | None = None) -> dict:
        """Send a CALL and return the CALLRESULT payload; raise CallFailed.

        One outstanding CALL at a time, as OCPP-J asks: later calls wait."""
        if not self.version.sends(action):
            raise CallFailed("invalid", f"{action} is not a command a central system sends")
        try:
            self.version.validate(action, payload)
        except PayloadError as exc:
            raise CallFailed("invalid", f"Payload for {action} is invalid: {exc.description}", exc.code) from None
        timeout = settings.OCPP_CALL_TIMEOUT if timeout is None else timeout
        async with self._call_lock:
            if self.closed:
                raise CallFailed("disconnected", f"Charger {self.id} disconnected")
            unique_id = str(uuid.uuid4())
            future = asyncio.get_running_loop().create_future()
            self._pending[unique_id] = future
            self._pending_action[unique_id] = action
            try:
                raw = Call(unique_id, action, payload).to_json()
                await self.send_frame(raw, message_type=2, unique_id=unique_id, action=action, sent_by=sent_by)
                try:
                    answer: Parsed = await asyncio.wait_for(future, timeout)
                except TimeoutError:
                    raise CallFailed(
                        "timeout", f"Charger {self.id} did not answer {action} within {timeout:g} s"
                    ) from None
            finally:
                self._pending.pop(unique_id, None)
                self._pending_action.pop(unique_id, None)
        if answer.message_type == 4:
            code, description, details = answer.payload
            raise CallFailed("callerror", f"Charger answered {action} with {code}: {description}", code, details)
        return answer.payload

    def close(self) -> None:
        """The socket is gone: fail every waiting command at once."""
        self.closed = True
        for future in self._pending.values():
            if not future.done():
                future.set_exception(CallFailed("disconnected", f"Charger {self.id} disconnected"))
