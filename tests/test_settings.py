"""README's configuration table and certify/settings.py say the same thing: every
variable the table documents is read by the settings and changes them; every
variable the settings read is in the table."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_FILE = ROOT / "certify" / "settings.py"

# Values of the right form where "another value of the same type" is not enough.
SAMPLES = {
    "DATABASE_URL": "postgres://someone@127.0.0.1:5432/elsewhere",
    "ALLOWED_HOSTS": "certify.lab.example",
    "CSRF_TRUSTED_ORIGINS": "https://certify.lab.example",
    "CERTIFY_FTP_PASSIVE_PORTS": "31000-31009",
    "SECRET_KEY": "a-secret-key-of-the-operators-own",
}
# What a variable needs beside it to matter (pool sizes exist only for PostgreSQL...).
COMPANIONS = {
    "DB_POOL_MIN": {"DATABASE_URL": SAMPLES["DATABASE_URL"]},
    "DB_POOL_MAX": {"DATABASE_URL": SAMPLES["DATABASE_URL"]},
    "DB_POOL_TIMEOUT": {"DATABASE_URL": SAMPLES["DATABASE_URL"]},
    "REDIS_SOCKET_TIMEOUT": {"REDIS_URL": "redis://127.0.0.1:6379/0"},
    "REDIS_GROUP_EXPIRY": {"REDIS_URL": "redis://127.0.0.1:6379/0"},
    "REDIS_PREFIX": {"REDIS_URL": "redis://127.0.0.1:6379/0"},
    "CERTIFY_PRODUCTION": {"SECRET_KEY": SAMPLES["SECRET_KEY"]},
}


def documented() -> set[str]:
    """The variables named in the first column of README's configuration table."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def sample(name: str) -> str:
    """A value for `name` other than its default."""
    if name in SAMPLES:
        return SAMPLES[name]
    default, choices = settings.ENVIRONMENT_VARIABLES[name]
    if choices:
        return next(choice for choice in choices if choice != default)
    if isinstance(default, bool):
        return "0" if default else "1"
    if isinstance(default, int | float):
        return str(default + 7)
    return "sample-value"


def load(monkeypatch, tmp_path, **variables: str) -> dict:
    """The settings module's values under these variables only."""
    for name in settings.ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    values = runpy.run_path(str(SETTINGS_FILE))
    return {key: repr(value) for key, value in values.items() if key.isupper() and key != "ENVIRONMENT_VARIABLES"}


def test_every_variable_the_settings_read_is_documented():
    assert set(settings.ENVIRONMENT_VARIABLES) - documented() == set()


def test_every_documented_variable_is_read_by_the_settings():
    assert documented() - set(settings.ENVIRONMENT_VARIABLES) == set()


@pytest.mark.parametrize("name", sorted(documented()))
def test_a_documented_variable_changes_the_settings(name, monkeypatch, tmp_path):
    companions = COMPANIONS.get(name, {})
    before = load(monkeypatch, tmp_path, **companions)
    after = load(
        monkeypatch, tmp_path if name != "VAR_DIR" else tmp_path / "other", **companions, **{name: sample(name)}
    )
    assert before != after, f"{name}={sample(name)} changed no setting"


def test_a_value_outside_a_variables_choices_stops_the_start(monkeypatch, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="OCPP_ADMISSION='everyone'"):
        load(monkeypatch, tmp_path, OCPP_ADMISSION="everyone")
