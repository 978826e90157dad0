"""Project-wide Celery tasks."""
import socket

from celery import shared_task

from .services import heartbeat_record


@shared_task(name="contactmis.tasks.worker_heartbeat")
def worker_heartbeat(hostname=None):
    """Record that a worker is alive; returns the heartbeat id."""
    return heartbeat_record(hostname or socket.gethostname()).pk
