"""Measurement tests and the data-collection monitor pages."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, TemplateView

from contactmis.forms import form_errors_from
from contactmis.roles import ManagerRequiredMixin, StaffRequiredMixin, is_manager
from contactmis.selectors import centre_current, centre_get_or_create_default

from ..forms.quality import ClosedDayForm, MeasurementTestForm, MonitorSettingsForm
from ..models import Alert, ClosedDay, MeasurementTest
from ..selectors.quality import (
    alerts_open,
    closed_day_list,
    live_sources,
    monitor_settings,
    monitor_summary,
    monitor_timeline,
    source_health,
    test_latest_runs,
    test_list,
)
from ..services.monitor import (
    alert_resolve,
    closed_day_delete,
    closed_day_save,
    monitor_check,
)
from ..services.testing import measurement_test_run, measurement_test_save

# A test's model field ``expected`` is edited as the form's ``expected_figures``.
TEST_FIELDS = {"expected": "expected_figures"}


class TestListView(StaffRequiredMixin, TemplateView):
    template_name = "measurements/quality/test_list.html"

    def get_context_data(self, **kwargs):
        centre = centre_current()
        tests = list(test_list(centre)) if centre else []
        latest = test_latest_runs(centre) if centre else {}
        for t in tests:
            t.latest = latest.get(t.pk)
        return {**super().get_context_data(**kwargs), "tests": tests,
                "can_edit": is_manager(self.request.user)}


class TestFormView(ManagerRequiredMixin, View):
    """Create (no pk) or edit a measurement test."""

    template_name = "measurements/quality/test_form.html"

    def _form(self, request, instance):
        centre = centre_get_or_create_default()
        initial = {}
        if instance is None and request.GET.get("config"):
            initial = {"config": request.GET["config"], "kind": "known_answer"}
        return MeasurementTestForm(request.POST or None, request.FILES or None,
                                   instance=instance, centre=centre, initial=initial)

    def get(self, request, pk=None):
        instance = get_object_or_404(MeasurementTest, pk=pk) if pk else None
        return render(request, self.template_name,
                      {"form": self._form(request, instance), "test": instance})

    def post(self, request, pk=None):
        instance = get_object_or_404(MeasurementTest, pk=pk) if pk else None
        form = self._form(request, instance)
        if form.is_valid():
            test = form.save(commit=False)
            test.centre = centre_get_or_create_default()
            if instance is None:
                test.created_by = request.user
            if "dataset" in request.FILES:
                test.dataset_name = request.FILES["dataset"].name
            try:
                measurement_test_save(test,
                                      expected_text=form.cleaned_data["expected_figures"])
            except ValidationError as exc:
                form_errors_from(form, exc, TEST_FIELDS)
            else:
                messages.success(request, f"Saved “{test.name}”.")
                return redirect("measurements:test-detail", pk=test.pk)
        return render(request, self.template_name, {"form": form, "test": instance},
                      status=400)


class TestDetailView(StaffRequiredMixin, DetailView):
    template_name = "measurements/quality/test_detail.html"
    context_object_name = "test"

    def get_queryset(self):
        return MeasurementTest.objects.filter(centre=centre_current()).select_related(
            "config__metric", "config__step", "pathway", "source")

    def get_context_data(self, **kwargs):
        runs = list(self.object.runs.select_related("ran_by")[:50])
        return {**super().get_context_data(**kwargs), "runs": runs,
                "latest": runs[0] if runs else None,
                "can_edit": is_manager(self.request.user)}


class TestRunView(ManagerRequiredMixin, View):
    """Run a test now (known-answer tests are small; live-data checks read rollups)."""

    def post(self, request, pk):
        test = get_object_or_404(MeasurementTest, pk=pk, centre=centre_current())
        run = measurement_test_run(test, user=request.user)
        level = messages.success if run.status == "passed" else messages.error
        level(request, f"“{test.name}” {run.get_status_display().lower()}: {run.message}")
        return redirect("measurements:test-detail", pk=test.pk)


class TestDeleteView(ManagerRequiredMixin, View):
    def post(self, request, pk):
        test = get_object_or_404(MeasurementTest, pk=pk, centre=centre_current())
        name = test.name
        test.delete()
        messages.success(request, f"Deleted “{name}” and its run history.")
        return redirect("measurements:test-list")


class MonitorView(StaffRequiredMixin, TemplateView):
    template_name = "measurements/quality/monitor.html"

    def get_context_data(self, **kwargs):
        centre = centre_current()
        healths = [source_health(s) for s in live_sources(centre)] if centre else []
        form = kwargs.pop("form", None) or (MonitorSettingsForm(instance=monitor_settings(centre))
                                            if centre else None)
        closed_form = kwargs.pop("closed_form", None) or ClosedDayForm()
        return {**super().get_context_data(**kwargs), "healths": healths,
                "closed_days": list(closed_day_list(centre)) if centre else [],
                "closed_form": closed_form,
                "timeline": monitor_timeline(healths) if healths else None,
                "feeds": list(zip(healths, monitor_summary(healths), strict=True)),
                "alerts": list(alerts_open(centre)[:100]) if centre else [],
                "form": form, "can_edit": is_manager(self.request.user)}


class MonitorSettingsView(ManagerRequiredMixin, View):
    def post(self, request):
        centre = centre_get_or_create_default()
        form = MonitorSettingsForm(request.POST, instance=monitor_settings(centre))
        if not form.is_valid():
            view = MonitorView()
            view.setup(request)
            return render(request, MonitorView.template_name,
                          view.get_context_data(form=form), status=400)
        form.save()
        messages.success(request, "Alert thresholds saved.")
        return redirect("measurements:monitor")


class ClosedDayCreateView(ManagerRequiredMixin, View):
    def post(self, request):
        centre = centre_get_or_create_default()
        form = ClosedDayForm(request.POST, instance=ClosedDay(centre=centre))
        if form.is_valid():
            try:
                closed = closed_day_save(form.instance)
            except ValidationError as exc:
                form_errors_from(form, exc, TEST_FIELDS)
            else:
                messages.success(request, f"{closed} marked closed: the monitor expects no "
                                          "data that day.")
                return redirect(f"{reverse('measurements:monitor')}#closed-days")
        view = MonitorView()
        view.setup(request)
        return render(request, MonitorView.template_name,
                      view.get_context_data(closed_form=form), status=400)


class ClosedDayDeleteView(ManagerRequiredMixin, View):
    def post(self, request, pk):
        closed = get_object_or_404(ClosedDay, pk=pk, centre=centre_current())
        closed_day_delete(closed)
        messages.success(request, f"{closed} is an ordinary day again.")
        return redirect(f"{reverse('measurements:monitor')}#closed-days")


class MonitorCheckView(ManagerRequiredMixin, View):
    def post(self, request):
        new = monitor_check(centre_get_or_create_default())
        messages.success(request, f"Checked every source: {len(new)} new alert(s)"
                                  f"{' (emailed to managers)' if new else ''}.")
        return redirect("measurements:monitor")


class AlertResolveView(ManagerRequiredMixin, View):
    def post(self, request, pk):
        alert_resolve(get_object_or_404(Alert, pk=pk, centre=centre_current()))
        return redirect("measurements:monitor")
