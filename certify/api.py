"""JSON API for certification sessions, mounted at /api/sessions."""

from ninja import Router

router = Router(tags=["sessions"])
