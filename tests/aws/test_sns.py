import pytest

from flows.aws.sns import transform_subscription, transform_topic
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import (
    before_each_call,
    deny,
    make_function,
    make_queue,
    only,
    session,
)
from tests.data.sns_responses import (
    HTTPS_SUBSCRIPTION,
    LAMBDA_SUBSCRIPTION_ON_ALIAS,
    LAMBDA_SUBSCRIPTION_TO_NON_FUNCTION,
    PENDING_SQS_SUBSCRIPTION,
    TOPIC_ARN,
    TOPIC_ATTRIBUTES,
    TOPIC_ATTRIBUTES_BAD_POLICY,
)


@pytest.mark.django_db
def test_it_discovers_topics_with_display_name_policy_and_tags(aws):
    topic_arn = aws("sns").create_topic(Name="orders", Attributes={"DisplayName": "Orders"},
                                        Tags=[{"Key": "team", "Value": "billing"}])["TopicArn"]
    aws("sns").subscribe(TopicArn=topic_arn, Protocol="email", Endpoint="ops@example.com")

    run = sync_account(["us-east-1"])

    topic = Resource.objects.get(type="sns_topic")
    assert topic.arn == topic_arn
    assert topic.name == "orders"
    assert topic.region == "us-east-1"
    assert topic.attributes["display_name"] == "Orders"
    assert topic.attributes["policy"]["Statement"][0]["Resource"] == topic_arn
    assert topic.attributes["tags"] == {"team": "billing"}
    assert topic.attributes["other_subscriptions"] == {"email": 1}
    assert topic.attributes["fifo"] is False
    # The email endpoint is not a resource: no node, no edge.
    assert not Edge.objects.filter(kind="sns").exists()
    assert Resource.objects.count() == 1
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_links_topic_to_function_and_queue_with_subscription_attributes(aws):
    function_arn = make_function(aws, "bill")
    _, queue_arn = make_queue(aws, "audit")
    sns = aws("sns")
    topic_arn = sns.create_topic(Name="orders")["TopicArn"]
    to_function = sns.subscribe(TopicArn=topic_arn, Protocol="lambda",
                                Endpoint=f"{function_arn}:live")["SubscriptionArn"]
    to_queue = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]

    run = sync_account(["us-east-1"], collectors=only("lambda", "sns", "sqs"))

    function_edge = Edge.objects.get(kind="sns", target_arn=function_arn)
    assert function_edge.source_arn == topic_arn
    assert function_edge.key == to_function
    assert function_edge.attributes["subscription_arn"] == to_function
    assert function_edge.attributes["protocol"] == "lambda"
    assert function_edge.attributes["alias"] == "live"
    assert function_edge.origin == "sns:us-east-1"
    queue_edge = Edge.objects.get(kind="sns", target_arn=queue_arn)
    assert queue_edge.key == to_queue
    assert queue_edge.attributes["protocol"] == "sqs"
    assert "alias" not in queue_edge.attributes
    assert Resource.objects.get(arn=queue_arn).type == "sqs_queue"
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_flags_a_function_subscription_the_function_policy_does_not_allow(aws):
    allowed = make_function(aws, "allowed")
    forbidden = make_function(aws, "forbidden")
    sns = aws("sns")
    topic_arn = sns.create_topic(Name="orders")["TopicArn"]
    for function_arn in (allowed, forbidden):
        sns.subscribe(TopicArn=topic_arn, Protocol="lambda", Endpoint=function_arn)
    aws("lambda").add_permission(FunctionName="allowed", StatementId="sns", Action="lambda:InvokeFunction",
                                 Principal="sns.amazonaws.com", SourceArn=topic_arn)

    sync_account(["us-east-1"], collectors=only("lambda", "sns"))

    assert Edge.objects.get(kind="sns", target_arn=allowed).attributes["permitted"] is True
    assert Edge.objects.get(kind="sns", target_arn=forbidden).attributes["permitted"] is False


@pytest.mark.django_db
def test_it_skips_a_topic_deleted_between_listing_and_describing(aws):
    sns = aws("sns")
    kept = sns.create_topic(Name="kept")["TopicArn"]
    doomed = sns.create_topic(Name="doomed")["TopicArn"]
    sns.subscribe(TopicArn=doomed, Protocol="lambda", Endpoint=make_function(aws, "fn"))
    racing = session()

    def delete_doomed(params):
        if params["TopicArn"] == doomed:
            sns.delete_topic(TopicArn=doomed)

    before_each_call(racing, "sns", "GetTopicAttributes", delete_doomed)

    run = sync_account(["us-east-1"], session=racing, collectors=only("sns"))

    assert set(Resource.objects.filter(type="sns_topic").values_list("arn", flat=True)) == {kept}
    assert not Edge.objects.filter(kind="sns").exists()
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_keeps_the_previous_topics_when_listing_is_denied(aws):
    topic_arn = aws("sns").create_topic(Name="orders")["TopicArn"]
    queue_url, _ = make_queue(aws, "jobs")
    sync_account(["us-east-1"], collectors=only("sns", "sqs"))
    denied = session()
    deny(denied, "sns", "ListTopics")

    run = sync_account(["us-east-1"], session=denied, collectors=only("sns", "sqs"))

    assert run.status == "partial"
    assert any(e["service"] == "sns" and e["fatal"] and e["code"] == "AccessDenied" for e in run.errors)
    assert Resource.objects.filter(arn=topic_arn, type="sns_topic").exists()
    assert Resource.objects.filter(type="sqs_queue", attributes__url=queue_url).exists()


def test_it_maps_a_qualified_function_endpoint_to_the_function_and_keeps_the_alias():
    edge, problem = transform_subscription(LAMBDA_SUBSCRIPTION_ON_ALIAS)
    assert problem is None
    assert edge.source == TOPIC_ARN
    assert edge.target == "arn:aws:lambda:us-east-1:123456789012:function:bill"
    assert edge.attributes["alias"] == "live"
    assert edge.key == LAMBDA_SUBSCRIPTION_ON_ALIAS["SubscriptionArn"]


def test_it_keeps_a_pending_subscription_marked_pending():
    edge, problem = transform_subscription(PENDING_SQS_SUBSCRIPTION)
    assert problem is None
    assert edge.target == "arn:aws:sqs:us-east-1:210987654321:audit"
    assert edge.attributes["pending"] is True
    assert "subscription_arn" not in edge.attributes
    assert edge.key == "PendingConfirmation:arn:aws:sqs:us-east-1:210987654321:audit"


def test_it_does_not_graph_http_endpoints():
    assert transform_subscription(HTTPS_SUBSCRIPTION) == (None, None)


def test_it_reports_a_lambda_subscription_whose_endpoint_is_not_a_function():
    edge, problem = transform_subscription(LAMBDA_SUBSCRIPTION_TO_NON_FUNCTION)
    assert edge is None
    assert "not a function ARN" in problem


def test_it_reads_subscription_counts_and_policy_from_topic_attributes():
    node = transform_topic(TOPIC_ARN, TOPIC_ATTRIBUTES, {}, "us-east-1", "123456789012")
    assert node.attributes["subscriptions_confirmed"] == 3
    assert node.attributes["subscriptions_pending"] == 1
    assert node.attributes["policy"]["Statement"][0]["Action"] == "SNS:Publish"
    assert "policy_error" not in node.attributes


def test_it_keeps_a_topic_whose_policy_is_not_json_and_says_so():
    node = transform_topic(TOPIC_ARN, TOPIC_ATTRIBUTES_BAD_POLICY, {}, "us-east-1", "123456789012")
    assert node.attributes["policy"] is None
    assert node.attributes["policy_error"]
    assert node.attributes["display_name"] == "Orders"


@pytest.mark.django_db
def test_it_reads_every_page_of_subscriptions(aws):
    sns = aws("sns")
    topic_arn = sns.create_topic(Name="busy")["TopicArn"]
    # ListSubscriptions serves 100 per page: 150 needs the paginator to follow NextToken.
    for i in range(150):
        sns.subscribe(TopicArn=topic_arn, Protocol="lambda",
                      Endpoint=f"arn:aws:lambda:us-east-1:123456789012:function:f{i}")

    sync_account(["us-east-1"], collectors=only("sns"))

    assert Edge.objects.filter(kind="sns", source_arn=topic_arn).count() == 150
