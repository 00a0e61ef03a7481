"""TC_036_CS: meter values queued while offline arrive in order."""

from certify.judging.steps import Expect, Var

from ..case import OcttCase
from ..states import CHARGING, CONNECTOR, OF_THE_TRANSACTION, offline, reconnected


def queued_in_order(outcome, records, data):
    """The MeterValues of the transaction after the reconnect: their samples'
    timestamps ascending (the queue kept its order, §3.7)."""
    from ..checks import samples_in_order

    return samples_in_order(outcome, records, data)


CASE = OcttCase(
    id="TC_036_CS",
    title="Connection lost during a transaction: queued meter values arrive in order",
    group="core",
    purpose="Meter values sampled while the charger was offline are delivered after it reconnects, oldest first.",
    config={"MeterValueSampleInterval": "{meter_value_interval}"},
    steps=(
        *CHARGING,
        offline(),
        reconnected(),
        Expect(
            "MeterValues",
            match={"connectorId": CONNECTOR, **OF_THE_TRANSACTION},
            strict=False,
            within=Var("reboot_timeout"),
            label="After reconnecting, the queued meter values arrive",
        ),
    ),
    criteria=(
        "After the reconnect the meter values sampled while offline are delivered.",
        "Their timestamps ascend: oldest first, before any new sample.",
    ),
    clauses=("3.7 Transaction-related messages", "4.7 Meter Values"),
    data=("meter_value_interval", "offline_seconds"),
    check=queued_in_order,
    differs="We check the order of the delivered samples, not that exactly three were queued.",
)
