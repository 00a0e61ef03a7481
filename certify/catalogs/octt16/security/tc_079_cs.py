"""TC_079_CS: the security log uploaded."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED

LONG = Var("diagnostics_timeout")

CASE = OcttCase(
    id="TC_079_CS",
    title="Security: get the security log",
    group="security",
    purpose="On GetLog SecurityLog the charger uploads its security log and reports Uploading, then Uploaded.",
    needs=("sp1", "security_extension"),
    steps=(
        Send(
            "GetLog",
            {"logType": "SecurityLog", "requestId": 1, "log": {"remoteLocation": "{diagnostics_location}"}},
            ACCEPTED,
        ),
        Expect("LogStatusNotification", {"status": "Uploading"}, within=LONG),
        Expect("LogStatusNotification", {"status": "Uploaded"}, within=LONG),
    ),
    criteria=("GetLog accepted; LogStatusNotification Uploading, then Uploaded.",),
    clauses=(
        "Security white paper: Security log",
        "Security white paper: GetLog",
        "Security white paper: LogStatusNotification",
    ),
    data=("diagnostics_location", "diagnostics_timeout"),
)
