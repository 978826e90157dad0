"""Analysis pages: a filter form, then Plotly charts, tables and findings (or a clear empty
state). Views parse the form, call one read function of ``reports.analyses`` (or a service) and
render; all data passes through ``request.scope``."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView

from contactmis.params import id_field, page_param
from contactmis.roles import PageMixin, StaffRequiredMixin
from contactmis.selectors import centre_current

from . import analyses
from .forms import (
    ForecastIssueForm,
    KpiFilterForm,
    PeriodForm,
    QueueChoiceForm,
    StaffingForm,
)
from .models import Forecast
from .services import ForecastError, forecast_issue


class AnalysisPage(PageMixin, TemplateView):
    """Shared shape: ``form_class`` bound to GET, ``build(centre, form)`` returns the report."""

    form_class = PeriodForm
    heading = ""
    intro = ""

    def build(self, centre, form):
        raise NotImplementedError

    def form_kwargs(self, centre) -> dict:
        return {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        centre = centre_current()
        form = self.form_class(self.request.GET or None, **self.form_kwargs(centre))
        report = None
        if centre is not None and (not form.is_bound or form.is_valid()):
            report = self.build(centre, form)
        context.update(form=form, centre=centre, report=report, heading=self.heading,
                       intro=self.intro, scope_label=getattr(self.request.scope, "label", ""))
        return context


class KpiView(AnalysisPage):
    template_name = "reports/kpis.html"
    form_class = KpiFilterForm
    heading = "KPIs"
    intro = ("Every KPI is a ratio of sums of the interval components for the period and "
             "segment shown — never an average of interval averages.")

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

    def build(self, centre, form):
        start, end = form.period()
        return analyses.staffing_report(self.request.scope, centre, start, end,
                                        **form.options())


class QueueingView(StaffRequiredMixin, AnalysisPage):
    template_name = "reports/queueing.html"
    heading = "Queueing science"
    form_class = QueueChoiceForm
    intro = ("Callers' patience, how abandonment grows with waiting, and the distribution of "
             "service times, from the individual queue legs of the period, for one queue or "
             "one channel.")

    def form_kwargs(self, centre):
        return {"scope": self.request.scope, "centre": centre}

    def build(self, centre, form):
        start, end = form.period()
        return analyses.queueing_report(self.request.scope, centre, start, end,
                                        **form.selection())


class ForecastView(StaffRequiredMixin, TemplateView):
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
                       form=form or ForecastIssueForm(scope=scope, centre=centre))
        return context

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
                                    queue=c["queue"], user=request.user)
        except ForecastError as exc:
            form.add_error(None, str(exc))
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, f"Forecast issued: {issued}.")
        return redirect(f"{request.path}?forecast={issued.pk}")
