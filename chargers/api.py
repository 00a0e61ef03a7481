"""The JSON API for automation (OpenAPI at /api/docs and /api/openapi.json).

Authenticate with `Authorization: Bearer <token>` (`manage.py create_api_token`).
Payloads are camelCase, exactly as OCPP 1.6 spells them.
"""

from __future__ import annotations

from datetime import datetime

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from ninja import Body, NinjaAPI, Query, Schema, Swagger
from ninja.errors import HttpError
from ninja.security import HttpBearer

from . import findings, protocol
from .commands import send_command
from .models import ApiToken, Charger, Frame
from .roles import can_operate, role_of


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        found = ApiToken.authenticate(token)
        if found is None or role_of(found.user) is None:
            return None
        request.api_user = found.user
        return found


api = NinjaAPI(
    title="OCPP Certify API",
    version="1",
    description="Chargers, their evidence frames and OCPP 1.6-J commands.",
    auth=TokenAuth(),
    urls_namespace="api",
    # No online validator badge: a lab network has no internet.
    docs=Swagger(settings={"validatorUrl": None}),
)


def caller(request: HttpRequest) -> str:
    token: ApiToken = request.auth
    return f"token:{token.prefix}…({token.user.get_username()})"


class ConnectorOut(Schema):
    connector_id: int
    status: str
    error_code: str
    info: str
    vendor_error_code: str
    timestamp: str


class ChargerOut(Schema):
    charge_point_id: str
    vendor: str
    model: str
    serial_number: str
    firmware_version: str
    iccid: str
    imsi: str
    meter_type: str
    meter_serial_number: str
    connected: bool
    connected_at: datetime | None
    disconnected_at: datetime | None
    last_frame_at: datetime | None
    booted_at: datetime | None


class ChargerDetailOut(ChargerOut):
    connectors: list[ConnectorOut]


class FrameOut(Schema):
    seq: int
    ts: datetime
    direction: str
    message_type: int | None
    action: str
    unique_id: str
    raw: str
    error_code: str
    note: str
    sent_by: str


class FrameFilter(Schema):
    action: str | None = None
    direction: str | None = None
    after_seq: int | None = None
    before_seq: int | None = None
    limit: int = 100


class CommandOut(Schema):
    status: str
    action: str
    charge_point_id: str
    payload: dict | None = None
    message: str = ""
    code: str = ""
    details: object = None


class ErrorOut(Schema):
    detail: str


# How each command outcome maps onto HTTP.
COMMAND_HTTP_STATUS = {
    "ok": 200,
    "callerror": 502,
    "timeout": 504,
    "not_connected": 409,
    "disconnected": 409,
    "invalid": 400,
    "unavailable": 503,
    "error": 500,
}


def _charger(cp_id: str) -> Charger:
    charger = Charger.objects.filter(charge_point_id=cp_id).first()
    if charger is None:
        raise HttpError(404, f"Charger {cp_id} is unknown")
    return charger


@api.get("/chargers", response=list[ChargerOut], tags=["chargers"])
def list_chargers(request):
    return list(Charger.objects.all())


@api.get("/chargers/{cp_id}", response=ChargerDetailOut, tags=["chargers"])
def get_charger(request, cp_id: str):
    charger = _charger(cp_id)
    charger.connectors_list = list(charger.connectors.all())
    return {**ChargerOut.from_orm(charger).dict(), "connectors": charger.connectors_list}


@api.get("/chargers/{cp_id}/frames", response=list[FrameOut], tags=["chargers"])
def list_frames(request, cp_id: str, filters: Query[FrameFilter]):
    """Frames in log order (oldest first), filtered; page with after_seq."""
    frames = Frame.objects.filter(charger=_charger(cp_id))
    if filters.action:
        frames = frames.filter(action=filters.action)
    if filters.direction:
        frames = frames.filter(direction=filters.direction)
    if filters.after_seq is not None:
        frames = frames.filter(seq__gt=filters.after_seq)
    if filters.before_seq is not None:
        frames = frames.filter(seq__lt=filters.before_seq)
    return list(frames.order_by("seq")[: max(1, min(filters.limit, 1000))])


class FindingOut(Schema):
    """One protocol finding (chargers.protocol.v16.findings): what the charger did against
    the specification, the clause, and the frames (their seq) it rests on."""

    check: str  # the check's id (its title: GET .../findings lists "checks")
    severity: str  # violation (of a SHALL), deviation (from a SHOULD), note
    clause: str
    title: str = ""  # the check's
    text: str
    seqs: list[int]
    connector: int | None = None
    ts: str  # when it happened (the time of the frame that shows it), ISO 8601 UTC


class CheckOut(Schema):
    id: str
    severity: str
    clause: str
    title: str


class ChargerFindingsOut(Schema):
    charge_point_id: str
    from_seq: int | None  # the first frame looked at: findings before it are not covered
    last_seq: int | None  # the newest frame looked at; pass it as ?since= to get what comes next
    counts: dict[str, int]  # by severity, of the findings returned
    findings: list[FindingOut]
    checks: list[CheckOut]


def check_list() -> list[dict]:
    return [
        {"id": c.id, "severity": c.severity, "clause": c.clause, "title": c.title} for c in findings.checks().values()
    ]


@api.get("/chargers/{cp_id}/findings", response={200: ChargerFindingsOut, 400: ErrorOut}, tags=["chargers"])
def charger_findings(request, cp_id: str, since: str = "", severity: str = "", check: str = ""):
    """Protocol findings over the charger's recent log (its newest frames, at most
    chargers.findings.WINDOW_FRAMES back from the first look; `from_seq` says where they
    begin), oldest first. `since`: a frame seq (findings whose last frame is after it: pass
    the previous answer's `last_seq`) or an ISO 8601 time (findings at or after it; no zone
    is UTC). `severity` (violation, deviation, note) and `check` (an id) narrow them."""
    charger = _charger(cp_id)
    found, from_seq, last_seq = findings.of_charger(charger.pk)
    found = findings.filtered(found, severity, check)
    if since:
        try:
            found = findings.since(found, since)
        except ValueError as error:
            return 400, {"detail": str(error)}
    return 200, {
        "charge_point_id": cp_id,
        "from_seq": from_seq,
        "last_seq": last_seq,
        "counts": findings.counts(found),
        "findings": found,
        "checks": check_list(),
    }


def _check_command(request, cp_id: str, action: str) -> str:
    """Role, command and charger in one trip to the database; returns who sends."""
    if not can_operate(request.auth.user):
        raise HttpError(403, "Sending commands needs the engineer role; this token's user is a viewer")
    if not protocol.sends(action):
        raise HttpError(404, f"{action} is not an OCPP command a central system sends")
    _charger(cp_id)
    return caller(request)


@api.post(
    "/chargers/{cp_id}/commands/{action}",
    response={code: CommandOut for code in set(COMMAND_HTTP_STATUS.values())} | {403: ErrorOut, 404: ErrorOut},
    tags=["commands"],
)
async def post_command(request, cp_id: str, action: str, payload: Body[dict] = None):
    """Send an OCPP 1.6 command and return the charger's answer.

    200: the CALLRESULT payload. 400: the payload breaks the schema. 404: unknown
    charger or command. 409: the charger is not connected. 502: the charger
    answered with a CALLERROR. 503: the channel layer (Redis) is down. 504: no
    answer in time."""
    who = await sync_to_async(_check_command)(request, cp_id, action)
    result = await send_command(cp_id, action, payload or {}, sent_by=who)
    return COMMAND_HTTP_STATUS.get(result.status, 500), result.as_dict()
