"""Debug pages (settings, source, the URL patterns) reach staff only, even with DEBUG on."""

from unittest import mock

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _broken_home():
    return mock.patch("contactmis.views.home_panels", side_effect=RuntimeError("kaput"))


@override_settings(DEBUG=True)
def test_a_non_staff_user_gets_the_styled_pages_with_debug_on(viewer, manager):
    for user in (viewer, manager):  # a manager without the staff flag is not staff
        client = _client(user)
        missing = client.get("/no/such/page/")
        assert missing.status_code == 404
        body = missing.content.decode()
        assert "<h1>Not found</h1>" in body and "URLconf" not in body and "api/v1/" not in body
        with _broken_home():
            broken = client.get("/")
        assert broken.status_code == 500
        body = broken.content.decode()
        assert "<h1>Something went wrong</h1>" in body
        assert "kaput" not in body and "Traceback" not in body and "SECRET_KEY" not in body


@override_settings(DEBUG=True)
def test_an_anonymous_visitor_gets_the_styled_404_with_debug_on(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404 and "URLconf" not in response.content.decode()


@override_settings(DEBUG=True)
def test_staff_still_get_the_debug_pages(manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    client = _client(manager)
    assert "URLconf" in client.get("/no/such/page/").content.decode()
    with _broken_home():
        broken = client.get("/")
    assert broken.status_code == 500 and "kaput" in broken.content.decode()


def test_with_debug_off_the_middleware_leaves_errors_to_django(viewer):
    with _broken_home():
        broken = _client(viewer).get("/")
    assert broken.status_code == 500
    assert "<h1>Something went wrong</h1>" in broken.content.decode()
