"""A minimal charger for testing the central system: the ocpp library's client
side on a real WebSocket, answering each of the 19 OCPP 1.6 commands."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TestCharger(ChargePoint):
    received: list[tuple[str, dict]]

    def _note(self, action: str, **kwargs) -> None:
        self.received.append((action, kwargs))

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, **kw):
        self._note("CancelReservation", **kw)
        return call_result.CancelReservation(status="Accepted")

    @on(Action.change_availability)
    def on_change_availability(self, **kw):
        self._note("ChangeAvailability", **kw)
        return call_result.ChangeAvailability(status="Accepted")

    @on(Action.change_configuration)
    def on_change_configuration(self, **kw):
        self._note("ChangeConfiguration", **kw)
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.clear_cache)
    def on_clear_cache(self, **kw):
        self._note("ClearCache", **kw)
        return call_result.ClearCache(status="Accepted")

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, **kw):
        self._note("ClearChargingProfile", **kw)
        return call_result.ClearChargingProfile(status="Accepted")

    @on(Action.data_transfer)
    def on_data_transfer(self, **kw):
        self._note("DataTransfer", **kw)
        return call_result.DataTransfer(status="Accepted", data="pong")

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, **kw):
        self._note("GetCompositeSchedule", **kw)
        return call_result.GetCompositeSchedule(status="Rejected")

    @on(Action.get_configuration)
    def on_get_configuration(self, **kw):
        self._note("GetConfiguration", **kw)
        return call_result.GetConfiguration(
            configuration_key=[
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                # It answers ClearCache Accepted: it has an authorization cache (§9.1.2).
                {"key": "AuthorizationCacheEnabled", "readonly": False, "value": "true"},
            ]
        )

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, **kw):
        self._note("GetDiagnostics", **kw)
        return call_result.GetDiagnostics(file_name="diag.log")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kw):
        self._note("GetLocalListVersion", **kw)
        return call_result.GetLocalListVersion(list_version=3)

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(self, **kw):
        self._note("RemoteStartTransaction", **kw)
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, **kw):
        self._note("RemoteStopTransaction", **kw)
        return call_result.RemoteStopTransaction(status="Accepted")

    @on(Action.reserve_now)
    def on_reserve_now(self, **kw):
        self._note("ReserveNow", **kw)
        return call_result.ReserveNow(status="Accepted")

    @on(Action.reset)
    def on_reset(self, **kw):
        self._note("Reset", **kw)
        return call_result.Reset(status="Accepted")

    @on(Action.send_local_list)
    def on_send_local_list(self, **kw):
        self._note("SendLocalList", **kw)
        return call_result.SendLocalList(status="Accepted")

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, **kw):
        self._note("SetChargingProfile", **kw)
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.trigger_message)
    def on_trigger_message(self, **kw):
        self._note("TriggerMessage", **kw)
        return call_result.TriggerMessage(status="Accepted")

    @on(Action.unlock_connector)
    def on_unlock_connector(self, **kw):
        self._note("UnlockConnector", **kw)
        return call_result.UnlockConnector(status="Unlocked")

    @on(Action.update_firmware)
    def on_update_firmware(self, **kw):
        self._note("UpdateFirmware", **kw)
        return call_result.UpdateFirmware()


@contextlib.asynccontextmanager
async def connected(ws_url: str, cp_id: str, charger_class: type[TestCharger] | None = None, **connect_kwargs):
    """A TestCharger (or a subclass) on a live socket, its receive loop running."""
    async with websockets.connect(ws_url + cp_id, subprotocols=["ocpp1.6"], **connect_kwargs) as ws:
        charger = (charger_class or TestCharger)(cp_id, ws, response_timeout=10)
        charger.received = []
        task = asyncio.create_task(charger.start())
        try:
            yield charger
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def boot(charger: TestCharger, **fields):
    payload = {
        "charge_point_vendor": "Acme",
        "charge_point_model": "Volt-22",
        "charge_point_serial_number": "SN-0001",
        "firmware_version": "1.2.3",
        "iccid": "8931000000000000001",
        "imsi": "204040000000001",
        "meter_type": "ABB B23",
        "meter_serial_number": "M-77",
        **fields,
    }
    return await charger.call(call.BootNotification(**payload))
