"""What can be done with a certification session: open it, fill and send its
cases' commands, read the charger's profiles, take the charger offline. The
buttons, the JSON API and the headless `certify` command all call these
functions; a session's verdict rules (overrides, counts) are on its models."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from chargers import live, offline
from chargers.commands import CommandResult, send_command
from chargers.frames import FrameRecord, store_frame
from chargers.models import Charger, Frame
from chargers.timestamps import utc_iso

from . import attempts, catalogs, transfer
from .evaluation import evaluate_session, session_scope
from .judging.scope import PREFLIGHT, case_tag
from .judging.steps import STEP_DONE
from .models import CertSession, ItemResult
from .open_sessions import forget

log = logging.getLogger(__name__)

PREFLIGHT_TIMEOUT = 10  # s the session's own read of the configuration waits

DEFAULT_ID_TAG = "CERTIFY-OK"
DEFAULT_REFUSED_ID_TAG = "CERTIFY-REFUSED"


def create_session(
    charge_point_id: str,
    engineer=None,
    engineer_name: str = "",
    lab: str = "",
    options: dict | None = None,
    catalog_name: str = catalogs.DEFAULT,
) -> CertSession:
    """Open a session for a charger connected now or expected under that id.
    Its frames are those the charger sends from now on."""
    charger, _ = Charger.objects.get_or_create(charge_point_id=charge_point_id)
    start_seq = charger.last_seq()
    session = CertSession.objects.create(
        charge_point_id=charge_point_id,
        charger=charger,
        catalog=catalog_name,
        engineer=engineer,
        engineer_name=engineer_name or (engineer.get_username() if engineer else ""),
        lab=lab or settings.CERTIFY_LAB,
        start_seq=start_seq,
        options={
            "auto_trigger_status": True,
            "id_tag": DEFAULT_ID_TAG,
            "refused_id_tag": DEFAULT_REFUSED_ID_TAG,
            **(options or {}),
        },
    )
    session.ftp_user = f"s{session.pk}"
    session.options["initial"] = initial_state(charger)
    session.save(update_fields=["ftp_user", "options"])
    ItemResult.objects.bulk_create(
        ItemResult(session=session, case=c.key, number=c.number) for c in catalogs.get(catalog_name).cases
    )
    forget(charger.pk)
    # The session exists from here: a first judgement or read of the configuration that
    # fails is logged and done again later (by the page, the reactions, the next command),
    # never a failed request for a session that was opened.
    try:
        evaluate_session(session)
    except Exception:
        log.exception("Session %s: the first judgement failed; its items are judged again later", session.pk)
    if charger.connected:
        # Read the charger's configuration now, so the first commands and verdicts
        # know its profiles and limits; the reactions, seeing the mark, do not read twice.
        session.options["preflight_at"] = timezone.now().isoformat()
        session.save(update_fields=["options"])
        try:
            async_to_sync(preflight)(session)
        except Exception:
            log.exception("Session %s: reading the charger's configuration failed", session.pk)
        session.refresh_from_db()
    return session


def initial_state(charger: Charger) -> dict:
    """What the charger was doing when the session opened, for the rules: its
    connectors' states, open transactions and the firmware under test."""
    return {
        "connectors": {str(c.connector_id): c.status for c in charger.connectors.all()},
        "transactions": [
            {"id": t.pk, "connector": t.connector_id} for t in charger.transactions.filter(stopped_at__isnull=True)
        ],
        "firmware_version": charger.firmware_version,
        "vendor": charger.vendor,
    }


def announce(session: CertSession) -> None:
    """Tell the session's live pages that it changed (from sync code; chargers.live.announce)."""
    async_to_sync(live.announce)(topics=[CertSession.live_topic(session.pk)])


# -- commands ----------------------------------------------------------------------


def fill_payload(
    session: CertSession, payload: dict, request_host: str | None = None, case: catalogs.Case | None = None
) -> dict:
    """Fill a case command's placeholders with this session's values (and the case's own)."""
    if case is not None and case.fill is not None:
        payload = case.fill(payload, session.options or {})
    now = timezone.now()
    active = None
    if session.charger_id:
        tx = session.charger.transactions.filter(stopped_at__isnull=True).first()
        active = tx.pk if tx else None
    # The charging rate unit the charger allows (§9.4.2), and the case's limit in it.
    state = session_scope(session).state if session.charger_id else None
    unit = state.allowed_rate_units()[0] if state is not None else "A"
    values = {
        "{rate_unit}": unit,
        "{connector}": session.options.get("connector", 1),
        "{id_tag}": session.options.get("id_tag", DEFAULT_ID_TAG),
        "{transaction_id}": active if active is not None else 0,
        "{firmware_url}": transfer.firmware_url(session, request_host) or "http://upload-a-firmware-file-first/",
        "{diagnostics_url}": transfer.diagnostics_url(session, request_host),
        "{diagnostics_http_url}": transfer.diagnostics_http_url(session, request_host),
        "{diagnostics_auto_url}": (
            transfer.diagnostics_url(session, request_host)
            if _ftp_only(state)
            else transfer.diagnostics_http_url(session, request_host)
        ),
        "{now}": utc_iso(now, timespec="seconds"),
        "{hour_ago}": utc_iso(now - timedelta(hours=1), timespec="seconds"),
    }
    if case is not None and unit in case.rate_limits:
        values["{rate_limit}"] = case.rate_limits[unit]

    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, str):
            if value in values:
                return values[value]
            for key, replacement in values.items():
                value = value.replace(key, str(replacement))
        return value

    return fill(payload)


def _ftp_only(state) -> bool:
    """The charger's SupportedFileTransferProtocols (as last read) lists FTP and no HTTP(S):
    its upload goes to our FTP server; otherwise to our HTTP location, which the app itself
    serves (the FTP server is a process of its own, `runlab` starts it)."""
    listed = (state.config().get("SupportedFileTransferProtocols") or "") if state is not None else ""
    protocols = {p.strip().upper() for p in listed.split(",") if p.strip()}
    return "FTP" in protocols and not protocols & {"HTTP", "HTTPS"}


async def run_command(
    session: CertSession, action: str, payload: dict, user_label: str, case: str | None = None, outside: bool = False
) -> CommandResult:
    """Send one of an item's commands to the session's charger. It belongs to
    the item's running attempt, which it starts when none runs; or, `outside`,
    to none (labelled so in its `sent_by`)."""
    if session.is_signed:
        return CommandResult("invalid", action, session.charge_point_id, message="This session is signed.")
    sent_by = user_label
    if case is not None:
        if outside:
            sent_by += attempts.OUTSIDE
        else:
            await database_sync_to_async(attempts.ensure_attempt)(session, case, user_label)
        sent_by += case_tag(case)
    return await send_command(session.charge_point_id, action, payload, sent_by=sent_by)


async def preflight(session: CertSession, sent_by: str = PREFLIGHT) -> dict:
    """Read SupportedFeatureProfiles and mark the items of absent profiles as
    not supported, automatically and overridably; the answer is state for the
    rules (the configuration last read), never evidence."""
    result = await send_command(
        session.charge_point_id, "GetConfiguration", {}, sent_by=sent_by, timeout=PREFLIGHT_TIMEOUT
    )
    if not result.ok:
        return {}
    keys = {e.get("key"): e.get("value", "") for e in (result.payload or {}).get("configurationKey", [])}
    profiles = {p.strip() for p in (keys.get("SupportedFeatureProfiles") or "").split(",") if p.strip()}
    marks = {}
    if profiles:
        for profile, keys in catalogs.get(session.catalog).profile_cases().items():
            if profile not in profiles:
                for key in keys:
                    marks[key] = f"The charger does not support the {profile} profile (SupportedFeatureProfiles)"

    def save():
        session.refresh_from_db()
        session.options = {**session.options, "not_supported": marks, "profiles": sorted(profiles)}
        session.save(update_fields=["options"])
        evaluate_session(session)

    await database_sync_to_async(save)()
    return marks


# -- take the charger offline for a while (chargers.offline) -----------------------------


async def take_offline(session: CertSession, seconds: float, by: str) -> datetime:
    """Take the session's charger offline for `seconds` (the item that wants
    transactions while it is offline); returns the end of the window."""
    if session.is_signed:
        raise ValidationError("This session is signed.")
    if session.charger_id is None:
        raise ValidationError(f"Charger {session.charge_point_id} has never connected.")
    try:
        return await offline.take_offline(session.charger_id, seconds, by)
    except ValueError as exc:
        raise ValidationError({"seconds": str(exc)}) from None


# -- a step by hand confirmed done (the page's Done button, POST .../steps/done) ------------------


def _prompted(session: CertSession, key: str, step: int) -> dict:
    """The step by hand the item's running attempt prompts for, if it is `step`."""
    if session.is_signed:
        raise ValidationError("This session is signed.")
    if session.charger_id is None:
        raise ValidationError(f"Charger {session.charge_point_id} has never connected.")
    if attempts.current_attempt(session, key) is None:
        raise ValidationError(f"No attempt of {key} is running: start it first.")
    result = session.items.filter(case=key).first()
    prompt = ((result.waiting if result else None) or {}).get("prompt") or {}
    if prompt.get("step") != step:
        asked = f"step {prompt['step']} ({prompt['label']})" if prompt else "no step by hand"
        raise ValidationError(f"{key} does not wait for step {step} to be done by hand (it asks for {asked}).")
    return prompt


async def confirm_step(session: CertSession, key: str, step: int, by: str) -> dict:
    """The engineer's confirmation that a step by hand is done: a step-done event in
    the charger's evidence log (who, which case and step), which the case's steps
    read (certify.judging.sequence): the case goes on from that moment. Only the
    step the running attempt prompts for can be confirmed. Returns the prompt."""
    prompt = await database_sync_to_async(_prompted)(session, key, step)
    event = {"event": STEP_DONE, "case": key, "step": step, "label": prompt["label"], "by": by}
    await store_frame(
        session.charger_id,
        FrameRecord(direction=Frame.EVENT, raw=json.dumps(event, separators=(",", ":")), sent_by=by + case_tag(key)),
    )
    await database_sync_to_async(evaluate_session)(session)
    return prompt


# -- the charger's declaration (a catalog's, e.g. OCTT's PICS), edited on the session page ----------


def session_config(session: CertSession) -> dict:
    """The charger's configuration as the session last read it (what the declaration is prefilled from)."""
    return session_scope(session).state.config() if session.charger_id else {}


def declare(session: CertSession, posted: dict) -> dict[str, str]:
    """Save the declaration a form posted (name -> values) and judge again, so the
    cases it rules in or out change at once; returns a message per field whose
    value cannot be (nothing saved then). A declared feature profile lifts the
    pre-flight's Not supported from its cases."""
    form = catalogs.get(session.catalog).declaration
    if form is None:
        raise ValidationError("This session's catalog has no declaration.")
    if session.is_signed:
        raise ValidationError("This session is signed.")
    values, errors = form.parse(posted)
    if errors:
        return errors
    session.refresh_from_db(fields=["options"])
    options = {**session.options, "declaration": form.kept(values, session_config(session))}
    declared = set(values.get("profiles") or ())
    marks = dict(options.get("not_supported") or {})
    for profile, keys in catalogs.get(session.catalog).profile_cases().items():
        if profile in declared:
            for key in keys:
                marks.pop(key, None)
    if "not_supported" in options:
        options["not_supported"] = marks
    session.options = options
    session.save(update_fields=["options"])
    evaluate_session(session)
    announce(session)
    return {}
