"""Pages of certification sessions. Thin: load, check, call a service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import CertSession

SESSIONS_PER_PAGE = 100


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    """Newest first; searching and comparing are the history pages' job."""
    sessions = CertSession.objects.select_related("charger", "engineer")[:SESSIONS_PER_PAGE]
    return render(request, "certify/session_list.html", {"sessions": sessions})
