"""What the charger did, read from its evidence log: the log tailed from the
API (GET /api/chargers/<id>/frames), read with the one reader of the log
(chargers.frames.reader) and asked what an OCPP 1.6 log says
(chargers.protocol.v16.state): the run waits on its answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from urllib.parse import quote

from chargers.frames.reader import CALLRESULT, Log
from chargers.protocol.v16.state import CHARGING_STATES, State16

from .api import Api, ApiError

CHARGING = set(CHARGING_STATES)
BUSY = CHARGING | {"Finishing"}
POLL = 0.3
PAGE = 1000


class LogTail:
    """The charger's log since the session began, as the run has seen it so far."""

    def __init__(self, api: Api, charger: str) -> None:
        self.api, self.charger = api, charger
        self.log = Log()
        self.state = State16(self.log)
        self.start_seq = 0
        self.connected_before = False  # as the server said when the run began
        self.started: dict[int, float] = {}  # transactionId -> when the run saw it start (monotonic)
        self._changed = asyncio.Event()

    @property
    def seq(self) -> int:
        """The latest frame seen: a mark to ask for what came after."""
        return max(self.start_seq, self.log.last_seq)

    async def load(self, start_seq: int) -> None:
        """Begin at the session's first frame; connectors as the server knows them."""
        self.start_seq = start_seq
        status, body = await self.api.call("GET", f"/chargers/{quote(self.charger, safe='')}")
        if status == 200:
            self.connected_before = body["connected"]
            connectors = {str(c["connector_id"]): c["status"] for c in body["connectors"]}
            self.state = State16(self.log, {"connectors": connectors})
        await self.poll()

    async def poll(self) -> None:
        for _ in range(100):
            status, frames = await self.api.call(
                "GET", f"/chargers/{quote(self.charger, safe='')}/frames?after_seq={self.seq}&limit={PAGE}"
            )
            if status != 200 or not frames:
                return
            if self.log.extend(frames):
                self._note_starts()
                self._changed.set()
            if len(frames) < PAGE:
                return

    def _note_starts(self) -> None:
        now = time.monotonic()
        for start in self.state.started():
            self.started.setdefault(start.answer.get("transactionId"), now)

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

    @property
    def connected(self) -> bool:
        said = self.log.connected()
        return self.connected_before if said is None else said

    def status(self, connector: int) -> str:
        """The connector's latest status ('' when none is known)."""
        record = self.state.last_statuses().get(connector)
        if record is not None:
            return record.get("status") or ""
        return self.state.initial_statuses().get(connector, "")

    def connector_ids(self) -> list[int]:
        """The connectors (not the station) the charger has named."""
        known = {*self.state.initial_statuses(), *self.state.last_statuses()}
        return sorted(c for c in known if isinstance(c, int) and c > 0)

    @property
    def transactions(self) -> dict[int, int]:
        """connector -> its transaction running (started and not stopped)."""
        return self.state.open_transactions()

    @property
    def stopped(self) -> set[int]:
        """The transactions whose StopTransaction came."""
        return {s.get("transactionId") for s in self.log.calls("StopTransaction", "in")}

    def status_since(self, mark: int, connector: int | None, wanted: Callable[[str, str], bool]) -> bool:
        """A StatusNotification after mark (of a connector, or any) that `wanted(status, errorCode)`."""
        return any(
            wanted(r.get("status") or "", r.get("errorCode") or "") for r in self.state.statuses(connector, lo=mark)
        )

    def call_since(self, mark: int, action: str, test: Callable[[dict, dict | None], bool] = lambda p, a: True):
        """The seq of the charger's first CALL of an action after mark, answered,
        that test(payload, answer) accepts (answer None for a CALLERROR)."""
        for record in self.log.calls(action, "in", lo=mark):
            if record.answer is None:
                continue
            answer = record.answer.payload if record.answer.message_type == CALLRESULT else None
            if test(record.payload, answer if isinstance(answer, dict) else None):
                return record.seq
        return None

    def event_since(self, mark: int, kind: str) -> int | None:
        """The seq of the first connection event of a kind after mark."""
        return next((r.seq for r in self.log.events_between(mark) if r.event == kind), None)

    def back_after(self, mark: int, connectors: list[int]) -> bool:
        """Rebooted and back: a BootNotification accepted after mark, then the
        status of every connector."""
        boot = self.call_since(mark, "BootNotification", lambda p, a: (a or {}).get("status") == "Accepted")
        if boot is None:
            return False
        return all(self.status_since(boot, c, lambda s, e: True) for c in connectors)

    def busy(self) -> list[int]:
        """Connectors with a transaction running (or finishing)."""
        statuses = {c: self.status(c) for c in self.connector_ids()}
        return sorted({*self.transactions, *(c for c, s in statuses.items() if s in BUSY)})
