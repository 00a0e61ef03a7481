"""The station's state: its connectors (and connector 0, the station itself),
their statuses, availability, faults, reservations and the cable."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ocpp.v16 import call

from .config import ConfigStore
from .meter import Meter
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
    tx_serial: int = 0  # changes at every start and stop: a transaction's timers end with it
    id_tag: str = ""
    started_at: datetime | None = None  # the transaction's start: a Relative profile's schedule begins there
    meter_start: int = 0
    transaction_data: list = field(default_factory=list)  # StopTxn*Data readings for the StopTransaction
    pending_tag: str = ""  # a card accepted (or a remote start), the cable not yet in
    pending_profile: dict | None = None  # the TxProfile of a remote start waiting for the cable
    waiting_serial: int = 0  # changes when a wait for the cable (ConnectionTimeOut) begins or ends
    status_serial: int = 0  # changes with every status: a status held back is dropped when another follows
    periodic: int = 0  # periodic samples sent in the running transaction
    reservation_id: int | None = None
    reservation_tag: str = ""
    reservation_parent: str = ""  # the reservation's parentIdTag: any card of that group may use it (§5.13)
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

    async def set_status(
        self, connector: Connector, status: str, error_code: str = "NoError", *, at_once: bool = False, **extra
    ) -> None:
        """Report a status; offline it waits in the queue unless the profile drops it.
        With MinimumStatusDuration a status is reported only once it has lasted
        that long (§9.1.20): one that changes sooner is never sent."""
        connector.status, connector.error_code = status, error_code
        connector.status_serial += 1
        payload = call.StatusNotification(
            connector_id=connector.number, error_code=error_code, status=status, timestamp=self.stamp(), **extra
        )
        hold = self.config.int("MinimumStatusDuration", 0)
        if hold > 0 and not at_once:
            self.spawn(self._report_when_stable(connector, connector.status_serial, payload, hold))
            return
        await self.send(payload, queue_offline=self.profile.offline_statuses)

    async def _report_when_stable(self, connector: Connector, serial: int, payload, hold: int) -> None:
        await asyncio.sleep(hold)
        if connector.status_serial == serial:
            await self.send(payload, queue_offline=self.profile.offline_statuses)
        else:
            self.note(f"status {payload.status} of connector {connector.number} lasted under {hold} s: not reported")

    async def _status_all(self) -> None:
        """Every connector's status, as after a boot. Not within the quiet period
        after an ignored TriggerMessage (trigger-ignored), so no status of its own
        can pass for the one the trigger asked for; statuses an event causes still go."""
        for target in (self.station_status, *self.connectors.values()):
            if time.monotonic() < self.quiet_until:
                self.note(f"status of connector {target.number} not reported: trigger ignored")
                continue
            await self.set_status(target, target.status, target.error_code, at_once=True)

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
            if not connector.operative:
                wanted = "Unavailable"
            elif connector.plugged or connector.pending_tag:
                wanted = "Preparing"
            else:
                wanted = "Reserved" if connector.reservation_id is not None else "Available"
            await self.set_status(connector, wanted)

    # -- reservations (§5.13) ------------------------------------------------------------

    def reserve(self, number: int, reservation_id: int, id_tag: str, expiry_date: str, parent_id_tag: str = "") -> str:
        """ReserveNow's answer. The same reservationId replaces its reservation; connector 0
        only with ReserveConnectorZeroSupported (false here, §9.5.1)."""
        for other in self.connectors.values():
            if other.reservation_id == reservation_id and other.number != number:
                self.end_reservation(other)
        connector = self.connectors.get(number)
        if connector is None:
            return "Rejected"
        if connector.status == "Faulted" or self.station_status.status == "Faulted":
            return "Faulted"
        if not connector.operative or connector.status == "Unavailable":
            return "Unavailable"
        if connector.transaction_id is not None or connector.plugged or connector.pending_tag:
            return "Occupied"
        if connector.reservation_id not in (None, reservation_id):
            return "Occupied"
        self.end_reservation(connector)
        connector.reservation_id, connector.reservation_tag = reservation_id, id_tag
        connector.reservation_parent = parent_id_tag or ""
        expiry = datetime.fromisoformat(expiry_date.replace("Z", "+00:00"))
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=UTC)
        self.spawn(self._expire(connector, reservation_id, expiry))
        return "Accepted"

    async def _expire(self, connector: Connector, reservation_id: int, expiry: datetime) -> None:
        """At expiryDate an unused reservation ends: Reserved -> Available (§5.13)."""
        await asyncio.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()))
        if connector.reservation_id == reservation_id and connector.transaction_id is None:
            self.note(f"reservation {reservation_id} on connector {connector.number} expired")
            await self.cancel_reservation(connector)

    def end_reservation(self, connector: Connector) -> None:
        """Forget the connector's reservation (used, cancelled or expired)."""
        connector.reservation_id, connector.reservation_tag, connector.reservation_parent = None, "", ""

    async def cancel_reservation(self, connector: Connector) -> None:
        self.end_reservation(connector)
        if connector.status == "Reserved":
            await self.set_status(connector, "Available")

    # -- the cable ---------------------------------------------------------------------

    async def plug(self, number: int = 1) -> None:
        connector = self.connectors[number]
        connector.plugged = True
        if connector.transaction_id is not None:
            if connector.status == "SuspendedEV":  # the EV is back (StopTransactionOnEVSideDisconnect false)
                connector.meter.set_current(self.current_limit(connector))
                await self.set_status(connector, "Charging")
            return
        if not connector.operative or connector.status not in ("Available", "Reserved", "Preparing"):
            return
        if connector.pending_tag:
            if connector.status != "Preparing":
                await self.set_status(connector, "Preparing")
            await self.start_transaction(connector, connector.pending_tag)
        elif connector.status == "Available":
            await self.set_status(connector, "Preparing")
            self.await_cable(connector, identified=False)
        # Reserved, without its card: it stays Reserved until the card comes (§4.9: Reserved -> Preparing).

    def await_cable(self, connector: Connector, identified: bool = True) -> None:
        """Preparing: the transaction must begin within ConnectionTimeOut (§9.1.6),
        once the driver is identified (a card, the cable still out) or, unless the
        profile waits for a card (no-plugged-timeout), with only the cable in."""
        connector.waiting_serial += 1
        if self.profile.connection_timeout and (identified or self.profile.plugged_timeout):
            self.spawn(self._connection_timeout(connector, connector.waiting_serial))

    async def _connection_timeout(self, connector: Connector, serial: int) -> None:
        """No transaction within ConnectionTimeOut: the charger gives up and
        reports Available again (§9.1.6; the cable may still be in the socket,
        but the connector is free for a new session)."""
        await asyncio.sleep(max(1, self.config.int("ConnectionTimeOut", 60)))
        if connector.waiting_serial != serial or connector.transaction_id is not None:
            return
        if connector.status == "Preparing":
            self.note(f"connector {connector.number}: ConnectionTimeOut, back to Available")
            connector.plugged, connector.pending_tag, connector.pending_profile = False, "", None
            await self.set_status(connector, "Reserved" if connector.reservation_id is not None else "Available")

    async def unplug(self, number: int = 1) -> None:
        connector = self.connectors[number]
        connector.plugged = False
        if connector.transaction_id is not None:
            if self.config.bool("StopTransactionOnEVSideDisconnect"):
                await self.stop_transaction(connector, "EVDisconnected")
            else:  # the transaction goes on without energy until the EV is back (§9.1.23)
                connector.meter.set_current(0)
                await self.set_status(connector, "SuspendedEV", info="EV side disconnected")
        elif connector.status in ("Preparing", "Finishing"):
            connector.pending_tag, connector.pending_profile = "", None
            connector.waiting_serial += 1
            await self.set_status(connector, "Reserved" if connector.reservation_id is not None else "Available")

    async def raise_fault(self, number: int = 0, code: str = "GroundFailure", info: str = "") -> None:
        target = self.station_status if number == 0 else self.connectors[number]
        target.fault_previous = target.status if target.status != "Faulted" else target.fault_previous
        extra = {"info": info} if info else {}
        await self.set_status(target, "Faulted", code, vendor_error_code=code[:50], **extra)

    async def clear_fault(self, number: int = 0) -> None:
        target = self.station_status if number == 0 else self.connectors[number]
        await self.set_status(target, target.fault_previous or "Available")
