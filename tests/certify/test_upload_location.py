"""Where a diagnostics upload goes when the case leaves it to us ({diagnostics_auto_url}):
our HTTP location, which the app itself serves, unless the charger's
SupportedFileTransferProtocols (as last read) lists FTP and no HTTP(S), §5.9: the upload
is the charger's, over what it can."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from certify import sessions, transfer
from chargers.models import Charger, Frame

pytestmark = pytest.mark.django_db


def session_reading(protocols: str | None):
    charger = Charger.objects.create(charge_point_id=f"CP-UP-{protocols}", connected=False)
    session = sessions.create_session(charger.charge_point_id)
    if protocols is not None:
        keys = [{"key": "SupportedFileTransferProtocols", "readonly": True, "value": protocols}]
        for seq, direction, body in (
            (1, "out", [2, "g1", "GetConfiguration", {}]),
            (2, "in", [3, "g1", {"configurationKey": keys}]),
        ):
            Frame.objects.create(
                charger=charger,
                seq=session.start_seq + seq,
                ts=datetime(2026, 1, 1, tzinfo=UTC),
                direction=direction,
                message_type=body[0],
                action="GetConfiguration",
                unique_id="g1",
                raw=json.dumps(body),
            )
    return session


@pytest.mark.parametrize(
    ("protocols", "over"),
    [
        (None, "http"),  # not read: the location we always serve
        ("FTP,HTTP,HTTPS", "http"),
        ("HTTPS", "http"),
        ("FTP", "ftp"),  # FTP only: our FTP server
        (" ftp ", "ftp"),
    ],
)
def test_the_upload_goes_over_what_the_charger_lists(protocols, over):
    session = session_reading(protocols)
    filled = sessions.fill_payload(session, {"location": "{diagnostics_auto_url}"}, "lab")["location"]
    expected = transfer.diagnostics_url if over == "ftp" else transfer.diagnostics_http_url
    assert filled == expected(session, "lab")
