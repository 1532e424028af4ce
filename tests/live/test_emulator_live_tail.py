"""The emulator's StartLiveTail over HTTP: the groups asked for, their streams, newest events.

moto 5.2 tails the newest group whatever was asked and replays a full group's oldest events;
extend_moto() fixes both, and these tests hold it to that through a real boto3 client."""
import boto3
import pytest
from botocore.config import Config

from .helpers import now_ms

ACCOUNT = "123456789012"
STREAM = "2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef"


def group_arn(name):
    return f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{name}"


@pytest.fixture
def logs(aws, emulator):
    # The real service's host prefix ("streaming-") cannot resolve against 127.0.0.1.
    return boto3.client("logs", region_name="us-east-1", endpoint_url=emulator.endpoint,
                        config=Config(inject_host_prefix=False))


def put(logs, group, stream, messages, start=None):
    start = start if start is not None else now_ms() - len(messages)
    for create, params in ((logs.create_log_group, {}), (logs.create_log_stream, {"logStreamName": stream})):
        try:
            create(logGroupName=group, **params)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": start + index, "message": message} for index, message in enumerate(messages)])


def tail(logs, **request):
    """The sessionStart and the first sessionUpdate of one Live Tail session."""
    stream = logs.start_live_tail(**request)["responseStream"]
    start = update = None
    try:
        for event in stream:
            start = event.get("sessionStart", start)
            if "sessionUpdate" in event:
                update = event["sessionUpdate"]
                break
    finally:
        stream.close()
    return start, update


def two_groups(logs):
    put(logs, "/aws/lambda/first", STREAM, ["first says hello"])
    put(logs, "/aws/lambda/second", STREAM, ["second says hello", "second again"])


@pytest.mark.parametrize("identifier", [
    group_arn("/aws/lambda/second"), group_arn("/aws/lambda/second") + ":*", "/aws/lambda/second"])
def test_it_tails_the_second_created_group_by_arn_or_name(logs, identifier):
    two_groups(logs)
    start, update = tail(logs, logGroupIdentifiers=[identifier])
    assert start["logGroupIdentifiers"] == [group_arn("/aws/lambda/second")]
    assert [(e["logGroupIdentifier"], e["message"]) for e in update["sessionResults"]] == [
        (group_arn("/aws/lambda/second"), "second says hello"),
        (group_arn("/aws/lambda/second"), "second again")]
    assert update["sessionMetadata"]["sampled"] is False


def test_it_tails_the_first_created_group_rather_than_the_newest(logs):
    two_groups(logs)
    _, update = tail(logs, logGroupIdentifiers=[group_arn("/aws/lambda/first") + ":*"])
    assert [e["message"] for e in update["sessionResults"]] == ["first says hello"]


def test_it_tails_several_groups_in_one_session(logs):
    two_groups(logs)
    put(logs, "/aws/lambda/third", STREAM, ["third is not asked for"])
    _, update = tail(logs, logGroupIdentifiers=[
        group_arn("/aws/lambda/first"), group_arn("/aws/lambda/second")])
    assert sorted(e["message"] for e in update["sessionResults"]) == [
        "first says hello", "second again", "second says hello"]


def test_it_keeps_to_the_streams_named_or_prefixed(logs):
    put(logs, "/aws/lambda/worker", "2026/11/27/[$LATEST]aaaa", ["from aaaa"])
    put(logs, "/aws/lambda/worker", "2026/11/28/[$LATEST]bbbb", ["from bbbb"])
    put(logs, "/aws/lambda/other", "2026/11/27/[$LATEST]cccc", ["from another group"])
    arn = group_arn("/aws/lambda/worker")
    _, named = tail(logs, logGroupIdentifiers=[arn], logStreamNames=["2026/11/28/[$LATEST]bbbb"])
    _, prefixed = tail(logs, logGroupIdentifiers=[arn], logStreamNamePrefixes=["2026/11/27/"])
    assert [e["message"] for e in named["sessionResults"]] == ["from bbbb"]
    assert [e["message"] for e in prefixed["sessionResults"]] == ["from aaaa"]


def test_a_group_with_more_than_500_events_replays_its_newest_500_sampled(logs):
    start = now_ms() - 10_000
    put(logs, "/aws/lambda/busy", STREAM, [f"line {n}" for n in range(700)], start=start)
    put(logs, "/aws/lambda/later", STREAM, ["not this group"])
    _, update = tail(logs, logGroupIdentifiers=[group_arn("/aws/lambda/busy")])
    assert [e["message"] for e in update["sessionResults"]] == [f"line {n}" for n in range(200, 700)]
    assert update["sessionMetadata"]["sampled"] is True


def test_an_unknown_group_is_not_found(logs):
    two_groups(logs)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        tail(logs, logGroupIdentifiers=[group_arn("/aws/lambda/missing")])
