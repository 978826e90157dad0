import pytest

pytestmark = pytest.mark.django_db


def test_smoke(two_vendors, viewer_client):
    r = viewer_client.get("/present/dashboards/")
    assert r.status_code == 302
    r = viewer_client.get(r["Location"])
    assert r.status_code == 200, r.content[:2000]
