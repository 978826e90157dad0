"""Pages of the stakeholders app. Each feature adds its block of paths; views live in per-feature modules."""
from django.urls import path  # noqa: F401

app_name = "stakeholders"

urlpatterns = []
