"""The Smart Charging profile's cases."""

from . import (
    tc_056_cs,
    tc_057_cs,
    tc_058_1_cs,
    tc_058_2_cs,
    tc_059_cs,
    tc_060_cs,
    tc_066_cs,
    tc_067_cs,
    tc_072_cs,
    tc_082_cs,
)

CASES = tuple(
    m.CASE
    for m in (
        tc_056_cs,
        tc_057_cs,
        tc_058_1_cs,
        tc_058_2_cs,
        tc_082_cs,
        tc_066_cs,
        tc_067_cs,
        tc_072_cs,
        tc_059_cs,
        tc_060_cs,
    )
)
