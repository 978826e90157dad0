"""Forms for measurement design. Validation is the model rules' (``full_clean`` via ModelForm);
these forms only shape input (date pickers, choice lists, threshold fields)."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from contactmis.params import BoundedDateField
from pathways.models import Queue, Step

from ..constants import WAIT_BUCKETS_S
from ..models import (
    BudgetLine,
    BusinessPlan,
    Kpi,
    MeasurementConfig,
    MetricDefinition,
    Objective,
    PlannedVolume,
    Target,
)
from ..models.catalogue import validate_wait_thresholds

BUCKETS_HELP = "Seconds; one of the kept wait thresholds: " + ", ".join(
    str(b) for b in WAIT_BUCKETS_S) + "."


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _dates(*names):
    return dict.fromkeys(names, DateInput())


class PlanForm(forms.ModelForm):
    class Meta:
        model = BusinessPlan
        fields = ["name", "period_start", "period_end", "currency", "summary", "standards",
                  "guidelines"]
        widgets = {**_dates("period_start", "period_end"),
                   **{f: forms.Textarea(attrs={"rows": 3})
                      for f in ("summary", "standards", "guidelines")}}


class ObjectiveForm(forms.ModelForm):
    class Meta:
        model = Objective
        fields = ["title", "desired_outcome", "action_plan", "position"]
        widgets = {"desired_outcome": forms.Textarea(attrs={"rows": 3}),
                   "action_plan": forms.Textarea(attrs={"rows": 3})}


def metric_code_choices():
    seen = {}
    for code, name, variant in MetricDefinition.objects.order_by(
            "code", "-is_default_variant", "variant").values_list("code", "name", "variant"):
        seen.setdefault(code, name if not variant else name.split(" (")[0])
    return [("", "— choose a metric —")] + sorted(((c, f"{n} ({c})") for c, n in seen.items()),
                                                    key=lambda t: t[1])


def metric_variant_choices():
    rows = MetricDefinition.objects.exclude(variant="").order_by("code", "variant") \
        .values_list("code", "variant", "name").distinct()
    return [("", "Default variant")] + [(v, f"{c}: {v} — {n}") for c, v, n in rows]


class KpiForm(forms.ModelForm):
    class Meta:
        model = Kpi
        fields = ["metric_code", "metric_variant", "name", "rationale"]
        widgets = {"rationale": forms.Textarea(attrs={"rows": 2})}
        labels = {"metric_code": "Metric", "metric_variant": "Variant"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric_code"].widget = forms.Select(choices=metric_code_choices())
        self.fields["metric_variant"].widget = forms.Select(choices=metric_variant_choices())


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = ["period_start", "period_end", "value", "queue", "channel", "customer_segment"]
        widgets = _dates("period_start", "period_end")
        labels = {"queue": "Queue (empty = all)", "channel": "Channel (empty = all)",
                  "customer_segment": "Customer segment (empty = all)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kpi = self.instance.kpi
        self.fields["queue"].queryset = Queue.objects.filter(centre=kpi.objective.plan.centre)
        definition = kpi.definitions().in_force(kpi.objective.plan.period_start).first()
        if definition is not None:
            self.fields["value"].help_text = f"Valid range {definition.range_text()}."


class BudgetLineForm(forms.ModelForm):
    class Meta:
        model = BudgetLine
        fields = ["category", "description", "period_start", "period_end", "channel", "amount",
                  "kpi"]
        widgets = _dates("period_start", "period_end")
        labels = {"kpi": "Tracked by KPI"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = Kpi.objects.filter(objective__plan=self.instance.plan)
        self.fields["amount"].help_text = f"In {self.instance.plan.currency}, not negative."


class PlannedVolumeForm(forms.ModelForm):
    class Meta:
        model = PlannedVolume
        fields = ["period_start", "period_end", "channel", "contacts"]
        widgets = _dates("period_start", "period_end")


class MetricDefinitionForm(forms.ModelForm):
    components = forms.CharField(
        required=False, help_text="IntervalStat fields the formula sums, comma-separated; "
        "{T}/{S} stand for the threshold / short-abandon parameters.")
    parameters = forms.JSONField(required=False, initial=dict,
                                 help_text='e.g. {"threshold_s": 20, "short_abandon_s": 5}. '
                                 + BUCKETS_HELP)

    class Meta:
        model = MetricDefinition
        fields = ["code", "variant", "is_default_variant", "name", "description", "formula",
                  "components", "unit", "valid_min", "valid_max", "higher_is_better",
                  "parameters", "effective_from", "effective_to", "change_note"]
        widgets = {**_dates("effective_from", "effective_to"),
                   "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["components"] = ", ".join(self.instance.components or [])

    def clean_components(self):
        return [c.strip() for c in self.cleaned_data["components"].split(",") if c.strip()]

    def clean_parameters(self):
        params = self.cleaned_data["parameters"] or {}
        validate_wait_thresholds(params, field="parameters")
        return params


class _ThresholdFields(forms.Form):
    threshold_s = forms.IntegerField(required=False, label="Service-level threshold (s)",
                                     help_text=BUCKETS_HELP)
    short_abandon_s = forms.IntegerField(required=False, label="Short-abandon threshold (s)",
                                         help_text=BUCKETS_HELP)

    def thresholds(self):
        return {k: self.cleaned_data[k] for k in ("threshold_s", "short_abandon_s")
                if self.cleaned_data.get(k) is not None}

    def clean_threshold_s(self):
        return self._bucket("threshold_s")

    def clean_short_abandon_s(self):
        return self._bucket("short_abandon_s")

    def _bucket(self, name):
        value = self.cleaned_data.get(name)
        if value is not None:
            try:
                validate_wait_thresholds({name: value}, field=name)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict[name]) from exc
        return value


class NewVersionForm(_ThresholdFields):
    """Start a new version of a definition from a date (for example a new threshold)."""

    effective_from = BoundedDateField(widget=DateInput(), label="In force from",
                                     help_text="The current version ends the day before.")
    change_note = forms.CharField(max_length=300, required=False, label="Why the change")
    field_order = ["effective_from", "threshold_s", "short_abandon_s", "change_note"]

    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        params = definition.parameters or {}
        for name in ("threshold_s", "short_abandon_s"):
            if name in params:
                self.fields[name].initial = params[name]
            else:
                del self.fields[name]

    def changes(self, definition):
        params = {**(definition.parameters or {}), **self.thresholds()}
        return {"parameters": params, "change_note": self.cleaned_data["change_note"]}


class MeasurementConfigForm(forms.ModelForm):
    threshold_s = _ThresholdFields.base_fields["threshold_s"]
    short_abandon_s = _ThresholdFields.base_fields["short_abandon_s"]

    class Meta:
        model = MeasurementConfig
        fields = ["step", "metric", "source", "method", "threshold_s", "short_abandon_s", "kpi",
                  "target", "notes", "active"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
        labels = {"metric": "Metric (version)", "source": "Data source (system)",
                  "kpi": "Evidences KPI"}

    clean_threshold_s = _ThresholdFields.clean_threshold_s
    clean_short_abandon_s = _ThresholdFields.clean_short_abandon_s
    _bucket = _ThresholdFields._bucket

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].queryset = Step.objects.filter(pathway__centre=centre) \
            .select_related("pathway")
        self.fields["step"].label_from_instance = lambda s: f"{s.pathway.name} › {s.name}"
        self.fields["metric"].queryset = MetricDefinition.objects.exclude(
            effective_to__lt=timezone.localdate()).order_by("code", "-is_default_variant",
                                                            "variant", "version")
        self.fields["metric"].label_from_instance = lambda d: (
            f"{d.name} — {d.code}{'/' + d.variant if d.variant else ''} v{d.version}")
        self.fields["source"].queryset = self.fields["source"].queryset.filter(centre=centre)
        self.fields["kpi"].queryset = Kpi.objects.filter(objective__plan__centre=centre) \
            .select_related("objective__plan")
        self.fields["kpi"].label_from_instance = lambda k: f"{k.objective.plan} › {k}"
        self.fields["target"].queryset = Target.objects.filter(
            kpi__objective__plan__centre=centre).select_related("kpi")
        params = self.instance.parameters or {}
        for name in ("threshold_s", "short_abandon_s"):
            self.fields[name].initial = params.get(name)
            self.fields[name].help_text = ("Overrides the definition's value; empty = keep it. "
                                           + BUCKETS_HELP)

    def _post_clean(self):
        params = dict(self.instance.parameters or {})
        for name in ("threshold_s", "short_abandon_s"):
            value = self.cleaned_data.get(name)
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        self.instance.parameters = params
        super()._post_clean()

    def service_fields(self):
        data = {k: v for k, v in self.cleaned_data.items()
                if k not in ("threshold_s", "short_abandon_s")}
        data["parameters"] = self.instance.parameters
        return data
