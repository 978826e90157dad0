"""Every page and endpoint needs a login; roles see what they should."""
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

OPEN_PATHS = {"healthz", "accounts/login/", "accounts/logout/"}


def _concrete_paths(patterns=None, prefix=""):
    """Every URL pattern without path parameters (parameterised ones get a dummy id)."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _concrete_paths(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern):
            # DRF router routes are regexes (``^kpis/$``): check their parameter-free ones too
            full = (prefix + route).replace("^", "").replace("$", "")
            if "(?P" in full or "\\" in full:
                continue
            yield _fill(full)


def _fill(route):
    import re

    return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", route)


def test_every_page_redirects_anonymous_users_to_login(client):
    checked = 0
    for path in set(_concrete_paths()):
        if path.strip("/") in {p.strip("/") for p in OPEN_PATHS} or path.startswith(("/api/",
                                                                                      "/admin/")):
            continue
        response = client.get(path)
        assert response.status_code in (302, 404), path
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"], path
        checked += 1
    assert checked >= 1


def test_every_api_endpoint_refuses_anonymous_users(client):
    checked = 0
    for path in set(_concrete_paths()):
        if not path.startswith("/api/v1/"):
            continue
        response = client.get(path)
        assert response.status_code in (401, 403), path
        checked += 1
    assert checked >= 2


def test_api_answers_401_with_token_challenge(client):
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_admin_refuses_anonymous_users(client):
    assert client.get("/admin/").status_code == 302


def test_home_renders_for_a_manager_with_next_steps(manager_client):
    response = manager_client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Plan &amp; measure" in body
    assert "Sign out" in body


def test_login_page_is_open_and_logs_in(client, manager):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "manager",
                                                "password": "manager-pass-2026"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_with_a_wrong_password_says_so(client, manager):
    response = client.post("/accounts/login/", {"username": "manager", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


@pytest.mark.parametrize("persona,role", [("manager", "manager"), ("analyst", "analyst"),
                                          ("viewer", "viewer")])
def test_api_reports_the_role_of_each_persona(api_client, request, persona, role):
    user = request.getfixturevalue(persona)
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/me/").json() == {"username": user.username, "role": role}


def test_token_authentication_works(api_client, analyst):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=analyst)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/me/").json()["role"] == "analyst"


def test_only_managers_may_write_through_the_api(api_client, analyst, manager):
    payload = {"name": "North", "time_zone": "Europe/Paris", "opening_hours": {}}
    api_client.force_authenticate(analyst)
    assert api_client.post("/api/v1/centres/", payload, format="json").status_code == 403
    api_client.force_authenticate(manager)
    assert api_client.post("/api/v1/centres/", payload, format="json").status_code == 201


def test_a_user_without_a_role_gets_nothing(api_client, client, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x-pass-2026")
    api_client.force_authenticate(nobody)
    assert api_client.get("/api/v1/me/").status_code == 403


def test_viewer_sees_no_configuration_links(viewer_client):
    body = viewer_client.get("/").content.decode()
    assert "Business plans" not in body
    assert "Imports" not in body


def test_viewer_without_a_stakeholder_has_an_empty_scope(viewer):
    from contactmis.scope import scope_for_user

    scope = scope_for_user(viewer)
    assert scope.queue_ids == frozenset()
    assert not scope.is_unrestricted


def test_manager_and_analyst_have_the_whole_centre(manager, analyst):
    from contactmis.scope import scope_for_user

    assert scope_for_user(manager).is_unrestricted
    assert scope_for_user(analyst).is_unrestricted


def test_centre_api_rejects_an_unknown_time_zone(api_client, manager):
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/centres/", {"name": "X", "time_zone": "Mars/Olympus"},
                               format="json")
    assert response.status_code == 400
    assert "time_zone" in response.json()
