"""The production settings documented in SECURITY.md pass Django's deploy checks;
production refuses to start without a SECRET_KEY; the lab makes its own."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "CERTIFY_PRODUCTION": "1",
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "-production-grade-secret-key-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "certify.lab.example",
    "CSRF_TRUSTED_ORIGINS": "https://certify.lab.example",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "TRUST_PROXY_HTTPS": "1",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unset = {*PRODUCTION, "DJANGO_SETTINGS_MODULE", "SECURE_COOKIES"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def print_setting(name: str, **env: str) -> subprocess.CompletedProcess:
    return run_manage("shell", "--no-imports", "-c", f"from django.conf import settings; print(settings.{name})", **env)


def test_production_settings_pass_the_deploy_checks(tmp_path):
    done = run_manage("check", "--deploy", "--fail-level", "WARNING", VAR_DIR=str(tmp_path), **PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**PRODUCTION, "VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY")
    done = run_manage("check", **env)
    assert done.returncode != 0
    assert "SECRET_KEY must be set when CERTIFY_PRODUCTION is on" in done.stderr


def test_production_refuses_to_start_with_debug_on(tmp_path):
    done = run_manage("check", **{**PRODUCTION, "DEBUG": "1", "VAR_DIR": str(tmp_path)})
    assert done.returncode != 0
    assert "DEBUG must be off when CERTIFY_PRODUCTION is on" in done.stderr


def test_production_secures_cookies_by_default(tmp_path):
    done = print_setting("SESSION_COOKIE_SECURE", VAR_DIR=str(tmp_path), **PRODUCTION)
    assert done.stdout.strip() == "True", done.stderr


def test_the_lab_runs_commands_without_secret_key_or_debug(tmp_path):
    done = run_manage("check", VAR_DIR=str(tmp_path))
    assert done.returncode == 0, done.stderr


README_COMMANDS = sorted(set(re.findall(r"manage\.py ([a-z_]+)", (ROOT / "README.md").read_text())))


@pytest.mark.parametrize("command", README_COMMANDS)
def test_each_command_the_readme_shows_starts_on_a_fresh_checkout(tmp_path, command):
    done = run_manage(command, "--help", VAR_DIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_the_lab_runs_with_debug_off_by_default(tmp_path):
    assert print_setting("DEBUG", VAR_DIR=str(tmp_path)).stdout.strip() == "False"


def test_the_lab_keeps_its_secret_key_readable_by_its_owner_only(tmp_path):
    run_manage("check", VAR_DIR=str(tmp_path))
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_the_lab_uses_the_same_secret_key_on_every_start(tmp_path):
    first = print_setting("SECRET_KEY", VAR_DIR=str(tmp_path)).stdout.strip()
    second = print_setting("SECRET_KEY", VAR_DIR=str(tmp_path)).stdout.strip()
    assert len(first) >= 50
    assert first == second
    assert (tmp_path / "secret_key").read_text().strip() == first
