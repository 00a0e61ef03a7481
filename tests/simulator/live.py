"""Running the simulator against the live central system, and reading what the
central system logged: the frames, in the order it received them."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from asgiref.sync import sync_to_async

from chargers.models import Frame
from chargers.simulator import SimulatedCharger, SimulatorOptions


async def until(predicate, timeout: float = 15) -> None:
    """Wait (bounded) until a synchronous predicate, run off the loop, holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await sync_to_async(predicate)():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


def frames(cp_id: str) -> list[Frame]:
    return list(Frame.objects.filter(charger__charge_point_id=cp_id).order_by("seq"))


def charger_calls(cp_id: str) -> list[tuple[str, dict]]:
    return [(f.action, json.loads(f.raw)[3]) for f in frames(cp_id) if f.direction == "in" and f.message_type == 2]


@dataclass
class Call:
    """A CALL the charger sent, as the central system logged it."""

    seq: int
    action: str
    payload: dict


def calls(cp_id: str, *actions: str, after: int = 0) -> list[Call]:
    """The charger's CALLs (of these actions, after seq `after`), in order."""
    found = []
    for f in frames(cp_id):
        if f.direction == "in" and f.message_type == 2 and f.seq > after and (not actions or f.action in actions):
            found.append(Call(f.seq, f.action, json.loads(f.raw)[3]))
    return found


def statuses(cp_id: str, connector: int, after: int = 0) -> list[Call]:
    return [c for c in calls(cp_id, "StatusNotification", after=after) if c.payload["connectorId"] == connector]


def events(cp_id: str, name: str) -> list[Frame]:
    """Connection events (connected, disconnected, ...) the central system logged."""
    return [f for f in frames(cp_id) if f.direction == "event" and f'"{name}"' in f.raw]


def last_seq(cp_id: str) -> int:
    every = frames(cp_id)
    return every[-1].seq if every else 0


async def acalls(cp_id: str, *actions: str, after: int = 0) -> list[Call]:
    return await sync_to_async(calls)(cp_id, *actions, after=after)


async def astatuses(cp_id: str, connector: int, after: int = 0) -> list[Call]:
    return await sync_to_async(statuses)(cp_id, connector, after=after)


async def alast_seq(cp_id: str) -> int:
    return await sync_to_async(last_seq)(cp_id)


async def command(server, cp_id: str, action: str, payload: dict | None = None) -> tuple[int, dict]:
    """Send a command through the central system's API: (HTTP status, CommandResult)."""
    return await server.aapi("POST", f"/chargers/{cp_id}/commands/{action}", payload or {})


@contextlib.asynccontextmanager
async def running(server, cp_id: str, profile: str = "default", **options) -> AsyncIterator[SimulatedCharger]:
    """A simulated charger with `profile`, booted against the live server; short waits."""
    knobs = {"backoff_base": 0.2, "reboot_delay": 0.3, "auto_unplug": 0.5, **options}
    sim = SimulatedCharger(SimulatorOptions(url=server.ws_url, charge_point_id=cp_id, profile=profile, **knobs))
    task = asyncio.create_task(sim.run())
    try:
        await sim.wait_booted(15)
        yield sim
    finally:
        await sim.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
