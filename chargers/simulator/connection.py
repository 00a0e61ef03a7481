"""The simulator's connection: connecting with back-off, booting, heartbeats,
sending, and the queue of transaction messages kept while offline and sent in
order, with their original timestamps, once the charger is back."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import ssl
import time
import uuid
from collections import deque
from urllib.parse import quote

import websockets
from ocpp.exceptions import OCPPError, UnknownCallErrorCodeError
from ocpp.v16 import call

from .answers import Station
from .config import ConfigStore
from .connectors import Connector


class Connection:
    """Mixin of SimulatedCharger: the socket and what travels on it."""

    id: str
    config: ConfigStore
    connectors: dict[int, Connector]
    station_status: Connector
    station: Station | None
    online: asyncio.Event
    queue: deque

    async def run(self) -> None:
        """Stay connected until stopped: reconnect with back-off when the server
        goes away, stay away while 'offline'."""
        attempt = 0
        heart = self.spawn(self._heartbeats())
        clock = self.spawn(self.clock_aligned())
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
            clock.cancel()

    async def _session(self) -> None:
        headers = {}
        if self.options.password:
            token = base64.b64encode(f"{self.id}:{self.options.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        url = self.options.url.rstrip("/") + "/" + quote(self.id, safe="")
        tls = {"ssl": ssl.create_default_context(cafile=self.options.ca or None)} if url.startswith("wss://") else {}
        async with websockets.connect(
            url, subprotocols=["ocpp1.6"], additional_headers=headers, open_timeout=10, ping_interval=None, **tls
        ) as ws:
            station = Station.of(self, ws)
            self.station = station
            reader = asyncio.create_task(station.start())
            pinger = asyncio.create_task(self._pings(ws))
            self._drop.clear()
            try:
                self.online.set()
                self.note("connected")
                rebooted = self.need_boot
                if rebooted:
                    await self._boot()
                else:
                    self.booted = True
                    self._booted_event.set()
                await self._flush_queue()
                if not rebooted and not self.profile.offline_statuses:
                    await self._status_all()  # the current statuses only, not the offline period's
                dropper = asyncio.create_task(self._drop.wait())
                await asyncio.wait({reader, dropper}, return_when=asyncio.FIRST_COMPLETED)
                dropper.cancel()
            finally:
                self.online.clear()
                self.booted = False
                self._booted_event.clear()
                self.station = None
                reader.cancel()
                pinger.cancel()
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
            "meter_type": self.options.meter_type,
            "meter_serial_number": self.options.meter_serial,
        }
        if self.profile.iccid:
            payload["iccid"] = self.options.iccid
        if self.profile.imsi:
            payload["imsi"] = self.options.imsi
        for _ in range(100):
            answer = await self._call(call.BootNotification(**payload))
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
        self.boots += 1
        await self._status_all()
        if not self.profile.heartbeat_on_idle and not self.profile.double_call:
            # As many chargers do: a Heartbeat at once, to set the clock from its answer
            # (double-call's two at once below stand for it).
            await self.send(call.Heartbeat())
        self.booted = True
        self._booted_event.set()
        if self.profile.double_call:
            await self._two_calls_at_once()
        for connector in self.connectors.values():
            if connector.transaction_id is None and connector.status == "Finishing":
                self.spawn(self._auto_unplug(connector))  # the driver of a transaction the reboot ended

    async def _two_calls_at_once(self) -> None:
        """double-call: two Heartbeat CALLs written back to back, the second before
        the first is answered (OCPP-J §4.1.1 asks for one at a time); both answers read."""
        station = self.station
        if station is None:
            return
        async with station._call_lock:
            # Both frames in one write, so that they reach the central system together, as from
            # a charger that did not wait: two writes can be read one by one, the first answered
            # between them, and the log could not tell them from CALLs sent one at a time.
            connection = station._connection
            for _ in range(2):
                connection.protocol.send_text(json.dumps([2, str(uuid.uuid4()), "Heartbeat", {}]).encode())
            connection.transport.write(b"".join(connection.protocol.data_to_send()))
            for _ in range(2):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(station._response_queue.get(), 30)
        self.last_sent = time.monotonic()

    async def wait_booted(self, timeout: float = 30) -> None:
        await asyncio.wait_for(self._booted_event.wait(), timeout)

    async def wait_rebooted(self, boots: int, timeout: float = 60) -> None:
        """Until a BootNotification after the `boots`-th one was accepted and reported."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (self.boots > boots and self.booted):
            if loop.time() > deadline:
                raise TimeoutError(f"{self.id} did not boot again within {timeout} s")
            await asyncio.sleep(0.1)

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
        """Every HeartbeatInterval, counted from the previous Heartbeat's sending (not
        its answer, so a slow central system does not stretch the pace); with
        heartbeat-on-idle only once that long passed with nothing else sent (§4.6:
        other messages show it is alive)."""
        idle = self.profile.heartbeat_on_idle
        counting_from = time.monotonic()
        while not self.stopping:
            self._heartbeat_wake.clear()
            interval = self.heartbeat_interval()
            if idle:
                wait = max(0.5, self.last_sent + interval - time.monotonic())
            else:
                wait = max(0.0, max(self.last_beat, counting_from) + interval - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._heartbeat_wake.wait(), wait)
                counting_from = time.monotonic()
                continue  # the interval changed: start counting again
            if idle and time.monotonic() - self.last_sent < interval:
                continue  # something else was sent meanwhile
            if not idle and self.last_beat + interval > time.monotonic() + 0.05:
                continue  # a Heartbeat went meanwhile (the one after a boot): count from it
            if self.booted:
                await self.send(call.Heartbeat())

    def config_changed(self, key: str) -> None:
        """An accepted ChangeConfiguration takes effect now (the timers read their keys as they go)."""
        if key == "HeartbeatInterval":
            self._heartbeat_wake.set()
        elif key in ("SmartChargingEnabled", "VendorMaxCurrentA"):
            self.apply_limits()

    async def _pings(self, ws) -> None:
        """A WebSocket ping every WebSocketPingInterval seconds; 0 sends none (§9.1.34)."""
        waited = 0.0
        while True:
            interval = self.config.int("WebSocketPingInterval", 0)
            if interval <= 0 or waited < interval:
                waited = 0.0 if interval <= 0 else waited + 0.5
                await asyncio.sleep(0.5)
                continue
            waited = 0.0
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.ping()

    async def send(self, payload, queue_offline: bool = False):
        """Send a CALL; transaction messages (and statuses, unless the profile
        drops them) wait in the queue while offline."""
        action = payload.__class__.__name__
        if queue_offline and (not self.online.is_set() or self.queue):
            self.queue.append(payload)
            self.note(f"queued {action} while offline")
            return None
        if self.station is None or not self.online.is_set():
            return None
        transactional = action in ("StartTransaction", "StopTransaction") or (
            action == "MeterValues" and payload.transaction_id is not None
        )
        tries = max(1, self.config.int("TransactionMessageAttempts", 3)) if transactional else 1
        for attempt in range(1, tries + 1):
            try:
                return await self._call(payload, strict=transactional)
            except (websockets.ConnectionClosed, TimeoutError) as exc:
                if queue_offline:
                    self.queue.appendleft(payload)
                self.note(f"{action} not delivered: {exc!r}")
                return None
            except (OCPPError, UnknownCallErrorCodeError) as exc:
                # §3.7, §9.1.31/32: the central system failed
                # to process it; try again after RetryInterval x the attempt (errata v4.0).
                self.note(f"{action} answered CALLERROR ({exc!r}): attempt {attempt} of {tries}")
                if attempt < tries:
                    await asyncio.sleep(self.config.int("TransactionMessageRetryInterval", 30) * attempt)
        return None

    async def _call(self, payload, strict: bool = False):
        """The CALL and its answer; `strict`: a CALLERROR raises instead of giving None."""
        self.last_sent = time.monotonic()
        if isinstance(payload, call.Heartbeat):
            self.last_beat = self.last_sent
        return await self.station.call(payload, suppress=not strict)

    async def _flush_queue(self) -> None:
        """Send what was queued offline, in order, with the original timestamps
        (each with a new unique id, as real chargers retry)."""
        while self.queue and self.online.is_set():
            payload = self.queue[0]
            provisional = getattr(payload, "transaction_id", None)
            if provisional is not None and provisional in self.tx_aliases:
                payload.transaction_id = self.tx_aliases[provisional]
            try:
                answer = await self._call(payload)
            except (websockets.ConnectionClosed, TimeoutError):
                return
            self.queue.popleft()
            if isinstance(payload, call.StartTransaction) and answer is not None:
                self._confirm(payload, answer.transaction_id)
                connector = self.connector_of(answer.transaction_id)
                if connector is not None and (answer.id_tag_info or {}).get("status") != "Accepted":
                    self.refused_start(connector, payload.id_tag)

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

    async def triggered(self, message: str, number: int | None) -> None:
        if message == "BootNotification":
            await self._boot()
        elif message == "Heartbeat":
            await self.send(call.Heartbeat())
        elif message == "StatusNotification" and not self.profile.answer_trigger_status:
            # trigger-ignored: nothing now, and no status of its own for a while either
            self.quiet_until = time.monotonic() + self.options.trigger_quiet
            self.note("TriggerMessage StatusNotification ignored")
        elif message == "StatusNotification":
            if number is None:
                await self._status_all()
            else:
                target = self.station_status if number == 0 else self.connectors[number]
                await self.set_status(target, target.status, target.error_code)
        elif message == "MeterValues":
            for connector in self.connectors.values():
                if number in (None, 0, connector.number):
                    sample = self.meter_sample(connector, "Trigger")
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
        """Close the socket, come back after the reboot's delay and boot again.
        A running transaction ends with the reason: after Reset Soft (and a
        firmware reboot) before going down, after Reset Hard once the next boot
        is accepted (§5.14); a cable in use stays in, Finishing after the boot."""
        await asyncio.sleep(0.2)  # let the answer leave first
        for connector in self.connectors.values():
            if connector.transaction_id is not None:
                await self.stop_transaction(connector, reason, after_boot=reason == "HardReset")
            if connector.status == "Finishing" and connector.plugged:
                continue
            connector.plugged, connector.pending_tag, connector.pending_profile = False, "", None
            connector.waiting_serial += 1
            if connector.operative:
                connector.status = "Reserved" if connector.reservation_id is not None else "Available"
        self.config.apply_pending()
        self.need_boot = True
        self.offline_until = time.monotonic() + self.reboot_delay
        self._drop.set()
        if self.station is not None:
            with contextlib.suppress(Exception):
                await self.station._connection.close(code=1000, reason="rebooting")

    @property
    def security_profile(self) -> int:
        """The white paper's profile it connects with: 1 Basic auth, 2 Basic auth over wss://."""
        return int(self.config.keys["SecurityProfile"].value) if "SecurityProfile" in self.config.keys else 0

    def wss_url(self) -> str:
        """The wss:// URL it can move to: one it was given, with a CA file to trust (white
        paper: the central system's root certificate installed before profile 2); else ''."""
        url = self.options.tls_url or self.options.url
        return url if url.startswith("wss://") and self.options.ca else ""

    def change_security(self, key: str, value: str) -> str:
        """ChangeConfiguration of the white paper's keys: a new AuthorizationKey (16 to 40
        characters: 16 to 20 bytes, or their hex) is taken; SecurityProfile never goes
        down, and goes up only to 2, with a wss:// URL and a CA file (no client
        certificate for 3): Rejected otherwise."""
        if key == "AuthorizationKey":
            return "Accepted" if 16 <= len(value) <= 40 else "Rejected"
        try:
            wanted = int(value)
        except ValueError:
            return "Rejected"
        if wanted == self.security_profile or (wanted == 2 and self.security_profile == 1 and self.wss_url()):
            return "Accepted"
        return "Rejected"

    async def rekey(self, key: str) -> None:
        """The new AuthorizationKey: reconnect with it at once (security white paper)."""
        self.note("AuthorizationKey changed: reconnecting with the new password")
        self.options.password = key
        await self._reconnect("new AuthorizationKey")

    async def secure(self, profile: int) -> None:
        """A higher SecurityProfile: reconnect with it at once, over wss:// (security white paper)."""
        if profile <= self.security_profile:
            return
        self.options.url = self.wss_url()
        self.config.keys["SecurityProfile"].value = str(profile)
        self.note(f"SecurityProfile {profile}: reconnecting over {self.options.url}")
        await self._reconnect("new SecurityProfile")

    async def _reconnect(self, reason: str) -> None:
        self._drop.set()
        if self.station is not None:
            with contextlib.suppress(Exception):
                await self.station._connection.close(code=1000, reason=reason)

    async def go_offline(self, seconds: float) -> None:
        """Drop the connection and stay away; transaction messages queue meanwhile."""
        self.offline_until = time.monotonic() + seconds
        self._drop.set()
        if self.station is not None:
            with contextlib.suppress(Exception):
                await self.station._connection.close()
