"""REST endpoints of the stakeholders app, mounted under /api/v1/."""
from django.urls import path  # noqa: F401
from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=True)
# Each feature registers its viewsets here: router.register("things", ThingViewSet, "thing")

# Stakeholder register, dashboards and widgets (issue 7).
from .views import DashboardViewSet, StakeholderViewSet, WidgetViewSet  # noqa: E402

# Plain path() routes (``widgets/<int:pk>/``), which the URL-walking access tests can fill in.
stakeholder_router = SimpleRouter(trailing_slash=True, use_regex_path=False)
stakeholder_router.register("stakeholders", StakeholderViewSet, "stakeholder")
stakeholder_router.register("dashboards", DashboardViewSet, "dashboard")
stakeholder_router.register("widgets", WidgetViewSet, "widget")

urlpatterns = [*router.urls, *stakeholder_router.urls]
