"""TC_083_CS: moving up a security profile."""

from certify.judging.steps import Expect, OneOf, Send, Var

from ..case import OcttCase

CASE = OcttCase(
    id="TC_083_CS",
    title="Security: upgrade the security profile",
    group="security",
    purpose="A higher SecurityProfile is accepted and the charger connects again with it.",
    needs=("sp1",),
    steps=(
        Send(
            "ChangeConfiguration",
            {"key": "SecurityProfile", "value": "{next_security_profile}"},
            {"status": OneOf("Accepted", "RebootRequired")},
            disconnects=True,
        ),
        Expect("event:connected", within=Var("reboot_timeout"), label="The charger connects again"),
    ),
    criteria=("ChangeConfiguration SecurityProfile (one higher) Accepted or RebootRequired; the charger reconnects.",),
    clauses=("Security white paper: Security profiles", "Security white paper: SecurityProfile"),
    data=("next_security_profile", "reboot_timeout"),
    differs="The bench must accept the higher profile (the charger's security profile set on its page); with "
    "RebootRequired, reset the charger by hand.",
    automatic=False,
)
