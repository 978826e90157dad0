"""Serializers of the stakeholder register, dashboards and widgets."""
from django.contrib.auth import get_user_model
from rest_framework import serializers

from contactmis.api.fields import BoundedModelSerializer
from contactmis.roles import VIEWER
from pathways.models import Pathway, Queue

from ..constants import WIDGET_METRICS
from ..models import Dashboard, Stakeholder, Widget


class StakeholderSerializer(BoundedModelSerializer):
    queues = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                                queryset=Queue.objects.all())
    pathways = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                                  queryset=Pathway.objects.all())
    users = serializers.SlugRelatedField(
        many=True, required=False, slug_field="username",
        queryset=get_user_model().objects.filter(groups__name=VIEWER),
        help_text="User names of the stakeholder-viewer logins that sign in as it.")
    dashboards = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Stakeholder
        fields = ["id", "name", "kind", "information_needs", "granularity", "cadence", "emails",
                  "sees_whole_centre", "queues", "pathways", "channels", "sites", "segments",
                  "users", "dashboards", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["users"] = [m.user.get_username() for m in instance.members.all()]
        return data

    def validate(self, attrs):
        scope_keys = ("queues", "pathways", "channels", "sites", "segments")
        instance = self.instance
        whole = attrs.get("sees_whole_centre", instance.sees_whole_centre if instance else False)

        def given(key):
            if key in attrs:
                return bool(attrs[key])
            if instance is None:
                return False
            value = getattr(instance, key)
            return value.exists() if hasattr(value, "exists") else bool(value)

        if not whole and not any(given(k) for k in scope_keys):
            raise serializers.ValidationError(
                "Give a data scope: sees_whole_centre, or at least one of queues, pathways, "
                "channels, sites or segments.")
        return attrs


class WidgetSerializer(BoundedModelSerializer):
    metrics = serializers.ListField(child=serializers.ChoiceField(choices=list(WIDGET_METRICS)),
                                    allow_empty=False)

    class Meta:
        model = Widget
        fields = ["id", "dashboard", "kind", "title", "metrics", "granularity", "period",
                  "custom_start", "custom_end", "breakdown", "options", "position", "wide"]
        read_only_fields = ["position"]


class DashboardSerializer(BoundedModelSerializer):
    widgets = WidgetSerializer(many=True, read_only=True)

    class Meta:
        model = Dashboard
        fields = ["id", "stakeholder", "name", "description", "is_default", "widgets",
                  "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class ReorderSerializer(serializers.Serializer):
    order = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
