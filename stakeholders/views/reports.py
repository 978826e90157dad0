"""Report schedules (managers edit, analysts read) and the report archive (everyone, each in
their scope: a viewer sees only its stakeholder's runs and gets 404 for any other)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin

from contactmis.forms import form_errors_from
from contactmis.roles import ManagerRequiredMixin, PageMixin, StaffRequiredMixin, is_manager

from .. import reporting, selectors
from ..forms import ReportScheduleForm
from ..models import RunStatus

PAGE_SIZE = 50


class ScheduleListView(StaffRequiredMixin, View):
    def get(self, request):
        schedules = list(reporting.schedule_list(request.user))
        last = {}
        for run in reporting.run_list(request.user).filter(
                schedule__in=schedules).order_by("schedule_id", "-created_at"):
            last.setdefault(run.schedule_id, run)
        return render(request, "stakeholders/schedule_list.html", {
            "rows": [(s, last.get(s.pk)) for s in schedules],
            "failed": reporting.failed_runs(request.user).order_by("-created_at")[:10],
            "can_edit": is_manager(request.user),
        })


class _ScheduleFormView(PageMixin, View):
    def _render(self, request, form, schedule=None):
        return render(request, "stakeholders/schedule_form.html",
                      {"form": form, "schedule": schedule})

    def _save(self, request, form, schedule):
        if not form.is_valid():
            return self._render(request, form, schedule if schedule and schedule.pk else None)
        obj = form.save(commit=False)
        obj.formats = form.cleaned_data["formats"]
        obj.sections = form.cleaned_data["sections"]
        obj.extra_recipients = form.cleaned_data["extra_recipients"]
        try:
            reporting.schedule_save(obj, queues=list(form.cleaned_data["queues"]))
        except ValidationError as exc:
            form_errors_from(form, exc)
            return self._render(request, form, schedule if schedule and schedule.pk else None)
        when = timezone.localtime(obj.next_run_at, obj.tz())
        messages.success(request, f"Schedule “{obj.name}” saved; next run "
                                  f"{when:%a %d %b %Y %H:%M} ({obj.time_zone}).")
        return redirect("stakeholders:schedule-list")


class ScheduleCreateView(ManagerRequiredMixin, _ScheduleFormView):
    def get(self, request):
        initial = {"time_zone": selectors.centre_time_zone(), "formats": ["pdf"]}
        if request.GET.get("stakeholder"):
            initial["stakeholder"] = request.GET["stakeholder"]
        return self._render(request, ReportScheduleForm(
            initial=initial, stakeholders=selectors.stakeholder_list(request.user)))

    def post(self, request):
        form = ReportScheduleForm(request.POST,
                                  stakeholders=selectors.stakeholder_list(request.user))
        return self._save(request, form, None)


class ScheduleUpdateView(ManagerRequiredMixin, _ScheduleFormView):
    def get(self, request, pk):
        schedule = reporting.schedule_get(request.user, pk)
        return self._render(request, ReportScheduleForm(
            instance=schedule, stakeholders=selectors.stakeholder_list(request.user)), schedule)

    def post(self, request, pk):
        schedule = reporting.schedule_get(request.user, pk)
        form = ReportScheduleForm(request.POST, instance=schedule,
                                  stakeholders=selectors.stakeholder_list(request.user))
        return self._save(request, form, schedule)


class ScheduleDeleteView(ManagerRequiredMixin, View):
    def post(self, request, pk):
        schedule = reporting.schedule_get(request.user, pk)
        name = schedule.name
        schedule.delete()
        messages.success(request, f"Schedule “{name}” deleted; its sent reports stay in the "
                                  "archive.")
        return redirect("stakeholders:schedule-list")


class ScheduleSendNowView(ManagerRequiredMixin, View):
    """GET: what would be sent to whom, and a button to confirm. POST with ``confirm=yes``:
    send. A POST without it (an old form, a double click elsewhere) only asks again."""

    def get(self, request, pk):
        schedule = reporting.schedule_get(request.user, pk)
        return render(request, "stakeholders/send_confirm.html",
                      {"schedule": schedule, **reporting.send_now_plan(schedule)})

    def post(self, request, pk):
        schedule = reporting.schedule_get(request.user, pk)
        if request.POST.get("confirm") != "yes":
            return redirect("stakeholders:schedule-send-now", pk=schedule.pk)
        run = reporting.send_now(schedule)
        if run.status == RunStatus.SENT:
            messages.success(request, f"Sent to {', '.join(run.recipients)}.")
        else:
            messages.error(request, f"Not sent yet: {run.error}. It is retried automatically.")
        return redirect("stakeholders:run-detail", pk=run.pk)


class SchedulePreviewView(StaffRequiredMixin, View):
    def post(self, request, pk):
        schedule = reporting.schedule_get(request.user, pk)
        run = reporting.preview(schedule)
        return redirect("stakeholders:run-detail", pk=run.pk)


class RunListView(PageMixin, View):
    def get(self, request):
        runs = reporting.run_list(request.user)
        status = request.GET.get("status", "")
        if status in RunStatus.values:
            runs = runs.filter(status=status)
        return render(request, "stakeholders/run_list.html", {
            "runs": runs[:PAGE_SIZE], "status": status, "statuses": RunStatus.choices,
            "can_edit": is_manager(request.user)})


class RunDetailView(PageMixin, View):
    def get(self, request, pk):
        run = reporting.run_get(request.user, pk)
        return render(request, "stakeholders/run_detail.html", {
            "run": run, "can_edit": is_manager(request.user),
            "has_pdf": bool(run.pdf)})


@method_decorator(xframe_options_sameorigin, name="dispatch")
class RunHtmlView(PageMixin, View):
    """The stored report HTML (images inline) for the archive's frame."""

    def get(self, request, pk):
        run = reporting.run_get(request.user, pk)
        if not run.html:
            return HttpResponse("<p style='font-family:sans-serif'>This run has no rendered "
                                "report (it failed before rendering).</p>")
        response = HttpResponse(run.html)
        response["Content-Security-Policy"] = "default-src 'none'; img-src data:; " \
                                              "style-src 'unsafe-inline'"
        return response


class RunPdfView(PageMixin, View):
    def get(self, request, pk):
        run = reporting.run_get(request.user, pk)
        if not run.pdf:
            messages.error(request, "This run has no PDF.")
            return redirect(reverse("stakeholders:run-detail", args=[pk]))
        response = HttpResponse(bytes(run.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="report-{run.pk}.pdf"'
        return response


class RunRetryView(ManagerRequiredMixin, View):
    """Send a failed run again (a new try; the count of attempts goes on)."""

    def post(self, request, pk):
        run = reporting.run_get(request.user, pk)
        status = reporting.retry_failed(run)
        if status == RunStatus.SENT:
            messages.success(request, "Sent.")
        else:
            messages.error(request, "Still not sent; see the error below.")
        return redirect("stakeholders:run-detail", pk=pk)


