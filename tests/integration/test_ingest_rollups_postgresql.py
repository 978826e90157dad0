"""On PostgreSQL the interval rollups are aggregated and inserted inside the database (local
date, minute and weekday computed there); they must equal the legs they summarise and the local
time fields computed in Python (``local_fields``), DST days included."""
import pytest
from django.db.models import Count, Q, Sum

from tests.measurements import samples

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_rollups_built_in_postgresql_match_the_legs_and_local_time(tmp_path):
    from django.db import connection

    from contactmis.models import Centre
    from measurements.models import AgentIntervalStat, IntervalStat, Segment
    from measurements.services.ingest import batch_create, batch_process, source_create
    from measurements.services.rollup import local_fields

    assert connection.vendor == "postgresql"
    centre = Centre.objects.create(name="Bank", time_zone="Asia/Jerusalem")
    source = source_create(centre=centre, name="Bank ACD", kind="acd_ivr",
                           export_format="anonymous_bank", time_zone="Asia/Jerusalem")
    batch = batch_process(batch_create(source=source, file=samples.ab_file(tmp_path),
                                       enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    stats = IntervalStat.objects.filter(source=source)
    assert stats.exists()
    for row in stats:
        assert local_fields(row.interval_start, centre.tz) == {
            "local_date": row.local_date, "local_minute": row.local_minute,
            "weekday": row.weekday}, row.interval_start
        assert row.batch_id == batch.pk and row.interval_s == 900
    legs = Segment.objects.filter(contact__source=source)
    queue = legs.filter(kind="queue").aggregate(
        offered=Count("id"), answered=Count("id", filter=Q(outcome="answered")),
        abandoned=Count("id", filter=Q(outcome="abandoned")),
        le_20=Count("id", filter=Q(outcome="answered", wait_s__lte=20)),
        wait=Sum("wait_s", filter=Q(outcome="answered")))
    totals = stats.aggregate(offered=Sum("offered"), answered=Sum("answered"),
                             abandoned=Sum("abandoned"), le_20=Sum("answered_le_20s"),
                             wait=Sum("wait_answered_s"), ivr=Sum("ivr_sessions"))
    assert totals["offered"] == queue["offered"] > 0
    assert totals["answered"] == queue["answered"] > 0
    assert totals["abandoned"] == queue["abandoned"]
    assert totals["le_20"] == queue["le_20"]
    assert totals["wait"] == (queue["wait"] or 0)
    assert totals["ivr"] == legs.filter(kind="ivr").count() > 0
    agent_legs = legs.filter(kind="agent", agent__isnull=False)
    agent_stats = AgentIntervalStat.objects.filter(source=source)
    assert agent_stats.aggregate(n=Sum("handled"))["n"] == agent_legs.count() > 0
    assert agent_stats.aggregate(t=Sum("talk_s"))["t"] == agent_legs.aggregate(
        t=Sum("talk_s"))["t"]
    for row in agent_stats:
        assert local_fields(row.interval_start, centre.tz) == {
            "local_date": row.local_date, "local_minute": row.local_minute,
            "weekday": row.weekday}
    # An overlapping export (the first rows again) replaces its contacts under their ids and
    # rebuilds their intervals: the totals stay those of the legs, never double-counted.
    before = dict(legs.filter(kind="queue").values_list("contact__external_id", "contact_id"))
    again = batch_process(batch_create(
        source=source, file=samples.ab_file(tmp_path, samples.AB_ROWS[:6], "ab-part.tsv"),
        enqueue=False).pk)
    assert again.status == "loaded", again.error
    assert again.contacts_replaced > 0
    after = dict(legs.filter(kind="queue").values_list("contact__external_id", "contact_id"))
    assert after == before
    assert IntervalStat.objects.filter(source=source).aggregate(
        o=Sum("offered"))["o"] == queue["offered"]
    assert AgentIntervalStat.objects.filter(source=source).aggregate(
        n=Sum("handled"))["n"] == agent_legs.count()


def test_rollups_merged_from_the_batches_frames_equal_a_rebuild_on_postgresql(tmp_path,
                                                                              settings,
                                                                              monkeypatch):
    """The same guard as on SQLite (tests/measurements/test_rollup_merge.py): first load, an
    overlapping re-import, ids repeated across chunks; on PostgreSQL, binary COPY included."""
    from contactmis.models import Centre
    from measurements.services import ingest
    from measurements.services.ingest import batch_create, batch_process, source_create
    from tests.measurements.test_rollup_merge import (
        MAPPING,
        _files,
        assert_rollups_equal_a_rebuild,
    )

    settings.CONTACTMIS_INGEST_CHUNK_ROWS = 16
    monkeypatch.setattr(ingest, "MERGE_MIN_LEGS", 0)  # summed, however small
    monkeypatch.setattr(ingest, "SUMS_FLUSH_ROWS", 10)
    centre = Centre.objects.create(name="CRM centre", time_zone="Europe/London")
    source = source_create(centre=centre, name="CRM", kind="crm", export_format="generic",
                           time_zone="Europe/London", column_mapping=MAPPING)
    for path in _files(tmp_path):
        batch = batch_process(batch_create(source=source, file=path, enqueue=False).pk)
        assert batch.status == "loaded", batch.error
        assert_rollups_equal_a_rebuild(source)
