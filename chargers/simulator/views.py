"""The simulator panel on the charger page: a simulated charger's physical
events (plug, swipe, fault, offline...) driven from the dashboard."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from ..models import Charger
from ..roles import engineer_required, viewer_required
from . import panel

EVENTS = {
    "plug": "Plug in",
    "unplug": "Unplug",
    "swipe": "Swipe card",
    "stop": "Stop charging",
    "fault": "Raise fault",
    "clear-fault": "Clear fault",
    "offline": "Go offline",
}


class SimulatorEventForm(forms.Form):
    verb = forms.ChoiceField(choices=list(EVENTS.items()))
    connector = forms.IntegerField(min_value=0, max_value=99, required=False, initial=1)
    tag = forms.CharField(max_length=20, required=False, initial="CERTIFY01", label="Id tag")
    code = forms.ChoiceField(choices=[(c, c) for c in panel.FAULT_CODES], required=False, initial="GroundFailure")
    seconds = forms.IntegerField(min_value=1, max_value=3600, required=False, initial=30)

    def clean(self) -> dict:
        data = super().clean()
        verb = data.get("verb")
        if verb in ("plug", "unplug", "swipe", "stop") and not data.get("connector"):
            self.add_error("connector", "Name a connector (1 or more).")
        if verb == "swipe" and not data.get("tag"):
            self.add_error("tag", "Give the id tag to swipe.")
        if verb == "offline" and not data.get("seconds"):
            self.add_error("seconds", "How many seconds offline?")
        return data

    def event(self) -> tuple[str, dict[str, str]]:
        data = self.cleaned_data
        verb = data["verb"]
        if verb == "offline":
            return verb, {"seconds": str(data["seconds"])}
        params = {"connector": "" if data.get("connector") is None else str(data["connector"])}
        if verb == "swipe":
            params["tag"] = data["tag"]
        if verb == "fault":
            params["code"] = data.get("code") or "GroundFailure"
        return verb, params


def _panel(cp_id: str, form: SimulatorEventForm, **extra) -> dict:
    state = extra.pop("state", None) or panel.state(cp_id)
    connectors = sorted(((int(n), c) for n, c in (state or {}).get("connectors", {}).items()), key=lambda x: x[0])
    return {"cp_id": cp_id, "state": state, "connectors": connectors, "form": form, "events": EVENTS, **extra}


@viewer_required
def simulator_panel(request: HttpRequest, cp_id: str) -> HttpResponse:
    """Empty unless the simulator behind SIMULATOR_CONTROL_URL runs this charger."""
    get_object_or_404(Charger, charge_point_id=cp_id)
    return render(request, "chargers/_simulator_panel.html", _panel(cp_id, SimulatorEventForm()))


@engineer_required
@require_POST
def simulator_event(request: HttpRequest, cp_id: str) -> HttpResponse:
    get_object_or_404(Charger, charge_point_id=cp_id)
    form = SimulatorEventForm(request.POST)
    context: dict = {}
    if form.is_valid():
        verb, params = form.event()
        try:
            context["state"] = panel.send_event(cp_id, verb, params)
            context["done"] = f"{EVENTS[verb]}: done"
        except panel.SimulatorUnavailable as exc:
            context["error"] = str(exc)
    # 422 for a refused event too: htmx swaps it in, so the message shows in the panel.
    status = 422 if form.errors or "error" in context else 200
    return render(request, "chargers/_simulator_panel.html", _panel(cp_id, form, **context), status=status)
