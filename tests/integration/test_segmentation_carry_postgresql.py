"""On PostgreSQL the IVR's reason and customer segment are carried with ``UPDATE … FROM`` and
the receiving source's rollups rebuilt inside the database: the same figures as on SQLite."""
import pytest
from django.db.models import Sum

from tests.measurements.test_segmentation_carry import IVR_CSV, IVR_MAPPING, QUEUE_LOG

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _load(source, path, text):
    from measurements.services.ingest import batch_create, batch_process

    path.write_text(text)
    batch = batch_process(batch_create(source=source, file=path, enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    return batch


def test_carrying_and_rebuilt_rollups_on_postgresql(tmp_path):
    from django.db import connection

    from contactmis.models import Centre
    from measurements.models import Contact, IntervalStat
    from measurements.services.ingest import source_create
    from pathways.models import Pathway, Queue, Step, Transition

    assert connection.vendor == "postgresql"
    centre = Centre.objects.create(name="Carry", time_zone="Europe/London")
    acd = source_create(centre=centre, name="PBX", kind="acd",
                        export_format="asterisk_queue_log", time_zone="UTC")
    ivr = source_create(centre=centre, name="IVR sessions", kind="ivr", export_format="generic",
                        time_zone="UTC", column_mapping=IVR_MAPPING)
    menu = Queue.objects.create(centre=centre, code="MainMenu", kind="ivr")
    support = Queue.objects.create(centre=centre, code="support", kind="acd")
    sales = Queue.objects.create(centre=centre, code="sales", kind="acd")
    path = Pathway.objects.create(centre=centre, name="Inbound calls")
    steps = [Step.objects.create(pathway=path, name=q.code, kind=kind, queue=q,
                                 is_entry=kind == "ivr")
             for q, kind in ((menu, "ivr"), (support, "queue"), (sales, "queue"))]
    Transition.objects.create(pathway=path, source=steps[0], target=steps[1])
    Transition.objects.create(pathway=path, source=steps[1], target=steps[2], kind="transfer")
    _load(acd, tmp_path / "queue_log", QUEUE_LOG)  # the ACD first: the IVR fills it later
    _load(ivr, tmp_path / "ivr.csv", IVR_CSV)
    values = {c.external_id: (c.contact_type, c.customer_segment)
              for c in Contact.objects.filter(source=acd)}
    assert values == {"100": ("Bill enquiry", "Premier"), "101": ("Fault", ""),
                      "102": ("", "Business"), "105": ("", "")}  # "direct": not on the path
    by_type = dict(IntervalStat.objects.filter(source=acd).values("contact_type")
                   .annotate(o=Sum("offered")).values_list("contact_type", "o"))
    assert by_type == {"Bill enquiry": 2, "Fault": 1, "": 2}
    transfers = IntervalStat.objects.filter(source=acd, contact_type="Bill enquiry").aggregate(
        t=Sum("transfers"))["t"]
    assert transfers == 1
