"""TC_081_CS: a signed firmware whose signature is wrong."""

from ..case import OcttCase
from .tc_080_cs import signed, update

CASE = OcttCase(
    id="TC_081_CS",
    title="Security: signed firmware update with an invalid signature",
    group="security",
    purpose="A firmware whose signature does not verify is not installed: InvalidSignature.",
    needs=("security_extension",),
    steps=(update("invalid_signature"), signed("Downloading"), signed("Downloaded"), signed("InvalidSignature")),
    criteria=("Downloading, Downloaded, then InvalidSignature.",),
    clauses=("Security white paper: Secure firmware update", "Security white paper: SignedUpdateFirmware"),
    data=("firmware_url", "firmware_signing_certificate", "invalid_signature"),
)
