"""Serializer fields shared by every API: dates within the window every figure lives in."""
from django.core.exceptions import ValidationError
from rest_framework import serializers

from ..params import date_in_range


class BoundedDateField(serializers.DateField):
    """A date within ``contactmis.params.DATE_MIN``–``DATE_MAX`` (1990–2100)."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        try:
            date_in_range(day)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return day
