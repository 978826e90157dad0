"""The monitor alerts, in plain words, when a dimension reports and dashboards group by is
unassigned for more than the configured share of a month's contacts of a feed — and resolves
the alert once the values arrive."""
import pytest

from measurements.models import Alert, MonitorSettings
from measurements.selectors.quality import SEGMENT_DIMENSIONS
from measurements.services.ingest import batch_create, source_create
from measurements.services.monitor import monitor_check

from .test_segmentation_carry import IVR_CSV, IVR_MAPPING, QUEUE_LOG

pytestmark = pytest.mark.django_db


@pytest.fixture
def load(django_capture_on_commit_callbacks, tmp_path):
    def _load(source, name, text):
        (tmp_path / name).write_text(text)
        with django_capture_on_commit_callbacks(execute=True):
            batch_create(source=source, file=tmp_path / name)
    return _load


@pytest.fixture
def acd(centre, load):
    source = source_create(centre=centre, name="PBX", kind="acd",
                           export_format="asterisk_queue_log", time_zone="UTC")
    load(source, "queue_log", QUEUE_LOG)
    return source


def _open(centre):
    return {a.key.split(":", 2)[2]: a for a in Alert.objects.filter(
        centre=centre, code="unassigned", resolved_at__isnull=True)}


def test_a_feed_without_reasons_or_segments_raises_an_alert_per_dimension(centre, acd):
    monitor_check(centre, email=False)
    alerts = _open(centre)
    # The queue_log's 4 calls (Nov 2023, London time) have queues and a channel, and the
    # queues no site; no reason and no segment.
    assert set(alerts) == {"contact_type", "customer_segment", "site"}
    assert alerts["contact_type"].message == (
        "PBX: Contact type is unassigned for 100 % of the contacts of November 2023 (4 of 4), "
        "above the 20 % limit. This feed carries no contact type; an IVR sessions export with "
        "the caller's reason and segment gives them to its calls. Reports and dashboards "
        "grouped by contact type show these contacts as unassigned.")
    assert alerts["contact_type"].source == acd
    assert alerts["contact_type"].period_start.isoformat() == "2023-11-01T00:00:00+00:00"
    assert alerts["contact_type"].period_end.isoformat() == "2023-12-01T00:00:00+00:00"


@pytest.mark.parametrize(("limit", "alerted"), [(0.2, True), (0.25, False)])
def test_alert_above_the_centres_share_and_not_at_or_below_it(centre, acd, load, limit,
                                                              alerted):
    ivr = source_create(centre=centre, name="IVR sessions", kind="ivr",
                        export_format="generic", time_zone="UTC", column_mapping=IVR_MAPPING)
    load(ivr, "ivr.csv", IVR_CSV)
    MonitorSettings.objects.update_or_create(centre=centre,
                                             defaults={"unassigned_share": limit})
    monitor_check(centre, email=False)
    alerts = _open(centre)
    # After the IVR: one call of 4 without a reason (102) and one without a segment (101).
    assert ("contact_type" in alerts) is alerted
    assert ("customer_segment" in alerts) is alerted
    if alerted:
        assert alerts["customer_segment"].message.startswith(
            "PBX: Customer segment is unassigned for 25 % of the contacts of November 2023 "
            "(1 of 4), above the 20 % limit. Reports and dashboards")


def test_the_default_share_comes_from_configuration(centre, acd, load, settings):
    settings.CONTACTMIS_UNASSIGNED_ALERT_SHARE = 0.3
    ivr = source_create(centre=centre, name="IVR sessions", kind="ivr",
                        export_format="generic", time_zone="UTC", column_mapping=IVR_MAPPING)
    load(ivr, "ivr.csv", IVR_CSV)
    monitor_check(centre, email=False)
    assert MonitorSettings.objects.get(centre=centre).unassigned_share is None
    assert set(_open(centre)) == {"site"}  # 25 % ≤ 30 %; no queue has a site (100 %)


def test_the_alert_is_resolved_when_the_ivr_values_arrive_and_reopened_if_lost(
        centre, acd, load):
    from measurements.models import Contact

    monitor_check(centre, email=False)
    first = _open(centre)["contact_type"]
    ivr = source_create(centre=centre, name="IVR sessions", kind="ivr",
                        export_format="generic", time_zone="UTC", column_mapping=IVR_MAPPING)
    load(ivr, "ivr.csv", IVR_CSV)
    MonitorSettings.objects.update_or_create(centre=centre, defaults={"unassigned_share": 0.3})
    monitor_check(centre, email=False)
    assert "contact_type" not in _open(centre)
    first.refresh_from_db()
    assert first.resolved_at is not None
    Contact.objects.filter(source=acd).update(contact_type="")
    new = monitor_check(centre, email=False)
    assert first.pk in [a.pk for a in new]
    first.refresh_from_db()
    assert first.resolved_at is None and "100 %" in first.message


def test_every_grouping_of_reports_and_widgets_is_checked_or_cannot_be_missing():
    from reports.selectors import ALL_DIMENSIONS
    from stakeholders.constants import Breakdown

    # step and pathway come from the pathway map, agent and team from agent legs.
    not_on_contacts = {"step", "pathway", "agent", "team", ""}
    groupings = set(ALL_DIMENSIONS) | set(Breakdown.values)
    assert groupings - not_on_contacts == set(SEGMENT_DIMENSIONS)
