"""The OCPP layer's extension points (chargers.hooks) and its one way of sending
live updates (chargers.live.announce). What certification does through the hooks
is tested by its behaviour in tests/certify/test_reactions.py."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from chargers import hooks, live


async def nothing(*args) -> None:
    return None


def test_a_hook_keeps_a_callable_registered_twice_once():
    hook = hooks.Hook("test")
    hook.register(nothing)
    hook.register(nothing)
    assert list(hook) == [nothing]


def test_a_hook_runs_its_callables_in_the_order_registered():
    hook = hooks.Hook("test")

    def first() -> None: ...

    def second() -> None: ...

    hook.register(second)
    hook.register(first)
    assert list(hook) == [second, first]


async def received(group: str, send) -> dict:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    try:
        await send()
        return await asyncio.wait_for(layer.receive(channel), 5)
    finally:
        await layer.group_discard(group, channel)


async def test_announcing_chargers_tells_the_all_chargers_group():
    message = await received(live.ALL_CHARGERS_GROUP, lambda: live.announce(chargers={7, 3}))
    assert message == {"type": "frames.stored", "chargers": [3, 7]}


async def test_announcing_a_topic_tells_its_group():
    message = await received(live.topic_group("report.12"), lambda: live.announce(topics=["report.12"]))
    assert message == {"type": "topic.changed", "topic": "report.12"}


async def test_a_lost_announcement_never_fails_its_caller_and_is_logged_once(monkeypatch, caplog):
    class Down:
        async def group_send(self, group: str, message: dict) -> None:
            raise ConnectionError("the channel layer is down")

    monkeypatch.setattr(live, "get_channel_layer", lambda: Down())
    monkeypatch.setattr(live, "_warned_at", [float("-inf")])
    await live.announce(chargers=[1], topics=["report.2"])
    await live.announce(chargers=[1])
    warnings = [r.getMessage() for r in caplog.records if r.name == "chargers.live"]
    assert warnings == [
        "Live updates not sent (channel layer: the channel layer is down); frames are stored all the same"
    ]


async def test_a_page_showing_a_topic_is_ticked_with_its_kind_and_name():
    page = live.LiveConsumer()
    page.dirty, page.flusher = set(), None
    await page.topic_changed({"type": "topic.changed", "topic": "report.12"})
    page.flusher.cancel()
    assert page.dirty == {"report", "report.12"}


@pytest.mark.parametrize(
    ("topic", "named"),
    [("report.12", True), ("session.7", True), ("chargers", False), ("live.x.y", False), ("charger-3", False)],
)
def test_a_page_may_name_only_topics_of_the_form_kind_dot_name(topic, named):
    assert bool(live.TOPIC.match(topic)) is named
