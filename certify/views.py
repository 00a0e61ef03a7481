"""Pages of certification sessions. Thin: load, check, call a service, render.

The session page is assembled from partials that each re-fetch themselves when
the page's live socket names their topic (see chargers.live): the header and
the frame log on "frames", the checklist, the summary and the open item's
status on "session". The fragment a live update renders is the file the page
includes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import aget_object_or_404, get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chargers.frame_log import frame_page
from chargers.models import Charger, Frame
from chargers.roles import can_operate, engineer_required, viewer_required

from . import attempts, catalogs, charts, evidence, session_findings, sessions
from .declaration_views import declaration_context
from .evaluation import evaluate_session
from .findings_views import findings_context
from .models import OVERRIDE_VERDICTS, VERDICT_LABELS, CertSession, ItemResult, SessionFile
from .offline_views import offline_context
from .run_views import run_context
from .session_findings import violations

SESSIONS_PER_PAGE = 100
TRANSFERS_SHOWN = 10


# --- forms -------------------------------------------------------------------


def _on_boot_label(catalog: catalogs.Catalog) -> str:
    """What the catalog's cases send after every boot, and which cases they serve
    (e.g. "Send TriggerMessage (StatusNotification) after each boot (...)")."""
    sent = [c for c in catalog.cases if c.on_boot is not None]
    what = ", ".join(_command_words(c.on_boot) for c in sent) or "nothing"
    return f"Send {what} after each boot" + (f" (item {', '.join(str(c.number) for c in sent)})" if sent else "")


def _command_words(command: catalogs.Command) -> str:
    asked = command.payload.get("requestedMessage")
    return f"{command.action} ({asked})" if asked else command.action


class NewSessionForm(forms.Form):
    charge_point_id = forms.CharField(
        label="Charge point id",
        max_length=48,
        help_text="Pick a known charger or type the id a charger will connect with.",
        widget=forms.TextInput(attrs={"list": "known-chargers", "autocomplete": "off"}),
    )
    catalog = forms.ChoiceField(
        label="Catalog",
        initial=catalogs.DEFAULT,
        required=False,
        help_text="The test cases the session works through.",
    )
    engineer_name = forms.CharField(label="Engineer", max_length=150, required=False)
    lab = forms.CharField(label="Lab", max_length=150, required=False)
    auto_trigger_status = forms.BooleanField(label="", required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["catalog"].choices = [(name, catalogs.get(name).title) for name in catalogs.CATALOGS]
        self.fields["auto_trigger_status"].label = _on_boot_label(catalogs.get())

    def clean_charge_point_id(self) -> str:
        value = self.cleaned_data["charge_point_id"].strip()
        if not value or any(c.isspace() or c in "/?#" for c in value):
            raise ValidationError("A charge point id has no spaces, '/', '?' or '#'.")
        return value


class OverrideForm(forms.Form):
    verdict = forms.ChoiceField(
        label="Verdict", choices=[("", "choose…"), *[(v, VERDICT_LABELS[v]) for v in OVERRIDE_VERDICTS]]
    )
    remark = forms.CharField(
        label="Remark",
        max_length=500,
        help_text='As the report shows it, e.g. "Not supported by the vendor".',
        error_messages={"required": "Say why you set the verdict by hand."},
    )


class FirmwareForm(forms.Form):
    firmware = forms.FileField(label="Firmware file from the manufacturer")


# --- what the pages show -------------------------------------------------------


@dataclass
class Row:
    """One checklist line: the catalog's case and its result."""

    item: catalogs.Case
    result: ItemResult
    group: str = ""  # the words of the catalog's group the case is listed under (an OCTT feature profile)

    @property
    def evidence_count(self) -> int:
        return len(self.result.evidence or [])

    @property
    def label(self) -> str:
        """What the first column shows: a grouped catalog's case id (TC_003_CS), else its number."""
        return self.item.key if self.group else str(self.item.number)

    @property
    def remark(self) -> str:
        return self.result.shown_remark


@dataclass
class CommandButton:
    """A case's command as the item panel offers it, placeholders filled."""

    index: int
    label: str
    action: str
    payload: dict
    secrets: tuple[str, ...] = ()

    @property
    def payload_json(self) -> str:
        """As the panel shows it: upload credentials as *** (restored when sent)."""
        return evidence.redact(json.dumps(self.payload, indent=2), self.secrets)

    @property
    def takes_profile(self) -> bool:
        """SetChargingProfile: the panel offers profile presets."""
        return "csChargingProfiles" in self.payload


def _rows(session: CertSession) -> list[Row]:
    results = {r.case: r for r in session.items.select_related("override_by")}
    catalog = catalogs.get(session.catalog)
    return [
        Row(
            item,
            _labelled(results.get(item.key) or ItemResult(session=session, case=item.key, number=item.number)),
            catalog.groups.get(item.group, ""),
        )
        for item in catalog.cases
    ]


def _labelled(result: ItemResult) -> ItemResult:
    """The automatic verdict's label, shown beside an override."""
    result.auto_label = VERDICT_LABELS.get(result.auto_verdict, result.auto_verdict)
    return result


def _item(session: CertSession, key: str) -> catalogs.Case:
    item = catalogs.case(session.catalog, key)
    if item is None:
        raise Http404("No such item")
    return item


def _result(session: CertSession, item: catalogs.Case) -> ItemResult:
    result = session.items.select_related("override_by").filter(case=item.key).first()
    return _labelled(result or ItemResult(session=session, case=item.key, number=item.number))


def _connector_ids(session: CertSession) -> list[int]:
    """Connector 0 (the charger) and every connector the charger reported."""
    ids = {0}
    if session.charger_id:
        ids.update(session.charger.connectors.values_list("connector_id", flat=True))
    if ids == {0}:
        ids.add(1)
    return sorted(ids)


def item_commands(session: CertSession, item: catalogs.Case, host: str | None) -> list[CommandButton]:
    """The case's commands with payloads filled for this session; a case whose
    panel says per_connector offers each once per connector."""
    buttons: list[CommandButton] = []
    secrets = tuple(evidence.secrets_of(session))
    for command in item.commands:
        if "per_connector" in item.panel and command.payload.get("connectorId") == "{connector}":
            for connector in _connector_ids(session):
                payload = sessions.fill_payload(session, {**command.payload, "connectorId": connector}, host, item)
                label = f"{command.label}, connector {connector}"
                buttons.append(CommandButton(0, label, command.action, payload, secrets))
        else:
            payload = sessions.fill_payload(session, dict(command.payload), host, item)
            buttons.append(CommandButton(0, command.label, command.action, payload, secrets))
    for index, button in enumerate(buttons):
        button.index = index
    return buttons


def _evidence(session: CertSession, result: ItemResult) -> list[Frame]:
    """The frames the verdict rests on, in seq order, one line each as the report prints them."""
    if not result.evidence:
        return []
    frames = list(Frame.objects.filter(pk__in=result.evidence).order_by("seq"))
    secrets = evidence.charger_secrets(session.charger_id) if session.charger_id else []
    for frame in frames:
        frame.line = evidence.frame_line(frame, secrets)
    return frames


def _frame_context(session: CertSession, params) -> dict:
    """The session's frame log, filtered as the URL says, secrets masked."""
    secrets = evidence.charger_secrets(session.charger_id) if session.charger_id else []
    context = frame_page(session.frames(), params, secrets)
    context["frames_url"] = f"/sessions/{session.pk}/frames/"
    return context


def _live_topics(session: CertSession) -> str:
    topics = [CertSession.live_topic(session.pk)]
    if session.charger_id:
        topics.append(f"charger-{session.charger_id}")
    return ",".join(topics)


def _status_context(session: CertSession, item: catalogs.Case) -> dict:
    """What the item's live status shows: verdict, expected versus actual, the
    steps seen and awaited, the attempts and the verdict's history."""
    result = _result(session, item)
    attempts = result.attempts_list()
    current = next((a for a in attempts if a.is_open), None)
    return {
        "status_line": status_line(result, attempts, current),
        "session": session,
        "item": item,
        "result": result,
        "evidence": _evidence(session, result),
        "attempts": attempts,
        "current_attempt": current,
        "attempt_summary": result.attempt_summary(attempts),
        "cards": _cards(session) if "cards" in item.panel or item.needs_card else None,
        # Live with the verdict: a file that arrived shows with the pass it brought.
        "diagnostics_files": session.files.filter(kind=SessionFile.DIAGNOSTICS)
        if "diagnostics_files" in item.panel
        else (),
        # What our FTP and HTTP servers saw of the session's files, newest first (the items that move files).
        "transfers": session.transfers.order_by("-at", "-id")[:TRANSFERS_SHOWN]
        if item.panel & {"diagnostics_files", "firmware_upload"}
        else (),
    }


def status_line(result: ItemResult, attempts: list, current) -> str:
    """The item's state in one line: who set the verdict, on which attempt or
    on what evidence it stands, and the attempt running now."""
    at = "%H:%M:%S"
    if result.is_overridden:
        who = result.override_by.get_username() if result.override_by else "someone"
        when = f" at {result.override_at:{at}} UTC" if result.override_at else ""
        return f"Set by hand to {result.verdict_label} by {who}{when}: “{result.override_remark}”"
    finished = [a for a in attempts if a.ended_at and a.verdict == result.auto_verdict]
    if result.auto_verdict == "open":
        stands = ""
    elif result.source:
        stands = f"{result.verdict_label} on evidence seen outside an attempt ({result.source})"
    elif finished:
        last = max(finished, key=lambda a: a.ended_at)
        stands = f"{result.verdict_label} on attempt {last.n} ({last.ended_at:{at}} UTC)"
    else:
        stands = result.verdict_label
    if current is not None:
        running = f"attempt {current.n} running since {current.started_at:{at}} UTC"
        return (
            f"{stands}; {running}: the verdict follows it when it ends" if stands else running[0].upper() + running[1:]
        )
    if stands:
        return stands
    if attempts:
        last = attempts[-1]
        return f"Open: attempt {last.n} {last.verdict_label.lower()}; retry it, or send one of its commands"
    return "Not started: start it, or send one of its commands (either starts its first attempt)"


def _cards(session: CertSession) -> dict:
    return {
        "accepted": session.options.get("id_tag", sessions.DEFAULT_ID_TAG),
        "refused": session.options.get("refused_id_tag", sessions.DEFAULT_REFUSED_ID_TAG),
        "unknown": settings.OCPP_UNKNOWN_ID_TAG_STATUS,
    }


def _item_context(request: HttpRequest, session: CertSession, key: str) -> dict:
    item = _item(session, key)
    context = _status_context(session, item)
    result = context["result"]
    context |= {
        "manual": item.manual.replace("{id_tag}", context["cards"]["accepted"]).replace(
            "{refused_id_tag}", context["cards"]["refused"]
        )
        if context["cards"]
        else item.manual,
        "buttons": item_commands(session, item, request.get_host()),
        "override_form": OverrideForm(initial={"verdict": result.override_verdict, "remark": result.override_remark}),
        "can_operate": can_operate(request.user),
        "presets": item.presets if "profile_presets" in item.panel else {},
        "show_payload": "payload" in item.panel,
    }
    if "firmware_upload" in item.panel:
        context["firmware_form"] = FirmwareForm()
        context["firmware_files"] = session.files.filter(kind=SessionFile.FIRMWARE)
    if "meter_chart" in item.panel:
        context.update(_chart_context(session))
    if "offline_control" in item.panel:
        context |= offline_context(session)
    return context


def _chart_context(session: CertSession) -> dict:
    return {"chart": charts.session_chart(session), "max_points": charts.MAX_POINTS}


def _session(pk: int) -> CertSession:
    return get_object_or_404(CertSession.objects.select_related("charger", "engineer"), pk=pk)


# --- views -------------------------------------------------------------------


@viewer_required
def session_list(request: HttpRequest) -> HttpResponse:
    """Newest first; searching and comparing are the history pages' job."""
    listed = CertSession.objects.select_related("charger", "engineer")[:SESSIONS_PER_PAGE]
    return render(request, "certify/session_list.html", {"sessions": listed})


@engineer_required
def session_new(request: HttpRequest) -> HttpResponse:
    initial = {
        "charge_point_id": request.GET.get("charger", ""),
        "engineer_name": request.user.get_full_name() or request.user.get_username(),
        "auto_trigger_status": True,
    }
    form = NewSessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        session = sessions.create_session(
            data["charge_point_id"],
            engineer=request.user,
            engineer_name=data["engineer_name"],
            lab=data["lab"],
            options={"auto_trigger_status": data["auto_trigger_status"]},
            catalog_name=data["catalog"] or catalogs.DEFAULT,
        )
        return redirect("session-detail", pk=session.pk)
    context = {"form": form, "chargers": Charger.objects.only("charge_point_id", "vendor", "model", "connected")}
    return render(request, "certify/session_new.html", context, status=422 if form.errors else 200)


@viewer_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    context = {
        "session": session,
        "charger": session.charger,
        "rows": _rows(session),
        "progress": _progress(session.verdict_counts()),
        "live_topics": _live_topics(session),
        "can_operate": can_operate(request.user),
        **_frame_context(session, request.GET),
        **declaration_context(session),
        **run_context(session),
        **findings_context(session, request.GET),
    }
    key = request.GET.get("item", "")
    if key:
        context.update(_item_context(request, session, key))
    return render(request, "certify/session_detail.html", context)


def _progress(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(verdict, label, count) in the order the labels are defined."""
    return [(key, label, counts.get(key, 0)) for key, label in VERDICT_LABELS.items()]


@viewer_required
def session_header(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    return render(request, "certify/_session_header.html", {"session": session, "charger": session.charger})


@viewer_required
def session_summary(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    found = session_findings.of(session)
    context = {"session": session, "progress": _progress(session.verdict_counts()), "violations": violations(found)}
    return render(request, "certify/_session_summary.html", context)


@viewer_required
def session_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    return render(request, "certify/_session_checklist.html", {"session": session, "rows": _rows(session)})


@viewer_required
def session_frames(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    return render(request, "chargers/_frames.html", _frame_context(session, request.GET))


@viewer_required
def session_chart(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    return render(request, "certify/_session_meter_chart.html", {"session": session, **_chart_context(session)})


@viewer_required
def item_panel(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    session = _session(pk)
    return render(request, "certify/_item_panel.html", _item_context(request, session, key))


@viewer_required
def item_panel_closed(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "certify/_item_panel.html", {"session": _session(pk)})


@viewer_required
def item_status(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    session = _session(pk)
    context = _status_context(session, _item(session, key))
    context["can_operate"] = can_operate(request.user)
    return render(request, "certify/_item_status.html", context)


@engineer_required
@require_POST
def item_attempt(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """Start (or restart) the item's attempt, or abandon the running one."""
    session = _session(pk)
    item = _item(session, key)
    who = f"user:{request.user.get_username()}"
    error = ""
    try:
        if "abandon" in request.POST:
            attempts.abandon_attempt(session, item.key, who)
        else:
            attempts.start_attempt(session, item.key, who)
        evaluate_session(session)
    except ValidationError as exc:
        error = "; ".join(exc.messages)
    context = _status_context(session, item)
    context |= {"can_operate": True, "attempt_error": error}
    response = render(request, "certify/_item_status.html", context, status=422 if error else 200)
    if not error:
        response["HX-Trigger"] = "session-changed"
    return response


@viewer_required
def item_command_form(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """One command's form again, e.g. with one of the case's charging-profile presets."""
    session = _session(pk)
    item = _item(session, key)
    button = _button(request, session, key, request.GET.get("index", ""))
    preset = item.presets.get(request.GET.get("preset", ""))
    if preset and button.takes_profile:
        button.payload["csChargingProfiles"] = preset[1]
        if preset[1]["chargingProfilePurpose"] == "ChargePointMaxProfile":
            button.payload["connectorId"] = 0
    context = {"session": session, "item": item, "button": button, "payload": button.payload_json}
    context["presets"] = item.presets
    context["selected_preset"] = request.GET.get("preset", "")
    return render(request, "certify/_item_command.html", context)


def _button(request: HttpRequest, session: CertSession, key: str, index: str) -> CommandButton:
    buttons = item_commands(session, _item(session, key), request.get_host())
    if not index.isdigit() or int(index) >= len(buttons):
        raise Http404("No such command")
    return buttons[int(index)]


@engineer_required
@require_POST
async def item_command(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """Send one of the item's commands with the payload as edited; show the answer."""
    session = await aget_object_or_404(CertSession.objects.select_related("charger"), pk=pk)
    button = await sync_to_async(_button)(request, session, key, request.POST.get("index", ""))
    text = request.POST.get("payload", "").strip() or "{}"
    item = _item(session, key)
    context = {"session": session, "item": item, "button": button, "payload": text, "presets": item.presets}
    try:
        payload = json.loads(evidence.restore_secrets(session, text))
        if not isinstance(payload, dict):
            raise ValueError("the payload must be a JSON object")
    except ValueError as exc:
        context["payload_error"] = f"Not valid JSON: {exc}"
        return render(request, "certify/_item_command.html", context, status=422)
    choice = request.POST.get("attempt", "")
    if choice not in ATTEMPT_CHOICES:
        final = await sync_to_async(attempts.final_without_attempt)(session, key)
        if final is not None:
            # The item's verdict is final: a new attempt would decide it again, so ask first.
            context["ask"] = await sync_to_async(_ask_context)(session, item, final)
            return render(request, "certify/_item_command.html", context)
    user = await request.auser()
    who = f"user:{user.get_username()}"
    result = await sessions.run_command(session, button.action, payload, who, case=key, outside=choice == "outside")
    context["command_result"] = result
    context["result_json"] = json.dumps(result.payload, indent=2) if result.payload is not None else ""
    return render(request, "certify/_item_command.html", context)


@engineer_required
@require_POST
def item_override(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """Set the verdict and remark by hand, or clear them; the auto verdict stays."""
    session = _session(pk)
    item = _item(session, key)
    result = get_object_or_404(ItemResult, session=session, case=item.key)
    if "clear" in request.POST:
        form, status = OverrideForm(), 200
        try:
            result.clear_override()
        except ValidationError as exc:
            status = 422
            _add_errors(form, exc)
    else:
        form = OverrideForm(request.POST)
        status = 422
        if form.is_valid():
            try:
                result.override(form.cleaned_data["verdict"], form.cleaned_data["remark"], request.user)
                status = 200
            except ValidationError as exc:
                _add_errors(form, exc)
    result = _result(session, item)
    context = {"session": session, "item": item, "result": result, "override_form": form}
    context["can_operate"] = True
    response = render(request, "certify/_item_override.html", context, status=status)
    if status == 200:
        sessions.announce(session)
        # The checklist, summary and item status refresh now, not at the next tick.
        response["HX-Trigger"] = "session-changed"
    return response


# What an engineer chose when asked (a panel action on an item whose verdict is final).
ATTEMPT_CHOICES = ("new", "outside")


def _ask_context(session: CertSession, item: catalogs.Case, result: ItemResult) -> dict:
    """What the question says: the verdict that stands and the attempt a new one would be."""
    last = session.attempts.filter(case=item.key).order_by("-n").first()
    return {"verdict": result.verdict, "label": result.verdict_label, "next": (last.n if last else 0) + 1}


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@engineer_required
@require_POST
def item_firmware(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep the manufacturer's firmware for the case that uploads it; the panel
    comes back with UpdateFirmware pointing at our copy."""
    from .transfer import upload_firmware

    session = _session(pk)
    key = attempts.case_with(session, "firmware_upload")
    form = FirmwareForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            upload_firmware(session, form.cleaned_data["firmware"])
            status = 200
            # The upload is the case's first action: it starts its attempt, unless its verdict is
            # already final (hosting a file changes nothing at the charger; its command asks then).
            if key and attempts.final_without_attempt(session, key) is None:
                attempts.ensure_attempt(session, key, f"user:{request.user.get_username()}")
        except ValidationError as exc:
            _add_errors(form, exc)
    context = _item_context(request, session, key)
    if status != 200:
        context["firmware_form"] = form
    return render(request, "certify/_item_panel.html", context, status=status)
