"""The graph page in a real Chromium, served by Daphne (see harness.py)."""
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from flows.demo.seed import seed_demo

from .harness import ACCOUNT_ID, edge, function, insert_graph, node

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=window.__xss=1>"


def orders_graph():
    """A small shop: API -> checkout -> topic -> queue -> worker, with two wiring problems."""
    api = node("api_gateway_v2", "a1b2c3", tags={"team": "web"})
    checkout = function(
        "orders-checkout", stack="shop-orders", memory_size=512, timeout=15, runtime="nodejs20.x",
        environment_variables=["STRIPE_KEY_NAME", "TABLE"],
        tags={"team": "orders", "cost-centre": "42"},
        unmatched_permissions=[{"function": "", "sid": "legacy-s3", "principal": "s3.amazonaws.com",
                                "source_arn": "arn:aws:s3:::orders-old"}])
    checkout["attributes"]["unmatched_permissions"][0]["function"] = checkout["arn"]
    topic = node("sns_topic", "orders-placed", display_name="Orders placed")
    queue = node("sqs_queue", "orders-fulfilment")
    worker = function("orders-fulfilment-worker", stack="shop-orders")
    audit = function("orders-audit", stack="shop-ops")
    dlq = node("sqs_queue", "orders-fulfilment-dlq")
    role = node("iam_role", "orders-checkout-role")
    unrelated = function("billing-report", stack="shop-billing")
    nodes = [api, checkout, topic, queue, worker, audit, dlq, role, unrelated]
    edges = [
        edge(api, checkout, "api_gateway_v2", key="POST /orders", route_key="POST /orders",
             permitted=True),
        edge(checkout, topic, "destination", key="on_success", condition="on_success"),
        edge(topic, queue, "sns", key="sub-1", raw_message_delivery=True),
        edge(queue, worker, "sqs", key="esm-1", batch_size=10, maximum_batching_window_seconds=5,
             filter_criteria=['{"body": {"type": ["order"]}}']),
        edge(topic, audit, "sns", key="sub-2", permitted=False),
        edge(queue, dlq, "dead_letter", key="redrive", max_receive_count=3),
        edge(checkout, role, "execution_role"),
    ]
    return nodes, edges


def seed(site_db, graph):
    nodes, edges = graph
    insert_graph(site_db, nodes, edges)
    return nodes, edges


def open_graph(page, path="/"):
    page.goto(path)
    wait_ready(page)


def wait_ready(page):
    expect(page.locator("#fs-graph")).to_have_attribute("data-state", re.compile("ready|empty"), timeout=30000)


def click_node(page, arn):
    """A real mouse click on the node where Cytoscape drew it."""
    point = page.evaluate("""arn => {
        const cy = window.flowscope.cy, node = cy.getElementById(arn);
        cy.stop(true, true);  // a running "centre on selection" animation would move it away
        cy.center(node);
        const box = cy.container().getBoundingClientRect(), p = node.renderedPosition();
        return {x: box.left + p.x, y: box.top + p.y};
    }""", arn)
    page.mouse.click(point["x"], point["y"])


def test_it_draws_every_node_and_edge_of_the_graph_with_roles_on_request(page, site_db):
    nodes, edges = seed(site_db, orders_graph())
    open_graph(page)
    graph = page.locator("#fs-graph")
    expect(graph).to_have_attribute("data-node-count", str(len(nodes)))
    drawn = """() => ({
        nodes: window.flowscope.cy.nodes().not('.fs-group').length,
        edges: window.flowscope.cy.edges().length,
        ids: window.flowscope.cy.nodes().not('.fs-group').map(n => n.id())})"""
    # Execution roles stay off the canvas unless asked for (the inspector names them).
    roles = {n["arn"] for n in nodes if n["type"] == "iam_role"}
    shown = page.evaluate(drawn)
    assert set(shown["ids"]) == {n["arn"] for n in nodes} - roles
    assert shown["edges"] == len([e for e in edges if e["kind"] != "execution_role"])
    page.check("#fs-show-roles")
    page.wait_for_function("n => window.flowscope.cy.nodes().not('.fs-group').length === n", arg=len(nodes))
    shown = page.evaluate(drawn)
    assert set(shown["ids"]) == {n["arn"] for n in nodes}
    assert shown["edges"] == len(edges)
    assert page.errors == []


def test_it_lays_out_with_elk_in_a_worker(page, site_db):
    seed(site_db, orders_graph())
    open_graph(page)
    scripts = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert any(name.endswith("elkjs/lib/elk-worker.min.js") for name in scripts)
    assert not any(name.endswith("elk.bundled.js") for name in scripts)


def test_it_keeps_positions_across_reloads(page, site_db):
    seed(site_db, orders_graph())
    open_graph(page)
    positions = page.evaluate("() => window.flowscope.cy.nodes().map(n => [n.id(), n.position()])")
    page.reload()
    wait_ready(page)
    assert page.evaluate("() => window.flowscope.cy.nodes().map(n => [n.id(), n.position()])") == positions


def test_it_lays_out_the_flow_from_left_to_right(page, site_db):
    _, edges = seed(site_db, orders_graph())
    open_graph(page)
    # Ungrouped: a group is laid out as one block, so an edge that leaves a stack and comes
    # back into it (checkout -> topic -> queue) cannot run left to right at both ends.
    page.select_option("#fs-group-by", "none")
    page.wait_for_function("() => window.flowscope.cy.nodes('.fs-group').length === 0")
    x = dict(page.evaluate("() => window.flowscope.cy.nodes().map(n => [n.id(), n.position('x')])"))
    for e in edges:
        if e["kind"] == "execution_role":
            continue  # roles are off the canvas
        assert x[e["source"]] < x[e["target"]], f"{e['kind']} edge drawn right to left"


def test_it_finds_nodes_by_name_and_opens_the_inspector(page, site_db):
    nodes, _ = seed(site_db, orders_graph())
    open_graph(page)
    page.fill("#fs-search", "fulfilment")
    results = page.locator("#fs-search-results .fs-result-name")
    expect(results).to_have_count(3)  # the queue, its worker and its dead-letter queue
    assert sorted(results.all_text_contents()) == [
        "orders-fulfilment", "orders-fulfilment-dlq", "orders-fulfilment-worker"]
    page.locator("#fs-search-results .fs-result", has_text="orders-fulfilment-worker").click()
    expect(page.locator("#fs-inspector-name")).to_have_text("orders-fulfilment-worker")
    assert page.evaluate("() => window.flowscope.cy.$(':selected').id()") == nodes[4]["arn"]


def test_it_finds_nodes_by_arn(page, site_db):
    seed(site_db, orders_graph())
    open_graph(page)
    page.fill("#fs-search", "arn:aws:sns:")
    expect(page.locator("#fs-search-results .fs-result-name")).to_have_text(["orders-placed"])


def test_it_shows_a_functions_configuration_triggers_and_problems_on_click(page, site_db):
    nodes, _ = seed(site_db, orders_graph())
    checkout = nodes[1]
    open_graph(page)
    click_node(page, checkout["arn"])
    inspector = page.locator("#fs-inspector")
    expect(inspector).to_be_visible()
    expect(page.locator("#fs-inspector-name")).to_have_text("orders-checkout")
    config = dict(zip(inspector.locator(".fs-config th").all_text_contents(),
                      inspector.locator(".fs-config td").all_text_contents()))
    assert config["Runtime"] == "nodejs20.x"
    assert config["Memory"] == "512 MB"
    assert config["Timeout"] == "15 s"
    assert config["Environment variables"] == "STRIPE_KEY_NAME, TABLE"
    assert config["Stack"] == "shop-orders"
    assert config["Role"] == "orders-checkout-role"  # the role node's name, linking to it
    tags = dict(zip(inspector.locator(".fs-tags th").all_text_contents(),
                    inspector.locator(".fs-tags td").all_text_contents()))
    assert tags["cost-centre"] == "42"
    incoming = page.locator("#fs-incoming")
    expect(incoming).to_contain_text("from a1b2c3")
    expect(incoming).to_contain_text("POST /orders")
    expect(page.locator("#fs-outgoing")).to_contain_text("orders-placed")
    expect(page.locator("#fs-problems")).to_contain_text("legacy-s3")
    expect(page.locator("#fs-problems")).to_contain_text("arn:aws:s3:::orders-old")
    console = page.locator("#fs-console-link")
    expect(console).to_have_attribute(
        "href", "https://us-east-1.console.aws.amazon.com/lambda/home?region=us-east-1#/functions/orders-checkout")
    inspector.locator(".fs-config .fs-link", has_text="orders-checkout-role").click()
    expect(page.locator("#fs-inspector-name")).to_have_text("orders-checkout-role")
    assert page.evaluate("() => window.flowscope.cy.$(':selected').id()") == checkout["attributes"]["role"]


def test_it_shows_edge_attributes_and_refused_triggers(page, site_db):
    nodes, _ = seed(site_db, orders_graph())
    worker, audit = nodes[4], nodes[5]
    open_graph(page)
    click_node(page, worker["arn"])
    incoming = page.locator("#fs-incoming")
    expect(incoming).to_contain_text("batch size")
    rows = dict(zip(incoming.locator("th").all_text_contents(), incoming.locator("td").all_text_contents()))
    assert rows["batch size"] == "10"
    assert rows["maximum batching window seconds"] == "5"
    assert json.loads(rows["filter criteria"]) == {"body": {"type": ["order"]}}
    click_node(page, audit["arn"])
    expect(page.locator("#fs-problems")).to_contain_text("orders-placed (SNS)")
    expect(page.locator("#fs-incoming .fs-edge-denied")).to_have_count(1)


def test_every_node_has_a_deep_link_that_opens_the_graph_focused_on_it(page, site_db):
    nodes, _ = seed(site_db, orders_graph())
    queue = nodes[3]
    open_graph(page)
    click_node(page, queue["arn"])
    expect(page.locator("#fs-inspector-name")).to_have_text("orders-fulfilment")
    assert unquote(page.url).endswith("/node/" + queue["arn"])
    deep_link = page.url
    open_graph(page, "/")
    expect(page.locator("#fs-inspector")).to_be_hidden()
    open_graph(page, deep_link)
    expect(page.locator("#fs-inspector-name")).to_have_text("orders-fulfilment")
    assert page.evaluate("() => window.flowscope.cy.$(':selected').id()") == queue["arn"]
    page.go_back()
    expect(page.locator("#fs-inspector")).to_be_hidden()


def test_it_filters_by_type_stack_and_tag(page, site_db):
    nodes, _ = seed(site_db, orders_graph())
    open_graph(page)
    graph = page.locator("#fs-graph")
    page.check("#fs-show-roles")
    expect(graph).to_have_attribute("data-visible-count", str(len(nodes)))
    page.locator("details", has=page.locator("#fs-filter-types")).locator("summary").click()
    page.locator("#fs-filter-types input[value=iam_role]").uncheck()
    expect(graph).to_have_attribute("data-visible-count", str(len(nodes) - 1))
    page.locator("#fs-filter-types input[value=iam_role]").check()
    # Stack: the two functions tagged shop-orders, plus the API, queue and role whose functions
    # all belong to it, and the dead-letter queue of that queue; not the topic (its functions
    # are in two stacks).
    page.select_option("#fs-filter-stack", "shop-orders")
    visible = page.evaluate("() => window.flowscope.cy.nodes().not('.fs-hidden').not('.fs-group').map(n => n.data('label'))")
    assert sorted(visible) == ["a1b2c3", "orders-checkout", "orders-checkout-role", "orders-fulfilment",
                               "orders-fulfilment-dlq", "orders-fulfilment-worker"]
    page.select_option("#fs-filter-stack", "")
    page.select_option("#fs-filter-tag", "team=orders")
    expect(graph).to_have_attribute("data-visible-count", "1")


def test_it_shows_only_the_neighbourhood_of_a_node(page, site_db):
    nodes, _ = seed(site_db, orders_graph())
    topic = nodes[2]
    open_graph(page)
    click_node(page, topic["arn"])
    page.fill("#fs-hops", "1")
    page.click("#fs-neighbourhood")
    graph = page.locator("#fs-graph")
    expect(graph).to_have_attribute("data-visible-count", "4")  # topic, checkout, queue, audit
    page.fill("#fs-hops", "2")
    page.click("#fs-neighbourhood")
    # + the API (via checkout), the worker and the dead-letter queue (via the queue); the
    # checkout's role is in the neighbourhood too, but roles are off the canvas.
    expect(graph).to_have_attribute("data-visible-count", "7")
    page.click("#fs-clear-view")
    expect(graph).to_have_attribute("data-visible-count", str(len(nodes) - 1))


def test_it_highlights_the_flow_through_a_node(page, site_db):
    nodes, _ = seed(site_db, orders_graph())
    queue = nodes[3]
    open_graph(page)
    click_node(page, queue["arn"])
    page.click("#fs-path")
    lit = page.evaluate("() => window.flowscope.cy.nodes().not('.fs-dim').not('.fs-group').map(n => n.data('label'))")
    # Upstream: topic <- checkout <- API. Downstream: worker and the dead-letter queue.
    # Not the audit function (a sibling branch), nor the role, nor the unrelated function.
    assert sorted(lit) == ["a1b2c3", "orders-checkout", "orders-fulfilment", "orders-fulfilment-dlq",
                           "orders-fulfilment-worker", "orders-placed"]


def test_it_groups_nodes_by_stack_region_and_tag(page, site_db):
    seed(site_db, orders_graph())
    open_graph(page)
    groups = "() => window.flowscope.cy.nodes('.fs-group').map(n => n.data('label')).sort()"
    # By stack (the default): shop-orders frames its functions and what only they use (the
    # DLQ through its queue); a stack of one function, or a lone topic, stays a plain node.
    assert page.locator("#fs-group-by").input_value() == "stack"
    assert page.evaluate(groups) == ["shop-orders"]
    parent = page.evaluate("""() => window.flowscope.cy.nodes().filter(n => n.data('label') === 'orders-fulfilment-dlq')
                                    .parent().data('label')""")
    assert parent == "shop-orders"
    page.check("#fs-show-roles")
    page.select_option("#fs-group-by", "region")
    page.wait_for_function("() => window.flowscope.cy.nodes('.fs-group').map(n => n.data('label')).includes('us-east-1')")
    # The only global resource (the role) is a group of one: drawn as itself.
    assert page.evaluate(groups) == ["us-east-1"]
    page.select_option("#fs-group-by", "tag")
    page.select_option("#fs-group-tag", "team")
    # Tags team=orders and team=web have one resource each; the untagged fall into their
    # services' groups (two functions, three queues... in us-east-1).
    page.wait_for_function("() => window.flowscope.cy.nodes('.fs-group').map(n => n.data('label')).includes('SQS queues')")
    assert page.evaluate(groups) == ["Lambda functions", "SQS queues"]
    page.select_option("#fs-group-by", "none")
    page.wait_for_function("() => window.flowscope.cy.nodes('.fs-group').length === 0")


def test_it_updates_a_grouped_graph_in_place_when_resources_come_and_go(page, site_db):
    from flows.models import Resource

    nodes, _ = seed(site_db, orders_graph())
    open_graph(page)
    page.wait_for_function("() => window.flowscope.cy.nodes('.fs-group').length === 1")
    page.evaluate("() => { window.__sameDocument = true; }")
    positions = "() => window.flowscope.cy.nodes().not('.fs-group').map(n => [n.id(), n.position()])"
    before = dict(page.evaluate(positions))
    # The function of stack shop-billing goes; two functions of a new stack arrive.
    billing = nodes[8]
    Resource.objects.using(site_db).filter(arn=billing["arn"]).delete()
    insert_graph(site_db, [function("payments-refund", stack="shop-payments"),
                           function("payments-charge", stack="shop-payments")], [])
    page.evaluate("() => window.flowscope.refresh()")
    groups = page.evaluate("() => window.flowscope.cy.nodes('.fs-group').map(n => n.data('label')).sort()")
    assert groups == ["shop-orders", "shop-payments"]
    after = dict(page.evaluate(positions))
    assert billing["arn"] not in after
    refund = [arn for arn in after if arn.endswith(":function:payments-refund")]
    assert len(refund) == 1
    assert page.evaluate("arn => window.flowscope.cy.getElementById(arn).parent().data('label')", refund[0]) == "shop-payments"
    assert all(after[arn] == position for arn, position in before.items() if arn != billing["arn"])
    assert page.evaluate("() => window.__sameDocument") is True
    expect(page.locator("#fs-graph")).to_have_attribute("data-node-count", str(len(nodes) + 1))


def test_it_exports_png_svg_json_and_mermaid(page, site_db):
    seed(site_db, orders_graph())
    open_graph(page)
    for button, suffix, magic in (("#fs-export-png", ".png", b"\x89PNG"), ("#fs-export-svg", ".svg", b"<svg")):
        with page.expect_download() as info:
            page.click(button)
        download = info.value
        assert download.suggested_filename.endswith(suffix)
        assert magic in Path(download.path()).read_bytes()[:200]
    with page.expect_download() as info:
        page.click("#fs-export-json")
    document = json.loads(Path(info.value.path()).read_text())
    assert document["format"] == "flowscope.graph/1"
    with page.expect_download() as info:
        page.click("#fs-export-mermaid")
    assert Path(info.value.path()).read_text().startswith("flowchart LR")


def test_it_says_when_no_account_has_been_synced(page, site_db):
    open_graph(page)
    expect(page.locator("#fs-graph")).to_have_attribute("data-state", "empty")
    expect(page.locator("#fs-message-title")).to_have_text("No account synced yet")
    expect(page.locator("#fs-message-action")).to_have_text("Sync now")


@pytest.mark.parametrize("status, banner", [
    ("partial", "The last sync was partial"),
    ("failed", "The last sync failed"),
])
def test_it_says_when_the_last_sync_was_partial_or_failed_and_lists_its_errors(page, site_db, status, banner):
    from flows.models import Account, SyncRun

    seed(site_db, orders_graph())
    account = Account.objects.using(site_db).get(account_id=ACCOUNT_ID)
    SyncRun.objects.using(site_db).create(account=account, status=status, regions=["us-east-1"], errors=[
        {"service": "sns", "region": "us-east-1", "code": "AccessDenied", "message": XSS}])
    open_graph(page)
    expect(page.locator("#fs-banner")).to_contain_text(banner)
    expect(page.locator("#fs-sync-errors li")).to_have_text([f"sns in us-east-1: AccessDenied — {XSS}"])
    assert page.evaluate("() => window.__xss") is None
    # The graph from earlier syncs is still shown.
    expect(page.locator("#fs-graph")).to_have_attribute("data-state", "ready")


def test_it_renders_aws_strings_as_text_never_as_markup(page, site_db):
    topic = node("sns_topic", XSS, display_name=XSS, tags={"owner": XSS})
    fn = function("xss-target", stack=XSS, tags={XSS: XSS}, description=XSS)
    api = node("api_gateway_v2", "api-xss")
    insert_graph(site_db, [topic, fn, api], [
        edge(topic, fn, "sns", key="s"),
        edge(api, fn, "api_gateway_v2", key=XSS, route_key=XSS),
    ])
    open_graph(page)
    page.fill("#fs-search", "<img")
    expect(page.locator("#fs-search-results .fs-result-name")).to_have_text([XSS])
    page.locator("#fs-search-results .fs-result").first.click()
    expect(page.locator("#fs-inspector-name")).to_have_text(XSS)
    expect(page.locator(".fs-config")).to_contain_text(XSS)  # display name
    # Select through the page's own API: real clicks are tested elsewhere, and a click racing
    # the centring animation of the previous selection could land beside the node.
    page.evaluate("arn => window.flowscope.select(arn)", fn["arn"])
    expect(page.locator("#fs-inspector-name")).to_have_text("xss-target")
    expect(page.locator(".fs-tags")).to_contain_text(XSS)
    expect(page.locator("#fs-incoming")).to_contain_text(XSS)  # the route key
    page.select_option("#fs-group-by", "stack")
    page.wait_for_function("() => window.flowscope.cy.nodes('.fs-group').length > 0")
    page.select_option("#fs-filter-stack", XSS)
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img[src=x]").count() == 0
    labels = page.evaluate("() => window.flowscope.cy.nodes().map(n => n.data('label'))")
    assert XSS in labels


def test_it_syncs_from_the_browser_with_live_progress_and_updates_the_graph_in_place(page, site_db, aws):
    seed_demo(aws.endpoint)
    open_graph(page)
    expect(page.locator("#fs-graph")).to_have_attribute("data-state", "empty")
    expect(page.locator("body")).to_have_attribute("data-live", "open")  # /ws/live/ accepted us
    # Record every progress line the page shows, and mark the page to prove it never reloads.
    page.evaluate("""() => {
        window.__sameDocument = true;
        window.__syncTexts = [];
        const text = document.getElementById('fs-sync-text');
        new MutationObserver(() => window.__syncTexts.push(text.textContent))
            .observe(text, {childList: true, characterData: true, subtree: true});
    }""")
    page.click("#fs-sync")
    expect(page.locator("#fs-graph")).to_have_attribute("data-state", "ready", timeout=120000)
    expect(page.locator("#fs-sync-text")).to_contain_text("Sync finished", timeout=30000)
    status = page.request.get("/api/status/").json()
    expected_nodes = status["counts"]["nodes"]
    assert expected_nodes > 20
    expect(page.locator("#fs-graph")).to_have_attribute("data-node-count", str(expected_nodes))
    roles = page.evaluate("() => window.flowscope.state.doc.nodes.filter(n => n.type === 'iam_role').length")
    assert page.evaluate("() => window.flowscope.cy.nodes().not('.fs-group').length") == expected_nodes - roles
    texts = page.evaluate("() => window.__syncTexts")
    assert any(re.search(r"Syncing: [1-9]\d* of \d+ services done, \d+ resources? found", t) for t in texts), texts
    assert page.locator("#fs-sync-text").text_content().count("+") == 2  # nodes +N, edges +N

    # The audit that follows the sync rings the over-privileged functions, which grows their
    # stack's frame by the ring's width: take the picture once the rings are on.
    page.wait_for_function("() => Number(window.flowscope.cy.container().dataset.auditBadges || 0) > 0",
                           timeout=60000)
    positions = page.evaluate("() => window.flowscope.cy.nodes().map(n => [n.id(), n.position()])")
    sqs = aws("sqs")
    queue_url = sqs.create_queue(QueueName="chat-late-arrival")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    page.click("#fs-sync")
    page.wait_for_function("arn => window.flowscope.cy.getElementById(arn).length === 1", arg=queue_arn,
                           timeout=120000)
    expect(page.locator("#fs-sync-text")).to_contain_text("Nodes +1")
    assert page.evaluate("() => window.__sameDocument") is True
    after = dict(page.evaluate("() => window.flowscope.cy.nodes().map(n => [n.id(), n.position()])"))
    moved = {i: (p, after.get(i)) for i, p in positions if after.get(i) != p}
    assert not moved, f"nodes already drawn moved during the update: {moved}"
    expect(page.locator("#fs-graph")).to_have_attribute("data-node-count", str(expected_nodes + 1))


def test_it_follows_a_sync_by_polling_the_status_when_the_live_connection_is_down(page, site_db, aws):
    seed_demo(aws.endpoint)
    page.route_web_socket("**/ws/live/", lambda ws: ws.close())
    open_graph(page)
    page.click("#fs-sync")
    expect(page.locator("#fs-sync-text")).to_contain_text("Sync finished", timeout=120000)
    status = page.request.get("/api/status/").json()
    expect(page.locator("#fs-graph")).to_have_attribute("data-node-count", str(status["counts"]["nodes"]))
    assert page.evaluate("() => document.body.dataset.live") == "closed"
