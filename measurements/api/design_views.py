"""REST endpoints for measurement design. Reads for every role (targets and configurations
within the viewer's scope); writes for managers, through the services (same rules as forms)."""
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from contactmis.api.errors import as_api_error
from pathways.api.base import ServiceModelViewSet
from pathways.selectors import pathway_get

from .. import selectors
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
from ..services import design as services
from .design_serializers import (
    BudgetLineSerializer,
    CoverageRowSerializer,
    KpiSerializer,
    MeasurementConfigSerializer,
    MetricDefinitionSerializer,
    NewVersionSerializer,
    ObjectiveSerializer,
    PlannedVolumeSerializer,
    PlanSerializer,
    TargetSerializer,
)


def _design_viewset(kind, model, serializer, filters, doc, queryset=None):
    def base_queryset(self):
        qs = model.objects.all()
        return queryset(qs) if queryset else qs

    # Plans, objectives, KPIs, budget lines and planned volumes have no ``restrict()``: the base
    # hides them from stakeholder viewers (the centre's budget is no vendor's business); targets
    # and configurations are restricted to the viewer's queues and channels.
    return type(f"{model.__name__}ViewSet", (ServiceModelViewSet,), {
        "__doc__": doc, "serializer_class": serializer, "queryset": model.objects.none(),
        "filterset_fields": filters,
        "base_queryset": base_queryset,
        "create_service": staticmethod(lambda **data: services.design_object_create(kind, **data)),
        "update_service": staticmethod(services.design_object_update),
        "delete_service": staticmethod(services.design_object_delete),
    })


_PlanBase = _design_viewset("plan", BusinessPlan, PlanSerializer, ["centre", "name"],
                            "Business plans for a period.")


class PlanViewSet(_PlanBase):
    """Business plans for a period (objectives, budget, planned volumes hang off them)."""

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def chain(self, request, pk=None):
        """The objective → KPI → target → measurement chain, information gaps and derived
        cost per contact."""
        plan = self.get_object()
        chain = selectors.plan_chain(plan)
        return Response({
            "objectives": [{
                "id": oc.objective.pk, "title": oc.objective.title, "gap": oc.gap,
                "kpis": [{"id": kc.kpi.pk, "metric_code": kc.kpi.metric_code,
                          "definition": kc.definition.label if kc.definition else None,
                          "targets": TargetSerializer(kc.targets, many=True).data,
                          "measurements": [c.pk for c in kc.configs]} for kc in oc.kpis],
            } for oc in chain["objectives"]],
            "budget_lines": [{"id": b.line.pk, "measured": b.measured} for b in chain["budget"]],
            "gaps": chain["gaps"],
            "cost_per_contact": [{**row, "budget": str(row["budget"]),
                                  "cost_per_contact": None if row["cost_per_contact"] is None
                                  else str(row["cost_per_contact"])}
                                 for row in selectors.plan_cost_per_contact(plan)],
        })


ObjectiveViewSet = _design_viewset("objective", Objective, ObjectiveSerializer,
                                   ["plan"], "Objectives of a plan.")
KpiViewSet = _design_viewset("kpi", Kpi, KpiSerializer,
                             ["objective", "objective__plan", "metric_code", "metric_variant"],
                             "KPIs: the catalogue metric that evidences an objective.")
TargetViewSet = _design_viewset(
    "target", Target, TargetSerializer,
    {"kpi": ["exact"], "kpi__metric_code": ["exact"], "queue": ["exact", "isnull"],
     "channel": ["exact"], "customer_segment": ["exact"], "period_start": ["gte", "lte"],
     "period_end": ["gte", "lte"]},
    "Targets of a KPI per period, optionally per queue/channel/segment. The value must lie in "
    "the metric's valid range.")
BudgetLineViewSet = _design_viewset(
    "budget_line", BudgetLine, BudgetLineSerializer,
    {"plan": ["exact"], "category": ["exact"], "channel": ["exact"],
     "period_start": ["gte", "lte"]},
    "Budget lines (labour, technology, telecom, facilities) per period; amounts not negative.")
PlannedVolumeViewSet = _design_viewset(
    "planned_volume", PlannedVolume, PlannedVolumeSerializer, ["plan", "channel"],
    "Planned handled contacts per period and channel (for cost per contact).")
_ConfigBase = _design_viewset(
    "config", MeasurementConfig, MeasurementConfigSerializer,
    ["step", "step__pathway", "metric", "metric__code", "source", "kpi", "active"],
    "Measurement configurations: metric version × pathway step × data source × parameters × "
    "target.", queryset=lambda qs: qs.select_related("metric", "source"))


class MeasurementConfigViewSet(_ConfigBase):
    """Measurement configurations: metric version × pathway step × data source × parameters ×
    target."""

    @extend_schema(parameters=[OpenApiParameter("pathway", int, required=True)],
                   responses=CoverageRowSerializer(many=True))
    @action(detail=False, methods=["get"])
    def coverage(self, request):
        """Per step of ``?pathway=``: which measurements capture it, from which system; steps
        with none have ``measured: false``."""
        try:
            pathway_id = int(request.query_params.get("pathway", ""))
        except ValueError as exc:
            raise serializers.ValidationError(
                {"pathway": "Give the pathway id, e.g. ?pathway=3."}) from exc
        pathway = pathway_get(pathway_id, request.scope)
        coverage = selectors.pathway_coverage(pathway, request.scope)
        return Response(CoverageRowSerializer(coverage["rows"], many=True).data)


class MetricDefinitionViewSet(ServiceModelViewSet):
    """The metric catalogue: every version of every metric. ``POST …/{id}/new_version/`` starts
    a new version from a date (the current one ends the day before)."""

    serializer_class = MetricDefinitionSerializer
    queryset = MetricDefinition.objects.none()
    filterset_fields = {"code": ["exact"], "variant": ["exact"], "unit": ["exact"],
                        "is_default_variant": ["exact"], "effective_from": ["lte", "gte"]}
    create_service = staticmethod(services.metric_definition_create)
    update_service = staticmethod(services.metric_definition_update)
    delete_service = staticmethod(services.design_object_delete)

    # The catalogue holds formulas and thresholds, no centre figures: every role reads it.
    viewer_visible = True

    @extend_schema(request=NewVersionSerializer, responses=MetricDefinitionSerializer)
    @action(detail=True, methods=["post"])
    def new_version(self, request, pk=None):
        definition = self.get_object()
        data = NewVersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = {"change_note": data.validated_data.get("change_note", "")}
        if "parameters" in data.validated_data:
            changes["parameters"] = {**(definition.parameters or {}),
                                     **data.validated_data["parameters"]}
        try:
            new = services.metric_definition_new_version(
                definition, effective_from=data.validated_data["effective_from"], **changes)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(MetricDefinitionSerializer(new).data, status=201)
