"""Styled error pages and the API schema behind a login."""
import pytest

pytestmark = pytest.mark.django_db


def test_the_api_schema_and_docs_need_a_login(client, analyst):
    for path in ("/api/schema/", "/api/docs/"):
        assert client.get(path).status_code in (401, 403), path
    client.force_login(analyst)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_a_wrong_role_gets_a_styled_403_page(analyst_client):
    response = analyst_client.get("/measurements/plans/new/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>Not allowed</h1>" in body and "Sign out" in body


def test_a_viewer_gets_a_styled_404_for_centre_wide_pages(viewer_client):
    response = viewer_client.get("/measurements/plans/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Not found</h1>" in body and "Sign out" in body


def test_a_bad_parameter_gets_a_styled_404_naming_it(manager_client):
    response = manager_client.get("/analysis/forecasts/", {"forecast": "abc"})
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Not found</h1>" in body and "“forecast”" in body
    assert "DESIGN" not in body and "Traceback" not in body


def test_an_uncaught_model_rule_is_a_400_keyed_by_field():
    from django.core.exceptions import ValidationError

    from contactmis.api.errors import exception_handler

    response = exception_handler(ValidationError({"custom_end": "Too far.", "__all__": "No."}),
                                 {})
    assert response.status_code == 400
    assert response.data == {"custom_end": ["Too far."], "non_field_errors": ["No."]}
    assert exception_handler(ValidationError("Plain."), {}).data == {
        "non_field_errors": ["Plain."]}


def test_the_api_docs_load_only_files_the_site_serves(client, analyst):
    import re

    from django.contrib.staticfiles import finders

    client.force_login(analyst)
    for page in ("/api/docs/", "/api/redoc/"):
        body = client.get(page).content.decode()
        assets = re.findall(r'(?:src|href)="([^"]+)"', body)
        assert assets, page
        for asset in assets:
            assert asset.startswith("/static/"), (page, asset)  # no CDN, no web fonts
            assert finders.find(asset.removeprefix("/static/")), asset
