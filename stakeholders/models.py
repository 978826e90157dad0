"""Stakeholder models: the register (who receives information, what each may see) and the
dashboards tailored to each."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from contactmis.params import date_in_range
from pathways.constants import Channel
from pathways.models import Pathway, Queue

from .constants import Breakdown, Cadence, Granularity, Period, StakeholderKind, WidgetKind


def _clean_text_list(values, field, validator=None, choices=None):
    """Strip, drop blanks and duplicates; raise naming the field and the bad value."""
    if not isinstance(values, list):
        raise ValidationError({field: "Give a list of values."})
    cleaned = []
    for value in values:
        value = str(value).strip()
        if not value or value in cleaned:
            continue
        if choices is not None and value not in choices:
            raise ValidationError(
                {field: f"“{value}” is not one of: {', '.join(sorted(choices))}."})
        if validator is not None:
            try:
                validator(value)
            except ValidationError as exc:
                raise ValidationError({field: f"“{value}” is not a valid e-mail address."}) from exc
        cleaned.append(value)
    return cleaned


class StakeholderQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Managers and analysts see the whole register; a viewer only its own stakeholder."""
        from contactmis.roles import can_read_all

        if can_read_all(user):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(members__user=user)


class Stakeholder(models.Model):
    """A person or group that receives contact-centre information: its information needs,
    preferred granularity and cadence, e-mail contacts, the users who log in as it, and its data
    scope.

    Scope: with ``sees_whole_centre`` it sees everything; otherwise each of ``queues``,
    ``pathways``, ``channels``, ``sites`` and ``segments`` that is filled restricts what it sees
    (an empty one does not restrict), and a stakeholder with none filled sees nothing.
    """

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField("type", max_length=16, choices=StakeholderKind.choices)
    information_needs = models.TextField(
        blank=True, help_text="What this stakeholder needs to know, and why.")
    granularity = models.CharField(
        "preferred granularity", max_length=8, choices=Granularity.choices,
        default=Granularity.DAY)
    cadence = models.CharField(
        "preferred cadence", max_length=12, choices=Cadence.choices, default=Cadence.WEEKLY)
    emails = models.JSONField(
        "contact e-mail addresses", default=list, blank=True,
        help_text="Who receives its reports.")
    sees_whole_centre = models.BooleanField(
        default=False, help_text="Sees every queue, channel, site, pathway and segment.")
    queues = models.ManyToManyField(Queue, blank=True, related_name="stakeholders")
    pathways = models.ManyToManyField(Pathway, blank=True, related_name="stakeholders")
    channels = models.JSONField(default=list, blank=True)
    sites = models.JSONField(default=list, blank=True)
    segments = models.JSONField("customer segments", default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StakeholderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        self.emails = _clean_text_list(self.emails, "emails", validator=validate_email)
        self.channels = _clean_text_list(self.channels, "channels",
                                         choices=set(Channel.values))
        self.sites = _clean_text_list(self.sites, "sites")
        self.segments = _clean_text_list(self.segments, "segments")


class StakeholderMember(models.Model):
    """A login that signs in as a stakeholder. A user belongs to at most one stakeholder."""

    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="stakeholder_membership")

    class Meta:
        ordering = ["stakeholder", "user"]

    def __str__(self):
        return f"{self.user} → {self.stakeholder}"


class DashboardQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Dashboards of the stakeholders ``user`` may see (a viewer: its own only)."""
        return self.filter(stakeholder__in=Stakeholder.objects.visible_to(user))


class Dashboard(models.Model):
    """A stakeholder's dashboard: an ordered set of widgets. ``is_default`` marks the one its
    users land on."""

    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE,
                                    related_name="dashboards")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DashboardQuerySet.as_manager()

    class Meta:
        ordering = ["stakeholder", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["stakeholder", "name"],
                                    name="dashboard_unique_name"),
        ]

    def __str__(self):
        return f"{self.stakeholder}: {self.name}"


class WidgetQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(dashboard__in=Dashboard.objects.visible_to(user))


class Widget(models.Model):
    """One figure on a dashboard, bound to metrics (keys of
    ``stakeholders.constants.WIDGET_METRICS``), a granularity and a period; the data scope is
    the dashboard's stakeholder's.

    ``options`` holds kind-specific settings: ``target`` (in the metric's unit: 0..1 for ratios,
    seconds for times), ``sl_threshold_s``, ``short_abandon_s`` and ``sl_variant`` — each an
    explicit override of the business plan's target, each queue's configured threshold and the
    catalogue's definition (absent: those apply; ``reports.semantics``) — ``amber_margin`` (same
    unit as the target), ``breakdown`` (see ``Breakdown``), ``channels`` and ``shrinkage``
    (0..1, for staffing). Cost per contact takes its cost from the business plan's budget, never
    from an option.
    """

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    kind = models.CharField(max_length=16, choices=WidgetKind.choices)
    title = models.CharField(max_length=200)
    metrics = models.JSONField(default=list)
    granularity = models.CharField(max_length=8, choices=Granularity.choices,
                                   default=Granularity.DAY)
    period = models.CharField(max_length=20, choices=Period.choices, default=Period.LAST_7_DAYS)
    custom_start = models.DateField(null=True, blank=True, help_text="First day (custom period).")
    custom_end = models.DateField(null=True, blank=True, help_text="Last day (custom period).")
    breakdown = models.CharField(max_length=20, choices=Breakdown.choices, blank=True)
    options = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    wide = models.BooleanField(default=False, help_text="Spans the full dashboard width.")

    objects = WidgetQuerySet.as_manager()

    class Meta:
        ordering = ["dashboard", "position", "pk"]

    def __str__(self):
        return self.title

    def clean(self):
        from .constants import WIDGET_METRICS

        errors = {}
        if not isinstance(self.metrics, list) or not self.metrics:
            errors["metrics"] = "Choose at least one metric."
        else:
            unknown = [m for m in self.metrics if m not in WIDGET_METRICS]
            if unknown:
                errors["metrics"] = (f"Unknown metric {', '.join(map(str, unknown))}; choose from "
                                     f"{', '.join(WIDGET_METRICS)}.")
        for name in ("custom_start", "custom_end"):
            try:
                date_in_range(getattr(self, name), "day")
            except ValidationError as exc:
                errors[name] = exc.messages[0]
        if self.period == Period.CUSTOM and not errors.keys() & {"custom_start", "custom_end"}:
            if not self.custom_start or not self.custom_end:
                errors["custom_start"] = "A custom period needs a first and a last day."
            elif self.custom_end < self.custom_start:
                errors["custom_end"] = "The last day is before the first day."
        if not isinstance(self.options, dict):
            errors["options"] = "Options must be an object of name: value."
        if errors:
            raise ValidationError(errors)


# --- scheduled reports (issue 8) ---------------------------------------------------------------

class ReportTemplate(models.TextChoices):
    """What a report covers; see ``reports.reporting.content`` for the sections of each."""

    DAILY = "daily", "Daily (short term: yesterday by interval)"
    WEEKLY = "weekly", "Weekly (short term: last week day by day)"
    MONTHLY = "monthly", "Monthly (long term)"
    QUARTERLY = "quarterly", "Quarterly (long term)"
    ANNUAL = "annual", "Annual (long term)"


class ScheduleCadence(models.TextChoices):
    DAILY = "daily", "Daily at a time"
    WEEKLY = "weekly", "Weekly on a day"
    MONTHLY = "monthly", "Monthly on a day"
    QUARTERLY = "quarterly", "Quarterly (Jan, Apr, Jul, Oct) on a day"
    ANNUALLY = "annually", "Annually (January) on a day"


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF attachment"
    CSV = "csv", "CSV of the figures"
    XLSX = "xlsx", "XLSX of the figures"


class ReportSchedule(models.Model):
    """When a stakeholder receives a report of a template, to whom, in which scope and formats.

    ``time_of_day`` is wall-clock time in ``time_zone``; ``next_run_at`` (UTC) is the next instant
    it is due, computed DST-safely by ``stakeholders.schedules.next_run_at``; the delivery service
    claims a due schedule by moving ``next_run_at`` forward with a conditional update. ``queues``
    narrows the report to some of the stakeholder's queues (empty: its whole scope).
    ``sections`` lists the section keys to include (empty: all of the template's).
    """

    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE,
                                    related_name="report_schedules")
    name = models.CharField(max_length=200)
    template = models.CharField(max_length=12, choices=ReportTemplate.choices)
    cadence = models.CharField(max_length=12, choices=ScheduleCadence.choices)
    time_of_day = models.TimeField(default="07:00")
    weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0 = Monday … 6 = Sunday (weekly).")
    day_of_month = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1–31 (monthly, quarterly, annually); the last day of a "
                                         "shorter month is used.")
    time_zone = models.CharField(max_length=64, default="UTC")
    send_to_contacts = models.BooleanField(
        default=True, help_text="Send to the stakeholder's contact addresses.")
    extra_recipients = models.JSONField(default=list, blank=True)
    queues = models.ManyToManyField(Queue, blank=True, related_name="report_schedules")
    formats = models.JSONField(default=list, blank=True)
    sections = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stakeholder__name", "name"]

    def __str__(self):
        return f"{self.stakeholder}: {self.name}"

    def tz(self):
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.time_zone)

    def recipients(self) -> list[str]:
        out = list(self.stakeholder.emails) if self.send_to_contacts else []
        return list(dict.fromkeys([*out, *self.extra_recipients]))


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Waiting to retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    PREVIEW = "preview", "Preview (not sent)"


class ReportRun(models.Model):
    """One report as built and (to be) sent: the period, recipients, status, attempts, the
    rendered HTML, text and PDF, and the last error. Kept for the archive.

    A scheduled run is unique per schedule and period, so a period is never sent twice even if
    two senders claim the same schedule. ``next_attempt_at`` (UTC) is when a failed delivery is
    tried again (backoff); ``attempts`` counts delivery tries.
    """

    schedule = models.ForeignKey(ReportSchedule, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="runs")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE,
                                    related_name="report_runs")
    template = models.CharField(max_length=12, choices=ReportTemplate.choices)
    trigger = models.CharField(max_length=12, choices=[("schedule", "Schedule"),
                                                       ("manual", "Send now"),
                                                       ("preview", "Preview")])
    title = models.CharField(max_length=300, blank=True)
    period_label = models.CharField(max_length=200, blank=True)
    period_first_day = models.DateField()
    period_last_day = models.DateField()
    period_start = models.DateTimeField(help_text="Start of the period (UTC instant).")
    period_end = models.DateTimeField(help_text="End of the period, exclusive (UTC instant).")
    time_zone = models.CharField(max_length=64, default="UTC")
    recipients = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices,
                              default=RunStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    pdf = models.BinaryField(blank=True, null=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "period_first_day", "period_last_day"],
                condition=models.Q(trigger="schedule"), name="reportrun_once_per_period"),
        ]

    def __str__(self):
        return f"{self.title or self.get_template_display()} ({self.period_label})"
