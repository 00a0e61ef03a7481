"""TC_021_CS: changing a configuration key and reading it back."""

from certify.judging.steps import Check, Ref, Send, Var

from ..case import OcttCase
from ..states import TAKEN


def _holds_value(entries, resolve) -> bool:
    """The value set reads back; after RebootRequired it applies from the next boot (§7.22),
    so what reads back before one is not compared."""
    if resolve(Ref("change", "answer.status")) == "RebootRequired":
        return isinstance(entries, list)
    wanted = str(resolve(Var("meter_value_interval")))
    return isinstance(entries, list) and any(
        isinstance(e, dict) and e.get("key") == "MeterValueSampleInterval" and str(e.get("value")) == wanted
        for e in entries
    )


CASE = OcttCase(
    id="TC_021_CS",
    title="Change a configuration key and read it back",
    group="core",
    purpose="A key changed with ChangeConfiguration reads back with the new value.",
    before=("MeterValueSampleInterval is not already the value the case sets.",),
    steps=(
        Send(
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": "{meter_value_interval}"},
            TAKEN,
            name="change",
        ),
        Send(
            "GetConfiguration",
            {"key": ["MeterValueSampleInterval"]},
            {"configurationKey": Check(_holds_value, "MeterValueSampleInterval with the value set")},
        ),
    ),
    criteria=("ChangeConfiguration accepted; GetConfiguration returns the value set.",),
    clauses=("5.3 Change Configuration", "5.8 Get Configuration"),
    data=("meter_value_interval",),
    differs="RebootRequired passes as well (§7.22: the key is taken and applies from the next boot); the read-back "
    "is then not compared, as we do not reset the charger for it. OCTT asks Accepted.",
)
