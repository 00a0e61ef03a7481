"""Behaviour profiles: ways the simulator misbehaves on purpose, so the checklist
can be shown to fail exactly the items a real charger's fault would break."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    breaks: tuple[int, ...]  # checklist items it is meant to fail
    description: str
    finishing: bool = True  # send Finishing after a stop
    follow_heartbeat_interval: bool = True  # obey HeartbeatInterval changes
    smart_charging: bool = True  # accept SetChargingProfile and its keys
    answer_delay: float = 0.0  # seconds before answering every CALL
    voltage: bool = True  # report Voltage in MeterValues
    iccid: bool = True  # report iccid in BootNotification


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("default", (), "A well-behaved OCPP 1.6-J charger."),
        Profile("no-finishing", (7,), "Never sends Finishing after a stop.", finishing=False),
        Profile(
            "ignore-heartbeat-interval",
            (2,),
            "Keeps the heartbeat interval it booted with, whatever is configured later.",
            follow_heartbeat_interval=False,
        ),
        Profile(
            "no-smart-charging",
            (14,),
            "Rejects SetChargingProfile; its Smart Charging keys are NotSupported.",
            smart_charging=False,
        ),
        Profile("slow", (), "Answers every CALL after a delay (3 s by default).", answer_delay=3.0),
        Profile("no-voltage", (8,), "Leaves Voltage out of its MeterValues.", voltage=False),
        Profile("no-iccid", (1,), "Leaves iccid out of its BootNotification.", iccid=False),
    )
}
