"""Item 13 of the test script, Remotely initiate and get diagnostics reports: its data
(CASE) and its rule (judge). OCPP 1.6 §5.9 Get Diagnostics, §6.25 GetDiagnostics.req,
§4.4 Diagnostics Status Notification."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...judging.scope import Scope
from ...judging.verdict import FAILED, OPEN, PASSED, Verdict, at, ids, refusal, seconds, step, without_credentials
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


def judge(s: Scope) -> Verdict:
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
        if "UploadFailed" in states and "Uploaded" not in states:
            return Verdict(
                FAILED,
                f"Diagnostics upload failed (UploadFailed); check the charger can reach {without_credentials(command.get('location', ''))}",
                "",
                ids(command, *after),
                expected="Uploaded, and the file at our location",
                actual=" → ".join(states),
                clause="§4.4 Diagnostics Status Notification",
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
                return Verdict(
                    FAILED,
                    "The charger reported Uploaded but no file reached our upload location",
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


async def drive(run: CaseRun) -> None:
    mark = run.tail.seq
    await run.command(
        "GetDiagnostics",
        {
            "location": "{diagnostics_url}" if run.options.diagnostics == "ftp" else "{diagnostics_http_url}",
            "startTime": "{hour_ago}",
            "stopTime": "{now}",
        },
    )
    await run.wait(
        "DiagnosticsStatusNotification Uploaded (or UploadFailed)",
        lambda: run.tail.call_since(
            mark, "DiagnosticsStatusNotification", lambda p, a: p.get("status") in ("Uploaded", "UploadFailed")
        ),
        run.options.timeout,
    )
