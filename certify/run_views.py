"""Running cases from the session page: one case, a profile, or all that apply
(certify.page_runs); the run's state live beside the checklist."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import aget_object_or_404, get_object_or_404, render
from django.views.decorators.http import require_POST

from chargers.roles import can_operate, engineer_required, viewer_required

from . import catalogs, page_runs
from .models import CertSession


def run_context(session: CertSession, error: str = "") -> dict:
    """What the run panel shows: a catalog whose cases the server can run, the
    choices (all that apply, each profile), and the session's run."""
    catalog = catalogs.get(session.catalog)
    runnable = any(case.served for case in catalog.cases)
    return {
        "session": session,
        "runnable": runnable,
        "run_groups": list(catalog.groups.items()),
        "run": page_runs.run_of(session.pk),
        "run_error": error,
        "catalog_credit": catalog.credit,  # where the cases come from, above the checklist
    }


@viewer_required
def session_run(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(CertSession, pk=pk)
    context = run_context(session) | {"can_operate": can_operate(request.user)}
    return render(request, "certify/_session_run.html", context)


@engineer_required
@require_POST
async def session_run_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Run what the form names: "all", "group:<slug>" or "case:<key>"."""
    session = await aget_object_or_404(CertSession.objects.select_related("charger"), pk=pk)
    user = await request.auser()
    what = request.POST.get("what", "all")
    kind, _, name = what.partition(":")
    error = ""
    try:
        keys = await sync_to_async(page_runs.keys_to_run)(
            session, [name] if kind == "case" else None, [name] if kind == "group" else None
        )
        page_runs.start(session, keys, f"user:{user.get_username()}")
    except ValidationError as exc:
        error = "; ".join(exc.messages)
    context = await sync_to_async(run_context)(session, error)
    response = render(
        request, "certify/_session_run.html", context | {"can_operate": True}, status=422 if error else 200
    )
    if not error:
        response["HX-Trigger"] = "session-changed"
    return response


@engineer_required
@require_POST
async def session_run_stop(request: HttpRequest, pk: int) -> HttpResponse:
    session = await aget_object_or_404(CertSession, pk=pk)
    user = await request.auser()
    await page_runs.stop(session.pk, f"user:{user.get_username()}")
    context = await sync_to_async(run_context)(session)
    response = render(request, "certify/_session_run.html", context | {"can_operate": True})
    response["HX-Trigger"] = "session-changed"
    return response
