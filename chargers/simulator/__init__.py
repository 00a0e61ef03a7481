"""A full OCPP 1.6-J charge point, for demos, tests and rehearsals."""

from .charger import SimulatedCharger, SimulatorOptions
from .profiles import PROFILES

__all__ = ["PROFILES", "SimulatedCharger", "SimulatorOptions"]
