from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Centre
from ..roles import role_of
from .serializers import CentreSerializer, MeSerializer


class MeView(APIView):
    """The authenticated user and role."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer({"username": request.user.get_username(),
                                      "role": role_of(request.user)}).data)


class CentreListView(generics.ListCreateAPIView):
    """Centres (time zone and opening hours). Managers create and edit."""

    queryset = Centre.objects.all()
    serializer_class = CentreSerializer
