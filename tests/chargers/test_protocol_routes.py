"""CentralSystem composes the ocpp library's routing instead of inheriting its
ChargePoint, whose call() and start() would bypass the evidence log."""

from __future__ import annotations

import pytest

from chargers.models import Charger
from chargers.protocol import VERSIONS, CentralSystem


async def ignore(raw: str) -> None:
    return None


@pytest.mark.parametrize("name", ["call", "start", "route_message"])
def test_the_central_system_has_no_way_out_that_skips_frame_storage(name):
    assert not hasattr(CentralSystem, name)


@pytest.mark.parametrize("version", VERSIONS.values(), ids=list(VERSIONS))
async def test_every_charger_action_routes_to_a_handler(version):
    cs = version.connect(Charger(pk=1, charge_point_id="CP-ROUTES"), ignore)
    assert {action for action, route in cs.route_map.items() if "_on_action" in route} == set(version.charger_actions)
