"""Item 16 by button: "Take offline for N s" on the item's panel (htmx)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import aget_object_or_404, render
from django.utils import timezone

from chargers.offline import MAX_SECONDS, offline_until
from chargers.roles import engineer_required

from . import sessions
from .models import CertSession

DEFAULT_SECONDS = 60


class OfflineForm(forms.Form):
    seconds = forms.IntegerField(
        label="Take offline for (s)",
        min_value=1,
        max_value=MAX_SECONDS,
        initial=DEFAULT_SECONDS,
        help_text="The server closes the charger's socket and refuses its reconnects meanwhile.",
    )


def offline_context(session: CertSession, form: OfflineForm | None = None) -> dict:
    """What the partial templates/certify/_item_offline.html shows."""
    if session.charger is not None:
        session.charger.refresh_from_db(fields=["offline_until"])
    until = offline_until(session.charger)
    return {
        "session": session,
        "offline_form": form or OfflineForm(),
        "offline_until": until,
        "offline_left": int((until - timezone.now()).total_seconds()) + 1 if until else 0,
    }


@engineer_required
async def session_offline(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form and, while a window runs, its countdown (it polls itself).
    POST: take the charger offline for the seconds given."""
    session = await aget_object_or_404(CertSession.objects.select_related("charger"), pk=pk)
    form, status = None, 200
    if request.method == "POST":
        form = OfflineForm(request.POST)
        status = 422
        if form.is_valid():
            user = await request.auser()
            try:
                await sessions.take_offline(session, form.cleaned_data["seconds"], f"user:{user.get_username()}")
                form, status = None, 200
            except ValidationError as exc:
                form.add_error(None, exc)
    context = await sync_to_async(offline_context)(session, form)
    return render(request, "certify/_item_offline.html", context, status=status)
