"""Reads for project-wide objects."""
from django.conf import settings

from .models import Centre, WorkerHeartbeat


def centre_current():
    """The centre this installation serves (the first one), or ``None`` before set-up."""
    return Centre.objects.order_by("pk").first()


def centre_get_or_create_default():
    centre = centre_current()
    if centre is None:
        centre = Centre.objects.create(name="Contact centre", time_zone=settings.CENTRE_TIME_ZONE)
    return centre


def heartbeat_latest():
    return WorkerHeartbeat.objects.order_by("-seen_at").first()
