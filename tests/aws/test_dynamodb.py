import pytest

from flows.aws.dynamodb import transform_table
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import before_each_call, deny, make_function, only, session
from tests.data.dynamodb_responses import OLD_PROVISIONED_TABLE, STREAM_DISABLED_TABLE

ACCOUNT = "123456789012"


def make_table(aws, name, **extra):
    return aws("dynamodb").create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], **extra)["TableDescription"]


@pytest.mark.django_db
def test_it_discovers_tables_with_stream_and_billing_settings(aws):
    streamed = make_table(aws, "chat", BillingMode="PAY_PER_REQUEST", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    make_table(aws, "plain", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    aws("dynamodb").put_item(TableName="plain", Item={"pk": {"S": "a"}})

    run = sync_account(["us-east-1"], collectors=only("dynamodb"))

    chat = Resource.objects.get(name="chat")
    assert chat.type == "dynamodb_table"
    assert chat.arn == streamed["TableArn"]
    assert chat.attributes["stream_enabled"] is True
    assert chat.attributes["stream_view_type"] == "NEW_AND_OLD_IMAGES"
    assert chat.attributes["stream_arn"] == streamed["LatestStreamArn"]
    assert chat.attributes["billing_mode"] == "PAY_PER_REQUEST"
    plain = Resource.objects.get(name="plain")
    assert plain.attributes["stream_enabled"] is False
    assert plain.attributes["stream_view_type"] is None
    assert plain.attributes["billing_mode"] == "PROVISIONED"
    assert plain.attributes["item_count"] == 1
    assert plain.attributes["key_schema"] == [{"name": "pk", "type": "HASH"}]
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_the_stream_mapping_edge_lands_on_the_discovered_table(aws):
    table = make_table(aws, "chat", BillingMode="PAY_PER_REQUEST", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    function_arn = make_function(aws, "fanout")
    aws("lambda").create_event_source_mapping(EventSourceArn=table["LatestStreamArn"],
                                              FunctionName="fanout", StartingPosition="LATEST")

    sync_account(["us-east-1"], collectors=only("lambda", "dynamodb"))

    edge = Edge.objects.get(kind="dynamodb_stream")
    assert (edge.source_arn, edge.target_arn) == (table["TableArn"], function_arn)
    node = Resource.objects.get(arn=edge.source_arn)
    assert node.discovered is True
    assert node.attributes["stream_view_type"] == "NEW_IMAGE"


@pytest.mark.django_db
def test_it_skips_a_table_deleted_between_listing_and_describing(aws):
    make_table(aws, "kept", BillingMode="PAY_PER_REQUEST")
    make_table(aws, "doomed", BillingMode="PAY_PER_REQUEST")
    racing = session()

    def delete_doomed(params):
        if params["TableName"] == "doomed":
            aws("dynamodb").delete_table(TableName="doomed")

    before_each_call(racing, "dynamodb", "DescribeTable", delete_doomed)

    run = sync_account(["us-east-1"], session=racing, collectors=only("dynamodb"))

    assert list(Resource.objects.values_list("name", flat=True)) == ["kept"]
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_warns_and_keeps_a_table_it_may_not_describe(aws):
    make_table(aws, "chat", BillingMode="PAY_PER_REQUEST")
    denied = session()
    deny(denied, "dynamodb", "DescribeTable")

    run = sync_account(["us-east-1"], session=denied, collectors=only("dynamodb"))

    table = Resource.objects.get(type="dynamodb_table")
    assert table.arn == f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/chat"
    assert table.attributes["attributes_unavailable"] is True
    assert table.attributes["billing_mode"] is None
    assert run.status == "partial"


def test_it_treats_a_table_without_billing_summary_as_provisioned():
    node = transform_table(OLD_PROVISIONED_TABLE, "unused", "us-east-1", ACCOUNT)
    assert node.arn == OLD_PROVISIONED_TABLE["TableArn"]
    assert node.attributes["billing_mode"] == "PROVISIONED"
    assert node.attributes["stream_enabled"] is False
    assert node.attributes["stream_arn"] is None
    assert node.attributes["creation_date"] == "2016-03-01T00:00:00+00:00"


def test_it_keeps_the_last_stream_of_a_disabled_stream_without_a_view_type():
    node = transform_table(STREAM_DISABLED_TABLE, "unused", "us-east-1", ACCOUNT)
    assert node.attributes["stream_enabled"] is False
    assert node.attributes["stream_view_type"] is None
    assert node.attributes["stream_arn"].endswith("/stream/2024-01-01T00:00:00.000")
    assert node.attributes["global_secondary_indexes"] == ["by-room"]
    assert node.attributes["replica_regions"] == ["eu-west-1"]
