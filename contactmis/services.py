"""Writes for project-wide objects."""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .models import WorkerHeartbeat
from .roles import ROLES


def heartbeat_record(hostname):
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )
    return heartbeat


@transaction.atomic
def user_create_with_role(*, username, password, role, email="", first_name="", last_name=""):
    """Create (or reset) a login with exactly one role."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username)
    user.email, user.first_name, user.last_name = email, first_name, last_name
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role)[0]])
    return user
