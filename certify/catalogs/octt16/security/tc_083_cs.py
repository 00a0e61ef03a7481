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
            # Without the certificates a higher profile needs, the charger rejects it (white paper): it
            # cannot go higher, which is Not supported, not a failure.
            unsupported=("Rejected",),
            disconnects=True,
        ),
        Expect(
            "event:connected",
            {"tls": True},
            within=Var("reboot_timeout"),
            label="The charger connects again, over TLS",
        ),
    ),
    criteria=(
        "ChangeConfiguration SecurityProfile (one higher) Accepted or RebootRequired; the charger reconnects over "
        "wss:// (profiles 2 and 3 are TLS).",
    ),
    clauses=("Security white paper: Security profiles", "Security white paper: SecurityProfile"),
    data=("next_security_profile", "reboot_timeout"),
    differs="Once the charger accepts the higher profile, our central system admits it with that profile only "
    "(2: Basic auth over TLS, plain ws:// refused and logged), as the white paper has it; 3's client certificates "
    "are a proxy's to check: we keep its profile then. The bench keeps the profile after the case: lower it on the "
    "charger's page to go back. With RebootRequired, reset the charger by hand. Rejected (no certificates for the "
    "higher profile) is Not supported.",
)
