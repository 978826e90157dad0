"""Interval rollup rows for report tests, created directly (ingestion is a separate feature)."""
import datetime as dt

from measurements.constants import WAIT_BUCKETS_S
from measurements.models import IntervalStat
from measurements.services.daily import daily_rollup_refresh


def interval_row(centre, queue, local_start: dt.datetime, offered=10, answered=8, abandoned=2,
                 within={5: 3, 20: 6}, abandoned_within={5: 1, 20: 1}, **extra):  # noqa: B006
    """One 15-minute IntervalStat row starting at ``local_start`` (centre's local wall time).

    ``within``/``abandoned_within`` give the cumulative counts at some buckets; buckets between
    carry the previous value forward and beyond the last equal the total answered/abandoned.
    """
    aware = local_start.replace(tzinfo=centre.tz)
    fields = {"offered": offered, "answered": answered, "abandoned": abandoned,
              "handled": answered, **extra}
    for kind, given, total in (("answered", within, answered),
                               ("abandoned", abandoned_within, abandoned)):
        value = 0
        for b in WAIT_BUCKETS_S:
            value = given.get(b, value if b <= max(given, default=0) else total)
            fields[f"{kind}_le_{b}s"] = value
    row = IntervalStat.objects.create(
        centre=centre, queue=queue, channel=getattr(queue, "channel", "voice"),
        interval_start=aware.astimezone(dt.UTC), local_date=local_start.date(),
        local_minute=local_start.hour * 60 + local_start.minute, weekday=local_start.weekday(),
        **fields)
    daily_rollup_refresh(row.source_id, [row.local_date])  # as the rollup services do
    return row


def mailbox_measured_in_hours(centre, threshold_s: int = 86400):
    """An e-mail queue "MAIL" on its own pathway whose service level is measured at
    ``threshold_s`` (24 h): a channel answered in hours."""
    from measurements.models import MeasurementConfig, MetricDefinition
    from pathways.models import Pathway, Queue, Step

    mail = Queue.objects.create(centre=centre, code="MAIL", name="Mailbox", kind="cms",
                                channel="email")
    pathway = Pathway.objects.create(centre=centre, name="E-mail", channel="email")
    step = Step.objects.create(pathway=pathway, name="Mailbox", kind="queue", queue=mail,
                               position=0, is_entry=True)
    MeasurementConfig.objects.create(
        metric=MetricDefinition.objects.filter(code="service_level").order_by("version").first(),
        step=step, parameters={"threshold_s": threshold_s})
    return mail
