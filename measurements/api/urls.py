"""REST endpoints of the measurements app, mounted under /api/v1/."""
from django.urls import path  # noqa: F401
from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=True)
# Each feature registers its viewsets here: router.register("things", ThingViewSet, "thing")
from .ingest import DataSourceViewSet, ImportBatchViewSet  # noqa: E402

router.register("data-sources", DataSourceViewSet, "data-source")
router.register("import-batches", ImportBatchViewSet, "import-batch")

urlpatterns = [*router.urls]
