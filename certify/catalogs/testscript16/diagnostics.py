"""Item 13 of the test script, Remotely initiate and get diagnostics reports: its data
(CASE) and its rule (judge). OCPP 1.6 §5.9 Get Diagnostics, §6.25 GetDiagnostics.req,
§4.4 Diagnostics Status Notification."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

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
    without_credentials,
)
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="13",
    number=13,
    title="Remotely initiate and get diagnostics reports",
    criteria=(
        "After sending GetDiagnostics, with specific timeframe and ftp location, the Charging Station must send "
        "GetDiagnostics message and upload the diagnostic file to the specified ftp location",
    ),
    commands=(
        Command(
            "Get diagnostics",
            "GetDiagnostics",
            {"location": "{diagnostics_url}", "startTime": "{hour_ago}", "stopTime": "{now}"},
        ),
    ),
    clauses=("5.9 Get Diagnostics", "6.25 GetDiagnostics.req", "4.4 Diagnostics Status Notification"),
    panel=frozenset({"diagnostics_files", "payload"}),
    octt=("TC_045",),
    profile="FirmwareManagement",
    shows=("diagnostics",),
)


# What our servers see of an upload (not of a firmware download: "served").
UPLOAD_EVENTS = ("stored", "login-failed", "refused", "too-large", "incomplete", "login")


def _server(command) -> str:
    """Which of our servers the command's location names (ftp or http)."""
    return "http" if urlsplit(command.get("location") or "").scheme.startswith("http") else "ftp"


def _upload_failed(s: Scope, command, after: list, states: list[str]) -> Verdict:
    """UploadFailed is what §4.4 asks of a charger whose upload failed: the reason
    says whose the failure was, from what our server saw. The lab's (a location
    with another port or wrong credentials): inconclusive, send it again; nothing
    or a broken upload reaching us: the item fails, no clause broken."""
    location = command.get("location") or ""
    shown = without_credentials(location)
    event, saw = server_saw(s.transfers, command.ts, _server(command), only=UPLOAD_EVENTS)
    port = urlsplit(location).port if _server(command) == "ftp" else None
    ours = s.options.get("ftp_port")
    wrong_port = port is not None and ours and port != ours
    if event in ("login-failed", "refused") or (event is None and wrong_port):
        why = (
            f"the location names port {port}, our FTP server listens on {ours}"
            if event is None
            else f"{saw}: the location's credentials are not the session's"
        )
        return Verdict(
            INCONCLUSIVE,
            f"The upload could not happen ({why}); the charger reported UploadFailed, as §4.4 asks. Send "
            "GetDiagnostics again with the session's location (the prefilled one).",
            "",
            ids(command, *after),
            expected="the file at the session's location",
            actual=f"{' → '.join(states)}; {saw}",
        )
    return Verdict(
        FAILED,
        f"Diagnostics upload failed: the charger reported UploadFailed (as §4.4 asks of a failed upload) and "
        f"{saw}" + ("" if event else f"; check the charger reaches {shown}"),
        "",
        ids(command, *after),
        expected="Uploaded, and the file at our location",
        actual=f"{' → '.join(states)}; {saw}",
        clause="test script item 13 (the diagnostics file at the given location)",
    )


def judge(s: Scope) -> Verdict:
    """The latest GetDiagnostics judges; the reason names every protocol tried."""
    verdict = _judge(s)
    tried = _tried(s)
    if tried:
        verdict.reason = f"{verdict.reason} (tried: {tried})"
    return verdict


def _tried(s: Scope) -> str:
    """The protocols our GetDiagnostics named, in order, each with how its upload
    ended: "FTP: UploadFailed; then HTTP: Uploaded"."""
    commands = [c for c in s.calls("GetDiagnostics", "out") if c.answer is not None]
    notes = s.root.calls("DiagnosticsStatusNotification", "in")
    said = []
    for command, following in zip(commands, [*commands[1:], None], strict=False):
        states = [
            n.get("status")
            for n in notes
            if n.ts >= command.ts and (following is None or n.ts < following.ts) and n.get("status") != "Uploading"
        ]
        if states:
            outcome = states[-1]
        elif command.answer.get("fileName"):
            outcome = "no upload status yet"
        else:
            outcome = command.answer_status() or "no file name"
        said.append(f"{_server(command).upper()}: {outcome}")
    return "; then ".join(said)


def _judge(s: Scope) -> Verdict:
    notes = s.root.calls("DiagnosticsStatusNotification", "in")
    for command in reversed(s.calls("GetDiagnostics", "out")):
        if command.answer is None:
            continue
        refused = refusal(command, "GetDiagnostics", s.state.vendor(), "§5.9 Get Diagnostics")
        if refused is not None:
            return refused
        name = command.answer.get("fileName")
        if not name:
            return Verdict(
                OPEN,
                "GetDiagnostics answered without a file name: no diagnostics in that window (legal, §5.9); widen "
                "the time window.",
                "",
                ids(command),
                steps=[step("A file name announced")],
            )
        after = [n for n in notes if n.ts >= command.ts]
        states = [n.get("status") for n in after]
        steps = [
            step(f"{name} announced", command),
            step("Uploaded", next((n for n in after if n.get("status") == "Uploaded"), None)),
        ]
        if states and states[-1] == "UploadFailed" and "Uploaded" not in states:
            # Retries belong to the charger (§5.9, §6.25): `retries` tries at `retryInterval`, or as it
            # decides within the upload window when we did not say. A final UploadFailed is judged.
            tries, gap = command.get("retries"), command.get("retryInterval")
            final = isinstance(tries, int) and states.count("UploadFailed") >= tries
            if isinstance(gap, int):
                expired = s.expired(after[-1].ts, gap + s.opt("effect_timeout"))
            else:
                expired = s.expired(command.answer.ts, s.opt("diagnostics_timeout"))
            verdict = _upload_failed(s, command, after, states)
            if verdict.status == INCONCLUSIVE or final or expired:
                return verdict  # the lab's failure is told at once; the charger's once it gave up
            return Verdict(
                OPEN,
                "UploadFailed; the charger may retry (GetDiagnostics.retries, retryInterval: its own choice when "
                "absent).",
                "",
                ids(command, *after),
                steps=steps,
                waiting={"for": "a retry of the upload"},
            )
        if "Uploaded" not in states:
            limit = s.opt("diagnostics_timeout")
            if s.expired(command.answer.ts, limit):
                return Verdict(
                    FAILED,
                    f"No DiagnosticsStatusNotification Uploaded within {limit} s of GetDiagnostics",
                    "",
                    ids(command, *after),
                    expected="Uploaded",
                    actual=" → ".join(states) or "nothing",
                    clause="§4.4 Diagnostics Status Notification",
                )
            return Verdict(
                OPEN,
                f"GetDiagnostics answered {name}; awaiting the upload.",
                "",
                ids(command, *after),
                steps=steps,
                waiting={"for": "the upload", "deadline": s.deadline(command.answer.ts, limit)},
            )
        uploaded = after[states.index("Uploaded")]
        received = [f for f in s.files if f["kind"] == "diagnostics" and f["created_at"] >= command.ts]
        if not received:
            if s.expired(uploaded.ts, s.opt("effect_timeout")):
                _, saw = server_saw(s.transfers, command.ts, _server(command), only=UPLOAD_EVENTS)
                return Verdict(
                    FAILED,
                    f"The charger reported Uploaded but no file reached our upload location: {saw}",
                    "",
                    ids(command, *after),
                    expected="the file at our location",
                    actual=f"Uploaded at {at(uploaded)}, no file",
                    clause="§4.4 Diagnostics Status Notification",
                )
            return Verdict(
                OPEN,
                "Uploaded reported; awaiting the file at our upload location.",
                "",
                ids(command, *after),
                steps=steps,
            )
        got = received[-1]
        return Verdict(
            PASSED,
            f"{name} announced, Uploaded, and {got['name']} ({got['size']} bytes) arrived",
            "ok",
            ids(command, *after),
            {"GetDiagnostics→Uploaded": seconds(command.ts, uploaded.ts)},
            expected="a file name, Uploaded, and the file at our location",
            actual=f"{got['name']} ({got['size']} bytes), Uploaded at {at(uploaded)}",
            steps=steps,
        )
    return Verdict(
        OPEN,
        "Send GetDiagnostics with a time window and our upload location.",
        steps=[step("A file name announced"), step("Uploaded")],
    )


# The location of each protocol our servers receive diagnostics over.
LOCATIONS = {"ftp": "{diagnostics_url}", "http": "{diagnostics_http_url}"}


def protocols(choice: str, supported: str | None) -> list[str]:
    """The protocols to try, in order: the one --diagnostics names; with "auto", FTP
    first (what most chargers speak) unless SupportedFileTransferProtocols lists only
    HTTP(S), then the other, of those the charger lists (all when it lists none)."""
    if choice in LOCATIONS:
        return [choice]
    listed = {p.strip().upper() for p in (supported or "").split(",") if p.strip()}
    can = {"ftp": "FTP" in listed, "http": bool(listed & {"HTTP", "HTTPS"})}
    if not listed or not any(can.values()):
        return ["ftp", "http"]
    return [p for p in ("ftp", "http") if can[p]]


async def drive(run: CaseRun) -> None:
    """GetDiagnostics to our server over a protocol the charger speaks; after
    UploadFailed the other protocol once, within the same attempt (the judge names
    both)."""
    tried = protocols(run.options.diagnostics, run.config.get("SupportedFileTransferProtocols"))
    if len(tried) == 1 and run.options.diagnostics == "auto":
        run.notes.append(
            f"SupportedFileTransferProtocols {run.config.get('SupportedFileTransferProtocols')}: {tried[0].upper()} only"
        )
    for protocol in tried:
        mark = run.tail.seq
        answer = await run.command(
            "GetDiagnostics", {"location": LOCATIONS[protocol], "startTime": "{hour_ago}", "stopTime": "{now}"}
        )
        if not (answer or {}).get("fileName"):
            return  # refused, or nothing to upload: judged as it is
        found = await run.wait(
            f"DiagnosticsStatusNotification Uploaded (or UploadFailed) over {protocol.upper()}",
            lambda m=mark: run.tail.call_since(
                m, "DiagnosticsStatusNotification", lambda p, a: p.get("status") in ("Uploaded", "UploadFailed")
            ),
            run.options.timeout,
        )
        if not found or run.tail.call_since(
            mark, "DiagnosticsStatusNotification", lambda p, a: p.get("status") == "Uploaded"
        ):
            return
