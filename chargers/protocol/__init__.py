"""The central system's side of OCPP 1.6-J for one connected charger.

Built on the `ocpp` library's `@on` routing, its message classes and its
official schemas, composed rather than inherited: the library's ChargePoint
owns a socket and a `call()` that would send without storing the frame, so
CentralSystem has neither; `send_call` is the only way out. What we do
differently, and why:
- frames arrive from a Channels consumer, not from a `recv()` loop, so the
  consumer calls `handle_frame` for each one;
- every frame is stored (chargers.frames) before anything is answered;
- schemas are validated by a compiled validator and errors answered with the
  OCPP-J 1.6 codes (chargers.schemas);
- handlers get the payload as the spec spells it (camelCase), sparing a key
  conversion per message, and run ORM work in one thread (`db`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call
from ocpp.routing import create_route_map, on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action, RegistrationStatus

from .. import hooks, schemas
from ..frames import FrameRecord, store_frame, store_frames
from ..models import Charger, Connector, Frame, IdTag, Transaction, parse_ocpp_time, utc_now_iso

log = logging.getLogger(__name__)

# Actions a charger sends to us; the rest of OCPP 1.6 are ours to send.
CHARGER_ACTIONS = frozenset(
    {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        "SecurityEventNotification",
        "SignedFirmwareStatusNotification",
        "LogStatusNotification",
        "SignCertificate",
    }
)
COMMAND_ACTIONS = (
    "CancelReservation",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "ClearChargingProfile",
    "DataTransfer",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDiagnostics",
    "GetLocalListVersion",
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "ReserveNow",
    "Reset",
    "SendLocalList",
    "SetChargingProfile",
    "TriggerMessage",
    "UnlockConnector",
    "UpdateFirmware",
)
# Security-extension commands the library has schemas for.
EXTENSION_COMMANDS = (
    "CertificateSigned",
    "DeleteCertificate",
    "ExtendedTriggerMessage",
    "GetInstalledCertificateIds",
    "GetLog",
    "InstallCertificate",
    "SignedUpdateFirmware",
)
KNOWN_ACTIONS = frozenset(a.value for a in Action)
# The frame logs' action filter: every action we answer or send. Fixed, because
# reading the actions off a log of 100,000 frames cost 50-270 ms per page view.
FILTER_ACTIONS = tuple(sorted({*CHARGER_ACTIONS, *COMMAND_ACTIONS, *EXTENSION_COMMANDS}))
MAX_UNIQUE_ID = 36

db = database_sync_to_async


class CallFailed(Exception):
    """A command that did not get a CALLRESULT; `kind` says why."""

    def __init__(self, kind: str, message: str, code: str = "", details: object = None) -> None:
        super().__init__(message)
        self.kind = kind  # invalid | timeout | callerror | disconnected | busy
        self.message = message
        self.code = code
        self.details = details


@dataclass
class Parsed:
    """What we could read of a received frame."""

    message_type: int | None = None
    unique_id: str = ""
    action: str = ""
    payload: object = None
    error: tuple[str, str] | None = None  # (code, description) to answer with
    answerable: bool = True  # False for results/errors: never answer those


_ID_RE = re.compile(r'^\s*\[\s*\d+\s*,\s*"([^"\\]{1,100})"')


def parse_frame(raw: str) -> Parsed:
    """Read an OCPP-J frame without trusting it; errors name the 1.6 code."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        match = _ID_RE.match(raw)
        return Parsed(
            unique_id=match.group(1) if match else "-1",
            error=(schemas.FORMATION_VIOLATION, "Frame is not valid JSON"),
        )
    if not isinstance(data, list) or not data:
        return Parsed(unique_id="-1", error=(schemas.FORMATION_VIOLATION, "Frame is not a JSON array"))
    kind = data[0]
    unique_id = data[1] if len(data) > 1 and isinstance(data[1], str) else "-1"
    if kind == 2:
        if len(data) < 4:
            return Parsed(2, unique_id, error=(schemas.PROTOCOL_ERROR, "CALL is incomplete: [2, id, action, payload]"))
        if (
            len(data) > 4
            or not isinstance(data[1], str)
            or not isinstance(data[2], str)
            or not isinstance(data[3], dict)
        ):
            return Parsed(
                2,
                unique_id,
                data[2] if isinstance(data[2], str) else "",
                error=(schemas.FORMATION_VIOLATION, "CALL must be [2, string id, string action, object payload]"),
            )
        if not data[1] or len(data[1]) > MAX_UNIQUE_ID:
            return Parsed(
                2, unique_id, data[2], error=(schemas.FORMATION_VIOLATION, "Unique id must be 1 to 36 characters")
            )
        return Parsed(2, data[1], data[2], data[3])
    if kind == 3:
        ok = len(data) == 3 and isinstance(data[1], str) and isinstance(data[2], dict)
        return Parsed(
            3,
            unique_id,
            payload=data[2] if ok else None,
            error=None if ok else (schemas.FORMATION_VIOLATION, "Malformed CALLRESULT"),
            answerable=False,
        )
    if kind == 4:
        ok = len(data) == 5 and all(isinstance(x, str) for x in data[1:4])
        return Parsed(
            4,
            unique_id,
            payload=data[2:] if ok else None,
            error=None if ok else (schemas.FORMATION_VIOLATION, "Malformed CALLERROR"),
            answerable=False,
        )
    return Parsed(None, unique_id, error=(schemas.FORMATION_VIOLATION, f"Message type {kind!r} is not 2, 3 or 4"))


def call_error(unique_id: str, code: str, description: str, details: dict | None = None) -> str:
    return json.dumps([4, unique_id, code, description[:255], details or {}], separators=(",", ":"))


def _response_json(unique_id: str, response: object) -> tuple[str, dict]:
    payload = snake_to_camel_case(remove_nones(serialize_as_dict(response)))
    return json.dumps([3, unique_id, payload], separators=(",", ":")), payload


class CentralSystem:
    """One connected charger, seen from the central system.

    Not a subclass of the library's ChargePoint: its `call()` and `start()` send
    and receive without the evidence log, so here they do not exist at all."""

    def __init__(self, charger: Charger, send: Callable[[str], Awaitable[None]]) -> None:
        self.id = charger.charge_point_id
        self.charger = charger
        # The library's routing: action -> the `@on` handler below.
        self.route_map = create_route_map(self)
        self._call_lock = asyncio.Lock()
        self._send_text = send
        self._pending: dict[str, asyncio.Future] = {}
        self._pending_action: dict[str, str] = {}
        self._seen_call_ids: set[str] = set()
        self.closed = False
        self.finding = ""

    # -- the frame pipeline ---------------------------------------------------

    async def record(self, record: FrameRecord) -> Frame:
        return await store_frame(self.charger.pk, record)

    async def send_frame(self, raw: str, **fields) -> Frame:
        """Store an outgoing frame, then send it: stored first, always."""
        frame = await self.record(FrameRecord(direction=Frame.OUT, raw=raw, **fields))
        await self._send_text(raw)
        return frame

    async def handle_frame(self, raw: str) -> None:
        """Store a received frame, then answer or route it."""
        parsed = parse_frame(raw)
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
        code = description = ""
        findings: list[str] = []
        handler = None
        if msg.action not in KNOWN_ACTIONS:
            code, description = schemas.NOT_IMPLEMENTED, f"{msg.action!r} is not an OCPP 1.6 action"
        elif msg.action not in CHARGER_ACTIONS:
            code, description = schemas.NOT_SUPPORTED, f"{msg.action} is sent by a central system, not to it"
        else:
            handler = self.route_map.get(msg.action, {}).get("_on_action")
            if handler is None:
                code, description = schemas.NOT_SUPPORTED, f"{msg.action} is not supported"
            else:
                try:
                    findings = schemas.validate(msg.action, msg.payload)
                except schemas.PayloadError as exc:
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
            self.finding = ""
            response = await handler(msg.payload)
            if self.finding:  # what the handler noticed, e.g. an unknown transaction
                incoming.note = "; ".join(filter(None, [incoming.note, self.finding]))
            raw, payload = _response_json(msg.unique_id, response)
            schemas.validate(msg.action, payload, response=True)
            answer = FrameRecord(
                direction=Frame.OUT, raw=raw, message_type=3, unique_id=msg.unique_id, action=msg.action
            )
        except Exception as exc:
            log.exception("%s: handling %s failed", self.id, msg.action)
            answer = FrameRecord(
                direction=Frame.OUT,
                raw=call_error(
                    msg.unique_id, schemas.INTERNAL_ERROR, f"Could not process {msg.action}: {type(exc).__name__}"
                ),
                message_type=4,
                unique_id=msg.unique_id,
                action=msg.action,
                error_code=schemas.INTERNAL_ERROR,
            )
        if not await self._store_and_send(incoming, answer) or answer.message_type != 3:
            return
        for hook in hooks.call_answered:
            try:
                await hook(self, msg.action, msg.payload)
            except Exception:
                log.exception("call_answered hook %r failed", hook)

    async def _store_and_send(self, incoming: FrameRecord, answer: FrameRecord) -> bool:
        """Store a CALL and its answer in one commit, then send the answer. If
        the database refuses, the charger hears InternalError, never a false
        "Accepted" for something we did not keep."""
        try:
            await store_frames(self.charger.pk, [incoming, answer])
        except Exception:
            await self._send_text(
                call_error(incoming.unique_id, schemas.INTERNAL_ERROR, "Could not record the message")
            )
            return False
        await self._send_text(answer.raw)
        return True

    # -- commands to the charger -----------------------------------------------

    async def send_call(self, action: str, payload: dict, sent_by: str = "", timeout: float | None = None) -> dict:
        """Send a CALL and return the CALLRESULT payload; raise CallFailed.

        One outstanding CALL at a time, as OCPP-J asks: later calls wait."""
        if action not in COMMAND_ACTIONS and action not in EXTENSION_COMMANDS:
            raise CallFailed("invalid", f"{action} is not a command a central system sends")
        try:
            schemas.validate(action, payload)
        except schemas.PayloadError as exc:
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

    # -- what chargers send us -------------------------------------------------

    @on(Action.boot_notification)
    async def on_boot_notification(self, payload: dict) -> call_result.BootNotification:
        await db(self.charger.record_boot)(payload)
        return call_result.BootNotification(
            current_time=utc_now_iso(),
            interval=settings.OCPP_HEARTBEAT_INTERVAL,
            status=RegistrationStatus.accepted,
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self, payload: dict) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=utc_now_iso())

    @on(Action.status_notification)
    async def on_status_notification(self, payload: dict) -> call_result.StatusNotification:
        await db(_record_status)(self.charger.pk, payload)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, payload: dict) -> call_result.Authorize:
        info = await db(id_tag_info)(self.charger.pk, payload["idTag"])
        return call_result.Authorize(id_tag_info=info)

    @on(Action.start_transaction)
    async def on_start_transaction(self, payload: dict) -> call_result.StartTransaction:
        transaction_id, info = await db(_start_transaction)(self.charger.pk, payload)
        return call_result.StartTransaction(transaction_id=transaction_id, id_tag_info=info)

    @on(Action.stop_transaction)
    async def on_stop_transaction(self, payload: dict) -> call_result.StopTransaction:
        info, self.finding = await db(_stop_transaction)(self.charger.pk, payload)
        return call_result.StopTransaction(id_tag_info=info)

    @on(Action.meter_values)
    async def on_meter_values(self, payload: dict) -> call_result.MeterValues:
        return call_result.MeterValues()

    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, payload: dict) -> call_result.FirmwareStatusNotification:
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(self, payload: dict) -> call_result.DiagnosticsStatusNotification:
        return call_result.DiagnosticsStatusNotification()

    @on(Action.data_transfer)
    async def on_data_transfer(self, payload: dict) -> call_result.DataTransfer:
        # We know no vendor extensions; 1.6 says to answer UnknownVendorId then.
        return call_result.DataTransfer(status="UnknownVendorId")

    @on(Action.security_event_notification)
    async def on_security_event_notification(self, payload: dict) -> call_result.SecurityEventNotification:
        return call_result.SecurityEventNotification()

    @on(Action.signed_firmware_status_notification)
    async def on_signed_firmware_status_notification(
        self, payload: dict
    ) -> call_result.SignedFirmwareStatusNotification:
        return call_result.SignedFirmwareStatusNotification()

    @on(Action.log_status_notification)
    async def on_log_status_notification(self, payload: dict) -> call_result.LogStatusNotification:
        return call_result.LogStatusNotification()

    @on(Action.sign_certificate)
    async def on_sign_certificate(self, payload: dict) -> call_result.SignCertificate:
        # We run no CA for charger certificates (security profile 3).
        return call_result.SignCertificate(status="Rejected")


def id_tag_info(charger_pk: int, id_tag: str) -> dict:
    """The idTagInfo for a card presented at this charger: the id-tag sources
    first (chargers.hooks), then the lab's list."""
    for source in hooks.id_tag_sources:
        info = source(charger_pk, id_tag)
        if info is not None:
            return info
    return IdTag.info_for(id_tag)


def _record_status(charger_pk: int, payload: dict) -> None:
    Connector.objects.update_or_create(
        charger_id=charger_pk,
        connector_id=payload["connectorId"],
        defaults={
            "status": payload["status"],
            "error_code": payload["errorCode"],
            "info": payload.get("info", ""),
            "vendor_id": payload.get("vendorId", ""),
            "vendor_error_code": payload.get("vendorErrorCode", ""),
            "timestamp": utc_text(payload.get("timestamp", "")),
        },
    )


def utc_text(value: str) -> str:
    """A charger's timestamp as UTC text; one without a zone is kept as
    received (the evidence log names it: no silent guess)."""
    parsed, _ = parse_ocpp_time(value)
    if parsed is None:
        return value
    return parsed.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _start_transaction(charger_pk: int, payload: dict) -> tuple[int, dict]:
    """Give a transactionId; the same start re-sent (chargers retry with a new
    unique id) gets the same one and makes no second transaction."""
    info = id_tag_info(charger_pk, payload["idTag"])
    key = {
        "charger_id": charger_pk,
        "connector_id": payload["connectorId"],
        "id_tag": payload["idTag"],
        "start_timestamp": utc_text(payload["timestamp"]),
        "meter_start": payload["meterStart"],
    }
    try:
        with transaction.atomic():
            tx, _ = Transaction.objects.get_or_create(**key, defaults={"reservation_id": payload.get("reservationId")})
    except IntegrityError:
        tx = Transaction.objects.get(**key)
    return tx.pk, info


def _stop_transaction(charger_pk: int, payload: dict) -> tuple[dict, str]:
    """Close the charger's own transaction; an unknown id changes nothing (a
    common field case) and is still answered, never with a CALLERROR. Returns
    the idTagInfo and a finding for the evidence log."""
    stopped = Transaction.objects.filter(
        pk=payload["transactionId"], charger_id=charger_pk, stopped_at__isnull=True
    ).update(
        meter_stop=payload["meterStop"],
        stop_timestamp=utc_text(payload["timestamp"]),
        stop_reason=payload.get("reason", "Local"),
        stop_id_tag=payload.get("idTag", ""),
        stopped_at=timezone.now(),
    )
    finding = (
        ""
        if stopped
        else f"transaction {payload['transactionId']} is unknown, another charger's or stopped already: nothing changed"
    )
    if "idTag" in payload:
        return id_tag_info(charger_pk, payload["idTag"]), finding
    return {"status": "Accepted"}, finding
