"""The catalogs as plug-ins: the registry, the test script's 18 cases as data, and
the arrows a case, the judging vocabulary and the log reader may (and may never)
import, read off the source files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from certify import catalogs
from certify.catalogs import octt16
from certify.catalogs.testscript16 import charging_profile
from chargers.protocol.v16.defaults import tx_default_profile

ROOT = Path(__file__).parents[2]
SCRIPT = catalogs.get("ocpp16-testscript")


def imports_of(path: Path, types_only: bool = False) -> set[str]:
    """The modules a file imports from (relative imports resolved): those it
    runs, or with `types_only` those under `if TYPE_CHECKING:`."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    tree = ast.parse(path.read_text())
    typing = [n for n in ast.walk(tree) if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    typed = {id(inner) for block in typing for node in block.body for inner in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if (id(node) in typed) != types_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            found.add(".".join(p for p in (base, node.module or "") if p))
    return found


def first_party(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in ("certify", "chargers", "django")}


# -- the registry and the test script --------------------------------------------------------


def test_the_script_holds_its_18_cases_in_order_keyed_by_their_number():
    assert [(c.key, c.number) for c in SCRIPT.cases] == [(str(n), n) for n in range(1, 19)]
    assert all(c.judge is not None and c.criteria for c in SCRIPT.cases)


def test_a_case_is_found_by_key_and_an_unknown_key_finds_none():
    assert catalogs.case("ocpp16-testscript", "17").title == "Clear cache (if applicable)"
    assert catalogs.case("ocpp16-testscript", "19") is None
    with pytest.raises(KeyError):
        catalogs.get("no-such-catalog")


def test_every_headless_lane_names_a_case_of_the_catalog():
    planned = [key for stage in SCRIPT.plan for lane in stage for key in lane]
    assert sorted(planned, key=int) == [c.key for c in SCRIPT.cases if c.automatic]
    assert {c.key: c.rides_on for c in SCRIPT.cases if c.rides_on} == {"1": ("9", "12"), "8": "6", "18": "1"}


def test_the_profile_cases_are_those_needing_an_optional_profile():
    # §3.3: only Core is required; the pre-flight marks the cases of absent profiles.
    assert SCRIPT.profile_cases() == {
        "FirmwareManagement": ("12", "13"),
        "SmartCharging": ("14", "15"),
        "RemoteTrigger": ("18",),
    }


def test_the_command_sent_after_every_boot_is_the_status_trigger():
    # The test script's item 18: "after booting the central system will send a TriggerMessage".
    sent = [(c.key, c.on_boot.action, c.on_boot.payload) for c in SCRIPT.cases if c.on_boot]
    assert sent == [("18", "TriggerMessage", {"requestedMessage": "StatusNotification"})]


def test_the_charging_profile_command_is_the_one_tx_default_profile_builders():
    command = catalogs.case("ocpp16-testscript", "14").commands[0]
    assert command.payload == tx_default_profile("{rate_limit}", "{rate_unit}", connector_id="{connector}")
    assert charging_profile.CASE.rate_limits == {"A": 16.0, "W": 11000.0}  # a common 16 A or 11 kW


def test_each_octt_id_a_case_cites_names_a_case_of_the_octt_catalogue():
    # Issue 23 part 9: ids as the OCTT 1.6 document (2024-04) numbers them; split cases by their prefix.
    cited = {(c.key, i) for c in SCRIPT.cases for i in c.octt}
    unknown = {
        (key, i)
        for key, i in cited
        if f"{i}_CS" not in octt16.BY_ID and not any(t.startswith(f"{i}_") for t in octt16.BY_ID)
    }
    assert cited and not unknown


# -- the arrows ------------------------------------------------------------------------------


CASE_MODULES = sorted((ROOT / "certify/catalogs/testscript16").glob("*.py"))
ALLOWED_FOR_CASES = ("certify.catalogs", "certify.judging.", "chargers.frames.reader", "chargers.protocol.v16.")


@pytest.mark.parametrize("path", CASE_MODULES, ids=[p.stem for p in CASE_MODULES])
def test_a_case_imports_no_model_no_view_and_no_other_catalog(path):
    for module in first_party(imports_of(path)):
        assert module.startswith(ALLOWED_FOR_CASES), f"{path.name} imports {module}"
        assert not module.startswith("certify.catalogs.") or module.startswith("certify.catalogs.testscript16")
        assert not module.startswith("chargers.protocol.v16.handlers"), f"{path.name} imports {module}"
    # The headless run it drives is named for its types only: a case never runs the runner's code.
    assert first_party(imports_of(path, types_only=True)) <= {"certify.headless.run"}


def test_the_judging_vocabulary_imports_only_the_log_reader():
    for path in sorted((ROOT / "certify/judging").glob("*.py")):
        outside = {m for m in first_party(imports_of(path)) if not m.startswith("certify.judging")}
        assert outside <= {"chargers.frames.reader"}, f"{path.name} imports {outside}"


def test_the_log_reader_and_the_16_state_name_no_version_above_them_and_nothing_of_certification():
    reader = first_party(imports_of(ROOT / "chargers/frames/reader.py"))
    state = first_party(imports_of(ROOT / "chargers/protocol/v16/state.py"))
    assert reader == set()
    assert state == {"chargers.frames.reader"}
