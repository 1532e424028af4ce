import io
import json
import random
import zipfile

import pytest

from flows.demo import traffic
from flows.demo.traffic import Function, TrafficGenerator, read_functions
from flows.models import Invocation

from .helpers import add_function, poll_all

pytestmark = pytest.mark.django_db

ASSUME = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def make_function(aws, name, runtime="python3.12", **extra):
    iam = aws("iam")
    try:
        role = iam.get_role(RoleName="demo")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="demo", AssumeRolePolicyDocument=ASSUME)["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    aws("lambda").create_function(FunctionName=name, Runtime=runtime, Role=role,
                                  Handler="index.handler", Code={"ZipFile": buffer.getvalue()}, **extra)
    add_function(name, log_group=(extra.get("LoggingConfig") or {}).get("LogGroup"))


def run_to_completion(generator, invocations):
    generator.tick(invocations)
    generator._emit_due(10**15)  # let every scheduled END/REPORT happen now
    generator.flush()


def test_it_follows_the_chat_message_flow_with_cold_starts(aws, monkeypatch):
    monkeypatch.setattr(traffic, "ERROR_RATE", 0)
    monkeypatch.setattr(traffic, "TIMEOUT_RATE", 0)
    for name in ("chat-message", "chat-fanout", "chat-delivery-worker"):
        make_function(aws, name, runtime="nodejs20.x" if "message" in name else "python3.12")
    generator = TrafficGenerator(aws("logs"), read_functions(aws("lambda")), rate=10,
                                 rng=random.Random(1))

    run_to_completion(generator, 30)
    poll_all()

    by_function = {}
    for row in Invocation.objects.all():
        by_function.setdefault(row.function_arn.rsplit(":", 1)[-1], []).append(row)
    assert set(by_function) == {"chat-message", "chat-fanout", "chat-delivery-worker"}
    # A message is followed by one fanout and one delivery each.
    assert len(by_function["chat-message"]) == len(by_function["chat-fanout"]) == len(
        by_function["chat-delivery-worker"]) == 10
    rows = Invocation.objects.all()
    assert all(row.status == "ok" and row.completed_at for row in rows)
    streams = {(row.function_arn, row.log_stream) for row in rows}
    # Exactly one cold start per container (log stream).
    assert rows.filter(init_ms__isnull=False).count() == len(streams)


def test_it_writes_errors_and_timeouts_in_each_runtimes_format(aws, monkeypatch):
    monkeypatch.setattr(traffic, "ERROR_RATE", 0.5)
    monkeypatch.setattr(traffic, "TIMEOUT_RATE", 0.2)
    make_function(aws, "orders-node", runtime="nodejs20.x", Timeout=3)
    make_function(aws, "orders-py", Timeout=3)
    # The emulator does not keep LoggingConfig: the JSON-format function is described by hand.
    add_function("orders-json", log_group="/custom/orders-json")
    json_function = Function("orders-json", timeout=3, log_group="/custom/orders-json",
                             json_format=True)
    generator = TrafficGenerator(aws("logs"), read_functions(aws("lambda")) + [json_function],
                                 rate=10, rng=random.Random(7))

    run_to_completion(generator, 120)
    poll_all()

    rows = Invocation.objects.all()
    assert rows.count() == 120
    assert rows.filter(completed_at__isnull=True).count() == 0
    for name in ("orders-node", "orders-py", "orders-json"):
        mine = rows.filter(function_arn__endswith=f":{name}")
        assert mine.filter(status="timeout").exists(), name
        assert mine.filter(status="error").exclude(error_type="").exists(), name
        assert mine.filter(status="ok").exists(), name
    assert rows.filter(log_group="/custom/orders-json").count() == rows.filter(
        function_arn__endswith=":orders-json").count()


def test_it_refuses_endpoints_that_are_not_an_emulator():
    with pytest.raises(ValueError):
        TrafficGenerator.from_environment(rate=1, endpoint_url="https://logs.us-east-1.amazonaws.com")
