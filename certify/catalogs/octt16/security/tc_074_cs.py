"""TC_074_CS: a new charge point certificate at our request."""

from certify.judging.steps import Expect, Send

from ..case import OcttCase
from ..states import ACCEPTED

CASE = OcttCase(
    id="TC_074_CS",
    title="Security: renew the charge point certificate at our request",
    group="security",
    purpose="On ExtendedTriggerMessage SignChargePointCertificate the charger sends a CSR; the signed certificate "
    "we return is accepted.",
    needs=("sp3", "security_extension"),
    steps=(
        Send("ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}, ACCEPTED),
        Expect("SignCertificate", ours=ACCEPTED, name="csr", label="The charger sends its CSR"),
        Send("CertificateSigned", {"certificateChain": "{signed_certificate}"}, ACCEPTED),
    ),
    criteria=("Trigger accepted; SignCertificate with a CSR; CertificateSigned accepted.",),
    clauses=(
        "Security white paper: Certificate management",
        "Security white paper: ExtendedTriggerMessage",
        "Security white paper: CertificateSigned",
    ),
    data=("signed_certificate",),
    differs="The signed certificate comes from the lab's CA (test data); we do not check the reconnect with it.",
    automatic=False,
)
