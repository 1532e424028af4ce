import os

import pytest

from .harness import (
    ALIAS,
    CHROMIUM,
    Site,
    clear_graph,
    create_user,
    launch_chromium,
    log_in,
    serving,
)


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or not any("browser" in item.keywords for item in items):
        return
    if os.environ.get("FLOWSCOPE_REQUIRE_SERVICES") == "1":
        raise pytest.UsageError(f"FLOWSCOPE_REQUIRE_SERVICES=1 but there is no Chromium at {CHROMIUM}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium)"))


@pytest.fixture(scope="module")
def site(emulator, tmp_path_factory, django_db_blocker):
    """Daphne on a file database, pointed at the emulator (its AWS_* variables are inherited)."""
    with serving(Site(tmp_path_factory.mktemp("site")), django_db_blocker) as site:
        yield site


@pytest.fixture
def site_db(site, django_db_blocker):
    """The site's database, emptied, with a user; yields the connection alias to seed through."""
    with django_db_blocker.unblock():
        clear_graph(ALIAS)
        site.credentials = create_user(ALIAS)
        yield ALIAS


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, site, site_db):
    """A logged-in page; console errors and uncaught exceptions are collected on ``page.errors``."""
    context = chromium.new_context(base_url=site.url, viewport={"width": 1400, "height": 900},
                                   accept_downloads=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    # Failed requests are recorded with their URL (below), not as the console's bare line.
    # cytoscape-svg's canvas-to-SVG shim logs "Attempted to apply path command to node g"
    # for rounded shapes although the SVG it writes is complete (checked by eye).
    ignored = ("Failed to load resource", "Attempted to apply path command to node g")
    page.on("console", lambda msg: page.errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith(ignored) else None)
    page.on("response", lambda response: page.errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    log_in(page, site.credentials)
    yield page
    context.close()
    assert page.errors == [], "the page logged errors or failed requests"
