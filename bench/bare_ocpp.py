"""Baseline: a bare central system of the `ocpp` library on `websockets`,
keeping nothing. `python -m bench.bare_ocpp --port PORT`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from datetime import UTC, datetime

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import serve

from bench.procs import raise_fd_limit

logging.getLogger("ocpp").setLevel(logging.WARNING)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BareCentralSystem(ChargePoint):
    @on(Action.boot_notification)
    async def on_boot_notification(self, **kwargs):
        return call_result.BootNotification(current_time=now(), interval=300, status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    async def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=now())

    @on(Action.status_notification)
    async def on_status_notification(self, **kwargs):
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, **kwargs):
        return call_result.Authorize(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.start_transaction)
    async def on_start_transaction(self, **kwargs):
        return call_result.StartTransaction(transaction_id=1, id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.stop_transaction)
    async def on_stop_transaction(self, **kwargs):
        return call_result.StopTransaction()

    @on(Action.meter_values)
    async def on_meter_values(self, **kwargs):
        return call_result.MeterValues()


async def handler(ws) -> None:
    cp = BareCentralSystem(ws.request.path.rstrip("/").rsplit("/", 1)[-1], ws)
    try:
        await cp.start()
    except Exception:  # the connection closed
        pass


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, subprotocols=["ocpp1.6"], compression=None, ping_interval=20):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    raise_fd_limit()
    asyncio.run(main(parser.parse_args().port))
