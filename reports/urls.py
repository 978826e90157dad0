"""Pages of the reports app; each feature adds its paths (views in per-feature modules)."""
from django.urls import path  # noqa: F401

from . import views as analysis_views

app_name = "reports"

urlpatterns = []

# Analysis pages (issue 6).
urlpatterns += [
    path("kpis/", analysis_views.KpiView.as_view(), name="kpis"),
    path("patterns/", analysis_views.PatternView.as_view(), name="patterns"),
    path("staffing/", analysis_views.StaffingView.as_view(), name="staffing"),
    path("forecasts/", analysis_views.ForecastView.as_view(), name="forecasts"),
    path("queueing/", analysis_views.QueueingView.as_view(), name="queueing"),
]
