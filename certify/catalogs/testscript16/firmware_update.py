"""Item 12 of the test script, Remote Firmware update: its data (CASE) and its rule
(judge). OCPP 1.6 §5.19 Update Firmware, §6.55 UpdateFirmware.req, §4.5 Firmware Status
Notification."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chargers.frames.reader import parse_time

from ...judging.scope import Scope
from ...judging.verdict import (
    FAILED,
    INCONCLUSIVE,
    OPEN,
    PASSED,
    Verdict,
    at,
    ids,
    refusal,
    seconds,
    server_saw,
    step,
)
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="12",
    number=12,
    title="Remote Firmware update",
    criteria=(
        "Receive firmware file from manufacturer.",
        'After sending UpdateFirmware, FirmwareStatusNotification message with FirmwareStatus "Downloading" must '
        'be received, followed by FirmwareStatusNotification message with FirmwareStatus "Installed".',
        "Automatically reboot if connectors are available",
    ),
    manual="Upload the manufacturer's firmware file here first; the charger downloads it from us.",
    commands=(Command("Update firmware", "UpdateFirmware", {"location": "{firmware_url}", "retrieveDate": "{now}"}),),
    clauses=("5.19 Update Firmware", "6.55 UpdateFirmware.req", "4.5 Firmware Status Notification"),
    panel=frozenset({"firmware_upload", "payload"}),
    octt=("TC_044",),
    profile="FirmwareManagement",
    shows=("firmware",),
)


def _download_failed(s: Scope, command, after: list, states: list[str]) -> Verdict:
    """DownloadFailed is what §4.5 asks of a charger whose download failed: the
    reason says whose the failure was, from what our HTTP server saw. The lab's (no
    firmware hosted, a URL we refused): inconclusive; served, or nothing reached us:
    the item fails, naming it."""
    location = command.get("location") or ""
    ours = "/files/firmware/" in location
    event, saw = server_saw(s.transfers, command.ts, "http", only=("served", "refused")) if ours else (None, "")
    if not ours or event == "refused":
        why = (
            f"{saw}: the location is not the session's hosted firmware"
            if ours
            else f"the location {location or '(none)'} is not firmware hosted in this session: upload the "
            "manufacturer's file on item 12 first"
        )
        return Verdict(
            INCONCLUSIVE,
            f"The download could not happen ({why}); the charger reported DownloadFailed, as §4.5 asks. Send "
            "UpdateFirmware again with the prefilled location.",
            "",
            ids(command, *after),
            expected="the hosted firmware downloaded and installed",
            actual=f"{' → '.join(states)}" + (f"; {saw}" if saw else ""),
        )
    return Verdict(
        FAILED,
        f"Firmware download failed: the charger reported DownloadFailed (as §4.5 asks of a failed download) and {saw}",
        "",
        ids(command, *after),
        expected="Downloading, then Installed",
        actual=f"{' → '.join(states)}; {saw}",
        clause="test script item 12 (the firmware downloaded from the given location)",
    )


def judge(s: Scope) -> Verdict:
    notes = s.root.calls("FirmwareStatusNotification", "in")
    for command in reversed(s.calls("UpdateFirmware", "out")):
        if command.answer is None:
            continue
        refused = refusal(command, "UpdateFirmware", s.state.vendor(), "§5.19 Update Firmware")
        if refused is not None:
            return refused
        after = [n for n in notes if n.ts >= command.ts]
        states = [n.get("status") for n in after]
        steps = [step("Downloading", next((n for n in after if n.get("status") == "Downloading"), None))]
        steps.append(step("Installed", next((n for n in after if n.get("status") == "Installed"), None)))
        if "Installed" in states:
            installed = after[states.index("Installed")]
            if "Downloading" not in states[: states.index("Installed")]:
                return Verdict(
                    FAILED,
                    "Installed came without Downloading before it",
                    "",
                    ids(command, *after),
                    expected="Downloading, then Installed",
                    actual=" → ".join(states),
                    clause="§4.5 Firmware Status Notification",
                )
            # A reboot before Installed is good practice, after it allowed (§5.19).
            _, boot, _ = s.state.came_back(command.ts)
            steps.append(step("Rebooted with the new firmware", boot))
            before = s.state.firmware_before(command.ts)
            if boot is None:
                return Verdict(
                    OPEN,
                    "Installed; awaiting the reboot (BootNotification with the new firmwareVersion).",
                    "",
                    ids(command, *after),
                    steps=steps,
                    waiting={
                        "for": "a BootNotification",
                        "deadline": s.deadline(installed.ts, s.opt("reboot_timeout")),
                    },
                )
            version = boot.get("firmwareVersion") or ""
            image = str(s.options.get("firmware_image_version") or "")
            if image and version != image:
                return Verdict(
                    FAILED,
                    f"Installed, but the charger rebooted with firmware {version or 'unreported'}, not the image's "
                    f"{image}",
                    "",
                    ids(command, *after, boot),
                    expected=f"a BootNotification with firmwareVersion {image}",
                    actual=f"firmwareVersion {version or 'absent'} at {at(boot)}",
                    clause="§5.19 Update Firmware (Installed: the new firmware runs)",
                )
            # The version after the update is reported; without the image's version nobody
            # can say it had to change (the same build may be installed again).
            change = (
                f"firmware {version} (was {before or 'unknown'})"
                if version != before
                else f"firmware {version or 'unreported'}, as before (the image's version is not known to the bench)"
            )
            return Verdict(
                PASSED,
                f"{' → '.join(states[: states.index('Installed') + 1])}; rebooted with {change}",
                "ok",
                ids(command, *after, boot),
                {
                    "UpdateFirmware→Installed": seconds(command.ts, installed.ts),
                    "UpdateFirmware→BootNotification": seconds(command.ts, boot.ts),
                },
                expected="Downloading, Installed, and a BootNotification with the new version",
                actual=f"Installed at {at(installed)}, BootNotification {version} at {at(boot)}",
                steps=steps,
            )
        last = states[-1] if states else ""
        if last in ("DownloadFailed", "InstallationFailed"):
            failed_at = after[-1]
            # Retries belong to the charger (§5.19, §6.55): `retries` tries at `retryInterval`,
            # or as many and as late as it decides when we did not say.
            tries, gap = command.get("retries"), command.get("retryInterval")
            final = last == "InstallationFailed" or (isinstance(tries, int) and states.count("DownloadFailed") >= tries)
            wait = s.opt("effect_timeout") + (gap if isinstance(gap, int) else 0)
            if not final and not isinstance(gap, int):
                wait = s.opt("reboot_timeout")
            if last == "DownloadFailed" and s.expired(failed_at.ts, s.opt("effect_timeout")):
                verdict = _download_failed(s, command, after, states)
                if verdict.status == INCONCLUSIVE or final or s.expired(failed_at.ts, wait):
                    return verdict  # the lab's failure is told at once; the charger's once it gave up
            elif s.expired(failed_at.ts, s.opt("effect_timeout") if final else wait):
                return Verdict(
                    FAILED,
                    f"Firmware update ended with {last} (if the file was not the manufacturer's image, upload the "
                    "right one and try again)",
                    "",
                    ids(command, *after),
                    expected="Downloading, then Installed",
                    actual=" → ".join(states),
                    clause="§5.19 Update Firmware",
                )
            return Verdict(
                OPEN,
                f"{last}; the charger may retry (UpdateFirmware.retries, retryInterval: its own choice when absent).",
                "",
                ids(command, *after),
                steps=steps,
                waiting={"for": "a retry", "deadline": s.deadline(failed_at.ts, wait)},
            )
        if not states:
            retrieve = max(parse_time(command.get("retrieveDate")) or command.ts, command.ts)
            if s.expired(retrieve, s.opt("reboot_timeout")):
                return Verdict(
                    FAILED,
                    "No FirmwareStatusNotification after UpdateFirmware",
                    "",
                    ids(command),
                    expected="FirmwareStatusNotification Downloading after retrieveDate",
                    actual="none",
                    clause="§4.5 Firmware Status Notification",
                )
            return Verdict(
                OPEN,
                "UpdateFirmware accepted; awaiting Downloading.",
                "",
                ids(command),
                steps=steps,
                waiting={"for": "Downloading", "deadline": s.deadline(retrieve, s.opt("reboot_timeout"))},
            )
        return Verdict(OPEN, f"Firmware update under way ({last}).", "", ids(command, *after), steps=steps)
    return Verdict(
        OPEN,
        "Upload the manufacturer's firmware file and send UpdateFirmware.",
        steps=[step("Downloading"), step("Installed"), step("Rebooted with the new firmware")],
    )


async def drive(run: CaseRun) -> None:
    """The manufacturer's image (--firmware) or nothing: a charger must refuse to
    install a dummy (§5.19), so without it the item is inconclusive. Sent once
    every transaction ended; the download, installation and reboot are awaited
    within the reboot budget."""
    if not run.options.firmware:
        run.cannot_test(
            "No firmware image given: the run needs the manufacturer's image (--firmware FILE); a charger must "
            "refuse to install anything else (§5.19)"
        )
    await run.idle("UpdateFirmware")
    mark = run.tail.seq
    answer = await run.command("UpdateFirmware", {"location": "{firmware_url}", "retrieveDate": "{now}"})
    if answer is None:
        return
    end = await run.wait(
        "FirmwareStatusNotification Installed (or a failure)",
        lambda: run.tail.call_since(
            mark,
            "FirmwareStatusNotification",
            lambda p, a: p.get("status") in ("Installed", "InstallationFailed", "DownloadFailed"),
        ),
        run.options.reboot_timeout,
        own=True,
    )
    installed = end and run.tail.call_since(
        mark, "FirmwareStatusNotification", lambda p, a: p.get("status") == "Installed"
    )
    if installed:
        await run.reboot(mark)
