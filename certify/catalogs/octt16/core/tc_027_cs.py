"""TC_027_CS: a remote start for connector 0."""

from certify.judging.steps import Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_027_CS",
    title="Remote start refused: connector 0",
    group="core",
    purpose="RemoteStartTransaction for connector 0 is rejected (connector 0 is the charge point as a whole).",
    steps=(
        Send(
            "RemoteStartTransaction",
            {"connectorId": 0, "idTag": "{id_tag}"},
            {"status": "Rejected"},
            errors=("PropertyConstraintViolation", "OccurenceConstraintViolation", "TypeConstraintViolation"),
        ),
    ),
    criteria=("Answered Rejected, or a CALLERROR for the value.",),
    clauses=("5.11 Remote Start Transaction", "6.33 RemoteStartTransaction.req"),
)
