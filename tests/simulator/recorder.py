"""A simulated charger without a socket: what it would send is recorded, and
the central system's answers are the plainest legal ones. For the simulator's
own unit tests, which need no server."""

from __future__ import annotations

import asyncio

from ocpp.v16 import call_result

from chargers.simulator import SimulatedCharger, SimulatorOptions


class Recorder(SimulatedCharger):
    """A charger whose every CALL is recorded in `sent` (action, payload) instead of sent."""

    def __init__(
        self, profile: str = "default", refused: tuple[str, ...] = (), parents: dict | None = None, **options
    ) -> None:
        knobs = {"auto_unplug": 0.05, "reboot_delay": 0.05, **options}
        super().__init__(SimulatorOptions(profile=profile, **knobs))
        self.sent: list[tuple[str, object]] = []
        self.refused = set(refused)  # cards the central system answers Invalid
        self.parents = parents or {}  # card -> the parentIdTag the central system answers
        self.online.set()
        self.booted = True
        self._next_transaction = 100

    async def send(self, payload, queue_offline: bool = False):
        action = type(payload).__name__
        if queue_offline and self.queue:
            self.queue.append(payload)
            return None
        self.sent.append((action, payload))
        tag = getattr(payload, "id_tag", None)
        info = {"status": "Invalid" if tag in self.refused else "Accepted"}
        if tag in self.parents:
            info["parent_id_tag"] = self.parents[tag]
        if action == "StartTransaction":
            self._next_transaction += 1
            return call_result.StartTransaction(transaction_id=self._next_transaction, id_tag_info=info)
        if action == "Authorize":
            return call_result.Authorize(id_tag_info=info)
        return None

    def actions(self, *names: str) -> list[object]:
        """The payloads sent of these actions, in order."""
        return [p for a, p in self.sent if a in names]

    def statuses(self, connector: int) -> list[str]:
        return [p.status for p in self.actions("StatusNotification") if p.connector_id == connector]

    async def until(self, predicate, timeout: float = 10) -> None:
        """Wait, bounded, until `predicate()` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            assert loop.time() < deadline, "condition not met in time"
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.stop()
