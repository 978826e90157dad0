"""``manage.py demo_setup``: the demo logins and the address the banner prints."""
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _banner(*args):
    out = io.StringIO()
    call_command("demo_setup", "--skip-data", *args, stdout=out)
    return out.getvalue()


def test_banner_prints_the_address_make_demo_serves_on():
    text = _banner("--host", "127.0.0.1", "--port", "8047")
    assert "Open http://127.0.0.1:8047 and sign in as:" in text
    assert "user manager  password contactmis-manager" in text
    assert set(get_user_model().objects.values_list("username", flat=True)) >= {
        "manager", "analyst", "vendor"}


def test_banner_on_all_interfaces_names_an_address_a_browser_can_open():
    assert "Open http://127.0.0.1:9000 and sign in" in _banner("--host", "0.0.0.0",
                                                               "--port", "9000")
