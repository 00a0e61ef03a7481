"""The cards of a session's run: its id_tag is Accepted and its refused_id_tag
Invalid for its charger, whatever the lab's default for unknown tags."""

from __future__ import annotations

import pytest
from ocpp.v16 import call

from tests.chargers.client import boot, connected, now

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_session_cards_answer_as_configured(live_server_ocpp):
    server = live_server_ocpp
    async with connected(server.ws_url, "CP-CARDS") as cp:
        await boot(cp)
        status, _ = await server.aapi(
            "POST", "/sessions", {"charge_point_id": "CP-CARDS", "options": {"refused_id_tag": "NOPE-1"}}
        )
        assert status == 201
        assert (await cp.call(call.Authorize(id_tag="CERTIFY-OK"))).id_tag_info["status"] == "Accepted"
        assert (await cp.call(call.Authorize(id_tag="NOPE-1"))).id_tag_info["status"] == "Invalid"
        start = await cp.call(call.StartTransaction(connector_id=1, id_tag="NOPE-1", meter_start=0, timestamp=now()))
        assert start.id_tag_info["status"] == "Invalid"
        # Another tag still gets the lab's default for unknown tags (Accepted here).
        assert (await cp.call(call.Authorize(id_tag="SOMEONE"))).id_tag_info["status"] == "Accepted"


async def test_the_session_cards_are_only_for_its_charger(live_server_ocpp):
    server = live_server_ocpp
    async with connected(server.ws_url, "CP-CARDS-A") as cp:
        await boot(cp)
        await server.aapi("POST", "/sessions", {"charge_point_id": "CP-CARDS-B"})
        assert (await cp.call(call.Authorize(id_tag="CERTIFY-REFUSED"))).id_tag_info["status"] == "Accepted"


def test_the_local_card_is_accepted_whatever_the_default_for_unknown_tags():
    """--local-id-tag: the second card, for the local starts, is the session's too."""
    from certify.reactions import session_card
    from certify.sessions import create_session

    session = create_session("CP-CARDS-LOCAL", options={"local_id_tag": "LOCAL-7"})
    charger = session.charger.pk
    assert session_card(charger, "Authorize", {"idTag": "LOCAL-7"}) == {"idTagInfo": {"status": "Accepted"}}
    assert session_card(charger, "Authorize", {"idTag": "SOMEONE"}) is None  # the lab's default decides
