"""The form of an OCTT 1.6 charger test case, and the charger's declaration
(OCTT's PICS) that decides which cases apply.

A case is what a lab reads in the OCA's test case document, in our own words:
its id, title, purpose, what must hold before, the configuration it sets, its
steps (judged as data by certify.judging.sequence), the pass criteria, the
OCPP 1.6 clauses it rests on and the test data it reads. Where the steps
cannot say it, a case carries a hand-written `check` over the steps' frames.

Derived from the OCA OCTT test case document, FINAL 2024-04 (CC BY-ND 4.0):
ids and the facts tested are the OCA's, the wording is ours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields

CREDIT = "Derived from the OCA OCTT test case document, FINAL 2024-04"

# The catalogue's groups (the document's feature profiles), in its order: the
# slug users pass to --profiles, the words they read, and the
# SupportedFeatureProfiles value the group needs (None: the security white paper).
GROUPS: dict[str, tuple[str, str | None]] = {
    "core": ("Core", "Core"),
    "local-auth-list": ("Local Authorization List Management", "LocalAuthListManagement"),
    "firmware": ("Firmware Management", "FirmwareManagement"),
    "diagnostics": ("Diagnostics (Firmware Management)", "FirmwareManagement"),
    "reservation": ("Reservation", "Reservation"),
    "remote-trigger": ("Remote Trigger", "RemoteTrigger"),
    "smart-charging": ("Smart Charging", "SmartCharging"),
    "security": ("Security (OCPP 1.6 security white paper)", None),
}


@dataclass(frozen=True)
class Declaration:
    """What the charger claims, as OCTT's PICS: its feature profiles and the
    options that decide which cases apply. Prefilled from its configuration
    (`from_configuration`), editable on the session."""

    profiles: frozenset[str] = frozenset(
        {"Core", "FirmwareManagement", "LocalAuthListManagement", "Reservation", "SmartCharging", "RemoteTrigger"}
    )
    connectors: int = 1
    fixed_cable: bool = False
    authorization_cache: bool = True
    offline_transactions: bool = True  # starts and stops a transaction while offline (list, cache or unknown)
    local_stop: bool = True  # a transaction can be stopped at the charger (card or button)
    backup_power: bool = False  # stops its transactions before going down on a power loss
    reserve_connector_zero: bool = False  # ReserveConnectorZeroSupported
    stop_on_ev_side_disconnect_writable: bool = True  # StopTransactionOnEVSideDisconnect is ReadWrite
    lock_failure: bool = False  # the rig can make the connector lock fail
    unlock_failure: bool = False  # the rig can make an unlock fail
    local_list_failure: bool = False  # the rig can make storing the local list fail
    security_profile: int = 0  # 0: none (plain ws), 1: basic auth, 2: TLS + basic auth, 3: TLS client certificate
    security_extension: bool = False  # the white paper's messages (certificates, signed firmware, security log)

    @classmethod
    def from_configuration(cls, config: Mapping[str, str], **overrides) -> Declaration:
        """The declaration a charger's configuration suggests (keys as read by GetConfiguration)."""
        found: dict = {}
        profiles = config.get("SupportedFeatureProfiles")
        if profiles is not None:
            found["profiles"] = frozenset(p.strip() for p in profiles.split(",") if p.strip()) | {"Core"}
        try:
            found["connectors"] = max(1, int(config.get("NumberOfConnectors", "")))
        except ValueError:
            pass
        if config:
            found["authorization_cache"] = "AuthorizationCacheEnabled" in config
        if "ReserveConnectorZeroSupported" in config:
            found["reserve_connector_zero"] = str(config["ReserveConnectorZeroSupported"]).lower() == "true"
        try:
            found["security_profile"] = int(config.get("SecurityProfile", ""))
        except ValueError:
            pass
        return cls(**{**found, **overrides})

    @classmethod
    def from_dict(cls, data: Mapping | None) -> Declaration:
        """From a session's stored options (unknown names ignored, profiles a list)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in names}
        if "profiles" in values:
            values["profiles"] = frozenset(values["profiles"]) | {"Core"}
        return cls(**values)

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["profiles"] = sorted(self.profiles)
        return out

    def option(self, name: str) -> bool:
        """A declared option as a yes/no (security_profile: a profile is used)."""
        return bool(getattr(self, name))


# A need of a case: a feature profile (Not supported when the charger lacks it), or
# an option of the declaration, "name" (must hold) or "!name" (must not hold), which
# makes the case Not applicable. "sp1" ... "sp3": that security profile or higher is in use.
Need = str


@dataclass(frozen=True)
class OcttCase:
    """One OCTT 1.6 charger test case, in our words."""

    id: str  # the document's test case id, e.g. "TC_003_CS"
    title: str
    group: str  # a key of GROUPS
    purpose: str
    steps: tuple = ()
    criteria: tuple[str, ...] = ()
    clauses: tuple[str, ...] = ()
    before: tuple[str, ...] = ()  # what must hold beyond the general preconditions
    config: Mapping[str, object] = field(default_factory=dict)  # keys the bench sets first ("{test data}" values)
    config_if_present: Mapping[str, object] = field(default_factory=dict)  # the same, for keys a charger may lack
    data: tuple[str, ...] = ()  # the test data it reads beyond connector and id_tag
    needs: tuple[Need, ...] = ()
    answers: Mapping[str, object] = field(default_factory=dict)  # our scripted answers (see answers.py)
    check: Callable | None = None  # (outcome, records, data) -> outcome: what the steps cannot say
    cleanup: tuple = ()  # physical steps (Manual) that bring the charger back after the case, e.g. clear-fault
    differs: str = ""  # where we judge otherwise than OCTT, and why
    automatic: bool = True  # False: a person judges part of it (the bench cannot see it in the log)
    profile_optional: bool = False  # True: the case also applies to a charger without its group's profile

    @property
    def profile(self) -> str | None:
        """The feature profile the case needs (SupportedFeatureProfiles); None for Core."""
        needed = GROUPS[self.group][1]
        return None if needed in (None, "Core") else needed

    def ruled_out(self, declaration: Declaration) -> tuple[str, str] | None:
        """("not_supported" | "not_applicable", why) when the declaration rules the case out."""
        needed = GROUPS[self.group][1]
        if needed and needed not in declaration.profiles and not self.profile_optional:
            return "not_supported", f"the charger does not declare the {needed} feature profile"
        for need in self.needs:
            if need.startswith("!") and need[1].isupper():  # a case for chargers without a profile
                if need[1:] in declaration.profiles:
                    return "not_applicable", f"only for a charger without the {need[1:]} feature profile"
                continue
            if need.startswith("sp"):
                level = int(need[2:])
                if not declaration.security_profile:  # plain ws: none of the white paper's profiles
                    return "not_supported", "the charger declares no security profile (OCPP 1.6 security white paper)"
                if declaration.security_profile < level:
                    return "not_applicable", f"needs security profile {level} or higher"
                continue
            if need == "security_extension" and not declaration.security_extension:
                return "not_supported", _NO_EXTENSION
            if need[0].isupper():
                if need not in declaration.profiles:
                    return "not_supported", f"the charger does not declare the {need} feature profile"
                continue
            negate = need.startswith("!")
            name = need.lstrip("!")
            if declaration.option(name) == negate:
                # The case needs the option (or its absence); say what the charger is.
                return "not_applicable", f"only for a charger {_OPTION_WORDS[name][not negate]}"
        return None


_NO_EXTENSION = (
    "the charger does not declare the security extension (certificates, signed firmware, security log: "
    "OCPP 1.6 security white paper)"
)

# How a declared option reads in a Not applicable reason: (when it is false, when true).
_OPTION_WORDS = {
    "fixed_cable": ("without a fixed cable", "with a fixed cable"),
    "authorization_cache": ("without an authorization cache", "with an authorization cache"),
    "offline_transactions": ("that cannot start transactions offline", "that starts transactions offline"),
    "local_stop": ("without a local stop", "with a local stop"),
    "backup_power": ("without back-up power", "with back-up power"),
    "reserve_connector_zero": ("that cannot reserve connector 0", "that reserves connector 0"),
    "stop_on_ev_side_disconnect_writable": (
        "whose StopTransactionOnEVSideDisconnect is read-only",
        "whose StopTransactionOnEVSideDisconnect is writable",
    ),
    "lock_failure": ("whose lock failure the rig cannot provoke", "whose lock failure the rig can provoke"),
    "unlock_failure": ("whose unlock failure the rig cannot provoke", "whose unlock failure the rig can provoke"),
    "local_list_failure": (
        "whose local-list storage failure the rig cannot provoke",
        "whose local-list storage failure the rig can provoke",
    ),
    "security_extension": ("without the security extension", "with the security extension"),
}
