"""Baseline: the bare Channels stack. A consumer that parses each CALL and
answers it with a canned CALLRESULT: no validation, no storage, no channel
layer. Served by daphne with our flags: `daphne bench.echo_app:application`."""

import json

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-echo",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["channels"],
        CHANNEL_LAYERS={},
        USE_TZ=True,
    )
    django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import re_path

CANNED = {
    "BootNotification": {"currentTime": "2025-01-01T12:00:00.000Z", "interval": 300, "status": "Accepted"},
    "Heartbeat": {"currentTime": "2025-01-01T12:00:00.000Z"},
}


class EchoConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = "none"  # no layer: the stack's roof

    async def connect(self) -> None:
        await self.accept("ocpp1.6")

    async def receive(self, text_data=None, bytes_data=None) -> None:
        msg = json.loads(text_data)
        if msg[0] == 2:
            payload = CANNED.get(msg[2], {})
            await self.send(text_data=json.dumps([3, msg[1], payload], separators=(",", ":")))


application = ProtocolTypeRouter(
    {"websocket": URLRouter([re_path(r"^ocpp/(?P<charge_point_id>.*)$", EchoConsumer.as_asgi())])}
)
