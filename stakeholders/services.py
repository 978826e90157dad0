"""Writes for stakeholders and dashboards: the register, default dashboards per stakeholder type,
and the dashboard editor's operations (add, remove, move, configure widgets)."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from .constants import Breakdown, Granularity, Period, StakeholderKind, WidgetKind
from .models import Dashboard, Stakeholder, StakeholderMember, Widget


def _w(kind, title, metrics, period, granularity=Granularity.DAY, breakdown="", wide=False,
       **options):
    return {"kind": kind, "title": title, "metrics": list(metrics), "period": period,
            "granularity": granularity, "breakdown": breakdown, "wide": wide,
            "options": options}


def _tiles(metrics, period, granularity=Granularity.DAY, **options):
    return [
        _w(WidgetKind.KPI_TILE, f"{label}", [m], period, granularity, **options)
        for m, label in metrics
    ]


# Service level, speed of answer and handle time of the centre's calls: the executive's
# headline figures (e-mails, answered within hours, would swamp a seconds-based figure).
CALLS = {"channels": ["voice"]}


def default_dashboard_spec(kind: str) -> tuple[str, str, list[dict]]:
    """Name, description and widgets of the default dashboard for a stakeholder type."""
    P, G, B, K = Period, Granularity, Breakdown, WidgetKind
    if kind == StakeholderKind.CENTRE_STAFF:
        return ("Intraday by queue", "Today, interval by interval, for the floor.", [
            *_tiles([("offered", "Offered today"), ("service_level", "Service level today"),
                     ("asa_s", "ASA today"), ("abandon_rate", "Abandon rate today")],
                    P.TODAY, G.INTERVAL),
            _w(K.TIME_SERIES, "Offered by queue, today", ["offered"], P.TODAY, G.INTERVAL,
               B.QUEUE, wide=True),
            _w(K.TIME_SERIES, "Service level today", ["service_level"], P.TODAY, G.HALF_HOUR,
               amber_margin=0.05),
            _w(K.STAFFING, "Required versus actual agents, today", ["offered"], P.TODAY,
               G.INTERVAL, shrinkage=0.3),
            _w(K.INTRADAY, "Today against forecast: rest of today and agents needed",
               ["offered"], P.TODAY, G.INTERVAL, wide=True),
            _w(K.TABLE, "Queues today", ["offered", "answered", "service_level", "asa_s",
                                          "abandon_rate", "aht_s"], P.TODAY, G.DAY, B.QUEUE,
               wide=True),
        ])
    if kind == StakeholderKind.EXECUTIVE:
        return ("Monthly trend", "Thirteen months of trend, plan versus actual and cost.", [
            *_tiles([("handled", "Handled, month to date")], P.MONTH_TO_DATE, G.MONTH),
            *_tiles([("service_level", "Service level of calls, month to date"),
                     ("aht_s", "AHT of calls, month to date")], P.MONTH_TO_DATE, G.MONTH,
                    **CALLS),
            _w(K.KPI_TILE, "Cost per contact, month to date", ["cost_per_contact"],
               P.MONTH_TO_DATE, G.MONTH),
            _w(K.TIME_SERIES, "Service level of calls by month against plan",
               ["service_level"], P.ROLLING_13_MONTHS, G.MONTH, wide=True,
               amber_margin=0.05, **CALLS),
            _w(K.TIME_SERIES, "Contacts handled by month", ["handled"], P.ROLLING_13_MONTHS,
               G.MONTH, B.CHANNEL),
            _w(K.TIME_SERIES, "Cost per contact by month", ["cost_per_contact"],
               P.ROLLING_13_MONTHS, G.MONTH),
            _w(K.TABLE, "Calls: plan versus actual, month to date",
               ["service_level", "asa_s", "abandon_rate", "aht_s"], P.MONTH_TO_DATE, G.MONTH,
               wide=True, plan_vs_actual=True, **CALLS),
            _w(K.FORECAST, "Forecast versus actual, offered by day", ["offered"],
               P.MONTH_TO_DATE, G.DAY, wide=True),
        ])
    if kind == StakeholderKind.VENDOR:
        return ("Contract performance", "Your queues against the contract targets.", [
            *_tiles([("service_level", "Service level, last 7 days"),
                     ("asa_s", "ASA, last 7 days"),
                     ("abandon_rate", "Abandon rate, last 7 days"),
                     ("handled", "Handled, last 7 days")], P.LAST_7_DAYS, G.DAY),
            _w(K.TABLE, "Queues against contract targets, month to date",
               ["offered", "handled", "service_level", "asa_s", "abandon_rate", "aht_s"],
               P.MONTH_TO_DATE, G.MONTH, B.QUEUE, wide=True, plan_vs_actual=True),
            _w(K.TIME_SERIES, "Daily service level against contract", ["service_level"],
               P.MONTH_TO_DATE, G.DAY, amber_margin=0.05),
            _w(K.CONTROL_CHART, "Daily service level, control chart", ["service_level"],
               P.QUARTER_TO_DATE, G.DAY),
        ])
    if kind == StakeholderKind.DEPARTMENT:
        return ("Volumes and reasons", "How many contacts of your types, and why customers "
                "call.", [
            *_tiles([("offered", "Contacts, last 7 days"),
                     ("handled", "Handled, last 7 days")], P.LAST_7_DAYS, G.DAY),
            _w(K.TIME_SERIES, "Contacts by reason, by day", ["offered"], P.MONTH_TO_DATE,
               G.DAY, B.CONTACT_TYPE, wide=True),
            _w(K.TABLE, "Reasons, month to date", ["offered", "handled", "aht_s",
                                                   "transfer_rate"],
               P.MONTH_TO_DATE, G.MONTH, B.CONTACT_TYPE),
            _w(K.HEATMAP, "When customers contact us (weekday × hour)", ["offered"],
               P.LAST_7_DAYS, G.HOUR),
        ])
    if kind == StakeholderKind.OWN_TEAM:
        return ("Team and agent performance", "Your teams and agents, week to date.", [
            *_tiles([("handled", "Handled, week to date"), ("aht_s", "AHT, week to date"),
                     ("occupancy", "Occupancy, week to date")], P.WEEK_TO_DATE, G.DAY),
            _w(K.TABLE, "Teams, week to date", ["handled", "aht_s", "occupancy",
                                                "transfer_rate"],
               P.WEEK_TO_DATE, G.DAY, B.TEAM),
            _w(K.CONTROL_CHART, "Daily AHT, control chart", ["aht_s"], P.QUARTER_TO_DATE,
               G.DAY),
            _w(K.TABLE, "Agents, week to date", ["handled", "aht_s", "occupancy",
                                                 "transfer_rate"],
               P.WEEK_TO_DATE, G.DAY, B.AGENT, wide=True),
        ])
    raise ValueError(f"Unknown stakeholder type “{kind}”.")


def today_dashboard_spec() -> tuple[str, str, list[dict]]:
    """A "Today" dashboard for a stakeholder who follows its queues through the day (a
    vendor's own floor): today's tiles, today against its forecast with the agents needed,
    and its queues today."""
    P, G, B, K = Period, Granularity, Breakdown, WidgetKind
    return ("Today", "Your queues today, interval by interval, against their forecast.", [
        *_tiles([("offered", "Offered today"), ("service_level", "Service level today"),
                 ("asa_s", "ASA today"), ("abandon_rate", "Abandon rate today")],
                P.TODAY, G.INTERVAL),
        _w(K.INTRADAY, "Today against forecast: rest of today and agents needed",
           ["offered"], P.TODAY, G.INTERVAL, wide=True),
        _w(K.TABLE, "Queues today", ["offered", "answered", "service_level", "asa_s",
                                      "abandon_rate", "aht_s"], P.TODAY, G.DAY, B.QUEUE,
           wide=True),
    ])


@transaction.atomic
def dashboard_create_today(stakeholder: Stakeholder) -> Dashboard:
    """Add the "Today" dashboard (:func:`today_dashboard_spec`) beside ``stakeholder``'s
    default one (which stays the default)."""
    name, description, widgets = today_dashboard_spec()
    dashboard, made = Dashboard.objects.get_or_create(
        stakeholder=stakeholder, name=name,
        defaults={"description": description, "is_default": False})
    if made:
        Widget.objects.bulk_create(
            Widget(dashboard=dashboard, position=i, **spec) for i, spec in enumerate(widgets))
    return dashboard


@transaction.atomic
def dashboard_create_default(stakeholder: Stakeholder) -> Dashboard:
    """Create the default dashboard for ``stakeholder``'s type (renamed if the name is taken)."""
    name, description, widgets = default_dashboard_spec(stakeholder.kind)
    taken = set(stakeholder.dashboards.values_list("name", flat=True))
    base, n = name, 2
    while name in taken:
        name, n = f"{base} ({n})", n + 1
    stakeholder.dashboards.update(is_default=False)
    dashboard = Dashboard.objects.create(stakeholder=stakeholder, name=name,
                                         description=description, is_default=True)
    Widget.objects.bulk_create(
        Widget(dashboard=dashboard, position=i, **spec) for i, spec in enumerate(widgets)
    )
    return dashboard


def _set_members(stakeholder, users):
    """Link ``users`` to ``stakeholder``; a user already in another stakeholder is an error."""
    users = list(users or [])
    clash = (StakeholderMember.objects.filter(user__in=users)
             .exclude(stakeholder=stakeholder).select_related("user", "stakeholder").first())
    if clash:
        raise ValidationError({"users": f"{clash.user} already logs in as "
                                        f"“{clash.stakeholder}”; a user belongs to at most one "
                                        f"stakeholder."})
    stakeholder.members.exclude(user__in=users).delete()
    have = set(stakeholder.members.values_list("user_id", flat=True))
    StakeholderMember.objects.bulk_create(
        StakeholderMember(stakeholder=stakeholder, user=u) for u in users if u.pk not in have
    )


_SCALARS = ("name", "kind", "information_needs", "granularity", "cadence", "emails",
            "sees_whole_centre", "channels", "sites", "segments")


@transaction.atomic
def stakeholder_create(*, queues=(), pathways=(), users=(), with_dashboard=True,
                       **fields) -> Stakeholder:
    """Register a stakeholder with its scope and users, and give it its type's default
    dashboard. Raises ``ValidationError`` (per field) and stores nothing on bad input."""
    stakeholder = Stakeholder(**{k: v for k, v in fields.items() if k in _SCALARS})
    stakeholder.full_clean()
    stakeholder.save()
    stakeholder.queues.set(queues)
    stakeholder.pathways.set(pathways)
    _set_members(stakeholder, users)
    if with_dashboard:
        dashboard_create_default(stakeholder)
    return stakeholder


@transaction.atomic
def stakeholder_update(stakeholder: Stakeholder, *, queues=None, pathways=None, users=None,
                       **fields) -> Stakeholder:
    for key, value in fields.items():
        if key in _SCALARS:
            setattr(stakeholder, key, value)
    stakeholder.full_clean()
    stakeholder.save()
    if queues is not None:
        stakeholder.queues.set(queues)
    if pathways is not None:
        stakeholder.pathways.set(pathways)
    if users is not None:
        _set_members(stakeholder, users)
    return stakeholder


def stakeholder_delete(stakeholder: Stakeholder) -> None:
    stakeholder.delete()


_WIDGET_FIELDS = ("kind", "title", "metrics", "granularity", "period", "custom_start",
                  "custom_end", "breakdown", "options", "wide")


@transaction.atomic
def widget_add(dashboard: Dashboard, **fields) -> Widget:
    """Append a widget at the end of ``dashboard``."""
    last = dashboard.widgets.aggregate(m=Max("position"))["m"]
    widget = Widget(dashboard=dashboard, position=0 if last is None else last + 1,
                    **{k: v for k, v in fields.items() if k in _WIDGET_FIELDS})
    widget.full_clean()
    widget.save()
    return widget


@transaction.atomic
def widget_update(widget: Widget, **fields) -> Widget:
    for key, value in fields.items():
        if key in _WIDGET_FIELDS:
            setattr(widget, key, value)
    widget.full_clean()
    widget.save()
    return widget


@transaction.atomic
def widget_remove(widget: Widget) -> None:
    dashboard = widget.dashboard
    widget.delete()
    _renumber(dashboard)


def _renumber(dashboard, order=None):
    widgets = order if order is not None else list(dashboard.widgets.order_by("position", "pk"))
    for i, w in enumerate(widgets):
        w.position = i
    Widget.objects.bulk_update(widgets, ["position"])


@transaction.atomic
def widget_move(widget: Widget, offset: int) -> None:
    """Move ``widget`` ``offset`` places (−1 up/earlier, +1 down/later), clamped to the ends."""
    order = list(widget.dashboard.widgets.select_for_update().order_by("position", "pk"))
    index = next(i for i, w in enumerate(order) if w.pk == widget.pk)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    _renumber(widget.dashboard, order)


@transaction.atomic
def dashboard_reorder(dashboard: Dashboard, widget_ids: list[int]) -> None:
    """Put the widgets in the order of ``widget_ids`` (every widget of the dashboard, once)."""
    widgets = {w.pk: w for w in dashboard.widgets.select_for_update()}
    if sorted(widget_ids) != sorted(widgets):
        raise ValidationError({"order": "The order must list every widget of the dashboard "
                                        "exactly once."})
    _renumber(dashboard, [widgets[i] for i in widget_ids])


@transaction.atomic
def dashboard_update(dashboard: Dashboard, **fields) -> Dashboard:
    for key in ("name", "description"):
        if key in fields:
            setattr(dashboard, key, fields[key])
    if fields.get("is_default"):
        dashboard.stakeholder.dashboards.exclude(pk=dashboard.pk).update(is_default=False)
        dashboard.is_default = True
    dashboard.full_clean()
    dashboard.save()
    return dashboard
