"""Pages of the reports app; each feature adds its paths (views in per-feature modules)."""
from django.urls import path  # noqa: F401

app_name = "reports"

urlpatterns = []
