"""Shared fixtures: the personas every suite uses, and the path to the real data."""
from pathlib import Path

import pytest

from contactmis.roles import ANALYST, MANAGER, VIEWER

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
ANONYMOUS_BANK = SHARED_DATA / "anonymous-bank"


@pytest.fixture
def centre(db):
    from contactmis.models import Centre

    return Centre.objects.create(name="Test centre", time_zone="Europe/London")


def _user(username, role):
    from contactmis.services import user_create_with_role

    return user_create_with_role(username=username, password=f"{username}-pass-2026", role=role,
                                 email=f"{username}@example.org")


@pytest.fixture
def manager(db):
    return _user("manager", MANAGER)


@pytest.fixture
def analyst(db):
    return _user("analyst", ANALYST)


@pytest.fixture
def viewer(db):
    """A stakeholder viewer (its stakeholder and scope are set by the tests that need them)."""
    return _user("viewer", VIEWER)


@pytest.fixture
def outsider(db):
    """A viewer of another stakeholder: must get 404 for anything outside its own scope."""
    return _user("outsider", VIEWER)


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def anonymous_bank_dir():
    if not ANONYMOUS_BANK.is_dir():
        pytest.skip(f"real data not found at {ANONYMOUS_BANK}")
    return ANONYMOUS_BANK

# A worktree sits one level deeper than the main checkout: find the shared data there too.
if not ANONYMOUS_BANK.is_dir() and (REPO.parent.parent / "shared" / "data").is_dir():
    SHARED_DATA = REPO.parent.parent / "shared" / "data"
    ANONYMOUS_BANK = SHARED_DATA / "anonymous-bank"


@pytest.fixture(autouse=True)
def _metric_catalogue(request):
    """The seeded metric catalogue for every database test (a transactional test elsewhere may
    have flushed the data migration's rows)."""
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        from tests.design_factories import ensure_metric_catalogue

        request.getfixturevalue("db")
        ensure_metric_catalogue()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached widget results and the data version live in the shared cache, which outlives a
    test's database; ids repeat between tests, so every test starts with an empty cache."""
    from stakeholders.widgets import widget_cache_clear

    widget_cache_clear()
    yield
