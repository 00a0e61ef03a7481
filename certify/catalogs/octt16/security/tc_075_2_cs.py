"""TC_075_2_CS: installing a central system root certificate."""

from ..case import OcttCase
from .tc_075_1_cs import install_and_list

CASE = OcttCase(
    id="TC_075_2_CS",
    title="Security: install a central system root certificate",
    group="security",
    purpose="A CentralSystemRootCertificate we install is listed afterwards.",
    needs=("sp2", "security_extension"),
    steps=install_and_list("CentralSystemRootCertificate", "central_system_root_certificate"),
    criteria=("InstallCertificate accepted; GetInstalledCertificateIds lists a certificate.",),
    clauses=(
        "Security white paper: Certificate management",
        "Security white paper: InstallCertificate",
        "Security white paper: GetInstalledCertificateIds",
    ),
    data=("central_system_root_certificate",),
    differs="We check that a certificate is listed, not that its hash is the one we computed.",
)
