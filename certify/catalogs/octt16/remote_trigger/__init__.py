"""The Remote Trigger profile's cases."""

from . import tc_054_cs, tc_055_cs

CASES = (tc_054_cs.CASE, tc_055_cs.CASE)
