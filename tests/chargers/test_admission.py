"""Who may connect: Basic auth (profile 1), TLS (profile 2), known chargers only.
Each against a real daphne process configured as a lab would configure it; the
attempts run once per module, each test checks one behaviour of them."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from dataclasses import dataclass, field

import pytest
import websockets

from tests.servers import Daphne, base_env, free_port, make_ca_and_server_cert, manage, prepare

KEY_HEX = "00112233445566778899aabbccddeeff01234567"  # 20 bytes as 40 hex digits


def basic(user: str, password: bytes) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(user.encode() + b":" + password).decode()}


async def refused(url: str, **kwargs) -> int:
    with pytest.raises(websockets.InvalidStatus) as info:
        async with websockets.connect(url, subprotocols=["ocpp1.6"], **kwargs):
            pass
    return info.value.response.status_code


async def heartbeat(url: str, **kwargs) -> list:
    async with websockets.connect(url, subprotocols=["ocpp1.6"], **kwargs) as ws:
        await ws.send('[2,"1","Heartbeat",{}]')
        return json.loads(await ws.recv())


def evidence(env: dict, cp_id: str) -> list[dict]:
    out = manage(
        env,
        "shell",
        "-c",
        "import json; from chargers.models import Frame; "
        f"print(json.dumps([json.loads(f.raw) for f in Frame.objects.filter(charger__charge_point_id={cp_id!r}, direction='event')]))",
    )
    return json.loads(out.splitlines()[-1])


def set_key(env: dict, cp_id: str, key: str, profile: int) -> None:
    manage(
        env,
        "shell",
        "-c",
        "from chargers.models import Charger; "
        f"c, _ = Charger.objects.get_or_create(charge_point_id={cp_id!r}); c.security_profile = {profile}; "
        f"c.set_authorization_key({key!r}); c.save()",
    )


WRONG_CREDENTIALS = {
    "no credentials": {},
    "wrong key": basic("AUTH-1", b"not-the-key"),
    "wrong user": basic("OTHER", KEY_HEX.encode()),
}
RIGHT_KEYS = {
    "hex digits": KEY_HEX.encode(),
    "upper-case hex digits": KEY_HEX.upper().encode(),
    "raw bytes": bytes.fromhex(KEY_HEX),
}


@dataclass
class Attempts:
    """Answers to connection attempts, and what the server kept of them."""

    status: dict = field(default_factory=dict)
    answer: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    rejected: str = ""
    log: str = ""


@pytest.fixture(scope="module")
def known_only(tmp_path_factory) -> Attempts:
    """A lab admitting known chargers only, one of them with an AuthorizationKey."""
    env = base_env(tmp_path_factory.mktemp("known"), OCPP_ADMISSION="known")
    prepare(env)
    manage(env, "shell", "-c", "from chargers.models import Charger; Charger.objects.create(charge_point_id='KNOWN-1')")
    set_key(env, "AUTH-1", KEY_HEX, 1)
    daphne = Daphne(env)
    url = daphne.server.ws_url
    seen = Attempts()

    async def attempts() -> None:
        seen.status["STRANGER"] = await refused(url + "STRANGER")
        seen.answer["KNOWN-1"] = await heartbeat(url + "KNOWN-1")
        for name, headers in WRONG_CREDENTIALS.items():
            seen.status[name] = await refused(url + "AUTH-1", additional_headers=headers)
        for name, password in RIGHT_KEYS.items():
            seen.answer[name] = await heartbeat(url + "AUTH-1", additional_headers=basic("AUTH-1", password))

    try:
        asyncio.run(attempts())
        seen.events = [e for e in evidence(env, "AUTH-1") if e["event"] == "security"]
        seen.rejected = manage(
            env,
            "shell",
            "-c",
            "from chargers.models import *; print(list(RejectedAttempt.objects.values_list('charge_point_id', 'reason')))",
        )
    finally:
        seen.log = daphne.stop()
    return seen


def test_a_stranger_is_refused_before_the_upgrade(known_only):
    assert known_only.status["STRANGER"] == 403


def test_a_stranger_is_listed_as_a_rejected_attempt(known_only):
    assert "STRANGER" in known_only.rejected
    assert "known chargers only" in known_only.rejected


def test_a_known_charger_is_served(known_only):
    assert known_only.answer["KNOWN-1"][0] == 3


@pytest.mark.parametrize("attempt", list(WRONG_CREDENTIALS))
def test_a_profile_1_charger_without_its_key_is_refused(known_only, attempt):
    assert known_only.status[attempt] == 403


@pytest.mark.parametrize("form", list(RIGHT_KEYS))
def test_a_profile_1_charger_is_admitted_with_its_key_in_any_form(known_only, form):
    assert known_only.answer[form][0] == 3


def test_each_refusal_is_kept_as_a_security_event_with_its_reason(known_only):
    assert [e["reason"] for e in known_only.events] == [
        "missing HTTP Basic credentials (security profile 1)",
        "wrong AuthorizationKey",
        "Basic auth user name is not the charge point id",
    ]


def test_a_security_event_names_the_remote_address(known_only):
    assert all(e["remote"].startswith("127.0.0.1:") for e in known_only.events)


def test_refusals_are_logged_with_the_charge_point_id(known_only):
    assert "STRANGER" in known_only.log
    assert "AUTH-1" in known_only.log


def test_the_log_never_shows_a_key_or_a_password_tried(known_only):
    assert KEY_HEX not in known_only.log
    assert "not-the-key" not in known_only.log


@pytest.fixture(scope="module")
def profile_2(tmp_path_factory) -> Attempts:
    """A profile-2 charger trying plain ws:// and wss://, with and without its key."""
    folder = tmp_path_factory.mktemp("tls")
    make_ca_and_server_cert(folder)
    tls_port = free_port()
    env = base_env(folder, OCPP_TLS_PORT=str(tls_port))
    prepare(env)
    set_key(env, "TLS-1", "a-secret-of-16-bytes-or-more", 2)
    endpoint = (
        f"ssl:port={tls_port}:interface=127.0.0.1:privateKey={folder / 'server.key'}:certKey={folder / 'server.pem'}"
    )
    daphne = Daphne(env, extra_args=("-e", endpoint))
    context = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    auth = basic("TLS-1", b"a-secret-of-16-bytes-or-more")
    wss = f"wss://127.0.0.1:{tls_port}/ocpp/TLS-1"
    seen = Attempts()

    async def attempts() -> None:
        seen.status["ws with key"] = await refused(daphne.server.ws_url + "TLS-1", additional_headers=auth)
        async with websockets.connect(wss, subprotocols=["ocpp1.6"], ssl=context, additional_headers=auth) as ws:
            seen.answer["tls version"] = ws.transport.get_extra_info("ssl_object").version()
            await ws.send('[2,"1","Heartbeat",{}]')
            seen.answer["wss with key"] = json.loads(await ws.recv())
        seen.status["wss without key"] = await refused(wss, ssl=context)

    try:
        asyncio.run(attempts())
    finally:
        daphne.stop()
    return seen


def test_plain_ws_is_refused_for_a_profile_2_charger_even_with_its_key(profile_2):
    assert profile_2.status["ws with key"] == 403


def test_a_profile_2_charger_is_served_over_tls_with_its_key(profile_2):
    assert profile_2.answer["wss with key"][0] == 3


def test_the_tls_endpoint_speaks_tls_12_or_13(profile_2):
    assert profile_2.answer["tls version"] in ("TLSv1.2", "TLSv1.3")


def test_a_profile_2_charger_over_tls_without_its_key_is_refused(profile_2):
    assert profile_2.status["wss without key"] == 403
