"""REST endpoints of the reports app, mounted under /api/v1/."""
from django.urls import path  # noqa: F401
from rest_framework.routers import SimpleRouter

from . import views as analysis_views

router = SimpleRouter(trailing_slash=True)
# Each feature registers its viewsets here: router.register("things", ThingViewSet, "thing")

urlpatterns = [*router.urls]

# Analysis endpoints (issue 6).
urlpatterns += [
    path("analysis/kpis/", analysis_views.KpiAPIView.as_view(), name="api-analysis-kpis"),
    path("analysis/patterns/", analysis_views.PatternAPIView.as_view(),
         name="api-analysis-patterns"),
    path("analysis/staffing/", analysis_views.StaffingAPIView.as_view(),
         name="api-analysis-staffing"),
    path("analysis/staffing/calculate/", analysis_views.StaffingCalculateAPIView.as_view(),
         name="api-analysis-staffing-calculate"),
    path("analysis/queueing/", analysis_views.QueueingAPIView.as_view(),
         name="api-analysis-queueing"),
    path("analysis/forecasts/", analysis_views.ForecastListAPIView.as_view(),
         name="api-analysis-forecasts"),
    path("analysis/forecasts/<int:pk>/", analysis_views.ForecastDetailAPIView.as_view(),
         name="api-analysis-forecast-detail"),
]
