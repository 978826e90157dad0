"""Forms of the stakeholder register and the dashboard editor. Each says what is wrong, per
field."""
import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from contactmis.params import BoundedDateField
from contactmis.roles import VIEWER
from measurements.constants import WAIT_BUCKETS_S, wait_bucket_label
from pathways.constants import Channel
from pathways.models import Pathway, Queue
from reports.analysis.kpis import SL_VARIANTS
from reports.vocabulary import METRICS

from .constants import WIDGET_METRICS, Period, WidgetKind
from .models import Dashboard, Stakeholder, Widget


def _split(text):
    return [p.strip() for p in re.split(r"[,;\n]", text or "") if p.strip()]


class StakeholderForm(forms.ModelForm):
    emails = forms.CharField(
        label="Contact e-mail addresses", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line (or separated by commas). They receive this stakeholder's reports.")
    channels = forms.MultipleChoiceField(
        choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for no restriction by channel.")
    sites = forms.CharField(required=False, help_text="Comma-separated site names, as on queues.")
    segments = forms.CharField(label="Customer segments", required=False,
                               help_text="Comma-separated customer segments, as in the data.")
    users = forms.ModelMultipleChoiceField(
        label="Users who log in as this stakeholder", required=False,
        queryset=get_user_model().objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text="Stakeholder-viewer logins. A user belongs to at most one stakeholder.")

    class Meta:
        model = Stakeholder
        fields = ["name", "kind", "information_needs", "granularity", "cadence", "emails",
                  "sees_whole_centre", "queues", "pathways", "channels", "sites", "segments"]
        widgets = {"queues": forms.CheckboxSelectMultiple,
                   "pathways": forms.CheckboxSelectMultiple,
                   "information_needs": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queues"].queryset = Queue.objects.order_by("name", "code")
        self.fields["pathways"].queryset = Pathway.objects.order_by("name")
        self.fields["queues"].help_text = "The queues it may see (empty: no restriction by queue)."
        self.fields["pathways"].help_text = "Empty: no restriction by pathway."
        self.fields["users"].queryset = (get_user_model().objects.filter(groups__name=VIEWER)
                                         .order_by("username"))
        if self.instance.pk:
            self.initial["emails"] = "\n".join(self.instance.emails)
            self.initial["sites"] = ", ".join(self.instance.sites)
            self.initial["segments"] = ", ".join(self.instance.segments)
            self.initial["users"] = [m.user_id for m in self.instance.members.all()]

    def clean_emails(self):
        emails = _split(self.cleaned_data["emails"])
        bad = []
        for e in emails:
            try:
                validate_email(e)
            except ValidationError:
                bad.append(e)
        if bad:
            raise ValidationError(f"Not a valid e-mail address: {', '.join(bad)}.")
        return emails

    def clean_sites(self):
        return _split(self.cleaned_data["sites"])

    def clean_segments(self):
        return _split(self.cleaned_data["segments"])

    def clean(self):
        data = super().clean()
        if data.get("sees_whole_centre"):
            return data
        if not any(data.get(k) for k in ("queues", "pathways", "channels", "sites", "segments")):
            raise ValidationError(
                "Give this stakeholder a data scope: tick “Sees whole centre”, or choose at least "
                "one queue, pathway, channel, site or customer segment. Without one it sees no "
                "data.")
        return data

    def clean_users(self):
        users = self.cleaned_data["users"]
        for user in users:
            membership = getattr(user, "stakeholder_membership", None)
            if membership and membership.stakeholder_id != self.instance.pk:
                raise ValidationError(f"{user} already logs in as “{membership.stakeholder}”; a "
                                      "user belongs to at most one stakeholder.")
        return users

    def service_kwargs(self):
        data = dict(self.cleaned_data)
        return data


class DashboardPeriodForm(forms.Form):
    """The period a viewer picks for a whole dashboard (kept in the URL, so a view can be
    bookmarked and shared). Empty: each widget's own period, as its author set it."""

    period = forms.ChoiceField(choices=[("", "Each widget's own period"), *Period.choices],
                               required=False, label="Period")
    start = BoundedDateField(required=False, label="From",
                             widget=forms.DateInput(attrs={"type": "date"}))
    end = BoundedDateField(required=False, label="To (inclusive)",
                           widget=forms.DateInput(attrs={"type": "date"}))
    compare = forms.ChoiceField(choices=[("", "Previous period"),
                                         ("year", "Same period last year")],
                                required=False, label="Compare with")
    MAX_DAYS = 3 * 366

    def clean(self):
        data = super().clean()
        if data.get("period") == Period.CUSTOM:
            start, end = data.get("start"), data.get("end")
            if start is None:
                self.add_error("start", "Custom dates need a first day.")
            if end is None:
                self.add_error("end", "Custom dates need a last day.")
            if start and end and end < start:
                self.add_error("end", f"The last day {end:%d %b %Y} is before the first day "
                                      f"{start:%d %b %Y}.")
            elif start and end and (end - start).days >= self.MAX_DAYS:
                self.add_error("end", f"Pick at most {self.MAX_DAYS} days.")
        return data

    def picked(self):
        """``(key, first_day, last_day)`` for :func:`stakeholders.widgets.with_period`, or None
        for each widget's own period (also while the form has errors)."""
        if not self.is_bound or not self.is_valid() or not self.cleaned_data.get("period"):
            return None
        data = self.cleaned_data
        if data["period"] == Period.CUSTOM:
            return data["period"], data["start"], data["end"]
        return data["period"], None, None

    def comparison(self) -> str:
        """``"year"`` or "" (the comparable span before), "" while the form has errors."""
        if not self.is_bound or not self.is_valid():
            return ""
        return self.cleaned_data.get("compare") or ""

    def query(self) -> str:
        """The picked period and comparison as a query string for links, or ""."""
        parts = []
        picked = self.picked()
        if picked is not None:
            key, first, last = picked
            parts.append(f"period={key}" + (f"&start={first}&end={last}" if first else ""))
        if self.comparison():
            parts.append(f"compare={self.comparison()}")
        return "&".join(parts)


class DashboardForm(forms.ModelForm):
    class Meta:
        model = Dashboard
        fields = ["name", "description", "is_default"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {"is_default": "This stakeholder's landing dashboard"}


class WidgetForm(forms.ModelForm):
    metrics = forms.MultipleChoiceField(
        choices=[(k, METRICS[k].label) for k in WIDGET_METRICS],
        widget=forms.CheckboxSelectMultiple,
        help_text="Tiles, heatmaps, control charts and forecasts use the first one chosen.")
    # Targets, thresholds and the variant come from the business plan, each queue's measurement
    # configuration and the metric catalogue (reports.semantics). A value given here overrides
    # them for this widget only, and the widget says so next to its figure.
    target = forms.FloatField(
        label="Target override", required=False,
        help_text="Empty = the business plan's target in force (none in the plan: “no "
                  "target”). A value here overrides it on this widget only, in the metric's "
                  "unit; for rates and service level a percentage (80 = 80 %).")
    amber_margin = forms.FloatField(
        required=False, help_text="How far short of target is amber rather than red (same unit; "
                                  "default 5 points or 10%).")
    sl_threshold_s = forms.TypedChoiceField(
        label="Service-level threshold override", coerce=int, required=False, empty_value=None,
        choices=[("", "— each queue's configured threshold —")]
        + [(b, wait_bucket_label(b)) for b in WAIT_BUCKETS_S],
        help_text="Empty = each queue's configured threshold (calls in seconds, e-mails in "
                  "hours). A value here judges every contact of this widget at it instead.")
    short_abandon_s = forms.TypedChoiceField(
        label="Short-abandon override", coerce=int, required=False, empty_value=None,
        choices=[("", "— the metric catalogue's —"), (0, "0 s (count every abandon)")]
        + [(b, wait_bucket_label(b)) for b in WAIT_BUCKETS_S],
        help_text="Empty = the short-abandon threshold of the definition in force.")
    sl_variant = forms.ChoiceField(
        label="Service-level variant override", required=False,
        choices=[("", "— the metric catalogue's —"), *SL_VARIANTS.items()],
        help_text="Empty = the variant of the definition in force.")
    channels = forms.MultipleChoiceField(
        choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Only these channels (none ticked: every channel the stakeholder may see). "
                  "Calls are answered in seconds and e-mails in hours: a service level or speed "
                  "of answer over both at one threshold describes neither.")
    shrinkage = forms.FloatField(required=False, min_value=0, max_value=95,
                                 help_text="Shrinkage in percent (staffing widget).")

    class Meta:
        model = Widget
        fields = ["title", "kind", "metrics", "period", "custom_start", "custom_end",
                  "granularity", "breakdown", "wide"]
        widgets = {"custom_start": forms.DateInput(attrs={"type": "date"}),
                   "custom_end": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        opts = self.instance.options or {}
        first = (self.instance.metrics or [None])[0]
        is_ratio = first in METRICS and METRICS[first].unit == "ratio"
        for name in ("target", "amber_margin"):
            if opts.get(name) is not None:
                self.initial[name] = round(opts[name] * 100, 4) if is_ratio else opts[name]
        for name in ("sl_threshold_s", "short_abandon_s", "sl_variant"):
            if opts.get(name) is not None:
                self.initial[name] = opts[name]
        if opts.get("shrinkage") is not None:
            self.initial["shrinkage"] = round(opts["shrinkage"] * 100, 4)
        if opts.get("channels"):
            self.initial["channels"] = opts["channels"]

    def clean(self):
        data = super().clean()
        metrics = data.get("metrics") or []
        kind = data.get("kind")
        first = METRICS.get(metrics[0]) if metrics else None
        if kind == WidgetKind.FORECAST and first and first.key not in ("offered", "handled"):
            self.add_error("metrics", "Forecast versus actual works for Offered or Handled.")
        if kind == WidgetKind.STAFFING and data.get("granularity") not in (None, "15min"):
            data["granularity"] = "15min"
        if data.get("period") == Period.CUSTOM:
            start, end = data.get("custom_start"), data.get("custom_end")
            if not start or not end:
                self.add_error("custom_start", "A custom period needs a first and a last day.")
            elif end < start:
                self.add_error("custom_end", "The last day is before the first day.")
        if (data.get("short_abandon_s") is not None and data.get("sl_threshold_s") is not None
                and data["short_abandon_s"] > data["sl_threshold_s"]):
            self.add_error("short_abandon_s", "The short-abandon limit cannot exceed T.")
        options = {k: v for k, v in (self.instance.options or {}).items()
                   if k in ("plan_vs_actual", "targets")}
        is_ratio = first is not None and first.unit == "ratio"
        for name in ("target", "amber_margin"):
            value = data.get(name)
            if value is not None:
                if is_ratio and not 0 <= value <= 100:
                    self.add_error(name, "Give a percentage between 0 and 100.")
                options[name] = value / 100 if is_ratio else value
        for name in ("sl_threshold_s", "short_abandon_s", "sl_variant"):
            if data.get(name) not in (None, ""):
                options[name] = data[name]
        if data.get("shrinkage") is not None:
            options["shrinkage"] = data["shrinkage"] / 100
        if data.get("channels"):
            options["channels"] = sorted(data["channels"])
        data["options"] = options
        return data

    def service_kwargs(self):
        keys = ("kind", "title", "metrics", "granularity", "period", "custom_start",
                "custom_end", "breakdown", "options", "wide")
        return {k: self.cleaned_data.get(k) for k in keys}


# --- report schedules (issue 8) -----------------------------------------------------------------

class ReportScheduleForm(forms.ModelForm):
    """A report schedule. Queues are limited to the stakeholder's scope by the service, which
    names any queue outside it; sections not part of the chosen template are named too."""

    extra_recipients = forms.CharField(
        label="Extra recipients", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Addresses besides the stakeholder's contacts; one per line or comma-separated.")
    formats = forms.MultipleChoiceField(
        label="Attachments", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="The HTML e-mail is always sent; the PDF is attached unless you untick it "
                  "and pick another format.")
    sections = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every section of the template.")

    class Meta:
        from .models import ReportSchedule

        model = ReportSchedule
        fields = ["stakeholder", "name", "template", "cadence", "time_of_day", "weekday",
                  "day_of_month", "time_zone", "send_to_contacts", "extra_recipients", "queues",
                  "formats", "sections", "active"]
        widgets = {"queues": forms.CheckboxSelectMultiple,
                   "time_of_day": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "weekday": forms.Select(choices=[("", "—"), (0, "Monday"), (1, "Tuesday"),
                                                    (2, "Wednesday"), (3, "Thursday"),
                                                    (4, "Friday"), (5, "Saturday"),
                                                    (6, "Sunday")])}

    def __init__(self, *args, stakeholders=None, **kwargs):
        from reports.reporting.content import SECTION_TITLES, SECTIONS

        from .models import ReportFormat

        super().__init__(*args, **kwargs)
        if stakeholders is not None:
            self.fields["stakeholder"].queryset = stakeholders
        self.fields["queues"].queryset = Queue.objects.order_by("name", "code")
        self.fields["queues"].help_text = ("Narrow the report to some of the stakeholder's "
                                           "queues; empty: its whole data scope.")
        self.fields["formats"].choices = ReportFormat.choices
        keys = list(dict.fromkeys(k for keys in SECTIONS.values() for k in keys))
        self.fields["sections"].choices = [
            (k, f"{SECTION_TITLES[k]} ({', '.join(t for t, v in SECTIONS.items() if k in v)})")
            for k in keys]
        self.fields["time_zone"].help_text = ("IANA time zone of the time of day, e.g. "
                                              "Europe/London. Periods are always the centre's "
                                              "local days.")
        if self.instance.pk:
            self.initial["extra_recipients"] = "\n".join(self.instance.extra_recipients)

    def clean_extra_recipients(self):
        return _split(self.cleaned_data.get("extra_recipients"))
