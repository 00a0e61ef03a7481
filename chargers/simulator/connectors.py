"""The station's state: its connectors (and connector 0, the station itself),
their statuses, availability, faults, reservations and the cable."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from ocpp.v16 import call

from .config import ConfigStore
from .meter import Meter, now_iso
from .profiles import Profile


@dataclass
class Connector:
    number: int
    status: str = "Available"
    error_code: str = "NoError"
    plugged: bool = False
    operative: bool = True
    scheduled_inoperative: bool | None = None  # change of availability after the transaction
    transaction_id: int | None = None  # negative while offline and unconfirmed
    id_tag: str = ""
    meter_start: int = 0
    begin_sample: dict | None = None
    pending_tag: str = ""
    reservation_id: int | None = None
    fault_previous: str = ""
    meter: Meter = field(default_factory=Meter)
    tasks: list = field(default_factory=list)


class Connectors:
    """Mixin of SimulatedCharger: what the connectors are doing, and the
    physical events (cable, faults) that change it."""

    config: ConfigStore
    profile: Profile
    connectors: dict[int, Connector]
    station_status: Connector
    quiet_until: float

    async def set_status(self, connector: Connector, status: str, error_code: str = "NoError", **extra) -> None:
        """Report a status; offline it waits in the queue unless the profile drops it."""
        connector.status, connector.error_code = status, error_code
        await self.send(
            call.StatusNotification(
                connector_id=connector.number, error_code=error_code, status=status, timestamp=now_iso(), **extra
            ),
            queue_offline=self.profile.offline_statuses,
        )

    async def _status_all(self) -> None:
        """Every connector's status, as after a boot. Not within the quiet period
        after an ignored TriggerMessage (trigger-ignored), so no status of its own
        can pass for the one the trigger asked for; statuses an event causes still go."""
        for target in (self.station_status, *self.connectors.values()):
            if time.monotonic() < self.quiet_until:
                self.note(f"status of connector {target.number} not reported: trigger ignored")
                continue
            await self.set_status(target, target.status, target.error_code)

    def change_availability(self, number: int, operative: bool) -> str:
        targets = list(self.connectors.values()) if number == 0 else [self.connectors.get(number)]
        if None in targets:
            return "Rejected"
        busy = False
        for connector in targets:
            if connector.transaction_id is not None and not operative:
                connector.scheduled_inoperative = True
                busy = True
            else:
                connector.operative = operative
                connector.scheduled_inoperative = None
        return "Scheduled" if busy else "Accepted"

    async def apply_availability(self, number: int) -> None:
        targets = list(self.connectors.values()) if number == 0 else [self.connectors[number]]
        if number == 0:
            station_operative = all(c.operative for c in self.connectors.values())
            await self.set_status(self.station_status, "Available" if station_operative else "Unavailable")
        for connector in targets:
            if connector.scheduled_inoperative and connector.transaction_id is None:
                connector.operative, connector.scheduled_inoperative = False, None
            if connector.transaction_id is not None:
                continue
            wanted = "Unavailable" if not connector.operative else ("Preparing" if connector.plugged else "Available")
            await self.set_status(connector, wanted)

    def reserve(self, number: int, reservation_id: int, id_tag: str) -> str:
        connector = self.connectors.get(number)
        if connector is None:
            return "Rejected"
        if connector.status == "Faulted":
            return "Faulted"
        if not connector.operative or connector.status == "Unavailable":
            return "Unavailable"
        if connector.status != "Available":
            return "Occupied"
        connector.reservation_id = reservation_id
        connector.pending_tag = id_tag
        return "Accepted"

    async def plug(self, number: int = 1) -> None:
        connector = self.connectors[number]
        connector.plugged = True
        if connector.transaction_id is None and connector.operative and connector.status in ("Available", "Reserved"):
            await self.set_status(connector, "Preparing")
            if connector.pending_tag:
                await self.start_transaction(connector, connector.pending_tag)
            else:
                self.spawn(self._connection_timeout(connector))

    async def _connection_timeout(self, connector: Connector) -> None:
        """Plugged but no transaction within ConnectionTimeOut: the charger gives
        up and reports Available again (OCPP 1.6 §9.1.6; the cable may still be
        in the socket, but the connector is free for a new session)."""
        await asyncio.sleep(max(1, self.config.int("ConnectionTimeOut", 60)))
        if connector.transaction_id is None and connector.status == "Preparing":
            connector.plugged = False
            await self.set_status(connector, "Available")

    async def unplug(self, number: int = 1) -> None:
        connector = self.connectors[number]
        connector.plugged = False
        if connector.transaction_id is not None and self.config.bool("StopTransactionOnEVSideDisconnect"):
            await self.stop_transaction(connector, "EVDisconnected")
        elif connector.status in ("Preparing", "Finishing"):
            await self.set_status(connector, "Available")

    async def raise_fault(self, number: int = 0, code: str = "GroundFailure", info: str = "") -> None:
        target = self.station_status if number == 0 else self.connectors[number]
        target.fault_previous = target.status if target.status != "Faulted" else target.fault_previous
        extra = {"info": info} if info else {}
        await self.set_status(target, "Faulted", code, vendor_error_code=code[:50], **extra)

    async def clear_fault(self, number: int = 0) -> None:
        target = self.station_status if number == 0 else self.connectors[number]
        await self.set_status(target, target.fault_previous or "Available")
