"""Who may click: three roles, kept as Django groups (admin is also any superuser).

- viewer: reads every page and downloads what it offers; sends nothing and
  changes nothing.
- engineer: also sends commands and does the work the pages offer.
- admin: also manages users, chargers, their keys and settings.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

VIEWER, ENGINEER, ADMIN = "viewer", "engineer", "admin"
ROLES = (VIEWER, ENGINEER, ADMIN)
_RANK = {None: 0, VIEWER: 1, ENGINEER: 2, ADMIN: 3}


def role_of(user) -> str | None:
    """The user's highest role, or None for a user without one."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.values_list("name", flat=True))
    for role in (ADMIN, ENGINEER, VIEWER):
        if role in names:
            return role
    return None


def has_role(user, role: str) -> bool:
    return _RANK[role_of(user)] >= _RANK[role]


def can_operate(user) -> bool:
    """May send commands and do the work the pages offer."""
    return has_role(user, ENGINEER)


def role_required(role: str):
    """View decorator: login first, then the role, else 403 (sync and async views)."""

    def decorate(view):
        import asyncio

        if asyncio.iscoroutinefunction(view):

            @wraps(view)
            async def async_wrapper(request, *args, **kwargs):
                from asgiref.sync import sync_to_async

                user = await request.auser()
                if not await sync_to_async(has_role)(user, role):
                    raise PermissionDenied(f"This needs the {role} role.")
                return await view(request, *args, **kwargs)

            return login_required(async_wrapper)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, role):
                raise PermissionDenied(f"This needs the {role} role.")
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorate


viewer_required = role_required(VIEWER)
engineer_required = role_required(ENGINEER)
admin_required = role_required(ADMIN)
