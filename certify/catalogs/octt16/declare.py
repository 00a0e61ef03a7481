"""The charger's declaration (OCTT's PICS) as the session page edits it: each
field prefilled from what the charger's configuration suggests, with what the
engineer declared over it; a value that cannot be is said beside its field.
Only what differs from the configuration's suggestion is kept in the session's
options, so a configuration read later still fills the rest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from .case import GROUPS, Declaration

# The feature profiles a charger may declare beyond Core, in the document's order.
PROFILES = tuple(dict.fromkeys(p for _, p in GROUPS.values() if p not in (None, "Core")))
MAX_CONNECTORS = 32
SECURITY_PROFILES = (0, 1, 2, 3)


@dataclass(frozen=True)
class Field:
    name: str  # Declaration's field
    label: str
    kind: str  # "profiles", "bool" or "int"
    help: str = ""


FIELDS = (
    Field("profiles", "Feature profiles", "profiles", "Core always; the others as SupportedFeatureProfiles says."),
    Field("connectors", "Connectors", "int", f"1 to {MAX_CONNECTORS} (NumberOfConnectors)."),
    Field("fixed_cable", "Fixed cable", "bool", "The cable is attached to the charger (no plug at the charger)."),
    Field("authorization_cache", "Authorization cache", "bool", "AuthorizationCacheEnabled exists."),
    Field("offline_transactions", "Transactions while offline", "bool", "Starts and stops a transaction offline."),
    Field("local_stop", "Local stop", "bool", "A transaction can be stopped at the charger (card or button)."),
    Field("backup_power", "Back-up power", "bool", "Stops its transactions before going down on a power loss."),
    Field("reserve_connector_zero", "Reservation of connector 0", "bool", "ReserveConnectorZeroSupported."),
    Field(
        "stop_on_ev_side_disconnect_writable",
        "StopTransactionOnEVSideDisconnect writable",
        "bool",
        "The key is ReadWrite.",
    ),
    Field("lock_failure", "Rig: lock failure", "bool", "The rig can make the connector lock fail."),
    Field("unlock_failure", "Rig: unlock failure", "bool", "The rig can make an unlock fail."),
    Field("local_list_failure", "Rig: local list failure", "bool", "The rig can make storing the local list fail."),
    Field("security_profile", "Security profile", "int", "0 (plain ws), 1 basic auth, 2 TLS + basic auth, 3 TLS cert."),
    Field("security_extension", "Security extension", "bool", "The white paper's messages (certificates, logs)."),
)
assert {f.name for f in FIELDS} == {f.name for f in fields(Declaration)}, "every declared option has its field"


def current(options: Mapping, config: Mapping[str, str]) -> Declaration:
    """What the session declares now: the configuration's suggestion, the engineer's over it."""
    from .catalog import declaration_of

    return declaration_of(options, config)


def form_fields(options: Mapping, config: Mapping[str, str], values: Mapping | None = None) -> list[dict]:
    """The fields as the page shows them: name, label, kind, help, value (what was
    typed when a save was refused, else the current declaration), the profiles'
    choices, and whether the configuration suggests the value shown."""
    declared = current(options, config).to_dict()
    suggested = Declaration.from_configuration(config).to_dict()
    shown = []
    for f in FIELDS:
        value = values[f.name] if values is not None and f.name in values else declared[f.name]
        shown.append(
            {
                "name": f.name,
                "label": f.label,
                "kind": f.kind,
                "help": f.help,
                "value": value,
                "choices": PROFILES if f.kind == "profiles" else (),
                "declared": declared[f.name] != suggested[f.name],
            }
        )
    return shown


def parse(posted: Mapping[str, list[str]]) -> tuple[dict, dict[str, str]]:
    """The declaration from a posted form (each name -> its values): the values,
    and a message per field whose value cannot be (what the page says beside it)."""
    values: dict = {}
    errors: dict[str, str] = {}
    for f in FIELDS:
        given = [v.strip() for v in posted.get(f.name, [])]
        if f.kind == "profiles":
            unknown = [p for p in given if p not in PROFILES and p != "Core"]
            if unknown:
                errors[f.name] = f"Unknown feature profile {', '.join(unknown)}; known: {', '.join(PROFILES)}."
            values[f.name] = sorted({"Core", *given})
        elif f.kind == "bool":
            values[f.name] = bool(given) and given[-1].lower() in ("on", "true", "1", "yes")
        else:
            text = given[-1] if given else ""
            values[f.name] = text
            try:
                number = int(text)
            except ValueError:
                errors[f.name] = f"{f.label}: a whole number, not “{text}”." if text else f"{f.label}: say how many."
                continue
            error = _out_of_range(f.name, number)
            if error:
                errors[f.name] = error
            else:
                values[f.name] = number
    return values, errors


def _out_of_range(name: str, number: int) -> str:
    if name == "connectors" and not 1 <= number <= MAX_CONNECTORS:
        return f"A charger has 1 to {MAX_CONNECTORS} connectors (NumberOfConnectors), not {number}."
    if name == "security_profile" and number not in SECURITY_PROFILES:
        return f"The security profile is 0, 1, 2 or 3 (OCPP 1.6 security white paper), not {number}."
    return ""


def kept(values: Mapping, config: Mapping[str, str]) -> dict:
    """What the session keeps of a valid declaration: only what differs from the
    configuration's suggestion."""
    suggested = Declaration.from_configuration(config).to_dict()
    declared = Declaration.from_dict(values).to_dict()
    return {name: value for name, value in declared.items() if suggested.get(name) != value}


def summary(options: Mapping, config: Mapping[str, str]) -> str:
    """The declaration in one line, as the report's first page prints it."""
    declared = current(options, config)
    said = [
        ", ".join(sorted(declared.profiles)),
        f"{declared.connectors} connector{'s' if declared.connectors > 1 else ''}",
    ]
    said += [f.label for f in FIELDS if f.kind == "bool" and getattr(declared, f.name)]
    said.append(f"security profile {declared.security_profile}")
    return "; ".join(said)
