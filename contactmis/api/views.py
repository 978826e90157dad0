from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Centre
from ..roles import role_of
from .base import ScopedListCreateAPIView
from .serializers import CentreSerializer, MeSerializer


class MeView(APIView):
    """The authenticated user and role."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer({"username": request.user.get_username(),
                                      "role": role_of(request.user)}).data)


class CentreListView(ScopedListCreateAPIView):
    """Centres (time zone and opening hours). Managers create and edit."""

    queryset = Centre.objects.all()
    serializer_class = CentreSerializer
    # A centre's name, time zone and opening hours hold no figures: every role reads them.
    viewer_visible = True
