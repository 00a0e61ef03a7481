"""The charging profiles the Smart Charging cases install, and the composite
schedule they expect back. Limits are the document's amperes ("{limit 6}"),
sent x1000 when the charger takes watts; schedules start `max_time_deviation`
seconds before they are sent, as the document has them."""

from __future__ import annotations

from certify.judging.steps import Check, Send, Var

from ..states import UNSUPPORTED

SLACK = 30  # s a composite's period may start early: the time between installing a profile and asking


def schedule(periods, duration="{profile_duration}") -> dict:
    return {
        "duration": duration,
        "startSchedule": "{schedule_start}",
        "chargingRateUnit": "{rate_unit}",
        "chargingSchedulePeriod": [
            {"startPeriod": start, "limit": f"{{limit {limit}}}", "numberPhases": "{number_phases}"}
            for start, limit in periods
        ],
    }


def profile(pid: int, purpose: str, periods, stack: int = 0, duration="{profile_duration}", transaction=None) -> dict:
    body = {
        "chargingProfileId": pid,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": schedule(periods, duration),
    }
    if transaction is not None:
        body["transactionId"] = transaction
    return body


def install(pid: int, purpose: str, periods, connector="{connector}", answer="Accepted", **kw) -> Send:
    """SetChargingProfile of one profile."""
    errors = kw.pop("errors", ())
    return Send(
        "SetChargingProfile",
        {"connectorId": connector, "csChargingProfiles": profile(pid, purpose, periods, **kw)},
        {"status": answer},
        errors=errors,
        unsupported=UNSUPPORTED,
        label=f"We install {purpose} {pid}; the charger answers {answer}",
    )


# Where the composite may go on past what the document expects, and why.
TAIL = (
    f"A composite may end with one more period in its last {SLACK} s plus the maximum time deviation: our profiles "
    "begin that much before we ask and last as long as the window, and once they end §3.13 puts the charger's own "
    "limit in force (OCTT expects the document's periods only)."
)


def composite(periods, duration="{profile_duration}") -> Send:
    """GetCompositeSchedule for the connector: Accepted, for the connector, in
    the unit asked, with the periods' limits in order (each start up to SLACK s
    early), and at most one more period where the profiles have ended (TAIL).
    Its startSchedule is not compared with the time of asking."""

    def holds(value, resolve) -> bool:
        if not isinstance(value, dict):
            return False
        try:
            scale = float(resolve(Var("rate_scale")))
            deviation = float(resolve(Var("max_time_deviation")))
            window = float(resolve(Var(duration.strip("{}"))) if isinstance(duration, str) else duration)
        except (TypeError, ValueError):
            return False
        if value.get("chargingRateUnit") != resolve(Var("rate_unit")):
            return False
        got = [(p.get("startPeriod"), p.get("limit")) for p in value.get("chargingSchedulePeriod") or []]
        if len(got) == len(periods) + 1 and isinstance(got[-1][0], int | float):
            if got[-1][0] >= window - SLACK - deviation:
                got = got[:-1]  # the charger's own limit once the profiles ended (TAIL)
        if len(got) != len(periods):
            return False
        for (start_got, limit_got), (start_want, limit_want) in zip(got, periods, strict=True):
            if not isinstance(start_got, int | float) or not isinstance(limit_got, int | float):
                return False
            if abs(float(limit_got) - limit_want * scale) > 0.01 * scale:
                return False
            if not start_want - SLACK - deviation <= start_got <= start_want + deviation:
                return False
        return True

    words = ", ".join(f"{limit} from {start} s" for start, limit in periods)
    return Send(
        "GetCompositeSchedule",
        {"connectorId": "{connector}", "duration": duration, "chargingRateUnit": "{rate_unit}"},
        {
            "status": "Accepted",
            "connectorId": Var("connector"),
            "chargingSchedule": Check(holds, f"the composite schedule: {words}"),
        },
        unsupported=UNSUPPORTED,
        label=f"The composite schedule: {words}",
    )
