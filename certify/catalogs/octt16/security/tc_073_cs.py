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
    differs="Once the charger accepts the new key, our central system admits it with that key only (the old one "
    "goes, as the white paper has it); a reconnect with the old key is refused and logged. The bench keeps the new "
    "key after the case: set another on the charger's page to go back.",
)
