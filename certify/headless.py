"""Run the automatic part of a certification without a browser, for firmware
teams' pipelines: `python manage.py certify --charger CP1 --url ws://host:8000/ocpp/`.

The run talks to the server through its JSON API, exactly as the buttons do
(so it works against a server in another process), and, when the charger is
the built-in simulator, drives its physical events (plug, card, fault,
offline) too. Each item is worked in order and then awaited until its verdict
is no longer open or its time runs out.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

SAMPLE_INTERVAL = 1
HEARTBEAT_INTERVAL = 2


class ApiError(Exception):
    pass


@dataclass
class Api:
    """The server's JSON API, from a thread so the event loop stays free."""

    base: str
    token: str

    def _call(self, method: str, path: str, body=None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + "/api" + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            try:
                return error.code, json.loads(error.read() or b"null")
            except ValueError:
                return error.code, None
        except OSError as error:
            raise ApiError(f"{self.base} is not reachable: {error}") from error

    async def call(self, method: str, path: str, body=None) -> tuple[int, object]:
        return await asyncio.to_thread(partial(self._call, method, path, body))


def http_base(ws_url: str) -> str:
    """ws://host:8000/ocpp/ -> http://host:8000 (wss -> https)."""
    parts = urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return f"{scheme}://{parts.netloc}"


@dataclass
class Run:
    api: Api
    session: int
    charger: str
    sim: object | None = None  # a chargers.simulator.SimulatedCharger when simulated
    connectors: int = 2
    log: list[str] = field(default_factory=list)

    async def command(self, item: int, action: str, payload: dict | None = None) -> dict:
        status, body = await self.api.call(
            "POST", f"/sessions/{self.session}/items/{item}/commands/{action}", payload or {}
        )
        self.log.append(
            f"item {item}: {action} -> {status} {(body or {}).get('status') if isinstance(body, dict) else ''}"
        )
        return body if isinstance(body, dict) else {}

    async def items(self, evaluate: bool = True) -> dict[int, dict]:
        status, body = await self.api.call(
            "GET", f"/sessions/{self.session}?evaluate={'true' if evaluate else 'false'}"
        )
        if status != 200:
            raise ApiError(f"Could not read session {self.session}: HTTP {status}")
        return {item["number"]: item for item in body["items"]}

    async def settle(self, number: int, timeout: float) -> dict:
        """Wait until the item is no longer open (or the time is up)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            item = (await self.items())[number]
            if item["verdict"] != "open" or loop.time() > deadline:
                return item
            await asyncio.sleep(0.5)

    async def active_transaction(self, connector: int, timeout: float = 10) -> int | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.sim is not None:
                tx = self.sim.state()["connectors"].get(str(connector), {}).get("transaction_id")
                if tx:
                    return tx
            await asyncio.sleep(0.2)
        return None


# -- one step per item -----------------------------------------------------------------
# Each step does what the engineer would click (and, when simulated, what the
# engineer would do by hand). Steps for physical events are skipped on real
# hardware: the run then waits for the engineer and the charger.

Step = Callable[[Run], Awaitable[None]]


async def step_boot(run: Run) -> None:
    # A boot inside the session; item 18's TriggerMessage follows it by itself.
    await run.command(1, "TriggerMessage", {"requestedMessage": "BootNotification"})


async def step_heartbeat(run: Run) -> None:
    await run.command(2, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": str(HEARTBEAT_INTERVAL)})
    await run.command(2, "TriggerMessage", {"requestedMessage": "Heartbeat"})


async def step_availability(run: Run) -> None:
    await run.command(3, "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
    await asyncio.sleep(0.5)
    await run.command(3, "ChangeAvailability", {"connectorId": 0, "type": "Operative"})


async def step_get_configuration(run: Run) -> None:
    await run.command(4, "GetConfiguration", {})


async def step_change_configuration(run: Run) -> None:
    await run.command(5, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": str(SAMPLE_INTERVAL)})


async def step_start(run: Run) -> None:
    await run.command(6, "RemoteStartTransaction", {"connectorId": 1, "idTag": "{id_tag}"})
    if run.sim is not None:
        await asyncio.sleep(1)
        await run.sim.plug(2)
        await run.sim.swipe("CERTIFY02", 2)


async def step_stop(run: Run) -> None:
    await asyncio.sleep(SAMPLE_INTERVAL * 3 + 0.5)  # periodic meter values first (item 8)
    tx = await run.active_transaction(1)
    await run.command(7, "RemoteStopTransaction", {"transactionId": tx or "{transaction_id}"})
    if run.sim is not None:
        await run.sim.swipe("CERTIFY02", 2)  # local stop
        await asyncio.sleep(1.5)
        await run.sim.unplug(2)
        await run.sim.plug(1)
        await run.sim.swipe("CERTIFY03", 1)
        await asyncio.sleep(1.5)
        await run.sim.unplug(1)  # stop on unplug: EVDisconnected


async def step_meter_values(run: Run) -> None:
    """Item 8 rests on the transactions of items 6 and 7."""


async def step_reset(run: Run) -> None:
    for kind in ("Hard", "Soft"):
        await run.command(9, "Reset", {"type": kind})
        await _wait_online(run, 30)


async def _wait_online(run: Run, timeout: float) -> None:
    if run.sim is None:
        await asyncio.sleep(5)
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    await asyncio.sleep(0.5)
    while loop.time() < deadline and not run.sim.state().get("booted"):  # noqa: ASYNC110 (another object's state)
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)


async def step_error(run: Run) -> None:
    if run.sim is not None:
        await run.sim.raise_fault(0, "GroundFailure")
        await asyncio.sleep(0.5)
        await run.sim.clear_fault(0)


async def step_cable(run: Run) -> None:
    await run.command(11, "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "2"})
    if run.sim is not None:
        await run.sim.plug(1)
        await asyncio.sleep(3)  # past ConnectionTimeOut: back to Available


async def step_firmware(run: Run) -> None:
    await run.command(12, "UpdateFirmware", {"location": "{firmware_url}", "retrieveDate": "{now}"})
    await asyncio.sleep(1)
    await _wait_online(run, 60)


async def step_diagnostics(run: Run) -> None:
    await run.command(
        13, "GetDiagnostics", {"location": "{diagnostics_http_url}", "startTime": "{hour_ago}", "stopTime": "{now}"}
    )


async def step_profile(run: Run) -> None:
    for connector in range(1, run.connectors + 1):
        await run.command(
            14,
            "SetChargingProfile",
            {
                "connectorId": connector,
                "csChargingProfiles": {
                    "chargingProfileId": connector,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": {
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
                    },
                },
            },
        )


async def step_offline(run: Run) -> None:
    if run.sim is not None:
        await run.sim.go_offline(4)
        await asyncio.sleep(0.3)
        await run.sim.plug(1)
        await run.sim.swipe("CERTIFY04", 1)
        await asyncio.sleep(1.5)
        await run.sim.unplug(1)
        await _wait_online(run, 30)


async def step_clear_cache(run: Run) -> None:
    await run.command(17, "ClearCache", {})


async def step_nothing(run: Run) -> None:
    """Items judged from what other steps caused (15 is manual)."""


STEPS: dict[int, Step] = {
    1: step_boot,
    2: step_heartbeat,
    3: step_availability,
    4: step_get_configuration,
    5: step_change_configuration,
    6: step_start,
    7: step_stop,
    8: step_meter_values,
    9: step_reset,
    10: step_error,
    11: step_cable,
    12: step_firmware,
    13: step_diagnostics,
    14: step_profile,
    15: step_nothing,
    16: step_offline,
    17: step_clear_cache,
    18: step_nothing,
}
MANUAL = {15}


async def drive(run: Run, numbers: list[int], item_timeout: float, progress=print) -> dict[int, dict]:
    """Work the items in order and wait for each verdict; return the final items."""
    for number in numbers:
        await STEPS[number](run)
    results: dict[int, dict] = {}
    for number in numbers:
        if number in MANUAL:
            continue
        item = await run.settle(number, item_timeout)
        progress(f"{number:>2} {item['verdict']:<14} {item['remark'] or item['reason']}")
    results = await run.items()
    return {n: results[n] for n in numbers}


def table(items: dict[int, dict]) -> str:
    rows = [f"{'#':>2}  {'Function':<58} {'Verdict':<14} Result"]
    for number, item in sorted(items.items()):
        text = item["remark"] if item["verdict"] == "passed" and item["remark"] else item["reason"]
        rows.append(f"{number:>2}  {item['function'][:58]:<58} {item['verdict']:<14} {text}")
    return "\n".join(rows)
