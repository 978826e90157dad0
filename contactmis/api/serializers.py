from rest_framework import serializers

from contactmis.api.fields import BoundedModelSerializer

from ..models import Centre


class CentreSerializer(BoundedModelSerializer):
    class Meta:
        model = Centre
        fields = ["id", "name", "time_zone", "opening_hours", "day_starts_at"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
