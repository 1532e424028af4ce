"""Error pages are the site's own: styled, with the way back."""
import pytest
from django.test import Client

from .conftest import ACCOUNT_ID


def test_it_shows_a_styled_404_with_navigation_for_an_unknown_role(signed_in):
    response = signed_in.get(f"/roles/arn:aws:iam::{ACCOUNT_ID}:role/nobody")
    html = response.content.decode()

    assert response.status_code == 404
    assert "/static/flows/app.css" in html
    assert 'class="topbar"' in html and "Log out" in html
    assert "No such role in the synced graph" in html
    assert 'href="/history/"' in html


def test_it_shows_the_404_page_for_an_address_that_matches_nothing(client, db):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "/static/flows/app.css" in response.content.decode()
    assert "Resolver404" not in response.content.decode()


def test_it_shows_a_styled_403(signed_in, settings):
    settings.ROOT_URLCONF = "tests.web.error_urls"

    response = signed_in.get("/forbidden/")

    assert response.status_code == 403
    assert "Forbidden" in response.content.decode()
    assert "/static/flows/app.css" in response.content.decode()


def test_it_shows_a_styled_500_with_links_and_no_details(user, settings):
    settings.ROOT_URLCONF = "tests.web.error_urls"
    client = Client(raise_request_exception=False)
    client.force_login(user)

    response = client.get("/broken/")
    html = response.content.decode()

    assert response.status_code == 500
    assert "Something went wrong" in html and "/static/flows/app.css" in html
    assert 'href="/audit/"' in html
    assert "secret detail" not in html


@pytest.fixture(autouse=True)
def _no_debug(settings):
    settings.DEBUG = False
