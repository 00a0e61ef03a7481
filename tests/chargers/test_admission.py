"""Who may connect: Basic auth (profile 1), TLS (profile 2), known chargers only.
Each against a real daphne process configured as a lab would configure it."""

from __future__ import annotations

import base64
import datetime as dt
import json
import ssl

import pytest
import websockets
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.servers import Daphne, base_env, free_port, manage, prepare

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


@pytest.fixture
def lab(tmp_path):
    env = base_env(tmp_path, OCPP_ADMISSION="known")
    prepare(env)
    manage(env, "shell", "-c", "from chargers.models import Charger; Charger.objects.create(charge_point_id='KNOWN-1')")
    set_key(env, "AUTH-1", KEY_HEX, 1)
    daphne = Daphne(env)
    yield env, daphne
    daphne.stop()


async def test_basic_auth_and_known_chargers_only(lab):
    env, daphne = lab
    url = daphne.server.ws_url
    # Known chargers only: a stranger is refused before the upgrade and listed.
    assert await refused(url + "STRANGER") == 403
    assert (await heartbeat(url + "KNOWN-1"))[0] == 3
    # Profile 1: no credentials, wrong key, wrong user: refused.
    assert await refused(url + "AUTH-1") == 403
    assert await refused(url + "AUTH-1", additional_headers=basic("AUTH-1", b"not-the-key")) == 403
    assert await refused(url + "AUTH-1", additional_headers=basic("OTHER", KEY_HEX.encode())) == 403
    # The key as hex digits, upper case, or as its raw 20 bytes: all admitted.
    for password in (KEY_HEX.encode(), KEY_HEX.upper().encode(), bytes.fromhex(KEY_HEX)):
        assert (await heartbeat(url + "AUTH-1", additional_headers=basic("AUTH-1", password)))[0] == 3
    events = evidence(env, "AUTH-1")
    security = [e for e in events if e["event"] == "security"]
    assert [e["reason"] for e in security] == [
        "missing HTTP Basic credentials (security profile 1)",
        "wrong AuthorizationKey",
        "Basic auth user name is not the charge point id",
    ]
    assert all(e["remote"].startswith("127.0.0.1:") for e in security)
    rejected = manage(
        env,
        "shell",
        "-c",
        "from chargers.models import *; print(list(RejectedAttempt.objects.values_list('charge_point_id', 'reason')))",
    )
    assert "STRANGER" in rejected and "known chargers only" in rejected
    log = daphne.stop()
    assert "STRANGER" in log and "AUTH-1" in log
    assert KEY_HEX not in log and "not-the-key" not in log


def make_ca_and_server_cert(directory):
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Lab CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


async def test_profile_2_needs_tls_and_basic_auth(tmp_path):
    make_ca_and_server_cert(tmp_path)
    tls_port = free_port()
    env = base_env(tmp_path, OCPP_TLS_PORT=str(tls_port))
    prepare(env)
    set_key(env, "TLS-1", "a-secret-of-16-bytes-or-more", 2)
    endpoint = f"ssl:port={tls_port}:interface=127.0.0.1:privateKey={tmp_path / 'server.key'}:certKey={tmp_path / 'server.pem'}"
    daphne = Daphne(env, extra_args=("-e", endpoint))
    try:
        context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        auth = basic("TLS-1", b"a-secret-of-16-bytes-or-more")
        # Plain ws:// is refused even with the right key.
        assert await refused(daphne.server.ws_url + "TLS-1", additional_headers=auth) == 403
        wss = f"wss://127.0.0.1:{tls_port}/ocpp/TLS-1"
        async with websockets.connect(wss, subprotocols=["ocpp1.6"], ssl=context, additional_headers=auth) as ws:
            assert ws.transport.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
            await ws.send('[2,"1","Heartbeat",{}]')
            assert json.loads(await ws.recv())[0] == 3
        # Over TLS but without the key: refused.
        assert await refused(wss, ssl=context) == 403
    finally:
        daphne.stop()
