"""Every API filter is checked: a bad value answers 400 with what is allowed."""
import pytest

from .conftest import ACCOUNT_ID, function_arn

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/worker"


@pytest.mark.parametrize("query, parameter, key", [
    ("severity=bogus", "severity", "allowed"),
    ("category=nope", "category", "allowed"),
    ("account=12", "account", "expected"),
    ("function=nonsense", "function", "expected"),
    ("function=" + ROLE, "function", "expected"),
    ("role=" + function_arn("f"), "role", "expected"),
    ("stack=1-bad stack", "stack", "expected"),
    ("arn=not-an-arn", "arn", "expected"),
])
def test_it_refuses_a_bad_findings_filter_and_says_what_is_allowed(signed_in, query, parameter, key):
    response = signed_in.get(f"/api/findings/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == parameter
    assert body[key]


def test_it_lists_the_severities_a_filter_accepts(signed_in):
    body = signed_in.get("/api/findings/?severity=bogus").json()

    assert body["allowed"] == ["critical", "high", "info", "low", "medium"]
    assert body["error"] == "severity='bogus' is not valid"


def test_it_accepts_good_findings_filters(signed_in):
    query = (f"severity=high&category=admin&account={ACCOUNT_ID}&function={function_arn('f')}"
             f"&role={ROLE}&stack=chat-app&arn={ROLE}")

    response = signed_in.get(f"/api/findings/?{query}")

    assert response.status_code == 200
    assert response.json()["findings"] == []


def test_it_refuses_a_bad_account_in_the_findings_summary(signed_in):
    assert signed_in.get("/api/findings/summary/?account=abc").status_code == 400


def test_it_refuses_stats_for_something_that_is_not_a_function(signed_in):
    response = signed_in.get("/api/functions/nonsense/stats/")

    assert response.status_code == 400
    assert response.json()["expected"] == "arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME"


def test_it_gives_stats_for_a_qualified_function_arn(signed_in):
    response = signed_in.get(f"/api/functions/{function_arn('f')}:live/stats/")

    assert response.status_code == 200


def test_it_refuses_a_bad_account_filter_on_the_graph(signed_in):
    response = signed_in.get(f"/api/graph/?account={ACCOUNT_ID}&account=me")

    assert response.status_code == 400
    assert response.json()["parameter"] == "account"
