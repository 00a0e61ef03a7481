"""The OCA OCTT 1.6 charger test cases (FINAL 2024-04), every case by its TC id,
as a second catalog beside the seed test script.

Each case is one module under its feature profile's package (core/, ...):
data a test engineer reads and steps judged as data (certify.judging.sequence).
The charger's declaration (case.Declaration, OCTT's PICS) decides which cases
apply; the test data (TEST_DATA, editable per session) fills the steps.

Derived from the OCA OCTT test case document, FINAL 2024-04 (CC BY-ND 4.0):
ids and the facts tested are the OCA's, titles and steps are in our words.
"""

from __future__ import annotations

from . import diagnostics, firmware, local_auth_list, remote_trigger, reservation, security, smart_charging
from .case import CREDIT, GROUPS, Declaration, OcttCase
from .core import CASES as CORE

# In the document's order of profiles.
CASES: tuple[OcttCase, ...] = (
    *CORE,
    *local_auth_list.CASES,
    *firmware.CASES,
    *diagnostics.CASES,
    *reservation.CASES,
    *remote_trigger.CASES,
    *smart_charging.CASES,
    *security.CASES,
)
BY_ID: dict[str, OcttCase] = {case.id: case for case in CASES}

# The test data OCTT asks the tester to configure, with the values we use unless
# the session says otherwise (seconds for times). {firmware_url} and
# {diagnostics_url} are the session's own (the server fills them when sending).
TEST_DATA: dict[str, object] = {
    "connector": 1,
    "id_tag": "OCTT-VALID-1",
    "id_tag_2": "OCTT-VALID-2",
    "invalid_id_tag": "OCTT-INVALID",
    "parent_id_tag": "OCTT-GROUP",
    "heartbeat_interval": 20,
    "rejected_interval": 10,
    "pending_interval": 15,
    "meter_value_interval": 10,
    "clock_aligned_interval": 20,
    "connection_timeout": 20,
    "transaction_duration": 10,
    "reboot_timeout": 180,
    "manual_step_seconds": 120,  # a person's time for a step by hand (the page's countdown)
    "offline_seconds": 30,
    "reservation_expiry_seconds": 120,
    "unknown_vendor_id": "org.example.unknown",
    "unknown_transaction_id": 2_000_000_001,
    "reservation_id": 4711,
    "short_reservation_seconds": 20,
    "rate_unit": "A",
    "number_phases": 3,
    "profile_duration": 300,
    "max_time_deviation": 10,
    "invalid_firmware_url": "{firmware_url}.invalid",
    "diagnostics_timeout": 600,
    # Our HTTP location, or our FTP folder for a charger that lists FTP only (SupportedFileTransferProtocols);
    # "{diagnostics_url}" (FTP) or "{diagnostics_http_url}" (HTTP) to choose.
    "diagnostics_location": "{diagnostics_auto_url}",
    "signed_certificate": "",
    "invalid_certificate": "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----",
    "manufacturer_root_certificate": "",
    "central_system_root_certificate": "",
    "firmware_signing_certificate": "",
    "firmware_signature": "",
    "invalid_signature": "aW52YWxpZA==",
}

__all__ = ["BY_ID", "CASES", "CREDIT", "GROUPS", "TEST_DATA", "Declaration", "OcttCase", "in_groups"]


def in_groups(slugs: list[str] | tuple[str, ...]) -> tuple[OcttCase, ...]:
    """The cases of the named groups (`--profiles core,remote-trigger`), in catalogue order."""
    unknown = [s for s in slugs if s not in GROUPS]
    if unknown:
        raise KeyError(f"unknown profile(s) {', '.join(unknown)}; known: {', '.join(GROUPS)}")
    return tuple(case for case in CASES if case.group in slugs)
