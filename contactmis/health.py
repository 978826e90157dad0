"""Health of the installation's parts: database, broker and workers.

With the embedded defaults (no broker) tasks run in-process, so broker and worker report
``eager`` and are healthy. With a broker configured, an unreachable broker or no answering worker
is a failure, named in the result.
"""
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection


@dataclass
class PartState:
    ok: bool
    state: str
    detail: str = ""


def _redact(url):
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return PartState(False, "down", f"{connection.vendor}: {exc.__class__.__name__}: {exc}")
    return PartState(True, "up", connection.vendor)


def check_broker(app):
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return PartState(True, "eager", "no broker configured: tasks run in-process")
    url = settings.CELERY_BROKER_URL
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return PartState(False, "down", f"{_redact(url)}: {exc.__class__.__name__}: {exc}")
    return PartState(True, "up", _redact(url))


def check_workers(app, broker_ok):
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return PartState(True, "eager", "tasks run in the web process")
    if not broker_ok:
        return PartState(False, "unknown", "broker unreachable, workers cannot be asked")
    try:
        replies = app.control.ping(timeout=1.0) or []
    except Exception as exc:
        return PartState(False, "down", f"{exc.__class__.__name__}: {exc}")
    if not replies:
        return PartState(False, "down", "no worker answered a ping within 1 s")
    names = sorted(name for reply in replies for name in reply)
    return PartState(True, "up", f"{len(names)} worker(s): {', '.join(names)}")


def health_report():
    """``(healthy, parts)`` where parts maps part name to its state as a dict."""
    from .celery import app

    database = check_database()
    broker = check_broker(app)
    workers = check_workers(app, broker.ok)
    parts = {"database": database, "broker": broker, "workers": workers}
    return all(p.ok for p in parts.values()), {k: asdict(v) for k, v in parts.items()}
