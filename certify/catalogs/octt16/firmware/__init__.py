"""The Firmware Management profile's firmware cases."""

from . import tc_044_1_cs, tc_044_2_cs, tc_044_3_cs

CASES = (tc_044_1_cs.CASE, tc_044_2_cs.CASE, tc_044_3_cs.CASE)
