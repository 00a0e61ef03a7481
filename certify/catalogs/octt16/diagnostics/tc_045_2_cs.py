"""TC_045_2_CS: a diagnostics upload that fails."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import UNSUPPORTED

LONG = Var("diagnostics_timeout")

CASE = OcttCase(
    id="TC_045_2_CS",
    title="Diagnostics upload fails",
    group="diagnostics",
    purpose="An upload location the charger cannot reach ends in UploadFailed; the charger goes on.",
    steps=(
        Send(
            "GetDiagnostics",
            {"location": "ftp://127.0.0.1:21/files/failedLocation", "retries": 0},
            unsupported=UNSUPPORTED,
        ),
        Expect("DiagnosticsStatusNotification", {"status": "Uploading"}, optional=True),
        Expect("DiagnosticsStatusNotification", {"status": "UploadFailed"}, strict=False, within=LONG),
    ),
    criteria=("DiagnosticsStatusNotification UploadFailed (Uploading before it is optional).",),
    clauses=("5.9 Get Diagnostics", "4.4 Diagnostics Status Notification"),
    data=("diagnostics_timeout",),
)
