"""Browser forms for pathways, steps and transitions (validated by the model rules)."""
from django import forms

from contactmis.params import BoundedDateField

from .constants import MeasurementMethod
from .models import Pathway, Step, Transition


class DateInput(forms.DateInput):
    input_type = "date"


class PathwayForm(forms.ModelForm):
    class Meta:
        model = Pathway
        fields = ["name", "channel", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class StepForm(forms.ModelForm):
    measurement_methods = forms.MultipleChoiceField(
        choices=MeasurementMethod.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="How this step is measured in its system of record.")

    class Meta:
        model = Step
        fields = ["name", "kind", "is_entry", "queue", "system_of_record", "measurement_methods",
                  "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = self.fields["queue"].queryset.filter(
            centre=self.instance.pathway.centre)
        self.fields["queue"].label = "Routing point in the data"
        self.fields["position"].help_text = "Order in lists (the diagram lays steps out itself)."
        self.fields["position"].required = False
        self.fields["is_entry"].label = "Entry step"
        if not self.instance.pk:
            self.initial["position"] = None
            self.fields["position"].help_text += " Empty = after the last step."


class TransitionForm(forms.ModelForm):
    """Source and target list this pathway's steps; the model rule still refuses a step of another
    pathway (a crafted request, or the API) with a message naming the field."""

    class Meta:
        model = Transition
        fields = ["source", "target", "kind", "label"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pathway = self.instance.pathway
        choices = [("", "---------")] + [(s.pk, s.name) for s in pathway.steps.all()]
        for name in ("source", "target"):
            self.fields[name].queryset = Step.objects.filter(pathway__centre=pathway.centre)
            self.fields[name].widget.choices = choices
        self.fields["label"].help_text = ("Menu option (“1 – Billing”), overflow rule, transfer "
                                          "or escalation reason.")


class ObservedPeriodForm(forms.Form):
    """The period of observed volumes on the pathway map (centre-local dates, inclusive)."""

    start = BoundedDateField(required=False, widget=DateInput(), label="From")
    end = BoundedDateField(required=False, widget=DateInput(), label="To")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end is before the start.")
        return data
