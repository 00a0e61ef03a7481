"""TC_045_1_CS: diagnostics uploaded."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import UNSUPPORTED

LONG = Var("diagnostics_timeout")

CASE = OcttCase(
    id="TC_045_1_CS",
    title="Diagnostics upload",
    group="diagnostics",
    purpose="The charger uploads its diagnostics to the location we give and reports Uploading, then Uploaded.",
    steps=(
        Send("GetDiagnostics", {"location": "{diagnostics_location}"}, unsupported=UNSUPPORTED),
        Expect("DiagnosticsStatusNotification", {"status": "Uploading"}, within=LONG),
        Expect("DiagnosticsStatusNotification", {"status": "Uploaded"}, within=LONG),
    ),
    criteria=("DiagnosticsStatusNotification Uploading, then Uploaded.",),
    clauses=("5.9 Get Diagnostics", "4.4 Diagnostics Status Notification"),
    data=("diagnostics_location", "diagnostics_timeout"),
    differs="That the file arrived shows in the session's files and the report, not in this case's verdict.",
)
