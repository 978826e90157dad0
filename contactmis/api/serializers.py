from rest_framework import serializers

from ..models import Centre


class CentreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Centre
        fields = ["id", "name", "time_zone", "opening_hours"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
