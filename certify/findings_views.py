"""The session page's findings panel (the list re-fetches itself on the page's live
socket, as the frame log does) and its outcome line's count of violations."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from chargers import findings as shown
from chargers.roles import viewer_required

from . import session_findings
from .models import CertSession


def findings_context(session: CertSession, params) -> dict:
    """The panel's findings, filtered as the URL says (`severity`, `check`)."""
    found = session_findings.of(session)
    return {
        "findings": shown.panel(found, params, session.charger_id),
        "violations": session_findings.violations(found),
        "findings_url": f"/sessions/{session.pk}/findings/",
        "frames_url": f"/sessions/{session.pk}/frames/",
    }


@viewer_required
def session_findings_list(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(CertSession.objects.select_related("charger"), pk=pk)
    return render(request, "chargers/_findings_list.html", findings_context(session, request.GET))
