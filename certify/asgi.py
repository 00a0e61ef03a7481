"""ASGI entry point: HTTP through Django, WebSockets through Channels.

`/ocpp/<id>` is the chargers' endpoint (no Origin check: chargers send none);
`/ws/...` are the dashboard's live sockets (session and Origin checked)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certify.settings")

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

import certify.daphne_tuning  # noqa: F401  (oversized frames close with 1009)
from certify import gc_tuning, heap

heap.limit_arenas()  # before any request thread (see certify/heap.py)

# The app serves its own few static files: no separate web server is needed in a lab.
django_app = ASGIStaticFilesHandler(get_asgi_application())

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from chargers.consumers import OcppConsumer  # noqa: E402
from chargers.live import LiveConsumer  # noqa: E402

ocpp_routes = URLRouter([re_path(r"^ocpp/(?P<charge_point_id>.*)$", OcppConsumer.as_asgi())])
dashboard_routes = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter([path("ws/live/", LiveConsumer.as_asgi())]))
)


async def websocket_router(scope, receive, send):
    """Send chargers and browsers to their own stacks."""
    if scope["path"].startswith("/ocpp/"):
        return await ocpp_routes(scope, receive, send)
    return await dashboard_routes(scope, receive, send)


application = ProtocolTypeRouter({"http": django_app, "websocket": websocket_router})

# Last: everything imported so far lives as long as the process (see gc_tuning).
gc_tuning.apply()
