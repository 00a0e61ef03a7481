"""What the simulated charger answers to the central system's commands.

`Station` is the ocpp library's ChargePoint subclass on the simulator's socket.
Each @on handler answers at once; side effects run from @after handlers or
tasks spawned on the charger, never inside an @on handler. A profile without
some feature profiles may have their handlers removed, so that the library
answers CALLERROR NotImplemented as a charger without them does.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action

if TYPE_CHECKING:
    from .charger import SimulatedCharger


class Station(ChargePoint):
    """The charger's answers to the central system."""

    sim: SimulatedCharger
    reset_accepted: bool = True
    trigger_accepted: bool = True
    security_change: str = ""  # the answer to a ChangeConfiguration of AuthorizationKey or SecurityProfile

    @classmethod
    def of(cls, sim: SimulatedCharger, connection) -> Station:
        """The station for one connection of `sim`, with the commands its profile lacks removed."""
        station = cls(sim.id, connection, response_timeout=30)
        station.sim = sim
        if sim.profile.not_implemented:
            for action in list(station.route_map):
                if not sim.profile.supports(getattr(action, "value", action)):
                    del station.route_map[action]
        return station

    async def _slow(self) -> None:
        delay = self.sim.answer_delay
        if delay:
            await asyncio.sleep(delay)

    @on(Action.get_configuration)
    async def on_get_configuration(self, key: list | None = None, **_):
        await self._slow()
        if not key and self.sim.profile.empty_configuration:
            return call_result.GetConfiguration(configuration_key=[])
        known, unknown = self.sim.config.get(key)
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    async def on_change_configuration(self, key: str, value: str, **_):
        await self._slow()
        if key in ("AuthorizationKey", "SecurityProfile") and self.sim.options.password:
            self.security_change = self.sim.change_security(key, value)
            return call_result.ChangeConfiguration(status=self.security_change)
        return call_result.ChangeConfiguration(status=self.sim.config.change(key, value))

    @after(Action.change_configuration)
    async def after_change_configuration(self, key: str, value: str, **_):
        if key == "AuthorizationKey" and self.sim.options.password and self.security_change == "Accepted":
            self.sim.spawn(self.sim.rekey(value))
            return
        if key == "SecurityProfile" and self.sim.options.password and self.security_change == "Accepted":
            self.sim.spawn(self.sim.secure(int(value)))
            return
        self.sim.config_changed(key)

    @on(Action.change_availability)
    async def on_change_availability(self, connector_id: int, type: str, **_):
        await self._slow()
        return call_result.ChangeAvailability(status=self.sim.change_availability(connector_id, type == "Operative"))

    @after(Action.change_availability)
    async def after_change_availability(self, connector_id: int, type: str, **_):
        self.sim.spawn(self.sim.apply_availability(connector_id))

    @on(Action.remote_start_transaction)
    async def on_remote_start_transaction(
        self, id_tag: str, connector_id: int | None = None, charging_profile: dict | None = None, **_
    ):
        await self._slow()
        connector = self.sim.free_connector(connector_id, id_tag)
        # §5.11: a profile given with a remote start is a TxProfile, or the start is refused.
        usable = charging_profile is None or (
            self.sim.smart_charging_on and charging_profile.get("charging_profile_purpose") == "TxProfile"
        )
        return call_result.RemoteStartTransaction(status="Accepted" if connector and usable else "Rejected")

    @after(Action.remote_start_transaction)
    async def after_remote_start_transaction(
        self, id_tag: str, connector_id: int | None = None, charging_profile: dict | None = None, **_
    ):
        connector = self.sim.free_connector(connector_id, id_tag)
        usable = charging_profile is None or (
            self.sim.smart_charging_on and charging_profile.get("charging_profile_purpose") == "TxProfile"
        )
        if connector and usable:
            self.sim.spawn(self.sim.remote_start(connector, id_tag, charging_profile))

    @on(Action.remote_stop_transaction)
    async def on_remote_stop_transaction(self, transaction_id: int, **_):
        await self._slow()
        found = self.sim.connector_of(transaction_id)
        return call_result.RemoteStopTransaction(status="Accepted" if found else "Rejected")

    @after(Action.remote_stop_transaction)
    async def after_remote_stop_transaction(self, transaction_id: int, **_):
        connector = self.sim.connector_of(transaction_id)
        if connector and not self.sim.profile.honour_remote_stop:
            self.sim.note(f"RemoteStopTransaction {transaction_id} accepted and ignored")
        elif connector:
            self.sim.spawn(self.sim.stop_transaction(connector, "Remote"))

    @on(Action.reset)
    async def on_reset(self, type: str, **_):
        await self._slow()
        self.sim.resets += 1
        self.reset_accepted = not (self.sim.profile.reject_first_reset and self.sim.resets == 1)
        return call_result.Reset(status="Accepted" if self.reset_accepted else "Rejected")

    @after(Action.reset)
    async def after_reset(self, type: str, **_):
        if not self.reset_accepted:
            return
        if not self.sim.profile.reboot_on_reset:
            self.sim.note(f"{type} Reset accepted and ignored")
            return
        self.sim.spawn(self.sim.reboot(f"{type}Reset"))

    @on(Action.unlock_connector)
    async def on_unlock_connector(self, connector_id: int, **_):
        await self._slow()
        if connector_id not in self.sim.connectors:
            return call_result.UnlockConnector(status="NotSupported")
        return call_result.UnlockConnector(status="Unlocked")

    @after(Action.unlock_connector)
    async def after_unlock_connector(self, connector_id: int, **_):
        connector = self.sim.connectors.get(connector_id)
        if connector and connector.transaction_id is not None:
            self.sim.spawn(self.sim.stop_transaction(connector, "UnlockCommand"))

    @on(Action.clear_cache)
    async def on_clear_cache(self, **_):
        await self._slow()
        if not self.sim.profile.auth_cache:
            return call_result.ClearCache(status="Rejected")  # §6.12: no cache, nothing executed
        self.sim.auth_cache.clear()
        return call_result.ClearCache(status="Accepted")

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, message_id: str | None = None, data: str | None = None, **_):
        await self._slow()
        if vendor_id != "OCPPCertify":
            return call_result.DataTransfer(status="UnknownVendorId")
        return call_result.DataTransfer(status="Accepted", data=data)

    @on(Action.get_local_list_version)
    async def on_get_local_list_version(self, **_):
        await self._slow()
        if not self.sim.profile.supports("GetLocalListVersion"):
            return call_result.GetLocalListVersion(list_version=-1)  # §5.10: -1 for no local list
        return call_result.GetLocalListVersion(list_version=self.sim.list_version())

    @on(Action.send_local_list)
    async def on_send_local_list(self, list_version: int, update_type: str, local_authorization_list=None, **_):
        await self._slow()
        return call_result.SendLocalList(
            status=self.sim.send_local_list(list_version, update_type, local_authorization_list or [])
        )

    @on(Action.reserve_now)
    async def on_reserve_now(
        self, connector_id: int, expiry_date: str, id_tag: str, reservation_id: int, parent_id_tag: str = "", **_
    ):
        await self._slow()
        status = self.sim.reserve(connector_id, reservation_id, id_tag, expiry_date, parent_id_tag)
        return call_result.ReserveNow(status=status)

    @after(Action.reserve_now)
    async def after_reserve_now(self, connector_id: int, reservation_id: int, **_):
        connector = self.sim.connectors.get(connector_id)
        if connector and connector.reservation_id == reservation_id and connector.status != "Reserved":
            self.sim.spawn(self.sim.set_status(connector, "Reserved"))

    @on(Action.cancel_reservation)
    async def on_cancel_reservation(self, reservation_id: int, **_):
        await self._slow()
        for connector in self.sim.connectors.values():
            if connector.reservation_id == reservation_id:
                self.sim.end_reservation(connector)
                if connector.status == "Reserved":
                    self.sim.spawn(self.sim.set_status(connector, "Available"))
                return call_result.CancelReservation(status="Accepted")
        return call_result.CancelReservation(status="Rejected")

    @on(Action.set_charging_profile)
    async def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict, **_):
        await self._slow()
        return call_result.SetChargingProfile(status=self.sim.set_profile(connector_id, cs_charging_profiles))

    @on(Action.clear_charging_profile)
    async def on_clear_charging_profile(self, **kwargs):
        await self._slow()
        return call_result.ClearChargingProfile(status=self.sim.clear_profiles(**kwargs))

    @on(Action.get_composite_schedule)
    async def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_
    ):
        await self._slow()
        schedule = self.sim.composite_schedule(connector_id, duration, charging_rate_unit)
        if schedule is None:
            return call_result.GetCompositeSchedule(status="Rejected")
        return call_result.GetCompositeSchedule(
            status="Accepted", connector_id=connector_id, schedule_start=self.sim.stamp(), charging_schedule=schedule
        )

    @on(Action.trigger_message)
    async def on_trigger_message(self, requested_message: str, connector_id: int | None = None, **_):
        await self._slow()
        unknown = connector_id is not None and connector_id not in self.sim.connectors and connector_id != 0
        # reject-boot-trigger: no second boot once one was accepted (errata v4.0 3.40)
        refused = requested_message == "BootNotification" and self.sim.profile.reject_boot_trigger and self.sim.boots
        self.trigger_accepted = not (unknown or refused)
        return call_result.TriggerMessage(status="Accepted" if self.trigger_accepted else "Rejected")

    @after(Action.trigger_message)
    async def after_trigger_message(self, requested_message: str, connector_id: int | None = None, **_):
        if self.trigger_accepted:
            self.sim.spawn(self.sim.triggered(requested_message, connector_id))

    @on(Action.update_firmware)
    async def on_update_firmware(self, location: str, retrieve_date: str, **_):
        await self._slow()
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    async def after_update_firmware(self, location: str, retrieve_date: str, **_):
        self.sim.spawn(self.sim.update_firmware(location, retrieve_date))

    @on(Action.get_diagnostics)
    async def on_get_diagnostics(self, location: str, start_time: str | None = None, stop_time: str | None = None, **_):
        await self._slow()
        self.sim.diagnostics_name = f"diagnostics-{self.sim.id}-{datetime.now(UTC):%Y%m%d%H%M%S}.log"
        return call_result.GetDiagnostics(file_name=self.sim.diagnostics_name)

    @after(Action.get_diagnostics)
    async def after_get_diagnostics(
        self, location: str, start_time: str | None = None, stop_time: str | None = None, **_
    ):
        self.sim.spawn(self.sim.upload_diagnostics(location, start_time, stop_time))
