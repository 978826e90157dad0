"""Small, deterministic contact-centre data for stakeholder and dashboard tests."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from measurements.constants import WAIT_BUCKETS_S


def last_open_day(day):
    """The latest day on or before ``day`` that :func:`interval_rows` fills (the test centre is
    closed on Sundays)."""
    return day - timedelta(days=1) if day.weekday() == 6 else day


def interval_rows(centre, queue, days, today, open_h=8, close_h=18, seed=1, agent=None,
                  contact_type="billing", segment="retail", channel=None, pk_start=None):
    """IntervalStat rows every 15 minutes of opening hours (08:00–18:00 local, closed on Sundays)
    for ``days`` days up to ``today`` — the day the data is built around, given by the caller,
    never read from a clock — with volumes varying by hour and day so patterns and charts have
    shape."""
    from measurements.models import AgentIntervalStat, IntervalStat
    from measurements.services.daily import daily_rollup_refresh

    tz = ZoneInfo(centre.time_zone)
    rows, agent_rows = [], []
    for d in range(days):
        day = today - timedelta(days=days - 1 - d)
        if day.weekday() == 6:
            continue
        for minute in range(open_h * 60, close_h * 60, 15):
            local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
            offered = 4 + (minute // 60) % 5 + (seed + d) % 3
            abandoned = (minute // 15 + d + seed) % 3 == 0
            answered = offered - abandoned
            fields = dict(
                centre=centre, queue=queue, channel=channel or queue.channel,
                interval_start=local.astimezone(ZoneInfo("UTC")), local_date=day,
                local_minute=minute, weekday=day.weekday(), contact_type=contact_type,
                customer_segment=segment, offered=offered, answered=answered,
                abandoned=int(abandoned), handled=answered, transfers=answered // 4,
                wait_answered_s=answered * (8 + seed), wait_abandoned_s=30 * int(abandoned),
                wait_max_s=40, talk_s=answered * 200, hold_s=answered * 20,
                acw_s=answered * 40, staffed_s=3 * 900, available_s=900, busy_s=1500,
            )
            for b in WAIT_BUCKETS_S:
                fields[f"answered_le_{b}s"] = answered if b >= 20 else max(0, answered - 2)
                fields[f"abandoned_le_{b}s"] = int(abandoned) if b >= 30 else 0
            if pk_start is not None:
                fields["pk"] = pk_start + len(rows)
            rows.append(IntervalStat(**fields))
            if agent is not None:
                agent_rows.append(AgentIntervalStat(
                    centre=centre, interval_start=fields["interval_start"], local_date=day,
                    local_minute=minute, weekday=day.weekday(), agent=agent, queue=queue,
                    handled=answered, transfers=answered // 4, talk_s=answered * 200,
                    hold_s=answered * 20, acw_s=answered * 40, staffed_s=900,
                    available_s=300, busy_s=600))
    IntervalStat.objects.bulk_create(rows)
    AgentIntervalStat.objects.bulk_create(agent_rows)
    daily_rollup_refresh(None, {r.local_date for r in rows})  # as the rollup services do
    return len(rows)


def contacts(centre, source, queue, today, n=5, prefix="C", pk_start=None):
    from measurements.models import Contact

    tz = ZoneInfo(centre.time_zone)
    out = []
    for i in range(n):
        arrived = datetime.combine(today, time(9, 5 + i), tzinfo=tz)
        out.append(Contact(pk=None if pk_start is None else pk_start + i,
                           centre=centre, source=source, external_id=f"{prefix}-{i}",
                           channel=queue.channel, queue=queue, arrived_at=arrived,
                           ended_at=arrived + timedelta(minutes=4), outcome="handled",
                           contact_type="billing", customer_segment="retail"))
    Contact.objects.bulk_create(out)
    return out


def business_plan(centre, today, targets, name="Test plan"):
    """A business plan around ``today`` with one objective and a KPI and target per
    ``(metric_code, value, queue_or_None)`` (values in the catalogue's unit: percent 0–100,
    seconds). Returns the plan."""
    from measurements.models import BusinessPlan, Kpi, Objective, Target

    first, last = today - timedelta(days=400), today + timedelta(days=60)
    plan = BusinessPlan.objects.create(centre=centre, name=name, period_start=first,
                                       period_end=last)
    objective = Objective.objects.create(plan=plan, title="Serve customers well")
    for code, value, queue in targets:
        kpi = Kpi.objects.create(objective=objective, metric_code=code)
        Target.objects.create(kpi=kpi, period_start=first, period_end=last, value=value,
                              queue=queue)
    return plan
