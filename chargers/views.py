"""Dashboard pages of the central system. Thin: load, check, call, render."""

from __future__ import annotations

import json

from asgiref.sync import sync_to_async
from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import findings, hooks
from .commands import send_command
from .frame_log import frame_page
from .models import Charger, Frame, IdTag
from .protocol import COMMAND_ACTIONS, default_payload
from .roles import engineer_required, viewer_required


@viewer_required
def charger_list(request: HttpRequest) -> HttpResponse:
    chargers = Charger.objects.prefetch_related("connectors")
    template = "chargers/_charger_rows.html" if request.htmx else "chargers/list.html"
    return render(request, template, {"chargers": chargers, "live_topics": "chargers"})


@viewer_required
def charger_detail(request: HttpRequest, cp_id: str) -> HttpResponse:
    charger = get_object_or_404(Charger, charge_point_id=cp_id)
    return render(
        request,
        "chargers/detail.html",
        {
            "charger": charger,
            "command_actions": COMMAND_ACTIONS,
            "live_topics": f"charger-{charger.pk}",
            "frames_url": reverse("charger-frames", args=[cp_id]),
            "findings_url": reverse("charger-findings", args=[cp_id]),
            "findings": findings.charger_panel(charger.pk, request.GET),
            **_frame_page(charger, request.GET),
        },
    )


@viewer_required
def charger_findings(request: HttpRequest, cp_id: str) -> HttpResponse:
    """The findings panel's list, filtered as the URL says (live on the charger's frames)."""
    charger = get_object_or_404(Charger, charge_point_id=cp_id)
    context = {
        "findings": findings.charger_panel(charger.pk, request.GET),
        "findings_url": reverse("charger-findings", args=[cp_id]),
        "frames_url": reverse("charger-frames", args=[cp_id]),
    }
    return render(request, "chargers/_findings_list.html", context)


@viewer_required
def charger_facts(request: HttpRequest, cp_id: str) -> HttpResponse:
    charger = get_object_or_404(Charger, charge_point_id=cp_id)
    return render(request, "chargers/_facts.html", {"charger": charger})


def _frame_page(charger: Charger, params) -> dict:
    return frame_page(Frame.objects.filter(charger=charger), params, hooks.secrets_of(charger.pk))


@viewer_required
def charger_frames(request: HttpRequest, cp_id: str) -> HttpResponse:
    charger = get_object_or_404(Charger, charge_point_id=cp_id)
    context = {
        "charger": charger,
        "frames_url": reverse("charger-frames", args=[cp_id]),
        **_frame_page(charger, request.GET),
    }
    return render(request, "chargers/_frames.html", context)


@viewer_required
def command_form(request: HttpRequest, cp_id: str) -> HttpResponse:
    charger = get_object_or_404(Charger, charge_point_id=cp_id)
    action = request.GET.get("action", "GetConfiguration")
    if action not in COMMAND_ACTIONS:
        raise Http404("Unknown command")
    payload = json.dumps(default_payload(action, charger), indent=2)
    return render(request, "chargers/_command_form.html", {"charger": charger, "action": action, "payload": payload})


@engineer_required
@require_POST
async def command_send(request: HttpRequest, cp_id: str) -> HttpResponse:
    charger = await sync_to_async(get_object_or_404)(Charger, charge_point_id=cp_id)
    action = request.POST.get("action", "")
    text = request.POST.get("payload", "").strip() or "{}"
    context = {"charger": charger, "action": action, "payload": text}
    try:
        payload = json.loads(text)
        if not isinstance(payload, dict):
            raise ValueError("the payload must be a JSON object")
    except ValueError as exc:
        context["payload_error"] = f"Not valid JSON: {exc}"
        return render(request, "chargers/_command_form.html", context, status=422)
    user = await request.auser()
    result = await send_command(cp_id, action, payload, sent_by=f"user:{user.get_username()}")
    context["result"] = result
    context["result_json"] = json.dumps(result.payload, indent=2) if result.payload is not None else ""
    return render(request, "chargers/_command_form.html", context)


class IdTagForm(forms.ModelForm):
    """An entry of the id-tag list; the id tag is an OCPP IdToken (CiString20)."""

    class Meta:
        model = IdTag
        fields = ["id_tag", "status", "expiry_date", "parent_id_tag"]
        labels = {"id_tag": "Id tag", "expiry_date": "Expires (UTC)", "parent_id_tag": "Parent id tag"}
        widgets = {"expiry_date": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}

    def clean_id_tag(self) -> str:
        value = self.cleaned_data["id_tag"].strip()
        if not value or any(c.isspace() for c in value):
            raise forms.ValidationError("An id tag is 1 to 20 characters without spaces.")
        return value


@viewer_required
def idtag_list(request: HttpRequest) -> HttpResponse:
    """The list and the form that adds to it (answered in place on errors)."""
    form = IdTagForm(prefix="new")
    return render(request, "chargers/idtags.html", {"tags": IdTag.objects.all(), "form": form})


@engineer_required
@require_POST
def idtag_add(request: HttpRequest) -> HttpResponse:
    form = IdTagForm(request.POST, prefix="new")
    if form.is_valid():
        form.save()
        return redirect("idtag-list")
    return render(request, "chargers/idtags.html", {"tags": IdTag.objects.all(), "form": form}, status=422)


@engineer_required
def idtag_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tag = get_object_or_404(IdTag, pk=pk)
    form = IdTagForm(request.POST or None, instance=tag)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("idtag-list")
    status = 422 if form.errors else 200
    return render(request, "chargers/idtag_edit.html", {"tag": tag, "form": form}, status=status)


@engineer_required
@require_POST
def idtag_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(IdTag, pk=pk).delete()
    return redirect("idtag-list")
