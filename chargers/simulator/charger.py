"""A simulated OCPP 1.6-J charge point on a real WebSocket.

`SimulatedCharger` is assembled from one mixin per concern: the connection
(connection.py), the station's state (connectors.py), transactions
(transactions.py), meter values (metering.py), smart charging
(smart_charging.py) and files (files.py). What it answers to the central
system is `Station` (answers.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from .answers import Station
from .config import VENDOR_KEYS, ConfigStore, Key
from .connection import Connection
from .connectors import Connector, Connectors
from .files import Files
from .meter import iso
from .metering import Metering
from .profiles import PROFILES, Profile
from .smart_charging import SmartCharging
from .transactions import Transactions

__all__ = ["Connector", "SimulatedCharger", "SimulatorOptions", "Station"]

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
    ca: str = ""  # the CA (or server certificate) file it trusts over wss://
    tls_url: str = ""  # the wss:// URL it moves to when SecurityProfile goes up to 2
    profile: str = "default"
    heartbeat_interval: int = 60
    # Timing knobs (seconds), short for tests and demos.
    boot_retry: float = 5.0
    backoff_base: float = 0.5
    backoff_max: float = 15.0
    reboot_delay: float = 1.0
    auto_unplug: float = 1.0  # after a stop, the driver unplugs this much later
    slow_delay: float | None = None  # overrides the "slow" profile's delay
    slow_reboot_delay: float | None = None  # overrides the "slow-reboot" profile's 90 s
    trigger_quiet: float = 5.0  # trigger-ignored: no status report of its own this long after the trigger
    charge_current: float = 16.0


class SimulatedCharger(Connection, Connectors, Transactions, Metering, SmartCharging, Files):
    """One simulated charger: `await run()` until `stop()`."""

    def __init__(self, options: SimulatorOptions | None = None) -> None:
        self.options = options or SimulatorOptions()
        self.id = self.options.charge_point_id
        self.profile: Profile = PROFILES[self.options.profile]
        absent = () if self.profile.auth_cache else ("AuthorizationCacheEnabled",)
        if not self.profile.vendor_keys:
            absent += tuple(VENDOR_KEYS)
        count = self.profile.connectors or self.options.connectors
        self.config = ConfigStore(
            count,
            self.options.heartbeat_interval,
            feature_profiles=self.profile.feature_profiles,
            absent=absent,
            values={
                "ChargingScheduleAllowedChargingRateUnit": self.profile.rate_units,
                "SupportedFileTransferProtocols": self.profile.transfer_protocols,
                **dict(self.profile.settings),
            },
            read_only=self.profile.read_only,
            reboot_keys=self.profile.reboot_keys,
        )
        if self.options.password:  # Basic auth: security profile 1 of the security white paper, 2 over wss://
            profile = "2" if self.options.url.startswith("wss://") else "1"
            self.config.keys["SecurityProfile"] = Key("SecurityProfile", profile)
        self.connectors = {n: Connector(n) for n in range(1, count + 1)}
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
        self.parent_of: dict[str, str] = {}  # idTag -> its parentIdTag, as the central system said
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
        self.boots = 0  # BootNotifications accepted
        self.updates = 0  # firmware updates installed
        self.last_sent = 0.0  # monotonic time of the last CALL sent
        self.last_beat = 0.0  # monotonic time of the last Heartbeat sent
        self.resets = 0  # Reset requests answered
        self.quiet_until = 0.0  # no own status report before this (trigger-ignored)

    @property
    def answer_delay(self) -> float:
        if self.options.slow_delay is not None and self.profile.answer_delay:
            return self.options.slow_delay
        return self.profile.answer_delay

    @property
    def reboot_delay(self) -> float:
        """Seconds between going down for a reboot and connecting again."""
        if self.profile.reboot_seconds is None:
            return self.options.reboot_delay
        if self.options.slow_reboot_delay is not None:
            return self.options.slow_reboot_delay
        return self.profile.reboot_seconds

    def stamp(self, moment: datetime | None = None) -> str:
        """A timestamp for a message: now, or `moment` (without its zone: naive-timestamps)."""
        return iso(moment or datetime.now(UTC), naive=self.profile.naive_timestamps)

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
