"""The headless run's tail of the evidence log, read from the live server's
API through the log reader: what it answers about a charger on a real socket."""

from __future__ import annotations

import asyncio

import pytest
from ocpp.v16 import call

from certify.headless.api import Api
from certify.headless.tail import LogTail
from tests.chargers.client import boot, connected, now

pytestmark = pytest.mark.django_db(transaction=True)


def status(connector: int, value: str, error: str = "NoError") -> call.StatusNotification:
    return call.StatusNotification(connector_id=connector, error_code=error, status=value)


async def test_the_tail_follows_statuses_transactions_and_answers(live_server_ocpp):
    server = live_server_ocpp
    async with connected(server.ws_url, "CP-TAIL") as cp:
        await boot(cp)
        _, session = await server.aapi("POST", "/sessions", {"charge_point_id": "CP-TAIL"})
        tail = LogTail(Api(server.http_url, server.token), "CP-TAIL")
        await tail.load(session["start_seq"])
        stop = asyncio.Event()
        follower = asyncio.create_task(tail.follow(stop))
        mark = tail.seq
        await cp.call(status(1, "Preparing"))
        await cp.call(status(2, "Available"))
        started = await cp.call(
            call.StartTransaction(connector_id=1, id_tag="CERTIFY-OK", meter_start=0, timestamp=now())
        )
        await cp.call(status(1, "Charging"))
        tx = started.transaction_id
        assert await tail.until(lambda: tail.status(1) == "Charging", 5)
        assert (tail.status(1), tail.status(2), tail.connector_ids()) == ("Charging", "Available", [1, 2])
        assert (tail.transactions, tail.busy(), tx in tail.started, tx in tail.stopped) == ({1: tx}, [1], True, False)
        assert tail.status_since(mark, 1, lambda s, e: s == "Preparing")
        assert not tail.status_since(mark, 2, lambda s, e: s == "Preparing")
        assert tail.call_since(mark, "StartTransaction", lambda p, a: a["transactionId"] == tx)
        after = tail.seq
        await cp.call(call.StopTransaction(meter_stop=10, timestamp=now(), transaction_id=tx, reason="Local"))
        await cp.call(status(1, "Available"))
        assert await tail.until(lambda: tx in tail.stopped, 5)
        assert await tail.until(lambda: tail.status(1) == "Available", 5)
        assert (tail.transactions, tail.busy(), tail.status(1)) == ({}, [], "Available")
        assert tail.call_since(after, "StartTransaction") is None
        assert tail.connected and tail.event_since(0, "connected") is None  # it connected before the session
    assert await tail.until(lambda: tail.event_since(after, "disconnected"), 5)
    assert not tail.connected
    stop.set()
    await follower
