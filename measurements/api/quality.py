"""REST endpoints for measurement tests (define, run, history) and data-collection alerts."""
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from contactmis.api.base import ScopedGenericViewSet, ScopedModelViewSet
from contactmis.api.errors import as_api_error
from contactmis.api.fields import BoundedModelSerializer
from contactmis.roles import ANALYST, MANAGER
from contactmis.selectors import centre_current, centre_get_or_create_default

from ..models import Alert, ClosedDay, MeasurementTest, TestRun
from ..services.monitor import closed_day_delete, closed_day_save
from ..services.testing import measurement_test_run, measurement_test_save

STAFF = (MANAGER, ANALYST)


class TestRunSerializer(BoundedModelSerializer):
    ran_by = serializers.CharField(source="who", read_only=True)

    class Meta:
        model = TestRun
        fields = ["id", "test", "status", "started_at", "finished_at", "period_start",
                  "period_end", "comparisons", "message", "ran_by", "trigger", "source_name"]
        read_only_fields = fields


class MeasurementTestSerializer(BoundedModelSerializer):
    last_run = TestRunSerializer(read_only=True)

    class Meta:
        model = MeasurementTest
        fields = ["id", "name", "kind", "config", "pathway", "source", "source_name",
                  "source_b", "source_b_name", "reconcile", "script", "dataset_format",
                  "expected", "tolerance", "rules", "active", "created_at", "last_run"]
        read_only_fields = ["source_name", "source_b_name", "created_at", "last_run"]


class AlertSerializer(BoundedModelSerializer):
    class Meta:
        model = Alert
        fields = ["id", "source", "source_name", "code", "severity", "message", "period_start",
                  "period_end", "created_at", "emailed_at", "resolved_at"]
        read_only_fields = fields


class MeasurementTestViewSet(ScopedModelViewSet):
    """Measurement tests of the centre; ``POST …/{id}/run/`` runs one now and returns the run;
    ``GET …/{id}/runs/`` lists its history."""

    serializer_class = MeasurementTestSerializer
    read_roles = STAFF
    write_roles = (MANAGER,)

    def base_queryset(self):
        return MeasurementTest.objects.filter(centre=centre_current()).prefetch_related(
            Prefetch("runs", queryset=TestRun.objects.select_related("ran_by")))

    def _save(self, serializer, **extra):
        test = serializer.instance if serializer.instance is not None \
            else MeasurementTest(**extra)
        for name, value in serializer.validated_data.items():
            setattr(test, name, value)
        try:
            measurement_test_save(test)
        except ValidationError as exc:
            raise as_api_error(exc) from None
        serializer.instance = test

    def perform_create(self, serializer):
        self._save(serializer, centre=centre_get_or_create_default(),
                   created_by=self.request.user)

    def perform_update(self, serializer):
        self._save(serializer)

    @extend_schema(request=None, responses=TestRunSerializer)
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        run = measurement_test_run(self.get_object(), user=request.user)
        return Response(TestRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=TestRunSerializer(many=True))
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        runs = self.get_object().runs.select_related("ran_by")[:200]
        return Response(TestRunSerializer(runs, many=True).data)


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Open and resolved data-collection alerts, newest first."""

    serializer_class = AlertSerializer
    read_roles = STAFF
    write_roles = (MANAGER,)

    def base_queryset(self):
        return Alert.objects.filter(centre=centre_current()).order_by("-created_at", "-pk")


class ClosedDaySerializer(BoundedModelSerializer):
    class Meta:
        model = ClosedDay
        fields = ["id", "date", "name", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # one entry per date: checked by the service with a clearer message


class ClosedDayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, mixins.UpdateModelMixin,
                       mixins.DestroyModelMixin, ScopedGenericViewSet):
    """Days the centre is closed although its weekly opening hours say open (bank holidays,
    closures): the data-collection monitor expects no data on them."""

    serializer_class = ClosedDaySerializer
    read_roles = STAFF
    write_roles = (MANAGER,)

    def base_queryset(self):
        return ClosedDay.objects.filter(centre=centre_current()).order_by("date")

    def _save(self, serializer, closed_day):
        for name, value in serializer.validated_data.items():
            setattr(closed_day, name, value)
        try:
            closed_day_save(closed_day)
        except ValidationError as exc:
            raise as_api_error(exc) from None
        serializer.instance = closed_day

    def perform_create(self, serializer):
        self._save(serializer, ClosedDay(centre=centre_get_or_create_default()))

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        closed_day_delete(instance)


router = SimpleRouter(trailing_slash=True, use_regex_path=False)
router.register("closed-days", ClosedDayViewSet, "closed-day")
router.register("measurement-tests", MeasurementTestViewSet, "measurement-test")
router.register("alerts", AlertViewSet, "alert")
