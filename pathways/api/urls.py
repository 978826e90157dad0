"""REST endpoints of the pathways app, mounted under /api/v1/."""
from django.urls import path  # noqa: F401
from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=True)
# Each feature registers its viewsets here: router.register("things", ThingViewSet, "thing")

urlpatterns = [*router.urls]

# Pathway design endpoints.
from .views import PathwayViewSet, QueueViewSet, StepViewSet, TransitionViewSet  # noqa: E402

router.register("pathways", PathwayViewSet, "api-pathway")
router.register("steps", StepViewSet, "api-step")
router.register("transitions", TransitionViewSet, "api-transition")
router.register("queues", QueueViewSet, "api-queue")
urlpatterns = [*router.urls]
