"""A simulated OCPP 1.6-J charge point on a real WebSocket.

`SimulatedCharger` owns the connection (reconnecting with back-off), boots as a
real charger does, keeps its connectors, transactions and meter, and queues
transaction messages while offline, sending them in order, with their original
timestamps, once it is back. `Station` is the ocpp library's ChargePoint
subclass that answers the central system's commands; side effects run from
@after handlers or tasks, never inside an @on handler.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from .config import SMART_CHARGING_KEYS, ConfigStore
from .meter import Meter, now_iso
from .profiles import PROFILES, Profile
from .transfer import download, upload

log = logging.getLogger("chargers.simulator")


@dataclass
class SimulatorOptions:
    url: str = "ws://127.0.0.1:8000/ocpp/"
    charge_point_id: str = "SIM-0001"
    connectors: int = 2
    vendor: str = "OCPP Certify"
    model: str = "Simulator-22"
    serial: str = "SIM-SN-0001"
    firmware: str = "1.0.0"
    iccid: str = "89310410106543789301"
    imsi: str = "204043210987654"
    meter_type: str = "SimMeter 3P"
    meter_serial: str = "SIM-M-0001"
    password: str = ""
    profile: str = "default"
    heartbeat_interval: int = 60
    # Timing knobs (seconds), short for tests and demos.
    boot_retry: float = 5.0
    backoff_base: float = 0.5
    backoff_max: float = 15.0
    reboot_delay: float = 1.0
    auto_unplug: float = 1.0  # after a stop, the driver unplugs this much later
    slow_delay: float | None = None  # overrides the "slow" profile's delay
    charge_current: float = 16.0


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


class Station(ChargePoint):
    """The charger's answers to the central system."""

    sim: SimulatedCharger

    async def _slow(self) -> None:
        delay = self.sim.answer_delay
        if delay:
            await asyncio.sleep(delay)

    @on(Action.get_configuration)
    async def on_get_configuration(self, key: list | None = None, **_):
        await self._slow()
        known, unknown = self.sim.config.get(key)
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    async def on_change_configuration(self, key: str, value: str, **_):
        await self._slow()
        if not self.sim.profile.smart_charging and key in SMART_CHARGING_KEYS:
            return call_result.ChangeConfiguration(status="NotSupported")
        return call_result.ChangeConfiguration(status=self.sim.config.change(key, value))

    @after(Action.change_configuration)
    async def after_change_configuration(self, key: str, value: str, **_):
        self.sim.config_changed(key)

    @on(Action.change_availability)
    async def on_change_availability(self, connector_id: int, type: str, **_):
        await self._slow()
        return call_result.ChangeAvailability(status=self.sim.change_availability(connector_id, type == "Operative"))

    @after(Action.change_availability)
    async def after_change_availability(self, connector_id: int, type: str, **_):
        self.sim.spawn(self.sim.apply_availability(connector_id))

    @on(Action.remote_start_transaction)
    async def on_remote_start_transaction(self, id_tag: str, connector_id: int | None = None, **_):
        await self._slow()
        connector = self.sim.free_connector(connector_id)
        return call_result.RemoteStartTransaction(status="Accepted" if connector else "Rejected")

    @after(Action.remote_start_transaction)
    async def after_remote_start_transaction(self, id_tag: str, connector_id: int | None = None, **_):
        connector = self.sim.free_connector(connector_id)
        if connector:
            self.sim.spawn(self.sim.remote_start(connector, id_tag))

    @on(Action.remote_stop_transaction)
    async def on_remote_stop_transaction(self, transaction_id: int, **_):
        await self._slow()
        found = self.sim.connector_of(transaction_id)
        return call_result.RemoteStopTransaction(status="Accepted" if found else "Rejected")

    @after(Action.remote_stop_transaction)
    async def after_remote_stop_transaction(self, transaction_id: int, **_):
        connector = self.sim.connector_of(transaction_id)
        if connector:
            self.sim.spawn(self.sim.stop_transaction(connector, "Remote"))

    @on(Action.reset)
    async def on_reset(self, type: str, **_):
        await self._slow()
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    async def after_reset(self, type: str, **_):
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
        return call_result.GetLocalListVersion(list_version=self.sim.local_list_version)

    @on(Action.send_local_list)
    async def on_send_local_list(self, list_version: int, update_type: str, local_authorization_list=None, **_):
        await self._slow()
        return call_result.SendLocalList(
            status=self.sim.send_local_list(list_version, update_type, local_authorization_list or [])
        )

    @on(Action.reserve_now)
    async def on_reserve_now(self, connector_id: int, expiry_date: str, id_tag: str, reservation_id: int, **_):
        await self._slow()
        return call_result.ReserveNow(status=self.sim.reserve(connector_id, reservation_id, id_tag))

    @after(Action.reserve_now)
    async def after_reserve_now(self, connector_id: int, reservation_id: int, **_):
        connector = self.sim.connectors.get(connector_id)
        if connector and connector.reservation_id == reservation_id:
            self.sim.spawn(self.sim.set_status(connector, "Reserved"))

    @on(Action.cancel_reservation)
    async def on_cancel_reservation(self, reservation_id: int, **_):
        await self._slow()
        for connector in self.sim.connectors.values():
            if connector.reservation_id == reservation_id:
                connector.reservation_id = None
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
            status="Accepted", connector_id=connector_id, schedule_start=now_iso(), charging_schedule=schedule
        )

    @on(Action.trigger_message)
    async def on_trigger_message(self, requested_message: str, connector_id: int | None = None, **_):
        await self._slow()
        if connector_id is not None and connector_id not in self.sim.connectors and connector_id != 0:
            return call_result.TriggerMessage(status="Rejected")
        return call_result.TriggerMessage(status="Accepted")

    @after(Action.trigger_message)
    async def after_trigger_message(self, requested_message: str, connector_id: int | None = None, **_):
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


TRANSACTION_MESSAGES = ("StartTransaction", "StopTransaction", "MeterValues")


class SimulatedCharger:
    """One simulated charger: `await run()` until `stop()`."""

    def __init__(self, options: SimulatorOptions | None = None) -> None:
        self.options = options or SimulatorOptions()
        self.id = self.options.charge_point_id
        self.profile: Profile = PROFILES[self.options.profile]
        self.config = ConfigStore(self.options.connectors, self.options.heartbeat_interval, self.profile.smart_charging)
        self.connectors = {n: Connector(n) for n in range(1, self.options.connectors + 1)}
        self.station_status = Connector(0)
        self.firmware = self.options.firmware
        self.station: Station | None = None
        self.online = asyncio.Event()
        self.booted = False
        self.need_boot = True
        self.stopping = False
        self.offline_until = 0.0
        self.queue: deque = deque()  # (action, payload dict) while offline
        self.tx_aliases: dict[int, int] = {}  # provisional id -> confirmed id
        self.start_provisional: dict[int, int] = {}  # id(queued StartTransaction) -> provisional id
        self.next_provisional = -1
        self.auth_cache: dict[str, str] = {}
        self.local_list: dict[str, str] = {}
        self.local_list_version = 0
        self.profiles: dict[int, dict] = {}  # chargingProfileId -> {connector, profile}
        self.diagnostics_name = ""
        self.lines: deque = deque(maxlen=5000)  # (time, text) for diagnostics files
        self.tasks: set[asyncio.Task] = set()
        self._drop = asyncio.Event()
        self._boot_interval: int | None = None
        self._heartbeat_wake = asyncio.Event()
        self._booted_event = asyncio.Event()

    # -- running -------------------------------------------------------------------

    @property
    def answer_delay(self) -> float:
        if self.options.slow_delay is not None and self.profile.answer_delay:
            return self.options.slow_delay
        return self.profile.answer_delay

    def note(self, text: str) -> None:
        self.lines.append((datetime.now(UTC), text))
        log.debug("%s: %s", self.id, text)

    def spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() and not self.stopping:
            log.warning("%s: %r", self.id, task.exception())

    async def run(self) -> None:
        """Stay connected until stopped: reconnect with back-off when the server
        goes away, stay away while 'offline'."""
        attempt = 0
        heart = self.spawn(self._heartbeats())
        try:
            while not self.stopping:
                wait = self.offline_until - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(min(wait, 0.5))
                    continue
                try:
                    await self._session()
                    attempt = 0
                except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed, TimeoutError) as exc:
                    self.note(f"connection failed: {exc!r}")
                    attempt += 1
                if not self.stopping and time.monotonic() >= self.offline_until:
                    await asyncio.sleep(min(self.options.backoff_max, self.options.backoff_base * 2 ** min(attempt, 6)))
        finally:
            heart.cancel()

    async def _session(self) -> None:
        headers = {}
        if self.options.password:
            token = base64.b64encode(f"{self.id}:{self.options.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        url = self.options.url.rstrip("/") + "/" + quote(self.id, safe="")
        async with websockets.connect(url, subprotocols=["ocpp1.6"], additional_headers=headers, open_timeout=10) as ws:
            station = Station(self.id, ws, response_timeout=30)
            station.sim = self
            self.station = station
            reader = asyncio.create_task(station.start())
            self._drop.clear()
            try:
                self.online.set()
                self.note("connected")
                if self.need_boot:
                    await self._boot()
                else:
                    self.booted = True
                    self._booted_event.set()
                await self._flush_queue()
                dropper = asyncio.create_task(self._drop.wait())
                await asyncio.wait({reader, dropper}, return_when=asyncio.FIRST_COMPLETED)
                dropper.cancel()
            finally:
                self.online.clear()
                self.booted = False
                self._booted_event.clear()
                self.station = None
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader
                self.note("disconnected")

    async def _boot(self) -> None:
        payload = {
            "charge_point_vendor": self.options.vendor,
            "charge_point_model": self.options.model,
            "charge_point_serial_number": self.options.serial,
            "charge_box_serial_number": self.options.serial,
            "firmware_version": self.firmware,
            "imsi": self.options.imsi,
            "meter_type": self.options.meter_type,
            "meter_serial_number": self.options.meter_serial,
        }
        if self.profile.iccid:
            payload["iccid"] = self.options.iccid
        for _ in range(100):
            answer = await self.station.call(call.BootNotification(**payload))
            if answer is not None and answer.status == "Accepted":
                break
            self.note(f"boot answered {getattr(answer, 'status', None)}: retrying")
            await asyncio.sleep(getattr(answer, "interval", 0) or self.options.boot_retry)
        interval = answer.interval if answer and answer.interval else self.options.heartbeat_interval
        if self._boot_interval is None:
            self._boot_interval = interval
        self.config.keys["HeartbeatInterval"].value = str(interval)
        self._heartbeat_wake.set()
        self.need_boot = False
        await self._status_all()
        # As many chargers do: a Heartbeat at once, to set the clock from its answer.
        await self.send(call.Heartbeat())
        self.booted = True
        self._booted_event.set()

    async def wait_booted(self, timeout: float = 30) -> None:
        await asyncio.wait_for(self._booted_event.wait(), timeout)

    async def stop(self) -> None:
        self.stopping = True
        self._drop.set()
        if self.station is not None:
            with contextlib.suppress(Exception):
                await self.station._connection.close()
        for task in list(self.tasks):
            task.cancel()

    def heartbeat_interval(self) -> int:
        if not self.profile.follow_heartbeat_interval and self._boot_interval:
            return self._boot_interval
        return max(1, self.config.int("HeartbeatInterval", 60))

    async def _heartbeats(self) -> None:
        while not self.stopping:
            self._heartbeat_wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._heartbeat_wake.wait(), self.heartbeat_interval())
                continue  # the interval changed: start counting again
            if self.booted:
                await self.send(call.Heartbeat())

    def config_changed(self, key: str) -> None:
        if key == "HeartbeatInterval":
            self._heartbeat_wake.set()

    # -- sending -------------------------------------------------------------------

    async def send(self, payload, queue_offline: bool = False):
        """Send a CALL; transaction messages wait in the queue while offline."""
        action = payload.__class__.__name__
        if queue_offline and (not self.online.is_set() or self.queue):
            self.queue.append(payload)
            self.note(f"queued {action} while offline")
            return None
        if self.station is None or not self.online.is_set():
            return None
        try:
            return await self.station.call(payload)
        except (websockets.ConnectionClosed, TimeoutError) as exc:
            if queue_offline:
                self.queue.appendleft(payload)
            self.note(f"{action} not delivered: {exc!r}")
            return None

    async def _flush_queue(self) -> None:
        """Send what was queued offline, in order, with the original timestamps
        (each with a new unique id, as real chargers retry)."""
        while self.queue and self.online.is_set():
            payload = self.queue[0]
            provisional = getattr(payload, "transaction_id", None)
            if provisional is not None and provisional in self.tx_aliases:
                payload.transaction_id = self.tx_aliases[provisional]
            try:
                answer = await self.station.call(payload)
            except (websockets.ConnectionClosed, TimeoutError):
                return
            self.queue.popleft()
            if isinstance(payload, call.StartTransaction) and answer is not None:
                self._confirm(payload, answer.transaction_id)

    def _confirm(self, payload: call.StartTransaction, transaction_id: int) -> None:
        """The central system gave its id to a start made offline: use it for
        the connector and for the queued messages that follow."""
        provisional = self.start_provisional.pop(id(payload), None)
        if provisional is None:
            return
        self.tx_aliases[provisional] = transaction_id
        for connector in self.connectors.values():
            if connector.transaction_id == provisional:
                connector.transaction_id = transaction_id

    async def set_status(self, connector: Connector, status: str, error_code: str = "NoError", **extra) -> None:
        connector.status, connector.error_code = status, error_code
        await self.send(
            call.StatusNotification(
                connector_id=connector.number, error_code=error_code, status=status, timestamp=now_iso(), **extra
            )
        )

    async def _status_all(self) -> None:
        await self.set_status(self.station_status, self.station_status.status, self.station_status.error_code)
        for connector in self.connectors.values():
            await self.set_status(connector, connector.status, connector.error_code)

    # -- transactions ----------------------------------------------------------------

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
                    or self.auth_cache.get(id_tag)
                    or ("Accepted" if self.config.bool("AllowOfflineTxForUnknownId") else "Invalid")
                )
            return "Invalid"
        answer = await self.send(call.Authorize(id_tag=id_tag))
        status = (answer.id_tag_info or {}).get("status", "Invalid") if answer else "Invalid"
        self.auth_cache[id_tag] = status
        return status

    async def remote_start(self, connector: Connector, id_tag: str) -> None:
        connector.plugged = True  # the EV is there: a remote start presumes it
        if connector.status != "Preparing":
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
        if self.online.is_set() and not self.queue:
            answer = await self.send(payload)
            if answer is None:
                return
            if (answer.id_tag_info or {}).get("status") != "Accepted":
                self.note(f"StartTransaction of {id_tag} not accepted")
            connector.transaction_id = answer.transaction_id
        else:
            connector.transaction_id = self.next_provisional
            self.start_provisional[id(payload)] = self.next_provisional
            self.next_provisional -= 1
            self.queue.append(payload)
        await self.set_status(connector, "Charging")
        connector.begin_sample = connector.meter.sample(self.measurands(), "Transaction.Begin", self.profile.voltage)
        await self.send(
            call.MeterValues(
                connector_id=connector.number,
                transaction_id=connector.transaction_id,
                meter_value=[connector.begin_sample],
            ),
            queue_offline=True,
        )
        connector.tasks.append(self.spawn(self._sample(connector, connector.transaction_id)))

    def measurands(self) -> list[str]:
        return self.config.list("MeterValuesSampledData") or ["Energy.Active.Import.Register"]

    async def _sample(self, connector: Connector, transaction_id: int) -> None:
        while connector.transaction_id == transaction_id and not self.stopping:
            await asyncio.sleep(max(1, self.config.int("MeterValueSampleInterval", 60)))
            if connector.transaction_id != transaction_id:
                return
            sample = connector.meter.sample(self.measurands(), "Sample.Periodic", self.profile.voltage)
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
        end = connector.meter.sample(self.measurands(), "Transaction.End", self.profile.voltage)
        connector.meter.set_current(0)
        data = [d for d in (connector.begin_sample, end) if d]
        payload = call.StopTransaction(
            meter_stop=connector.meter.register(),
            timestamp=now_iso(),
            transaction_id=transaction_id,
            reason=reason,
            id_tag=id_tag,
            transaction_data=data,
        )
        await self.send(payload, queue_offline=True)
        if reason in ("HardReset", "SoftReset", "PowerLoss", "Reboot"):
            return
        if reason == "EVDisconnected":
            await self.set_status(connector, "Available")
        else:
            if self.profile.finishing:
                await self.set_status(connector, "Finishing")
            self.spawn(self._auto_unplug(connector))
        if connector.scheduled_inoperative is not None:
            self.spawn(self.apply_availability(connector.number))

    async def _auto_unplug(self, connector: Connector) -> None:
        await asyncio.sleep(self.options.auto_unplug)
        if connector.transaction_id is None and connector.status in ("Finishing", "Charging", "Preparing"):
            connector.plugged = False
            await self.set_status(connector, "Available")

    # -- availability, profiles, lists, reservations ----------------------------------------

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

    def current_limit(self, connector: Connector) -> float:
        schedule = self.composite_schedule(connector.number, 60, "A")
        if schedule and schedule["charging_schedule_period"]:
            return min(self.options.charge_current, schedule["charging_schedule_period"][0]["limit"])
        return self.options.charge_current

    def set_profile(self, number: int, profile: dict) -> str:
        if not self.profile.smart_charging:
            return "Rejected"
        purpose = profile.get("charging_profile_purpose")
        if purpose == "TxProfile":
            connector = self.connectors.get(number)
            if connector is None or connector.transaction_id is None:
                return "Rejected"
        if purpose == "ChargePointMaxProfile" and number != 0:
            return "Rejected"
        if number != 0 and number not in self.connectors:
            return "Rejected"
        if profile.get("stack_level", 0) > self.config.int("ChargeProfileMaxStackLevel", 8):
            return "Rejected"
        self.profiles[profile["charging_profile_id"]] = {"connector": number, "profile": profile}
        for connector in self.connectors.values():
            if connector.transaction_id is not None:
                connector.meter.set_current(self.current_limit(connector))
        return "Accepted"

    def clear_profiles(self, id=None, connector_id=None, charging_profile_purpose=None, stack_level=None, **_) -> str:
        doomed = [
            pid
            for pid, entry in self.profiles.items()
            if (id is None or pid == id)
            and (connector_id is None or entry["connector"] == connector_id)
            and (
                charging_profile_purpose is None
                or entry["profile"].get("charging_profile_purpose") == charging_profile_purpose
            )
            and (stack_level is None or entry["profile"].get("stack_level") == stack_level)
        ]
        for pid in doomed:
            del self.profiles[pid]
        return "Accepted" if doomed else "Unknown"

    def composite_schedule(self, number: int, duration: int, unit: str | None) -> dict | None:
        """The schedule in force: the highest-stack TxProfile when charging, else
        the highest TxDefaultProfile, capped by any ChargePointMaxProfile."""

        def best(purpose: str, connectors: tuple[int, ...]):
            found = [
                e["profile"]
                for e in self.profiles.values()
                if e["profile"].get("charging_profile_purpose") == purpose and e["connector"] in connectors
            ]
            return max(found, key=lambda p: p.get("stack_level", 0)) if found else None

        connector = self.connectors.get(number)
        chosen = None
        if connector is not None and connector.transaction_id is not None:
            chosen = best("TxProfile", (number,))
        chosen = chosen or best("TxDefaultProfile", (number, 0))
        cap = best("ChargePointMaxProfile", (0,))
        if chosen is None and cap is None:
            return None
        source = (chosen or cap)["charging_schedule"]
        periods = [
            {
                "start_period": p["start_period"],
                "limit": float(p["limit"]),
                **({"number_phases": p["number_phases"]} if p.get("number_phases") else {}),
            }
            for p in source["charging_schedule_period"]
            if p["start_period"] < duration
        ]
        if cap is not None and chosen is not None:
            ceiling = min(float(p["limit"]) for p in cap["charging_schedule"]["charging_schedule_period"])
            for period in periods:
                period["limit"] = min(period["limit"], ceiling)
        return {
            "duration": duration,
            "charging_rate_unit": unit or source["charging_rate_unit"],
            "charging_schedule_period": periods,
        }

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

    # -- commands with later effects --------------------------------------------------

    async def triggered(self, message: str, number: int | None) -> None:
        if message == "BootNotification":
            await self._boot()
        elif message == "Heartbeat":
            await self.send(call.Heartbeat())
        elif message == "StatusNotification":
            if number is None:
                await self._status_all()
            else:
                target = self.station_status if number == 0 else self.connectors[number]
                await self.set_status(target, target.status, target.error_code)
        elif message == "MeterValues":
            for connector in self.connectors.values():
                if number in (None, connector.number):
                    sample = connector.meter.sample(self.measurands(), "Trigger", self.profile.voltage)
                    await self.send(
                        call.MeterValues(
                            connector_id=connector.number, transaction_id=connector.transaction_id, meter_value=[sample]
                        )
                    )
        elif message == "FirmwareStatusNotification":
            await self.send(call.FirmwareStatusNotification(status="Idle"))
        elif message == "DiagnosticsStatusNotification":
            await self.send(call.DiagnosticsStatusNotification(status="Idle"))

    async def reboot(self, reason: str) -> None:
        """Stop transactions, close the socket, come back and boot again."""
        await asyncio.sleep(0.2)  # let the answer leave first
        for connector in self.connectors.values():
            if connector.transaction_id is not None:
                await self.stop_transaction(connector, reason)
            connector.plugged = False
            if connector.operative:
                connector.status = "Available"
        self.need_boot = True
        self.offline_until = time.monotonic() + self.options.reboot_delay
        self._drop.set()
        if self.station is not None:
            with contextlib.suppress(Exception):
                await self.station._connection.close(code=1000, reason="rebooting")

    async def update_firmware(self, location: str, retrieve_date: str) -> None:
        when = datetime.fromisoformat(retrieve_date.replace("Z", "+00:00"))
        delay = (when - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        await self.send(call.FirmwareStatusNotification(status="Downloading"))
        try:
            image = await asyncio.to_thread(download, location)
        except Exception as exc:
            self.note(f"firmware download failed: {exc!r}")
            await self.send(call.FirmwareStatusNotification(status="DownloadFailed"))
            return
        self.note(f"firmware downloaded: {len(image)} bytes")
        await self.send(call.FirmwareStatusNotification(status="Downloaded"))
        await asyncio.sleep(0.3)
        if not image:
            await self.send(call.FirmwareStatusNotification(status="InstallationFailed"))
            return
        await self.send(call.FirmwareStatusNotification(status="Installing"))
        await asyncio.sleep(0.3)
        self.firmware = self.firmware.split("+")[0] + "+upd"
        await self.send(call.FirmwareStatusNotification(status="Installed"))
        while any(c.transaction_id is not None for c in self.connectors.values()):  # noqa: ASYNC110
            await asyncio.sleep(1)  # reboot only when the connectors are free
        await self.reboot("Reboot")

    async def upload_diagnostics(self, location: str, start: str | None, stop: str | None) -> None:
        name = self.diagnostics_name
        start_at = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
        stop_at = datetime.fromisoformat(stop.replace("Z", "+00:00")) if stop else None
        lines = [
            f"{moment.isoformat(timespec='milliseconds')} {text}"
            for moment, text in self.lines
            if (start_at is None or moment >= start_at) and (stop_at is None or moment <= stop_at)
        ]
        header = f"Diagnostics of {self.id} ({self.options.vendor} {self.options.model}, firmware {self.firmware})\n"
        window = f"Window: {start or 'beginning'} to {stop or 'now'}\n"
        data = (header + window + "\n".join(lines) + "\n").encode()
        await self.send(call.DiagnosticsStatusNotification(status="Uploading"))
        try:
            await asyncio.to_thread(upload, location, name, data)
        except Exception as exc:
            self.note(f"diagnostics upload failed: {exc!r}")
            await self.send(call.DiagnosticsStatusNotification(status="UploadFailed"))
            return
        await self.send(call.DiagnosticsStatusNotification(status="Uploaded"))

    # -- physical events -------------------------------------------------------------

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
            return status
        if connector.plugged:
            await self.start_transaction(connector, id_tag)
        else:
            connector.pending_tag = id_tag
            if connector.status == "Available":
                await self.set_status(connector, "Preparing")
        return status

    async def raise_fault(self, number: int = 0, code: str = "GroundFailure", info: str = "") -> None:
        target = self.station_status if number == 0 else self.connectors[number]
        target.fault_previous = target.status if target.status != "Faulted" else target.fault_previous
        extra = {"info": info} if info else {}
        await self.set_status(target, "Faulted", code, vendor_error_code=code[:50], **extra)

    async def clear_fault(self, number: int = 0) -> None:
        target = self.station_status if number == 0 else self.connectors[number]
        await self.set_status(target, target.fault_previous or "Available")

    async def go_offline(self, seconds: float) -> None:
        """Drop the connection and stay away; transaction messages queue meanwhile."""
        self.offline_until = time.monotonic() + seconds
        self._drop.set()
        if self.station is not None:
            with contextlib.suppress(Exception):
                await self.station._connection.close()

    def state(self) -> dict:
        return {
            "id": self.id,
            "online": self.online.is_set(),
            "booted": self.booted,
            "firmware": self.firmware,
            "profile": self.profile.name,
            "queued": len(self.queue),
            "connectors": {
                str(c.number): {
                    "status": c.status,
                    "error_code": c.error_code,
                    "plugged": c.plugged,
                    "transaction_id": c.transaction_id,
                    "id_tag": c.id_tag if c.transaction_id is not None else "",
                    "power_w": round(c.meter.power_w),
                    "energy_wh": round(c.meter.energy_wh),
                }
                for c in [self.station_status, *self.connectors.values()]
            },
        }
