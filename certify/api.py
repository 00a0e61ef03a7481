"""JSON API for certification sessions, mounted at /api/sessions (token auth as
the rest of /api). The headless `certify` command drives sessions through it."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.http import FileResponse
from ninja import Body, File, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from chargers import findings as shown_findings
from chargers.api import COMMAND_HTTP_STATUS, CheckOut, CommandOut, ErrorOut, FindingOut, caller, check_list
from chargers.models import Frame
from chargers.roles import can_operate

from . import attempts, catalogs, evidence, page_runs, report, session_findings, sessions, transfer
from .evaluation import evaluate_session, judge_log, lint_log
from .log_file import LogError, read
from .models import ABANDONED, INCONCLUSIVE, CertSession, ItemResult

router = Router(tags=["sessions"])
judge_router = Router(tags=["judge"])


class SessionIn(Schema):
    """A session to open. `catalog` names the test cases it works: "ocpp16-testscript" (the default, the
    seed script's 18 items) or "octt16" (the OCA OCTT 1.6 charger cases by TC id). For octt16, `options`
    may carry `declaration` (the charger's PICS: profiles, connectors, fixed_cable, ...; prefilled from
    its configuration) and `test_data` (tags, intervals, manual_step_seconds, ...)."""

    charge_point_id: str
    engineer_name: str = ""
    lab: str = ""
    options: dict = {}
    catalog: str = catalogs.DEFAULT  # the catalog's name (certify.catalogs.CATALOGS), e.g. "octt16"


class RunIn(Schema):
    """What to run: the cases by key (TC ids), or the cases of these profiles (groups, e.g. "core",
    "remote-trigger"), or, with neither, every case the declaration makes applicable."""

    keys: list[str] = []
    profiles: list[str] = []


class RunOut(Schema):
    state: str  # running, done, stopped
    keys: list[str]  # the cases of the run, in order
    current: str  # the case being worked ("" when the run is over)
    said: list[str]  # the last things it said


class StepDoneIn(Schema):
    step: int  # the row number of the step by hand the item prompts for (its waiting.prompt.step)


class AttemptOut(Schema):
    n: int
    verdict: str
    reason: str
    remark: str
    started_at: datetime
    started_by: str
    ended_at: datetime | None
    evidence: list[int]
    timings: dict


class ItemOut(Schema):
    key: str  # the case's key in its catalog: what the item routes take
    number: int  # its place in the catalog's order
    function: str
    group: str = ""  # the catalog's group it is listed under (an OCTT case: its feature profile)
    verdict: str
    verdict_label: str = ""  # the verdict in words ("Not supported"), as the pages and the report print it
    auto_verdict: str
    reason: str
    remark: str
    evidence: list[int]
    evidence_seqs: list[int]
    timings: dict
    override_verdict: str
    override_remark: str
    automatic: bool
    expected: str = ""
    actual: str = ""
    clause: str = ""
    source: str = ""
    warnings: list[dict] = []
    waiting: dict = {}
    steps: list[dict] = []
    attempts: list[AttemptOut] = []
    attempt_summary: str = ""
    notes: list[str] = []


class SessionOut(Schema):
    id: int
    charge_point_id: str
    catalog: str
    state: str
    revision: int
    engineer_name: str
    lab: str
    started_at: datetime
    finished_at: datetime | None
    start_seq: int
    facts: dict
    # The firmware under test: what the charger ran when the session began, and after our UpdateFirmware.
    firmware_at_start: str
    firmware_after_update: str
    summary: dict


class SessionDetailOut(SessionOut):
    items: list[ItemOut]
    diagnostics_url: str
    # What the session was opened with (its cards, a catalog's test data and declaration),
    # so that a run drives its cases with the values the server judges them by.
    options: dict = {}


class OfflineIn(Schema):
    seconds: float


class OfflineOut(Schema):
    charge_point_id: str
    seconds: float
    until: datetime


class SignIn(Schema):
    name: str
    role: str
    statement: str = "I have run this certification and the results above are what the charger did."
    date: dt.date | None = None


class SignOut(SessionOut):
    signer_name: str
    signer_role: str
    signed_at: datetime | None
    report_sha256: str
    log_sha256: str


class OverrideIn(Schema):
    verdict: str
    remark: str


def _session(pk: int) -> CertSession:
    session = CertSession.objects.select_related("charger").filter(pk=pk).first()
    if session is None:
        raise HttpError(404, f"Session {pk} does not exist")
    return session


def _require_engineer(request) -> None:
    if not can_operate(request.auth.user):
        raise HttpError(403, "This needs the engineer role; this token's user is a viewer")


def _out(session: CertSession) -> dict:
    return {
        "id": session.pk,
        "charge_point_id": session.charge_point_id,
        "catalog": session.catalog,
        "state": session.state,
        "revision": session.revision,
        "engineer_name": session.engineer_name,
        "lab": session.lab,
        "started_at": session.started_at,
        "finished_at": session.finished_at,
        "start_seq": session.start_seq,
        "facts": session.facts,
        "firmware_at_start": session.firmware_at_start,
        "firmware_after_update": session.firmware_after_update,
        "summary": session.verdict_counts(),
    }


def _detail(session: CertSession, masked: bool = False) -> dict:
    """A session with its items and what it was opened with; `masked`: a viewer
    reads the session, not its upload password (as the pages show it)."""
    location = transfer.diagnostics_url(session)
    if masked:
        location = evidence.redact(location, evidence.secrets_of(session))
    options = {k: v for k, v in (session.options or {}).items() if k not in ("initial",)}
    return {**_out(session), "items": _items(session), "diagnostics_url": location, "options": options}


def _attempt(attempt) -> dict:
    return {
        "n": attempt.n,
        "verdict": attempt.verdict,
        "reason": attempt.reason,
        "remark": attempt.remark,
        "started_at": attempt.started_at,
        "started_by": attempt.started_by,
        "ended_at": attempt.ended_at,
        "evidence": attempt.evidence,
        "timings": attempt.timings,
    }


def _items(session: CertSession) -> list[dict]:
    results = {r.case: r for r in session.items.all()}
    wanted = {fid for r in results.values() for fid in r.evidence}
    seqs = dict(Frame.objects.filter(pk__in=wanted).values_list("pk", "seq")) if wanted else {}
    tries: dict[str, list] = {}
    for attempt in session.attempts.all():
        tries.setdefault(attempt.case, []).append(attempt)
    out = []
    for item in catalogs.get(session.catalog).cases:
        result = results.get(item.key) or ItemResult(case=item.key, number=item.number)
        out.append(
            {
                "key": item.key,
                "number": item.number,
                "function": item.title,
                "group": item.group,
                "verdict": result.verdict,
                "verdict_label": result.verdict_label,
                "auto_verdict": result.auto_verdict,
                "reason": result.auto_reason,
                "remark": result.override_remark or result.remark,
                "evidence": result.evidence,
                "evidence_seqs": sorted(seqs[fid] for fid in result.evidence if fid in seqs),
                "timings": result.timings,
                "override_verdict": result.override_verdict,
                "override_remark": result.override_remark,
                "automatic": item.automatic,
                "expected": result.expected,
                "actual": result.actual,
                "clause": result.clause,
                "source": result.source,
                "warnings": result.warnings,
                "waiting": result.waiting,
                "steps": result.steps,
                "attempts": [_attempt(a) for a in tries.get(item.key, [])],
                "attempt_summary": result.attempt_summary(tries.get(item.key, [])),
                "notes": result.notes,
            }
        )
    return out


def _item_out(session: CertSession, key: str) -> dict:
    found = next((i for i in _items(session) if i["key"] == key), None)
    if found is None:
        raise HttpError(404, f"Item {key} does not exist")
    return found


@router.get("", response=list[SessionOut])
def list_sessions(request, charge_point_id: str | None = None, limit: int = 50):
    found = CertSession.objects.all()
    if charge_point_id:
        found = found.filter(charge_point_id=charge_point_id)
    return [_out(s) for s in found[: max(1, min(limit, 500))]]


@router.post("", response={201: SessionDetailOut, 400: ErrorOut, 403: ErrorOut})
def create_session(request, body: SessionIn):
    """Open a session for a charger connected now or expected under that id,
    working through a catalog (default: the seed test script)."""
    _require_engineer(request)
    if body.catalog not in catalogs.CATALOGS:
        raise HttpError(400, f"Unknown catalog {body.catalog!r}; known: {', '.join(catalogs.CATALOGS)}")
    session = sessions.create_session(
        body.charge_point_id,
        engineer=request.auth.user,
        engineer_name=body.engineer_name,
        lab=body.lab,
        options=body.options,
        catalog_name=body.catalog,
    )
    return 201, _detail(session)


@router.get("/{pk}", response=SessionDetailOut)
def get_session(request, pk: int, evaluate: bool = False):
    """One session with its items; `evaluate=true` re-judges them first."""
    session = _session(pk)
    if evaluate:
        evaluate_session(session)
    return _detail(session, masked=not can_operate(request.auth.user))


@router.post(
    "/{pk}/items/{key}/commands/{action}",
    response={code: CommandOut for code in set(COMMAND_HTTP_STATUS.values())} | {403: ErrorOut, 404: ErrorOut},
)
async def item_command(request, pk: int, key: str, action: str, payload: Body[dict] = None):
    """Send one of an item's commands (placeholders such as {connector} filled in)."""

    def check():
        _require_engineer(request)
        session = _session(pk)
        case = catalogs.case(session.catalog, key)
        if case is None:
            raise HttpError(404, f"Item {key} does not exist")
        return session, sessions.fill_payload(session, payload or {}, request.get_host(), case), caller(request)

    session, filled, who = await sync_to_async(check)()
    result = await sessions.run_command(session, action, filled, who, case=key)
    return COMMAND_HTTP_STATUS.get(result.status, 500), result.as_dict()


@router.post("/{pk}/offline", response={200: OfflineOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
async def offline(request, pk: int, body: OfflineIn):
    """Take the session's charger offline for N seconds (for a case that needs it offline): the server
    closes its socket and refuses its reconnects until then, from any process."""

    def check():
        _require_engineer(request)
        return _session(pk), caller(request)

    session, who = await sync_to_async(check)()
    try:
        until = await sessions.take_offline(session, body.seconds, who)
    except ValidationError as exc:
        raise HttpError(400, "; ".join(exc.messages)) from None
    return {"charge_point_id": session.charge_point_id, "seconds": body.seconds, "until": until}


@router.post("/{pk}/items/{key}/attempts", response={201: AttemptOut, 400: ErrorOut, 403: ErrorOut})
def start_attempt(request, pk: int, key: str):
    """Start an attempt at an item (a running one is abandoned); its failures
    rest only on the frames from now on."""
    _require_engineer(request)
    session = _session(pk)
    try:
        attempt = attempts.start_attempt(session, key, caller(request))
    except ValidationError as exc:
        raise HttpError(400, "; ".join(exc.messages)) from None
    evaluate_session(session)
    attempt.refresh_from_db()
    return 201, _attempt(attempt)


class AbandonIn(Schema):
    reason: str = ""  # why, e.g. the physical step the headless run could not have done
    inconclusive: bool = False  # the bench or the rig could not test the item (a step the rig cannot do)


@router.post("/{pk}/items/{key}/attempts/abandon", response={200: ItemOut, 403: ErrorOut, 404: ErrorOut})
def abandon_attempt(request, pk: int, key: str, body: AbandonIn | None = None):
    """End the item's running attempt without a verdict (the item stays open), or
    as inconclusive: the bench or the rig could not test it, the charger was not wrong."""
    _require_engineer(request)
    session = _session(pk)
    why = (body.reason.strip()[:400] if body else "") or "abandoned"
    verdict = INCONCLUSIVE if body is not None and body.inconclusive else ABANDONED
    attempts.abandon_attempt(session, key, caller(request), why, verdict)
    evaluate_session(session)
    return _item_out(session, key)


class NotesIn(Schema):
    notes: list[str]


@router.post("/{pk}/items/{key}/notes", response={200: ItemOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def item_notes(request, pk: int, key: str, body: NotesIn):
    """What a run says of how it worked the item (the card accepted offline from
    the local list, an interval the charger rejected): kept on the item, its remark
    carries them once it has a verdict."""
    _require_engineer(request)
    session = _session(pk)
    if session.is_signed:
        raise HttpError(400, "This session is signed.")
    result = ItemResult.objects.filter(session=session, case=key).first()
    if result is None:
        raise HttpError(404, f"Item {key} does not exist")
    result.notes = list(dict.fromkeys([*(result.notes or []), *(n.strip()[:200] for n in body.notes if n.strip())]))
    result.save(update_fields=["notes"])
    evaluate_session(session)
    return _item_out(session, key)


@router.post("/{pk}/items/{key}/override", response={200: ItemOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def override(request, pk: int, key: str, body: OverrideIn):
    _require_engineer(request)
    session = _session(pk)
    result = ItemResult.objects.filter(session=session, case=key).first()
    if result is None:
        raise HttpError(404, f"Item {key} does not exist")
    try:
        result.override(body.verdict, body.remark, request.auth.user)
    except ValidationError as exc:
        raise HttpError(400, "; ".join(exc.messages)) from None
    sessions.announce(session)
    return _item_out(session, key)


@router.post("/{pk}/sign", response={200: SignOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def sign(request, pk: int, body: SignIn):
    """Sign the session off as the dashboard does: render and sign the PDF
    report (the lab's certificate), attach the evidence, finalize the session.
    Then GET /api/sessions/{id}/report.pdf."""
    _require_engineer(request)
    session = _session(pk)
    try:
        report.sign_off(session, request.auth.user, body.name, body.role, body.statement, body.date)
    except ValidationError as exc:
        raise HttpError(400, "; ".join(exc.messages)) from None
    return {
        **_out(session),
        "signer_name": session.signer_name,
        "signer_role": session.signer_role,
        "signed_at": session.signed_at,
        "report_sha256": session.report_sha256,
        "log_sha256": session.log_sha256,
    }


@router.get(
    "/{pk}/report.pdf",
    response={404: ErrorOut},
    openapi_extra={
        "responses": {
            200: {
                "description": "The signed PDF report (PAdES; the evidence log attached)",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def report_pdf(request, pk: int):
    """The signed report of a session signed off (POST /api/sessions/{id}/sign)."""
    session = _session(pk)
    if not session.report:
        raise HttpError(404, f"Session {pk} has not been signed off yet")
    return FileResponse(
        session.report.open("rb"),
        as_attachment=True,
        filename=f"ocpp-certify-session-{pk}-rev{session.revision}.pdf",
        content_type="application/pdf",
    )


class SessionFindingsOut(Schema):
    session: int
    counts: dict[str, int]  # by severity: violation, deviation, note
    findings: list[FindingOut]  # oldest first
    checks: list[CheckOut]


@router.get("/{pk}/findings", response=SessionFindingsOut)
def findings(request, pk: int, severity: str = "", check: str = ""):
    """Protocol findings over the session's whole log, beside the items (they never
    change a verdict): as kept at sign-off, else worked out from the log now. `severity`
    (violation, deviation, note) and `check` (an id) narrow them; `counts` counts those given."""
    session = _session(pk)
    found = shown_findings.filtered(session_findings.of(session), severity, check)
    return {**session_findings.api_out(session, found), "checks": check_list()}


@router.get("/{pk}/summary")
def summary(request, pk: int):
    counts = _session(pk).verdict_counts()
    return {"counts": counts, "total": sum(counts.values())}


# -- a log judged on its own ----------------------------------------------------------------


class JudgedItemOut(Schema):
    key: str
    number: int
    function: str
    verdict: str  # passed, failed, open, not_supported, not_applicable, inconclusive
    reason: str
    evidence_seqs: list[int]


class JudgedOut(Schema):
    items: list[JudgedItemOut]
    findings: list[FindingOut] | None = None  # with ?findings=true: the log's protocol findings
    findings_counts: dict[str, int] | None = None


@judge_router.post("", response={200: JudgedOut, 400: ErrorOut})
def judge(request, catalog: str | None = None, findings: bool = False, file: File[UploadedFile] = None):
    """Recompute the verdicts from a log alone, as `manage.py judge` does: the file (multipart
    field `file`, or the request body) is a session's JSON Lines evidence log, a signed report
    PDF, or any OCPP-J log of {ts, direction, raw} lines. 400 says which line cannot be read.
    `findings=true` adds the log's protocol findings, as `manage.py judge --findings` does."""
    if catalog is not None and catalog not in catalogs.CATALOGS:
        return 400, {"detail": f"No catalog {catalog!r}; choose one of {', '.join(sorted(catalogs.CATALOGS))}."}
    data = file.read() if file is not None else request.body
    try:
        log_file = read(data)
        judged = {"items": judge_log(log_file, catalog)}
        if findings:  # as manage.py judge --findings
            found = lint_log(log_file)
            judged |= {"findings": found, "findings_counts": shown_findings.counts(found)}
        return 200, judged
    except LogError as error:
        return 400, {"detail": str(error)}


# -- runs: the server works cases one after the other (certify.page_runs) ----------------------


def _run_out(run) -> dict:
    return {"state": run.state, "keys": run.keys, "current": run.current, "said": run.said}


@router.post("/{pk}/run", response={202: RunOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
async def run_cases(request, pk: int, body: RunIn):
    """Run cases by key, by profile, or all that apply (octt16): the server works them one after the
    other in this process, sending what their steps send; each step by hand is the engineer's (the
    session page prompts it with Done and a countdown; `POST .../items/{key}/steps/done` confirms it).
    Each case's verdict comes with its attempt, as `GET /api/sessions/{id}` shows; `GET .../run` follows."""

    def check():
        _require_engineer(request)
        session = _session(pk)
        return session, page_runs.keys_to_run(session, body.keys, body.profiles), caller(request)

    try:
        session, keys, who = await sync_to_async(check)()
        run = page_runs.start(session, keys, who)
    except ValidationError as exc:
        raise HttpError(400, "; ".join(exc.messages)) from None
    return 202, _run_out(run)


@router.get("/{pk}/run", response={200: RunOut, 404: ErrorOut})
def run_state(request, pk: int):
    """What the session's run (started here or on its page, in this server process) is doing."""
    run = page_runs.run_of(_session(pk).pk)
    if run is None:
        raise HttpError(404, "No run of this session in this server process.")
    return _run_out(run)


@router.post("/{pk}/run/stop", response={200: RunOut, 403: ErrorOut, 404: ErrorOut})
async def stop_run(request, pk: int):
    """Stop the session's run; the case it works is abandoned."""
    who = await sync_to_async(lambda: (_require_engineer(request), _session(pk), caller(request))[2])()
    run = await page_runs.stop(pk, who)
    if run is None:
        raise HttpError(404, "No run of this session in this server process.")
    return _run_out(run)


@router.post("/{pk}/items/{key}/steps/done", response={200: ItemOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
async def step_done(request, pk: int, key: str, body: StepDoneIn):
    """Confirm the step by hand the item prompts for as done (the page's Done button): a step-done event
    in the evidence log; the case goes on from it."""
    session, who = await sync_to_async(lambda: (_require_engineer(request), _session(pk), caller(request))[1:])()
    try:
        await sessions.confirm_step(session, key, body.step, who)
    except ValidationError as exc:
        raise HttpError(400, "; ".join(exc.messages)) from None
    return await sync_to_async(_item_out)(session, key)
