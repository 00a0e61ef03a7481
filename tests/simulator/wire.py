"""A central system small enough to script, for what only the wire shows: the
order in which frames leave the charger, and answers our own central system
never gives (a CALLERROR for a valid message). Everything it receives and sends
is kept in `wire`, in order."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable

import websockets

from chargers.simulator import SimulatedCharger, SimulatorOptions

NOW = "2025-01-01T00:00:00Z"
ANSWERS = {
    "BootNotification": {"status": "Accepted", "currentTime": NOW, "interval": 300},
    "Heartbeat": {"currentTime": NOW},
    "Authorize": {"idTagInfo": {"status": "Accepted"}},
    "StartTransaction": {"transactionId": 1, "idTagInfo": {"status": "Accepted"}},
    "StopTransaction": {},
}


class Scripted:
    """`answer(action, n)` -> (delay s, a CALLRESULT payload or an error code) for the n-th CALL of an action."""

    def __init__(self, answer: Callable[[str, int], tuple[float, dict | str]] | None = None) -> None:
        self.answer = answer or (lambda action, n: (0.0, ANSWERS.get(action, {})))
        self.wire: list[tuple[str, str]] = []  # ("CALL" | "answer" | "error", action)
        self.counts: dict[str, int] = {}

    def seen(self, kind: str, action: str) -> int:
        return sum(1 for k, a in self.wire if (k, a) == (kind, action))

    async def _reply(self, ws, uid: str, action: str, n: int) -> None:
        delay, body = self.answer(action, n)
        await asyncio.sleep(delay)
        if isinstance(body, str):
            self.wire.append(("error", action))
            await ws.send(json.dumps([4, uid, body, "scripted", {}]))
        else:
            self.wire.append(("answer", action))
            await ws.send(json.dumps([3, uid, body]))

    async def serve(self, ws) -> None:
        replies = set()
        async for raw in ws:
            message = json.loads(raw)
            if message[0] != 2:
                continue
            _, uid, action, _ = message
            self.counts[action] = self.counts.get(action, 0) + 1
            self.wire.append(("CALL", action))
            reply = asyncio.create_task(self._reply(ws, uid, action, self.counts[action]))
            replies.add(reply)
            reply.add_done_callback(replies.discard)


@contextlib.asynccontextmanager
async def charger_at(script: Scripted, profile: str = "default") -> AsyncIterator[SimulatedCharger]:
    """A simulated charger, booted against the scripted central system."""
    async with websockets.serve(script.serve, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:
        port = server.sockets[0].getsockname()[1]
        sim = SimulatedCharger(SimulatorOptions(url=f"ws://127.0.0.1:{port}/", charge_point_id="WIRE", profile=profile))
        task = asyncio.create_task(sim.run())
        try:
            await sim.wait_booted(15)
            yield sim
        finally:
            await sim.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def until(predicate, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
