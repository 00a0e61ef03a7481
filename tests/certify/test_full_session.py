"""A whole certification against the built-in simulator over real sockets,
driven through the same API calls the buttons make (certify.headless), its
physical steps through the step interface (certify.steps)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from certify import headless, steps
from certify.management.commands.certify import TEST_FIRMWARE
from certify.models import CertSession, SessionFile
from certify.transfer import store
from chargers.simulator import SimulatedCharger, SimulatorOptions

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"auto_unplug": 0.5, "reboot_delay": 0.5, "backoff_base": 0.2, "slow_delay": 1.0}


async def certify(server, cp_id: str, numbers: list[int], profile: str = "default", timeout: float = 40) -> dict:
    sim = SimulatedCharger(SimulatorOptions(url=server.ws_url, charge_point_id=cp_id, profile=profile, **FAST))
    task = asyncio.create_task(sim.run())
    try:
        await sim.wait_booted(15)
        api = headless.Api(server.http_url, server.token)
        status, session = await api.call("POST", "/sessions", {"charge_point_id": cp_id, "engineer_name": "CI"})
        assert status == 201

        def host():
            store(CertSession.objects.get(pk=session["id"]), SessionFile.FIRMWARE, "fw.bin", TEST_FIRMWARE, "upload")

        await sync_to_async(host)()
        options = headless.RunOptions(
            cp_id, numbers, timeout=timeout, step_timeout=15, interval=2, offline_seconds=4, id_tag="CERTIFY-OK"
        )
        run = headless.Run(api, session["id"], options, steps.SimulatorPerformer(sim), progress=lambda line: None)
        return await headless.drive(run, session["start_seq"])
    finally:
        await sim.stop()
        task.cancel()


def summary(items: dict) -> dict:
    return {n: (i["verdict"], i["reason"]) for n, i in items.items()}


async def test_a_full_session_passes_every_automatic_item(live_server_ocpp):
    items = await certify(live_server_ocpp, "SIM-FULL", list(range(1, 19)))
    verdicts = {n: i["verdict"] for n, i in items.items()}
    assert verdicts == {n: ("open" if n == 15 else "passed") for n in range(1, 19)}, summary(items)
    assert items[4]["remark"].startswith("Configuration (")
    assert items[9]["remark"] == "Both ok"
    assert items[18]["remark"] == "Support triggermessage, reply status notification"
    assert all(items[n]["evidence"] for n in items if n != 15)


@pytest.mark.parametrize(
    "profile, numbers, broken, cause, unsupported",
    [
        # Charging -> Available without Finishing is in the table of §4.9 (C1): legal.
        ("no-finishing", [6, 7, 17], None, "", ()),
        ("ignore-heartbeat-interval", [2, 17], 2, "do not follow HeartbeatInterval", ()),
        # SupportedFeatureProfiles lacks SmartCharging: Not supported, not failed.
        ("no-smart-charging", [5, 14], None, "", (14,)),
        ("no-voltage", [5, 6, 7, 8], 8, "lack Voltage", ()),
        # iccid is optional (§6.3): legal.
        ("no-iccid", [1, 17], None, "", ()),
        ("slow", [4, 17], None, "", ()),
    ],
)
async def test_each_profile_fails_exactly_the_items_it_breaks(
    live_server_ocpp, profile, numbers, broken, cause, unsupported
):
    items = await certify(live_server_ocpp, f"SIM-{profile}"[:48], numbers, profile)
    failed = [n for n, i in items.items() if i["verdict"] == "failed"]
    assert failed == ([broken] if broken else []), summary(items)
    if broken:
        assert cause in items[broken]["reason"]
    assert [n for n, i in items.items() if i["verdict"] == "not_supported"] == list(unsupported), summary(items)
    others = [i["verdict"] for n, i in items.items() if n != broken and n not in unsupported]
    assert all(v == "passed" for v in others), summary(items)
