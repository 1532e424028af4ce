"""Login throttling (django-axes): wrong passwords lock a user out from one address, for a
while; an admin can clear it; sessions made otherwise and API tokens are not affected."""
from axes.models import AccessAttempt
from django.contrib import admin
from django.core.management import call_command

from flows.models import ApiToken

from .conftest import PASSWORD


def _log_in(client, password, address="203.0.113.7"):
    return client.post("/login/", {"username": "ada", "password": password},
                       REMOTE_ADDR=address)


def test_it_locks_a_user_out_after_five_wrong_passwords(client, user):
    answers = [_log_in(client, f"guess {n}").status_code for n in range(8)]
    after = _log_in(client, PASSWORD)

    assert answers[:4] == [200] * 4  # the form again, with its error
    assert set(answers[4:]) == {429}
    assert after.status_code == 429
    assert b"Too many failed logins" in after.content
    assert b'href="/login/"' in after.content


def test_it_still_lets_the_user_in_from_another_address(client, user):
    for n in range(6):
        _log_in(client, f"guess {n}")

    response = _log_in(client, PASSWORD, address="198.51.100.20")

    assert response.status_code == 302


def test_an_admin_can_clear_a_lockout(client, user):
    for n in range(6):
        _log_in(client, f"guess {n}")

    assert admin.site.is_registered(AccessAttempt)
    call_command("axes_reset_username", "ada")

    assert _log_in(client, PASSWORD).status_code == 302


def test_a_successful_login_forgets_earlier_failures(client, user):
    for n in range(4):
        _log_in(client, f"guess {n}")
    assert _log_in(client, PASSWORD).status_code == 302
    client.post("/logout/")

    answers = [_log_in(client, f"again {n}").status_code for n in range(4)]

    assert answers == [200] * 4


def test_a_locked_out_user_keeps_api_token_access(client, user):
    for n in range(6):
        _log_in(client, f"guess {n}")
    _, raw = ApiToken.objects.issue(user, name="ci")

    response = client.get("/api/status/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200
