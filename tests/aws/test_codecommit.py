import json

import pytest

from flows.aws.codecommit import transform_repository, transform_triggers
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.codecommit_responses import REPOSITORY_ARN, TRIGGERS
from tests.data.collector_hooks import before_each_call, deny, make_function, only, session
from tests.faults import answer_html

ACCOUNT = "123456789012"


@pytest.mark.django_db
def test_it_links_repository_triggers_to_functions_and_topics(aws):
    function_arn = make_function(aws, "deploy")
    topic_arn = aws("sns").create_topic(Name="releases")["TopicArn"]
    codecommit = aws("codecommit")
    codecommit.create_repository(repositoryName="website")
    codecommit.put_repository_triggers(repositoryName="website", triggers=[
        {"name": "deploy", "destinationArn": f"{function_arn}:prod", "customData": "secret",
         "branches": ["main"], "events": ["updateReference"]},
        {"name": "announce", "destinationArn": topic_arn, "branches": [], "events": ["all"]}])

    run = sync_account(["us-east-1"], collectors=only("lambda", "sns", "codecommit"))

    repository = Resource.objects.get(type="codecommit_repository")
    assert repository.arn == f"arn:aws:codecommit:us-east-1:{ACCOUNT}:website"
    assert repository.name == "website"
    assert repository.attributes["trigger_count"] == 2
    deploy = Edge.objects.get(kind="codecommit", target_arn=function_arn)
    assert deploy.source_arn == repository.arn
    assert deploy.key == "deploy"
    assert deploy.attributes["branches"] == ["main"]
    assert deploy.attributes["events"] == ["updateReference"]
    assert deploy.attributes["custom_data"] is True
    assert deploy.attributes["alias"] == "prod"
    assert "secret" not in json.dumps(deploy.attributes)
    announce = Edge.objects.get(kind="codecommit", target_arn=topic_arn)
    assert announce.attributes["branches"] == []
    assert announce.attributes["custom_data"] is False
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_checks_the_function_permits_the_repository(aws):
    function_arn = make_function(aws, "deploy")
    codecommit = aws("codecommit")
    for name in ("allowed", "other"):
        codecommit.create_repository(repositoryName=name)
        codecommit.put_repository_triggers(repositoryName=name, triggers=[
            {"name": "deploy", "destinationArn": function_arn, "events": ["all"]}])
    aws("lambda").add_permission(
        FunctionName="deploy", StatementId="cc", Action="lambda:InvokeFunction",
        Principal="codecommit.amazonaws.com", SourceArn=f"arn:aws:codecommit:us-east-1:{ACCOUNT}:allowed")

    sync_account(["us-east-1"], collectors=only("lambda", "codecommit"))

    permitted = {e.source_arn.rsplit(":", 1)[1]: e.attributes["permitted"]
                 for e in Edge.objects.filter(kind="codecommit")}
    assert permitted == {"allowed": True, "other": False}


@pytest.mark.django_db
def test_it_skips_a_repository_deleted_between_listing_and_reading_triggers(aws):
    codecommit = aws("codecommit")
    codecommit.create_repository(repositoryName="kept")
    codecommit.create_repository(repositoryName="doomed")
    racing = session()

    def delete_doomed(params):
        if params["repositoryName"] == "doomed":
            codecommit.delete_repository(repositoryName="doomed")

    before_each_call(racing, "codecommit", "GetRepositoryTriggers", delete_doomed)

    run = sync_account(["us-east-1"], session=racing, collectors=only("codecommit"))

    assert list(Resource.objects.values_list("name", flat=True)) == ["kept"]
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_keeps_a_repository_whose_triggers_are_denied_and_warns(aws):
    aws("codecommit").create_repository(repositoryName="website")
    denied = session()
    deny(denied, "codecommit", "GetRepositoryTriggers")

    run = sync_account(["us-east-1"], session=denied, collectors=only("codecommit"))

    assert Resource.objects.get(name="website").attributes["triggers_unavailable"] is True
    assert run.status == "partial"
    assert [e["resource"] for e in run.errors] == [f"arn:aws:codecommit:us-east-1:{ACCOUNT}:website"]


def test_it_turns_lambda_and_sns_triggers_into_edges_and_reports_the_rest():
    node, edges, problems = transform_repository({"repositoryName": "website"}, REPOSITORY_ARN,
                                                 "us-east-1", ACCOUNT, TRIGGERS)
    assert node.attributes["trigger_count"] == 4
    assert node.attributes["triggers_configuration_id"] == TRIGGERS["configurationId"]
    assert {e.key: e.target for e in edges} == {
        "deploy": "arn:aws:lambda:us-east-1:123456789012:function:deploy",
        "announce": "arn:aws:sns:us-east-1:123456789012:releases"}
    assert len(problems) == 2
    assert any("builds" in p for p in problems)


def test_it_records_only_whether_custom_data_is_set():
    edges, _ = transform_triggers(REPOSITORY_ARN, TRIGGERS["triggers"][:1])
    assert edges[0].attributes["custom_data"] is True
    assert "s3cr3t" not in json.dumps(edges[0].attributes)


def test_it_keeps_a_repository_without_triggers_information():
    node, edges, problems = transform_repository({"repositoryName": "website"}, REPOSITORY_ARN,
                                                 "us-east-1", ACCOUNT, None)
    assert (edges, problems) == ([], [])
    assert "trigger_count" not in node.attributes


@pytest.mark.django_db
def test_it_summarises_an_html_error_page_as_status_service_and_operation(aws, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "AWS_MAX_ATTEMPTS": 1}
    proxied = session()
    answer_html(proxied, "codecommit", "ListRepositories")

    run = sync_account(["us-east-1"], session=proxied, collectors=only("codecommit", "sqs"))

    assert run.status == "partial"
    assert [(e["service"], e["message"]) for e in run.errors] == [
        ("codecommit", "HTTP 500 from codecommit ListRepositories")]


@pytest.mark.django_db
def test_it_never_repeats_an_unparseable_answer_in_the_error(aws, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "AWS_MAX_ATTEMPTS": 1}
    proxied = session()
    answer_html(proxied, "sns", "ListTopics")

    run = sync_account(["us-east-1"], session=proxied, collectors=only("sns"))

    assert run.status == "failed"
    assert "<" not in run.errors[0]["message"]
    assert "not an AWS response" in run.errors[0]["message"]
