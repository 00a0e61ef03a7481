"""A step by hand confirmed from its prompt on the session page (the Done
button): the confirmation goes in the evidence log (certify.sessions.confirm_step)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import aget_object_or_404, render
from django.views.decorators.http import require_POST

from chargers.roles import engineer_required

from . import sessions
from .models import CertSession
from .views import _item, _status_context


@engineer_required
@require_POST
async def item_step_done(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """Done on the step by hand the item prompts for: the confirmation goes in the
    evidence log and the case goes on; the item's status comes back."""
    session = await aget_object_or_404(CertSession.objects.select_related("charger"), pk=pk)
    item = _item(session, key)
    user = await request.auser()
    error = ""
    step = request.POST.get("step", "")
    try:
        if not step.isdigit():
            raise ValidationError("Which step is done?")
        await sessions.confirm_step(session, item.key, int(step), f"user:{user.get_username()}")
    except ValidationError as exc:
        error = "; ".join(exc.messages)
    context = await sync_to_async(_status_context)(session, item)
    context |= {"can_operate": True, "step_error": error}
    response = render(request, "certify/_item_status.html", context, status=422 if error else 200)
    if not error:
        response["HX-Trigger"] = "session-changed"
    return response
