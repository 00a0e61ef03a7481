"""One adjustment to daphne's WebSocket server, applied when the app is loaded.

Autobahn, under daphne, fails a connection whose message exceeds the size
limit by dropping TCP without a close frame (its `failByDrop` default), and it
lets an application send only 1000 or 3000-4999. A charger must learn why it
was cut off: with failByDrop off, Autobahn closes with 1009 (message too big)
as RFC 6455 says. daphne exposes no option for this, hence the wrapper.
"""

from __future__ import annotations

from daphne.ws_protocol import WebSocketFactory

_original = WebSocketFactory.setProtocolOptions


def _set_protocol_options(self, *args, **kwargs):
    kwargs.setdefault("failByDrop", False)
    return _original(self, *args, **kwargs)


if not getattr(WebSocketFactory.setProtocolOptions, "_certify", False):
    _set_protocol_options._certify = True
    WebSocketFactory.setProtocolOptions = _set_protocol_options
