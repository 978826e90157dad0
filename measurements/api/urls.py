"""REST endpoints of the measurements app, mounted under /api/v1/."""
from django.urls import path
from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=True)
# Each feature registers its viewsets here: router.register("things", ThingViewSet, "thing")

urlpatterns = [*router.urls]

# Measurement design endpoints (plans, KPIs, targets, budget, catalogue, configurations).
from . import design_views  # noqa: E402

router.register("plans", design_views.PlanViewSet, "api-plan")
router.register("objectives", design_views.ObjectiveViewSet, "api-objective")
router.register("kpis", design_views.KpiViewSet, "api-kpi")
router.register("targets", design_views.TargetViewSet, "api-target")
router.register("budget-lines", design_views.BudgetLineViewSet, "api-budget-line")
router.register("planned-volumes", design_views.PlannedVolumeViewSet, "api-planned-volume")
router.register("metric-definitions", design_views.MetricDefinitionViewSet,
                "api-metric-definition")
router.register("measurement-configs", design_views.MeasurementConfigViewSet,
                "api-measurement-config")
urlpatterns = [*router.urls]

# Data collection (issue 4): data sources and import batches (path-style routes).
from .ingest import router as ingest_router  # noqa: E402

urlpatterns += ingest_router.urls

# Measurement tests and data-collection alerts (issue 5).
from .quality import router as quality_router  # noqa: E402

urlpatterns += quality_router.urls

# Live data collection (issue 21): events pushed by a followed source, with its own token.
from .live import SourceEventsView  # noqa: E402

urlpatterns += [path("sources/<int:source_id>/events/", SourceEventsView.as_view(),
                     name="api-source-events")]
