"""Sign-in throttling (django-axes): failed sign-ins per user name and address lock the pair out
for a cool-off; the right password is refused meanwhile and accepted after it."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.conftest import FIXED_NOW, REPO

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _sign_in(client, password, username="analyst", address="10.0.0.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client):
    return "_auth_user_id" in client.session


def test_fifteen_wrong_passwords_lock_the_user_out_until_the_cool_off_ends(client, analyst, clock):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    statuses = [_sign_in(client, f"wrong-{i}").status_code for i in range(15)]
    # Four plain refusals on the form, then the lockout page from the fifth failure on.
    assert statuses == [200] * 4 + [429] * 11

    refused = _sign_in(client, "analyst-pass-2026")
    assert refused.status_code == 429 and not _signed_in(client)
    body = refused.content.decode()
    assert "<h1>Sign-in locked for now</h1>" in body and "Back to sign in" in body
    # The last attempt was at 12:00 UTC on 20 Nov = 12:00 in London: locked until 12:15.
    assert "Try again after <strong><time" in body and ">12:15</time>" in body
    assert "20 Nov 2026" in body

    # Another address is not locked out (the lockout is per user name and address) …
    assert _sign_in(client, "analyst-pass-2026", address="10.0.0.8").status_code == 302
    client.logout()
    # … and the cool-off counts from the last attempt.
    clock.move_to(FIXED_NOW + dt.timedelta(minutes=14))
    assert _sign_in(client, "analyst-pass-2026").status_code == 429
    clock.move_to(FIXED_NOW + dt.timedelta(minutes=14 + 16))
    accepted = _sign_in(client, "analyst-pass-2026")
    assert accepted.status_code == 302 and _signed_in(client)


def test_a_successful_sign_in_resets_the_count(client, analyst):
    for i in range(4):
        assert _sign_in(client, f"wrong-{i}").status_code == 200
    assert _sign_in(client, "analyst-pass-2026").status_code == 302
    client.logout()
    # The count starts again: four more failures still leave the form, not the lockout page.
    for i in range(4):
        assert _sign_in(client, f"again-{i}").status_code == 200
    assert _sign_in(client, "analyst-pass-2026").status_code == 302


def test_the_form_explains_a_wrong_password_before_the_lockout(client, analyst):
    response = _sign_in(client, "nope")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_production_settings_keep_the_throttle_on():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_ENABLED, s.AUTHENTICATION_BACKENDS[0], s.MIDDLEWARE[-1], "
        "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds())"
    )
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CONTACTMIS_LOGIN", "DATABASE_URL"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="contactmis.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-real-secret-2026",
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [
        "True",
        "axes.backends.AxesStandaloneBackend",
        "axes.middleware.AxesMiddleware",
        "5",
        "900.0",
    ]
