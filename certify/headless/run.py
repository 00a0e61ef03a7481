"""One headless run of one session: its options, what it did per case, and the
plan it works. The run is handed its catalog: the plan (stages one after the
other, lanes side by side, each lane's cases in order) and, per case, its
`drive` (what the engineer would click and do by hand) and the case it rides
on. The run names no case itself."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn, Protocol
from urllib.parse import quote

from .api import Api, ApiError
from .steps import Outcome, Performer, Step
from .tail import CHARGING, LogTail

# Intervals real chargers accept; tried upwards from --interval on rejection.
INTERVAL_LADDER = (10, 15, 20, 30, 60, 120, 300)


class Command(Protocol):
    action: str
    payload: dict


class Case(Protocol):
    """What the run reads of a case of its catalog."""

    key: str
    number: int
    commands: Sequence[Command]
    drive: Callable[[CaseRun], Awaitable[None]] | None  # None: judged from what other cases cause
    # Begins just before that case is worked (its evidence is that case's doing); of
    # several, the first the run works.
    rides_on: str | tuple[str, ...] | None


class Catalog(Protocol):
    cases: Sequence[Case]
    plan: Sequence[Sequence[Sequence[str]]]  # stages of lanes of case keys


class Blocked(Exception):
    """A physical step could not be done, or doing the next one would be unsafe:
    the case stops here and stays open, saying why."""


class Inconclusive(Blocked):
    """The bench or the rig cannot test the case (a step the rig cannot do, no
    firmware image): its attempt ends inconclusive, as OCTT's INCONC."""


@dataclass
class RunOptions:
    charger: str
    items: list[str]  # case keys
    timeout: float = 120.0  # per item
    step_timeout: float = 60.0  # evidence after a physical step
    max_minutes: float = 30.0
    interval: int = 10  # the first interval tried for HeartbeatInterval, MeterValueSampleInterval, ConnectionTimeOut
    offline_seconds: float = 60.0
    id_tag: str = "CERTIFY-OK"  # the remote start's card, answered Accepted
    local_id_tag: str = "CERTIFY-LOCAL"  # a second card for the local start, answered Accepted
    refused_id_tag: str = "CERTIFY-REFUSED"  # answered Invalid
    error_code: str = "GroundFailure"
    # The diagnostics upload: "auto" (FTP first unless the charger lists only HTTP(S), then the
    # other after UploadFailed), "ftp" (the built-in FTP server) or "http" (the session's HTTP URL)
    diagnostics: str = "auto"
    reboot_timeout: float = 300.0  # a reboot's own budget, beside the item's
    firmware: str = ""  # the name of the image hosted for the firmware update; "" none (inconclusive)


def hosts(case: Case, keys: Sequence[str]) -> str | None:
    """The case of the run a case rides on: the first of its rides_on the run works."""
    ride = case.rides_on
    return next((key for key in ((ride,) if isinstance(ride, str) else ride or ()) if key in keys), None)


def reads_configuration(case: Case) -> bool:
    """A case that asks for the whole configuration (GetConfiguration without
    keys): the run learns the charger's configuration from it."""
    return any(c.action == "GetConfiguration" and not c.payload for c in case.commands)


class Run:
    """One headless run of one session."""

    def __init__(
        self,
        api: Api,
        session: int,
        options: RunOptions,
        performer: Performer,
        catalog: Catalog,
        progress: Callable[[str], None] = print,
    ) -> None:
        self.api, self.session, self.options, self.performer = api, session, options, performer
        self.catalog = catalog
        self.progress = progress
        self.tail = LogTail(api, options.charger)
        self.catalog_cases = {case.key: case for case in catalog.cases}
        self.runs = {str(key): CaseRun(self, str(key)) for key in options.items}
        self.config: dict[str, str] = {}
        self.config_known = False
        self._config_lock = asyncio.Lock()
        self.began = time.monotonic()
        self.ended: float | None = None
        self.deadline = self.began + options.max_minutes * 60
        self.attempts_api = True
        self.reboot_required: set[str] = set()  # keys answered RebootRequired

    def say(self, text: str) -> None:
        self.progress(f"[{time.monotonic() - self.began:6.1f} s] {text}")

    @property
    def elapsed(self) -> float:
        """The run's wall clock, in seconds (so far, or in all once it ended)."""
        return round((self.ended or time.monotonic()) - self.began, 1)

    async def items(self) -> dict[str, dict]:
        """The session's items as the server judges them, by key."""
        status, body = await self.api.call("GET", f"/sessions/{self.session}")
        if status != 200:
            raise ApiError(f"Could not read session {self.session}: HTTP {status}")
        return {item["key"]: item for item in body["items"]}

    async def know_configuration(self, case: Case) -> None:
        """Before a case is worked the run knows the charger's configuration
        (connectors, profiles, flags): read through the charger's API, unless
        the case reads it itself."""
        async with self._config_lock:
            if self.config_known:
                return
            self.config_known = True
            if reads_configuration(case):
                return
            status, body = await self.api.call(
                "POST", f"/chargers/{quote(self.options.charger, safe='')}/commands/GetConfiguration", {}
            )
            if status == 200:
                self.learn_configuration(body.get("payload"))

    def learn_configuration(self, answer: dict | None) -> None:
        """Keep the keys a GetConfiguration answer carries."""
        for entry in (answer or {}).get("configurationKey", []) or []:
            self.config[entry.get("key", "")] = entry.get("value", "") or ""

    # -- the charger's shape ----------------------------------------------------------------

    @property
    def connectors(self) -> list[int]:
        try:
            count = int(self.config.get("NumberOfConnectors", ""))
        except ValueError:
            count = max(self.tail.connector_ids(), default=1)
        return list(range(1, max(1, count) + 1))

    @property
    def second(self) -> int:
        """The connector for a local start: another one if there is one."""
        return self.connectors[1] if len(self.connectors) > 1 else self.connectors[0]

    def flag(self, key: str) -> bool | None:
        value = self.config.get(key)
        return None if value is None else value.strip().lower() == "true"

    def profiles(self) -> set[str]:
        return {p.strip() for p in self.config.get("SupportedFeatureProfiles", "").split(",") if p.strip()}


class CaseRun:
    """One case's part of a run: what its `drive` is handed (commands, physical
    steps, waits for evidence, all on the case's behalf) and what the run did
    for it, beside the verdict the server gives it."""

    def __init__(self, run: Run, key: str) -> None:
        self.run, self.key = run, key
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.notes: list[str] = []  # e.g. "HeartbeatInterval 10 s rejected; 15 s used"
        self.blocked = ""  # why the case has no verdict: a step not done, an unsafe command not sent, no time left
        self.inconclusive = False  # the bench or the rig could not test it (its attempt ended so)
        self.extra = 0.0  # seconds spent on reboots and on ending transactions: added to its deadline
        self.deferred = False  # its verdict comes with a later case (a key applied after a reboot)
        self.riding = False  # begun before the case it rides on
        self.driven = False
        self.commands: list[str] = []

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return round(self.ended_at - self.started_at, 1)

    # -- the run, seen from the case --------------------------------------------------------

    @property
    def options(self) -> RunOptions:
        return self.run.options

    @property
    def tail(self) -> LogTail:
        return self.run.tail

    @property
    def config(self) -> dict[str, str]:
        return self.run.config

    @property
    def connectors(self) -> list[int]:
        return self.run.connectors

    @property
    def second(self) -> int:
        return self.run.second

    def flag(self, key: str) -> bool | None:
        return self.run.flag(key)

    def profiles(self) -> set[str]:
        return self.run.profiles()

    @property
    def cases(self) -> set[str]:
        """The keys of the cases this run works."""
        return set(self.run.runs)

    def other(self, key: str) -> CaseRun:
        """Another case of the run, e.g. to send its read-back after a reboot."""
        return self.run.runs[key]

    def say(self, text: str) -> None:
        self.run.say(f"item {self.key}: {text}")

    def left(self) -> float:
        """Seconds this case may still take: its own deadline (stretched by its
        reboots and transactions ended, which have budgets of their own) and the run's."""
        case_end = (self.started_at or time.monotonic()) + self.options.timeout + self.extra
        return max(0.0, min(case_end, self.run.deadline) - time.monotonic())

    # -- what a drive does --------------------------------------------------------------------

    async def command(self, action: str, payload: dict | None = None) -> dict | None:
        """Send one of the case's commands; the answer's payload, or None. Refused
        with 409 (the charger reconnecting, or still kept offline): sent again once
        it is back, within the reboot budget."""
        self.say(f"{action} {json.dumps(payload or {}, separators=(',', ':'))[:120]}")
        path = f"/sessions/{self.run.session}/items/{quote(self.key, safe='')}/commands/{action}"
        mark = self.tail.seq
        status, body = await self.run.api.call("POST", path, payload or {})
        if status == 409:
            self.say(f"{action} refused: the charger is not connected; sending it again once it is back")
            await self.wait(
                "the charger connected again",
                lambda: self.tail.event_since(mark, "connected"),
                self.options.reboot_timeout,
                own=True,
            )
            status, body = await self.run.api.call("POST", path, payload or {})
        body = body if isinstance(body, dict) else {}
        answer = body.get("payload") if status == 200 else None
        outcome = (answer or {}).get("status", "answered") if status == 200 else body.get("message") or f"HTTP {status}"
        self.commands.append(f"{action}: {outcome}")
        self.say(f"{action} -> {outcome}")
        if action == "GetConfiguration" and not (payload or {}).get("key"):  # the whole configuration
            self.run.learn_configuration(answer)
        return answer

    def cannot_test(self, why: str) -> NoReturn:
        """The bench cannot test the case here (no firmware image): it ends inconclusive."""
        raise Inconclusive(why)

    async def step(self, name: str, connector: int = 1, id_tag: str = "", error_code: str = "") -> None:
        """A physical step; raises Blocked when it could not be done, Inconclusive
        when the rig cannot do it at all."""
        step = Step(name, self.key, connector, id_tag, error_code)
        outcome: Outcome = await self.run.performer.perform(step)
        if not outcome.done:
            self.run.say(f"{step.describe()}: could not be done: {outcome.reason}")
            if outcome.inconclusive:
                raise Inconclusive(f"The rig cannot do step {name} (connector {connector}): {outcome.reason}")
            raise Blocked(f"Step {name} (connector {connector}) could not be done: {outcome.reason}")

    async def wait(
        self, what: str, test: Callable[[], object], timeout: float | None = None, own: bool = False
    ) -> object:
        """Wait for evidence; a progress line says for what. A wait with a budget
        of its own (`own`: a reboot, a transaction ended first) is not cut short
        by the case's deadline, and moves it on by the time it took."""
        limit = self.options.step_timeout if timeout is None else timeout
        if own:
            limit = min(limit, max(0.0, self.run.deadline - time.monotonic()))
        else:
            limit = min(limit, self.left())
        found = test()
        if found:
            return found
        self.say(f"waiting up to {limit:.0f} s for {what}")
        began = time.monotonic()
        found = await self.tail.until(test, limit)
        if own:
            self.extra += time.monotonic() - began
        if not found:
            self.say(f"no {what} within {limit:.0f} s")
        return found

    async def pause(self, seconds: float, why: str) -> None:
        seconds = min(seconds, self.left())
        if seconds > 0:
            self.say(f"{why} ({seconds:.0f} s)")
            await asyncio.sleep(seconds)

    async def configure(self, key: str, least: int = 0) -> int | None:
        """Set an interval key to --interval (or `least`, when larger), or the next
        larger value the charger accepts; the case's notes say when one was rejected."""
        first = max(self.options.interval, least)
        ladder = [first, *(v for v in INTERVAL_LADDER if v > first)]
        rejected: list[str] = []
        for value in ladder:
            answer = await self.command("ChangeConfiguration", {"key": key, "value": str(value)})
            status = (answer or {}).get("status")
            if status in ("Accepted", "RebootRequired"):
                if status == "RebootRequired":
                    self.run.reboot_required.add(key)
                if rejected:
                    self.notes.append(f"{key} {', '.join(rejected)} s rejected; {value} s used")
                self.config[key] = str(value)
                return value
            if status == "NotSupported" or answer is None:
                self.notes.append(f"{key}: {status or 'no answer'}")
                return None
            rejected.append(str(value))
        self.notes.append(f"{key}: every value from {first} to {ladder[-1]} s rejected")
        return None

    async def take_offline(self, seconds: float) -> None:
        """Have the server close the charger's socket and refuse its reconnects
        for a while (an outage on the bench); raises Blocked when it cannot."""
        self.say(f"taking {self.options.charger} offline for {seconds:g} s")
        status, body = await self.run.api.call("POST", f"/sessions/{self.run.session}/offline", {"seconds": seconds})
        if status != 200:
            raise Blocked(f"Could not take the charger offline: HTTP {status} {body}")

    async def frames(self, after_seq: int) -> list[dict]:
        """The charger's frames after a seq, as the API gives them (at most 1000)."""
        charger = quote(self.options.charger, safe="")
        status, body = await self.run.api.call("GET", f"/chargers/{charger}/frames?after_seq={after_seq}&limit=1000")
        return body if status == 200 and isinstance(body, list) else []

    @property
    def reboot_required(self) -> set[str]:
        """Configuration keys the charger applies only after a reboot."""
        return self.run.reboot_required

    async def idle(self, before: str) -> None:
        """Every transaction ended before a command that reboots the charger (a
        Reset, UpdateFirmware): each stopped with RemoteStopTransaction, then its
        cable unplugged. One still running: the command is not sent (Blocked)."""
        for connector in self.tail.busy():
            tx = self.tail.transactions.get(connector)
            if tx:
                await self.stop_remotely(connector, tx, own=True)
            else:  # a cable left in a connector still charging or finishing
                await self.step("unplug", connector)
                await self.freed(connector, own=True)
        if busy := self.tail.busy():
            running = ", ".join(
                f"connector {c}"
                + (f" (transaction {self.tail.transactions[c]})" if c in self.tail.transactions else "")
                for c in busy
            )
            raise Blocked(f"{before} not sent: a transaction still runs on {running}; it would be cut short")

    async def reboot(self, mark: int) -> bool:
        """The charger back after a reboot, awaited within --reboot-timeout (not the case's)."""
        found = await self.wait(
            "the charger back after its reboot (BootNotification accepted, connector statuses)",
            lambda: self.tail.back_after(mark, self.connectors),
            self.options.reboot_timeout,
            own=True,
        )
        return bool(found)

    async def transaction_on(self, connector: int) -> int | None:
        found = await self.wait(
            f"a transaction on connector {connector}", lambda: self.tail.transactions.get(connector)
        )
        return found if isinstance(found, int) else None

    async def transaction_ended(self, tx: int) -> bool:
        return bool(await self.wait(f"the end of transaction {tx}", lambda: tx in self.tail.stopped))

    async def plug(self, connector: int) -> None:
        """Plug, then wait until the charger reports it (Preparing, or at once
        charging for a card presented before)."""
        await self.step("plug", connector)
        await self.wait(
            f"Preparing on connector {connector}", lambda: self.tail.status(connector) in ("Preparing", *CHARGING)
        )

    async def freed(self, connector: int, own: bool = False) -> None:
        await self.wait(
            f"connector {connector} free (Available)",
            lambda: self.tail.status(connector) in ("Available", "Preparing", "Unavailable", ""),
            own=own,
        )

    async def stop_remotely(self, connector: int, tx: int, own: bool = False) -> None:
        """A transaction ended from here: RemoteStopTransaction, its StopTransaction,
        then the cable unplugged and the connector free (`own`: waits with budgets
        of their own, as before a reboot)."""
        await self.command("RemoteStopTransaction", {"transactionId": tx})
        await self.wait(f"the end of transaction {tx}", lambda: tx in self.tail.stopped, own=own)
        await self.step("unplug", connector)
        await self.freed(connector, own)

    # -- what the run does around a drive -------------------------------------------------------

    async def start_attempt(self) -> None:
        self.started_at = time.monotonic()
        if not self.run.attempts_api:
            return
        status, _ = await self.run.api.call("POST", self._path("attempts"), {})
        if status in (404, 405):  # a server without attempts: the verdicts span the session
            self.run.attempts_api = False

    async def settle(self) -> dict:
        """Wait until the case's verdict is no longer open, or its time is up:
        then its attempt is abandoned, saying what it awaited, so no later case's
        frames enter it and it gives no verdict."""
        if self.notes and self.run.attempts_api:  # the item's remark says how the run got there
            await self.run.api.call("POST", self._path("notes"), {"notes": self.notes})
        shown = ""
        while True:
            item = (await self.run.items())[self.key]
            waiting = item.get("waiting") or {}
            if item["verdict"] == "open" and self.left() <= 0:
                what = waiting.get("for") or item.get("reason", "").rstrip(".") or "its evidence"
                self.blocked = (
                    f"No verdict within the item's time (--timeout {self.options.timeout:g} s): awaiting {what}"
                )
                await self.abandon()
                return item
            if item["verdict"] != "open":
                return item
            text = waiting.get("person") or waiting.get("for") or item.get("reason", "")
            if text and text != shown:
                self.say(f"open: {text}")
                shown = text
            await asyncio.sleep(1.0)

    def _path(self, what: str) -> str:
        return f"/sessions/{self.run.session}/items/{quote(self.key, safe='')}/{what}"

    async def begin(self) -> None:
        """Start the case's attempt and do its part (once)."""
        if self.started_at is None:
            await self.start_attempt()
        if self.driven:
            return
        self.driven = True
        drive = self.run.catalog_cases[self.key].drive
        try:
            if drive is not None:
                await drive(self)
        except Blocked as exc:
            self.blocked = str(exc)
            self.inconclusive = isinstance(exc, Inconclusive)
            await self.abandon()

    async def abandon(self) -> None:
        """End the attempt without a verdict of the charger's, saying why: the
        item's page shows it (inconclusive: the bench or the rig could not test it)."""
        if self.run.attempts_api:
            body = {"reason": self.blocked, "inconclusive": self.inconclusive}
            await self.run.api.call("POST", self._path("attempts/abandon"), body)


async def ride(run: Run, key: str) -> None:
    """The cases riding on a case begin before it (their own riders first)."""
    for rider in run.catalog.cases:
        if rider.key in run.runs and hosts(rider, list(run.runs)) == key and run.runs[rider.key].started_at is None:
            await ride(run, rider.key)
            run.runs[rider.key].riding = True
            await run.runs[rider.key].begin()


async def work(run: Run, key: str) -> None:
    """One case: its riders begin first, then it starts its attempt, does its
    part and waits for its verdict."""
    case_run = run.runs[key]
    if time.monotonic() >= run.deadline:
        case_run.blocked = "Not worked: the run's --max-minutes ran out first"
        return
    await run.know_configuration(run.catalog_cases[key])
    await ride(run, key)
    await case_run.begin()
    if not case_run.blocked and not case_run.deferred:
        item = await case_run.settle()
        case_run.say(f"{item['verdict']} {item.get('remark') or item.get('reason', '')}")
    case_run.ended_at = time.monotonic()


async def lane(run: Run, keys: Sequence[str]) -> None:
    for key in keys:
        if key in run.runs:
            await work(run, key)


async def drive(run: Run, start_seq: int) -> dict[str, dict]:
    """Work the run's cases by its catalog's plan; return the session's final
    items, by key."""
    await run.tail.load(start_seq)
    stop = asyncio.Event()
    follower = asyncio.create_task(run.tail.follow(stop))
    try:
        for stage in run.catalog.plan:
            await asyncio.gather(*(lane(run, keys) for keys in stage))
    finally:
        stop.set()
        await follower
        run.ended = time.monotonic()
    status, body = await run.api.call("GET", f"/sessions/{run.session}?evaluate=true")
    if status != 200:
        raise ApiError(f"Could not read session {run.session}: HTTP {status}")
    items = {item["key"]: item for item in body["items"]}
    return {key: items[key] for key in run.runs}
