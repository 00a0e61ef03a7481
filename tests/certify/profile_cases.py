"""What a simulator profile must make of a catalog's cases, derived from clauses.

The simulator knows nothing of certification: each profile names the OCPP
clauses it breaks (`breaks`) or leaves out (`lacks`) and the feature profiles it
has. Each case names the clauses it rests on and the feature profile it needs.
So a fault must fail the cases resting on a clause it breaks (unless it shows
only among the findings), and a legal variant makes the cases of a feature it
lacks Not supported or Not applicable; every other case must pass."""

from __future__ import annotations

from certify.catalogs import Case, get
from chargers.frames.reader import Log
from chargers.simulator.profiles import Profile, clause_number


def clause_numbers(clauses: tuple[str, ...]) -> set[str]:
    """Clauses match by their number ('9.1.10 HeartbeatInterval' -> '9.1.10')."""
    return {clause_number(c) for c in clauses}


def failing(profile: Profile, catalog: str = "ocpp16-testscript") -> list[Case]:
    """The cases a fault must fail: those resting on a clause it breaks."""
    if profile.shown_by != "cases":
        return []
    broken = clause_numbers(profile.breaks)
    return [c for c in get(catalog).cases if broken & clause_numbers(c.clauses)]


def lacking(profile: Profile, catalog: str = "ocpp16-testscript") -> list[Case]:
    """The cases a charger with this profile cannot do: their feature profile is
    not among its own, or they rest on a clause it lacks."""
    lacks = clause_numbers(profile.lacks)
    return [
        c
        for c in get(catalog).cases
        if (c.profile and c.profile not in profile.feature_profiles) or lacks & clause_numbers(c.clauses)
    ]


def reboots_during_transactions(log: Log) -> list[str]:
    """Each Reset or UpdateFirmware of ours sent while a transaction of the charger
    ran (started, not yet stopped): what a run must never do (issue 20.5)."""
    starts = {r.seq: r.answer.payload.get("transactionId") for r in log.calls("StartTransaction", "in") if r.ok}
    stops = {r.seq: r.payload.get("transactionId") for r in log.calls("StopTransaction", "in")}
    found = []
    for command in [*log.calls("Reset", "out"), *log.calls("UpdateFirmware", "out")]:
        running = {tx for seq, tx in starts.items() if seq < command.seq}
        running -= {tx for seq, tx in stops.items() if seq < command.seq}
        if running:
            found.append(f"{command.action} at seq {command.seq} while transaction(s) {sorted(running)} ran")
    return found
