import asyncio
import itertools
import time
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

import flows.live
from flows.consumers import FRAME_INTERVAL, LiveConsumer
from flows.publish import apublish, publish

pytestmark = pytest.mark.django_db(transaction=True)

SAME_ORIGIN = (b"origin", b"http://localhost:8000")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.services)])
def channel_layer(request, settings):
    """The in-memory layer, and the real Redis layer when REDIS_URL is set (CI)."""
    if request.param == "redis":
        # A prefix of our own: other tests may publish to the same Redis at the same time.
        # The layer as configured for production (dashboard/settings.py), but with a prefix
        # of our own: other tests may publish to the same Redis at the same time.
        configured = settings.CHANNEL_LAYERS["default"]
        assert configured["BACKEND"] == "channels_redis.core.RedisChannelLayer"
        settings.CHANNEL_LAYERS = {"default": {**configured, "CONFIG": {
            **configured["CONFIG"], "prefix": f"flowscope-test-{uuid.uuid4().hex[:8]}"}}}
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    yield request.param
    if request.param == "redis":
        async_to_sync(get_channel_layer().flush)()


@pytest.fixture
def application():
    from dashboard.asgi import application

    return application


@pytest.fixture
def session_cookie(client, user):
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def run(scenario):
    """Run an async scenario from a sync test (no pytest-asyncio needed)."""
    return async_to_sync(scenario)()


def test_it_rejects_a_connection_without_a_session(channel_layer, application):
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/live/", headers=[SAME_ORIGIN])
        connected, code = await communicator.connect()
        await communicator.disconnect()
        return connected, code

    assert run(scenario) == (False, 4401)


def test_it_rejects_a_foreign_origin_even_with_a_session(
    channel_layer, application, session_cookie
):
    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/live/", headers=[(b"origin", b"https://evil.example"), session_cookie]
        )
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert run(scenario) is False


def test_it_rejects_a_connection_without_an_origin(channel_layer, application, session_cookie):
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/live/", headers=[session_cookie])
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert run(scenario) is False


def test_it_forwards_what_the_publisher_sends_to_a_signed_in_browser(
    channel_layer, application, session_cookie
):
    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/live/", headers=[SAME_ORIGIN, session_cookie]
        )
        connected, _ = await communicator.connect()
        assert connected
        sent = await sync_to_async(publish)(
            "sync", {"run": {"id": 7, "status": "running", "progress": {"done": 1, "total": 13}}}
        )
        received = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return sent, received

    sent, received = run(scenario)

    assert sent is True
    assert received == {
        "type": "sync",
        "run": {"id": 7, "status": "running", "progress": {"done": 1, "total": 13}},
    }


def test_it_stops_forwarding_after_the_browser_leaves(channel_layer, application, session_cookie):
    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/live/", headers=[SAME_ORIGIN, session_cookie]
        )
        await communicator.connect()
        await communicator.disconnect()
        layer = get_channel_layer()
        if hasattr(layer, "groups"):  # in memory: the group is empty again
            return sum(len(members) for members in layer.groups.values())
        return 0

    assert run(scenario) == 0


def signed_in_communicator(user):
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    communicator.scope["user"] = user
    return communicator


def invocation(n):
    return {
        "id": n,
        "function": f"arn:aws:lambda:us-east-1:123456789012:function:fn-{n % 3}",
        "status": "ok",
        "duration_ms": 12.5,
    }


def test_it_merges_a_burst_of_invocations_into_few_frames(channel_layer, user):
    async def scenario():
        communicator = signed_in_communicator(user)
        assert (await communicator.connect())[0]
        started = time.monotonic()
        for n in range(40):
            await apublish("invocations", {"items": [invocation(n)]})
        publishing = time.monotonic() - started
        frames, items = [], []
        while len(items) < 40:
            frame = await communicator.receive_json_from(timeout=5)
            frames.append(frame)
            items.extend(frame["items"])
        await communicator.disconnect()
        return frames, items, publishing

    frames, items, publishing = run(scenario)

    assert [i["id"] for i in items] == list(range(40))
    assert all(f["type"] == "invocations" for f in frames)
    # One frame per 100 ms window the burst spanned (two or three on an idle machine).
    assert len(frames) <= publishing / FRAME_INTERVAL + 2


def test_it_sends_at_most_ten_frames_a_second(channel_layer, user, monkeypatch):
    # Stamped where the consumer sends, not where the test reads: on a loaded machine the
    # reader can fall behind and see two frames at once.
    sent_at = []
    send_json = LiveConsumer.send_json

    async def stamped_send_json(self, content, close=False):
        sent_at.append(time.monotonic())
        await send_json(self, content, close)

    monkeypatch.setattr(LiveConsumer, "send_json", stamped_send_json)

    async def scenario():
        communicator = signed_in_communicator(user)
        assert (await communicator.connect())[0]

        async def publisher():
            for n in range(100):  # 100 invocations a second, one message each
                await apublish("invocations", {"items": [invocation(n)]})
                await asyncio.sleep(0.01)

        task = asyncio.create_task(publisher())
        items = []
        while len(items) < 100:
            items.extend((await communicator.receive_json_from(timeout=5))["items"])
        await task
        await communicator.disconnect()
        return items

    items = run(scenario)

    assert [i["id"] for i in items] == list(range(100))
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert min(gaps) >= FRAME_INTERVAL * 0.99
    assert len(sent_at) < 100 / 3


def test_it_replays_missed_invocations_on_resume(channel_layer, user, monkeypatch):
    asked = []

    def invocations_since(last_id, limit):
        asked.append((last_id, limit))
        return [invocation(n) for n in range(last_id + 1, last_id + 4)]

    monkeypatch.setattr(flows.live, "invocations_since", invocations_since, raising=False)

    async def scenario():
        communicator = signed_in_communicator(user)
        await communicator.connect()
        await communicator.send_json_to({"type": "resume", "last_invocation_id": 41})
        frame = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return frame

    frame = run(scenario)

    assert asked == [(41, 1000)]
    assert frame == {
        "type": "invocations",
        "replay": True,
        "more": False,
        "items": [invocation(42), invocation(43), invocation(44)],
    }


def test_it_ignores_resume_when_the_live_module_has_no_replay(channel_layer, user, monkeypatch):
    monkeypatch.delattr(flows.live, "invocations_since", raising=False)

    async def scenario():
        communicator = signed_in_communicator(user)
        await communicator.connect()
        await communicator.send_json_to({"type": "resume", "last_invocation_id": 1})
        nothing = await communicator.receive_nothing(timeout=0.3)
        await apublish("sync", {"run": {"id": 1}})
        still_alive = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return nothing, still_alive

    nothing, still_alive = run(scenario)

    assert nothing is True
    assert still_alive == {"type": "sync", "run": {"id": 1}}


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        '{"type": "resume", "last_invocation_id": "1; drop"}',
        '{"type": "resume", "last_invocation_id": -5}',
        '{"type": "nonsense"}',
    ],
)
def test_it_survives_malformed_client_frames(channel_layer, user, monkeypatch, frame):
    asked = []
    monkeypatch.setattr(
        flows.live, "invocations_since", lambda *a: asked.append(a) or [], raising=False
    )

    async def scenario():
        communicator = signed_in_communicator(user)
        await communicator.connect()
        await communicator.send_to(text_data=frame)
        await apublish("sync", {"run": {"id": 2}})
        received = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return received

    assert run(scenario) == {"type": "sync", "run": {"id": 2}}
    assert asked == []


def test_it_replays_invocations_the_live_store_holds(channel_layer, user):
    from django.db import transaction

    from flows.live.store import apply_events, ensure_counter
    from tests.data.lambda_logs import REQUEST_ID, TEXT_END, TEXT_REPORT_WARM, TEXT_START

    arn = "arn:aws:lambda:us-east-1:123456789012:function:worker"
    stream = "2026/11/26/[$LATEST]0123456789abcdef"
    events = [
        {"timestamp": 1_764_151_200_000 + i, "message": line, "logStreamName": stream}
        for i, line in enumerate([TEXT_START, TEXT_END, TEXT_REPORT_WARM])
    ]
    ensure_counter()
    with transaction.atomic():
        stored = apply_events(events, [arn], "/aws/lambda/worker", {})
    assert stored.invocations == 1

    async def scenario():
        communicator = signed_in_communicator(user)
        await communicator.connect()
        await communicator.send_json_to({"type": "resume", "last_invocation_id": 0})
        replayed = await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to(
            {"type": "resume", "last_invocation_id": replayed["items"][-1]["id"]}
        )
        nothing_new = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return replayed, nothing_new

    replayed, nothing_new = run(scenario)

    assert replayed["replay"] is True
    assert [(i["function"], i["request_id"], i["duration_ms"]) for i in replayed["items"]] == [
        (arn, REQUEST_ID, 102.25)
    ]
    assert nothing_new["items"] == []


@pytest.mark.services
def test_an_idle_connection_outlives_redis_read_timeouts(settings, user):
    """The consumer's channel wait is a 5 s blocking pop; a socket read timeout as short as
    that (redis-py's default) killed idle consumers. Seven quiet seconds, then a push."""
    configured = settings.CHANNEL_LAYERS["default"]
    assert configured["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    settings.CHANNEL_LAYERS = {"default": {**configured, "CONFIG": {
        **configured["CONFIG"], "prefix": f"flowscope-test-{uuid.uuid4().hex[:8]}"}}}

    async def scenario():
        communicator = signed_in_communicator(user)
        connected, _ = await communicator.connect()
        await asyncio.sleep(7)
        await apublish("sync", {"run": {"id": 11}})
        received = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return connected, received

    connected, received = async_to_sync(scenario)()
    assert connected and received["run"]["id"] == 11


def test_it_stays_subscribed_past_the_layers_group_expiry(settings, user, monkeypatch):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"group_expiry": 1},
        }
    }
    monkeypatch.setattr("flows.consumers.GROUP_REJOIN_SECONDS", 0.3)

    async def scenario():
        communicator = signed_in_communicator(user)
        await communicator.connect()
        await asyncio.sleep(2.5)  # the first membership is expired by now
        await apublish("sync", {"run": {"id": 3}})
        received = await communicator.receive_json_from(timeout=2)
        await communicator.disconnect()
        return received

    assert run(scenario) == {"type": "sync", "run": {"id": 3}}


def test_it_closes_the_live_connection_when_its_session_logs_out(
    channel_layer, application, client, user
):
    client.force_login(user)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())

    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/live/", headers=[SAME_ORIGIN, cookie]
        )
        assert (await communicator.connect())[0]
        await sync_to_async(client.post)("/logout/")
        closed = await communicator.receive_output(timeout=5)
        await communicator.wait()
        return closed

    assert run(scenario) == {"type": "websocket.close", "code": 4401}


def test_it_keeps_other_sessions_connected_when_one_logs_out(channel_layer, application, user):
    from django.test import Client

    leaving, staying = Client(), Client()
    leaving.force_login(user)
    staying.force_login(user)
    cookie = (b"cookie", f"sessionid={staying.cookies['sessionid'].value}".encode())

    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/live/", headers=[SAME_ORIGIN, cookie]
        )
        assert (await communicator.connect())[0]
        await sync_to_async(leaving.post)("/logout/")
        await apublish("sync", {"run": {"id": 4}})
        received = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return received

    assert run(scenario) == {"type": "sync", "run": {"id": 4}}
