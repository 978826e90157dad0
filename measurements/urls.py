"""Pages of the measurements app; each feature adds its paths (views in per-feature modules)."""
from django.urls import path  # noqa: F401

app_name = "measurements"

urlpatterns = []

# Measurement design: plans, metric catalogue, measurement configurations, coverage.
from .views import design as design_views  # noqa: E402

urlpatterns += [
    path("plans/", design_views.PlanListView.as_view(), name="plan-list"),
    path("plans/new/", design_views.PlanCreateView.as_view(), name="plan-create"),
    path("plans/<int:pk>/", design_views.PlanDetailView.as_view(), name="plan-detail"),
    path("plans/<int:pk>/edit/", design_views.PlanUpdateView.as_view(), name="plan-update"),
    path("plans/<int:pk>/delete/", design_views.PlanDeleteView.as_view(), name="plan-delete"),
    path("plans/<int:pk>/objectives/new/", design_views.ObjectiveCreateView.as_view(),
         name="objective-create"),
    path("objectives/<int:pk>/edit/", design_views.ObjectiveUpdateView.as_view(),
         name="objective-update"),
    path("objectives/<int:pk>/delete/", design_views.ObjectiveDeleteView.as_view(),
         name="objective-delete"),
    path("objectives/<int:pk>/kpis/new/", design_views.KpiCreateView.as_view(),
         name="kpi-create"),
    path("kpis/<int:pk>/edit/", design_views.KpiUpdateView.as_view(), name="kpi-update"),
    path("kpis/<int:pk>/delete/", design_views.KpiDeleteView.as_view(), name="kpi-delete"),
    path("kpis/<int:pk>/targets/new/", design_views.TargetCreateView.as_view(),
         name="target-create"),
    path("targets/<int:pk>/edit/", design_views.TargetUpdateView.as_view(),
         name="target-update"),
    path("targets/<int:pk>/delete/", design_views.TargetDeleteView.as_view(),
         name="target-delete"),
    path("plans/<int:pk>/budget/new/", design_views.BudgetLineCreateView.as_view(),
         name="budget-create"),
    path("budget/<int:pk>/edit/", design_views.BudgetLineUpdateView.as_view(),
         name="budget-update"),
    path("budget/<int:pk>/delete/", design_views.BudgetLineDeleteView.as_view(),
         name="budget-delete"),
    path("plans/<int:pk>/volumes/new/", design_views.PlannedVolumeCreateView.as_view(),
         name="volume-create"),
    path("volumes/<int:pk>/edit/", design_views.PlannedVolumeUpdateView.as_view(),
         name="volume-update"),
    path("volumes/<int:pk>/delete/", design_views.PlannedVolumeDeleteView.as_view(),
         name="volume-delete"),
    path("metrics/", design_views.MetricListView.as_view(), name="metric-list"),
    path("metrics/new/", design_views.MetricCreateView.as_view(), name="metric-create"),
    path("metrics/<int:pk>/", design_views.MetricDetailView.as_view(), name="metric-detail"),
    path("metrics/<int:pk>/new-version/", design_views.MetricNewVersionView.as_view(),
         name="metric-new-version"),
    path("configs/", design_views.ConfigListView.as_view(), name="config-list"),
    path("configs/new/", design_views.ConfigCreateView.as_view(), name="config-create"),
    path("configs/<int:pk>/edit/", design_views.ConfigUpdateView.as_view(),
         name="config-update"),
    path("configs/<int:pk>/delete/", design_views.ConfigDeleteView.as_view(),
         name="config-delete"),
    path("pathways/<int:pk>/coverage/", design_views.PathwayCoverageView.as_view(),
         name="pathway-coverage"),
]

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

# Measurement tests and the data-collection monitor (issue 5).
from .views import quality as quality_views  # noqa: E402

urlpatterns += [
    path("tests/", quality_views.TestListView.as_view(), name="test-list"),
    path("tests/new/", quality_views.TestFormView.as_view(), name="test-create"),
    path("tests/<int:pk>/", quality_views.TestDetailView.as_view(), name="test-detail"),
    path("tests/<int:pk>/edit/", quality_views.TestFormView.as_view(), name="test-update"),
    path("tests/<int:pk>/run/", quality_views.TestRunView.as_view(), name="test-run"),
    path("tests/<int:pk>/delete/", quality_views.TestDeleteView.as_view(), name="test-delete"),
    path("monitor/", quality_views.MonitorView.as_view(), name="monitor"),
    path("monitor/thresholds/", quality_views.MonitorSettingsView.as_view(),
         name="monitor-settings"),
    path("monitor/check/", quality_views.MonitorCheckView.as_view(), name="monitor-check"),
    path("monitor/closed-days/", quality_views.ClosedDayCreateView.as_view(),
         name="closed-day-create"),
    path("monitor/closed-days/<int:pk>/delete/", quality_views.ClosedDayDeleteView.as_view(),
         name="closed-day-delete"),
    path("alerts/<int:pk>/resolve/", quality_views.AlertResolveView.as_view(),
         name="alert-resolve"),
]
