"""The Reservation profile's cases."""

from . import (
    tc_046_1_cs,
    tc_046_2_cs,
    tc_047_cs,
    tc_048_1_cs,
    tc_048_2_cs,
    tc_048_3_cs,
    tc_048_4_cs,
    tc_049_cs,
    tc_050_1_cs,
    tc_050_2_cs,
    tc_050_3_cs,
    tc_050_4_cs,
    tc_051_cs,
    tc_052_cs,
    tc_053_cs,
)

CASES = tuple(
    m.CASE
    for m in (
        tc_046_1_cs,
        tc_046_2_cs,
        tc_047_cs,
        tc_048_1_cs,
        tc_048_2_cs,
        tc_048_3_cs,
        tc_048_4_cs,
        tc_049_cs,
        tc_050_1_cs,
        tc_050_2_cs,
        tc_050_3_cs,
        tc_050_4_cs,
        tc_051_cs,
        tc_052_cs,
        tc_053_cs,
    )
)
