"""TC_077_CS: an invalid charge point certificate is refused and reported."""

from certify.judging.steps import Expect, Send

from ..case import OcttCase
from ..states import ACCEPTED

CASE = OcttCase(
    id="TC_077_CS",
    title="Security: an invalid charge point certificate",
    group="security",
    purpose="A certificate that does not fit the charger's CSR is rejected and reported as a security event.",
    needs=("sp3", "security_extension"),
    steps=(
        Send("ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}, ACCEPTED),
        Expect("SignCertificate", ours=ACCEPTED, label="The charger sends its CSR"),
        Send("CertificateSigned", {"certificateChain": "{invalid_certificate}"}, {"status": "Rejected"}),
        Expect("SecurityEventNotification", {"type": "InvalidChargePointCertificate"}, strict=False),
    ),
    criteria=("CertificateSigned answered Rejected; SecurityEventNotification InvalidChargePointCertificate.",),
    clauses=("Security white paper: Certificate management", "Security white paper: SecurityEventNotification"),
    data=("invalid_certificate",),
)
