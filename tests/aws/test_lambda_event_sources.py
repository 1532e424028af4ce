"""Event source mappings the emulator cannot create: MSK, self-managed Kafka, Amazon MQ and
DocumentDB. Answers come canned (botocore Stubber), or spliced into the emulator's real answer."""
import boto3
import pytest
from botocore.stub import Stubber

from flows.aws.lambda_ import get_event_source_mappings, transform_event_source_mapping
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import make_function, only, reshape, session
from tests.data.lambda_responses import (
    DOCUMENTDB_CLUSTER_ARN,
    DOCUMENTDB_MAPPING,
    MQ_BROKER_ARN,
    MQ_MAPPING,
    MSK_CLUSTER_ARN,
    MSK_MAPPING,
    SELF_MANAGED_KAFKA_MAPPING,
)

KAFKA_ID = "kafka://kafka-1.internal.example:9092,kafka-2.internal.example:9092"


def test_it_reads_every_page_of_mappings_and_graphs_the_four_sources():
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("list_event_source_mappings",
                          {"EventSourceMappings": [MSK_MAPPING, SELF_MANAGED_KAFKA_MAPPING], "NextMarker": "p2"}, {})
        stub.add_response("list_event_source_mappings",
                          {"EventSourceMappings": [MQ_MAPPING, DOCUMENTDB_MAPPING]}, {"Marker": "p2"})
        mappings = get_event_source_mappings(client)
    edges = [transform_event_source_mapping(m)[0][0] for m in mappings]
    assert [(e.kind, e.source) for e in edges] == [
        ("msk", MSK_CLUSTER_ARN), ("kafka", KAFKA_ID), ("mq", MQ_BROKER_ARN),
        ("documentdb", DOCUMENTDB_CLUSTER_ARN)]


def test_it_keeps_topics_queues_consumer_group_and_collection():
    msk = transform_event_source_mapping(MSK_MAPPING)[0][0]
    assert msk.attributes["topics"] == ["orders"]
    assert msk.attributes["consumer_group_id"] == "bill-consumers"
    kafka = transform_event_source_mapping(SELF_MANAGED_KAFKA_MAPPING)[0][0]
    assert kafka.attributes["alias"] == "live"
    assert kafka.attributes["bootstrap_servers"] == ["kafka-2.internal.example:9092",
                                                     "kafka-1.internal.example:9092"]
    assert transform_event_source_mapping(MQ_MAPPING)[0][0].attributes["queues"] == ["payments.in"]
    docdb = transform_event_source_mapping(DOCUMENTDB_MAPPING)[0][0]
    assert (docdb.attributes["database"], docdb.attributes["collection"]) == ("shop", "products")


def test_the_same_brokers_in_another_order_are_the_same_kafka_cluster():
    reordered = dict(SELF_MANAGED_KAFKA_MAPPING, SelfManagedEventSource={"Endpoints": {
        "KAFKA_BOOTSTRAP_SERVERS": ["kafka-1.internal.example:9092", "kafka-2.internal.example:9092"]}})
    assert transform_event_source_mapping(reordered)[0][0].source == KAFKA_ID


def test_a_mapping_with_neither_arn_nor_brokers_is_reported():
    edges, problem = transform_event_source_mapping({"UUID": "u", "FunctionArn": MSK_MAPPING["FunctionArn"]})
    assert edges is None and "bootstrap servers" in problem


@pytest.mark.django_db
def test_a_sync_gives_each_source_a_node_of_its_type(aws):
    function_arn = make_function(aws, "bill")
    assert function_arn == MSK_MAPPING["FunctionArn"]
    spliced = session()

    def add_mappings(parsed):
        for mapping in (MSK_MAPPING, SELF_MANAGED_KAFKA_MAPPING, MQ_MAPPING, DOCUMENTDB_MAPPING):
            parsed.setdefault("EventSourceMappings", []).append(mapping)

    reshape(spliced, "lambda", "ListEventSourceMappings", add_mappings)

    run = sync_account(["us-east-1"], session=spliced, collectors=only("lambda"))

    types = {r.arn: r.type for r in Resource.objects.exclude(type__in=["lambda_function", "iam_role"])}
    assert types == {MSK_CLUSTER_ARN: "msk_cluster", KAFKA_ID: "kafka_cluster",
                     MQ_BROKER_ARN: "mq_broker", DOCUMENTDB_CLUSTER_ARN: "documentdb_cluster"}
    assert set(Edge.objects.filter(target_arn=function_arn).values_list("kind", flat=True)) >= {
        "msk", "kafka", "mq", "documentdb"}
    assert Resource.objects.get(arn=KAFKA_ID).name == "kafka-1.internal.example:9092,kafka-2.internal.example:9092"
    assert run.status == "success", run.errors
