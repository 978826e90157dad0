"""Filter forms of the analysis pages (GET forms: each bad field is named on the page)."""
import datetime as dt

from django import forms
from django.utils import timezone

from contactmis.params import BoundedDateField
from measurements.constants import WAIT_BUCKETS_S, wait_bucket_label
from pathways.constants import Channel, QueueKind
from pathways.models import Queue

from .analysis.kpis import SL_VARIANTS
from .models import ForecastMethod
from .periods import PRESETS, centre_today, resolve_period
from .selectors import ALL_DIMENSIONS, GRANULARITIES

GRANULARITY_LABELS = {"15min": "15 minutes", "30min": "30 minutes"}
GRANULARITY_CHOICES = [(g, GRANULARITY_LABELS.get(g, g)) for g in GRANULARITIES]
DIMENSION_CHOICES = [(d, d.replace("_", " ")) for d in ALL_DIMENSIONS]
VARIANT_CHOICES = [(k, v) for k, v in SL_VARIANTS.items()]
THRESHOLD_CHOICES = [("", "Each queue’s configured threshold")] + [
    (b, wait_bucket_label(b)) for b in WAIT_BUCKETS_S]
MAX_DAYS = 3 * 366


def DateInput():  # noqa: N802 (reads like the widget class it builds)
    """A browser date picker that shows ISO dates whatever the locale."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


PRESET_CHOICES = [("", "Dates below"), *PRESETS.items()]


class PeriodForm(forms.Form):
    """A period [start, end) in the centre's local dates: a preset ("Period": today, last
    week, …, resolved at the centre's business day at ``now`` by :mod:`reports.periods`) or
    the dates typed. ``today`` is the centre's business date (``centre_today``)."""

    preset = forms.ChoiceField(choices=PRESET_CHOICES, required=False, label="Period",
                               help_text="A period counted from the centre's business day; "
                                         "“Dates below” uses the two dates.")
    start = BoundedDateField(widget=DateInput(), required=False,
                            help_text="First day (centre's local time).")
    end = BoundedDateField(widget=DateInput(), required=False,
                          help_text="Day after the last day (exclusive).")

    def __init__(self, data=None, *args, default_days=28, centre=None, now=None, **kwargs):
        if data is not None and not any(k in data for k in ("start", "end", "preset")):
            data = None
        self.centre, self.now = centre, now or timezone.now()
        today = centre_today(centre, self.now)
        initial = {"start": today - dt.timedelta(days=default_days), "end": today}
        super().__init__(data, *args, initial=initial, **kwargs)

    def resolved_preset(self, key):
        """``key``'s period at the centre's business day, as ``(start, end)`` local dates."""
        centre = self.centre
        period = resolve_period(key, self.now, centre.time_zone if centre else "UTC",
                                day_start=(centre.day_starts_at if centre else None)
                                or dt.time(0))
        return period.first_day, period.last_day + dt.timedelta(days=1)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("preset"):
            cleaned["start"], cleaned["end"] = self.resolved_preset(cleaned["preset"])
            return cleaned
        for name in ("start", "end"):
            if name not in self.errors and cleaned.get(name) is None:
                self.add_error(name, "Give a date, or choose a period.")
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end <= start:
                self.add_error("end", "The end date must be after the start date.")
            elif (end - start).days > MAX_DAYS:
                self.add_error("end", f"A period may be at most {MAX_DAYS} days long.")
        return cleaned

    def period(self):
        """(start, end) from valid data, else the initial period."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return self.initial["start"], self.initial["end"]


class KpiFilterForm(PeriodForm):
    DEFAULT_BY = ["channel"]
    granularity = forms.ChoiceField(choices=GRANULARITY_CHOICES, initial="day", required=False)
    by = forms.MultipleChoiceField(choices=DIMENSION_CHOICES, required=False,
                                   widget=forms.SelectMultiple(attrs={"size": 4}),
                                   help_text="Segment by (Ctrl-click for several; none = the "
                                             "whole scope, each contact judged at its own "
                                             "queue's threshold).")
    sl_threshold = forms.TypedChoiceField(choices=THRESHOLD_CHOICES, coerce=int, required=False,
                                          empty_value=None, label="SL threshold",
                                          help_text="Empty: each queue's configured threshold.")

    sl_variant = forms.ChoiceField(choices=[("", "From the metric catalogue"), *VARIANT_CHOICES],
                                   required=False, label="SL variant")
    # The longest period each fine granularity is drawn for: 31 days of 15-minute periods is
    # 2,976 points per line; 13 months would be a page of many megabytes no one can read.
    MAX_DAYS_BY_GRANULARITY = {"15min": 31, "30min": 62, "hour": 92}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("by", self.DEFAULT_BY)
        if self.is_bound and not self.data.get("granularity"):
            # A link with a period but no granularity is computed by day; the select says so
            # (a bound form would otherwise show its first choice, 15 minutes).
            self.data = self.data.copy()
            self.data["granularity"] = "day"

    def clean(self):
        cleaned = super().clean()
        start, end, granularity = (cleaned.get("start"), cleaned.get("end"),
                                   cleaned.get("granularity"))
        longest = self.MAX_DAYS_BY_GRANULARITY.get(granularity)
        if start and end and longest and (end - start).days > longest:
            self.add_error("granularity", (
                f"Periods of {dict(GRANULARITY_CHOICES)[granularity]} are shown for up to "
                f"{longest} days at a time (this period has {(end - start).days} days); choose a "
                "shorter period or a coarser granularity (the KPI API gives any span)."))
        return cleaned


class QueueChoiceForm(PeriodForm):
    """A period and which queue (or every queue of one channel) the analysis is about: the
    first voice queue in scope when neither is chosen — never several channels pooled."""

    queue = forms.ModelChoiceField(queryset=Queue.objects.none(), required=False,
                                   empty_label="First voice queue in scope",
                                   help_text="One queue, at its own threshold and target.")
    channel = forms.ChoiceField(choices=[("", "—"), *Channel.choices], required=False,
                                help_text="Or every queue of one channel, each on its own.")

    def __init__(self, data=None, *args, scope=None, centre=None, default_days=28, **kwargs):
        super().__init__(data, *args, default_days=default_days, centre=centre, **kwargs)
        qs = Queue.objects.restrict(scope).filter(centre=centre).exclude(kind=QueueKind.IVR) \
            if centre is not None else Queue.objects.none()
        self.fields["queue"].queryset = qs

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("queue") is not None and cleaned.get("channel"):
            self.add_error("channel", "Choose a queue or a channel, not both.")
        return cleaned

    def selection(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"queue": data.get("queue"), "channel": data.get("channel") or ""}


class QueueingForm(QueueChoiceForm):
    """The queueing page's choices: which calls (queue or channel; neither: every queue in
    scope), a breakdown and the population."""

    by = forms.ChoiceField(choices=[("", "No breakdown"), ("customer_segment", "Customer segment"),
                                    ("contact_type", "Contact type"), ("queue", "Queue"),
                                    ("channel", "Channel")],
                           required=False, label="Break down by")
    queued_only = forms.TypedChoiceField(
        choices=[("", "Every call that reached the queue"), ("1", "Only calls that queued")],
        coerce=bool, empty_value=False, required=False, label="Calls",
        help_text="Calls that queued waited more than 0 s; the others went straight to an "
                  "agent.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].empty_label = "Every queue in scope"

    def selection(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {**super().selection(), "by": data.get("by") or None,
                "queued_only": bool(data.get("queued_only"))}


class StaffingForm(QueueChoiceForm):
    """Staffing options. Target and threshold are empty by default: each queue is computed at
    its configured threshold and the business plan's target in force for it; a value typed
    here overrides them and is shown as chosen here."""

    target_sl = forms.FloatField(min_value=0.01, max_value=0.999, required=False,
                                 label="Target service level (0–1)",
                                 help_text="Empty: the business plan's target for the queue.")
    threshold_s = forms.TypedChoiceField(choices=[("", "Each queue’s configured threshold")]
                                         + [(b, wait_bucket_label(b)) for b in WAIT_BUCKETS_S],
                                         coerce=int, required=False, empty_value=None,
                                         label="Answer within")
    shrinkage = forms.FloatField(min_value=0, max_value=0.95, initial=0.3, required=False,
                                 label="Shrinkage (0–0.95)")
    max_occupancy = forms.FloatField(min_value=0.1, max_value=1, required=False,
                                     label="Maximum occupancy (0.1–1)")
    patience = forms.ChoiceField(choices=[("none", "Erlang C (no abandonment)"),
                                          ("estimate", "Erlang A, patience from the data")],
                                 initial="none", required=False, label="Model")

    # Planning assumptions with a value when none is typed; targets and thresholds have none.
    DEFAULTS = {"target_sl": None, "threshold_s": None, "shrinkage": 0.3,
                "max_occupancy": None, "patience": "none"}

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and any(k in data for k in ("start", "end", "preset")):
            data = data.copy()
            for name, value in self.DEFAULTS.items():
                if value is not None and name not in data:
                    data[name] = value  # a field not submitted shows (and uses) its default
        super().__init__(data, *args, default_days=1, **kwargs)
        for name, field in self.fields.items():
            if name not in self.initial and field.initial is not None:
                self.initial[name] = field.initial

    def options(self):
        """Staffing options and the queue selection from valid data; an empty target or
        threshold stays None (the plan's and the configuration's apply)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {**{k: data[k] if data.get(k) not in (None, "") else default
                   for k, default in self.DEFAULTS.items()}, **self.selection()}


class ForecastIssueForm(forms.Form):
    history_start = BoundedDateField(widget=DateInput())
    history_end = BoundedDateField(widget=DateInput(),
                                  help_text="Exclusive; the forecast starts here.")
    horizon_days = forms.IntegerField(min_value=1, max_value=56, initial=7)
    method = forms.ChoiceField(
        choices=[("best", "Best by back-test"), *ForecastMethod.choices], initial="best",
        help_text="Best by back-test: every method forecasts the same held-out weeks and the one "
                  "with the lowest daily WAPE is issued.")
    holdout_weeks = forms.IntegerField(min_value=1, max_value=8, initial=4, required=False,
                                       label="Held-out weeks",
                                       help_text="The last weeks of the history each method "
                                                 "forecasts without seeing them (empty: 4).")
    queue = forms.ModelChoiceField(queryset=Queue.objects.none(), required=False,
                                   empty_label="All queues in scope")

    def __init__(self, *args, scope=None, centre=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Queue.objects.restrict(scope)
        self.fields["queue"].queryset = qs.filter(centre=centre) if centre else qs.none()
        today = centre_today(centre, timezone.now())
        self.initial.setdefault("history_start", today - dt.timedelta(weeks=13))
        self.initial.setdefault("history_end", today)

    def clean(self):
        cleaned = super().clean()
        s, e = cleaned.get("history_start"), cleaned.get("history_end")
        if s and e and (e - s).days < 14:
            self.add_error("history_start", "Give at least 14 days of history.")
        return cleaned
