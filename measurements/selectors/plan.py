"""Reads of business plans: the objective → KPI → target → measurement chain, information gaps,
cost per contact, and the targets the analysis engine compares figures with.

Dates are centre-local calendar dates; periods are inclusive at both ends.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from ..models import BudgetLine, BusinessPlan, Kpi, MeasurementConfig, MetricDefinition, Target


def plan_list():
    return (BusinessPlan.objects.annotate(
        objective_count=Count("objectives", distinct=True),
        budget_line_count=Count("budget_lines", distinct=True))
        .order_by("-period_start", "name"))


def plan_get(pk):
    plan = BusinessPlan.objects.filter(pk=pk).first()
    if plan is None:
        raise Http404("No such plan.")
    return plan


def _specific_first(qs, queue, channel, customer_segment):
    """Targets matching the requested slice: exact matches and the general ones (empty fields),
    most specific first."""
    qs = qs.filter(Q(queue__isnull=True) | Q(queue=queue) if queue is not None
                   else Q(queue__isnull=True))
    qs = qs.filter(Q(channel="") | Q(channel=channel) if channel else Q(channel=""))
    qs = qs.filter(Q(customer_segment="") | Q(customer_segment=customer_segment)
                   if customer_segment else Q(customer_segment=""))
    targets = list(qs.select_related("kpi", "queue"))
    targets.sort(key=lambda t: (-(bool(t.queue_id) + bool(t.channel) + bool(t.customer_segment)),
                                t.period_start, t.pk))
    return targets


def kpi_targets(kpi, start_date, end_date, *, queue=None, channel="", customer_segment=""):
    """Targets of ``kpi`` whose period overlaps ``start_date``–``end_date``, for the slice asked
    (``queue`` a Queue or None, ``channel`` a Channel value or "", ``customer_segment`` or ""):
    targets for exactly that slice and the general ones, most specific first."""
    qs = kpi.targets.filter(period_start__lte=end_date, period_end__gte=start_date)
    return _specific_first(qs, queue, channel, customer_segment)


def target_in_force(kpi, on_date, *, queue=None, channel="", customer_segment=""):
    """The most specific target of ``kpi`` for the slice on ``on_date``, or ``None``."""
    found = kpi_targets(kpi, on_date, on_date, queue=queue, channel=channel,
                        customer_segment=customer_segment)
    return found[0] if found else None


def targets_for_metric(metric_code, start_date, end_date, *, variant=None, queue=None,
                       channel="", customer_segment="", plan=None):
    """Targets set in any plan (or ``plan``) for metric ``metric_code`` (``variant=None``: any
    KPI of the code whose variant is empty or default) overlapping the period, for the slice asked,
    most specific first. This is what the analysis engine calls for plan-versus-actual."""
    qs = Target.objects.filter(kpi__metric_code=metric_code, period_start__lte=end_date,
                               period_end__gte=start_date)
    if variant is not None:
        default = MetricDefinition.objects.filter(code=metric_code, variant=variant,
                                                  is_default_variant=True).exists()
        qs = qs.filter(Q(kpi__metric_variant=variant) | Q(kpi__metric_variant="")
                       if default else Q(kpi__metric_variant=variant))
    if plan is not None:
        qs = qs.filter(kpi__objective__plan=plan)
    return _specific_first(qs, queue, channel, customer_segment)


@dataclass
class KpiChain:
    kpi: Kpi
    targets: list
    configs: list
    definition: MetricDefinition | None

    @property
    def measured(self):
        return bool(self.configs)


@dataclass
class ObjectiveChain:
    objective: object
    kpis: list = field(default_factory=list)

    @property
    def gap(self):
        """No KPI, or no KPI with a measurement configured: nothing evidences the objective."""
        return not any(k.measured for k in self.kpis)


@dataclass
class BudgetChain:
    line: BudgetLine
    measured: bool


def plan_chain(plan, on_date=None):
    """The plan's chain both ways.

    Returns ``{"objectives": [ObjectiveChain], "budget": [BudgetChain], "gaps": [str]}``: each
    objective with its KPIs, each KPI with its targets, the measurement configurations that
    capture it (directly or through one of its targets) and the definition in force on
    ``on_date`` (default: the plan's first day); objectives and budget lines with no measurement
    are listed in ``gaps`` as information gaps.
    """
    on_date = on_date or plan.period_start
    configs = defaultdict(list)
    for cfg in (MeasurementConfig.objects.filter(Q(kpi__objective__plan=plan)
                                                 | Q(target__kpi__objective__plan=plan))
                .select_related("metric", "step__pathway", "source", "target", "kpi")
                .distinct()):
        configs[cfg.kpi_id or cfg.target.kpi_id].append(cfg)
    definitions = {}
    for d in MetricDefinition.objects.in_force(on_date).order_by("version"):
        definitions[(d.code, d.variant)] = d
        if d.is_default_variant:
            definitions[(d.code, None)] = d
    objectives = []
    kpi_measured = {}
    for objective in plan.objectives.prefetch_related(
            Prefetch("kpis__targets", queryset=Target.objects.select_related("queue"))):
        chain = ObjectiveChain(objective)
        for kpi in objective.kpis.all():
            key = (kpi.metric_code, kpi.metric_variant or None)
            item = KpiChain(kpi, list(kpi.targets.all()), configs.get(kpi.pk, []),
                            definitions.get(key))
            kpi_measured[kpi.pk] = item.measured
            chain.kpis.append(item)
        objectives.append(chain)
    budget = [BudgetChain(line, bool(line.kpi_id and kpi_measured.get(line.kpi_id)))
              for line in plan.budget_lines.select_related("kpi")]
    gaps = []
    for chain in objectives:
        if not chain.kpis:
            gaps.append(f"Objective “{chain.objective}” has no KPI.")
        elif chain.gap:
            gaps.append(f"Objective “{chain.objective}” has KPIs but none is measured at any "
                        "pathway step.")
    gaps += _budget_gaps([item.line for item in budget if not item.measured])
    return {"objectives": objectives, "budget": budget, "gaps": gaps}


def _budget_gaps(lines) -> list[str]:
    """One sentence per category and reason: a plan budgets labour month by month, and twelve
    identical "not measured" lines would hide the one that matters."""
    groups = defaultdict(list)
    for line in lines:
        why = ("no KPI tracks it" if not line.kpi_id
               else f"its KPI “{line.kpi}” is not measured")
        groups[(line.get_category_display(), why)].append(line)
    gaps = []
    for (category, why), found in groups.items():
        if len(found) == 1:
            line = found[0]
            gaps.append(f"Budget line {category} "
                        f"{line.period_start:%Y-%m-%d}–{line.period_end:%Y-%m-%d} "
                        f"({line.description or 'no description'}): {why}.")
            continue
        first = min(line.period_start for line in found)
        last = max(line.period_end for line in found)
        plural = why.replace("tracks it", "tracks them")
        gaps.append(f"{len(found)} budget lines {category} "
                    f"{first:%Y-%m-%d}–{last:%Y-%m-%d}: {plural}.")
    return gaps


def plan_cost_per_contact(plan):
    """Cost-per-contact targets derived from budget lines and planned volumes.

    One row per (period, channel) of the planned volumes: budget lines of that channel whose
    period matches, plus the channel's share (by planned contacts) of lines with no channel.
    ``{"period_start", "period_end", "channel", "contacts", "budget", "cost_per_contact"}``
    with money as ``Decimal`` in the plan's currency; ``cost_per_contact`` is ``None`` when no
    contacts are planned. Also returns a total row per period with ``channel=""``.
    """
    volumes = list(plan.planned_volumes.all())
    lines = list(plan.budget_lines.all())
    periods = defaultdict(list)
    for v in volumes:
        periods[(v.period_start, v.period_end)].append(v)
    rows = []
    for (start, end), vols in sorted(periods.items()):
        in_period = [b for b in lines if b.period_start <= end and b.period_end >= start
                     and b.period_start >= start and b.period_end <= end]
        shared = sum((b.amount for b in in_period if not b.channel), Decimal("0"))
        total_contacts = sum(v.contacts for v in vols)
        total_budget = Decimal("0")
        for v in vols:
            own = sum((b.amount for b in in_period if b.channel == v.channel), Decimal("0"))
            share = (shared * v.contacts / total_contacts) if total_contacts else Decimal("0")
            budget = (own + share).quantize(Decimal("0.01"))
            total_budget += own + share
            rows.append({"period_start": start, "period_end": end, "channel": v.channel,
                         "channel_label": v.get_channel_display(), "contacts": v.contacts,
                         "budget": budget,
                         "cost_per_contact": (budget / v.contacts).quantize(Decimal("0.01"))
                         if v.contacts else None})
        unassigned = sum((b.amount for b in in_period if b.channel
                          and b.channel not in {v.channel for v in vols}), Decimal("0"))
        total_budget += unassigned
        rows.append({"period_start": start, "period_end": end, "channel": "",
                     "channel_label": "All channels", "contacts": total_contacts,
                     "budget": total_budget.quantize(Decimal("0.01")),
                     "cost_per_contact": (total_budget / total_contacts).quantize(Decimal("0.01"))
                     if total_contacts else None})
    return rows


@dataclass
class ChannelBudget:
    """What a centre's business plans budget for one channel over local days
    ``first_day``–``last_day`` (inclusive): ``budget`` (plan currency) and ``planned_contacts``
    pro rata to the days of each planned period that fall in them, ``days_covered`` (days with a
    budget), ``per_day`` (date → budget of that day) and the plans it comes from.
    ``budget_per_contact`` is the plan's own figure (budget / planned contacts)."""

    channel: str
    channel_label: str
    first_day: object
    last_day: object
    budget: float = 0.0
    planned_contacts: float = 0.0
    per_day: dict = field(default_factory=dict)
    plans: list = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def days_covered(self) -> int:
        return len(self.per_day)

    @property
    def covers_period(self) -> bool:
        return self.days_covered == self.days

    @property
    def budget_per_contact(self) -> float | None:
        return self.budget / self.planned_contacts if self.planned_contacts else None


def scope_sees_budget(scope) -> bool:
    """Plans budget whole channels of the centre. A scope that covers part of them (a vendor's
    queues, chosen queues, sites, pathways or customer segments) never sees that budget nor a
    cost per contact computed from it; a scope of whole channels sees theirs."""
    return scope is None or all(v is None for v in (scope.queue_ids, scope.sites,
                                                      scope.pathway_ids, scope.segments))


def channel_budgets(centre, first_day, last_day, channels=None) -> dict[str, ChannelBudget]:
    """channel → :class:`ChannelBudget` of ``centre``'s plans over ``first_day``–``last_day``
    (centre-local, inclusive), from budget lines and planned volumes
    (:func:`plan_cost_per_contact`: each channel's own lines plus its share, by planned contacts,
    of the lines shared by all channels). ``channels`` (an iterable of channel codes) keeps only
    those. Channels no plan budgets are absent: their cost is not measured."""
    from datetime import timedelta

    wanted = set(channels) if channels is not None else None
    out: dict[str, ChannelBudget] = {}
    plans = BusinessPlan.objects.filter(centre=centre, period_start__lte=last_day,
                                        period_end__gte=first_day).order_by("period_start", "pk")
    for plan in plans:
        for row in plan_cost_per_contact(plan):
            channel = row["channel"]
            if not channel or (wanted is not None and channel not in wanted):
                continue
            start, end = max(row["period_start"], first_day), min(row["period_end"], last_day)
            if start > end:
                continue
            days = (row["period_end"] - row["period_start"]).days + 1
            overlap = (end - start).days + 1
            item = out.setdefault(channel, ChannelBudget(channel, row["channel_label"],
                                                         first_day, last_day))
            per_day = float(row["budget"]) / days
            item.budget += per_day * overlap
            item.planned_contacts += row["contacts"] * overlap / days
            for i in range(overlap):
                day = start + timedelta(days=i)
                item.per_day[day] = item.per_day.get(day, 0.0) + per_day
            if str(plan) not in item.plans:
                item.plans.append(str(plan))
    return out
