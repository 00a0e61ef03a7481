"""The cases of the OCPP 1.6 security white paper."""

from . import (
    tc_073_cs,
    tc_074_cs,
    tc_075_1_cs,
    tc_075_2_cs,
    tc_076_cs,
    tc_077_cs,
    tc_078_cs,
    tc_079_cs,
    tc_080_cs,
    tc_081_cs,
    tc_083_cs,
    tc_084_cs,
    tc_085_cs,
    tc_086_cs,
    tc_087_cs,
)

CASES = tuple(
    m.CASE
    for m in (
        tc_073_cs,
        tc_074_cs,
        tc_075_1_cs,
        tc_075_2_cs,
        tc_076_cs,
        tc_077_cs,
        tc_078_cs,
        tc_079_cs,
        tc_080_cs,
        tc_081_cs,
        tc_083_cs,
        tc_084_cs,
        tc_085_cs,
        tc_086_cs,
        tc_087_cs,
    )
)
