"""Stream mode end to end: a subscription filter puts a function's log events into Kinesis (the
emulator), the consumer reads them, and a signed-in browser's WebSocket receives the
invocation, through the same publisher as polling."""
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from flows.live.poller import ensure_cursors
from flows.live.push import PushBatcher
from flows.live.stream import StreamClients, consume_cycle
from flows.publish import publish
from tests.live.helpers import add_function, invocation_lines, now_ms, put_lines
from tests.live.test_stream import LOG_STREAM, stream  # noqa: F401 (fixture)

from .test_consumers import SAME_ORIGIN, application, channel_layer, run, session_cookie  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_invocation_written_to_the_logs_reaches_the_browser_through_the_stream(
        aws, stream, channel_layer, application, session_cookie):  # noqa: F811
    worker = add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/worker")
    request_id = str(uuid.uuid4())

    def write_and_consume():
        put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines(request_id, now_ms(), init=90.0))
        batcher = PushBatcher(publish)
        for _ in range(3):
            report = consume_cycle("consumer", StreamClients(), publish_item=batcher.add, max_seconds=1.0)
            batcher.flush()
            if report and report.invocations:
                return report

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/live/", headers=[SAME_ORIGIN, session_cookie])
        connected, _ = await communicator.connect()
        assert connected
        report = await sync_to_async(write_and_consume)()
        message = await communicator.receive_json_from(timeout=10)
        await communicator.disconnect()
        return report, message

    report, message = run(scenario)
    assert report.invocations == 1
    assert message["type"] == "invocations"
    [item] = message["items"]
    assert (item["function"], item["request_id"], item["init_ms"]) == (worker.arn, request_id, 90.0)
