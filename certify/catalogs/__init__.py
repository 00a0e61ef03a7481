"""Test cases and the catalogs that hold them, registered by name.

A catalog is a package (`certify/catalogs/<name>/`) whose `CATALOG` lists its
cases in order and its headless plan; a case is one module holding what the test
engineer reads (`CASE`, data), how the bench judges it (`judge`, a pure function
of a `certify.judging.Scope`) and how a headless run drives it (`drive`). A new
catalog is a package and one line in `CATALOGS`; it is imported on first use.

A case module imports no model, no view and no other catalog: what two catalogs
share is protocol knowledge (chargers.protocol.<version>.state) or judging
vocabulary (certify.judging).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType
from typing import Any

from ..judging.scope import Scope
from ..judging.verdict import Verdict

CATALOGS: dict[str, str] = {
    "ocpp16-testscript": "certify.catalogs.testscript16",
    "octt16": "certify.catalogs.octt16.catalog",
}
DEFAULT = "ocpp16-testscript"

# The parts a case's page may show, by name: the views and templates read these
# from the Case, never a case key.
PANEL_PARTS = {
    "per_connector": "its commands once per connector (0 and each connector reported)",
    "payload": "the filled payload of its commands (our URLs, the time window)",
    "firmware_upload": "the upload of the manufacturer's firmware file",
    "diagnostics_files": "the diagnostics files received",
    "profile_presets": "charging-profile presets, in the units the charger allows",
    "meter_chart": "the meter-value chart",
    "offline_control": "'Take offline for N s'",
    "cards": "the cards of the session (accepted and refused) and the link to the id-tag list",
}


@dataclass(frozen=True)
class Command:
    """A button on a case: an OCPP command with a prefilled, editable payload.
    Payload values may use placeholders filled in per session
    (certify.sessions.fill_payload): {connector}, {id_tag}, {transaction_id},
    {firmware_url}, {diagnostics_url} (FTP), {diagnostics_http_url}, {now},
    {hour_ago}, {rate_unit} and {rate_limit} (from the case's `rate_limits`)."""

    label: str
    action: str
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One test case. `key` names it everywhere (database, API, URLs, `sent_by`
    tags); `number` orders it for display."""

    key: str
    number: int
    title: str
    criteria: tuple[str, ...]
    manual: str = ""
    commands: tuple[Command, ...] = ()
    clauses: tuple[str, ...] = ()
    octt: tuple[str, ...] = ()  # the OCA OCTT 1.6 test case ids it corresponds to
    # The feature profile the case needs (SupportedFeatureProfiles); None: Core.
    profile: str | None = None
    automatic: bool = True  # False: judged by the engineer only
    # What the report shows beside the case's evidence: "meter_chart",
    # "firmware" (files hosted, version after the update), "diagnostics" (files received).
    shows: tuple[str, ...] = ()
    # Put before a pass's remark in the Result column, as the reference words it
    # ("Ok, Configuration (109)"); most remarks stand as they are ("Both ok").
    result_prefix: str = ""
    panel: frozenset[str] = frozenset()  # what its page shows beside its commands (PANEL_PARTS)
    needs_card: bool = False  # placeholders in `manual` filled per session, e.g. {id_tag}
    # Payload presets its command forms offer: name -> (label, a csChargingProfiles object).
    presets: Mapping[str, tuple[str, dict]] = field(default_factory=dict)
    rate_limits: Mapping[str, float] = field(default_factory=dict)  # chargingRateUnit -> {rate_limit}
    on_boot: Command | None = None  # sent by the bench after every BootNotification in a session
    # Judged from what another case causes: its attempt begins before that one's (of
    # several, the first a run works).
    rides_on: str | tuple[str, ...] | None = None
    judge: Callable[[Scope], Verdict] | None = None
    drive: Callable[[Any], Awaitable[None]] | None = None  # a headless run's procedure
    # How the server works the case when the page or the API runs it (certify.page_runs); None: by hand only.
    serve: Callable[[Any], Awaitable[None]] | None = None
    rule: str = ""  # the name of its judging rule, as the pages print it (its module's)
    group: str = ""  # the catalog's group it is listed under (Catalog.groups), e.g. an OCTT feature profile
    # The case's own placeholders filled from the session's options: (payload, options) -> payload,
    # before the session's (certify.services.fill_payload).
    fill: Callable[[dict, Mapping], dict] | None = None
    # Our answers the case scripts while its attempt runs (chargers.hooks.answer_sources):
    # (session options, action, payload, boots since the attempt began) -> answer fields, or None.
    answers: Callable[[Mapping, str, dict, int], dict | None] | None = None

    @property
    def served(self) -> bool:
        """The server can work it (a run from the page or the API), not only the engineer by hand."""
        return self.serve is not None


@dataclass(frozen=True)
class Catalog:
    """A catalog: its cases in order, the protocol they speak, and the headless
    plan (stages one after the other; in a stage, lanes side by side, each lane
    a tuple of case keys run in order)."""

    name: str
    title: str
    cases: tuple[Case, ...]
    protocol: str = "ocpp1.6"
    plan: tuple[tuple[tuple[str, ...], ...], ...] = ()
    groups: Mapping[str, str] = field(default_factory=dict)  # group slug -> its words, in order (Case.group)
    credit: str = ""  # where the cases come from, shown where users see them
    # Our answers for the catalog's sessions outside any case's attempt: (options, action, payload) -> fields.
    answers: Callable[[Mapping, str, dict], dict | None] | None = None
    # The charger's declaration as the session page edits it (OCTT's PICS), a module with
    # form_fields(options, config, values), parse(posted), kept(values, config) and summary(options,
    # config) (the report's line); None: none.
    declaration: Any = None

    def case(self, key: str) -> Case | None:
        """The case with that key; None when there is none."""
        return next((c for c in self.cases if c.key == str(key)), None)

    def keys(self) -> list[str]:
        return [c.key for c in self.cases]

    def in_groups(self, groups: list[str] | tuple[str, ...]) -> list[str]:
        """The keys of the cases of the named groups, in order; KeyError naming an unknown group."""
        unknown = [g for g in groups if g not in self.groups]
        if unknown:
            raise KeyError(f"unknown group(s) {', '.join(unknown)}; known: {', '.join(self.groups) or 'none'}")
        return [c.key for c in self.cases if c.group in groups]

    def by_group(self) -> list[tuple[str, list[Case]]]:
        """(group words, its cases) in the catalog's order; one untitled group when it has none."""
        if not self.groups:
            return [("", list(self.cases))]
        return [(words, [c for c in self.cases if c.group == slug]) for slug, words in self.groups.items()]

    def profile_cases(self) -> dict[str, tuple[str, ...]]:
        """Feature profile -> the keys of the cases that need it."""
        found: dict[str, tuple[str, ...]] = {}
        for entry in self.cases:
            if entry.profile:
                found[entry.profile] = (*found.get(entry.profile, ()), entry.key)
        return found


def cases_of(*modules: ModuleType) -> tuple[Case, ...]:
    """The cases of case modules, in order: each module's CASE with its
    module-level `judge` and `drive` (unless CASE names its own) and its rule
    named after the module."""
    cases = []
    for module in modules:
        case = module.CASE
        cases.append(
            dataclasses.replace(
                case,
                judge=case.judge or getattr(module, "judge", None),
                drive=case.drive or getattr(module, "drive", None),
                rule=case.rule or module.__name__.rsplit(".", 1)[-1],
            )
        )
    return tuple(cases)


def get(name: str = DEFAULT) -> Catalog:
    """The catalog registered under a name (imported on first use); KeyError if none."""
    return import_module(CATALOGS[name]).CATALOG


def case(name: str, key: str) -> Case | None:
    """A catalog's case by key; None when the catalog has no such case."""
    return get(name).case(key)


__all__ = ["CATALOGS", "DEFAULT", "PANEL_PARTS", "Case", "Catalog", "Command", "case", "cases_of", "get"]
