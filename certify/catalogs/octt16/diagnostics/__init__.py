"""The Firmware Management profile's diagnostics cases."""

from . import tc_045_1_cs, tc_045_2_cs

CASES = (tc_045_1_cs.CASE, tc_045_2_cs.CASE)
