"""Live Tail mode in a real Chromium: the inspector's function becomes the page's focus (kept
in Redis, where the tail manager of another process reads it), and the Live section says when
a session follows the function."""
import os
import time

import pytest
from playwright.sync_api import expect

from flows.live import focus

from .harness import Site, edge, function, insert_graph, node, serving
from .test_graph_page import click_node, open_graph

# The site is another process: only through Redis does this one see its focus registry.
pytestmark = [pytest.mark.browser, pytest.mark.services]


@pytest.fixture(scope="module")
def site(emulator, tmp_path_factory, django_db_blocker):
    site = Site(tmp_path_factory.mktemp("tail-site"),
                environment={"REDIS_URL": os.environ.get("REDIS_URL", "")})
    with serving(site, django_db_blocker) as site:
        yield site


@pytest.fixture(autouse=True)
def empty_registry():
    focus.registry().clear()
    yield
    focus.registry().clear()


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_inspected_function_is_focused_and_shows_when_live_tail_follows_it(page, site_db):
    queue = node("sqs_queue", "uploads")
    worker = function("thumbnailer")
    insert_graph(site_db, [queue, worker], [edge(queue, worker, "sqs", key="esm-1")])
    open_graph(page)
    section = page.locator("#fs-live-stats")

    click_node(page, queue["arn"])
    time.sleep(1.5)
    assert focus.focused_functions() == set()          # a queue is no function to tail

    click_node(page, worker["arn"])
    assert wait_for(lambda: focus.focused_functions() == {worker["arn"]})
    expect(section).to_have_attribute("data-live-tail", "off", timeout=10000)
    expect(section.locator(".fs-live-tail")).to_have_count(0)

    # What the tail manager says once its session runs (it restates it every tick).
    focus.set_tailing([worker["arn"]])
    expect(section.locator(".fs-live-tail")).to_have_text(
        "Live Tail: new invocations arrive within seconds", timeout=10000)
    expect(section).to_have_attribute("data-live-tail", "on")

    page.click("#fs-inspector-close")
    # Even when the connection that stated the focus died meanwhile (channels_redis drops
    # idle connections here), the page's new connection clears it.
    assert wait_for(lambda: focus.focused_functions() == set())
