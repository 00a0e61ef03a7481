"""What the charger did, read from its evidence log: the log tailed from the
API (GET /api/chargers/<id>/frames), read by the one reader of the log
(chargers.frames.reader) and asked what it says in OCPP 1.6
(chargers.protocol.v16.state), the state the run waits on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from chargers.frames.reader import CALLRESULT, Log
from chargers.protocol.v16.state import State16

from .api import Api, ApiError

CHARGING = {"Charging", "SuspendedEV", "SuspendedEVSE"}
BUSY = CHARGING | {"Finishing"}
POLL = 0.3


@dataclass
class LogTail:
    """The charger's log since the run began, tailed from the API."""

    api: Api
    charger: str
    log: Log = field(default_factory=Log)
    start_seq: int = 0
    known: dict[int, tuple[str, str, int]] = field(default_factory=dict)  # the server's connectors at the start
    connected_at_start: bool = False
    started: dict[int, float] = field(default_factory=dict)  # transactionId -> monotonic time seen
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _memo: dict[str, tuple[int, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state = State16(self.log)

    def _once(self, name: str, compute: Callable[[], object]):
        """compute(), worked out once per frame read (the run's waits ask often)."""
        cached = self._memo.get(name)
        if cached is None or cached[0] != self.log.last_seq:
            cached = self._memo[name] = (self.log.last_seq, compute())
        return cached[1]

    async def load(self, start_seq: int) -> None:
        """Begin at the session's first frame; connectors as the server knows them."""
        self.start_seq = start_seq
        status, body = await self.api.call("GET", f"/chargers/{quote(self.charger, safe='')}")
        if status == 200:
            self.connected_at_start = body["connected"]
            for c in body["connectors"]:
                self.known[c["connector_id"]] = (c["status"], c["error_code"], 0)
        await self.poll()

    async def poll(self) -> None:
        for _ in range(100):
            status, frames = await self.api.call(
                "GET", f"/chargers/{quote(self.charger, safe='')}/frames?after_seq={self.seq}&limit=1000"
            )
            if status != 200 or not frames:
                return
            self.log.extend(frames)
            for start in self.state.started():
                self.started.setdefault(start.answer.get("transactionId"), time.monotonic())
            self._changed.set()
            if len(frames) < 1000:
                return

    # -- what the log says ---------------------------------------------------------

    @property
    def seq(self) -> int:
        """The last frame read (the session's start before any)."""
        return max(self.start_seq, self.log.last_seq)

    @property
    def connected(self) -> bool:
        for event in reversed(self.log.events):
            if event.event == "connected":
                return True
            if event.event in ("disconnected", "replaced"):
                return False
        return self.connected_at_start

    @property
    def statuses(self) -> dict[int, tuple[str, str, int]]:
        """connector -> (status, errorCode, seq) as last reported."""
        last = {c: (r.get("status", ""), r.get("errorCode", ""), r.seq) for c, r in self.state.last_statuses().items()}
        return {**self.known, **{0 if c is None else c: v for c, v in last.items()}}

    @property
    def transactions(self) -> dict[int, int]:
        """connector -> its transaction running."""
        return self.state.open_transactions()

    @property
    def stopped(self) -> set:
        return self._once("stopped", lambda: {s.get("transactionId") for s in self.log.calls("StopTransaction", "in")})

    @property
    def events(self) -> list[tuple[int, str]]:
        return [(e.seq, e.event) for e in self.log.events]

    @property
    def calls(self) -> list[tuple[int, str, dict, dict | None]]:
        """The charger's CALLs we answered: (seq, action, payload, our answer or None for a CALLERROR)."""
        return self._once("calls", self._calls)

    def _calls(self) -> list[tuple[int, str, dict, dict | None]]:
        answered = sorted(
            (r for records in self.log.by_action.values() for r in records if r.direction == "in" and r.answer),
            key=lambda r: r.answer.seq,
        )
        return [
            (r.seq, r.action, r.payload, r.answer.payload if r.answer.message_type == CALLRESULT else None)
            for r in answered
        ]

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
