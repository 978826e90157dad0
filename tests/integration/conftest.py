"""Integration fixtures: the real PostgreSQL and Redis, and a real Celery worker process.

Run with ``make test-integration`` (which sets ``DATABASE_URL`` and ``REDIS_URL``). The worker is a
separate ``celery worker`` process pointed at the test database, consuming a queue of its own.
"""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]



def wait_for(predicate, timeout, what, every=0.2):
    """``predicate()``'s first truthy value within ``timeout`` seconds (polled every ``every``),
    else a failure naming ``what`` (a text, or a callable giving one at the time of failing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    what = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="session", autouse=True)
def _require_real_services():
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.fail("integration tests need DATABASE_URL (PostgreSQL) and REDIS_URL; "
                    "run them with `make test-integration`", pytrace=False)


def _database_url(settings_dict):
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


class WorkerProcess:
    """A running ``celery worker`` subprocess; ``kill()`` ends it abruptly, ``start()`` again."""

    def __init__(self, queue, database_url, log_path):
        self.queue = queue
        self.hostname = f"it-{queue}@localhost"
        self.database_url = database_url
        self.log_path = log_path
        self.process = None

    def start(self, timeout=60):
        env = {**os.environ, "DATABASE_URL": self.database_url,
               "CELERY_TASK_DEFAULT_QUEUE": self.queue, "DJANGO_SETTINGS_MODULE":
               "contactmis.settings"}
        log = open(self.log_path, "ab")  # noqa: SIM115 - the worker keeps it open
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "contactmis", "worker", "--pool=prefork",
             "--concurrency=1", "-Q", self.queue, "-n", self.hostname, "--loglevel=INFO",
             "--without-gossip", "--without-mingle"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout):
        from contactmis.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early; see {self.log_path}")
            if app.control.ping(destination=[self.hostname], timeout=0.5):
                return
        raise RuntimeError(f"worker did not answer within {timeout}s; see {self.log_path}")

    def kill(self):
        """SIGKILL the whole worker process group, as a crash or OOM kill would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self):
        return Path(self.log_path).read_text(errors="replace")


@pytest.fixture(scope="session")
def celery_queue():
    """A queue of this test session's own, so no stray worker can take its tasks."""
    from django.conf import settings

    from contactmis.celery import app

    queue = f"contactmis-it-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    app.conf.task_default_queue = queue
    return queue


_RUNNING: list[WorkerProcess] = []  # the session's worker, once a test has started it


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, celery_queue, tmp_path_factory):
    """A real Celery worker on the test database, for the whole session."""
    from django.db import connection

    url = _database_url(connection.settings_dict)
    worker = WorkerProcess(celery_queue, url, tmp_path_factory.mktemp("worker") / "worker.log")
    worker.start()
    _RUNNING.append(worker)
    yield worker
    _RUNNING.remove(worker)
    worker.stop()


def _worker_at_rest(queue: str) -> bool:
    """No task of ``queue`` waiting in Redis and no other connection to the test database
    inside a transaction (a task the worker is running: the monitor's check after an import, the
    dashboards' warming)."""
    import redis
    from django.conf import settings
    from django.db import connection

    if redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue):
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')")
        return cursor.fetchone()[0] == 0


@pytest.fixture(autouse=True)
def _worker_at_rest_before_the_flush(request):
    """Before a test's database is emptied (TRUNCATE of every table), wait until the worker has
    finished what earlier steps sent it: a task still reading while the tables are truncated
    deadlocks the two. Set up after pytest-django's database fixture, so torn down before it."""
    if request.node.get_closest_marker("django_db") is not None:
        request.getfixturevalue("_django_db_helper")
    yield
    worker = _RUNNING[0] if _RUNNING else None
    if worker is None or worker.process is None or worker.process.poll() is not None:
        return
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return  # a test inside a transaction is rolled back, not truncated
    quiet = 0
    deadline = time.monotonic() + 120
    while quiet < 3 and time.monotonic() < deadline:  # three looks in a row, 0.1 s apart
        quiet = quiet + 1 if _worker_at_rest(worker.queue) else 0
        time.sleep(0.1)
