"""Two vendors with their own queues and data: the viewer persona logs in as vendor A, the
outsider as vendor B. Vendor B's objects get high, distinct ids and a secret marker in every name,
so a test can try B's ids against A's user and search any answer for the marker."""
from datetime import datetime

import pytest
from django.utils import timezone

from .factories import contacts, interval_rows

SECRET = "ZZSECRETB"


@pytest.fixture
def today(centre):
    return timezone.now().astimezone(centre.tz).date()


@pytest.fixture
def two_vendors(db, centre, viewer, outsider, today):
    from measurements.models import DataSource
    from pathways.models import Agent, Queue
    from stakeholders.services import stakeholder_create

    source = DataSource.objects.create(centre=centre, name="ACD", kind="acd")
    queue_a = Queue.objects.create(centre=centre, code="VA-1", name="Vendor A sales",
                                   site="Leeds")
    # B's ids are far above anything A's test objects get, so a guessed id never collides.
    queue_b = Queue.objects.create(pk=9001, centre=centre, code=f"VB-{SECRET}",
                                   name=f"Vendor B {SECRET}", site="Cork")
    agent_a = Agent.objects.create(centre=centre, code="A1", name="Alice", team="Team A")
    agent_b = Agent.objects.create(pk=9002, centre=centre, code="B1", name=f"Bob {SECRET}",
                                   team=f"Team {SECRET}")
    interval_rows(centre, queue_a, 21, today, seed=1, agent=agent_a)
    interval_rows(centre, queue_b, 21, today, seed=2, agent=agent_b,
                  contact_type=f"type-{SECRET}", segment=f"seg-{SECRET}")
    contacts(centre, source, queue_a, today, prefix="A")
    contacts(centre, source, queue_b, today, prefix=f"B{SECRET}")
    vendor_a = stakeholder_create(name="Vendor A", kind="vendor", queues=[queue_a],
                                  users=[viewer], emails=["ops@vendor-a.example"])
    vendor_b = stakeholder_create(name=f"Vendor B {SECRET}", kind="vendor", queues=[queue_b],
                                  users=[outsider])
    return {"a": vendor_a, "b": vendor_b, "queue_a": queue_a, "queue_b": queue_b,
            "source": source, "now": datetime.now(tz=centre.tz)}
