"""The segmentation check keeps its counts per month: after an import only the months the
import touched are counted again (the others are not read), and the figures equal a full
recount."""
import datetime as dt

import pytest

from measurements.models import SegmentationMonth
from measurements.selectors.quality import segmentation_check
from measurements.services import segmentation_months as months_service
from measurements.services.ingest import batch_create, batch_process, source_create

from .test_rollup_merge import HEADER, MAPPING, _row

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def _load(source, tmp_path, name, rows):
    (tmp_path / name).write_text(HEADER + "".join(rows))
    batch = batch_process(batch_create(source=source, file=tmp_path / name, enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    return batch


def _figures(source, recount=False):
    return {c["key"]: (c["unassigned"], c["total"], c["months"])
            for c in segmentation_check(source, recount=recount)}


def test_only_the_months_an_import_touched_are_counted_again(centre, tmp_path, monkeypatch):
    source = source_create(centre=centre, name="CRM", kind="crm", export_format="generic",
                           time_zone="Europe/London", column_mapping=MAPPING)
    # January, February and March, a few contacts each; some without a reason.
    rows = [_row(i, dt.datetime(2026, month, 10, 9, 0, tzinfo=dt.UTC), wait=20, talk=60,
                 reason="" if i % 3 == 0 else "billing") for month in (1, 2, 3)
            for i in range(month * 100, month * 100 + 6)]
    _load(source, tmp_path, "first.csv", rows)
    first = _figures(source)
    assert first["contact_type"][:2] == (6, 18)
    assert [m for m, *_ in first["contact_type"][2]] == [JAN, FEB, MAR]
    assert not SegmentationMonth.objects.filter(source=source, stale=True).exists()
    # January's stored counts made wrong on purpose (its total kept): left as they are, they
    # show that January was not counted again.
    january = SegmentationMonth.objects.get(source=source, month=JAN)
    wrong = {q: [c[0], c[1], c[2], 0, c[4]] for q, c in january.counts.items()}
    SegmentationMonth.objects.filter(pk=january.pk).update(counts=wrong)

    # February only: two contacts replaced (now with a reason), two new without one.
    feb = dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC)
    _load(source, tmp_path, "february.csv",
          [_row(i, feb, wait=20, talk=60, reason="fault") for i in (201, 204)]
          + [_row(i, feb, wait=20, talk=60, reason="") for i in (290, 291)])
    assert set(SegmentationMonth.objects.filter(source=source, stale=True)
               .values_list("month", flat=True)) == {FEB}
    counted = []
    real = months_service.segmentation_months_count
    monkeypatch.setattr(months_service, "segmentation_months_count",
                        lambda source, months=None: counted.append(months)
                        or real(source, months))
    after = _figures(source)
    assert counted == [[FEB]]
    # January as stored (not recounted): none without a reason; February and March counted.
    assert after["contact_type"][2] == [(JAN, 0, 6), (FEB, 2, 8), (MAR, 2, 6)]

    # A full recount gives the same February and March, and January's true figures.
    full = _figures(source, recount=True)
    assert full["contact_type"][2] == [(JAN, 2, 6), (FEB, 2, 8), (MAR, 2, 6)]
    assert {k: v for k, v in full.items() if k != "contact_type"} == \
        {k: v for k, v in after.items() if k != "contact_type"}
    assert full["contact_type"][:2] == (6, 20)


def test_contacts_changed_outside_an_import_are_counted_again(centre, tmp_path):
    """Stored months that no longer add up to the source's contacts (contacts deleted some
    other way) are all counted again; a queue's site is read when the check runs."""
    from measurements.models import Contact
    from pathways.models import Queue

    source = source_create(centre=centre, name="CRM", kind="crm", export_format="generic",
                           time_zone="Europe/London", column_mapping=MAPPING)
    rows = [_row(i, dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC), wait=20, talk=60)
            for i in range(4)]
    _load(source, tmp_path, "first.csv", rows)
    assert _figures(source)["site"][:2] == (4, 4)
    Queue.objects.filter(centre=centre).update(site="Leeds")
    assert _figures(source)["site"][:2] == (0, 4)
    Contact.objects.filter(source=source, external_id="C0").delete()
    assert _figures(source)["site"][:2] == (0, 3)
