"""REST API of stakeholders, dashboards and widgets.

Querysets start from ``visible_to(user)``: a viewer sees its own stakeholder, dashboards and
widgets and gets 404 for every other id, reading or writing. Widget data is computed within the
dashboard's stakeholder scope by the same function the pages use.
"""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from contactmis.api.base import ScopedModelViewSet
from contactmis.api.errors import as_api_error
from contactmis.roles import MANAGER, role_of
from reports import exports

from .. import selectors, services
from ..models import Dashboard, Stakeholder, Widget
from ..widgets import target_words, widget_result
from .serializers import (
    DashboardSerializer,
    ReorderSerializer,
    StakeholderSerializer,
    WidgetSerializer,
)


class ManagerWritesOr404(BasePermission):
    """Every role reads (within what ``visible_to`` gives it); only managers write. A non-manager
    writing to an object id gets 404, the same answer as for an id that does not exist."""

    def has_permission(self, request, view):
        role = role_of(request.user)
        if role is None:
            return False
        if request.method in SAFE_METHODS or role == MANAGER:
            return True
        if view.kwargs.get("pk") is not None:
            raise NotFound()
        return False


def _target(resolved):
    """A target as JSON: its value in the figure's unit, where it comes from (``source``: "plan"
    or "override", with the plan, objective, KPI and slice) and in words; None: no target."""
    if resolved is None:
        return None
    return {**resolved.as_dict(), "text": target_words(resolved)}


def meaning_payload(result) -> dict:
    """What a widget's values were judged by: the service-level threshold (``sl_threshold_s``,
    null where its contacts have different ones, then ``sl_basis`` says "each queue's own
    threshold") and, for each of its metrics, the target in force (null: no target)."""
    meaning = result.meaning or {}
    targets = meaning.get("targets", {})
    return {"sl_threshold_s": meaning.get("sl_threshold_s"),
            "sl_basis": meaning.get("sl_basis", ""),
            "targets": {m: _target(targets.get(m)) for m in result.widget.metrics}}


def widget_payload(result):
    """A widget's computed data as JSON-safe values (the API's ``data`` action), each value
    with the threshold and target it was judged by (``meaning``; table rows broken down by
    queue carry their own ``sl_threshold_s``/``sl_basis``)."""
    table = result.table
    records = [{k: exports.json_value(v) for k, v in row.items()} for row in
               table.to_dict("records")] if len(table) else []
    meaning = meaning_payload(result)
    tile = None
    if result.tile:
        tile = {k: exports.json_value(result.tile[k]) if k in ("value", "previous") else
                result.tile[k] for k in ("value", "target", "previous", "rag", "trend",
                                         "value_text", "target_text", "target_from",
                                         "sl_threshold_s", "basis")}
        tile["target"] = meaning["targets"].get(result.widget.metrics[0])
    return {"widget": result.widget.pk, "title": result.widget.title,
            "kind": result.widget.kind, "period": {
                "key": result.period.key, "label": result.period.label,
                "start": result.period.start.isoformat(), "end": result.period.end.isoformat()},
            "definitions": result.definitions, "notes": result.notes, "empty": result.empty,
            "meaning": meaning, "tile": tile, "rows": records}


def _queue(request, scope):
    value = request.query_params.get("queue")
    return None if value in (None, "") else selectors.scope_queue_get(scope, value)


QUEUE_PARAM = OpenApiParameter("queue", int, description="One queue inside the scope "
                                                         "(404 for any other).")


class StakeholderViewSet(ScopedModelViewSet):
    """The stakeholder register. Creating one gives it its type's default dashboard."""
    lookup_value_converter = "int"

    serializer_class = StakeholderSerializer
    permission_classes = [ManagerWritesOr404]

    def base_queryset(self):
        return Stakeholder.objects.prefetch_related("queues", "pathways", "members__user",
                                                    "dashboards")

    def perform_create(self, serializer):
        try:
            serializer.instance = services.stakeholder_create(**serializer.validated_data)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_update(self, serializer):
        try:
            services.stakeholder_update(serializer.instance, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_destroy(self, instance):
        services.stakeholder_delete(instance)


class DashboardViewSet(ScopedModelViewSet):
    """Dashboards; ``data`` computes every widget within the stakeholder's scope."""
    lookup_value_converter = "int"

    serializer_class = DashboardSerializer
    permission_classes = [ManagerWritesOr404]

    def base_queryset(self):
        return (Dashboard.objects.select_related("stakeholder").prefetch_related("widgets")
                .order_by("stakeholder__name", "-is_default", "name"))

    def perform_create(self, serializer):
        stakeholder = serializer.validated_data["stakeholder"]
        if not Stakeholder.objects.visible_to(self.request.user).filter(
                pk=stakeholder.pk).exists():
            raise NotFound()
        serializer.save()

    @extend_schema(parameters=[QUEUE_PARAM], responses={200: drf_serializers.JSONField()})
    @action(detail=True, methods=["get"])
    def data(self, request, pk=None):
        dashboard = self.get_object()
        scope = selectors.dashboard_scope(dashboard)
        queue = _queue(request, scope)
        now = timezone.now()
        return Response({"dashboard": dashboard.pk, "scope": scope.label, "widgets": [
            widget_payload(widget_result(w, scope, now, queue=queue))
            for w in dashboard.widgets.order_by("position", "pk")]})

    @extend_schema(request=ReorderSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def reorder(self, request, pk=None):
        dashboard = self.get_object()
        body = ReorderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.dashboard_reorder(dashboard, body.validated_data["order"])
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class WidgetViewSet(ScopedModelViewSet):
    """Widgets; ``data`` is the widget's computed data, ``export`` the same as CSV or XLSX."""
    lookup_value_converter = "int"

    serializer_class = WidgetSerializer
    permission_classes = [ManagerWritesOr404]

    def base_queryset(self):
        return Widget.objects.select_related("dashboard__stakeholder")

    def perform_create(self, serializer):
        dashboard = serializer.validated_data.pop("dashboard")
        if not Dashboard.objects.visible_to(self.request.user).filter(pk=dashboard.pk).exists():
            raise NotFound()
        try:
            serializer.instance = services.widget_add(dashboard, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_update(self, serializer):
        serializer.validated_data.pop("dashboard", None)
        try:
            services.widget_update(serializer.instance, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_destroy(self, instance):
        services.widget_remove(instance)

    @extend_schema(parameters=[QUEUE_PARAM], responses={200: drf_serializers.JSONField()})
    @action(detail=True, methods=["get"])
    def data(self, request, pk=None):
        widget = self.get_object()
        scope = selectors.dashboard_scope(widget.dashboard)
        result = widget_result(widget, scope, timezone.now(), queue=_queue(request, scope))
        return Response(widget_payload(result))
