"""Resuming page by page: a reconnecting browser asks again from the last item of a full
replay until a page says there is no more (issue 4: a reconnecting client resumes without
gaps). The replay comes from the real live store."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

import flows.consumers
from flows.consumers import LiveConsumer
from flows.models import Invocation

pytestmark = pytest.mark.django_db(transaction=True)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:worker"


@pytest.fixture(autouse=True)
def memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def store_invocations(count):
    """Completed invocations with feed ids 1..count, as the poller leaves them."""
    at = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    Invocation.objects.bulk_create(
        Invocation(
            function_arn=ARN,
            request_id=str(uuid.uuid4()),
            seq=n,
            log_group="/aws/lambda/worker",
            log_stream="2026/11/26/[$LATEST]abc",
            started_at=at + timedelta(seconds=n),
            completed_at=at + timedelta(seconds=n, milliseconds=5),
            duration_ms=5.0,
            billed_ms=6.0,
            memory_mb=128,
            max_memory_mb=60,
            status="ok",
            ended=True,
        )
        for n in range(1, count + 1)
    )


def resume_until_done(user, last_id):
    """Send resume as live.js does: again from the newest id of each page while "more" is set."""

    async def scenario():
        communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
        communicator.scope["user"] = user
        assert (await communicator.connect())[0]
        pages, since = [], last_id
        while True:
            await communicator.send_json_to({"type": "resume", "last_invocation_id": since})
            page = await communicator.receive_json_from(timeout=5)
            pages.append(page)
            if not page["more"]:
                break
            since = page["items"][-1]["id"]
        await communicator.disconnect()
        return pages

    return async_to_sync(scenario)()


@pytest.mark.parametrize(("stored", "sizes"), [(7, [3, 3, 1]), (6, [3, 3, 0]), (2, [2])])
def test_it_replays_a_long_absence_page_by_page_without_gaps(user, monkeypatch, stored, sizes):
    monkeypatch.setattr(flows.consumers, "REPLAY_LIMIT", 3)
    store_invocations(stored)

    pages = resume_until_done(user, 0)

    assert [len(p["items"]) for p in pages] == sizes
    assert [p["more"] for p in pages] == [True] * (len(sizes) - 1) + [False]
    assert all(p["type"] == "invocations" and p["replay"] is True for p in pages)
    assert [i["id"] for p in pages for i in p["items"]] == list(range(1, stored + 1))


def test_it_replays_only_what_came_after_the_last_id_seen(user, monkeypatch):
    monkeypatch.setattr(flows.consumers, "REPLAY_LIMIT", 3)
    store_invocations(5)

    pages = resume_until_done(user, 4)

    assert [[i["id"] for i in p["items"]] for p in pages] == [[5]]
    assert pages[0]["more"] is False
