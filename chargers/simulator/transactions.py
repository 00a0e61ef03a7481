"""Transactions: who may charge (Authorize, the cache, the local list),
starting and stopping, and what a stop sends. The meter values sent meanwhile
are metering.py's."""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import UTC, datetime

from ocpp.v16 import call

from .config import ConfigStore
from .connectors import Connector
from .metering import TICK
from .profiles import Profile

# Stop reasons of a reboot: no driver unplugs before it, the cable stays in.
REBOOT_REASONS = ("HardReset", "SoftReset", "PowerLoss", "Reboot")


class Transactions:
    """Mixin of SimulatedCharger: transactions and their authorisation."""

    config: ConfigStore
    connectors: dict[int, Connector]
    profile: Profile
    online: asyncio.Event
    queue: deque
    auth_cache: dict[str, str]
    parent_of: dict[str, str]
    local_list: dict[str, str]
    local_list_version: int

    def free_connector(self, number: int | None, id_tag: str = "") -> Connector | None:
        """The connector a remote start may use: the one asked for (never 0, §5.11),
        else any; idle, or reserved for this idTag (§5.13)."""
        if number is not None and number not in self.connectors:
            return None
        candidates = [self.connectors[number]] if number is not None else list(self.connectors.values())
        for connector in candidates:
            if not connector.operative or connector.transaction_id is not None or connector.pending_tag:
                continue  # busy, or already waiting for the cable of a session begun
            if connector.status in ("Available", "Preparing") and not connector.reservation_id:
                return connector
            if connector.status in ("Reserved", "Preparing") and id_tag and connector.reservation_tag == id_tag:
                return connector
        return None

    def connector_of(self, transaction_id: int) -> Connector | None:
        for connector in self.connectors.values():
            if connector.transaction_id is not None and connector.transaction_id == transaction_id:
                return connector
        return None

    @property
    def cache_enabled(self) -> bool:
        """An Authorization Cache that is on (§3.5.1, AuthorizationCacheEnabled §9.1.2)."""
        return self.profile.auth_cache and self.config.bool("AuthorizationCacheEnabled")

    def known_locally(self, id_tag: str) -> str | None:
        """The card's status in the Local Authorization List (when enabled) or the cache (when on)."""
        if self.config.bool("LocalAuthListEnabled") and id_tag in self.local_list:
            return self.local_list[id_tag]
        if self.cache_enabled and id_tag in self.auth_cache:
            return self.auth_cache[id_tag]
        return None

    def remember(self, id_tag: str, info: dict | None) -> None:
        """Every idTagInfo the central system gives updates the cache (§3.5.1), and
        says which group (parentIdTag) the card belongs to (§3.10)."""
        if self.cache_enabled and info:
            self.auth_cache[id_tag] = info.get("status", "Invalid")
        if info and info.get("parent_id_tag"):
            self.parent_of[id_tag] = info["parent_id_tag"]

    async def authorize(self, id_tag: str, group: bool = False) -> str:
        """Offline: the list, the cache, or unknown cards allowed (§3.5.2, §9.1.1, §9.1.12).
        Online: Authorize, unless LocalPreAuthorize finds the card accepted locally (§9.1.13)
        and, when its group matters (`group`), knows that too (§5.13)."""
        if not self.online.is_set():
            if self.config.bool("LocalAuthorizeOffline"):
                return self.known_locally(id_tag) or (
                    "Accepted" if self.config.bool("AllowOfflineTxForUnknownId") else "Invalid"
                )
            return "Invalid"
        known_group = not group or id_tag in self.parent_of
        if self.config.bool("LocalPreAuthorize") and self.known_locally(id_tag) == "Accepted" and known_group:
            self.note(f"card {id_tag} accepted locally (LocalPreAuthorize)")
            return "Accepted"
        answer = await self.send(call.Authorize(id_tag=id_tag))
        info = (answer.id_tag_info or {}) if answer else {}
        self.remember(id_tag, info)
        return info.get("status", "Invalid")

    def list_version(self) -> int:
        """GetLocalListVersion's answer: -1 while the list is disabled, 0 for an empty
        list (whatever version the last update carried), else its version (§5.10)."""
        if not self.config.bool("LocalAuthListEnabled"):
            return -1
        return self.local_list_version if self.local_list else 0

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
                if info.get("parent_id_tag"):
                    self.parent_of[entry["id_tag"]] = info["parent_id_tag"]
        self.local_list_version = version
        return "Accepted"

    async def swipe(self, id_tag: str, number: int = 1) -> str:
        """A card at the reader: stops its own transaction, or authorizes a start."""
        connector = self.connectors[number]
        if connector.transaction_id is not None:
            if connector.id_tag == id_tag:
                await self.stop_transaction(connector, "Local", id_tag)
                return "Stopped"
            return await self._stop_by_group(connector, id_tag)
        if not connector.operative or connector.status in ("Faulted", "Unavailable"):
            self.note(f"card {id_tag} on connector {number}: {connector.status}, no transaction")
            return connector.status
        other = connector.reservation_id is not None and id_tag != connector.reservation_tag
        if other and not connector.reservation_parent:
            self.note(f"card {id_tag} on connector {number}: reserved for another card")
            return "Reserved"
        status = await self.authorize(id_tag, group=other)
        if other and (status != "Accepted" or self.parent_of.get(id_tag) != connector.reservation_parent):
            # A reservation with a parentIdTag takes any card of that group (§5.13).
            self.note(f"card {id_tag} on connector {number}: reserved for group {connector.reservation_parent}")
            return "Reserved"
        if status != "Accepted":
            self.note(f"card {id_tag} refused: {status}")
            if not self.profile.start_when_refused:
                return status
        if connector.plugged:
            if connector.status == "Reserved":
                await self.set_status(connector, "Preparing")
            await self.start_transaction(connector, id_tag)
        else:
            connector.pending_tag = id_tag
            if connector.status in ("Available", "Reserved"):
                await self.set_status(connector, "Preparing")
            self.await_cable(connector)
        return status

    async def _stop_by_group(self, connector: Connector, id_tag: str) -> str:
        """Another card at a busy connector: when the transaction's card belongs to a
        group, a card of the same group (its parentIdTag, learnt from Authorize)
        stops it (§3.10, §4.10); otherwise nothing is asked and nothing stops."""
        group = self.parent_of.get(connector.id_tag)
        if not group:
            return "Busy"
        if await self.authorize(id_tag) == "Accepted" and self.parent_of.get(id_tag) == group:
            await self.stop_transaction(connector, "Local", id_tag)
            return "Stopped"
        self.note(f"card {id_tag} is not of group {group}: the transaction goes on")
        return "Busy"

    async def remote_start(self, connector: Connector, id_tag: str, charging_profile: dict | None = None) -> None:
        """An accepted RemoteStartTransaction: Authorize first when
        AuthorizeRemoteTxRequests says so (§5.11), then start under the TxProfile that
        came with it, at once with the cable in, else once it is plugged in within
        ConnectionTimeOut (§9.1.6; OCTT TC_011). charging-first presumes the EV there."""
        if self.config.bool("AuthorizeRemoteTxRequests") and await self.authorize(id_tag) != "Accepted":
            self.note(f"remote start for {id_tag} not authorized")
            return
        if self.profile.charging_first:
            connector.plugged = True
        if connector.status != "Preparing" and not self.profile.charging_first:
            await self.set_status(connector, "Preparing")
        if not connector.plugged:
            connector.pending_tag, connector.pending_profile = id_tag, charging_profile
            self.await_cable(connector)
            return
        await self.start_transaction(connector, id_tag)
        if charging_profile and connector.transaction_id is not None:
            self.install_for_transaction(connector, charging_profile)

    async def start_transaction(self, connector: Connector, id_tag: str) -> None:
        profile, connector.pending_profile = connector.pending_profile, None
        connector.id_tag, connector.pending_tag = id_tag, ""
        connector.tx_serial += 1
        connector.started_at = datetime.now(UTC)
        connector.transaction_data = []
        connector.periodic = 0
        connector.meter_start = connector.meter.register()
        connector.meter.set_current(self.current_limit(connector))
        payload = call.StartTransaction(
            connector_id=connector.number,
            id_tag=id_tag,
            meter_start=connector.meter_start,
            timestamp=self.stamp(),
            reservation_id=connector.reservation_id,
        )
        self.end_reservation(connector)
        if self.profile.charging_first:
            await self.set_status(connector, "Charging")
        refused = False
        if self.online.is_set() and not self.queue:
            answer = await self.send(payload)
            if answer is None:
                return
            self.remember(id_tag, answer.id_tag_info)
            refused = (answer.id_tag_info or {}).get("status") != "Accepted"
            connector.transaction_id = answer.transaction_id
        else:
            connector.transaction_id = self.next_provisional
            self.start_provisional[id(payload)] = self.next_provisional
            self.next_provisional -= 1
            self.queue.append(payload)
        if not self.profile.charging_first:
            await self.set_status(connector, "Charging")
        begin = self.meter_sample(connector, "Transaction.Begin")
        self.keep_for_stop(connector, "StopTxnSampledData", "Transaction.Begin")
        await self.send_meter_values(connector, begin)
        connector.tasks.append(self.spawn(self.sample_transaction(connector, connector.tx_serial)))
        if profile and connector.transaction_id is not None:
            self.install_for_transaction(connector, profile)  # a remote start's TxProfile, the cable now in
        if refused:
            self.refused_start(connector, id_tag)

    def refused_start(self, connector: Connector, id_tag: str) -> None:
        """StartTransaction.conf refused the card: with StopTransactionOnInvalidId
        the transaction stops at once, reason DeAuthorized (§9.1.24); without it,
        it goes on with at most MaxEnergyOnInvalidId more, then SuspendedEVSE (§9.1.14)."""
        self.note(f"StartTransaction of {id_tag} not accepted")
        if self.profile.start_when_refused:
            return
        if self.config.bool("StopTransactionOnInvalidId"):
            self.spawn(self.stop_transaction(connector, "DeAuthorized"))
        else:
            connector.tasks.append(self.spawn(self._suspend_invalid(connector, connector.tx_serial)))

    async def _suspend_invalid(self, connector: Connector, serial: int) -> None:
        allowance = self.config.int("MaxEnergyOnInvalidId", 0)
        while connector.tx_serial == serial and connector.meter.register() - connector.meter_start < allowance:  # noqa: ASYNC110
            await asyncio.sleep(TICK)  # the meter is polled, as a charger does
        if connector.tx_serial == serial:
            connector.meter.set_current(0)
            await self.set_status(connector, "SuspendedEVSE")

    async def stop_transaction(
        self, connector: Connector, reason: str, id_tag: str | None = None, *, after_boot: bool = False
    ) -> None:
        """End the transaction: StopTransaction with its transactionData, and the
        statuses around it. `after_boot` (Reset Hard): the StopTransaction waits
        in the queue for the next accepted boot (§5.14) and the boot reports the status."""
        if connector.transaction_id is None:
            return
        transaction_id = connector.transaction_id
        connector.transaction_id = None
        connector.tx_serial += 1
        for task in connector.tasks:
            task.cancel()
        connector.tasks.clear()
        self.drop_transaction_profiles(connector)
        self.keep_for_stop(connector, "StopTxnSampledData", "Transaction.End")
        connector.meter.set_current(0)
        payload = call.StopTransaction(
            meter_stop=connector.meter.register(),
            timestamp=self.stamp(),
            transaction_id=transaction_id,
            reason=None if reason == "Local" and not self.profile.local_stop_reason else reason,
            id_tag=id_tag,
            transaction_data=connector.transaction_data or None,
        )
        connector.transaction_data = []
        rebooting = reason in REBOOT_REASONS
        unplugged = reason == "EVDisconnected" or not connector.plugged
        finishing = self.profile.finishing and not unplugged
        if after_boot:
            self.queue.append(payload)
            connector.status = "Finishing" if finishing else "Available"
            connector.plugged = finishing
            return
        if finishing and self.profile.finishing_first:
            await self.set_status(connector, "Finishing")
        await self.send(payload, queue_offline=True)
        if unplugged:
            await self.set_status(connector, "Available")
        elif finishing and not self.profile.finishing_first:
            await self.set_status(connector, "Preparing" if self.profile.bad_transition else "Finishing")
        if rebooting:
            return  # the boot reports the connector; the driver unplugs after it
        if not unplugged:
            self.spawn(self._auto_unplug(connector, connector.status_serial))
        if connector.scheduled_inoperative is not None:
            self.spawn(self.apply_availability(connector.number))

    async def _auto_unplug(self, connector: Connector, serial: int | None = None) -> None:
        """The driver leaves after a stop; not when the connector moved on meanwhile (unplugged
        by hand, a new driver's card): its Preparing is the new driver's."""
        await asyncio.sleep(self.options.auto_unplug)
        if serial is not None and connector.status_serial != serial:
            return
        if connector.transaction_id is None and connector.status in ("Finishing", "Charging", "Preparing"):
            connector.plugged = False
            await self.set_status(connector, "Available")
