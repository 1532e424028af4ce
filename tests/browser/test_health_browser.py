"""The top bar's status line: hidden while all is well, amber or red with what to do."""
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .harness import ACCOUNT_ID, REGION

pytestmark = pytest.mark.browser


def _account(using):
    from flows.models import Account

    return Account.objects.using(using).get_or_create(account_id=ACCOUNT_ID)[0]


@pytest.fixture
def clean_cursors(site_db):
    from flows.models import LogCursor

    LogCursor.objects.using(site_db).all().delete()
    yield
    LogCursor.objects.using(site_db).all().delete()


def test_the_status_line_stays_hidden_while_everything_works(page, site_db, clean_cursors):
    page.goto("/history/")

    # A bare expression would be eval'd by Playwright's polling, which the page's CSP refuses.
    expect(page.locator("#fs-health")).to_have_attribute("data-level", "ok")
    expect(page.locator("#fs-health")).to_be_hidden()


def test_the_status_line_turns_amber_after_a_failed_sync_and_says_what_to_do(page, site_db,
                                                                             clean_cursors):
    from flows.models import SyncRun

    SyncRun.objects.using(site_db).create(account=_account(site_db), status="failed",
                                          regions=[REGION], finished_at=timezone.now())
    page.goto("/")

    line = page.locator("#fs-health")
    expect(line).to_be_visible()
    expect(line).to_have_attribute("data-level", "amber")
    expect(line).to_contain_text("Last sync failed")
    expect(line).to_contain_text("History page")


def test_the_status_line_turns_red_when_live_data_stopped_arriving(page, site_db, clean_cursors):
    from flows.models import LogCursor

    LogCursor.objects.using(site_db).create(
        account=_account(site_db), region=REGION, log_group="/aws/lambda/worker",
        next_poll_at=timezone.now() - timedelta(seconds=600))
    page.goto("/audit/")

    line = page.locator("#fs-health")
    expect(line).to_have_attribute("data-level", "red")
    expect(line).to_contain_text("Live data stale: polling")
    expect(line).to_contain_text("manage.py demo")
