import boto3
import pytest
from botocore.stub import Stubber

from flows.aws.s3 import get_buckets, transform_bucket, transform_notifications
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import (
    before_each_call,
    count_calls,
    deny,
    make_function,
    make_queue,
    only,
    reshape,
    session,
)
from tests.data.s3_responses import (
    BUCKET,
    BUCKET_ARN,
    NOTIFICATION,
    NOTIFICATION_WITH_WRONG_TARGETS,
)

ACCOUNT = "123456789012"
CREATED = ["s3:ObjectCreated:*"]


def notify(aws, bucket, **configuration):
    aws("s3").put_bucket_notification_configuration(Bucket=bucket,
                                                    NotificationConfiguration=configuration)


@pytest.mark.django_db
def test_it_links_a_bucket_to_the_function_queue_and_topic_it_notifies(aws):
    function_arn = make_function(aws, "thumbnail")
    _, queue_arn = make_queue(aws, "audit")
    topic_arn = aws("sns").create_topic(Name="uploads")["TopicArn"]
    aws("s3").create_bucket(Bucket="uploads")
    notify(aws, "uploads",
           LambdaFunctionConfigurations=[{
               "Id": "thumbnails", "LambdaFunctionArn": f"{function_arn}:prod",
               "Events": ["s3:ObjectCreated:Put"],
               "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"},
                                                  {"Name": "suffix", "Value": ".jpg"}]}}}],
           QueueConfigurations=[{"Id": "audit", "QueueArn": queue_arn, "Events": ["s3:ObjectRemoved:*"]}],
           TopicConfigurations=[{"Id": "fanout", "TopicArn": topic_arn, "Events": CREATED}])

    run = sync_account(["us-east-1"], collectors=only("lambda", "sqs", "sns", "s3"))

    bucket = Resource.objects.get(type="s3_bucket")
    assert (bucket.arn, bucket.name, bucket.region) == ("arn:aws:s3:::uploads", "uploads", "us-east-1")
    assert bucket.origin == "s3:global"
    to_function = Edge.objects.get(kind="s3", target_arn=function_arn)
    assert to_function.source_arn == bucket.arn
    assert to_function.key == "thumbnails"
    assert to_function.attributes["configuration_id"] == "thumbnails"
    assert to_function.attributes["events"] == ["s3:ObjectCreated:Put"]
    assert (to_function.attributes["prefix"], to_function.attributes["suffix"]) == ("images/", ".jpg")
    assert to_function.attributes["alias"] == "prod"
    to_queue = Edge.objects.get(kind="s3", target_arn=queue_arn)
    assert to_queue.attributes["events"] == ["s3:ObjectRemoved:*"]
    assert "prefix" not in to_queue.attributes
    assert Edge.objects.get(kind="s3", target_arn=topic_arn).key == "fanout"
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_checks_the_function_permits_the_bucket_that_notifies_it(aws):
    permitted = make_function(aws, "permitted")
    unpermitted = make_function(aws, "unpermitted")
    aws("s3").create_bucket(Bucket="uploads")
    notify(aws, "uploads", LambdaFunctionConfigurations=[
        {"Id": "a", "LambdaFunctionArn": permitted, "Events": CREATED},
        {"Id": "b", "LambdaFunctionArn": unpermitted, "Events": CREATED}])
    aws("lambda").add_permission(FunctionName="permitted", StatementId="s3", Principal="s3.amazonaws.com",
                                 Action="lambda:InvokeFunction", SourceArn="arn:aws:s3:::uploads",
                                 SourceAccount=ACCOUNT)
    # Permission for another bucket does not count.
    aws("lambda").add_permission(FunctionName="unpermitted", StatementId="s3", Principal="s3.amazonaws.com",
                                 Action="lambda:InvokeFunction", SourceArn="arn:aws:s3:::elsewhere")

    sync_account(["us-east-1"], collectors=only("lambda", "s3"))

    assert Edge.objects.get(kind="s3", target_arn=permitted).attributes["permitted"] is True
    assert Edge.objects.get(kind="s3", target_arn=unpermitted).attributes["permitted"] is False


@pytest.mark.django_db
def test_it_collects_buckets_of_regions_not_being_synced_with_their_region(aws):
    aws("s3").create_bucket(Bucket="home-bucket")
    aws("s3", "eu-west-1").create_bucket(Bucket="far-bucket",
                                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    run = sync_account(["us-east-1"], collectors=only("s3"))

    regions = dict(Resource.objects.filter(type="s3_bucket").values_list("name", "region"))
    assert regions == {"home-bucket": "us-east-1", "far-bucket": "eu-west-1"}
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_takes_the_region_from_list_buckets_when_given_instead_of_asking_each_bucket(aws):
    aws("s3").create_bucket(Bucket="listed-bucket")
    newer_api = session()

    def add_bucket_region(parsed):
        for bucket in parsed.get("Buckets", []):
            bucket["BucketRegion"] = "ap-southeast-2"

    reshape(newer_api, "s3", "ListBuckets", add_bucket_region)
    calls = count_calls(newer_api)

    sync_account(["us-east-1"], session=newer_api, collectors=only("s3"))

    assert Resource.objects.get(type="s3_bucket").region == "ap-southeast-2"
    assert "s3.GetBucketLocation" not in calls
    assert calls["s3.GetBucketNotificationConfiguration"] == 1


@pytest.mark.django_db
def test_it_skips_a_bucket_deleted_between_listing_and_describing(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="kept-bucket")
    s3.create_bucket(Bucket="doomed-bucket")
    racing = session()

    def delete_doomed(params):
        if params["Bucket"] == "doomed-bucket":
            s3.delete_bucket(Bucket="doomed-bucket")

    before_each_call(racing, "s3", "GetBucketLocation", delete_doomed)

    run = sync_account(["us-east-1"], session=racing, collectors=only("s3"))

    assert list(Resource.objects.values_list("name", flat=True)) == ["kept-bucket"]
    assert run.status == "success", run.errors


def test_it_reads_every_notification_configuration_with_filters_and_alias():
    node, edges, problems = transform_bucket(BUCKET, "eu-west-1", NOTIFICATION, "aws", ACCOUNT)
    assert problems == []
    assert node.arn == BUCKET_ARN and node.region == "eu-west-1"
    assert node.attributes["eventbridge_enabled"] is True
    by_target = {edge.target: edge for edge in edges}
    function = by_target["arn:aws:lambda:eu-west-1:123456789012:function:thumbnail"]
    assert function.attributes["alias"] == "prod"
    assert function.attributes["prefix"] == "images/"
    assert function.attributes["suffix"] == ".jpg"
    assert function.attributes["events"] == ["s3:ObjectCreated:Put", "s3:ObjectCreated:Post"]
    assert by_target["arn:aws:sqs:eu-west-1:123456789012:audit"].key == "audit"
    assert {edge.kind for edge in edges} == {"s3"}


def test_it_keys_a_configuration_without_id_by_a_stable_digest():
    first, _ = transform_notifications(BUCKET_ARN, NOTIFICATION)
    second, _ = transform_notifications(BUCKET_ARN, {
        "TopicConfigurations": [dict(NOTIFICATION["TopicConfigurations"][0])]})
    topic_edge = next(e for e in first if e.target.endswith(":uploads"))
    assert topic_edge.key.startswith("sha256:")
    assert topic_edge.key == second[0].key
    assert topic_edge.attributes["configuration_id"] is None


def test_it_says_eventbridge_is_off_when_the_configuration_lacks_it():
    node, _, _ = transform_bucket(BUCKET, "eu-west-1", {}, "aws", ACCOUNT)
    assert node.attributes["eventbridge_enabled"] is False


def test_it_reports_configurations_whose_target_is_not_of_their_kind():
    edges, problems = transform_notifications(BUCKET_ARN, NOTIFICATION_WITH_WRONG_TARGETS)
    assert edges == []
    assert len(problems) == 3
    assert any("not-a-function" in p for p in problems)


def test_it_lists_buckets_in_pages_so_that_s3_includes_their_region():
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stubber:
        stubber.add_response("list_buckets", {"Buckets": [{"Name": "a", "BucketRegion": "eu-west-1"}],
                                              "ContinuationToken": "t1"}, {"MaxBuckets": 10000})
        stubber.add_response("list_buckets", {"Buckets": [{"Name": "b", "BucketRegion": "us-east-1"}]},
                             {"MaxBuckets": 10000, "ContinuationToken": "t1"})
        assert [b["Name"] for b in get_buckets(client)] == ["a", "b"]
        stubber.assert_no_pending_responses()


@pytest.mark.django_db
def test_it_still_reads_notifications_when_the_bucket_location_is_denied(aws):
    function_arn = make_function(aws, "thumbnail")
    aws("s3").create_bucket(Bucket="uploads")
    notify(aws, "uploads", LambdaFunctionConfigurations=[
        {"Id": "a", "LambdaFunctionArn": function_arn, "Events": CREATED}])
    denied = session()
    deny(denied, "s3", "GetBucketLocation")

    run = sync_account(["us-east-1"], session=denied, collectors=only("s3"))

    bucket = Resource.objects.get(type="s3_bucket")
    assert bucket.region == ""
    assert "notifications_unavailable" not in bucket.attributes
    assert Edge.objects.get(kind="s3").target_arn == function_arn
    assert run.status == "partial"
    assert [e["resource"] for e in run.errors] == ["arn:aws:s3:::uploads"]
