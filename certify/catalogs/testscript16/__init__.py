"""The OCPP 1.6 certification test script: 18 items, one module each, in the
script's order (../shared/reference/ocpp16-certification-testscript.txt), with
the order a headless run works them in."""

from __future__ import annotations

from .. import Catalog, cases_of
from . import (
    boot_notification,
    cable_status,
    change_availability,
    change_configuration,
    charging_profile,
    clear_cache,
    diagnostics,
    error_notification,
    firmware_update,
    get_configuration,
    heartbeat,
    meter_values,
    offline_transactions,
    reset,
    smart_charging_switch,
    start_transaction,
    stop_transaction,
    trigger_message,
)

CATALOG = Catalog(
    name="ocpp16-testscript",
    title="OCPP 1.6 certification test script",
    protocol="ocpp1.6",
    cases=cases_of(
        boot_notification,
        heartbeat,
        change_availability,
        get_configuration,
        change_configuration,
        start_transaction,
        stop_transaction,
        meter_values,
        reset,
        error_notification,
        cable_status,
        firmware_update,
        diagnostics,
        charging_profile,
        smart_charging_switch,
        offline_transactions,
        clear_cache,
        trigger_message,
    ),
    # Stages one after the other; in a stage, lanes side by side, each lane's
    # cases in order. Lanes of a stage never spoil each other's evidence: the
    # connectors lane owns the connectors and transactions, the commands lane
    # sends only commands that change no connector, the heartbeat lane only
    # waits. Item 4 comes first: the configuration shapes the rest. A fault and
    # Inoperative (10, 3) wait for the commands lane (a charger may abort an
    # upload for them). The offline item runs alone (a closed socket would
    # break every other lane), ClearCache after it (the cache may be how the
    # card is accepted offline), resets and firmware last. Item 1 is judged on
    # their reboot (it rides on them; its boot hands out a new HeartbeatInterval,
    # §4.2, long after item 2), item 18 on the trigger after that boot.
    plan=(
        (("4",),),
        (("5", "6", "7", "8", "11"), ("14", "13"), ("2",)),
        (("10", "3"),),
        (("16",),),
        (("17",),),
        (("9",),),
        (("12",),),
        (("1", "18"),),
    ),
)
