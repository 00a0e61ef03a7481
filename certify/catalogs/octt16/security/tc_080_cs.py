"""TC_080_CS: a signed firmware update."""

from certify.judging.steps import AnyOrder, Expect, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED, status

LONG = Var("reboot_timeout")


def signed(state: str, **options) -> Expect:
    return Expect("SignedFirmwareStatusNotification", {"status": state}, within=LONG, **options)


def update(signature: str) -> Send:
    return Send(
        "SignedUpdateFirmware",
        {
            "requestId": 1,
            "firmware": {
                "location": "{firmware_url}",
                "retrieveDateTime": "{now}",
                "signingCertificate": "{firmware_signing_certificate}",
                "signature": "{" + signature + "}",
            },
        },
        ACCEPTED,
        disconnects=True,
    )


CASE = OcttCase(
    id="TC_080_CS",
    title="Security: signed firmware update",
    group="security",
    purpose="A signed firmware is downloaded, its signature verified, installed; the charger restarts with it.",
    needs=("security_extension",),
    steps=(
        update("firmware_signature"),
        signed("Downloading"),
        signed("Downloaded"),
        signed("SignatureVerified"),
        signed("Installing", optional=True),
        AnyOrder(Expect("BootNotification", within=LONG, ours={"status": "Accepted"}), signed("Installed")),
        status("Available", state=True, within=LONG, label="The connector is Available after the update"),
    ),
    criteria=("Downloading, Downloaded, SignatureVerified, Installing, then Installed; Available after the restart.",),
    clauses=("Security white paper: Secure firmware update", "Security white paper: SignedUpdateFirmware"),
    data=("firmware_url", "firmware_signing_certificate", "firmware_signature", "reboot_timeout"),
)
