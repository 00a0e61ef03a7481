"""Session history: every session reviewable read-only, searchable, comparable,
with its signed report and evidence log to download; sign-off and revisions."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chargers.frame_log import frame_page
from chargers.roles import engineer_required, viewer_required

from . import catalogs, evidence, report, signing
from .models import CertSession, SessionFile

PER_PAGE = 25
OUTCOMES = {"passed": "all passed", "failed": "has failures", "open": "has open items"}


class HistoryFilter(forms.Form):
    q = forms.CharField(required=False, label="Search")
    charger = forms.CharField(required=False, label="Charger id")
    vendor = forms.CharField(required=False)
    model = forms.CharField(required=False)
    firmware = forms.CharField(required=False, label="Firmware under test")
    engineer = forms.CharField(required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(required=False, choices=[("", "any"), *OUTCOMES.items()])


def filtered(data) -> tuple[HistoryFilter, object]:
    form = HistoryFilter(data or None)
    sessions = CertSession.objects.select_related("charger").prefetch_related("items")
    if form.is_valid():
        f = form.cleaned_data
        if f["q"]:
            sessions = sessions.filter(
                Q(charge_point_id__icontains=f["q"])
                | Q(facts__vendor__icontains=f["q"])
                | Q(facts__model__icontains=f["q"])
                | Q(firmware_at_start__icontains=f["q"])
                | Q(firmware_after_update__icontains=f["q"])
                | Q(engineer_name__icontains=f["q"])
            )
        for field, lookup in (
            ("charger", "charge_point_id__icontains"),
            ("vendor", "facts__vendor__icontains"),
            ("model", "facts__model__icontains"),
            # The firmware under test: the one the session began with, not the one a firmware case installed.
            ("firmware", "firmware_at_start__icontains"),
            ("engineer", "engineer_name__icontains"),
        ):
            if f[field]:
                sessions = sessions.filter(**{lookup: f[field]})
        if f["since"]:
            sessions = sessions.filter(started_at__date__gte=f["since"])
        if f["until"]:
            sessions = sessions.filter(started_at__date__lte=f["until"])
        if f["outcome"] == "failed":
            sessions = sessions.filter(
                Q(items__override_verdict="failed") | Q(items__override_verdict="", items__auto_verdict="failed")
            ).distinct()
        elif f["outcome"] == "open":
            sessions = sessions.filter(items__override_verdict="", items__auto_verdict="open").distinct()
        elif f["outcome"] == "passed":
            sessions = sessions.exclude(
                Q(items__override_verdict="failed")
                | Q(items__override_verdict="", items__auto_verdict__in=["failed", "open"])
            )
    return form, sessions.order_by("-started_at", "-id")


@viewer_required
def history_list(request: HttpRequest) -> HttpResponse:
    form, sessions = filtered(request.GET)
    page = Paginator(sessions, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "certify/history_list.html", {"form": form, "page": page, "query": query.urlencode()})


def _rows(session: CertSession) -> list[dict]:
    results = {r.case: r for r in session.items.select_related("override_by")}
    return [{"item": item, "result": results.get(item.key)} for item in catalogs.get(session.catalog).cases]


@viewer_required
def history_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(CertSession.objects.select_related("charger", "revision_of"), pk=pk)
    secrets = evidence.charger_secrets(session.charger_id) if session.charger_id else []
    frames = {**frame_page(session.frames(), request.GET, secrets), "frames_url": f"/history/{session.pk}/"}
    context = {
        "session": session,
        "rows": _rows(session),
        "counts": session.verdict_counts(),
        "files": SessionFile.objects.filter(session=session),
        "revisions": CertSession.objects.filter(revision_of=session),
        "others": CertSession.objects.filter(facts__model=session.facts.get("model", "")).exclude(pk=pk)[:20],
        "charger": session.charger,
        **frames,
    }
    template = "chargers/_frames.html" if request.htmx else "certify/history_detail.html"
    return render(request, template, context)


@viewer_required
def history_compare(request: HttpRequest) -> HttpResponse:
    a = get_object_or_404(CertSession, pk=request.GET.get("a") or 0)
    b = get_object_or_404(CertSession, pk=request.GET.get("b") or 0)
    left, right = {r.case: r for r in a.items.all()}, {r.case: r for r in b.items.all()}
    rows = []
    for item in catalogs.get(a.catalog).cases:
        ra, rb = left.get(item.key), right.get(item.key)
        va, vb = (ra.verdict if ra else "open"), (rb.verdict if rb else "open")
        rows.append({"item": item, "a": ra, "b": rb, "changed": va != vb})
    context = {"a": a, "b": b, "rows": rows, "changed": sum(r["changed"] for r in rows)}
    return render(request, "certify/history_compare.html", context)


@viewer_required
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    session = get_object_or_404(CertSession, pk=pk)
    if not session.report:
        raise Http404("This session has not been signed off yet")
    return FileResponse(
        session.report.open("rb"), as_attachment=True, filename=f"ocpp-certify-session-{pk}-rev{session.revision}.pdf"
    )


@viewer_required
def evidence_jsonl(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    session = get_object_or_404(CertSession, pk=pk)
    response = StreamingHttpResponse(evidence.lines(session), content_type="application/jsonl")
    response["Content-Disposition"] = f'attachment; filename="session-{pk}-evidence.jsonl"'
    return response


@viewer_required
def session_file(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    record = get_object_or_404(SessionFile, pk=file_pk, session_id=pk)
    return FileResponse(record.file.open("rb"), as_attachment=True, filename=record.name)


class SignOffForm(forms.Form):
    name = forms.CharField(max_length=150, error_messages={"required": "Who signs?"})
    role = forms.CharField(max_length=150, error_messages={"required": "In what role?"})
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="I have run this certification and the results above are what the charger did.",
        error_messages={"required": "Say what you sign for."},
    )
    date = forms.DateField(initial=date.today, widget=forms.DateInput(attrs={"type": "date"}))


@engineer_required
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(CertSession.objects.select_related("charger"), pk=pk)
    if session.is_signed:
        return redirect("history-detail", pk=pk)
    initial = {"name": request.user.get_full_name() or session.engineer_name, "date": timezone.now().date()}
    form = SignOffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report.sign_off(session, request.user, data["name"], data["role"], data["statement"], data["date"])
            return redirect("history-detail", pk=pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    context = {
        "session": session,
        "form": form,
        "fingerprint": signing.fingerprint(),
        "counts": session.verdict_counts(),
        "rows": _rows(session),
    }
    return render(request, "certify/signoff.html", context, status=422 if form.errors else 200)


@engineer_required
@require_POST
def sign_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as HTML, exactly as signing would render it now, with the
    name, role and statement typed so far on the sign-off page (POSTed, so the
    form's CSRF token never lands in a URL or a browser's history)."""
    session = get_object_or_404(CertSession.objects.select_related("charger"), pk=pk)
    if session.is_signed:
        return redirect("history-detail", pk=pk)
    form = SignOffForm(request.POST)
    data = {field: form[field].value() or "" for field in ("name", "role", "statement")}
    day = form.cleaned_data["date"] if form.is_valid() else None
    html = report.preview_html(session, request.user, data["name"], data["role"], data["statement"], day)
    return HttpResponse(html)


@engineer_required
@require_POST
def revise(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(CertSession, pk=pk)
    if not session.is_signed:
        return redirect("session-detail", pk=pk)
    revision = report.new_revision(session, request.user)
    return redirect("session-detail", pk=revision.pk)
