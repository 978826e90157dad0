"""Pages of the measurements app; each feature adds its paths (views in per-feature modules)."""
from django.urls import path  # noqa: F401

app_name = "measurements"

urlpatterns = []

# Data collection (issue 4): data sources, column mappings, uploads and import batches.
from .views import ingest as ingest_views  # noqa: E402

urlpatterns += [
    path("sources/", ingest_views.SourceListView.as_view(), name="source-list"),
    path("sources/new/", ingest_views.SourceFormView.as_view(), name="source-create"),
    path("sources/<int:pk>/edit/", ingest_views.SourceFormView.as_view(), name="source-edit"),
    path("sources/<int:pk>/mapping/", ingest_views.SourceMappingView.as_view(),
         name="source-mapping"),
    path("imports/", ingest_views.BatchListView.as_view(), name="batch-list"),
    path("imports/upload/", ingest_views.BatchUploadView.as_view(), name="batch-upload"),
    path("imports/<int:pk>/", ingest_views.BatchDetailView.as_view(), name="batch-detail"),
    path("imports/<int:pk>/progress.json", ingest_views.BatchProgressView.as_view(),
         name="batch-progress"),
    path("imports/<int:pk>/rejects.csv", ingest_views.BatchRejectsCsvView.as_view(),
         name="batch-rejects-csv"),
    path("imports/<int:pk>/retry/", ingest_views.BatchRetryView.as_view(), name="batch-retry"),
]
