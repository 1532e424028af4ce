import json

import boto3
import pytest
from botocore.stub import Stubber

from flows.aws.sqs import get_queue_urls, transform_queue
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import before_each_call, deny, make_queue, only, reshape, session
from tests.data.sqs_responses import (
    DLQ_ARN,
    FIFO_QUEUE_ATTRIBUTES,
    MALFORMED_REDRIVE_ATTRIBUTES,
    NON_NUMERIC_ATTRIBUTES,
    QUEUE_ARN,
    QUEUE_URL,
    REDRIVE_WITHOUT_TARGET_ATTRIBUTES,
)

ACCOUNT = "123456789012"


@pytest.mark.django_db
def test_it_discovers_queues_with_their_settings_and_tags(aws):
    url, arn = make_queue(aws, "jobs", VisibilityTimeout="45", MessageRetentionPeriod="86400",
                          KmsMasterKeyId="alias/jobs")
    aws("sqs").tag_queue(QueueUrl=url, Tags={"team": "batch"})
    fifo_url, fifo_arn = make_queue(aws, "ordered.fifo", FifoQueue="true")

    run = sync_account(["us-east-1"], collectors=only("sqs"))

    queue = Resource.objects.get(arn=arn)
    assert queue.type == "sqs_queue"
    assert queue.name == "jobs"
    assert queue.attributes["url"] == url
    assert queue.attributes["visibility_timeout"] == 45
    assert queue.attributes["message_retention"] == 86400
    assert queue.attributes["kms_master_key_id"] == "alias/jobs"
    assert queue.attributes["fifo"] is False
    assert queue.attributes["redrive_policy"] is None
    assert queue.attributes["tags"] == {"team": "batch"}
    fifo = Resource.objects.get(arn=fifo_arn)
    assert fifo.attributes["fifo"] is True
    assert fifo.attributes["url"] == fifo_url
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_links_a_queue_to_its_dead_letter_queue(aws):
    _, dlq_arn = make_queue(aws, "jobs-dlq")
    _, arn = make_queue(aws, "jobs", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}))

    sync_account(["us-east-1"], collectors=only("sqs"))

    edge = Edge.objects.get(kind="dead_letter")
    assert (edge.source_arn, edge.target_arn) == (arn, dlq_arn)
    assert edge.attributes["max_receive_count"] == 5
    assert Resource.objects.get(arn=arn).attributes["redrive_policy"]["deadLetterTargetArn"] == dlq_arn
    assert Resource.objects.get(arn=dlq_arn).discovered is True


@pytest.mark.django_db
def test_it_notes_a_malformed_redrive_policy_and_keeps_the_queue(aws):
    _, arn = make_queue(aws, "jobs")
    broken = session()

    def break_redrive(parsed):
        parsed["Attributes"]["RedrivePolicy"] = "{deadLetterTargetArn: oops"

    reshape(broken, "sqs", "GetQueueAttributes", break_redrive)

    run = sync_account(["us-east-1"], session=broken, collectors=only("sqs"))

    queue = Resource.objects.get(arn=arn)
    assert queue.attributes["redrive_policy"] is None
    assert queue.attributes["redrive_policy_raw"] == "{deadLetterTargetArn: oops"
    assert not Edge.objects.exists()
    notes = [e for e in run.errors if e["code"] == "MalformedQueueAttribute"]
    assert notes and notes[0]["resource"] == arn
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_skips_a_queue_deleted_between_listing_and_describing(aws):
    _, kept_arn = make_queue(aws, "kept")
    doomed_url, _ = make_queue(aws, "doomed")
    racing = session()

    def delete_doomed(params):
        if params["QueueUrl"] == doomed_url:
            aws("sqs").delete_queue(QueueUrl=doomed_url)

    before_each_call(racing, "sqs", "GetQueueAttributes", delete_doomed)

    run = sync_account(["us-east-1"], session=racing, collectors=only("sqs"))

    assert list(Resource.objects.values_list("arn", flat=True)) == [kept_arn]
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_warns_and_keeps_a_queue_whose_attributes_are_denied(aws):
    url, arn = make_queue(aws, "jobs")
    denied = session()
    deny(denied, "sqs", "GetQueueAttributes")

    run = sync_account(["us-east-1"], session=denied, collectors=only("sqs"))

    queue = Resource.objects.get(arn=arn)
    assert queue.attributes["attributes_unavailable"] is True
    assert queue.attributes["url"] == url
    assert run.status == "partial"
    warning, = [e for e in run.errors if e["code"] == "AccessDenied"]
    assert warning["resource"] == arn and warning["fatal"] is False


@pytest.mark.django_db
def test_it_fails_the_service_when_listing_queues_is_denied(aws):
    make_queue(aws, "jobs")
    sync_account(["us-east-1"], collectors=only("sqs", "sns"))
    denied = session()
    deny(denied, "sqs", "ListQueues")

    run = sync_account(["us-east-1"], session=denied, collectors=only("sqs", "sns"))

    assert run.status == "partial"
    assert any(e["service"] == "sqs" and e["fatal"] for e in run.errors)
    assert Resource.objects.filter(type="sqs_queue", name="jobs").exists()


def test_it_reads_fifo_settings_and_a_string_receive_count():
    node, edges, problems = transform_queue(QUEUE_URL, FIFO_QUEUE_ATTRIBUTES, {}, QUEUE_ARN,
                                            "us-east-1", ACCOUNT)
    assert problems == []
    assert node.name == "orders.fifo"
    assert node.attributes["fifo"] is True
    assert node.attributes["content_based_deduplication"] is True
    assert node.attributes["visibility_timeout"] == 180
    assert node.attributes["receive_wait_time"] == 20
    edge, = edges
    assert (edge.source, edge.target, edge.kind) == (QUEUE_ARN, DLQ_ARN, "dead_letter")
    assert edge.attributes["max_receive_count"] == 4


def test_it_reports_malformed_redrive_json_without_an_edge():
    node, edges, problems = transform_queue(QUEUE_URL, MALFORMED_REDRIVE_ATTRIBUTES, {}, QUEUE_ARN,
                                            "us-east-1", ACCOUNT)
    assert edges == []
    assert "not valid JSON" in problems[0]
    assert node.attributes["visibility_timeout"] == 30


def test_it_reports_a_redrive_policy_that_names_no_queue():
    _, edges, problems = transform_queue(QUEUE_URL, REDRIVE_WITHOUT_TARGET_ATTRIBUTES, {}, QUEUE_ARN,
                                         "us-east-1", ACCOUNT)
    assert edges == []
    assert "deadLetterTargetArn" in problems[0]


def test_it_survives_non_numeric_settings_and_a_non_object_redrive_policy():
    node, edges, problems = transform_queue(QUEUE_URL, NON_NUMERIC_ATTRIBUTES, {}, QUEUE_ARN,
                                            "us-east-1", ACCOUNT)
    assert node.attributes["visibility_timeout"] is None
    assert edges == []
    assert "not a JSON object" in problems[0]


def test_it_asks_for_full_pages_and_follows_the_token():
    client = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    first = [f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q{i}" for i in range(1000)]
    last = [f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q1000"]
    with Stubber(client) as stubber:
        stubber.add_response("list_queues", {"QueueUrls": first, "NextToken": "t1"},
                             {"MaxResults": 1000})
        stubber.add_response("list_queues", {"QueueUrls": last}, {"MaxResults": 1000, "NextToken": "t1"})
        assert get_queue_urls(client) == first + last
        stubber.assert_no_pending_responses()
