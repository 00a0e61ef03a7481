"""What a server process keeps of a charger goes with its connection (a lab
server runs for months while chargers come and go): the frame store's
numbering of it is forgotten at disconnect, and read from the database again,
without a gap, when it comes back. The real consumer and database."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from certify.asgi import application
from chargers.frames import numbering
from chargers.models import Charger, Frame

pytestmark = pytest.mark.django_db(transaction=True)


async def heartbeat_once(cp_id: str) -> int:
    """Connect, send one Heartbeat, disconnect; the charger's pk."""
    comm = WebsocketCommunicator(application, f"/ocpp/{cp_id}", subprotocols=["ocpp1.6"])
    connected, _ = await comm.connect()
    assert connected
    await comm.send_to(text_data='[2,"hb","Heartbeat",{}]')
    assert json.loads(await comm.receive_from(timeout=10))[0] == 3
    pk = await database_sync_to_async(Charger.objects.values_list("pk", flat=True).get)(charge_point_id=cp_id)
    assert pk in numbering.last_seq
    await comm.disconnect()
    return pk


async def test_a_chargers_numbering_is_forgotten_when_its_connection_ends():
    pk = await heartbeat_once("CP-FORGOTTEN")
    assert pk not in numbering.last_seq


async def test_a_charger_that_comes_back_numbers_on_without_a_gap():
    await heartbeat_once("CP-BACK")
    await heartbeat_once("CP-BACK")
    seqs = await database_sync_to_async(
        lambda: list(Frame.objects.filter(charger__charge_point_id="CP-BACK").values_list("seq", flat=True))
    )()
    assert sorted(seqs) == list(range(1, 9))  # connected, CALL, answer, disconnected; twice
