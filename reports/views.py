"""Analysis pages: a filter form, then Plotly charts, tables and findings (or a clear empty
state). Views parse the form, call one read function of ``reports.analyses`` (or a service) and
render; all data passes through ``request.scope``."""
import datetime as dt

import pandas as pd
from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.text import slugify
from django.views.generic import TemplateView

from contactmis.params import id_field, page_param
from contactmis.roles import PageMixin, StaffRequiredMixin
from contactmis.selectors import centre_current

from . import analyses, exports
from .forms import (
    ForecastIssueForm,
    KpiFilterForm,
    PeriodForm,
    QueueingForm,
    StaffingForm,
)
from .models import Forecast
from .reporting import render
from .reporting.pages import page_report
from .services import ForecastError, forecast_issue
from .vocabulary import column_label

EXPORT_FORMATS = {"csv": "CSV", "xlsx": "Excel workbook", "pdf": "PDF"}
TABLE_TITLES = {"kpis": "KPIs by period and segment", "targets": "Plan targets and actuals",
                "wait_percentiles": "Wait percentiles", "year_over_year": "Year over year",
                "abandonment_vs_wait": "Abandonment against wait",
                "models": "Models compared"}


def table_title(key: str) -> str:
    return TABLE_TITLES.get(key) or key.replace("_", " ").capitalize()


class PageExportMixin:
    """``?export=xlsx`` answers the page's figures as a workbook (a sheet saying what they are —
    centre, scope, period, definitions, filters, findings — then one sheet per table, every
    row, not the page's first rows); ``?export=csv&table=NAME`` one table as CSV with the same
    header block. Both go through the page's own permission and scope checks (``get``)."""

    def get(self, request, *args, **kwargs):
        export = page_param(request, "export", forms.ChoiceField(choices=EXPORT_FORMATS.items()))
        if export is None:
            return super().get(request, *args, **kwargs)
        context = self.get_context_data(**kwargs)
        tables = (context.get("report") or {}).get("tables") or {}
        lines = self.export_preamble(context)
        name = slugify(f"{context.get('heading') or 'analysis'}-{timezone.localdate()}")
        if export == "xlsx":
            sheets = [("About", None, lines)]
            sheets += [(table_title(k), _table_frame(rows), [table_title(k)])
                       for k, rows in tables.items() if rows]
            response = HttpResponse(exports.to_workbook(sheets), content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
        if export == "pdf":
            centre = context.get("centre")
            printable = page_report(
                context.get("heading") or "Analysis", lines, context.get("report") or {},
                scope_label=context.get("scope_label") or "", period=context.get("period"),
                time_zone=centre.time_zone if centre else "UTC",
                generated_at=timezone.now(), table_titles={k: table_title(k) for k in tables})
            response = HttpResponse(render.pdf(printable), content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            return response
        choices = [(k, table_title(k)) for k, rows in tables.items() if rows]
        table = page_param(request, "table", forms.ChoiceField(choices=choices)) \
            if choices else None
        table = table or (choices[0][0] if choices else None)
        frame = _table_frame(tables[table]) if table else pd.DataFrame({"note": ["no data"]})
        body = exports.to_csv(frame, [*lines, table_title(table) if table else ""])
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{table or "empty"}.csv"'
        return response

    def export_preamble(self, context) -> list[str]:
        """What the exported figures are, in words (the page's header, not a file of ours)."""
        centre, report = context.get("centre"), context.get("report") or {}
        lines = [f"ContactMIS — {context.get('heading') or 'Analysis'}"]
        if centre is not None:
            lines.append(f"Centre: {centre.name} (local time {centre.time_zone})")
        lines.append(f"Scope: {context.get('scope_label') or 'the whole centre'}")
        if context.get("period"):
            start, end = context["period"]
            last = end - dt.timedelta(days=1)
            lines.append(f"Period: {start:%d %b %Y} – {last:%d %b %Y} (local days)")
        filters = [f"{k}={v}" for k, values in self.request.GET.lists()
                   if k not in ("export", "table", ROWS_PAGE) for v in values]
        if filters:
            lines.append("Filters: " + "; ".join(filters))
        if report.get("definition"):
            lines.append(f"Definitions: {report['definition']}")
        lines += [f"Finding: {f['text']}" for f in report.get("findings") or []]
        if report.get("empty"):
            lines.append("No data for this period in this scope.")
        user = self.request.user
        lines.append(f"Exported {timezone.localtime():%d %b %Y %H:%M %Z} by "
                     f"{user.get_username()}")
        return lines

    def export_links(self) -> list[tuple[str, str]]:
        """``(label, url)`` of the page's downloads, keeping its filters."""
        links = []
        for fmt, text in (("xlsx", "Excel workbook (all tables)"), ("pdf", "PDF (A4)")):
            query = self.request.GET.copy()
            query["export"] = fmt
            links.append((text, f"?{query.urlencode()}"))
        return links


ROWS_PAGE = "rows_page"


def table_page(request, rows: list, per_page: int) -> dict:
    """One page of a table's ``rows`` (``?rows_page=N``, from 1; past the last: the last) with
    the links to the pages before and after, keeping the page's filters."""
    pages = max(1, -(-len(rows) // per_page))
    page = min(page_param(request, ROWS_PAGE, forms.IntegerField(min_value=1)) or 1, pages)
    first = (page - 1) * per_page

    def link(number):
        query = request.GET.copy()
        query[ROWS_PAGE] = number
        return f"?{query.urlencode()}"

    return {"rows": rows[first:first + per_page], "page": page, "pages": pages,
            "first": first + 1, "last": min(first + per_page, len(rows)), "total": len(rows),
            "previous": link(page - 1) if page > 1 else "",
            "next": link(page + 1) if page < pages else ""}


def _table_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows)
    # Exported cells are bare numbers, so each header carries its unit ("AHT (s)").
    return frame.rename(columns={c: column_label(c, raw=True) for c in frame.columns})


class AnalysisPage(PageExportMixin, PageMixin, TemplateView):
    """Shared shape: ``form_class`` bound to GET, ``build(centre, form)`` returns the report."""

    form_class = PeriodForm
    heading = ""
    intro = ""

    def build(self, centre, form):
        raise NotImplementedError

    def form_kwargs(self, centre) -> dict:
        return {"centre": centre}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        centre = centre_current()
        form = self.form_class(self.request.GET or None, **self.form_kwargs(centre))
        report = None
        if centre is not None and (not form.is_bound or form.is_valid()):
            report = self.build(centre, form)
        context.update(form=form, centre=centre, report=report, heading=self.heading,
                       intro=self.intro, scope_label=getattr(self.request.scope, "label", ""),
                       period=form.period() if centre is not None else None)
        context["export_links"] = self.csv_links(report) if report else []
        return context

    def csv_links(self, report) -> list[tuple[str, str]]:
        links = self.export_links()
        for key, rows in (report.get("tables") or {}).items():
            if rows:
                query = self.request.GET.copy()
                query.update({"export": "csv"})
                query["table"] = key
                links.append((f"CSV: {table_title(key)}", f"?{query.urlencode()}"))
        return links


class KpiView(AnalysisPage):
    template_name = "reports/kpis.html"
    form_class = KpiFilterForm
    heading = "KPIs"
    intro = ("Every KPI is a ratio of sums of the interval components for the period and "
             "segment shown — never an average of interval averages.")
    # The KPI table is shown a page of rows at a time (a month of 15-minute periods per queue
    # is thousands of rows); the downloads hold every row.
    ROWS_PER_PAGE = 200

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = ((context.get("report") or {}).get("tables") or {}).get("kpis") or []
        context["kpi_rows"] = table_page(self.request, rows, self.ROWS_PER_PAGE)
        return context

    def build(self, centre, form):
        start, end = form.period()
        data = form.cleaned_data if form.is_bound else {}
        # Unless the manager asks otherwise, figures open per channel: calls answered in
        # seconds and e-mails in hours are not one headline.
        by = data.get("by") if form.is_bound else KpiFilterForm.DEFAULT_BY
        return analyses.kpi_report(self.request.scope, centre, start, end,
                                   data.get("granularity") or "day", by or [],
                                   sl_threshold_s=data.get("sl_threshold"),
                                   sl_variant=data.get("sl_variant") or None)


class PatternView(AnalysisPage):
    template_name = "reports/patterns.html"
    heading = "Patterns & trends"
    intro = "When contacts arrive, how volume moves over time, and where they flow."

    def build(self, centre, form):
        start, end = form.period()
        return analyses.pattern_report(self.request.scope, centre, start, end)


class StaffingView(StaffRequiredMixin, AnalysisPage):
    template_name = "reports/staffing.html"
    form_class = StaffingForm
    heading = "Staffing"
    intro = ("Agents required per interval to meet the service-level target (Erlang C, or "
             "Erlang A with the callers' patience estimated from the data), against agents "
             "actually staffed where agent-state data exists. Each queue is computed on its "
             "own, at its configured threshold and the business plan's target for it.")

    def form_kwargs(self, centre):
        return {"scope": self.request.scope, "centre": centre}

    def get_context_data(self, **kwargs):
        # ``?forecast=ID``: staff to that issued forecast (one of the viewer's scope, else 404).
        centre = centre_current()
        scope = self.request.scope
        asked = page_param(self.request, "forecast", id_field())
        self.forecast = None
        if centre is not None and asked is not None:
            self.forecast = get_object_or_404(
                Forecast.objects.restrict(scope).filter(centre=centre), pk=asked)
        context = super().get_context_data(**kwargs)
        context["forecasts"] = list(Forecast.objects.restrict(scope).filter(
            centre=centre).select_related("queue")[:50]) if centre is not None else []
        context["forecast"] = self.forecast
        if self.forecast is not None:
            context["period"] = (self.forecast.horizon_start, self.forecast.horizon_end)
            if not context["form"].is_bound:  # the form shows the forecast's days
                context["form"].initial.update(start=self.forecast.horizon_start,
                                               end=self.forecast.horizon_end)
        return context

    def build(self, centre, form):
        options = form.options()
        if self.forecast is not None:
            return analyses.forecast_staffing_report(
                self.request.scope, centre, self.forecast, target_sl=options["target_sl"],
                threshold_s=options["threshold_s"], shrinkage=options["shrinkage"],
                max_occupancy=options["max_occupancy"])
        start, end = form.period()
        return analyses.staffing_report(self.request.scope, centre, start, end, **options)


class QueueingView(StaffRequiredMixin, AnalysisPage):
    template_name = "reports/queueing.html"
    heading = "Queueing science"
    form_class = QueueingForm
    intro = ("Callers' patience, how abandonment grows with waiting, waits, service times and "
             "Erlang A calibrated on the calls themselves, from the individual queue legs of the "
             "period — overall or per customer segment, contact type, queue or channel.")

    def form_kwargs(self, centre):
        return {"scope": self.request.scope, "centre": centre}

    def build(self, centre, form):
        start, end = form.period()
        return analyses.queueing_report(self.request.scope, centre, start, end,
                                        **form.selection())


class ForecastView(StaffRequiredMixin, PageExportMixin, TemplateView):
    """Issued forecasts; issue a new one (POST); accuracy of one against the actuals."""

    template_name = "reports/forecasts.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        centre = centre_current()
        scope = self.request.scope
        selected = None
        asked = page_param(self.request, "forecast", id_field())
        if centre is not None and asked is not None:
            selected = get_object_or_404(Forecast.objects.restrict(scope).filter(centre=centre),
                                         pk=asked)
        report = analyses.forecast_report(scope, centre, selected) if centre else None
        context.update(centre=centre, report=report, heading="Forecasts",
                       form=form or ForecastIssueForm(scope=scope, centre=centre),
                       scope_label=getattr(scope, "label", ""),
                       export_links=self.export_links() if selected else [])
        return context

    def export_preamble(self, context) -> list[str]:
        lines = super().export_preamble(context)
        report = context.get("report") or {}
        forecast = report.get("selected")
        if forecast is not None:
            extra = [f"Forecast: {forecast}", f"History: {forecast.history_start} – "
                     f"{forecast.history_end} (end exclusive)"]
            if forecast.holdout_weeks:
                extra.append(f"Back-test: every model forecast the same {forecast.holdout_weeks} "
                             "held-out weeks; WAPE and bias of daily totals and per interval")
            if report.get("selection"):
                extra.append(f"Model choice: {report['selection']}")
            lines[-1:-1] = extra
        return lines

    def post(self, request, *args, **kwargs):
        centre = centre_current()
        form = ForecastIssueForm(request.POST, scope=request.scope, centre=centre)
        if centre is None or not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        c = form.cleaned_data
        try:
            issued = forecast_issue(scope=request.scope, centre=centre,
                                    history_start=c["history_start"],
                                    history_end=c["history_end"],
                                    horizon_days=c["horizon_days"], method=c["method"],
                                    holdout_weeks=c["holdout_weeks"] or 4, queue=c["queue"],
                                    user=request.user)
        except ForecastError as exc:
            form.add_error(None, str(exc))
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, f"Forecast issued: {issued}.")
        return redirect(f"{request.path}?forecast={issued.pk}")
