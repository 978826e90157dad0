"""Small builders for measurement-design tests (plans, pathways, interval rows)."""
import datetime

from django.utils import timezone


def pathway_ivr_queue_agent(centre, name="Billing"):
    """IVR (entry) → ACD queue → agent → internal transfer (back to the queue)."""
    from pathways import services
    from pathways.models import Queue

    queue = Queue.objects.create(centre=centre, code=f"{name}-Q", name=f"{name} queue")
    ivr_queue = Queue.objects.create(centre=centre, code=f"{name}-IVR", kind="ivr")
    pathway = services.pathway_create(centre=centre, name=name, channel="voice")
    ivr = services.step_create(pathway=pathway, name="Main menu", kind="ivr", is_entry=True,
                               queue=ivr_queue, system_of_record="Avaya IVR")
    acd = services.step_create(pathway=pathway, name=f"{name} queue", kind="queue",
                               queue=queue, system_of_record="Avaya ACD")
    agent = services.step_create(pathway=pathway, name="Agent", kind="agent",
                                 system_of_record="Avaya ACD")
    transfer = services.step_create(pathway=pathway, name="Transfer to retention",
                                    kind="transfer", system_of_record="Avaya ACD")
    services.transition_create(pathway=pathway, source=ivr, target=acd, kind="menu",
                               label="2 – Billing")
    services.transition_create(pathway=pathway, source=acd, target=agent)
    services.transition_create(pathway=pathway, source=agent, target=transfer, kind="transfer",
                               label="Retention offer")
    return {"pathway": pathway, "queue": queue, "ivr_queue": ivr_queue, "ivr": ivr, "acd": acd,
            "agent": agent, "transfer": transfer}


def source(centre, name="ACD export", kind="acd"):
    from measurements.models import DataSource

    return DataSource.objects.create(centre=centre, name=name, kind=kind,
                                     time_zone="Europe/London")


def interval_row(centre, queue, day, minute=540, **quantities):
    """One 15-minute IntervalStat row on local ``day`` at ``minute`` after local midnight."""
    from measurements.models import IntervalStat
    from measurements.services.daily import daily_rollup_refresh

    local = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(minutes=minute)
    start = timezone.make_aware(local, centre.tz)
    row = IntervalStat.objects.create(
        centre=centre, queue=queue, interval_start=start, local_date=day, local_minute=minute,
        weekday=day.weekday(), **quantities)
    daily_rollup_refresh(row.source_id, [day])  # as the rollup services do
    return row


def plan_with_objective(centre, *, name="Plan 2026", start=datetime.date(2026, 1, 1),
                        end=datetime.date(2026, 12, 31)):
    from measurements.services.design import design_object_create

    plan = design_object_create("plan", centre=centre, name=name, period_start=start,
                                period_end=end, currency="EUR")
    objective = design_object_create("objective", plan=plan, title="Answer customers quickly",
                                     desired_outcome="Most calls answered within 20 s.")
    return plan, objective


def ensure_metric_catalogue():
    """Re-seed the catalogue when a transactional test elsewhere flushed the data migration's
    rows (it is idempotent: version 1 of each metric is created only if missing)."""
    from importlib import import_module

    from django.apps import apps

    from measurements.models import MetricDefinition

    if not MetricDefinition.objects.exists():
        import_module("measurements.migrations.0003_seed_metric_catalogue").seed(apps, None)
