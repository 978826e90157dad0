"""REST endpoints for data collection: data sources, import batches (multipart upload,
pollable), rejected rows."""
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from contactmis.api.base import ScopedGenericViewSet, ScopedModelViewSet
from contactmis.api.errors import as_api_error
from contactmis.api.fields import BoundedModelSerializer
from contactmis.roles import ANALYST, MANAGER
from contactmis.selectors import centre_get_or_create_default

from ..constants import ExportFormat
from ..models import DataSource, ImportBatch, RejectedRow
from ..selectors.ingest import batch_list, source_list
from ..services.ingest import batch_create, batch_retry, source_create, source_update

STAFF = (MANAGER, ANALYST)


class DataSourceSerializer(BoundedModelSerializer):
    class Meta:
        model = DataSource
        fields = ["id", "centre", "name", "kind", "export_format", "time_zone",
                  "column_mapping", "drop_folder", "expected_cadence", "reject_alert_share",
                  "description", "created_at"]
        read_only_fields = ["centre", "created_at"]
        validators = []  # uniqueness is checked by the service with a clear message


class ImportBatchSerializer(BoundedModelSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ImportBatch
        fields = ["id", "source", "source_name", "export_format", "original_name", "sha256",
                  "size_bytes", "status", "status_label", "rows_read", "contacts_loaded",
                  "segments_loaded", "surveys_loaded", "agent_states_loaded", "intervals_loaded",
                  "rows_rejected", "duplicates_skipped", "rows_skipped", "surveys_unmatched",
                  "contacts_replaced", "notes", "period_start", "period_end", "error",
                  "attempts", "created_at", "started_at", "finished_at"]
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    source = serializers.PrimaryKeyRelatedField(queryset=DataSource.objects.all())
    file = serializers.FileField()
    export_format = serializers.ChoiceField(choices=ExportFormat.choices, required=False)


class RejectedRowSerializer(BoundedModelSerializer):
    class Meta:
        model = RejectedRow
        fields = ["line", "field", "reason", "raw"]


class DataSourceViewSet(ScopedModelViewSet):
    """Registered export systems. Managers create and edit; analysts read."""

    serializer_class = DataSourceSerializer
    read_roles = STAFF
    write_roles = (MANAGER,)

    def base_queryset(self):
        return source_list()

    def perform_create(self, serializer):
        try:
            serializer.instance = source_create(centre=centre_get_or_create_default(),
                                                **serializer.validated_data)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_update(self, serializer):
        try:
            serializer.instance = source_update(serializer.instance,
                                                **serializer.validated_data)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_destroy(self, instance):
        if instance.batches.exists():
            raise ApiValidationError("This data source has imports; it cannot be deleted.")
        instance.delete()


class ImportBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, ScopedGenericViewSet):
    """Import batches. ``POST`` (multipart: ``source``, ``file``, optional ``export_format``)
    stores the file and returns the batch (201, or 200 with status ``duplicate``); poll
    ``GET /import-batches/{id}/`` until ``status`` is loaded, duplicate or failed."""

    serializer_class = ImportBatchSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    read_roles = STAFF
    write_roles = STAFF
    filterset_fields = ["source", "status", "export_format"]

    def base_queryset(self):
        return batch_list()

    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses=ImportBatchSerializer)
    def create(self, request, *args, **kwargs):
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        try:
            batch = batch_create(source=data["source"], file=data["file"],
                                 original_name=data["file"].name, user=request.user,
                                 export_format=data.get("export_format"))
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        code = status.HTTP_200_OK if batch.status == "duplicate" else status.HTTP_201_CREATED
        return Response(ImportBatchSerializer(batch).data, status=code)

    @extend_schema(responses=RejectedRowSerializer(many=True))
    @action(detail=True, methods=["get"])
    def rejects(self, request, pk=None):
        batch = self.get_object()
        page = self.paginate_queryset(batch.rejects.order_by("line"))
        return self.get_paginated_response(RejectedRowSerializer(page, many=True).data)

    @extend_schema(request=None, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        batch = self.get_object()
        try:
            batch = batch_retry(batch.pk)
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(ImportBatchSerializer(batch).data)


router = SimpleRouter(trailing_slash=True, use_regex_path=False)
router.register("data-sources", DataSourceViewSet, "data-source")
router.register("import-batches", ImportBatchViewSet, "import-batch")
