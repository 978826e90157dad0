"""A task sent through Redis runs in a real worker process and its effect lands in PostgreSQL."""
import pytest
from django.db import connection

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_task_sent_through_redis_is_executed_by_the_worker_into_postgresql(celery_worker_process):
    from django.conf import settings

    from contactmis.models import WorkerHeartbeat
    from contactmis.tasks import worker_heartbeat

    assert connection.vendor == "postgresql"
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    result = worker_heartbeat.delay("sent-through-redis")
    pk = result.get(timeout=30)
    beat = WorkerHeartbeat.objects.get(pk=pk)
    assert beat.hostname == "sent-through-redis"
    assert "contactmis.tasks.worker_heartbeat" in celery_worker_process.log_text()


def test_healthz_reports_postgresql_redis_and_the_worker(client, celery_worker_process):
    response = client.get("/healthz")
    data = response.json()
    assert response.status_code == 200, data
    assert data["database"]["detail"] == "postgresql"
    assert data["broker"]["state"] == "up"
    assert data["workers"]["state"] == "up"
    assert celery_worker_process.hostname in data["workers"]["detail"]
