from rest_framework import serializers

from contactmis.api.fields import BoundedModelSerializer

from ..constants import MeasurementMethod
from ..models import Pathway, Queue, Step, Transition


class QueueSerializer(BoundedModelSerializer):
    class Meta:
        model = Queue
        fields = ["id", "centre", "code", "name", "kind", "channel", "site"]


class PathwaySerializer(BoundedModelSerializer):
    class Meta:
        model = Pathway
        fields = ["id", "centre", "name", "channel", "description"]


class StepSerializer(BoundedModelSerializer):
    measurement_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=MeasurementMethod.choices), required=False)

    class Meta:
        model = Step
        fields = ["id", "pathway", "name", "kind", "is_entry", "queue", "system_of_record",
                  "measurement_methods", "position"]


class TransitionSerializer(BoundedModelSerializer):
    class Meta:
        model = Transition
        fields = ["id", "pathway", "source", "target", "kind", "label"]
        validators = []  # the model's unique edge rule is checked by full_clean in the service
