"""The graph page draws what issue 13 discovers: function URLs, state machines, alias routing."""
import re

import pytest
from playwright.sync_api import expect

from .harness import ACCOUNT_ID, REGION, edge, function, insert_graph, node

pytestmark = pytest.mark.browser

URL = f"https://abcdefghijklmnop.lambda-url.{REGION}.on.aws/"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:checkout"


def workflow_graph():
    pay = function("checkout-pay", stack="shop")
    url = {"arn": URL, "type": "lambda_function_url", "name": "abcdefghijklmnop.lambda-url.us-east-1.on.aws",
           "region": REGION, "attributes": {"auth_type": "NONE", "invoke_mode": "BUFFERED"}}
    machine = {"arn": MACHINE, "type": "stepfunctions_state_machine", "name": "checkout", "region": REGION,
               "attributes": {"type": "STANDARD", "state_count": 3, "stack": "shop"}}
    rule = node("eventbridge_rule", "nightly")
    edges = [
        edge(url, pay, "function_url", key="$LATEST", auth_type="NONE", invoke_mode="BUFFERED", permitted=True),
        edge(machine, pay, "state_machine_task", key="Pay", path="Pay", integration_pattern="wait_for_task_token"),
        edge(rule, pay, "eventbridge", key="t", alias="live", alias_version="3",
             alias_routing={"4": 0.1}, permitted=True),
    ]
    return [pay, url, machine, rule], edges


def test_it_draws_urls_and_state_machines_and_shows_alias_routing_on_the_trigger(page, site_db):
    insert_graph(site_db, *workflow_graph())
    page.goto("/")
    expect(page.locator("#fs-graph")).to_have_attribute("data-state", re.compile("ready"), timeout=30000)
    page.fill("#fs-search", "checkout-pay")
    page.locator("#fs-search-results .fs-result", has_text="checkout-pay").click()
    expect(page.locator("#fs-inspector-name")).to_have_text("checkout-pay")
    incoming = page.locator("#fs-incoming")
    expect(incoming).to_contain_text("Function URL")
    expect(incoming).to_contain_text("State machine task")
    rows = dict(zip(incoming.locator("th").all_text_contents(), incoming.locator("td").all_text_contents()))
    assert rows["alias routing"] == '{"4":0.1}'
    assert rows["alias version"] == "3"
    assert rows["integration pattern"] == "wait_for_task_token"
    icons = page.evaluate("""() => window.flowscope.cy.nodes().map(n => n.data('icon') || '')""")
    assert any(i.endswith("icons/lambda_function_url.svg") for i in icons)
    assert any(i.endswith("icons/stepfunctions_state_machine.svg") for i in icons)
    assert page.errors == []


@pytest.mark.parametrize("arn,name", [(URL, "abcdefghijklmnop.lambda-url.us-east-1.on.aws"), (MACHINE, "checkout")])
def test_a_url_or_state_machine_has_a_deep_link_too(page, site_db, arn, name):
    insert_graph(site_db, *workflow_graph())
    page.goto("/node/" + arn)
    expect(page.locator("#fs-graph")).to_have_attribute("data-state", re.compile("ready"), timeout=30000)
    expect(page.locator("#fs-inspector-name")).to_have_text(name)
    assert page.evaluate("() => window.flowscope.cy.$(':selected').id()") == arn
