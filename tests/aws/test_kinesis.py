import pytest

from flows.aws.kinesis import transform_stream
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import count_calls, make_function, only, reshape, session
from tests.data.kinesis_responses import STREAM_DESCRIPTION, STREAM_SUMMARY, SUMMARY_WITHOUT_ARN

ACCOUNT = "123456789012"


@pytest.mark.django_db
def test_it_discovers_streams_from_the_listing_alone(aws):
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=2)
    kinesis.create_stream(StreamName="views", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    counted = session()
    calls = count_calls(counted)

    run = sync_account(["us-east-1"], session=counted, collectors=only("kinesis"))

    clicks = Resource.objects.get(name="clicks")
    assert clicks.type == "kinesis_stream"
    assert clicks.arn == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"
    assert clicks.attributes["status"] == "ACTIVE"
    assert clicks.attributes["stream_mode"] == "PROVISIONED"
    assert Resource.objects.get(name="views").attributes["stream_mode"] == "ON_DEMAND"
    # Summaries carry what we need: no call per stream.
    assert "kinesis.DescribeStreamSummary" not in calls
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_describes_streams_when_the_listing_has_names_only(aws):
    aws("kinesis").create_stream(StreamName="clicks", ShardCount=3)
    older_api = session()

    def names_only(parsed):
        parsed.pop("StreamSummaries", None)

    reshape(older_api, "kinesis", "ListStreams", names_only)

    sync_account(["us-east-1"], session=older_api, collectors=only("kinesis"))

    clicks = Resource.objects.get(name="clicks")
    assert clicks.attributes["shard_count"] == 3
    assert clicks.attributes["retention_hours"] == 24
    assert clicks.attributes["status"] == "ACTIVE"


@pytest.mark.django_db
def test_the_stream_mapping_edge_lands_on_the_discovered_stream(aws):
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"]["StreamARN"]
    function_arn = make_function(aws, "counter")
    aws("lambda").create_event_source_mapping(EventSourceArn=stream_arn, FunctionName="counter",
                                              StartingPosition="TRIM_HORIZON")

    sync_account(["us-east-1"], collectors=only("lambda", "kinesis"))

    edge = Edge.objects.get(kind="kinesis")
    assert (edge.source_arn, edge.target_arn) == (stream_arn, function_arn)
    assert Resource.objects.get(arn=stream_arn).discovered is True


def test_it_leaves_out_what_a_list_summary_does_not_carry():
    node = transform_stream(STREAM_SUMMARY, "us-east-1", ACCOUNT)
    assert node.attributes == {"status": "ACTIVE", "stream_mode": "ON_DEMAND",
                               "creation_date": "2024-02-01T00:00:00+00:00"}


def test_it_reads_shards_and_retention_from_a_description():
    node = transform_stream(STREAM_DESCRIPTION, "us-east-1", ACCOUNT)
    assert node.attributes["shard_count"] == 4
    assert node.attributes["retention_hours"] == 168
    assert node.attributes["encryption"] == "KMS"
    assert node.attributes["stream_mode"] == "PROVISIONED"


def test_it_names_a_stream_by_the_given_arn_when_the_summary_lacks_one():
    arn = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orphan"
    node = transform_stream(SUMMARY_WITHOUT_ARN, "us-east-1", ACCOUNT, arn)
    assert (node.arn, node.name) == (arn, "orphan")
