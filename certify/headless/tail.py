"""What the charger did, read from its evidence log: the log tailed from the
API (GET /api/chargers/<id>/frames) and folded into the state the run waits on."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from .api import Api, ApiError

CHARGING = {"Charging", "SuspendedEV", "SuspendedEVSE"}
BUSY = CHARGING | {"Finishing"}
POLL = 0.3


@dataclass
class LogTail:
    """The charger's log since the run began, tailed from the API and folded
    into the state the run waits on."""

    api: Api
    charger: str
    seq: int = 0
    connected: bool = False
    statuses: dict[int, tuple[str, str, int]] = field(default_factory=dict)  # connector -> (status, error, seq)
    transactions: dict[int, int] = field(default_factory=dict)  # connector -> open transactionId
    started: dict[int, float] = field(default_factory=dict)  # transactionId -> monotonic time seen
    stopped: set[int] = field(default_factory=set)
    events: list[tuple[int, str]] = field(default_factory=list)  # (seq, event)
    calls: list[tuple[int, str, dict, dict | None]] = field(default_factory=list)  # (seq, action, payload, answer)
    _pending: dict[str, tuple[int, str, dict]] = field(default_factory=dict)  # unique id of a charger CALL
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def load(self, start_seq: int) -> None:
        """Begin at the session's first frame; connectors as the server knows them."""
        self.seq = start_seq
        status, body = await self.api.call("GET", f"/chargers/{quote(self.charger, safe='')}")
        if status == 200:
            self.connected = body["connected"]
            for c in body["connectors"]:
                self.statuses[c["connector_id"]] = (c["status"], c["error_code"], 0)
        await self.poll()

    async def poll(self) -> None:
        for _ in range(100):
            status, frames = await self.api.call(
                "GET", f"/chargers/{quote(self.charger, safe='')}/frames?after_seq={self.seq}&limit=1000"
            )
            if status != 200 or not frames:
                return
            for frame in frames:
                self._fold(frame)
            self._changed.set()
            if len(frames) < 1000:
                return

    def _fold(self, frame: dict) -> None:
        self.seq = max(self.seq, frame["seq"])
        try:
            data = json.loads(frame["raw"])
        except ValueError:
            return
        if frame["direction"] == "event":
            kind = data.get("event", "") if isinstance(data, dict) else ""
            self.events.append((frame["seq"], kind))
            if kind == "connected":
                self.connected = True
            elif kind in ("disconnected", "replaced"):
                self.connected = False
            return
        if not isinstance(data, list) or len(data) < 3:
            return
        if frame["direction"] == "in" and data[0] == 2 and len(data) == 4 and isinstance(data[3], dict):
            action, payload = data[2], data[3]
            self._pending[data[1]] = (frame["seq"], action, payload)
            if action == "StatusNotification":
                self.statuses[payload.get("connectorId", 0)] = (
                    payload.get("status", ""),
                    payload.get("errorCode", ""),
                    frame["seq"],
                )
            elif action == "StopTransaction":
                tx = payload.get("transactionId")
                self.stopped.add(tx)
                for connector, open_tx in list(self.transactions.items()):
                    if open_tx == tx:
                        del self.transactions[connector]
        elif frame["direction"] == "out" and data[0] in (3, 4) and data[1] in self._pending:
            seq, action, payload = self._pending.pop(data[1])
            answer = data[2] if data[0] == 3 and isinstance(data[2], dict) else None
            self.calls.append((seq, action, payload, answer))
            if action == "StartTransaction" and answer and "transactionId" in answer:
                tx = answer["transactionId"]
                if tx not in self.stopped:
                    self.transactions[payload.get("connectorId", 0)] = tx
                self.started.setdefault(tx, time.monotonic())

    async def follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.poll()
            except ApiError:
                pass
            await asyncio.sleep(POLL)

    async def until(self, test: Callable[[], object], timeout: float) -> object:
        """Wait until test() is truthy (re-checked as frames come); None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            found = test()
            if found or time.monotonic() >= deadline:
                return found or None
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(1.0, max(0.01, deadline - time.monotonic())))
            except TimeoutError:
                pass

    # -- questions the run asks ----------------------------------------------------

    def status(self, connector: int) -> str:
        return self.statuses.get(connector, ("", "", 0))[0]

    def status_since(self, mark: int, connector: int | None, wanted: Callable[[str, str], bool]) -> bool:
        return any(
            seq > mark and (connector is None or c == connector) and wanted(status, error)
            for c, (status, error, seq) in self.statuses.items()
        ) or any(
            seq > mark
            and action == "StatusNotification"
            and (connector is None or payload.get("connectorId") == connector)
            and wanted(payload.get("status", ""), payload.get("errorCode", ""))
            for seq, action, payload, _ in self.calls
        )

    def call_since(self, mark: int, action: str, test: Callable[[dict, dict | None], bool] = lambda p, a: True):
        for seq, name, payload, answer in self.calls:
            if seq > mark and name == action and test(payload, answer):
                return seq
        return None

    def event_since(self, mark: int, kind: str) -> int | None:
        return next((seq for seq, event in self.events if seq > mark and event == kind), None)

    def back_after(self, mark: int, connectors: list[int]) -> bool:
        """Rebooted and back: a BootNotification accepted after mark, then the
        status of every connector."""
        boot = self.call_since(mark, "BootNotification", lambda p, a: (a or {}).get("status") == "Accepted")
        if boot is None:
            return False
        return all(self.status_since(boot, c, lambda s, e: True) for c in connectors)

    def busy(self) -> list[int]:
        """Connectors with a transaction running (or finishing)."""
        return sorted({*self.transactions, *(c for c, (s, _, _) in self.statuses.items() if c and s in BUSY)})
