"""TC_076_CS: deleting one certificate."""

from certify.judging.steps import Check, Ref, Send

from ..case import OcttCase
from ..states import ACCEPTED

FIRST = Ref("listed", "answer.certificateHashData.0")


def gone(hashes, resolve) -> bool:
    deleted = resolve(FIRST)
    return not isinstance(hashes, list) or deleted not in hashes


CASE = OcttCase(
    id="TC_076_CS",
    title="Security: delete a certificate",
    group="security",
    purpose="A certificate deleted by its hash is no longer listed.",
    needs=("sp2", "security_extension"),
    before=("A certificate is installed.",),
    steps=(
        Send(
            "GetInstalledCertificateIds", {"certificateType": "CentralSystemRootCertificate"}, ACCEPTED, name="listed"
        ),
        Send("DeleteCertificate", {"certificateHashData": FIRST}, ACCEPTED),
        Send(
            "GetInstalledCertificateIds",
            {"certificateType": "CentralSystemRootCertificate"},
            {"certificateHashData": Check(gone, "the deleted certificate no longer listed")},
        ),
    ),
    criteria=("DeleteCertificate accepted; the certificate is no longer listed.",),
    clauses=("Security white paper: Certificate management", "Security white paper: DeleteCertificate"),
)
