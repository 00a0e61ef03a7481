"""Transactions and metering: who may charge (Authorize, the cache, the local
list), starting and stopping, and the meter values sent meanwhile."""

from __future__ import annotations

import asyncio

from ocpp.v16 import call

from .config import ConfigStore
from .connectors import Connector
from .meter import now_iso
from .profiles import Profile


class Transactions:
    """Mixin of SimulatedCharger: transactions, their authorisation and their meter values."""

    config: ConfigStore
    connectors: dict[int, Connector]
    profile: Profile
    online: asyncio.Event
    auth_cache: dict[str, str]
    local_list: dict[str, str]
    local_list_version: int

    def free_connector(self, number: int | None) -> Connector | None:
        candidates = [self.connectors[number]] if number in self.connectors else list(self.connectors.values())
        for connector in candidates:
            if (
                connector.operative
                and connector.transaction_id is None
                and connector.status in ("Available", "Preparing")
            ):
                return connector
        return None

    def connector_of(self, transaction_id: int) -> Connector | None:
        for connector in self.connectors.values():
            if connector.transaction_id is not None and connector.transaction_id == transaction_id:
                return connector
        return None

    async def authorize(self, id_tag: str) -> str:
        if not self.online.is_set():
            if self.config.bool("LocalAuthorizeOffline"):
                return (
                    self.local_list.get(id_tag)
                    or (self.auth_cache.get(id_tag) if self.profile.auth_cache else None)
                    or ("Accepted" if self.config.bool("AllowOfflineTxForUnknownId") else "Invalid")
                )
            return "Invalid"
        answer = await self.send(call.Authorize(id_tag=id_tag))
        status = (answer.id_tag_info or {}).get("status", "Invalid") if answer else "Invalid"
        if self.profile.auth_cache:
            self.auth_cache[id_tag] = status
        return status

    def send_local_list(self, version: int, update_type: str, entries: list) -> str:
        if not self.config.bool("LocalAuthListEnabled"):
            return "NotSupported"
        if update_type == "Differential" and version <= self.local_list_version:
            return "VersionMismatch"
        if update_type == "Full":
            self.local_list = {}
        for entry in entries:
            info = entry.get("id_tag_info")
            if info is None:
                self.local_list.pop(entry["id_tag"], None)
            else:
                self.local_list[entry["id_tag"]] = info.get("status", "Accepted")
        self.local_list_version = version
        return "Accepted"

    async def swipe(self, id_tag: str, number: int = 1) -> str:
        """A card at the reader: stops its own transaction, or authorizes a start."""
        connector = self.connectors[number]
        if connector.transaction_id is not None:
            if connector.id_tag == id_tag:
                await self.stop_transaction(connector, "Local", id_tag)
                return "Stopped"
            return "Busy"
        status = await self.authorize(id_tag)
        if status != "Accepted":
            self.note(f"card {id_tag} refused: {status}")
            if not self.profile.start_when_refused:
                return status
        if connector.plugged:
            await self.start_transaction(connector, id_tag)
        else:
            connector.pending_tag = id_tag
            if connector.status == "Available":
                await self.set_status(connector, "Preparing")
        return status

    async def remote_start(self, connector: Connector, id_tag: str) -> None:
        connector.plugged = True  # the EV is there: a remote start presumes it
        if connector.status != "Preparing" and not self.profile.charging_first:
            await self.set_status(connector, "Preparing")
        if self.config.bool("AuthorizeRemoteTxRequests") and await self.authorize(id_tag) != "Accepted":
            return
        await self.start_transaction(connector, id_tag)

    async def start_transaction(self, connector: Connector, id_tag: str) -> None:
        connector.id_tag, connector.pending_tag = id_tag, ""
        connector.meter_start = connector.meter.register()
        connector.meter.set_current(self.current_limit(connector))
        payload = call.StartTransaction(
            connector_id=connector.number,
            id_tag=id_tag,
            meter_start=connector.meter_start,
            timestamp=now_iso(),
            reservation_id=connector.reservation_id,
        )
        connector.reservation_id = None
        if self.profile.charging_first:
            await self.set_status(connector, "Charging")
        refused = False
        if self.online.is_set() and not self.queue:
            answer = await self.send(payload)
            if answer is None:
                return
            refused = (answer.id_tag_info or {}).get("status") != "Accepted"
            connector.transaction_id = answer.transaction_id
        else:
            connector.transaction_id = self.next_provisional
            self.start_provisional[id(payload)] = self.next_provisional
            self.next_provisional -= 1
            self.queue.append(payload)
        if not self.profile.charging_first:
            await self.set_status(connector, "Charging")
        connector.begin_sample = self.meter_sample(connector, "Transaction.Begin")
        await self.send(
            call.MeterValues(
                connector_id=connector.number,
                transaction_id=connector.transaction_id,
                meter_value=[connector.begin_sample],
            ),
            queue_offline=True,
        )
        connector.tasks.append(self.spawn(self._sample(connector, connector.transaction_id)))
        if refused:
            self.refused_start(connector, id_tag)

    def refused_start(self, connector: Connector, id_tag: str) -> None:
        """StartTransaction.conf refused the card: with StopTransactionOnInvalidId
        the transaction stops at once, reason DeAuthorized (§9.1.24)."""
        self.note(f"StartTransaction of {id_tag} not accepted")
        if self.config.bool("StopTransactionOnInvalidId") and not self.profile.start_when_refused:
            self.spawn(self.stop_transaction(connector, "DeAuthorized"))

    def measurands(self) -> list[str]:
        return self.config.list("MeterValuesSampledData") or ["Energy.Active.Import.Register"]

    def meter_sample(self, connector: Connector, context: str) -> dict:
        """One meterValue of the configured measurands, in the profile's units."""
        return connector.meter.sample(
            self.measurands(), context, voltage=self.profile.voltage, kw=self.profile.kw_units
        )

    async def _sample(self, connector: Connector, transaction_id: int) -> None:
        while connector.transaction_id == transaction_id and not self.stopping:
            await asyncio.sleep(max(1, self.config.int("MeterValueSampleInterval", 60)))
            if connector.transaction_id != transaction_id:
                return
            sample = self.meter_sample(connector, "Sample.Periodic")
            await self.send(
                call.MeterValues(
                    connector_id=connector.number, transaction_id=connector.transaction_id, meter_value=[sample]
                ),
                queue_offline=True,
            )

    async def stop_transaction(self, connector: Connector, reason: str, id_tag: str | None = None) -> None:
        if connector.transaction_id is None:
            return
        transaction_id = connector.transaction_id
        connector.transaction_id = None
        for task in connector.tasks:
            task.cancel()
        connector.tasks.clear()
        end = self.meter_sample(connector, "Transaction.End")
        connector.meter.set_current(0)
        data = [d for d in (connector.begin_sample, end) if d]
        payload = call.StopTransaction(
            meter_stop=connector.meter.register(),
            timestamp=now_iso(),
            transaction_id=transaction_id,
            reason=None if reason == "Local" and not self.profile.local_stop_reason else reason,
            id_tag=id_tag,
            transaction_data=data,
        )
        rebooting = reason in ("HardReset", "SoftReset", "PowerLoss", "Reboot")
        finishing = not rebooting and reason != "EVDisconnected" and self.profile.finishing
        if finishing and self.profile.finishing_first:
            await self.set_status(connector, "Finishing")
        await self.send(payload, queue_offline=True)
        if rebooting:
            return
        if reason == "EVDisconnected":
            await self.set_status(connector, "Available")
        else:
            if finishing and not self.profile.finishing_first:
                await self.set_status(connector, "Finishing")
            self.spawn(self._auto_unplug(connector))
        if connector.scheduled_inoperative is not None:
            self.spawn(self.apply_availability(connector.number))

    async def _auto_unplug(self, connector: Connector) -> None:
        await asyncio.sleep(self.options.auto_unplug)
        if connector.transaction_id is None and connector.status in ("Finishing", "Charging", "Preparing"):
            connector.plugged = False
            await self.set_status(connector, "Available")
