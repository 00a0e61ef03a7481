"""The charger's declaration (a catalog's, OCTT's PICS) on the session page:
shown prefilled from the charger's configuration, saved by an engineer, a bad
value said beside its field; saving judges again (certify.sessions.declare)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from chargers.roles import can_operate, viewer_required

from . import catalogs, sessions
from .models import CertSession


def declaration_context(session: CertSession, values: dict | None = None, errors: dict | None = None) -> dict:
    """The declaration form of a catalog that has one: its fields prefilled, a message beside each bad value."""
    form = catalogs.get(session.catalog).declaration
    if form is None:
        return {"session": session, "declaration": None}
    shown = form.form_fields(session.options or {}, sessions.session_config(session), values)
    for field in shown:
        field["error"] = (errors or {}).get(field["name"], "")
    return {"session": session, "declaration": shown, "declaration_errors": bool(errors)}


@viewer_required
def session_declaration(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the declaration's form. POST (engineer): save it; the checklist follows at once."""
    session = get_object_or_404(CertSession.objects.select_related("charger"), pk=pk)
    if request.method != "POST":
        context = declaration_context(session) | {"can_operate": can_operate(request.user)}
        return render(request, "certify/_session_declaration.html", context)
    if not can_operate(request.user):
        return HttpResponse("Editing the declaration needs the engineer role.", status=403)
    posted = {name: request.POST.getlist(name) for name in request.POST if name != "csrfmiddlewaretoken"}
    try:
        errors = sessions.declare(session, posted)
    except ValidationError as exc:
        errors = {"__all__": "; ".join(exc.messages)}
    if errors:
        values, _ = catalogs.get(session.catalog).declaration.parse(posted) if "__all__" not in errors else ({}, {})
        context = declaration_context(session, values, errors)
        context |= {"form_error": errors.get("__all__", ""), "can_operate": True}
        return render(request, "certify/_session_declaration.html", context, status=422)
    context = declaration_context(session) | {"saved": True, "can_operate": True}
    response = render(request, "certify/_session_declaration.html", context)
    response["HX-Trigger"] = "session-changed"
    return response
