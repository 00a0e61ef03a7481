"""TC_078_CS: an invalid central system certificate is refused and reported."""

from certify.judging.steps import Expect, Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_078_CS",
    title="Security: an invalid central system certificate",
    group="security",
    purpose="An invalid or expired CentralSystemRootCertificate is rejected and reported as a security event.",
    needs=("sp2", "security_extension"),
    steps=(
        Send(
            "InstallCertificate",
            {"certificateType": "CentralSystemRootCertificate", "certificate": "{invalid_certificate}"},
            {"status": "Rejected"},
        ),
        Expect("SecurityEventNotification", {"type": "InvalidCentralSystemCertificate"}, strict=False),
    ),
    criteria=("InstallCertificate answered Rejected; SecurityEventNotification InvalidCentralSystemCertificate.",),
    clauses=("Security white paper: Certificate management", "Security white paper: SecurityEventNotification"),
    data=("invalid_certificate",),
)
