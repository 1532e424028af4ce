"""Live invocations on the graph page in a real Chromium: the feed, its log lines (as text),
the inspector's "Live" figures, and pulses from invocations pushed over /ws/live/.

The pushed-invocation test needs the Redis channel layer: the site is a separate process, and
only through Redis does this process's ``flows.publish.publish`` reach its WebSocket.
"""
import os
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from flows.consumers import REPLAY_LIMIT
from flows.demo.seed import seed_demo
from flows.live.store import duration_bucket, gb_seconds, invocation_item
from flows.models import Invocation, InvocationMinute, LiveCounter
from flows.models.live import DURATION_BUCKETS_MS
from flows.publish import publish

from .harness import (
    ROOT,
    Site,
    edge,
    function,
    insert_graph,
    multi_stack_graph,
    node,
    serving,
)
from .test_graph_page import click_node, open_graph

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=window.__xss=1>"
MAX_ROWS = 500  # invocations the feed keeps (live.js)


@pytest.fixture(scope="module")
def site(emulator, tmp_path_factory, django_db_blocker):
    """The harness's site, on the Redis channel layer when REDIS_URL is set (as in CI)."""
    redis = os.environ.get("REDIS_URL", "")
    site = Site(tmp_path_factory.mktemp("live-site"),
                environment={"REDIS_URL": redis} if redis else None)
    with serving(site, django_db_blocker) as site:
        yield site


@pytest.fixture
def live_db(site_db, django_db_blocker):
    with django_db_blocker.unblock():
        for model in (Invocation, InvocationMinute, LiveCounter):
            model.objects.using(site_db).all().delete()
        yield site_db


def shop():
    queue = node("sqs_queue", "uploads")
    worker = function("thumbnailer", stack="media", memory_size=1024)
    api = node("api_gateway_v2", "edge01")
    billing = function("billing", stack="money")
    nodes = [queue, worker, api, billing]
    edges = [edge(queue, worker, "sqs", key="esm-1", batch_size=10),
             edge(api, billing, "api_gateway_v2", key="GET /bill", route_key="GET /bill"),
             edge(queue, billing, "sqs", key="esm-2", batch_size=1)]
    return nodes, edges


def store(using, arn, specs, start=None):
    """Invocation rows (with their feed ids) and per-minute aggregates, as the poller leaves them.

    specs: dicts with duration, memory, used, init, status, error_type, lines (extra log lines).
    """
    counter, _ = LiveCounter.objects.using(using).get_or_create(name="invocation")
    start = start or datetime.now(UTC) - timedelta(seconds=30)
    rows = []
    for i, spec in enumerate(specs):
        request_id = str(uuid.uuid4())
        at = start + timedelta(milliseconds=100 * i)
        ms = int(at.timestamp() * 1000)
        duration = spec.get("duration", 20.0)
        lines = [[ms, f"START RequestId: {request_id} Version: $LATEST\n"]]
        lines += [[ms + 1, text] for text in spec.get("lines", [])]
        lines.append([ms + 2, f"END RequestId: {request_id}\n"])
        lines.append([ms + 2, f"REPORT RequestId: {request_id}\tDuration: {duration} ms\t...\n"])
        counter.value += 1
        rows.append(Invocation(
            function_arn=arn, request_id=request_id, seq=counter.value,
            log_group="/aws/lambda/" + arn.rsplit(":", 1)[-1], log_stream="2026/11/26/[$LATEST]abc",
            started_at=at, completed_at=at + timedelta(milliseconds=duration),
            duration_ms=duration, billed_ms=float(int(duration) + 1), memory_mb=spec.get("memory", 1024),
            max_memory_mb=spec.get("used", 90), init_ms=spec.get("init"),
            status=spec.get("status", "ok"), error_type=spec.get("error_type", ""), ended=True,
            log_lines=lines))
    counter.save(using=using)
    Invocation.objects.using(using).bulk_create(rows)
    minutes = {}
    for row in rows:
        minute = row.started_at.replace(second=0, microsecond=0)
        aggregate = minutes.setdefault(minute, InvocationMinute(
            function_arn=arn, minute=minute, duration_histogram=[0] * (len(DURATION_BUCKETS_MS) + 1)))
        aggregate.count += 1
        aggregate.errors += row.status == "error"
        aggregate.timeouts += row.status == "timeout"
        aggregate.cold_starts += row.init_ms is not None
        aggregate.duration_sum_ms += row.duration_ms
        aggregate.duration_max_ms = max(aggregate.duration_max_ms, row.duration_ms)
        aggregate.billed_ms_sum += row.billed_ms
        aggregate.gb_seconds += gb_seconds(row.billed_ms, row.memory_mb)
        aggregate.memory_mb = row.memory_mb
        aggregate.max_memory_used_mb = max(aggregate.max_memory_used_mb or 0, row.max_memory_mb)
        aggregate.duration_histogram[duration_bucket(row.duration_ms)] += 1
    for aggregate in minutes.values():
        InvocationMinute.objects.using(using).update_or_create(
            function_arn=arn, minute=aggregate.minute, defaults={
                f.name: getattr(aggregate, f.name) for f in InvocationMinute._meta.fields
                if f.name not in ("id", "function_arn", "minute")})
    return rows


def feed_rows(page):
    return page.locator("#fs-live-rows tr")


def shown_ids(page):
    return [int(i) for i in feed_rows(page).evaluate_all("rows => rows.map(r => r.dataset.id)")]


# Keeps every WebSocket of the page within the test's reach (graph.js keeps its own private),
# with what was sent on it and the replays it brought. While ``hold`` is set, a new connection
# never completes, as on a dead network.
SOCKETS = """(() => {
    const Native = window.WebSocket;
    const hooks = window.__liveTest = {sockets: [], held: [], hold: false};
    window.WebSocket = class extends Native {
        constructor(...args) {
            if (hooks.hold) {
                const attempt = new EventTarget();
                attempt.readyState = Native.CONNECTING;
                attempt.send = () => { throw new Error("not open"); };
                attempt.close = () => {};
                hooks.held.push(attempt);
                return attempt;
            }
            super(...args);
            const record = {sent: [], replays: []};
            hooks.sockets.push({socket: this, record: record});
            this.addEventListener("message", event => {
                const message = JSON.parse(event.data);
                if (message.replay) record.replays.push(message);
            });
        }
        send(data) {
            this.__record().sent.push(JSON.parse(data));
            super.send(data);
        }
        __record() { return hooks.sockets.find(s => s.socket === this).record; }
    };
})();"""


@pytest.fixture
def page(page):
    page.add_init_script(SOCKETS)
    return page


def sockets(page):
    return page.evaluate("() => window.__liveTest.sockets.map(s => s.record)")


def watch_catch_up_requests(page):
    urls = []
    page.on("request", lambda request: urls.append(request.url) if "after=" in request.url else None)
    return urls


@contextmanager
def connection_down(page):
    """The page's live connection drops and stays down for the block (what is stored meanwhile
    is missed); then it reconnects and has resumed once this returns."""
    idle = "n => { const r = window.flowscopeLive.resume; return r.sent >= n && r.from === null; }"
    page.wait_for_function(idle, arg=1)
    sent = page.evaluate("() => window.flowscopeLive.resume.sent")
    page.evaluate("""() => {
        const hooks = window.__liveTest;
        hooks.hold = true;
        hooks.sockets.at(-1).socket.close();
    }""")
    expect(page.locator("body")).to_have_attribute("data-live", "closed")
    page.wait_for_function("() => window.__liveTest.held.length > 0")  # graph.js tried again
    yield
    # The hanging attempt fails; graph.js's next one gets through.
    page.evaluate("""() => {
        const hooks = window.__liveTest;
        hooks.hold = false;
        hooks.held.forEach(attempt => attempt.dispatchEvent(new Event("close")));
    }""")
    expect(page.locator("body")).to_have_attribute("data-live", "open", timeout=20000)
    page.wait_for_function(idle, arg=sent + 1, timeout=20000)


def test_it_lists_invocations_and_shows_their_log_lines_as_text(page, live_db):
    nodes, edges = shop()
    insert_graph(live_db, nodes, edges)
    worker = nodes[1]
    stored = store(live_db, worker["arn"], [
        {"duration": 35.5, "init": 240.0},
        {"duration": 12.0},
        {"duration": 80.0, "status": "error", "error_type": "Runtime.HandlerError",
         "lines": [f"2026-11-26T10:00:00.000Z\tabc\tERROR\t{XSS}\n", "[ERROR] KeyError: 'size'\n"]},
        {"duration": 3000.0, "status": "timeout", "error_type": "Sandbox.Timedout"},
    ])
    open_graph(page)

    rows = feed_rows(page)
    expect(rows).to_have_count(4)
    # Newest first, with the function's name, durations, memory and status.
    assert rows.first.get_attribute("data-id") == str(stored[-1].seq)
    first = rows.nth(3)
    expect(first.locator(".fs-live-col-function")).to_have_text("thumbnailer")
    expect(first.locator(".fs-live-col-duration")).to_have_text("35.5 ms")
    expect(first.locator(".fs-live-col-billed")).to_have_text("36 ms")
    expect(first.locator(".fs-live-col-memory")).to_have_text("90 / 1024 MB")
    expect(first.locator(".fs-live-col-init")).to_have_text("240 ms")
    expect(rows.nth(0).locator(".fs-live-col-status")).to_have_text("timeout")
    expect(rows.nth(1).locator(".fs-live-col-error")).to_have_text("Runtime.HandlerError")

    rows.nth(1).click()
    log = page.locator("#fs-live-log")
    expect(log).to_contain_text(XSS)
    expect(log).to_contain_text("[ERROR] KeyError: 'size'")
    expect(page.locator("#fs-live-detail")).to_have_attribute("data-state", "loaded")
    assert page.locator("#fs-live-detail img").count() == 0
    assert page.evaluate("() => window.__xss") is None

    page.select_option("#fs-live-filter-status", "failed")
    expect(rows).to_have_count(2)
    page.select_option("#fs-live-filter-status", "")
    page.select_option("#fs-live-filter-stack", "money")
    expect(rows).to_have_count(0)
    page.select_option("#fs-live-filter-stack", "media")
    expect(rows).to_have_count(4)
    page.select_option("#fs-live-filter-function", nodes[3]["arn"])  # billing: never called
    expect(rows).to_have_count(0)
    page.select_option("#fs-live-filter-function", worker["arn"])
    expect(rows).to_have_count(4)

    # Paused, the list stands still; resumed, it shows what came meanwhile.
    page.click("#fs-live-pause")
    with connection_down(page):
        store(live_db, worker["arn"], [{"duration": 9.0}])
    expect(page.locator(".fs-live-note")).to_contain_text("1 new while paused")
    expect(rows).to_have_count(4)
    page.click("#fs-live-pause")
    expect(rows).to_have_count(5)


def test_it_shows_a_functions_live_figures_in_the_inspector(page, live_db):
    nodes, edges = shop()
    insert_graph(live_db, nodes, edges)
    worker = nodes[1]
    store(live_db, worker["arn"], [{"duration": 40.0, "init": 200.0}] + [{"duration": 40.0}] * 6
          + [{"duration": 400.0, "status": "error", "error_type": "KeyError"}] * 2
          + [{"duration": 40.0, "used": 300}])
    open_graph(page)

    click_node(page, worker["arn"])
    section = page.locator("#fs-live-stats")
    expect(section).to_have_attribute("data-state", "loaded")
    assert section.get_attribute("data-invocations") == "10"
    expect(section).to_contain_text("Error rate")
    expect(section.locator("tr", has_text="Error rate")).to_contain_text("20 %")
    expect(section.locator("tr", has_text="Cold starts")).to_contain_text("10 %")
    expect(section.locator("tr", has_text="Max memory used")).to_contain_text("300 of 1024 MB")
    expect(section).to_contain_text("Right-sizing")
    # Two charts drawn from the per-minute series; the bars carry the red error part.
    expect(section.locator("svg.fs-live-chart")).to_have_count(2)
    assert section.locator("rect.fs-live-bar-error").count() >= 1
    # With axes: the top of each y axis in the chart's unit, and the time span.
    labels = section.locator(".fs-live-axis-label").all_text_contents()
    assert any(label.endswith(" /min") for label in labels) and any(label.endswith(" ms") for label in labels)
    assert labels.count("now") == 2 and any(label.startswith("−") and label.endswith(" min") for label in labels)
    expect(section).to_contain_text("Delivery: polling")

    # A queue has no invocations: no Live section.
    click_node(page, nodes[0]["arn"])
    expect(page.locator("#fs-inspector-name")).to_have_text("uploads")
    expect(section).to_have_count(0)


def test_it_resumes_over_the_socket_after_the_connection_drops(page, live_db):
    worker = shop_with_worker(live_db)
    seen = store(live_db, worker["arn"], [{"duration": 10.0}] * 2)
    caught_up_over_http = watch_catch_up_requests(page)
    open_graph(page)
    expect(feed_rows(page)).to_have_count(2)

    with connection_down(page):
        # Stored by the poller while the page was away: only a replay can bring them.
        missed = store(live_db, worker["arn"], [{"duration": 11.0}] * 3)

    expect(feed_rows(page)).to_have_count(5)
    assert shown_ids(page) == [r.seq for r in reversed(seen + missed)]
    first, second = sockets(page)
    # Each connection said what it had seen last; the second got the rest, over the socket.
    assert first["sent"] == [{"type": "resume", "last_invocation_id": seen[-1].seq}]
    assert second["sent"] == [{"type": "resume", "last_invocation_id": seen[-1].seq}]
    assert [r["items"] for r in second["replays"]] == [[invocation_item(r) for r in missed]]
    assert second["replays"][0]["more"] is False
    assert caught_up_over_http == []
    expect(page.locator(".fs-live-note")).not_to_contain_text("not listed")


def test_it_lists_the_newest_when_more_was_missed_than_the_feed_keeps(page, live_db):
    worker = shop_with_worker(live_db)
    seen = store(live_db, worker["arn"], [{"duration": 10.0}])
    open_graph(page)
    expect(feed_rows(page)).to_have_count(1)

    with connection_down(page):
        missed = store(live_db, worker["arn"], [{"duration": 12.0}] * (REPLAY_LIMIT + 50))

    # The first replayed page already fills the feed and more follow: rather than page through
    # them, the page fetches the newest and says that some are not listed.
    expect(page.locator(".fs-live-note")).to_contain_text("Some invocations are not listed")
    expect(page.locator(".fs-live-count")).to_have_text(str(MAX_ROWS))
    page.wait_for_function("last => window.flowscopeLive.feed.items.at(-1).id === last", arg=missed[-1].seq)
    ids = page.evaluate("() => window.flowscopeLive.feed.items.map(i => i.id)")
    assert ids == [r.seq for r in missed[-MAX_ROWS:]]
    second = sockets(page)[1]
    assert second["sent"] == [{"type": "resume", "last_invocation_id": seen[-1].seq}]
    assert [(len(r["items"]), r["more"]) for r in second["replays"]] == [(REPLAY_LIMIT, True)]


@pytest.mark.services
def test_it_lists_once_an_invocation_that_comes_both_replayed_and_live(page, live_db):
    worker = shop_with_worker(live_db)
    open_graph(page)
    with connection_down(page):
        missed = store(live_db, worker["arn"], [{"duration": 11.0}] * 3)
    expect(feed_rows(page)).to_have_count(3)

    # The same invocations pushed live after all (a late publisher), with a new one.
    new = store(live_db, worker["arn"], [{"duration": 13.0}])
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(publish, "invocations",
                           {"items": [invocation_item(r) for r in missed + new]}).result()

    expect(feed_rows(page)).to_have_count(4)
    assert shown_ids(page) == [r.seq for r in reversed(missed + new)]
    assert sockets(page)[1]["replays"][0]["items"] == [invocation_item(r) for r in missed]


def shop_with_worker(live_db):
    """The shop graph in the database; returns its worker function's node."""
    nodes, edges = shop()
    insert_graph(live_db, nodes, edges)
    return nodes[1]


def wait_until_caught_up(page):
    """Until the page's first resume has been sent and its replay has ended."""
    page.wait_for_function(
        "() => { const r = window.flowscopeLive.resume; return r.sent >= 1 && r.from === null; }")


def push(items):
    # Playwright's event loop owns this thread; publish from another, as a poller would.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(publish, "invocations", {"items": items}).result()


def resumes_sent(page):
    return [m["last_invocation_id"] for record in sockets(page) for m in record["sent"]
            if m["type"] == "resume"]


@pytest.mark.services
def test_it_replays_an_invocation_committed_but_never_pushed_once_the_gap_lasts(page, live_db):
    worker = shop_with_worker(live_db)
    open_graph(page)
    wait_until_caught_up(page)
    assert resumes_sent(page) == [0]

    rows = store(live_db, worker["arn"], [{"duration": 10.0}] * 4)
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    # 3 is committed, but its poller died before publishing it.
    push([invocation_item(rows[0]), invocation_item(rows[1]), invocation_item(rows[3])])
    pushed_at = time.monotonic()
    expect(feed_rows(page)).to_have_count(3)
    assert shown_ids(page) == [4, 2, 1]

    page.wait_for_function("() => window.__liveTest.sockets.some(s => s.record.sent.some("
                           "m => m.type === 'resume' && m.last_invocation_id === 2))", timeout=10000)
    # Not at once: an id can just be late (pollers publish independently).
    assert time.monotonic() - pushed_at >= 2.5
    expect(feed_rows(page)).to_have_count(4)
    assert shown_ids(page) == [4, 3, 2, 1]
    replays = [r["items"] for record in sockets(page) for r in record["replays"]]
    assert replays[-1] == [invocation_item(rows[2]), invocation_item(rows[3])]
    # The gap is closed: no further resume follows.
    page.wait_for_timeout(4000)
    assert resumes_sent(page) == [0, 2]
    assert shown_ids(page) == [4, 3, 2, 1]
    assert page.evaluate("() => [window.flowscopeLive.ids.upTo, window.flowscopeLive.ids.above.size]") == [4, 0]


@pytest.mark.services
def test_it_waits_for_an_invocation_that_comes_late_rather_than_resuming(page, live_db):
    worker = shop_with_worker(live_db)
    open_graph(page)
    wait_until_caught_up(page)
    rows = store(live_db, worker["arn"], [{"duration": 10.0}] * 4)
    items = [invocation_item(r) for r in rows]
    push([items[0], items[3], items[1]])
    expect(feed_rows(page)).to_have_count(3)
    page.wait_for_timeout(1000)
    push([items[2]])   # another poller's, a second later
    expect(feed_rows(page)).to_have_count(4)
    page.wait_for_timeout(4000)
    assert resumes_sent(page) == [0]
    assert shown_ids(page) == [4, 3, 2, 1]


@pytest.mark.services
def test_it_pulses_nodes_and_their_trigger_for_pushed_invocations(page, live_db):
    nodes, edges = shop()
    insert_graph(live_db, nodes, edges)
    queue, worker, _, billing = nodes
    open_graph(page)
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    page.evaluate("""() => {
        window.__pulses = [];
        // A pulse is counted when it starts: other class changes on a pulsing node (a rate
        // badge arriving meanwhile) fire 'class' too and must not count it again.
        const lit = new Set();
        window.flowscope.cy.on('class', 'node, edge', e => {
            const t = e.target, on = t.hasClass('fs-live-pulse') || t.hasClass('fs-live-edge');
            if (on && !lit.has(t.id())) window.__pulses.push({
                id: t.id(), error: t.hasClass('fs-live-error') || t.hasClass('fs-live-edge-error'),
                cold: t.hasClass('fs-live-cold'), edge: t.isEdge()});
            if (on) lit.add(t.id()); else lit.delete(t.id());
        });
    }""")

    ok = store(live_db, worker["arn"], [{"duration": 30.0, "init": 150.0}] + [{"duration": 30.0}] * 4)
    failed = store(live_db, billing["arn"], [{"duration": 50.0, "status": "error", "error_type": "ValueError"}])
    # Playwright's event loop owns this thread; publish from another, as a poller would.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(publish, "invocations",
                           {"items": [invocation_item(r) for r in ok + failed]}).result()

    expect(feed_rows(page)).to_have_count(6)
    page.wait_for_function("() => window.__pulses.filter(p => !p.edge).length >= 2")
    pulses = page.evaluate("() => window.__pulses")
    by_id = {}
    for pulse in pulses:
        by_id.setdefault(pulse["id"], pulse)
    # Five invocations in one frame: one pulse for the worker, marked cold; billing in red.
    assert sum(1 for p in pulses if p["id"] == worker["arn"]) == 1
    assert by_id[worker["arn"]]["cold"] and not by_id[worker["arn"]]["error"]
    assert by_id[billing["arn"]]["error"]
    # The worker has one trigger (the queue): that edge lights up. Billing has two: none does.
    lit = {p["id"] for p in pulses if p["edge"]}
    assert any(queue["arn"] in e and worker["arn"] in e for e in lit)
    assert not any(billing["arn"] in e for e in lit)
    # Busy functions get a rate badge instead of more animations.
    page.wait_for_function("arn => window.flowscope.cy.getElementById(arn).data('live_rate') === 5",
                           arg=worker["arn"])
    label = page.evaluate("arn => window.flowscope.cy.getElementById(arn).data('live_label')", worker["arn"])
    assert re.search(r"thumbnailer\n5/min$", label)
    assert page.evaluate("() => window.__xss") is None


@pytest.mark.services
def test_the_feed_lists_invocations_in_the_order_they_started_whatever_order_they_arrive_in(page, live_db):
    nodes, edges = shop()
    insert_graph(live_db, nodes, edges)
    _, worker, _, billing = nodes
    base = datetime.now(UTC) - timedelta(seconds=20)
    # Committed (and numbered) in this order, as two pollers reading two log groups would.
    late = store(live_db, worker["arn"], [{}], start=base + timedelta(seconds=5))
    early = store(live_db, billing["arn"], [{}], start=base)
    open_graph(page)
    expect(feed_rows(page)).to_have_count(2)
    assert shown_ids(page) == [late[0].seq, early[0].seq]  # newest start first
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    middle = store(live_db, billing["arn"], [{}], start=base + timedelta(seconds=2))
    newest = store(live_db, worker["arn"], [{}], start=base + timedelta(seconds=9))
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(publish, "invocations",
                           {"items": [invocation_item(r) for r in middle + newest]}).result()
    expect(feed_rows(page)).to_have_count(4)
    # The late arrival slots in between; nothing already shown moved.
    assert shown_ids(page) == [newest[0].seq, late[0].seq, middle[0].seq, early[0].seq]


@pytest.mark.services
def test_it_pulses_a_collapsed_group_and_sums_its_functions_rates(page, live_db):
    nodes, edges = multi_stack_graph()
    insert_graph(live_db, nodes, edges)
    a, b = (next(n for n in nodes if n["name"] == name) for name in ("svc-04-prod-fn1", "svc-04-prod-fn2"))
    open_graph(page)
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    group = page.evaluate("arn => window.flowscope.shownAs(arn)", a["arn"])
    assert group.startswith("group") and group == page.evaluate("arn => window.flowscope.shownAs(arn)", b["arn"])
    page.evaluate("""() => {
        window.__pulses = [];
        window.flowscope.cy.on('class', 'node', e => {
            if (e.target.hasClass('fs-live-pulse')) window.__pulses.push({
                id: e.target.id(), error: e.target.hasClass('fs-live-error')});
        });
    }""")
    rows = store(live_db, a["arn"], [{"duration": 20.0}] * 3)
    rows += store(live_db, b["arn"], [{"duration": 20.0, "status": "error", "error_type": "KeyError"}])
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(publish, "invocations", {"items": [invocation_item(r) for r in rows]}).result()
    page.wait_for_function("id => window.__pulses.some(p => p.id === id)", arg=group)
    assert any(p["id"] == group and p["error"] for p in page.evaluate("() => window.__pulses"))
    # The card's rate badge adds up its functions: 3 + 1 a minute.
    page.wait_for_function("id => window.flowscope.cy.getElementById(id).data('live_rate') === 4", arg=group)
    assert page.evaluate("id => window.flowscope.cy.getElementById(id).data('live_label')", group).endswith("4/min")


@pytest.mark.services
def test_it_shows_the_demos_traffic_on_the_graph_and_in_the_feed(page, site, live_db, aws):
    """The whole pipeline: demo traffic written into the emulator's logs, polled by the real
    poller (a separate process), pushed through Redis to the page."""
    seed_demo(aws.endpoint)
    site.manage("sync", "--no-audit")
    open_graph(page)
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    functions = page.evaluate(
        "() => window.flowscope.cy.nodes('[type = \"lambda_function\"]').map(n => n.id())")
    assert functions

    poller = subprocess.Popen([sys.executable, "manage.py", "poll_logs", "--demo-traffic", "20"],
                              cwd=ROOT, env=site.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        expect(feed_rows(page).nth(9)).to_be_attached(timeout=60000)
        page.wait_for_function("() => Number(document.getElementById('fs-graph').dataset.livePulses || 0) > 0")
    finally:
        poller.terminate()
        poller.wait(20)
    shown = set(page.locator("#fs-live-rows tr").evaluate_all("rows => rows.map(r => r.dataset.function)"))
    assert shown <= set(functions), "every invocation belongs to a function of the graph"
    assert page.evaluate("() => window.flowscope.cy.nodes('.fs-live-busy').length") >= 1


def test_the_feed_can_be_resized_and_no_column_is_cut_at_1440_px(page, live_db):
    nodes, edges = shop()
    insert_graph(live_db, nodes, edges)
    store(live_db, nodes[1]["arn"], [{"duration": 15000.0, "init": 812.5, "status": "timeout",
                                      "error_type": "Sandbox.Timedout"}])
    page.set_viewport_size({"width": 1440, "height": 900})
    open_graph(page)
    expect(feed_rows(page)).to_have_count(1)
    # Every header and cell shows its whole text.
    cut = page.evaluate("""() => Array.from(document.querySelectorAll('#fs-live th, #fs-live-rows td'))
        .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)""")
    assert cut == []
    handle = page.locator(".fs-live-resize").bounding_box()
    before = page.locator("#fs-live").bounding_box()["height"]
    graph_before = page.locator("#fs-graph").bounding_box()["height"]
    page.mouse.move(handle["x"] + 50, handle["y"] + 3)
    page.mouse.down()
    page.mouse.move(handle["x"] + 50, handle["y"] - 150, steps=5)
    page.mouse.up()
    after = page.locator("#fs-live").bounding_box()["height"]
    assert after == pytest.approx(before + 150, abs=6)
    assert page.locator("#fs-graph").bounding_box()["height"] == pytest.approx(graph_before - 150, abs=6)
    # Remembered across reloads.
    page.reload()
    expect(feed_rows(page)).to_have_count(1)
    assert page.locator("#fs-live").bounding_box()["height"] == pytest.approx(after, abs=2)
