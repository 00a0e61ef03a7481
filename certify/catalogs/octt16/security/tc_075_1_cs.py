"""TC_075_1_CS: installing a manufacturer root certificate."""

from certify.judging.steps import Check, Send

from ..case import OcttCase
from ..states import ACCEPTED

LISTED = Check(lambda hashes, _resolve: isinstance(hashes, list) and len(hashes) > 0, "at least one certificate")


def install_and_list(kind: str, data_name: str) -> tuple:
    return (
        Send("InstallCertificate", {"certificateType": kind, "certificate": "{" + data_name + "}"}, ACCEPTED),
        Send(
            "GetInstalledCertificateIds",
            {"certificateType": kind},
            {"status": "Accepted", "certificateHashData": LISTED},
            name="listed",
        ),
    )


CASE = OcttCase(
    id="TC_075_1_CS",
    title="Security: install a manufacturer root certificate",
    group="security",
    purpose="A ManufacturerRootCertificate we install is listed afterwards.",
    needs=("sp2", "security_extension"),
    steps=install_and_list("ManufacturerRootCertificate", "manufacturer_root_certificate"),
    criteria=("InstallCertificate accepted; GetInstalledCertificateIds lists a certificate.",),
    clauses=(
        "Security white paper: Certificate management",
        "Security white paper: InstallCertificate",
        "Security white paper: GetInstalledCertificateIds",
    ),
    data=("manufacturer_root_certificate",),
    differs="We check that a certificate is listed, not that its hash is the one we computed.",
)
