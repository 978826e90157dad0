"""Measurement design pages: business plans (chain, gaps, cost per contact), the metric catalogue
with its versions, measurement configurations and the coverage view per pathway. Managers edit;
analysts read."""
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from contactmis.roles import StaffRequiredMixin, is_manager
from contactmis.selectors import centre_get_or_create_default
from pathways.selectors import pathway_diagram, pathway_get
from pathways.views import ServiceDeleteView, ServiceFormView

from .. import selectors
from ..forms.design import (
    BudgetLineForm,
    KpiForm,
    MeasurementConfigForm,
    MetricDefinitionForm,
    NewVersionForm,
    ObjectiveForm,
    PlanForm,
    PlannedVolumeForm,
    TargetForm,
)
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
from ..selectors.plan import plan_get
from ..services import design as services


def _plan_url(plan_id, anchor=""):
    return reverse("measurements:plan-detail", args=[plan_id]) + (f"#{anchor}" if anchor else "")


# ---- plans -------------------------------------------------------------------------------------

class PlanListView(StaffRequiredMixin, TemplateView):
    template_name = "measurements/plan_list.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "plans": selectors.plan_list(),
                "can_edit": is_manager(self.request.user)}


class PlanDetailView(StaffRequiredMixin, TemplateView):
    template_name = "measurements/plan_detail.html"

    def get_context_data(self, **kwargs):
        plan = plan_get(self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), "plan": plan,
                "chain": selectors.plan_chain(plan),
                "cost_rows": selectors.plan_cost_per_contact(plan),
                "volumes": plan.planned_volumes.all(),
                "can_edit": is_manager(self.request.user)}


class _Create(ServiceFormView):
    """Create an object of ``kind`` under a parent taken from the URL."""

    kind = ""
    parent_model = None
    parent_field = ""

    def get_parent(self):
        return get_object_or_404(self.parent_model, pk=self.kwargs["pk"])

    def get_instance(self):
        model = services.MODELS[self.kind]
        if self.parent_model is None:
            return model()
        return model(**{self.parent_field: self.get_parent()})

    def save(self, form, instance):
        extra = {self.parent_field: getattr(instance, self.parent_field)} \
            if self.parent_field else {}
        return services.design_object_create(self.kind, **extra, **form.cleaned_data)


class _Update(ServiceFormView):
    model = None

    def get_instance(self):
        return get_object_or_404(self.model, pk=self.kwargs["pk"])

    def save(self, form, instance):
        return services.design_object_update(instance, **form.cleaned_data)


class _Delete(ServiceDeleteView):
    model = None

    def get_object(self):
        return get_object_or_404(self.model, pk=self.kwargs["pk"])

    def delete(self, obj):
        services.design_object_delete(obj)


def _plan_of(obj):
    for path in ("plan", "objective.plan", "kpi.objective.plan"):
        target = obj
        try:
            for part in path.split("."):
                target = getattr(target, part)
        except AttributeError:
            continue
        return target
    raise AttributeError(obj)


class _PlanBack:
    anchor = ""

    def get_back_url(self, instance):
        if isinstance(instance, BusinessPlan):
            return _plan_url(instance.pk) if instance.pk else reverse("measurements:plan-list")
        return _plan_url(_plan_of(instance).pk, self.anchor)

    back_url = get_back_url


class PlanCreateView(_PlanBack, _Create):
    kind, form_class, title = "plan", PlanForm, "New business plan"

    def get_instance(self):
        return BusinessPlan(centre=centre_get_or_create_default())

    def save(self, form, instance):
        return services.design_object_create("plan", centre=instance.centre, **form.cleaned_data)


class PlanUpdateView(_PlanBack, _Update):
    model, form_class, title = BusinessPlan, PlanForm, "Edit business plan"


class PlanDeleteView(_PlanBack, _Delete):
    model = BusinessPlan

    def success_url(self, obj):
        return reverse("measurements:plan-list")


class ObjectiveCreateView(_PlanBack, _Create):
    kind, form_class, title = "objective", ObjectiveForm, "Add an objective"
    parent_model, parent_field, anchor = BusinessPlan, "plan", "objectives"


class ObjectiveUpdateView(_PlanBack, _Update):
    model, form_class, title, anchor = Objective, ObjectiveForm, "Edit objective", "objectives"


class ObjectiveDeleteView(_PlanBack, _Delete):
    model, anchor = Objective, "objectives"


class KpiCreateView(_PlanBack, _Create):
    kind, form_class, title = "kpi", KpiForm, "Add a KPI"
    parent_model, parent_field, anchor = Objective, "objective", "objectives"

    def _context(self, form, instance):
        return {**super()._context(form, instance),
                "intro": f"A KPI that evidences “{instance.objective}”."}


class KpiUpdateView(_PlanBack, _Update):
    model, form_class, title, anchor = Kpi, KpiForm, "Edit KPI", "objectives"


class KpiDeleteView(_PlanBack, _Delete):
    model, anchor = Kpi, "objectives"


class TargetCreateView(_PlanBack, _Create):
    kind, form_class, title = "target", TargetForm, "Add a target"
    parent_model, parent_field, anchor = Kpi, "kpi", "objectives"

    def get_initial(self, instance):
        plan = instance.kpi.objective.plan
        return {"period_start": plan.period_start, "period_end": plan.period_end}

    def _context(self, form, instance):
        return {**super()._context(form, instance), "intro": f"Target for KPI “{instance.kpi}”."}


class TargetUpdateView(_PlanBack, _Update):
    model, form_class, title, anchor = Target, TargetForm, "Edit target", "objectives"


class TargetDeleteView(_PlanBack, _Delete):
    model, anchor = Target, "objectives"


class BudgetLineCreateView(_PlanBack, _Create):
    kind, form_class, title = "budget_line", BudgetLineForm, "Add a budget line"
    parent_model, parent_field, anchor = BusinessPlan, "plan", "budget"

    def get_initial(self, instance):
        return {"period_start": instance.plan.period_start,
                "period_end": instance.plan.period_end}


class BudgetLineUpdateView(_PlanBack, _Update):
    model, form_class, title, anchor = BudgetLine, BudgetLineForm, "Edit budget line", "budget"


class BudgetLineDeleteView(_PlanBack, _Delete):
    model, anchor = BudgetLine, "budget"


class PlannedVolumeCreateView(_PlanBack, _Create):
    kind, form_class, title = "planned_volume", PlannedVolumeForm, "Add planned volume"
    parent_model, parent_field, anchor = BusinessPlan, "plan", "budget"

    def get_initial(self, instance):
        return {"period_start": instance.plan.period_start,
                "period_end": instance.plan.period_end}


class PlannedVolumeUpdateView(_PlanBack, _Update):
    model, form_class, title = PlannedVolume, PlannedVolumeForm, "Edit planned volume"
    anchor = "budget"


class PlannedVolumeDeleteView(_PlanBack, _Delete):
    model, anchor = PlannedVolume, "budget"


# ---- metric catalogue --------------------------------------------------------------------------

class MetricListView(StaffRequiredMixin, TemplateView):
    template_name = "measurements/metric_list.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        return {**super().get_context_data(**kwargs), "today": today,
                "metrics": selectors.metric_catalogue(current_on=today),
                "can_edit": is_manager(self.request.user)}


class MetricDetailView(StaffRequiredMixin, TemplateView):
    template_name = "measurements/metric_detail.html"

    def get_context_data(self, **kwargs):
        definition = get_object_or_404(MetricDefinition, pk=self.kwargs["pk"])
        versions = MetricDefinition.objects.filter(
            code=definition.code, variant=definition.variant).order_by("-version")
        return {**super().get_context_data(**kwargs), "definition": definition,
                "versions": versions, "can_edit": is_manager(self.request.user),
                "configs": selectors.config_list(self.request.scope, metric__code=definition.code,
                                                 metric__variant=definition.variant)}


class MetricCreateView(ServiceFormView):
    form_class, title = MetricDefinitionForm, "New metric definition"

    def get_instance(self):
        return MetricDefinition()

    def get_back_url(self, instance):
        if instance.pk:
            return reverse("measurements:metric-detail", args=[instance.pk])
        return reverse("measurements:metric-list")

    def save(self, form, instance):
        return services.metric_definition_create(**form.cleaned_data)


class MetricNewVersionView(ServiceFormView):
    title = "New version from a date"
    submit_label = "Start new version"

    def get_instance(self):
        return get_object_or_404(MetricDefinition, pk=self.kwargs["pk"])

    def get_form(self, instance):
        return NewVersionForm(self.request.POST or None, definition=instance)

    def get_back_url(self, instance):
        return reverse("measurements:metric-detail", args=[instance.pk])

    def save(self, form, instance):
        return services.metric_definition_new_version(
            instance, effective_from=form.cleaned_data["effective_from"],
            **form.changes(instance))

    def _context(self, form, instance):
        return {**super()._context(form, instance), "submit_label": self.submit_label,
                "intro": f"{instance.label}. The version in force on the chosen day ends the day "
                         "before; figures for earlier days keep using it."}


# ---- measurement configurations and coverage ---------------------------------------------------

class ConfigListView(StaffRequiredMixin, TemplateView):
    template_name = "measurements/config_list.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "configs": selectors.configs_with_current_version(
                    selectors.config_list(self.request.scope)),
                "can_edit": is_manager(self.request.user)}


class _ConfigBack:
    def get_back_url(self, instance):
        if instance.step_id:
            return reverse("measurements:pathway-coverage", args=[instance.step.pathway_id])
        return reverse("measurements:config-list")

    back_url = get_back_url


class ConfigCreateView(_ConfigBack, ServiceFormView):
    title = "Configure a measurement"

    def get_instance(self):
        return MeasurementConfig()

    def get_initial(self, instance):
        return {k: self.request.GET[k] for k in ("step", "metric", "kpi")
                if k in self.request.GET}

    def get_form(self, instance):
        return MeasurementConfigForm(self.request.POST or None, instance=instance,
                                     initial=self.get_initial(instance),
                                     centre=centre_get_or_create_default())

    def save(self, form, instance):
        return services.design_object_create("config", **form.service_fields())


class ConfigUpdateView(_ConfigBack, ServiceFormView):
    title = "Edit measurement"

    def get_instance(self):
        return get_object_or_404(MeasurementConfig, pk=self.kwargs["pk"])

    def get_form(self, instance):
        return MeasurementConfigForm(self.request.POST or None, instance=instance,
                                     centre=centre_get_or_create_default())

    def save(self, form, instance):
        return services.design_object_update(instance, **form.service_fields())


class ConfigDeleteView(_ConfigBack, _Delete):
    model = MeasurementConfig


class PathwayCoverageView(StaffRequiredMixin, TemplateView):
    template_name = "measurements/pathway_coverage.html"

    def get_context_data(self, **kwargs):
        pathway = pathway_get(self.kwargs["pk"], self.request.scope)
        coverage = selectors.pathway_coverage(pathway, self.request.scope)
        return {**super().get_context_data(**kwargs), "pathway": pathway, "coverage": coverage,
                "diagram": pathway_diagram(pathway,
                                           flagged={s.pk for s in coverage["unmeasured"]}),
                "can_edit": is_manager(self.request.user)}

