"""Run a certification without a browser, for firmware teams' pipelines:
`python manage.py certify --charger CP1 --url ws://host:8000/ocpp/`.

The run talks to the server only through its JSON API, exactly as the buttons
do, so it works against a server in another process or on another machine. It
reads the charger's evidence log (GET /api/chargers/<id>/frames) to know what
the charger did, and waits for that evidence after every command and physical
step; it pauses for a fixed time only where time itself is the test (charging
for a few sample intervals, a moment between two drivers). Physical steps go to a Performer
(certify.steps): a hook script, a person reading stderr, or the simulator.

Order and state: items whose evidence cannot spoil each other run side by side
(lanes); the offline item runs alone; resets and firmware come last, only with
no transaction running, and each reboot is awaited until the charger is back
(BootNotification accepted, statuses in).
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import quote, urlsplit

from .steps import Outcome, Performer, Step

# Intervals real chargers accept; tried upwards from --interval on rejection.
INTERVAL_LADDER = (10, 15, 20, 30, 60, 120, 300)
CHARGING = {"Charging", "SuspendedEV", "SuspendedEVSE"}
BUSY = CHARGING | {"Finishing"}
POLL = 0.3


class ApiError(Exception):
    """The run could not talk to the server (exit status 3)."""


class Unreachable(ApiError):
    """Nothing answers at the server's address (yet)."""


@dataclass
class Api:
    """The server's JSON API, from a thread so the event loop stays free."""

    base: str
    token: str

    def _call(self, method: str, path: str, body=None, raw: bool = False) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + "/api" + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                content = response.read()
                return response.status, content if raw else json.loads(content or b"null")
        except urllib.error.HTTPError as error:
            if error.code == 401:
                raise ApiError(f"{self.base} refused the API token (HTTP 401)") from error
            try:
                return error.code, json.loads(error.read() or b"null")
            except ValueError:
                return error.code, None
        except OSError as error:
            raise Unreachable(f"{self.base} is not reachable: {error}") from error

    async def call(self, method: str, path: str, body=None, raw: bool = False) -> tuple[int, object]:
        return await asyncio.to_thread(partial(self._call, method, path, body, raw))


def http_base(ws_url: str) -> str:
    """ws://host:8000/ocpp/ -> http://host:8000 (wss -> https)."""
    parts = urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return f"{scheme}://{parts.netloc}"


# -- what the charger did, read from its evidence log ---------------------------------------


@dataclass
class Evidence:
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


# -- one item of the run -------------------------------------------------------------------


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
        self.evidence = Evidence(api, options.charger)
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
        found = await self.evidence.until(test, limit)
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
            count = max([c for c in self.evidence.statuses if c > 0], default=1)
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
        if self.evidence.busy():
            await self.wait(
                item,
                f"the transactions on connector(s) {self.evidence.busy()} to end",
                lambda: not self.evidence.busy(),
                self.options.timeout,
            )

    async def reboot(self, item: int, mark: int) -> bool:
        found = await self.wait(
            item,
            "the charger back after its reboot (BootNotification accepted, connector statuses)",
            lambda: self.evidence.back_after(mark, self.connectors),
            self.options.reboot_timeout,
        )
        return bool(found)

    async def transaction_on(self, item: int, connector: int) -> int | None:
        found = await self.wait(
            item, f"a transaction on connector {connector}", lambda: self.evidence.transactions.get(connector)
        )
        return found if isinstance(found, int) else None

    async def transaction_ended(self, item: int, tx: int) -> bool:
        return bool(await self.wait(item, f"the end of transaction {tx}", lambda: tx in self.evidence.stopped))

    async def plug(self, item: int, connector: int) -> None:
        """Plug, then wait until the charger reports it (Preparing, or at once
        charging for a card presented before)."""
        await self.step(item, "plug", connector)
        await self.wait(
            item,
            f"Preparing on connector {connector}",
            lambda: self.evidence.status(connector) in ("Preparing", *CHARGING),
        )

    async def freed(self, item: int, connector: int) -> None:
        await self.wait(
            item,
            f"connector {connector} free (Available)",
            lambda: self.evidence.status(connector) in ("Available", "Preparing", "Unavailable", ""),
        )


# -- the items -----------------------------------------------------------------------------
# Each worker does what the engineer would click and asks for what the engineer
# would do by hand; the server's rules give the verdict.


async def item_boot(r: Run) -> None:
    await r.command(1, "TriggerMessage", {"requestedMessage": "BootNotification"})


async def item_heartbeat(r: Run) -> None:
    await r.configure(2, "HeartbeatInterval")
    await r.command(2, "TriggerMessage", {"requestedMessage": "Heartbeat"})


async def item_availability(r: Run) -> None:
    mark = r.evidence.seq
    await r.command(3, "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
    await r.wait(3, "Unavailable", lambda: r.evidence.status_since(mark, None, lambda s, e: s == "Unavailable"))
    mark = r.evidence.seq
    await r.command(3, "ChangeAvailability", {"connectorId": 0, "type": "Operative"})
    await r.wait(3, "Available again", lambda: r.evidence.status_since(mark, None, lambda s, e: s == "Available"))


async def item_get_configuration(r: Run) -> None:
    answer = await r.command(4, "GetConfiguration", {})
    for entry in (answer or {}).get("configurationKey", []) or []:
        r.config[entry.get("key", "")] = entry.get("value", "") or ""


async def item_change_configuration(r: Run) -> None:
    value = await r.configure(5, "MeterValueSampleInterval")
    if value:
        r.meter_interval = value
        await r.command(5, "GetConfiguration", {"key": ["MeterValueSampleInterval"]})  # read back
    if r.reboot_required:  # applied after a reboot: read back after item 9's
        r.runs[5].notes.append("RebootRequired: read back after the reset of item 9")
        r.runs[5].deferred = True


async def item_start(r: Run) -> None:
    one, other, ok, refused = r.connectors[0], r.second, r.options.id_tag, r.options.refused_id_tag
    await r.plug(6, one)
    await r.command(6, "RemoteStartTransaction", {"connectorId": one, "idTag": ok})
    tx = await r.transaction_on(6, one)
    if other == one and tx:  # one connector: free it for the local start
        await r.command(6, "RemoteStopTransaction", {"transactionId": tx})
        await r.transaction_ended(6, tx)
        await r.step(6, "unplug", one)
        await r.freed(6, one)
    await r.plug(6, other)
    mark = r.evidence.seq
    await r.step(6, "swipe", other, id_tag=refused)
    await r.wait(
        6,
        f"the refused card {refused} (Authorize answered Invalid)",
        lambda: r.evidence.call_since(mark, "Authorize", lambda p, a: p.get("idTag") == refused),
    )
    await r.step(6, "swipe", other, id_tag=ok)
    await r.transaction_on(6, other)


async def item_stop(r: Run) -> None:
    one, other, ok = r.connectors[0], r.second, r.options.id_tag
    try:
        interval = r.meter_interval or int(r.config.get("MeterValueSampleInterval", "")) or r.options.interval
    except ValueError:
        interval = r.options.interval
    if r.evidence.started and 8 in r.runs:  # item 8: periodic samples of a few intervals first
        first = min(r.evidence.started.values())
        await r.pause(7, first + interval * 2.5 - time.monotonic(), "letting periodic meter values come (item 8)")
    tx = r.evidence.transactions.get(one)
    if tx and other != one:
        await r.command(7, "RemoteStopTransaction", {"transactionId": tx})
        await r.transaction_ended(7, tx)
        await r.step(7, "unplug", one)
        await r.freed(7, one)
    tx = r.evidence.transactions.get(other)
    if tx:
        await r.step(7, "swipe", other, id_tag=ok)  # a local stop
        await r.transaction_ended(7, tx)
        await r.step(7, "unplug", other)
        await r.freed(7, other)
    # A stop on unplug (EVDisconnected), by the next driver: not within a
    # second of the last one (a charger may still be settling the connector).
    await r.pause(7, 3.0, "the next driver arrives")
    await r.plug(7, one)
    await r.step(7, "swipe", one, id_tag=ok)
    tx = await r.transaction_on(7, one)
    if tx:
        await r.pause(7, 1.0, "charging a moment")
        await r.step(7, "unplug", one)
        await r.transaction_ended(7, tx)
        await r.freed(7, one)


async def item_nothing(r: Run) -> None:
    """Judged from what other items caused (8 from the transactions of 6 and 7)."""


async def prepare_meter_values(r: Run) -> None:
    """Item 8 needs transactions sampled at a short interval: item 5 sets it;
    without item 5 in the run, item 8 sets it itself."""
    if 5 not in r.runs:
        r.meter_interval = await r.configure(8, "MeterValueSampleInterval") or 0


async def item_reset(r: Run) -> None:
    for kind in ("Hard", "Soft"):
        await r.idle(9)
        for attempt in range(3):  # Rejected is a legal answer (§5.14, §7.41): try again later
            mark = r.evidence.seq
            answer = await r.command(9, "Reset", {"type": kind})
            if (answer or {}).get("status") != "Rejected":
                break
            await r.pause(9, 5.0 * (attempt + 1), f"Reset {kind} rejected; trying again")
        if (answer or {}).get("status") == "Accepted":
            await r.reboot(9, mark)
    if r.reboot_required and 5 in r.runs:  # keys applied after the reboot: read them back (item 5)
        await r.command(5, "GetConfiguration", {"key": sorted(r.reboot_required)})


async def item_error(r: Run) -> None:
    mark = r.evidence.seq
    await r.step(10, "fault", 0, error_code=r.options.error_code)
    await r.wait(
        10,
        "a StatusNotification with the error",
        lambda: r.evidence.status_since(mark, None, lambda s, e: s == "Faulted" or e not in ("", "NoError")),
    )
    mark = r.evidence.seq
    await r.step(10, "clear-fault", 0)
    await r.wait(
        10,
        "a StatusNotification clearing the error",
        lambda: r.evidence.status_since(mark, None, lambda s, e: s != "Faulted" and e in ("", "NoError")),
    )


async def item_cable(r: Run) -> None:
    one = r.connectors[0]
    timeout = await r.configure(11, "ConnectionTimeOut") or 60
    mark = r.evidence.seq
    await r.step(11, "plug", one)
    await r.wait(
        11, f"Preparing on connector {one}", lambda: r.evidence.status_since(mark, one, lambda s, e: s == "Preparing")
    )
    mark = r.evidence.seq
    await r.wait(
        11,
        f"connector {one} back to Available after ConnectionTimeOut ({timeout} s)",
        lambda: r.evidence.status_since(mark, one, lambda s, e: s in ("Available", "Finishing")),
        timeout + r.options.step_timeout,
    )
    await r.step(11, "unplug", one)


async def item_firmware(r: Run) -> None:
    await r.idle(12)
    mark = r.evidence.seq
    answer = await r.command(12, "UpdateFirmware", {"location": "{firmware_url}", "retrieveDate": "{now}"})
    if answer is None:
        return
    done = await r.wait(
        12,
        "FirmwareStatusNotification Installed (or a failure)",
        lambda: r.evidence.call_since(
            mark,
            "FirmwareStatusNotification",
            lambda p, a: p.get("status") in ("Installed", "InstallationFailed", "DownloadFailed"),
        ),
        r.options.timeout,
    )
    if done:
        await r.reboot(12, mark)


async def item_diagnostics(r: Run) -> None:
    mark = r.evidence.seq
    await r.command(
        13,
        "GetDiagnostics",
        {
            "location": "{diagnostics_url}" if r.options.diagnostics == "ftp" else "{diagnostics_http_url}",
            "startTime": "{hour_ago}",
            "stopTime": "{now}",
        },
    )
    await r.wait(
        13,
        "DiagnosticsStatusNotification Uploaded (or UploadFailed)",
        lambda: r.evidence.call_since(
            mark, "DiagnosticsStatusNotification", lambda p, a: p.get("status") in ("Uploaded", "UploadFailed")
        ),
        r.options.timeout,
    )


async def item_profile(r: Run) -> None:
    units = r.config.get("ChargingScheduleAllowedChargingRateUnit", "Current")
    unit, limit = ("A", 16.0) if "Current" in units or not units else ("W", 11000.0)
    for connector in r.connectors:
        await r.command(
            14,
            "SetChargingProfile",
            {
                "connectorId": connector,
                "csChargingProfiles": {
                    "chargingProfileId": 900 + connector,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": {
                        "chargingRateUnit": unit,
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
                    },
                },
            },
        )


async def offline_card(r: Run) -> str:
    """Make sure the charger accepts the card while offline, the way it offers;
    returns the note saying which."""
    tag = r.options.id_tag
    if r.flag("LocalAuthorizeOffline") is False:
        await r.command(16, "ChangeConfiguration", {"key": "LocalAuthorizeOffline", "value": "true"})
    if "LocalAuthListManagement" in r.profiles() and r.flag("LocalAuthListEnabled") is not False:
        version = await r.command(16, "GetLocalListVersion", {})
        number = max(0, int((version or {}).get("listVersion", 0) or 0)) + 1
        answer = await r.command(
            16,
            "SendLocalList",
            {
                "listVersion": number,
                "updateType": "Differential",
                "localAuthorizationList": [{"idTag": tag, "idTagInfo": {"status": "Accepted"}}],
            },
        )
        if (answer or {}).get("status") == "Accepted":
            return f"card {tag} accepted offline from the local authorization list"
    if r.flag("AuthorizationCacheEnabled") and r.evidence.call_since(
        0,
        "Authorize",
        lambda p, a: p.get("idTag") == tag and ((a or {}).get("idTagInfo") or {}).get("status") == "Accepted",
    ):
        return f"card {tag} accepted offline from the authorization cache"
    answer = await r.command(16, "ChangeConfiguration", {"key": "AllowOfflineTxForUnknownId", "value": "true"})
    if (answer or {}).get("status") in ("Accepted", "RebootRequired"):
        return f"card {tag} accepted offline through AllowOfflineTxForUnknownId"
    return f"no way found to have card {tag} accepted offline"


async def item_offline(r: Run) -> None:
    one, ok = r.connectors[0], r.options.id_tag
    r.runs[16].notes.append(await offline_card(r))
    await r.wait(16, "the charger connected", lambda: r.evidence.connected)
    mark = r.evidence.seq
    seconds = r.options.offline_seconds
    r.say(f"item 16: taking {r.options.charger} offline for {seconds:g} s")
    status, body = await r.api.call("POST", f"/sessions/{r.session}/offline", {"seconds": seconds})
    if status != 200:
        raise Blocked(f"Could not take the charger offline: HTTP {status} {body}")
    await r.wait(16, "the socket closed", lambda: r.evidence.event_since(mark, "disconnected"), 10)
    await r.step(16, "plug", one)
    await r.step(16, "swipe", one, id_tag=ok)
    await r.pause(16, min(5.0, seconds / 4), "charging offline a moment")
    await r.step(16, "unplug", one)
    await r.wait(
        16,
        "the charger back online with its queued transaction messages",
        lambda: r.evidence.event_since(mark, "connected"),
        seconds + r.options.step_timeout,
    )


async def item_trigger(r: Run) -> None:
    """Item 18 rides on item 1's boot (the server's own trigger after it); in a
    run without item 1 it sends its TriggerMessage itself."""
    if 1 not in r.runs:
        await r.command(18, "TriggerMessage", {"requestedMessage": "StatusNotification"})


async def item_clear_cache(r: Run) -> None:
    await r.command(17, "ClearCache", {})


WORKERS: dict[int, Callable[[Run], Awaitable[None]]] = {
    1: item_boot,
    2: item_heartbeat,
    3: item_availability,
    4: item_get_configuration,
    5: item_change_configuration,
    6: item_start,
    7: item_stop,
    8: item_nothing,
    9: item_reset,
    10: item_error,
    11: item_cable,
    12: item_firmware,
    13: item_diagnostics,
    14: item_profile,
    16: item_offline,
    17: item_clear_cache,
    18: item_trigger,
}
# The plan: stages one after the other; in a stage, lanes side by side, each
# lane's items in order. Lanes of a stage never spoil each other's evidence:
# the connectors lane owns the connectors and transactions, the commands lane
# sends only commands that change no connector, the heartbeat lane only waits.
# Items 4 and 1 come first: the configuration shapes the rest, and item 1's
# triggered boot hands out a new HeartbeatInterval (§4.2), which would end item
# 2's interval early. A fault and Inoperative (10, 3) wait for the commands lane
# (a charger may abort an upload for them). The offline item runs alone (a
# closed socket would break every other lane), ClearCache after it (the cache
# may be how the card is accepted offline), resets and firmware last.
PLAN: tuple[tuple[tuple[int, ...], ...], ...] = (
    ((4, 1),),
    ((5, 6, 7, 8, 11), (14, 13, 18), (2,)),
    ((10, 3),),
    ((16,),),
    ((17,),),
    ((9,),),
    ((12,),),
)


# Items judged from what others cause: their attempts begin before the items
# whose actions are their evidence (8: the transactions of 6 and 7; 18: the
# trigger after item 1's boot), so a failure seen there is inside their own attempt.
RIDES_ON = {8: 6, 18: 1}


async def work(r: Run, number: int) -> None:
    """One item: start its attempt, do its part, wait for its verdict."""
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
    await r.evidence.load(start_seq)
    stop = asyncio.Event()
    follower = asyncio.create_task(r.evidence.follow(stop))
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
