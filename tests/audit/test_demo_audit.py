"""The audit on the demo account, whose roles are over-privileged on purpose."""
import pytest

from flows.auditing import audit_account
from flows.demo.seed import seed_demo
from flows.models import Finding
from flows.sync import sync_account


@pytest.mark.django_db
def test_it_finds_the_demos_deliberately_over_privileged_roles(aws):
    summary = seed_demo(aws.endpoint)
    run = sync_account([summary["region"]])
    audit_account(run.account)

    def role(name):
        return f"arn:aws:iam::{summary['account']}:role/{name}"

    def categories(principal):
        return set(Finding.objects.filter(account=run.account, principal=principal)
                   .values_list("category", flat=True))

    admin = Finding.objects.get(account=run.account, principal=role("chat-admin-role"), category="admin")
    assert admin.policy == "AdministratorAccess" and admin.functions
    assert "service_wildcard" in categories(role("chat-analytics-role"))
    assert "privilege_escalation" in categories(role("chat-infra-deployer-role"))
    assert "shared_role" in categories(role("chat-realtime-connections-role"))
    # A role scoped to one table and one API is not flagged for escalation or admin.
    assert not {"admin", "privilege_escalation"} & categories(role("chat-history-role"))
