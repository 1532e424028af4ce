"""The live socket's focus message: which functions this page shows, for Live Tail mode."""
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from flows.consumers import LiveConsumer
from flows.live import focus

from .conftest import function_arn

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_registry(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    focus.registry().clear()
    yield
    focus.registry().clear()


def run(scenario):
    return async_to_sync(scenario)()


async def connected(user):
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    communicator.scope["user"] = user
    ok, _ = await communicator.connect()
    assert ok
    return communicator


async def settle(communicator):
    # A resume for an id past everything answers with an empty replay: by then the focus
    # message sent before it has been handled.
    await communicator.send_json_to({"type": "resume", "last_invocation_id": 2**40})
    await communicator.receive_json_from(timeout=5)


def test_it_records_the_functions_a_page_focuses_on_and_forgets_them_on_disconnect(user):
    async def scenario():
        page = await connected(user)
        await page.send_json_to({"type": "focus", "functions": [function_arn("worker")]})
        await settle(page)
        during = focus.focused_functions()
        await page.disconnect()
        return during, focus.focused_functions()

    during, after = run(scenario)
    assert during == {function_arn("worker")}
    assert after == set()


def test_an_empty_focus_clears_only_that_pages_focus(user):
    async def scenario():
        first, second = await connected(user), await connected(user)
        await first.send_json_to({"type": "focus", "functions": [function_arn("worker")]})
        await second.send_json_to({"type": "focus", "functions": [function_arn("sender")]})
        await settle(first)
        await settle(second)
        both = focus.focused_functions()
        await first.send_json_to({"type": "focus", "functions": []})
        await settle(first)
        left = focus.focused_functions()
        await first.disconnect()
        await second.disconnect()
        return both, left

    both, left = run(scenario)
    assert both == {function_arn("worker"), function_arn("sender")}
    assert left == {function_arn("sender")}


def test_it_ignores_junk_in_focus_messages(user):
    many = [function_arn(f"fn-{i}") for i in range(40)]

    async def scenario():
        page = await connected(user)
        await page.send_json_to({"type": "focus", "functions": [function_arn("worker")]})
        await page.send_json_to({"type": "focus", "functions": "arn:aws:lambda:oops"})
        await page.send_json_to({"type": "focus"})
        await settle(page)
        kept = focus.focused_functions()
        await page.send_json_to({"type": "focus", "functions": [
            "<script>alert(1)</script>", 12, None, ["nested"], "arn:aws:sqs:us-east-1:123456789012:q",
            function_arn("sender")]})
        await settle(page)
        cleaned = focus.focused_functions()
        await page.send_json_to({"type": "focus", "functions": many})
        await settle(page)
        capped = focus.focused_functions()
        await page.disconnect()
        return kept, cleaned, capped

    kept, cleaned, capped = run(scenario)
    assert kept == {function_arn("worker")}      # not a list: the previous focus stands
    assert cleaned == {function_arn("sender")}
    assert capped == set(many[:focus.MAX_FOCUS_FUNCTIONS])


def test_a_reconnected_page_replaces_the_focus_its_lost_connection_left(user):
    page_id = "3f2a9c0e5b7d41a8"

    async def scenario():
        # The first connection dies without a disconnect the server sees (its entry stays).
        lost = await connected(user)
        await lost.send_json_to({"type": "focus", "functions": [function_arn("worker")],
                                 "page": page_id})
        await settle(lost)
        again = await connected(user)
        await again.send_json_to({"type": "focus", "functions": [], "page": page_id})
        await settle(again)
        left = focus.focused_functions()
        await again.disconnect()
        await lost.disconnect()
        return left

    assert run(scenario) == set()


def test_a_page_id_that_is_not_one_is_ignored(user):
    async def scenario():
        first, second = await connected(user), await connected(user)
        await first.send_json_to({"type": "focus", "functions": [function_arn("worker")],
                                  "page": "../*"})
        await second.send_json_to({"type": "focus", "functions": [], "page": "../*"})
        await settle(first)
        await settle(second)
        left = focus.focused_functions()
        await first.disconnect()
        await second.disconnect()
        return left

    assert run(scenario) == {function_arn("worker")}   # kept per connection instead
