"""REST endpoints for pathways, steps, transitions and queues. Reads for every role within its
scope; writes for managers, through the services (same rules as the forms)."""
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from contactmis.api.base import ScopedReadOnlyModelViewSet

from .. import services
from ..models import Pathway, Queue, Step, Transition
from ..selectors import step_references
from .base import ServiceModelViewSet
from .serializers import PathwaySerializer, QueueSerializer, StepSerializer, TransitionSerializer


class QueueViewSet(ScopedReadOnlyModelViewSet):
    """Routing points seen in the data (created by ingestion)."""

    queryset = Queue.objects.none()  # for the schema; the base narrows rows to the scope
    serializer_class = QueueSerializer
    filterset_fields = ["centre", "kind", "channel", "site", "code"]


class PathwayViewSet(ServiceModelViewSet):
    """Contact pathways: directed graphs of steps."""

    queryset = Pathway.objects.none()  # for the schema; the base narrows rows to the scope
    serializer_class = PathwaySerializer
    filterset_fields = ["centre", "channel", "name"]
    create_service = staticmethod(services.pathway_create)
    update_service = staticmethod(services.pathway_update)
    delete_service = staticmethod(services.pathway_delete)


class StepViewSet(ServiceModelViewSet):
    """Steps of pathways. Deleting a step that measurements or data refer to answers 409 with
    the list of what refers to it."""

    queryset = Step.objects.none()  # for the schema; the base narrows rows to the scope
    serializer_class = StepSerializer
    filterset_fields = ["pathway", "kind", "is_entry", "queue"]
    create_service = staticmethod(services.step_create)
    update_service = staticmethod(services.step_update)

    def base_queryset(self):
        return Step.objects.select_related("pathway")

    @extend_schema(responses={204: None, 409: dict})
    def destroy(self, request, *args, **kwargs):
        step = self.get_object()
        try:
            services.step_delete(step)
        except DjangoValidationError as exc:
            return Response({
                "step": exc.messages,
                "referenced_by": [{"what": what, "count": count, "examples": examples}
                                  for what, count, examples in step_references(step)],
            }, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TransitionViewSet(ServiceModelViewSet):
    """Transitions between steps of one pathway, with their label."""

    queryset = Transition.objects.none()  # for the schema; the base narrows rows to the scope
    serializer_class = TransitionSerializer
    filterset_fields = ["pathway", "source", "target", "kind"]
    create_service = staticmethod(services.transition_create)
    update_service = staticmethod(services.transition_update)
    delete_service = staticmethod(services.transition_delete)

    def base_queryset(self):
        return Transition.objects.select_related("source", "target")
