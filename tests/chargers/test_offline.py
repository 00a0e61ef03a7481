"""Take a charger offline (chargers.offline): its socket closes as an outage
would, and its reconnects are refused by admission until the window ends, each
step an event in its evidence log. In process over the ASGI app, real database."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from certify.asgi import application
from chargers import offline
from chargers.models import Charger, Frame

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(cp_id: str) -> tuple[WebsocketCommunicator, bool]:
    comm = WebsocketCommunicator(application, f"/ocpp/{cp_id}", subprotocols=["ocpp1.6"])
    connected, _ = await comm.connect()
    return comm, connected


def events(cp_id: str) -> list[dict]:
    raws = Frame.objects.filter(charger__charge_point_id=cp_id, direction=Frame.EVENT).order_by("seq")
    return [json.loads(raw) for raw in raws.values_list("raw", flat=True)]


async def test_a_charger_taken_offline_is_closed_then_refused_with_the_reason_in_its_log():
    comm, connected = await connect("CP-TAKEN")
    assert connected
    charger = await sync_to_async(Charger.objects.get)(charge_point_id="CP-TAKEN")
    await offline.take_offline(charger.pk, 30, "user:lab")
    closed = await comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4001}
    await comm.send_input({"type": "websocket.disconnect", "code": 4001})  # as the server would
    await comm.wait()
    again, connected = await connect("CP-TAKEN")
    assert not connected
    await again.wait()
    log = await sync_to_async(events)("CP-TAKEN")
    assert [e["event"] for e in log] == ["connected", "offline", "disconnected", "refused"]
    assert (log[1]["seconds"], log[1]["by"]) == (30, "user:lab")
    assert "taken offline" in log[3]["reason"]


async def test_a_charger_is_admitted_again_once_the_window_has_ended():
    _, connected = await connect("CP-BACK")
    assert connected
    charger = await sync_to_async(Charger.objects.get)(charge_point_id="CP-BACK")
    await offline.take_offline(charger.pk, 30, "user:lab")
    await sync_to_async(Charger.objects.filter(pk=charger.pk).update)(offline_until=None)  # the window is over
    comm, connected = await connect("CP-BACK")
    assert connected
    await comm.disconnect()


@pytest.mark.parametrize("seconds", [0, offline.MAX_SECONDS + 1])
async def test_a_window_out_of_range_is_refused_and_changes_nothing(seconds):
    charger = await sync_to_async(Charger.objects.create)(charge_point_id=f"CP-RANGE-{seconds}")
    with pytest.raises(ValueError, match="1 to 3600 s"):
        await offline.take_offline(charger.pk, seconds, "user:lab")
    await sync_to_async(charger.refresh_from_db)()
    assert charger.offline_until is None
