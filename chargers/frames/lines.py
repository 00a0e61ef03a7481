"""One line per frame: what a reader needs to follow the evidence log, the full
frame a click (or the JSON Lines log) away under the same seq. The report, the
item's evidence table and every page's frame log print frames this way.

`redact` hides secrets (upload credentials in the frames we sent) wherever a
frame is shown, as `REDACTED`; its callers name the secrets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from .reader import GONE_EVENTS, parse

REDACTED = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """The text with every secret replaced by REDACTED."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


DIRECTIONS = {"in": "CP→CS", "out": "CS→CP", "event": "event"}
KINDS = {2: "", 3: "result", 4: "error"}
# Fields that decide verdicts, in the order a line prints them.
DECIDING = (
    "connectorId",
    "status",
    "errorCode",
    "vendorErrorCode",
    "info",
    "type",
    "transactionId",
    "idTag",
    "reason",
    "key",
    "value",
    "requestedMessage",
    "meterStart",
    "meterStop",
    "firmwareVersion",
    "chargePointVendor",
    "chargePointModel",
    "chargePointSerialNumber",
    "iccid",
    "interval",
    "location",
    "fileName",
    "retrieveDate",
)
MEASURANDS = {
    "Energy.Active.Import.Register": "Energy",
    "Power.Active.Import": "Power",
    "Current.Import": "Current",
    "Current.Offered": "Offered",
    "Voltage": "Voltage",
    "SoC": "SoC",
}
LINE_CHARS = 240
# The events of a charger's connection (the others are the bench's, e.g. a step done by hand).
CONNECTION_EVENTS = ("connected", *GONE_EVENTS)


def frame_line(frame, secrets: Iterable[str] = ()) -> dict:
    """{seq, ts, time, direction, action, fields} of a Frame: ts is the UTC date
    and time, time the same without the date; fields are the ones that decide
    verdicts (status, connectorId, transactionId, errorCode, idTag status,
    measurands with values and units) as one short text, with the frame's note."""
    if frame.direction == "event":
        # A connection's event, or another the bench wrote in the log (a step done by hand): its name.
        event = parse(frame).event
        action = "connection" if event in CONNECTION_EVENTS or not event else event
    else:
        action = " ".join(p for p in (frame.action, KINDS.get(frame.message_type, "")) if p) or frame.kind
    fields = _fields(frame)
    if frame.note:
        fields = f"{fields} [note: {frame.note}]".strip()
    return {
        "seq": frame.seq,
        "ts": frame.ts.isoformat(sep=" ", timespec="milliseconds")[:23],
        "time": frame.ts.isoformat(timespec="milliseconds")[11:23],
        "direction": DIRECTIONS.get(frame.direction, frame.direction),
        "action": action,
        "fields": _cut(redact(fields, secrets)),
    }


def _cut(text: str) -> str:
    return text if len(text) <= LINE_CHARS else text[: LINE_CHARS - 1] + "…"


def _fields(frame) -> str:
    record = parse(frame)
    if record.malformed:
        return f"malformed: {frame.raw[:80]}"
    payload = record.payload
    if record.direction == "event" and isinstance(payload, dict):
        if record.event and record.event not in CONNECTION_EVENTS:
            return ", ".join(f"{k}={_short(v)}" for k, v in payload.items() if k != "event")
        return ", code ".join(str(payload[k]) for k in ("event", "code") if k in payload)
    if frame.message_type == 4 and isinstance(payload, dict):
        return f"{payload.get('errorCode')}: {payload.get('errorDescription') or ''}".strip(": ")
    if not isinstance(payload, dict):
        return "" if payload is None else str(payload)[:80]
    parts = [f"{k}={_short(payload[k])}" for k in DECIDING if k in payload]
    info = payload.get("idTagInfo")
    if isinstance(info, dict) and "status" in info:
        parts.append(f"idTag status={info['status']}")
    keys = payload.get("configurationKey")
    if isinstance(keys, list):
        parts.append(f"{len(keys)} keys")
        unknown = payload.get("unknownKey")
        if isinstance(unknown, list) and unknown:
            parts.append(f"{len(unknown)} unknown")
    profile = payload.get("csChargingProfiles") or payload.get("chargingSchedule")
    if isinstance(profile, dict):
        parts.append(_profile(profile))
    meter = payload.get("meterValue") or payload.get("transactionData")
    if isinstance(meter, list):
        parts.append(_meter(meter))
    return ", ".join(p for p in parts if p)


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 90 else text[:87] + "…"


def _profile(profile: dict) -> str:
    schedule = profile.get("chargingSchedule", profile)
    periods = schedule.get("chargingSchedulePeriod") if isinstance(schedule, dict) else None
    limit = periods[0].get("limit") if isinstance(periods, list) and periods and isinstance(periods[0], dict) else None
    unit = schedule.get("chargingRateUnit", "") if isinstance(schedule, dict) else ""
    purpose = profile.get("chargingProfilePurpose", "")
    return " ".join(str(p) for p in (purpose, f"limit {limit} {unit}" if limit is not None else "") if p)


def _meter(meter_values: list) -> str:
    """ "Energy 12.3 kWh, Power 11000 W, Current L1/L2/L3 16/16/16 A [Transaction.Begin]"
    for each meterValue (the first three, then how many more)."""
    out = []
    for meter_value in meter_values[:3]:
        if not isinstance(meter_value, dict):
            continue
        groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
        contexts = set()
        for sample in meter_value.get("sampledValue") or []:
            if not isinstance(sample, dict):
                continue
            name = sample.get("measurand") or "Energy.Active.Import.Register"
            key = (MEASURANDS.get(name, name), sample.get("unit") or "")
            groups.setdefault(key, []).append((sample.get("phase") or "", str(sample.get("value"))))
            if sample.get("context") and sample["context"] != "Sample.Periodic":
                contexts.add(sample["context"])
        text = ", ".join(
            f"{name} {'/'.join(p for p, _ in values)} {'/'.join(v for _, v in values)} {unit}".replace(
                "  ", " "
            ).strip()
            if any(p for p, _ in values)
            else f"{name} {'/'.join(v for _, v in values)} {unit}".strip()
            for (name, unit), values in groups.items()
        )
        out.append(text + (f" [{', '.join(sorted(contexts))}]" if contexts else ""))
    if len(meter_values) > 3:
        out.append(f"+{len(meter_values) - 3} more readings")
    return "; ".join(out)
