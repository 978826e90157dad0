"""Pages of the measurements app; each feature adds its paths (views in per-feature modules)."""
from django.urls import path  # noqa: F401

app_name = "measurements"

urlpatterns = []
