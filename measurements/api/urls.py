"""REST endpoints of the measurements app, mounted under /api/v1/."""
from django.urls import path  # noqa: F401
from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=True)
# Each feature registers its viewsets here: router.register("things", ThingViewSet, "thing")

urlpatterns = [*router.urls]

# Data collection (issue 4): data sources and import batches (path-style routes).
from .ingest import router as ingest_router  # noqa: E402

urlpatterns += ingest_router.urls
