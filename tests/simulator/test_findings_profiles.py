"""The misbehaviour profiles each show exactly their finding over the log our
central system kept of a short run (issue 22), and a legal charger's log shows
none: a plug, a card, a charge sampled every second, the card again, unplugged."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from chargers.models import Frame
from chargers.protocol.v16.findings import scan
from tests.simulator.live import calls, running, until

pytestmark = pytest.mark.django_db(transaction=True)

EXPECTED = {
    "default": set(),
    "meter-backwards": {"meter-backwards"},
    "naive-timestamps": {"timestamp-no-zone"},
    "bad-transition": {"state-table"},
    # The second CALL is stored after our answer to the first, with the time it reached us:
    # before that answer left (OCPP-J §4.1.1).
    "double-call": {"call-before-answer"},
}


def findings(cp_id: str):
    return scan(Frame.objects.filter(charger__charge_point_id=cp_id).order_by("seq"))


@pytest.mark.parametrize("profile", sorted(EXPECTED))
async def test_a_profile_shows_exactly_its_finding(live_server_ocpp, profile):
    cp_id = f"FIND-{profile}"[:20]
    async with running(live_server_ocpp, cp_id, profile) as sim:
        sim.config.change("MeterValueSampleInterval", "1")
        await sim.plug(1)
        await sim.swipe("TAG-1", 1)
        await until(lambda: len(calls(cp_id, "MeterValues")) >= 2)
        await sim.swipe("TAG-1", 1)
        await until(lambda: [c.payload["status"] for c in calls(cp_id, "StatusNotification")][-1:] == ["Available"])
        await asyncio.sleep(0.2)
    found = await sync_to_async(findings)(cp_id)
    assert {f.check for f in found} == EXPECTED[profile], [f.text for f in found]
