import pytest

from tests.design_factories import ensure_metric_catalogue


@pytest.fixture(autouse=True)
def metric_catalogue(request):
    """The seeded metric catalogue, for tests that use the database."""
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        ensure_metric_catalogue()
