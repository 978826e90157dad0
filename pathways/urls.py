"""Pages of the pathways app. Each feature adds its block of paths; views live in per-feature modules."""
from django.urls import path  # noqa: F401

app_name = "pathways"

urlpatterns = []
