"""The focus registry: which functions pages are showing, shared by web processes and the
tail manager (Redis), or kept in this process (no Redis)."""
import time
import uuid

import pytest
import redis
from django.conf import settings

from flows.live import focus
from flows.live.focus import LocalRegistry, RedisRegistry, clean_functions

WORKER = "arn:aws:lambda:us-east-1:123456789012:function:worker"
SENDER = "arn:aws:lambda:us-east-1:123456789012:function:sender"


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.services)])
def registry(request):
    if request.param == "local":
        yield LocalRegistry()
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    shared = RedisRegistry(client, f"{settings.FLOWSCOPE['REDIS_PREFIX']}-{uuid.uuid4().hex[:6]}")
    yield shared
    shared.clear()
    client.close()


def test_it_joins_the_focus_of_every_connection(registry):
    registry.set_focus("conn-a", [WORKER])
    registry.set_focus("conn-b", [WORKER, SENDER])
    assert registry.focused() == {WORKER, SENDER}


def test_a_new_focus_replaces_the_connections_previous_one_only(registry):
    registry.set_focus("conn-a", [WORKER])
    registry.set_focus("conn-b", [SENDER])
    registry.set_focus("conn-a", [SENDER])
    assert registry.focused() == {SENDER}
    registry.set_focus("conn-b", [])
    assert registry.focused() == {SENDER}
    registry.set_focus("conn-a", [])
    assert registry.focused() == set()


def test_a_focus_not_restated_expires(registry):
    registry.set_focus("conn-a", [WORKER], ttl=0.3)
    registry.set_focus("conn-b", [SENDER], ttl=30)
    assert registry.focused() == {WORKER, SENDER}
    time.sleep(0.5)
    assert registry.focused() == {SENDER}


def test_it_says_which_functions_the_tail_follows_until_it_stops_saying_so(registry):
    registry.set_tailing([WORKER], ttl=0.3)
    assert registry.is_tailing(WORKER) and not registry.is_tailing(SENDER)
    registry.set_tailing([SENDER])
    assert registry.is_tailing(SENDER) and not registry.is_tailing(WORKER)
    registry.set_tailing([WORKER], ttl=0.3)
    time.sleep(0.5)
    assert not registry.is_tailing(WORKER)


@pytest.mark.services
def test_with_redis_every_process_shares_one_registry():
    first = focus.registry()
    assert isinstance(first, RedisRegistry)
    other = RedisRegistry(redis.Redis.from_url(settings.REDIS_URL), settings.FLOWSCOPE["REDIS_PREFIX"])
    try:
        focus.set_focus("conn-web-1", [WORKER])
        assert other.focused() >= {WORKER}
        assert other.focus_key.startswith(settings.FLOWSCOPE["REDIS_PREFIX"] + ":")
    finally:
        focus.clear_focus("conn-web-1")
        other.client.close()


def test_it_keeps_only_lambda_function_arns_and_caps_the_count():
    many = [f"arn:aws:lambda:eu-west-1:123456789012:function:fn-{i}" for i in range(30)]
    assert clean_functions("not a list") is None
    assert clean_functions({"functions": WORKER}) is None
    assert clean_functions([WORKER, 7, None, {"a": 1}, "arn:aws:sqs:us-east-1:123456789012:queue",
                            "<img src=x onerror=alert(1)>", WORKER, SENDER + ":live"]) == [
        WORKER, SENDER + ":live"]
    assert clean_functions(many) == many[:focus.MAX_FOCUS_FUNCTIONS]
    assert clean_functions(["arn:aws:lambda:us-east-1:123456789012:function:" + "x" * 300]) == []
