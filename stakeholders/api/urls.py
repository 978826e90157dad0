"""REST endpoints of the stakeholders app, mounted under /api/v1/."""
from django.urls import path  # noqa: F401
from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=True)
# Each feature registers its viewsets here: router.register("things", ThingViewSet, "thing")

# Stakeholder register, dashboards and widgets (issue 7).
from .views import DashboardViewSet, StakeholderViewSet, WidgetViewSet  # noqa: E402

router.register("stakeholders", StakeholderViewSet, "stakeholder")
router.register("dashboards", DashboardViewSet, "dashboard")
router.register("widgets", WidgetViewSet, "widget")

urlpatterns = [*router.urls]
