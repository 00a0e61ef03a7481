"""TC_040_1_CS: changing a key the charger does not have."""

from certify.judging.steps import Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_040_1_CS",
    title="Change an unknown configuration key",
    group="core",
    purpose="ChangeConfiguration of a key the charger does not know is answered NotSupported.",
    steps=(Send("ChangeConfiguration", {"key": "Testing", "value": "true"}, {"status": "NotSupported"}),),
    criteria=("ChangeConfiguration of the key 'Testing' answered NotSupported.",),
    clauses=("5.3 Change Configuration",),
)
