"""Dashboard pages: list/landing, the dashboard itself (the stakeholder's view and the manager's
preview are the same view and the same code path), the editor, exports, drill-down and the
wallboard.

Every object is looked up through ``selectors.*_get(user, pk)`` (404 when the user may not see
it) and every figure is computed within the dashboard's stakeholder scope; a queue filter value
outside that scope is a 404 too.
"""
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views import View

from contactmis.forms import form_errors_from
from contactmis.params import BoundedDateTimeField, id_field, page_param
from contactmis.roles import ManagerRequiredMixin, PageMixin, can_read_all, is_manager
from contactmis.scope import Scope
from contactmis.selectors import centre_current
from measurements.models import Contact
from measurements.selectors.live import floor_live
from reports import exports
from reports.vocabulary import METRICS, column_label

from .. import drill, frames, selectors, services
from ..constants import Breakdown, WidgetKind
from ..forms import DashboardForm, DashboardPeriodForm, WidgetForm
from ..models import Widget
from ..scope import stakeholder_of_user, stakeholder_scope
from ..widgets import (
    dashboard_render,
    local_cards,
    rest_of_day,
    table_display,
    widget_result,
    widget_scope,
    with_period,
)


def _queue_filter(request, scope):
    value = request.GET.get("queue")
    if value in (None, ""):
        return None
    return selectors.scope_queue_get(scope, value)


def _present(result):
    """What the widget template needs: the result, its figure as JSON, its table as text."""
    label = dict(Breakdown.choices).get(result.widget.breakdown or "", "")
    show_table = result.widget.kind == WidgetKind.TABLE and not result.empty
    figure = ""
    if result.figure:
        # Escaped like ``json_script``: labels come from source data and are not trusted.
        figure = (json.dumps(result.figure).replace("<", "\\u003c").replace(">", "\\u003e")
                  .replace("&", "\\u0026"))
    return {"r": result, "figure": figure,
            "table": table_display(result, label) if show_table else None}


def _card(result, queue, period_query="") -> str:
    """The widget's card as HTML; the same figures, widget and filter give the same card."""
    w = result.widget
    key = None if result.key is None else (result.key, w.pk, w.title, w.wide, w.kind,
                                           queue.pk if queue is not None else None,
                                           period_query)
    html = local_cards.get(key) if key else None
    if html is None:
        drill_query = "&".join(q for q in (f"queue={queue.pk}" if queue is not None else "",
                                           period_query) if q)
        html = render_to_string("stakeholders/_widget.html", {**_present(result),
                                                              "queue": queue,
                                                              "drill_query": drill_query})
        if key:
            local_cards.set(key, html)
    return html


class DashboardListView(PageMixin, View):
    """Managers and analysts: every stakeholder's dashboards. A viewer lands on its own."""

    def get(self, request):
        if not can_read_all(request.user):
            landing = selectors.dashboard_landing(request.user)
            if landing is not None:
                return redirect("stakeholders:dashboard-detail", pk=landing.pk)
        return render(request, "stakeholders/dashboard_list.html", {
            "dashboards": selectors.dashboard_list(request.user),
            "can_edit": is_manager(request.user),
        })


class DashboardDetailView(PageMixin, View):
    def get(self, request, pk):
        dashboard = selectors.dashboard_get(request.user, pk)
        scope = selectors.dashboard_scope(dashboard)
        queue = _queue_filter(request, scope)
        asked = "period" in request.GET or "compare" in request.GET
        period_form = DashboardPeriodForm(request.GET if asked else None)
        period_query = period_form.query()
        results = dashboard_render(dashboard, scope, timezone.now(), queue=queue,
                                   picked=period_form.picked(),
                                   compare=period_form.comparison())
        return render(request, "stakeholders/dashboard_detail.html", {
            "dashboard": dashboard, "stakeholder": dashboard.stakeholder, "scope": scope,
            "cards": [_card(r, queue, period_query) for r in results],
            "period_form": period_form, "period_query": period_query,
            "queues": selectors.scope_queues(scope), "queue": queue,
            "preview": can_read_all(request.user), "can_edit": is_manager(request.user),
            "siblings": selectors.dashboard_list(request.user).filter(
                stakeholder=dashboard.stakeholder),
            # A dashboard showing today keeps itself current: the page checks for new data
            # every DASH_POLL_S seconds and swaps its widgets in place.
            "live": any(r.widget.period == "today" for r in results),
            "data_version": selectors.data_version(), "poll_s": DASH_POLL_S,
        })


class DashboardEditView(ManagerRequiredMixin, View):
    template = "stakeholders/dashboard_edit.html"

    def _context(self, dashboard, form):
        return {"dashboard": dashboard, "form": form,
                "widgets": dashboard.widgets.order_by("position", "pk"),
                "kinds": WidgetKind.choices}

    def get(self, request, pk):
        dashboard = selectors.dashboard_get(request.user, pk)
        return render(request, self.template,
                      self._context(dashboard, DashboardForm(instance=dashboard)))

    def post(self, request, pk):
        dashboard = selectors.dashboard_get(request.user, pk)
        form = DashboardForm(request.POST, instance=dashboard)
        if form.is_valid():
            try:
                services.dashboard_update(dashboard, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, "Dashboard saved.")
                return redirect("stakeholders:dashboard-edit", pk=dashboard.pk)
        return render(request, self.template, self._context(dashboard, form), status=400)


class WidgetCreateView(ManagerRequiredMixin, View):
    template = "stakeholders/widget_form.html"

    def get(self, request, pk):
        dashboard = selectors.dashboard_get(request.user, pk)
        kind = request.GET.get("kind", WidgetKind.KPI_TILE)
        form = WidgetForm(initial={"kind": kind, "period": "last_7_days", "granularity": "day",
                                   "metrics": ["offered"]})
        return render(request, self.template, {"form": form, "dashboard": dashboard})

    def post(self, request, pk):
        dashboard = selectors.dashboard_get(request.user, pk)
        form = WidgetForm(request.POST, instance=Widget(dashboard=dashboard))
        if form.is_valid():
            try:
                services.widget_add(dashboard, **form.service_kwargs())
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"Added “{form.cleaned_data['title']}”.")
                return redirect("stakeholders:dashboard-edit", pk=dashboard.pk)
        return render(request, self.template, {"form": form, "dashboard": dashboard},
                      status=400)


class WidgetUpdateView(ManagerRequiredMixin, View):
    template = "stakeholders/widget_form.html"

    def get(self, request, pk):
        widget = selectors.widget_get(request.user, pk)
        return render(request, self.template, {"form": WidgetForm(instance=widget),
                                               "dashboard": widget.dashboard, "widget": widget})

    def post(self, request, pk):
        widget = selectors.widget_get(request.user, pk)
        form = WidgetForm(request.POST, instance=widget)
        if form.is_valid():
            try:
                services.widget_update(widget, **form.service_kwargs())
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"Saved “{widget.title}”.")
                return redirect("stakeholders:dashboard-edit", pk=widget.dashboard_id)
        return render(request, self.template, {"form": form, "dashboard": widget.dashboard,
                                               "widget": widget}, status=400)


class WidgetDeleteView(ManagerRequiredMixin, View):
    def post(self, request, pk):
        widget = selectors.widget_get(request.user, pk)
        dashboard_pk, title = widget.dashboard_id, widget.title
        services.widget_remove(widget)
        messages.success(request, f"Removed “{title}”.")
        return redirect("stakeholders:dashboard-edit", pk=dashboard_pk)


class WidgetMoveView(ManagerRequiredMixin, View):
    def post(self, request, pk):
        widget = selectors.widget_get(request.user, pk)
        offset = -1 if request.POST.get("direction") == "up" else 1
        services.widget_move(widget, offset)
        return redirect(reverse("stakeholders:dashboard-edit", args=[widget.dashboard_id])
                        + f"#widget-{widget.pk}")


def _preamble(result, scope, queue):
    widget = result.widget
    lines = [f"{widget.title} — {widget.dashboard.stakeholder.name}",
             f"Period: {result.period.label}; data scope: {scope.label}"
             + (f"; queue: {queue}" if queue else ""),
             f"Exported {timezone.localtime():%Y-%m-%d %H:%M %Z}"]
    return lines + result.definitions + result.notes


class WidgetExportView(PageMixin, View):
    """The data behind a widget as CSV or XLSX (formula injection neutralised)."""

    def get(self, request, pk, fmt):
        widget = selectors.widget_get(request.user, pk)
        scope = selectors.dashboard_scope(widget.dashboard)
        queue = _queue_filter(request, scope)
        result = widget_result(widget, scope, timezone.now(), queue=queue)
        preamble = _preamble(result, scope, queue)
        name = slugify(f"{widget.dashboard.stakeholder.name}-{widget.title}")[:80] or "widget"
        # Headers in words with their unit (cells are bare numbers); the group column is named
        # after the widget's breakdown.
        group = column_label(widget.breakdown) if widget.breakdown else "Group"
        names = {"key_label": group, "key": f"{group} code"}
        table = result.table.rename(columns={
            c: names.get(c) or column_label(c, raw=True) for c in result.table.columns})
        if fmt == "csv":
            body, ctype = exports.to_csv(table, preamble), "text/csv; charset=utf-8"
        elif fmt == "xlsx":
            body = exports.to_xlsx(table, widget.title, preamble)
            ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            raise Http404("Unknown export format.")
        response = HttpResponse(body, content_type=ctype)
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


class WidgetDrillView(PageMixin, View):
    """The drill path behind a widget, or behind one point of it (``at``: the local start of
    the bucket clicked, ``grain`` its size — the chart's own granularity when absent; ``key``:
    the breakdown value of the series clicked): the span one level finer, each row a link one
    level down, then its contacts (paged; ``abandoned``, ``waited_over``, ``agent``, ``sort``)
    and, for spans of a day or less, the interval rows. ``export=csv``: the contacts listed."""

    def get(self, request, pk):
        widget = selectors.widget_get(request.user, pk)
        scope = selectors.dashboard_scope(widget.dashboard)
        queue = _queue_filter(request, scope)
        if widget.breakdown == "queue" and request.GET.get("key"):
            queue = selectors.scope_queue_get(scope, request.GET["key"])
        now = timezone.now()
        asked = "period" in request.GET or "compare" in request.GET
        period_form = DashboardPeriodForm(request.GET if asked else None)
        if period_form.is_bound and not period_form.is_valid():
            raise Http404("; ".join(f"{k}: {' '.join(v)}" for k, v in period_form.errors.items()))
        widget = with_period(widget, period_form.picked(), now,
                             compare=period_form.comparison())
        result = widget_result(widget, scope, now, queue=queue)
        tz = ZoneInfo(selectors.centre_time_zone())
        start, end = result.period.start, result.period.end
        at = page_param(request, "at", BoundedDateTimeField())
        grain = page_param(request, "grain", forms.ChoiceField(
            choices=[(g, g) for g in drill.LEVELS]))
        if at is not None:
            start, end = drill.bucket(at, grain or _drill_grain(widget), tz)
        behind = widget_scope(widget, scope)  # the rows behind the figure: its channels only
        agents = drill.agents_in(behind, start, end)
        filters = drill.ContactFilter(
            abandoned=page_param(request, "abandoned", forms.BooleanField(required=False))
            or False,
            waited_over_s=page_param(request, "waited_over", forms.IntegerField(
                min_value=0, max_value=7 * 86400)),
            agent=page_param(request, "agent", forms.ModelChoiceField(queryset=agents)),
            sort=page_param(request, "sort", forms.ChoiceField(
                choices=[(k, k) for k in drill.SORTS])) or "arrived")
        listed = drill.contacts(behind, start, end, queue, filters)
        if page_param(request, "export", forms.ChoiceField(choices=[("csv", "CSV")])):
            return _contacts_csv(widget, listed, start, end)
        page = drill.contacts_page(listed, page_param(request, "page", forms.IntegerField(
            min_value=1, max_value=10**6)) or 1)
        rows_grain, rows = drill.breakdown(behind, _centre(), start,
                                           end, queue)
        keep = request.GET.copy()
        for name in ("at", "grain", "page", "export"):
            keep.pop(name, None)
        return render(request, "stakeholders/widget_drill.html", {
            "widget": widget, "result": result, "scope": scope, "queue": queue,
            "start": start, "end": end, "rows": rows, "rows_grain": rows_grain,
            "rows_words": drill.LEVEL_WORDS.get(rows_grain, ""),
            "crumbs": drill.crumbs(start, end, tz), "keep": keep.urlencode(),
            "page": page, "filters": filters, "agents": agents, "sorts": drill.SORTS,
            "limit": selectors.DRILL_LIMIT,
            "intervals": selectors.drill_intervals(behind, start, end, queue)
            if (end - start) <= timedelta(hours=25) else [],
            "contacts": page.object_list,
        })


def _centre():
    centre = centre_current()
    if centre is None:
        raise Http404("No contact centre is set up yet.")
    return centre


class ContactJourneyView(PageMixin, View):
    """One contact behind a widget: its legs across IVR, queues, agents, transfers and
    escalations, and its survey answers (404 outside the dashboard's scope)."""

    def get(self, request, pk, contact_id):
        widget = selectors.widget_get(request.user, pk)
        behind = widget_scope(widget, selectors.dashboard_scope(widget.dashboard))
        contact = get_object_or_404(Contact.objects.restrict(behind).select_related("queue"),
                                    pk=contact_id)
        legs, surveys = drill.journey(behind, contact)
        back = request.GET.get("back", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        return render(request, "stakeholders/contact_journey.html", {
            "widget": widget, "contact": contact, "legs": legs, "surveys": surveys,
            "back": back})


def _contacts_csv(widget, listed, start, end):
    frame = pd.DataFrame.from_records(
        [{"arrived": c.arrived_at.astimezone(start.tzinfo).strftime("%Y-%m-%d %H:%M:%S"),
          "contact": c.external_id, "queue": str(c.queue or ""), "channel": c.channel,
          "type": c.contact_type, "segment": c.customer_segment, "outcome": c.outcome,
          "wait_in_queue_s": c.queue_wait_s, "first_agent": c.first_agent or ""}
         for c in listed.iterator()],
        columns=["arrived", "contact", "queue", "channel", "type", "segment", "outcome",
                 "wait_in_queue_s", "first_agent"])
    body = exports.to_csv(frame, [f"Contacts behind “{widget.title}”",
                                  f"{start:%d %b %Y %H:%M} – {end:%d %b %Y %H:%M} "
                                  f"({start.tzinfo})"])
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="contacts-{slugify(widget.title)}'
                                       f'-{start:%Y%m%d%H%M}.csv"')
    return response


def _drill_grain(widget):
    if widget.kind == WidgetKind.STAFFING:
        return "15min"
    if widget.kind in (WidgetKind.TABLE, WidgetKind.HEATMAP, WidgetKind.SANKEY):
        return "day"
    if widget.kind == WidgetKind.KPI_TILE:
        return "hour"
    return widget.granularity


WALL_CHANNEL_METRICS = ("service_level", "asa_s", "abandon_rate")
#: Seconds between the wallboard's polls of its live data.
WALL_POLL_S = 3
#: Seconds between a today-dashboard's checks for new data.
DASH_POLL_S = 10


class WallboardView(PageMixin, View):
    """Large-type view of today for the floor, alive: the page polls ``wallboard/live/`` every
    few seconds and swaps its figures in place. A viewer sees its own scope; a manager or analyst
    the whole centre or ``?stakeholder=<id>``'s scope."""

    template = "stakeholders/wallboard.html"

    def wall_scope(self, request):
        stakeholder = None
        if can_read_all(request.user):
            asked = page_param(request, "stakeholder", id_field())
            if asked is not None:
                stakeholder = selectors.stakeholder_get(request.user, asked)
                scope = stakeholder_scope(stakeholder)
            else:
                scope = Scope.everything()
        else:
            stakeholder = stakeholder_of_user(request.user)
            asked = page_param(request, "stakeholder", id_field())
            if asked is not None and (stakeholder is None or asked != stakeholder.pk):
                raise Http404("No such stakeholder.")
            scope = stakeholder_scope(stakeholder) if stakeholder else Scope.nothing()
        return stakeholder, scope

    def context(self, request):
        stakeholder, scope = self.wall_scope(request)
        queue = _queue_filter(request, scope)
        now = timezone.now()
        version = selectors.data_version()
        centre = centre_current()
        floor = floor_live(centre, scope, now, queue) if centre else None

        def board(period):
            def tile(key, title, channel=None):
                # Judged like every widget: each queue's configured threshold, the plan's
                # target in force for the slice (none: "no target").
                w = Widget(kind=WidgetKind.KPI_TILE, title=title, metrics=[key], period=period,
                           granularity="hour",
                           options={"channels": [channel]} if channel else {})
                return widget_result(w, scope, now, queue=queue, data_version=version)

            totals = [tile("offered", "Offered"), tile("handled", "Handled")]
            # Service level, speed of answer and abandons per channel: calls are answered in
            # seconds and e-mails in hours, so one tile over both would describe neither.
            channels = [(label, [tile(key, f"{label}: {METRICS[key].label}", code)
                                 for key in WALL_CHANNEL_METRICS])
                        for code, label in selectors.scope_channels(scope, queue)]
            table = widget_result(Widget(
                kind=WidgetKind.TABLE, title=f"Queues {period}", period=period,
                granularity="day", breakdown="queue",
                metrics=["offered", "answered", "service_level", "asa_s", "abandon_rate"]),
                scope, now, queue=queue, data_version=version)
            return totals, channels, table

        period = "today"
        with frames.shared_reads():  # the tiles of a channel share one read
            totals, channels, table = board(period)
            # Today per interval against the issued forecast: the next intervals re-forecast
            # and the agents they need.
            rest = widget_result(Widget(kind=WidgetKind.INTRADAY, title="Rest of today",
                                        metrics=["offered"], period="today",
                                        granularity="15min"),
                                 scope, now, queue=queue, data_version=version)
            if table.empty and all(t.tile is None for t in totals):
                # Nothing yet today (early morning, a quiet source): yesterday, and say so.
                period = "yesterday"
                totals, channels, table = board(period)
        return {
            "totals": totals, "channels": channels, "period": period,
            "tiles": totals + [t for _, group in channels for t in group],
            "table": _present(table), "scope": scope, "stakeholder": stakeholder,
            "stakeholders": selectors.stakeholder_list(request.user)
            if can_read_all(request.user) else [],
            "queue": queue, "queues": selectors.scope_queues(scope), "now": now,
            "floor": floor, "refresh_s": WALL_POLL_S,
            "rest_of_day": rest_of_day(rest), "rest_notes": rest.notes,
        }

    def get(self, request):
        return render(request, self.template, self.context(request))


class WallboardLiveView(WallboardView):
    """The wallboard's figures as JSON for its poll: the rendered body, whether a followed
    source is stale, and the age of the data (same scope rules as the page)."""

    def get(self, request):
        ctx = self.context(request)
        floor = ctx["floor"]
        return JsonResponse({
            "html": render_to_string("stakeholders/_wallboard_body.html", ctx, request=request),
            "period": ctx["period"],
            "stale": bool(floor and floor.stale),
            "as_of": floor.as_of.isoformat() if floor and floor.as_of else None,
            "waiting": sum(q.waiting for q in floor.queues) if floor else 0,
            "offered": next((float(t.tile["value"]) for t in ctx["totals"][:1] if t.tile),
                            None),
        })
