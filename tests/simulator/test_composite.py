"""The simulator's composite schedule (§3.13, §5.7), one row per rule, without
sockets: the profiles OCTT's TC_066_CS, TC_067_CS and TC_072_CS install."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chargers.simulator.composite import composite

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def profile(pid, purpose, periods, connector=1, stack=0, duration=400, start=NOW, **extra):
    body = {
        "charging_profile_id": pid,
        "stack_level": stack,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": extra.pop("kind", "Absolute"),
        "charging_schedule": {
            "duration": duration,
            "start_schedule": start.isoformat() if start else None,
            "charging_rate_unit": "A",
            "charging_schedule_period": [{"start_period": s, "limit": v} for s, v in periods],
        },
        **extra,
    }
    return {"connector": connector, "profile": body}


CAP = profile(10, "ChargePointMaxProfile", [(0, 10)], connector=0, duration=86400)
DEFAULT = profile(11, "TxDefaultProfile", [(0, 6), (60, 10), (120, 8), (180, 15), (260, 8)])
TX = profile(12, "TxProfile", [(0, 8), (50, 11), (140, 16), (200, 6), (240, 12)], transaction_id=7)
LOW = profile(30, "TxDefaultProfile", [(0, 6), (100, 8), (200, 10)], stack=0)
HIGH = profile(31, "TxDefaultProfile", [(0, 7), (100, 9)], stack=1, duration=150)


def periods(entries, duration=400, transaction=None, number=1, now=NOW, tx_start=None):
    found = composite(
        entries, number, now, duration, lambda _p, v, _n: v, 16.0, transaction=transaction, tx_start=tx_start
    )
    return [(p["start_period"], p["limit"]) for p in found]


@pytest.mark.parametrize(
    ("entries", "transaction", "duration", "expected"),
    [
        # §3.13.4: the transaction's TxProfile replaces the default, capped by ChargePointMaxProfile (TC_066_CS).
        ([CAP, DEFAULT, TX], 7, 400, [(0, 8), (50, 10), (200, 6), (240, 10)]),
        # §3.13.4: without a transaction the TxProfile plays no part; the default, capped.
        ([CAP, DEFAULT, TX], None, 400, [(0, 6), (60, 10), (120, 8), (180, 10), (260, 8)]),
        # §3.13.3: the higher stack level rules while it lasts, then the lower (TC_072_CS).
        ([LOW, HIGH], None, 350, [(0, 7), (100, 9), (150, 8), (200, 10)]),
        # §3.13.3: past every profile's duration, the charger's own limit.
        ([HIGH], None, 300, [(0, 7), (100, 9), (150, 16)]),
        # §3.13.2: a TxProfile of another transaction is not this one's.
        ([TX], 8, 100, [(0, 16)]),
    ],
    ids=["tx-capped", "default-capped", "stacked", "expired", "other-transaction"],
)
def test_the_composite_schedule_follows_stacking_and_purposes(entries, transaction, duration, expected):
    assert periods(entries, duration, transaction) == expected


def test_a_schedule_begun_earlier_shifts_its_periods():
    """§5.7: periods count from the moment asked, so a profile begun 10 s ago changes 10 s sooner."""
    later = NOW + timedelta(seconds=10)
    assert periods([LOW, HIGH], 350, now=later) == [(0, 7), (90, 9), (140, 8), (190, 10)]


def test_a_connectors_own_default_replaces_that_of_connector_0():
    """§3.13.2: a TxDefaultProfile on the connector overrules the one on connector 0."""
    everywhere = profile(40, "TxDefaultProfile", [(0, 12)], connector=0)
    own = profile(41, "TxDefaultProfile", [(0, 9)], connector=1)
    assert periods([everywhere, own], 100) == [(0, 9)]
    assert periods([everywhere, own], 100, number=2) == [(0, 12)]


def test_a_relative_profile_starts_with_the_transaction():
    """§3.13.1 (Relative): the schedule begins when the transaction began."""
    relative = profile(50, "TxProfile", [(0, 6), (60, 9)], start=None, kind="Relative", transaction_id=7)
    assert periods([relative], 100, transaction=7, tx_start=NOW - timedelta(seconds=30)) == [(0, 6), (30, 9)]


def test_a_daily_profile_recurs():
    """§3.13.1 (Recurring, Daily): yesterday's schedule starts again today."""
    daily = profile(
        60,
        "TxDefaultProfile",
        [(0, 6), (7200, 10)],
        duration=86400,
        start=NOW - timedelta(days=1, hours=1),
        kind="Recurring",
        recurrency_kind="Daily",
    )
    assert periods([daily], 7200) == [(0, 6), (3600, 10)]
