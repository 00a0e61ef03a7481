"""One headless run of one session: its options, what it did per item, and
the plan it works (stages one after the other, lanes side by side)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from .api import Api, ApiError
from .steps import Outcome, Performer, Step
from .tail import CHARGING, LogTail

# Intervals real chargers accept; tried upwards from --interval on rejection.
INTERVAL_LADDER = (10, 15, 20, 30, 60, 120, 300)


@dataclass
class ItemRun:
    """What the run did for one item, beside the verdict the server gives it."""

    number: int
    started_at: float | None = None
    ended_at: float | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "HeartbeatInterval 10 s rejected; 15 s used"
    blocked: str = ""  # a step that could not be done: the item stays open with this reason
    deferred: bool = False  # its verdict comes with a later item (a key applied after a reboot)
    commands: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return round(self.ended_at - self.started_at, 1)


class Blocked(Exception):
    """A physical step could not be done: the item stops here and stays open."""


@dataclass
class RunOptions:
    charger: str
    items: list[int]
    timeout: float = 120.0  # per item
    step_timeout: float = 60.0  # evidence after a physical step
    max_minutes: float = 30.0
    interval: int = 10  # the first interval tried for HeartbeatInterval, MeterValueSampleInterval, ConnectionTimeOut
    offline_seconds: float = 60.0
    id_tag: str = "CERTIFY-OK"
    refused_id_tag: str = "CERTIFY-REFUSED"
    error_code: str = "GroundFailure"
    diagnostics: str = "http"  # item 13's upload: the session's HTTP URL, or "ftp" (the built-in FTP server)
    reboot_timeout: float = 180.0


class Run:
    """One headless run of one session."""

    def __init__(
        self,
        api: Api,
        session: int,
        options: RunOptions,
        performer: Performer,
        progress: Callable[[str], None] = print,
    ) -> None:
        self.api, self.session, self.options, self.performer = api, session, options, performer
        self.progress = progress
        self.tail = LogTail(api, options.charger)
        self.runs = {n: ItemRun(n) for n in options.items}
        self.config: dict[str, str] = {}
        self.began = time.monotonic()
        self.deadline = self.began + options.max_minutes * 60
        self.meter_interval = 0
        self.attempts_api = True
        self.reboot_required: set[str] = set()  # keys answered RebootRequired

    # -- talking --------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.progress(f"[{time.monotonic() - self.began:6.1f} s] {text}")

    def left(self, number: int) -> float:
        """Seconds this item may still take: its own deadline and the run's."""
        run = self.runs[number]
        item_end = (run.started_at or time.monotonic()) + self.options.timeout
        return max(0.0, min(item_end, self.deadline) - time.monotonic())

    async def command(self, item: int, action: str, payload: dict | None = None) -> dict | None:
        """Send one of the item's commands; the answer's payload, or None."""
        self.say(f"item {item}: {action} {json.dumps(payload or {}, separators=(',', ':'))[:120]}")
        status, body = await self.api.call(
            "POST", f"/sessions/{self.session}/items/{item}/commands/{action}", payload or {}
        )
        body = body if isinstance(body, dict) else {}
        answer = body.get("payload") if status == 200 else None
        outcome = (answer or {}).get("status", "answered") if status == 200 else body.get("message") or f"HTTP {status}"
        self.runs[item].commands.append(f"{action}: {outcome}")
        self.say(f"item {item}: {action} -> {outcome}")
        return answer

    async def step(self, item: int, name: str, connector: int = 1, id_tag: str = "", error_code: str = "") -> None:
        """A physical step; raises Blocked when it could not be done."""
        step = Step(name, item, connector, id_tag, error_code)
        outcome: Outcome = await self.performer.perform(step)
        if not outcome.done:
            self.say(f"{step.describe()}: could not be done: {outcome.reason}")
            raise Blocked(f"Step {name} (connector {connector}) could not be done: {outcome.reason}")

    async def wait(self, item: int, what: str, test: Callable[[], object], timeout: float | None = None) -> object:
        """Wait for evidence; a progress line says for what."""
        limit = min(self.options.step_timeout if timeout is None else timeout, self.left(item))
        found = test()
        if found:
            return found
        self.say(f"item {item}: waiting up to {limit:.0f} s for {what}")
        found = await self.tail.until(test, limit)
        if not found:
            self.say(f"item {item}: no {what} within {limit:.0f} s")
        return found

    async def pause(self, item: int, seconds: float, why: str) -> None:
        seconds = min(seconds, self.left(item))
        if seconds > 0:
            self.say(f"item {item}: {why} ({seconds:.0f} s)")
            await asyncio.sleep(seconds)

    async def items(self) -> dict[int, dict]:
        status, body = await self.api.call("GET", f"/sessions/{self.session}")
        if status != 200:
            raise ApiError(f"Could not read session {self.session}: HTTP {status}")
        return {item["number"]: item for item in body["items"]}

    async def start_attempt(self, number: int) -> None:
        self.runs[number].started_at = time.monotonic()
        if not self.attempts_api:
            return
        status, _ = await self.api.call("POST", f"/sessions/{self.session}/items/{number}/attempts", {})
        if status in (404, 405):  # a server without attempts: the verdicts span the session
            self.attempts_api = False

    async def settle(self, number: int) -> dict:
        """Wait until the item's verdict is no longer open, or its time is up."""
        notes = self.runs[number].notes if number in self.runs else []
        if notes and self.attempts_api:  # the item's remark says how the run got there
            await self.api.call("POST", f"/sessions/{self.session}/items/{number}/notes", {"notes": notes})
        shown = ""
        while True:
            item = (await self.items())[number]
            if item["verdict"] != "open" or self.left(number) <= 0:
                return item
            waiting = item.get("waiting") or {}
            text = waiting.get("person") or waiting.get("for") or item.get("reason", "")
            if text and text != shown:
                self.say(f"item {number}: open: {text}")
                shown = text
            await asyncio.sleep(1.0)

    # -- configuration a real charger accepts -----------------------------------------------

    async def configure(self, item: int, key: str) -> int | None:
        """Set an interval key to --interval, or the next larger value the
        charger accepts; the item's notes say when one was rejected."""
        first = self.options.interval
        ladder = [first, *(v for v in INTERVAL_LADDER if v > first)]
        rejected: list[str] = []
        for value in ladder:
            answer = await self.command(item, "ChangeConfiguration", {"key": key, "value": str(value)})
            status = (answer or {}).get("status")
            if status in ("Accepted", "RebootRequired"):
                if status == "RebootRequired":
                    self.reboot_required.add(key)
                if rejected:
                    self.runs[item].notes.append(f"{key} {', '.join(rejected)} s rejected; {value} s used")
                return value
            if status == "NotSupported" or answer is None:
                self.runs[item].notes.append(f"{key}: {status or 'no answer'}")
                return None
            rejected.append(str(value))
        self.runs[item].notes.append(f"{key}: every value from {first} to {ladder[-1]} s rejected")
        return None

    # -- the charger's shape ----------------------------------------------------------------

    @property
    def connectors(self) -> list[int]:
        try:
            count = int(self.config.get("NumberOfConnectors", ""))
        except ValueError:
            count = max([c for c in self.tail.statuses if c > 0], default=1)
        return list(range(1, max(1, count) + 1))

    @property
    def second(self) -> int:
        """The connector for the local start: another one if there is one."""
        return self.connectors[1] if len(self.connectors) > 1 else self.connectors[0]

    def flag(self, key: str) -> bool | None:
        value = self.config.get(key)
        return None if value is None else value.strip().lower() == "true"

    def profiles(self) -> set[str]:
        return {p.strip() for p in self.config.get("SupportedFeatureProfiles", "").split(",") if p.strip()}

    async def idle(self, item: int) -> None:
        """No Reset or UpdateFirmware while a transaction runs."""
        if self.tail.busy():
            await self.wait(
                item,
                f"the transactions on connector(s) {self.tail.busy()} to end",
                lambda: not self.tail.busy(),
                self.options.timeout,
            )

    async def reboot(self, item: int, mark: int) -> bool:
        found = await self.wait(
            item,
            "the charger back after its reboot (BootNotification accepted, connector statuses)",
            lambda: self.tail.back_after(mark, self.connectors),
            self.options.reboot_timeout,
        )
        return bool(found)

    async def transaction_on(self, item: int, connector: int) -> int | None:
        found = await self.wait(
            item, f"a transaction on connector {connector}", lambda: self.tail.transactions.get(connector)
        )
        return found if isinstance(found, int) else None

    async def transaction_ended(self, item: int, tx: int) -> bool:
        return bool(await self.wait(item, f"the end of transaction {tx}", lambda: tx in self.tail.stopped))

    async def plug(self, item: int, connector: int) -> None:
        """Plug, then wait until the charger reports it (Preparing, or at once
        charging for a card presented before)."""
        await self.step(item, "plug", connector)
        await self.wait(
            item,
            f"Preparing on connector {connector}",
            lambda: self.tail.status(connector) in ("Preparing", *CHARGING),
        )

    async def freed(self, item: int, connector: int) -> None:
        await self.wait(
            item,
            f"connector {connector} free (Available)",
            lambda: self.tail.status(connector) in ("Available", "Preparing", "Unavailable", ""),
        )


async def work(r: Run, number: int) -> None:
    """One item: start its attempt, do its part, wait for its verdict."""
    from .workers import RIDES_ON, WORKERS, prepare_meter_values

    run = r.runs[number]
    if time.monotonic() >= r.deadline:
        run.blocked = "Not worked: the run's --max-minutes ran out first"
        return
    for rider, host in RIDES_ON.items():
        if host == number and rider in r.runs and r.runs[rider].started_at is None:
            await r.start_attempt(rider)
            if rider == 8:
                await prepare_meter_values(r)
    if run.started_at is None:
        await r.start_attempt(number)
    try:
        await WORKERS[number](r)
    except Blocked as exc:
        run.blocked = str(exc)
        if r.attempts_api:  # the item's page says why it stays open
            await r.api.call("POST", f"/sessions/{r.session}/items/{number}/attempts/abandon", {"reason": run.blocked})
    if not run.blocked and not run.deferred:
        item = await r.settle(number)
        r.say(f"item {number}: {item['verdict']} {item.get('remark') or item.get('reason', '')}")
    run.ended_at = time.monotonic()


async def lane(r: Run, numbers: tuple[int, ...]) -> None:
    for number in numbers:
        if number in r.runs:
            await work(r, number)


async def drive(r: Run, start_seq: int) -> dict[int, dict]:
    """Work the run's items by the plan; return the final items of the session."""
    from .workers import PLAN

    await r.tail.load(start_seq)
    stop = asyncio.Event()
    follower = asyncio.create_task(r.tail.follow(stop))
    try:
        if 4 not in r.runs:  # the rest still needs the charger's configuration
            answer = await r.api.call(
                "POST", f"/chargers/{quote(r.options.charger, safe='')}/commands/GetConfiguration", {}
            )
            if answer[0] == 200:
                for entry in (answer[1].get("payload") or {}).get("configurationKey", []) or []:
                    r.config[entry.get("key", "")] = entry.get("value", "") or ""
        for stage in PLAN:
            await asyncio.gather(*(lane(r, numbers) for numbers in stage))
    finally:
        stop.set()
        await follower
    status, body = await r.api.call("GET", f"/sessions/{r.session}?evaluate=true")
    if status != 200:
        raise ApiError(f"Could not read session {r.session}: HTTP {status}")
    items = {item["number"]: item for item in body["items"]}
    return {n: items[n] for n in r.options.items}
