"""Serializer fields shared by every API: dates within the window every figure lives in."""
from django.core.exceptions import ValidationError
from django.db import models
from rest_framework import serializers

from ..params import date_in_range


class _Bounded:
    """Refuses a parsed value outside ``contactmis.params.DATE_MIN``–``DATE_MAX`` (1990–2100)."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        try:
            date_in_range(parsed)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return parsed


class BoundedDateField(_Bounded, serializers.DateField):
    """A date within 1990–2100."""


class BoundedDateTimeField(_Bounded, serializers.DateTimeField):
    """A date and time within 1990–2100."""


class BoundedModelSerializer(serializers.ModelSerializer):
    """The base of every model serializer: model date and date-time fields accept only values
    within 1990–2100, so hostile JSON cannot store a day date arithmetic overflows on."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.DateField: BoundedDateField,
                                models.DateTimeField: BoundedDateTimeField}
