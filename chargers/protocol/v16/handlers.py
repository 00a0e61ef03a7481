"""What an OCPP 1.6 central system answers each CALL a charger sends: one `@on`
handler per action, as the `ocpp` library routes them.

The answers the specification leaves to the central system are asked of the
answer sources first (chargers.hooks.answer_sources), which may set, per action:
- BootNotification: "status" (Accepted, Pending or Rejected, section 4.2) and
  "interval" (the heartbeat interval, or the wait before the next boot when not
  Accepted);
- Authorize, StartTransaction, StopTransaction (with an idTag): "idTagInfo"
  (status Accepted, Blocked, Expired, Invalid or ConcurrentTx; parentIdTag;
  expiryDate).
What no source decides is ours: Accepted with OCPP_HEARTBEAT_INTERVAL, and the
idTagInfo of the lab's id-tag list (IdTag).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone
from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action, RegistrationStatus

from ...models import Connector, IdTag, Transaction
from ...timestamps import utc_iso
from ..central_system import CentralSystem, asked

# The fields of each answer an answer source may decide.
DECIDED = {
    "BootNotification": ("status", "interval"),
    "Authorize": ("idTagInfo",),
    "StartTransaction": ("idTagInfo",),
    "StopTransaction": ("idTagInfo",),
}


def decided(charger_pk: int, action: str, payload: dict) -> dict:
    """The answer sources' decision for this CALL, kept to the fields DECIDED
    allows for its action."""
    return {k: v for k, v in asked(charger_pk, action, payload).items() if k in DECIDED.get(action, ())}


def id_tag_info(charger_pk: int, action: str, payload: dict) -> dict:
    """The idTagInfo for the card of this CALL: the answer sources first, then
    the lab's list."""
    info = decided(charger_pk, action, payload).get("idTagInfo")
    return info if info is not None else IdTag.info_for(payload["idTag"])


class CentralSystem16(CentralSystem):
    """The central system of one OCPP 1.6 connection."""

    @on(Action.boot_notification)
    async def on_boot_notification(self, payload: dict) -> call_result.BootNotification:
        answer = await database_sync_to_async(self._boot)(payload)
        return call_result.BootNotification(
            current_time=utc_iso(timezone.now()),
            interval=answer.get("interval", settings.OCPP_HEARTBEAT_INTERVAL),
            status=answer.get("status", RegistrationStatus.accepted),
        )

    def _boot(self, payload: dict) -> dict:
        self.charger.record_boot(payload)
        return decided(self.charger.pk, "BootNotification", payload)

    @on(Action.heartbeat)
    async def on_heartbeat(self, payload: dict) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=utc_iso(timezone.now()))

    @on(Action.status_notification)
    async def on_status_notification(self, payload: dict) -> call_result.StatusNotification:
        await database_sync_to_async(Connector.record)(self.charger.pk, payload)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, payload: dict) -> call_result.Authorize:
        info = await database_sync_to_async(id_tag_info)(self.charger.pk, "Authorize", payload)
        return call_result.Authorize(id_tag_info=info)

    @on(Action.start_transaction)
    async def on_start_transaction(self, payload: dict) -> call_result.StartTransaction:
        transaction_id, info = await database_sync_to_async(self._start)(payload)
        return call_result.StartTransaction(transaction_id=transaction_id, id_tag_info=info)

    def _start(self, payload: dict) -> tuple[int, dict]:
        """A transactionId whatever the card's status: what to do with a
        refused card is the charger's to decide (section 4.8,
        StopTransactionOnInvalidId)."""
        info = id_tag_info(self.charger.pk, "StartTransaction", payload)
        return Transaction.start(self.charger.pk, payload).pk, info

    @on(Action.stop_transaction)
    async def on_stop_transaction(self, payload: dict) -> tuple[call_result.StopTransaction, str]:
        """An unknown transaction changes nothing (a common field case) and is
        still answered, never with a CALLERROR; the evidence log says so."""
        stopped, info = await database_sync_to_async(self._stop)(payload)
        note = (
            ""
            if stopped
            else f"transaction {payload['transactionId']} is unknown, another charger's or stopped already: "
            "nothing changed"
        )
        return call_result.StopTransaction(id_tag_info=info), note

    def _stop(self, payload: dict) -> tuple[bool, dict]:
        stopped = Transaction.stop(self.charger.pk, payload)
        if "idTag" in payload:
            return stopped, id_tag_info(self.charger.pk, "StopTransaction", payload)
        return stopped, {"status": "Accepted"}

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
