"""The checks, one row each: id, severity, clause, what it looks for.

Severities follow the clause's own strength: `violation` only where OCPP 1.6
(edition 2 with its errata), OCPP-J 1.6 or the JSON schemas say SHALL or MUST;
what goes against a SHOULD, a RECOMMENDED or what the text describes without a
SHALL (the §4.9 table, a register that only grows) is a `deviation`.
"""

from __future__ import annotations

from .model import DEVIATION, NOTE, VIOLATION, register

STATE_TABLE = register(
    "state-table",
    DEVIATION,  # the table lists the possible transitions; no SHALL forbids others
    "OCPP 1.6 §4.9",
    "A connector's status changes in a way the §4.9 transition table does not list",
)
CALL_BEFORE_ANSWER = register(
    "call-before-answer",
    DEVIATION,
    "OCPP-J §4.1.1",
    "The charger sends a CALL while one of its earlier CALLs is still unanswered (SHOULD NOT)",
)
UNIQUE_ID_REUSED = register(
    "unique-id-reused",
    VIOLATION,
    "OCPP-J §4.1.3",
    "The charger reuses a CALL's unique id within one WebSocket connection (MUST be different)",
)
BEFORE_BOOT_ACCEPTED = register(
    "before-boot-accepted",
    VIOLATION,
    "OCPP 1.6 §4.2",
    "A request other than BootNotification while the boot is unanswered, Pending or Rejected "
    "(a message asked for with TriggerMessage excepted)",
)
BOOT_RETRY_EARLY = register(
    "boot-retry-early",
    DEVIATION,
    "OCPP 1.6 §4.2",
    "A BootNotification sooner than the interval a Pending or Rejected answer gave (SHOULD NOT, unless "
    "asked for with TriggerMessage)",
)
METER_BACKWARDS = register(
    "meter-backwards",
    DEVIATION,  # a register reading (§7.31) cannot fall, but no SHALL says so
    "OCPP 1.6 §7.31",
    "The Energy.Active.Import.Register reading goes backwards within a transaction",
)
METER_BACKWARDS_ACROSS = register(
    "meter-backwards-across",
    DEVIATION,
    "OCPP 1.6 §6.45",
    "A transaction's meterStart is below the register the connector's previous transaction ended at",
)
METER_STOP_BELOW_START = register(
    "meter-stop-below-start",
    DEVIATION,  # both are the meter's register (§6.45, §6.49), but no SHALL says so
    "OCPP 1.6 §6.49",
    "StopTransaction's meterStop is below its transaction's meterStart",
)
UNIT_FOR_MEASURAND = register(
    "unit-for-measurand",
    DEVIATION,
    "OCPP 1.6 §7.31, §7.45",
    "A sampled value carries a unit its measurand is not measured in (kW for an energy register, ...)",
)
TIMESTAMP_NO_ZONE = register(
    "timestamp-no-zone",
    VIOLATION,
    "OCPP 1.6 §3.14; JSON schema date-time (RFC 3339)",
    "A timestamp without a time zone (once per action and connection)",
)
TIMESTAMP_FUTURE = register(
    "timestamp-future",
    DEVIATION,
    "OCPP 1.6 §4.2",
    "A timestamp ahead of the frame's receive time beyond the tolerance: the charger's clock runs "
    "ahead (once per connection)",
)
TIMESTAMP_BACKWARDS = register(
    "timestamp-backwards",
    DEVIATION,
    "OCPP 1.6 §3.7",
    "Consecutive transaction messages of a connection whose timestamps go backwards",
)
STATUS_ORDER = register(
    "status-order",
    VIOLATION,
    "OCPP 1.6 §4.9",
    "StatusNotifications whose timestamps go backwards: they MUST be sent in the order the events occurred "
    "(a triggered one, or one after the charger's clock was set, excepted)",
)
ERROR_CODE_STATUS = register(
    "error-code-status",
    VIOLATION,
    "OCPP 1.6 §4.9",
    "errorCode EVCommunicationError with a status other than Preparing, SuspendedEV, SuspendedEVSE or Finishing "
    "(SHALL only be used with those)",
)
CONNECTOR_ABOVE_NUMBER = register(
    "connector-above-number",
    DEVIATION,
    "OCPP 1.6 §9.1.21",
    "A StatusNotification for a connector id above NumberOfConnectors (when the configuration says it)",
)
CONNECTOR_ZERO_STATUS = register(
    "connector-zero-status",
    DEVIATION,
    "OCPP 1.6 §4.9",
    "A StatusNotification for connector 0 (the charger as a whole) with a status other than Available, "
    "Unavailable or Faulted",
)
UNAVAILABLE_NOT_PERSISTENT = register(
    "unavailable-not-persistent",
    VIOLATION,
    "OCPP 1.6 §4.9",
    "After a reboot, a connector ChangeAvailability had made Unavailable reports another status (but Faulted): "
    "Unavailable MUST persist across reboot",
)
START_ON_UNAVAILABLE = register(
    "start-on-unavailable",
    DEVIATION,
    "OCPP 1.6 §4.9, §5.13",
    "A live StartTransaction on a connector last reported Unavailable or Faulted, or Reserved for another idTag",
)
START_WITHOUT_RESERVATION = register(
    "start-without-reservation",
    VIOLATION,
    "OCPP 1.6 §4.8",
    "A StartTransaction that ends a reservation (its idTag on the connector reserved for it) without that "
    "reservationId (MUST contain it)",
)
TX_NOT_OPEN = register(
    "tx-not-open",
    DEVIATION,
    "OCPP 1.6 §4.7, §4.10",
    "MeterValues or StopTransaction for a transaction that is not the one open on that connector",
)
STOP_REPEATED_DIFFERS = register(
    "stop-repeated-differs",
    DEVIATION,
    "OCPP 1.6 §3.7, §4.10",
    "A StopTransaction sent again for a stopped transaction with a different meterStop",
)
HEARTBEAT_PACE = register(
    "heartbeat-pace",
    DEVIATION,
    "OCPP 1.6 §4.6, §9.1.10",
    "Heartbeats while idle (nothing else exchanged) far more often than the configured interval (fewer are "
    "allowed: with OCPP-J heartbeats are not mandatory; once per interval and connection)",
)
CALLERROR_CORE = register(
    "callerror-core",
    VIOLATION,
    "OCPP 1.6 §3.3",
    "A Core command answered with CALLERROR NotImplemented or NotSupported: Core SHALL be supported",
)
SCHEMA = register(
    "schema",
    VIOLATION,
    "OCPP-J §4.2.3; OCPP 1.6 JSON schemas",
    "A frame from the charger that is malformed or breaks its action's schema (as noted when it was received)",
)
NO_BOOT_SEEN = register(
    "no-boot-seen",
    NOTE,
    "OCPP 1.6 §4.2",
    "The charger sent requests to this central system before it ever sent a BootNotification here (a charger "
    "moved from another central system need not reboot; as noted when received)",
)
ANSWER_UNMATCHED = register(
    "answer-unmatched",
    NOTE,
    "OCPP-J §4.2.2",
    "The charger answered a CALL we were no longer waiting for, or never sent (as noted when received)",
)
