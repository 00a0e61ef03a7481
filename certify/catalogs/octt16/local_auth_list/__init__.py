"""The Local Authorization List Management profile's cases."""

from . import tc_008_cs, tc_042_1_cs, tc_042_2_cs, tc_043_1_cs, tc_043_2_cs, tc_043_3_cs, tc_043_cs

CASES = tuple(m.CASE for m in (tc_042_1_cs, tc_042_2_cs, tc_043_cs, tc_043_1_cs, tc_043_2_cs, tc_043_3_cs, tc_008_cs))
