"""Shared fixtures: the suite's one clock, the personas every suite uses, and the path to the
real data."""
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contactmis.roles import ANALYST, MANAGER, VIEWER

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
ANONYMOUS_BANK = SHARED_DATA / "anonymous-bank"


# The suite's "now": a plain Friday afternoon in November (Friday 20 November 2026, 12:00 UTC).
# No test reads the real clock (benchmarks, which are not tests, time real work): a test that
# needs another instant says so with
# ``@pytest.mark.clock(datetime)`` (a tz-aware datetime), or travels inside itself with
# time-machine. The destination's zone is UTC, so the machine's own time zone is never read.
FIXED_NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("UTC"))

# The awkward days calendar behaviour is tested on, each at midday UTC (centre: Europe/London).
SUNDAY_SPRING_FORWARD = dt.datetime(2027, 3, 28, 12, 0, tzinfo=ZoneInfo("UTC"))
FALL_BACK_DAY = dt.datetime(2026, 10, 25, 12, 0, tzinfo=ZoneInfo("UTC"))
LEAP_DAY = dt.datetime(2028, 2, 29, 9, 0, tzinfo=ZoneInfo("UTC"))
YEAR_END = dt.datetime(2026, 12, 31, 12, 0, tzinfo=ZoneInfo("UTC"))
AWKWARD_DAYS = {"sunday-spring-forward": SUNDAY_SPRING_FORWARD, "fall-back": FALL_BACK_DAY,
                "leap-day": LEAP_DAY, "year-end": YEAR_END}


def pytest_configure(config):
    config.addinivalue_line("markers", "clock(when): the instant the test's clock starts at "
                                       "(tz-aware datetime); default FIXED_NOW")


@pytest.fixture(autouse=True)
def clock(request):
    """Pins "now" for every test: FIXED_NOW, or the ``clock`` marker's instant. The clock ticks
    on from there (timeouts and durations still work); ``clock.move_to(...)`` jumps."""
    if request.node.get_closest_marker("benchmark"):
        # Benchmarks time real work against server processes of their own (gunicorn, whose
        # sessions expire by its own clock): they run on the machine's clock and assert no date.
        yield None
        return
    marker = request.node.get_closest_marker("clock")
    when = marker.args[0] if marker else FIXED_NOW
    if when.tzinfo is None:
        raise ValueError("@pytest.mark.clock needs a tz-aware datetime")
    if not isinstance(when.tzinfo, ZoneInfo):
        when = when.astimezone(ZoneInfo("UTC"))
    with time_machine.travel(when, tick=True) as traveller:
        yield traveller


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


@pytest.fixture(scope="session", autouse=True)
def _worker_own_folders(tmp_path_factory):
    """Under pytest-xdist each worker process gets its own file cache, media and mail folders:
    the file cache in var/ is shared by the processes of a machine, and one worker emptying it
    before a test must not empty it under another worker's running test. (A Redis cache, as in
    the integration suite, runs without xdist and is left as configured.)"""
    import os

    from django.test.utils import override_settings

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    from django.conf import settings

    root = tmp_path_factory.mktemp("var")
    changes = {"MEDIA_ROOT": root / "media", "EMAIL_FILE_PATH": root / "mail"}
    cache = settings.CACHES["default"]
    if cache["BACKEND"].endswith("FileBasedCache"):
        changes["CACHES"] = {"default": {**cache, "LOCATION": str(root / "cache")}}
    with override_settings(**changes):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached widget results and the data version live in the shared cache, which outlives a
    test's database; ids repeat between tests, so every test starts with an empty cache."""
    from stakeholders.widgets import widget_cache_clear

    widget_cache_clear()
    yield
