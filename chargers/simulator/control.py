"""The simulator's local control interface, for scripts and the dashboard:
HTTP on 127.0.0.1 (`POST /<id>/plug?connector=1`, `GET /<id>/state`, `GET /`)
and the same verbs as stdin lines (`plug SIM-0001 1`)."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import parse_qs, unquote, urlsplit

from .charger import SimulatedCharger

log = logging.getLogger("chargers.simulator")

VERBS = ("plug", "unplug", "swipe", "fault", "clear-fault", "offline", "stop", "power-cycle", "unplug-ev-side")


async def act(sim: SimulatedCharger, verb: str, params: dict) -> dict:
    """Do one physical event; return the charger's state."""
    connector = int(params.get("connector", 1))
    if verb == "plug":
        await sim.plug(connector)
    elif verb == "unplug":
        await sim.unplug(connector)
    elif verb == "swipe":
        await sim.swipe(params.get("tag", "CERTIFY01"), connector)
    elif verb == "fault":
        await sim.raise_fault(
            int(params.get("connector", 0)), params.get("code", "GroundFailure"), params.get("info", "")
        )
    elif verb == "clear-fault":
        await sim.clear_fault(int(params.get("connector", 0)))
    elif verb == "offline":
        await sim.go_offline(float(params.get("seconds", 10)))
    elif verb == "power-cycle":  # the power cut and back: what a reboot does, with PowerLoss
        await sim.reboot("PowerLoss")
    elif verb == "unplug-ev-side":  # the simulator's cable leaves the EV: as an unplug (§9.1.23 decides)
        await sim.unplug(connector)
    elif verb == "stop":
        target = sim.connectors.get(connector)
        if target is not None:
            await sim.stop_transaction(target, "Local", target.id_tag)
    else:
        raise KeyError(verb)
    return sim.state()


class ControlServer:
    def __init__(self, chargers: dict[str, SimulatedCharger]) -> None:
        self.chargers = chargers

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            status, body = await self.route(method, target)
        except Exception as exc:  # a bad request gets an answer, never a crash
            status, body = 400, {"error": str(exc)}
        payload = json.dumps(body).encode()
        writer.write(
            f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        writer.close()

    async def route(self, method: str, target: str) -> tuple[int, object]:
        parts = urlsplit(target)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        segments = [unquote(s) for s in parts.path.strip("/").split("/") if s]
        if not segments:
            return 200, {cid: sim.state() for cid, sim in self.chargers.items()}
        sim = self.chargers.get(segments[0])
        if sim is None:
            return 404, {"error": f"no charger {segments[0]!r}"}
        if len(segments) == 1 or segments[1] == "state":
            return 200, sim.state()
        if method != "POST":
            return 405, {"error": "use POST for events"}
        try:
            return 200, await act(sim, segments[1], params)
        except KeyError:
            return 404, {"error": f"unknown event {segments[1]!r}; one of {', '.join(VERBS)}"}

    async def serve(self, port: int) -> asyncio.Server:
        return await asyncio.start_server(self.handle, "127.0.0.1", port)


async def read_stdin(chargers: dict[str, SimulatedCharger]) -> None:
    """Lines like `plug SIM-0001 1`, `swipe SIM-0001 1 TAG`, `offline SIM-0001 30`."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), __import__("sys").stdin)
    while line := await reader.readline():
        words = line.decode().split()
        if len(words) < 2 or words[1] not in chargers:
            print("usage: VERB CHARGER_ID [CONNECTOR|SECONDS] [TAG|CODE]; verbs:", ", ".join(VERBS), flush=True)
            continue
        verb, cid, rest = words[0], words[1], words[2:]
        params: dict = {}
        if verb == "offline" and rest:
            params["seconds"] = rest[0]
        elif rest:
            params["connector"] = rest[0]
            if len(rest) > 1:
                params["tag" if verb == "swipe" else "code"] = rest[1]
        try:
            print(json.dumps(await act(chargers[cid], verb, params)), flush=True)
        except Exception as exc:
            print(f"error: {exc}", flush=True)
