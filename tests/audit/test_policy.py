import json
from datetime import UTC, datetime
from urllib.parse import quote

from flows.audit.policy import parse_policy, wildcard_match

from .helpers import allow

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def test_it_reads_a_url_encoded_json_document():
    policy = parse_policy(quote(json.dumps(allow("s3:GetObject"))), "inline")
    assert policy.problems == []
    assert policy.statements[0].actions == {"s3:getobject"}


def test_it_reads_a_json_string_and_a_single_statement_object():
    document = {"Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}}
    policy = parse_policy(json.dumps(document), "inline")
    assert [s.actions for s in policy.statements] == [{"sqs:sendmessage"}]


def test_it_matches_actions_case_insensitively_and_with_question_marks():
    policy = parse_policy(allow(["S3:getobject", "iam:?assRole"]), "p")
    assert policy.statements[0].actions == {"s3:getobject", "iam:passrole"}


def test_it_expands_wildcards_from_the_action_database():
    actions = parse_policy(allow("s3:Get*"), "p").statements[0].actions
    assert "s3:getobject" in actions and "s3:getbucketpolicy" in actions
    assert "s3:putobject" not in actions


def test_it_turns_not_action_into_every_other_action():
    statement = parse_policy({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]},
                             "p").statements[0]
    assert statement.not_action
    assert "s3:getobject" in statement.actions and "iam:passrole" not in statement.actions


def test_it_reports_invalid_json_instead_of_raising():
    policy = parse_policy('{"Statement": [', "broken")
    assert policy.statements == []
    assert "not valid JSON" in policy.problems[0]


def test_it_reports_a_document_that_is_not_an_object():
    assert "not an object" in parse_policy("[1, 2]", "list").problems[0]
    assert "not a JSON object" in parse_policy(42, "number").problems[0]


def test_it_reports_an_empty_statement_list():
    assert "empty" in parse_policy({"Statement": []}, "empty").problems[0]


def test_it_reports_unknown_actions_but_keeps_the_known_ones():
    policy = parse_policy(allow(["s3:GetObject", "nosuchservice:DoThing", "s3:NoSuchAction"]), "p")
    assert policy.statements[0].actions == {"s3:getobject"}
    assert "nosuchservice:DoThing" in policy.problems[0] and "s3:NoSuchAction" in policy.problems[0]


def test_it_reports_malformed_actions_such_as_brackets():
    policy = parse_policy(allow(["s3:Get[O]bject", 7]), "p")
    assert "malformed" in policy.problems[0]
    assert policy.statements[0].actions == frozenset()


def test_it_skips_a_statement_with_a_bad_effect_and_says_why():
    policy = parse_policy({"Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}]}, "p")
    assert policy.statements == []
    assert 'Effect "allow"' in policy.problems[0]


def test_it_refuses_huge_documents_with_a_reason():
    huge = json.dumps(allow([f"s3:GetObject{i}" for i in range(100_000)]))
    policy = parse_policy(huge, "huge")
    assert policy.statements == [] and "too large" in policy.problems[0]


def test_it_marks_a_statement_whose_date_condition_has_passed_as_never_applying():
    document = allow("iam:CreatePolicyVersion",
                     Condition={"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}})
    statement = parse_policy(document, "p", now=NOW).statements[0]
    assert "lies in the past" in statement.never_applies


def test_it_treats_a_date_condition_that_always_holds_as_no_condition():
    document = allow("iam:CreatePolicyVersion",
                     Condition={"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}})
    statement = parse_policy(document, "p", now=NOW).statements[0]
    assert not statement.never_applies and not statement.conditional


def test_it_records_other_conditions_on_the_statement():
    document = allow("s3:GetObject", Condition={"StringEquals": {"aws:PrincipalTag/team": "data"}})
    statement = parse_policy(document, "p", now=NOW).statements[0]
    assert statement.conditional and "aws:PrincipalTag/team" in statement.condition_text()


def test_resource_wildcards_match_any_run_and_single_characters_case_sensitively():
    assert wildcard_match("arn:aws:s3:::logs-?/*", "arn:aws:s3:::logs-1/a/b")
    assert not wildcard_match("arn:aws:s3:::logs-?/*", "arn:aws:s3:::logs-12/a")
    assert not wildcard_match("arn:aws:s3:::Logs/*", "arn:aws:s3:::logs/a")


def test_policy_variables_match_anything_for_an_allow_and_nothing_for_a_deny():
    pattern = "arn:aws:iam::1:user/${aws:username}"
    assert wildcard_match(pattern, "arn:aws:iam::1:user/alice", variables=True)
    assert not wildcard_match(pattern, "arn:aws:iam::1:user/alice")
    assert wildcard_match("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*")
    assert not wildcard_match("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x")
