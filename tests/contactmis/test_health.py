"""/healthz reports database, broker and worker states."""
import socket

import pytest

pytestmark = pytest.mark.django_db


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_is_open_and_healthy_on_embedded_defaults(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["database"]["state"] == "up"
    assert data["broker"]["state"] == "eager"
    assert data["workers"]["state"] == "eager"


def test_healthz_names_a_stopped_redis(client, settings):
    from contactmis.celery import app

    url = f"redis://127.0.0.1:{_free_port()}/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = url
    old = app.conf.broker_url
    app.conf.broker_url = url
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "fail"
    assert data["database"]["ok"] is True
    assert data["broker"]["ok"] is False
    assert url.rsplit("/", 1)[0] in data["broker"]["detail"]
    assert data["workers"]["state"] == "unknown"


def test_healthz_shows_no_data(client):
    body = client.get("/healthz").content.decode()
    assert "password" not in body.lower()


def test_heartbeat_task_runs_in_process_without_a_broker():
    from contactmis.models import WorkerHeartbeat
    from contactmis.tasks import worker_heartbeat

    pk = worker_heartbeat.delay("unit-test-host").get()
    assert WorkerHeartbeat.objects.get(pk=pk).hostname == "unit-test-host"


def test_plotly_javascript_is_served_locally():
    from django.contrib.staticfiles import finders

    path = finders.find("vendor/plotly.min.js")
    assert path and path.endswith("plotly.min.js")
