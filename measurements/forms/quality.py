"""Forms of measurement tests and of the monitor's alert thresholds."""
from django import forms
from django.conf import settings

from ..models import ClosedDay, DataSource, MeasurementConfig, MeasurementTest, MonitorSettings
from ..services.testing import expected_text

SCRIPT_HELP = ("One contact per line: arrival time, then what happened, separated by “;”. "
               "Example: 09:00:05 IVR 20s option 2; queue Billing 35s; answered by ann; "
               "talk 180s; transfer Billing. Also: abandoned, flowed out, self-service, hang up, "
               "hold 10s, wrap 30s, escalate, type …, segment …, channel chat. "
               "Start with “date YYYY-MM-DD” (default: today).")


class MeasurementTestForm(forms.ModelForm):
    expected_figures = forms.CharField(
        required=False, label="Expected figures", widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line, “figure = value”: the measured metric's code (e.g. "
                  "service_level = 80), another metric code (asa, aht …) or an interval "
                  "component (offered, answered, abandoned, answered_le_20s …).")

    class Meta:
        model = MeasurementTest
        fields = ["name", "kind", "config", "pathway", "source", "source_b", "reconcile",
                  "script", "dataset", "dataset_format", "tolerance", "active"]
        labels = {"config": "Measurement", "source": "Data source",
                  "source_b": "Second data source", "reconcile": "What must reconcile",
                  "script": "Scripted test contacts", "dataset": "Known-answer data set",
                  "dataset_format": "Data set format"}
        widgets = {"script": forms.Textarea(attrs={"rows": 7, "class": "mono",
                                                   "spellcheck": "false"})}
        help_texts = {"script": SCRIPT_HELP,
                      "tolerance": "Largest difference still counted as agreement (absolute; "
                                   "for completeness: intervals allowed missing).",
                      "dataset": "Known-answer data set in any supported export format "
                                 "(instead of a script)."}

    def __init__(self, *args, centre=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["config"].queryset = MeasurementConfig.objects.filter(
            step__pathway__centre=centre).select_related("metric", "step")
        self.fields["source"].queryset = DataSource.objects.filter(centre=centre)
        self.fields["source_b"].queryset = DataSource.objects.filter(centre=centre)
        self.fields["pathway"].queryset = self.fields["pathway"].queryset.filter(centre=centre)
        self.fields["dataset_format"].widget = forms.Select(choices=_formats())
        if self.instance.pk:
            self.fields["expected_figures"].initial = expected_text(self.instance.expected)
        # Expected figures sit right under the script they belong to.
        self.order_fields(["name", "kind", "config", "pathway", "script", "expected_figures",
                           "dataset", "dataset_format", "source", "source_b", "reconcile",
                           "tolerance", "active"])


def _formats():
    from ..constants import ExportFormat

    return list(ExportFormat.choices)


class ClosedDayForm(forms.ModelForm):
    class Meta:
        model = ClosedDay
        fields = ["date", "name"]
        labels = {"date": "Closed on", "name": "Reason"}
        help_texts = {
            "date": "A day the centre does not take contacts although its weekly opening hours "
                    "say it is open: a bank holiday, a training day, a site closure. The monitor "
                    "then expects no calls, chats or e-mails handled that day and does not "
                    "compare its volume with a normal weekday.",
            "name": "Shown on the monitor, e.g. “Christmas Day” or “Site closed: fire drill”.",
        }
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}


class MonitorSettingsForm(forms.ModelForm):
    class Meta:
        model = MonitorSettings
        fields = ["stale_after_h", "missing_intervals", "volume_ratio",
                  "unassigned_share", "email"]
        labels = {"stale_after_h": "Grace after expected cadence (hours)",
                  "missing_intervals": "Missing intervals in opening hours before alerting",
                  "volume_ratio": "Volume anomaly: × usual weekday volume",
                  "unassigned_share": "Unassigned segment share (0–1)",
                  "email": "Email new alerts to managers"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = settings.CONTACTMIS_UNASSIGNED_ALERT_SHARE
        self.fields["unassigned_share"].help_text = (
            "Alert when more than this share of a month's contacts of a feed have no queue, "
            "channel, contact type, customer segment or site (reports and dashboards group by "
            f"them). Leave empty for this installation's default, {default:g}.")

    def clean_volume_ratio(self):
        value = self.cleaned_data["volume_ratio"]
        if value <= 1:
            raise forms.ValidationError("Must be above 1 (2 means twice or half the usual).")
        return value

    def clean(self):
        data = super().clean()
        for name in ("unassigned_share",):
            value = data.get(name)
            if value is not None and not 0 <= value <= 1:
                self.add_error(name, "A share between 0 and 1.")
        return data
