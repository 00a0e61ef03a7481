"""TC_073_CS: a new password for HTTP Basic authentication."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED

# The document's new key: the hex of the text OCA_OCTT_admin_test.
NEW_KEY = b"OCA_OCTT_admin_test".hex()

CASE = OcttCase(
    id="TC_073_CS",
    title="Security: a new Basic authentication password",
    group="security",
    purpose="After ChangeConfiguration of AuthorizationKey the charger connects again with the new password.",
    needs=("sp1",),
    steps=(
        Send("ChangeConfiguration", {"key": "AuthorizationKey", "value": NEW_KEY}, ACCEPTED, disconnects=True),
        Expect("event:connected", within=Var("reboot_timeout"), label="The charger connects again"),
    ),
    criteria=("AuthorizationKey accepted; the charger reconnects, admitted with the new password.",),
    clauses=("Security white paper: Security profile 1", "Security white paper: AuthorizationKey"),
    data=("reboot_timeout",),
    differs="That the new password is the one used shows in the admission (a wrong password is refused and logged); "
    "the bench must know the new key (set it on the charger's page).",
    automatic=False,
)
