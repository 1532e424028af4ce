"""The graph's overview at account scale, in a real Chromium: collapsed by CloudFormation
stack, groups that open in place, search and deep links into a collapsed group, labels legible
at the first view, nothing overlapping, the legend beside the canvas, positions kept on a sync."""
import re
from itertools import combinations
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from bench.graph_view_bench import count_crossings

from .harness import edge, function, insert_graph, multi_stack_graph, node
from .test_graph_page import open_graph, wait_ready

pytestmark = pytest.mark.browser

VIEW = "() => window.flowscope.view()"


def boxes_overlap(a, b):
    return abs(a["x"] - b["x"]) * 2 < a["w"] + b["w"] and abs(a["y"] - b["y"]) * 2 < a["h"] + b["h"]


def overlaps(view):
    """Pairs of drawn boxes (names included) that overlap, and frames over boxes outside them."""
    found = [(a["id"], b["id"]) for a, b in combinations(view["nodes"], 2) if boxes_overlap(a, b)]
    for frame in view["frames"]:
        box = {"x": (frame["x1"] + frame["x2"]) / 2, "y": (frame["y1"] + frame["y2"]) / 2,
               "w": frame["x2"] - frame["x1"], "h": frame["y2"] - frame["y1"]}
        for n in view["nodes"]:
            inside = (frame["x1"] <= n["x"] - n["w"] / 2 and n["x"] + n["w"] / 2 <= frame["x2"]
                      and frame["y1"] <= n["y"] - n["h"] / 2 and n["y"] + n["h"] / 2 <= frame["y2"])
            if not inside and boxes_overlap(box, n):
                found.append((frame["id"], n["id"]))
    return found


def cards(page):
    return page.evaluate("() => window.flowscope.groups().filter(g => g.collapsed)")


def seed_big(site_db):
    nodes, edges = multi_stack_graph()
    insert_graph(site_db, nodes, edges)
    return nodes, edges


def test_it_opens_a_big_account_collapsed_by_stack_with_counts_and_aggregated_edges(page, site_db):
    nodes, _ = seed_big(site_db)
    open_graph(page)
    expect(page.locator("#fs-graph")).to_have_attribute("data-node-count", str(len(nodes)))
    assert page.locator("#fs-group-by").input_value() == "stack"
    view = page.evaluate(VIEW)
    labels = {n["label"] for n in view["nodes"] if n["group"]}
    # Twelve stacks (in two regions), and the loose queues as one service group.
    assert {f"svc-{s:02d}-prod · {'eu-west-1' if s % 3 == 0 else 'us-east-1'}" for s in range(12)} <= labels
    assert "SQS queues · us-east-1" in labels
    assert len(view["nodes"]) < 20, "the first view shows groups, not 100+ resources"
    card = page.evaluate("""() => window.flowscope.cy.nodes('.fs-card')
        .filter(n => n.data('title').startsWith('svc-01-prod')).data('label')""")
    assert "6 functions" in card and "1 queue" in card and "1 table" in card and "1 REST API" in card
    # The shared role is not drawn (it would be one hub joining every stack).
    assert not any("shared-lambda-role" in n["id"] for n in view["nodes"])
    aggregated = page.evaluate("() => window.flowscope.cy.edges('[?aggregated]').map(e => e.data('label'))")
    assert aggregated and all(re.match(r"EventBridge", label) for label in aggregated)


def test_its_first_view_is_legible_and_nothing_overlaps(page, site_db):
    seed_big(site_db)
    open_graph(page)
    view = page.evaluate(VIEW)
    assert view["nodes"]
    for n in view["nodes"]:
        assert n["fontSize"] * view["zoom"] >= 8, f"{n['label']} drawn under 8 px"
    assert overlaps(view) == []


def test_it_expands_a_group_in_place_keeping_its_neighbours_and_collapses_it_back(page, site_db):
    seed_big(site_db)
    open_graph(page)
    before = {n["id"]: n for n in page.evaluate(VIEW)["nodes"]}
    group = next(g for g in cards(page) if g["label"].startswith("svc-04-prod"))
    page.evaluate("id => window.flowscope.expand(id)", group["id"])
    view = page.evaluate(VIEW)
    assert overlaps(view) == []
    members = page.evaluate("id => window.flowscope.cy.getElementById(id).children().map(n => n.data('label'))",
                            group["id"])
    assert sorted(members) == sorted([f"svc-04-prod-fn{i}" for i in range(6)] + [
        "api04", "svc-04-prod-jobs", "svc-04-prod-items", "svc-04-prod-events", "route-svc-04-prod"])
    for n in view["nodes"]:
        assert n["fontSize"] * view["zoom"] >= 8
    # Its neighbours kept their order left to right and top to bottom.
    after = {n["id"]: n for n in view["nodes"] if n["id"] in before}
    assert len(after) == len(before) - 1
    for a, b in combinations(after, 2):
        if before[a]["x"] < before[b]["x"]:
            assert after[a]["x"] <= after[b]["x"]
        if before[a]["y"] < before[b]["y"]:
            assert after[a]["y"] <= after[b]["y"]
    page.evaluate("id => window.flowscope.collapse(id)", group["id"])
    again = {n["id"]: (n["x"], n["y"]) for n in page.evaluate(VIEW)["nodes"]}
    assert again == {i: (n["x"], n["y"]) for i, n in before.items()}


def test_a_click_opens_a_group_and_a_double_click_on_its_frame_closes_it(page, site_db):
    seed_big(site_db)
    open_graph(page)
    group = next(g for g in cards(page) if g["label"].startswith("svc-02-prod"))
    point = page.evaluate("""id => {
        const cy = window.flowscope.cy, n = cy.getElementById(id), box = cy.container().getBoundingClientRect();
        const p = n.renderedPosition(); return {x: box.left + p.x, y: box.top + p.y};
    }""", group["id"])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("id => window.flowscope.cy.getElementById(id).isParent()", arg=group["id"])
    # A spot of the frame's own padding that no edge passes over (Cytoscape's own hit test).
    frame = page.evaluate("""id => {
        const cy = window.flowscope.cy, n = cy.getElementById(id), box = cy.container().getBoundingClientRect();
        const b = n.renderedBoundingBox({includeLabels: false}), z = cy.zoom(), pan = cy.pan();
        for (let fx = 0.02; fx < 1; fx += 0.03) for (const fy of [0.02, 0.98, 0.5]) {
            const x = b.x1 + 3 + fx * (b.w - 6), y = fy < 0.5 ? b.y1 + 4 : fy > 0.5 ? b.y2 - 4 : b.y1 + b.h / 2;
            const hit = cy.renderer().findNearestElement((x - pan.x) / z, (y - pan.y) / z, true, false);
            if (hit && hit.id() === id && y > 0 && y < box.height) return {x: box.left + x, y: box.top + y};
        }
        return null;
    }""", group["id"])
    assert frame
    page.wait_for_timeout(700)  # a double-click right after the opening click belongs to it
    page.mouse.dblclick(frame["x"], frame["y"])
    page.wait_for_function("id => window.flowscope.cy.getElementById(id).hasClass('fs-card')", arg=group["id"])


def test_search_and_a_deep_link_open_the_collapsed_group_that_holds_a_node(page, site_db):
    nodes, _ = seed_big(site_db)
    target = next(n for n in nodes if n["name"] == "svc-07-prod-fn3")
    open_graph(page)
    page.fill("#fs-search", "svc-07-prod-fn3")
    result = page.locator("#fs-search-results .fs-result")
    expect(result).to_have_count(1)
    expect(result.locator(".fs-result-type")).to_have_text("in svc-07-prod · us-east-1")
    result.click()
    expect(page.locator("#fs-inspector-name")).to_have_text("svc-07-prod-fn3")
    assert page.evaluate("() => window.flowscope.cy.$(':selected').id()") == target["arn"]
    assert page.evaluate("arn => window.flowscope.cy.getElementById(arn).parent().length", target["arn"]) == 1

    other = next(n for n in nodes if n["name"] == "svc-09-prod-jobs")
    open_graph(page, "/node/" + quote(other["arn"], safe=":/"))
    expect(page.locator("#fs-inspector-name")).to_have_text("svc-09-prod-jobs")
    assert page.evaluate("() => window.flowscope.cy.$(':selected').id()") == other["arn"]
    view = page.evaluate(VIEW)
    selected = next(n for n in view["nodes"] if n["id"] == other["arn"])
    # In the viewport, at a readable size.
    x = selected["x"] * view["zoom"] + view["pan"]["x"]
    y = selected["y"] * view["zoom"] + view["pan"]["y"]
    assert 0 < x < view["width"] and 0 < y < view["height"]
    assert selected["fontSize"] * view["zoom"] >= 8


def test_the_legend_sits_beside_the_canvas_and_names_every_mark(page, site_db):
    seed_big(site_db)
    open_graph(page)
    legend = page.locator("#fs-legend").bounding_box()
    canvas = page.locator("#fs-graph").bounding_box()
    assert legend["x"] + legend["width"] <= canvas["x"] or legend["x"] >= canvas["x"] + canvas["width"]
    text = page.locator("#fs-legend").inner_text()
    for mark in ("Lambda function", "SQS queue", "REST API", "Collapsed group", "Red ring",
                 "Dashed red edge", "Audit: critical", "Audit: high", "cold start", "Red glow"):
        assert mark in text


def test_the_graph_refits_when_the_inspector_opens_and_closes(page, site_db):
    seed_big(site_db)
    open_graph(page)
    width = page.evaluate("() => window.flowscope.cy.width()")
    page.evaluate("() => window.flowscope.expand(window.flowscope.groups()[0].id)")
    arn = page.evaluate("() => window.flowscope.cy.nodes('[type = \"lambda_function\"]').first().id()")
    page.evaluate("arn => window.flowscope.select(arn)", arn)
    expect(page.locator("#fs-inspector")).to_be_visible()
    assert page.evaluate("() => window.flowscope.cy.width()") < width
    view = page.evaluate(VIEW)
    node = next(n for n in view["nodes"] if n["id"] == arn)
    assert 0 < node["x"] * view["zoom"] + view["pan"]["x"] < view["width"]
    page.click("#fs-inspector-close")
    expect(page.locator("#fs-inspector")).to_be_hidden()
    assert page.evaluate("() => window.flowscope.cy.width()") == width


def test_a_sync_that_adds_a_function_reshuffles_nothing(page, site_db):
    nodes, _ = seed_big(site_db)
    open_graph(page)
    group = next(g for g in cards(page) if g["label"].startswith("svc-05-prod"))
    page.evaluate("id => window.flowscope.expand(id)", group["id"])
    positions = "() => window.flowscope.cy.nodes().not('.fs-group').map(n => [n.id(), n.position()])"
    frame = "id => window.flowscope.cy.getElementById(id).boundingBox({includeLabels: false})"
    before, frame_before = dict(page.evaluate(positions)), page.evaluate(frame, group["id"])
    members = set(page.evaluate("id => window.flowscope.cy.getElementById(id).children().map(n => n.id())", group["id"]))
    insert_graph(site_db, [function("svc-05-prod-fn9", stack="svc-05-prod"),
                           function("brand-new-fn", stack="svc-99-prod")], [])
    page.evaluate("() => window.flowscope.refresh()")
    after, frame_after = dict(page.evaluate(positions)), page.evaluate(frame, group["id"])
    added = [arn for arn in after if arn.endswith(":function:svc-05-prod-fn9")]
    assert added and page.evaluate("arn => window.flowscope.cy.getElementById(arn).parent().id()", added[0]) == group["id"]
    assert any(arn.endswith(":function:brand-new-fn") for arn in after)
    # The group's members stay exactly where they were; the frame grew right and down only,
    # and what it pushed aside moved by one amount right and one amount down (at most the
    # growth), so every order is kept.
    assert {arn: after[arn] for arn in members} == {arn: before[arn] for arn in members}
    assert (frame_after["x1"], frame_after["y1"]) == (frame_before["x1"], frame_before["y1"])
    shifts_x = {round(after[a]["x"] - p["x"]) for a, p in before.items()} - {0}
    shifts_y = {round(after[a]["y"] - p["y"]) for a, p in before.items()} - {0}
    assert len(shifts_x) <= 1 and len(shifts_y) <= 1
    assert all(0 < d <= round(frame_after["w"] - frame_before["w"]) + 12 for d in shifts_x)
    assert all(0 < d <= round(frame_after["h"] - frame_before["h"]) + 12 for d in shifts_y)
    assert overlaps(page.evaluate(VIEW)) == []


def test_a_small_graph_opens_expanded(page, site_db):
    nodes, edges = multi_stack_graph(stacks=3)
    insert_graph(site_db, nodes, edges)
    open_graph(page)
    assert cards(page) == []
    view = page.evaluate(VIEW)
    # Three stacks and the loose queues' service group, each a frame around its resources.
    assert len(view["frames"]) == 4
    assert overlaps(view) == []
    for n in view["nodes"]:
        assert n["fontSize"] * view["zoom"] >= 8
    wait_ready(page)


def test_open_groups_are_turned_so_the_edges_between_them_do_not_cross(page, site_db):
    """Each open stack is laid out on its own, blind to the edges that leave it; its insides are
    then mirrored top to bottom where that crosses less. Here the front stack's two functions
    each send to one of the back stack's two queues: one way up the back stack's frame the two
    sends cross, the other way they do not."""
    def in_stack(n, stack):
        n["attributes"]["stack"] = stack
        return n

    api = in_stack(node("api_gateway_rest", "front-api"), "front")
    senders = [function(f"front-fn{i}", stack="front") for i in range(2)]
    fan = in_stack(node("sns_topic", "back-fan"), "back")
    queues = [in_stack(node("sqs_queue", f"back-q{i}"), "back") for i in range(2)]
    workers = [function(f"back-worker{i}", stack="back") for i in range(2)]
    edges = [edge(api, fn, "api_gateway", key=f"GET /r{i}", method="GET", path=f"/r{i}")
             for i, fn in enumerate(senders)]
    edges += [edge(fan, q, "sns", key=f"sub{i}") for i, q in enumerate(queues)]
    edges += [edge(q, w, "sqs") for q, w in zip(queues, workers)]
    edges += [edge(fn, q, "destination", key="on_success", condition="on_success")
              for fn, q in zip(senders, reversed(queues))]
    insert_graph(site_db, [api, *senders, fan, *queues, *workers], edges)
    open_graph(page)

    view = page.evaluate(VIEW)
    assert len(view["frames"]) == 2, "both stacks open at the first view"
    centres = {n["id"]: (n["x"], n["y"]) for n in view["nodes"]}
    between = [{"source": e["source"], "target": e["target"]} for e in edges if e["kind"] == "destination"]
    assert count_crossings(centres, between) == 0
    assert overlaps(view) == []
