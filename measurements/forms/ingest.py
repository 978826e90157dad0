"""Forms for data sources, column mappings and uploads."""
import json

from django import forms

from ..constants import REJECT_ALERT_SHARE_DEFAULT, ExportFormat
from ..ingest import generic
from ..models import DataSource


class DataSourceForm(forms.ModelForm):
    class Meta:
        model = DataSource
        fields = ["name", "kind", "export_format", "time_zone", "drop_folder",
                  "expected_cadence", "reject_alert_share", "description"]
        help_texts = {
            "time_zone": "IANA zone of the naive times in its exports, e.g. Asia/Jerusalem.",
            "drop_folder": "Optional: a folder on the server watched for new files "
                           "(moved to done/ or failed/ once imported).",
            "export_format": "For “CSV/XLSX with a saved column mapping”, set up the mapping "
                             "after saving.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        share = self.fields["reject_alert_share"]
        share.required = False
        share.help_text += f" Empty: {REJECT_ALERT_SHARE_DEFAULT:g}."

    def clean_reject_alert_share(self):
        value = self.cleaned_data.get("reject_alert_share")
        if value is None:
            return self.instance.reject_alert_share if self.instance.pk else \
                REJECT_ALERT_SHARE_DEFAULT
        return value


class MappingForm(forms.Form):
    """One select per canonical field (choices = the sample file's columns) and the options."""

    datetime_format = forms.CharField(
        required=False, help_text="strptime format, e.g. %d/%m/%Y %H:%M. Empty: ISO or "
        "automatic.")
    time_zone = forms.CharField(required=False,
                                help_text="Empty: the data source's time zone.")
    duration_unit = forms.ChoiceField(choices=[("s", "seconds"), ("ms", "milliseconds"),
                                               ("min", "minutes"), ("h", "hours")])
    channel = forms.ChoiceField(choices=[(c, c) for c in sorted(generic.CHANNELS)],
                                help_text="Channel when there is no channel column.")
    queue = forms.CharField(required=False,
                            help_text="Routing point code when there is no queue column.")
    queue_kind = forms.ChoiceField(choices=[("acd", "ACD queue"), ("web", "Web / digital"),
                                            ("cms", "Case management"),
                                            ("ivr", "IVR sessions")])
    outcome_values = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text='JSON: file value → outcome, e.g. {"Resolved": "handled", "Missed": '
        '"abandoned"}. Outcomes: ' + ", ".join(sorted(generic.OUTCOMES)) + ".")

    def __init__(self, *args, columns=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "— not in the file —")] + [(c, c) for c in columns]
        self.field_names = []
        for fld in generic.FIELDS:
            name = f"col_{fld}"
            self.fields[name] = forms.ChoiceField(
                choices=choices, required=fld in generic.REQUIRED,
                label=fld.replace("_", " "))
            self.field_names.append(name)

    def column_fields(self):
        return [self[n] for n in self.field_names]

    def option_fields(self):
        return [self[n] for n in self.fields if n not in self.field_names]

    def clean_outcome_values(self):
        text = self.cleaned_data["outcome_values"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") \
                from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("Expected a JSON object {\"file value\": \"outcome\"}.")
        return value

    def mapping(self):
        data = self.cleaned_data
        mapping = {"columns": {f: data[f"col_{f}"] for f in generic.FIELDS
                               if data.get(f"col_{f}")},
                   "duration_unit": data["duration_unit"], "channel": data["channel"],
                   "queue_kind": data["queue_kind"]}
        for key in ("datetime_format", "time_zone", "queue", "outcome_values"):
            if data.get(key):
                mapping[key] = data[key]
        return mapping

    def clean(self):
        data = super().clean()
        if not self.errors:
            problems = generic.validate_mapping(self.mapping())
            for p in problems:
                self.add_error(None, p)
        return data

    @staticmethod
    def initial_from(mapping):
        initial = {f"col_{k}": v for k, v in (mapping.get("columns") or {}).items()}
        for key in ("datetime_format", "time_zone", "duration_unit", "channel", "queue",
                    "queue_kind"):
            if mapping.get(key):
                initial[key] = mapping[key]
        if mapping.get("outcome_values"):
            initial["outcome_values"] = json.dumps(mapping["outcome_values"])
        return initial


class SampleForm(forms.Form):
    sample = forms.FileField(help_text="A CSV or XLSX export of this source; its header and "
                             "first rows are shown so you can map the columns.")


class UploadForm(forms.Form):
    source = forms.ModelChoiceField(queryset=DataSource.objects.none())
    export_format = forms.ChoiceField(choices=ExportFormat.choices, initial=ExportFormat.AUTO,
                                      label="Format")

    def __init__(self, *args, centre=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = DataSource.objects.order_by("name")
        qs = qs.filter(centre=centre) if centre else qs
        self.fields["source"].queryset = qs
        only = list(qs[:2])
        if len(only) == 1:
            self.fields["source"].initial = only[0].pk
