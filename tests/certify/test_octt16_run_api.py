"""Runs through the JSON API (certify.page_runs): an octt16 session made with
its catalog, cases run by key and by profile against the built-in simulator,
the server working them one after the other; what a run cannot do said as a
400. The conversation runs once (module-scoped); each test checks one thing."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.simulator.live import running

pytestmark = pytest.mark.django_db(transaction=True)
CP = "SIM-OCTT-RUN"


async def finished(server, session: int, limit: float = 60) -> dict:
    """The run's state once it is no longer running (bounded)."""
    end = time.monotonic() + limit
    while True:
        _, run = await server.aapi("GET", f"/sessions/{session}/run")
        if run["state"] != "running" or time.monotonic() > end:
            return run
        await asyncio.sleep(0.5)


@pytest.fixture(scope="module")
def ran(module_server, db_access) -> dict:
    server = module_server()
    seen: dict = {}

    async def conversation() -> None:
        async with running(server, CP):
            status, session = await server.aapi("POST", "/sessions", {"charge_point_id": CP, "catalog": "octt16"})
            seen["created"] = (status, session["catalog"])
            pk = session["id"]
            status, run = await server.aapi("POST", f"/sessions/{pk}/run", {"keys": ["TC_054_CS", "TC_040_1_CS"]})
            seen["started"] = (status, run["keys"])
            seen["busy"] = await server.aapi("POST", f"/sessions/{pk}/run", {"keys": ["TC_019_CS"]})
            seen["by key"] = await finished(server, pk)
            status, run = await server.aapi("POST", f"/sessions/{pk}/run", {"profiles": ["remote-trigger"]})
            seen["by profile"] = (status, run["keys"], (await finished(server, pk))["state"])
            seen["unknown profile"] = await server.aapi("POST", f"/sessions/{pk}/run", {"profiles": ["nope"]})
            seen["unknown case"] = await server.aapi("POST", f"/sessions/{pk}/run", {"keys": ["TC_999_CS"]})
            seen["not prompted"] = await server.aapi("POST", f"/sessions/{pk}/items/TC_003_CS/steps/done", {"step": 1})
            _, detail = await server.aapi("GET", f"/sessions/{pk}?evaluate=true")
            seen["verdicts"] = {item["key"]: item["verdict"] for item in detail["items"]}
            _, docs = await server.aapi("GET", "/openapi.json")
            seen["openapi"] = docs
            seen["all"] = await server.aapi("POST", f"/sessions/{pk}/run", {})
            seen["stopped"] = await server.aapi("POST", f"/sessions/{pk}/run/stop")
            _, detail = await server.aapi("GET", f"/sessions/{pk}")
            first = next(item for item in detail["items"] if item["key"] == "TC_001_CS")
            seen["abandoned"] = [a["verdict"] for a in first["attempts"]]

    db_access(asyncio.run, conversation())
    return seen


def test_the_api_opens_a_session_with_a_catalog(ran) -> None:
    assert ran["created"] == (201, "octt16")


def test_cases_run_by_key_in_catalog_order_and_pass(ran) -> None:
    assert ran["started"] == (202, ["TC_040_1_CS", "TC_054_CS"])
    assert ran["by key"]["state"] == "done"
    assert ran["verdicts"]["TC_040_1_CS"] == "passed" and ran["verdicts"]["TC_054_CS"] == "passed"


def test_a_second_run_waits_for_the_first(ran) -> None:
    status, body = ran["busy"]
    assert status == 400 and "already working" in body["detail"]


def test_a_profile_runs_its_cases(ran) -> None:
    assert ran["by profile"] == (202, ["TC_054_CS", "TC_055_CS"], "done")
    assert ran["verdicts"]["TC_055_CS"] == "passed"


def test_what_cannot_be_run_is_said(ran) -> None:
    assert ran["unknown profile"][0] == 400 and "unknown group(s) nope" in ran["unknown profile"][1]["detail"]
    assert ran["unknown case"][0] == 400 and "No case TC_999_CS" in ran["unknown case"][1]["detail"]


def test_a_step_by_hand_is_confirmed_only_when_prompted(ran) -> None:
    status, body = ran["not prompted"]
    assert status == 400 and "No attempt of TC_003_CS is running" in body["detail"]


def test_the_openapi_description_documents_runs_and_catalogs(ran) -> None:
    paths = ran["openapi"]["paths"]
    assert "Run cases by key, by profile, or all that apply" in paths["/api/sessions/{pk}/run"]["post"]["description"]
    assert "/api/sessions/{pk}/items/{key}/steps/done" in paths
    schema = ran["openapi"]["components"]["schemas"]["SessionIn"]
    assert "octt16" in schema["description"]


def test_all_that_apply_leaves_out_what_the_declaration_rules_out_and_a_run_stops(ran) -> None:
    status, run = ran["all"]
    assert status == 202 and run["keys"][0] == "TC_001_CS"
    assert "TC_017_2_CS" not in run["keys"]  # Not applicable: the simulator has no fixed cable
    assert "TC_084_CS" not in run["keys"]  # Not applicable: plain ws, no security profile to go down from
    assert ran["stopped"][1]["state"] == "stopped"
    assert ran["abandoned"] == ["abandoned"]
