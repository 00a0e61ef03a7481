"""The composite schedule of §3.13 over a time window: at each moment the
highest stack level in force of each purpose (§3.13.3), the transaction's
TxProfile in place of the TxDefaultProfile (a connector's own default in place
of connector 0's), capped by the ChargePointMaxProfile (§3.13.4). Profiles are
the ocpp library's snake_case dicts as SetChargingProfile delivered them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

# A profile as installed: {"connector": n, "profile": {...}}.
Entry = dict


def moment(text: str | None) -> datetime | None:
    if not text:
        return None
    when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _starts(profile: dict, at: datetime, tx_start: datetime | None) -> datetime:
    """When the profile's schedule began for moment `at`: its startSchedule (Absolute),
    the transaction's start (Relative), the last recurrence not after `at` (Recurring)."""
    schedule = profile["charging_schedule"]
    kind = profile.get("charging_profile_kind", "Absolute")
    if kind == "Relative":
        return tx_start or at
    start = moment(schedule.get("start_schedule")) or tx_start or at
    if kind == "Recurring":
        every = timedelta(days=7 if profile.get("recurrency_kind") == "Weekly" else 1)
        if start <= at:
            start += ((at - start) // every) * every
    return start


def limit_at(profile: dict, at: datetime, tx_start: datetime | None) -> tuple[float, int | None] | None:
    """(limit, numberPhases) of the profile at that moment, None when it is not in force."""
    valid_from, valid_to = moment(profile.get("valid_from")), moment(profile.get("valid_to"))
    if (valid_from and at < valid_from) or (valid_to and at >= valid_to):
        return None
    schedule = profile["charging_schedule"]
    start = _starts(profile, at, tx_start)
    offset = (at - start).total_seconds()
    duration = schedule.get("duration")
    if offset < 0 or (duration is not None and offset >= duration):
        return None
    current = None
    for period in sorted(schedule["charging_schedule_period"], key=lambda p: p["start_period"]):
        if period["start_period"] <= offset:
            current = period
    return None if current is None else (float(current["limit"]), current.get("number_phases"))


def _breaks(profile: dict, now: datetime, end: datetime, tx_start: datetime | None) -> Iterable[datetime]:
    """The moments within [now, end) where the profile may change its limit."""
    for edge in (moment(profile.get("valid_from")), moment(profile.get("valid_to"))):
        if edge:
            yield edge
    start = _starts(profile, now, tx_start)
    every = None
    if profile.get("charging_profile_kind") == "Recurring":
        every = timedelta(days=7 if profile.get("recurrency_kind") == "Weekly" else 1)
    while start < end:
        schedule = profile["charging_schedule"]
        for period in schedule["charging_schedule_period"]:
            yield start + timedelta(seconds=period["start_period"])
        if schedule.get("duration") is not None:
            yield start + timedelta(seconds=schedule["duration"])
        if every is None:
            break
        start += every


def composite(
    entries: Iterable[Entry],
    number: int,
    now: datetime,
    duration: int,
    convert: Callable[[dict, float, int | None], float],
    fallback: float,
    transaction: int | None = None,
    tx_start: datetime | None = None,
) -> list[dict]:
    """The periods (seconds from `now`) of the connector's composite schedule, in the
    unit `convert(profile, limit, numberPhases)` gives each profile's limit in; `fallback`: the charger's own limit where no
    profile is in force; `transaction`: the connector's running transaction."""
    entries = list(entries)
    end = now + timedelta(seconds=duration)

    def mine(purpose: str, connectors: tuple[int, ...]) -> list[dict]:
        return [
            e["profile"]
            for e in entries
            if e["profile"].get("charging_profile_purpose") == purpose
            and e["connector"] in connectors
            and (purpose != "TxProfile" or e["profile"].get("transaction_id") in (None, transaction))
        ]

    tx = mine("TxProfile", (number,)) if transaction is not None else []
    defaults_own, defaults_all = mine("TxDefaultProfile", (number,)), mine("TxDefaultProfile", (0,))
    cap = mine("ChargePointMaxProfile", (0,))

    def top(profiles: list[dict], at: datetime) -> float | None:
        """The highest stack level in force (§3.13.3)."""
        found = [(p.get("stack_level", 0), p, limit_at(p, at, tx_start)) for p in profiles]
        found = [f for f in found if f[2] is not None]
        if not found:
            return None
        _, profile, (value, phases) = max(found, key=lambda f: f[0])
        return convert(profile, value, phases)

    def limit(at: datetime) -> float:
        chosen = top(tx, at)
        if chosen is None:
            chosen = top(defaults_own, at) if number else None
        if chosen is None:
            chosen = top(defaults_all, at)
        ceiling = top(cap, at)
        found = [x for x in (chosen, ceiling) if x is not None]
        return min(found) if found else fallback

    moments = {now}
    for profile in (*tx, *defaults_own, *defaults_all, *cap):
        moments.update(m for m in _breaks(profile, now, end, tx_start) if now < m < end)
    periods: list[dict] = []
    for at in sorted(moments):
        value = limit(at)
        start = int((at - now).total_seconds())
        if periods and periods[-1]["start_period"] == start:
            periods.pop()  # two changes within the same second: the later one holds
        if periods and periods[-1]["limit"] == value:
            continue
        periods.append({"start_period": start, "limit": value})
    return periods
