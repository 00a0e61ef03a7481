"""TC_062_CS: a DataTransfer for a vendor the charger does not know."""

from certify.judging.steps import OneOf, Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_062_CS",
    title="Data transfer to the charger for an unknown vendor",
    group="core",
    purpose="A DataTransfer for a vendorId the charger does not support is refused in one of the ways §5.6 allows.",
    before=("The charger does not support DataTransfer for the vendorId used.",),
    steps=(
        Send(
            "DataTransfer",
            {"vendorId": "{unknown_vendor_id}", "messageId": "OcttTest", "data": "test"},
            {"status": OneOf("Rejected", "UnknownMessageId", "UnknownVendorId", "Accepted")},
        ),
    ),
    criteria=("Answered Rejected, UnknownMessageId or UnknownVendorId (Accepted passes, with a remark).",),
    clauses=("5.6 Data Transfer",),
    data=("unknown_vendor_id",),
    differs="OCTT flags Accepted for the vendor's attention; it passes here, as §5.6 allows it.",
)
