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

from . import attempts, catalogs, sessions
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
    key = attempts.case_with(session, "offline_control")
    return {
        "session": session,
        "offline_item": catalogs.case(session.catalog, key) if key else None,
        "offline_form": form or OfflineForm(),
        "offline_until": until,
        "offline_left": int((until - timezone.now()).total_seconds()) + 1 if until else 0,
    }


@engineer_required
async def session_offline(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form and, while a window runs, its countdown (it polls itself).
    POST: take the charger offline for the seconds given."""
    session = await aget_object_or_404(CertSession.objects.select_related("charger"), pk=pk)
    form, status, ask = None, 200, None
    if request.method == "POST":
        form = OfflineForm(request.POST)
        status = 422
        if form.is_valid():
            user = await request.auser()
            try:
                ask = await sync_to_async(_attempt_for_offline)(session, request.POST.get("attempt", ""), user)
                if ask is None:
                    who = f"user:{user.get_username()}"
                    if request.POST.get("attempt") == "outside":
                        who += attempts.OUTSIDE
                    await sessions.take_offline(session, form.cleaned_data["seconds"], who)
                    form = None
                status = 200
            except ValidationError as exc:
                form.add_error(None, exc)
    context = await sync_to_async(offline_context)(session, form)
    context["ask"] = ask
    response = render(request, "certify/_item_offline.html", context, status=status)
    if request.method == "POST" and status == 200 and ask is None:
        response["HX-Trigger"] = "session-changed"  # its attempt began: the item's status shows it now
    return response


def _attempt_for_offline(session: CertSession, choice: str, user) -> dict | None:
    """Taking the charger offline is an action of the case that has the control:
    it starts that case's attempt when none runs. When its verdict is already
    final, the engineer is asked first (what the question says, or None to go on)."""
    key = attempts.case_with(session, "offline_control")
    if key is None or choice == "outside":
        return None
    final = attempts.final_without_attempt(session, key)
    if final is not None and choice != "new":
        last = session.attempts.filter(case=key).order_by("-n").first()
        return {"verdict": final.verdict, "label": final.verdict_label, "next": (last.n if last else 0) + 1}
    attempts.ensure_attempt(session, key, f"user:{user.get_username()}")
    return None
