"""The headless run talks to the server only through its JSON API and is handed
its catalog: no module of certify/headless imports a model, the server's
session, evaluation or reaction code, Django, or any catalog (read off the
source files), and none names a case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.certify.test_catalogs import ROOT, first_party, imports_of

HEADLESS = sorted((ROOT / "certify" / "headless").glob("*.py"))
# What the run may use besides its own modules: the log's one reader, what a 1.6 log
# says, and the built-in simulator's verbs (its performer, for --simulate).
ALLOWED = ("certify.headless", "chargers.frames.reader", "chargers.protocol.v16.state", "chargers.simulator.control")


@pytest.mark.parametrize("path", HEADLESS, ids=lambda p: p.name)
def test_the_headless_run_imports_only_itself_and_the_log_reader(path: Path):
    for module in first_party(imports_of(path)):
        assert module.startswith(ALLOWED), f"{path.name} imports {module}"


@pytest.mark.parametrize("path", HEADLESS, ids=lambda p: p.name)
def test_the_headless_run_names_no_case(path: Path):
    code = re.sub(r'""".*?"""|#[^\n]*', "", path.read_text(), flags=re.S)  # docstrings and comments aside
    assert not re.search(r"\bitem \d|\"[1-9]\d?\"|runs\[\d|\d+ in (r|run)\.", code), path.name
