"""Query-string parameters parsed, never trusted.

Pages and API views read every id, date, period and choice from the query string through a form
field here, so a hostile value (``?forecast=abc``, ``?at=9999-12-31``) gets an answer naming the
parameter instead of an exception: 404 on a page (the object asked for does not exist), 400 from
the API. Dates must lie within ``DATE_MIN``–``DATE_MAX``: no contact-centre figure is older than
1990 or later than 2100, and bounded dates never overflow date arithmetic.
"""
from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404

DATE_MIN = dt.date(1990, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)


def date_in_range(value: dt.date | dt.datetime | None, name: str = "date") -> None:
    """Raise ``ValidationError`` when ``value`` lies outside ``DATE_MIN``–``DATE_MAX``."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(f"The {name} {day:%Y-%m-%d} is outside "
                              f"{DATE_MIN:%Y}–{DATE_MAX:%Y}.", code="date_range")


class BoundedDateField(forms.DateField):
    """A date within ``DATE_MIN``–``DATE_MAX``."""

    def validate(self, value):
        super().validate(value)
        date_in_range(value)


class BoundedDateTimeField(forms.DateTimeField):
    """A (naive, local) date and time within ``DATE_MIN``–``DATE_MAX``."""

    def to_python(self, value):
        # ISO 8601 local wall time in the centre's zone (``2026-11-20T09:00``, a date alone, a
        # space for the ``T``): no offset, no conversion from the active zone.
        if value in self.empty_values:
            return None
        try:
            parsed = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is not None:
            raise ValidationError("Enter a local date and time such as 2026-11-20T09:00.",
                                  code="invalid")
        return parsed

    def validate(self, value):
        super().validate(value)
        date_in_range(value)


def id_field(**kwargs) -> forms.IntegerField:
    """A positive database id (64-bit)."""
    return forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False, **kwargs)


def parse_param(params, name: str, field: forms.Field):
    """The value of query parameter ``name`` cleaned by ``field`` (``None`` when absent or
    empty); ``ValidationError`` naming the parameter when it is bad."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return field.clean(raw)
    except ValidationError as exc:
        raise ValidationError(f"“{name}”: {' '.join(exc.messages)}", code="bad_parameter") \
            from exc


def page_param(request, name: str, field: forms.Field):
    """``parse_param`` for a page: a bad value is 404 with a message naming the parameter."""
    try:
        return parse_param(request.GET, name, field)
    except ValidationError as exc:
        raise Http404(exc.messages[0]) from exc


def api_param(request, name: str, field: forms.Field):
    """``parse_param`` for the API: a bad value is 400 ``{name: [message]}``."""
    from rest_framework.exceptions import ValidationError as ApiValidationError

    try:
        return parse_param(request.query_params, name, field)
    except ValidationError as exc:
        raise ApiValidationError({name: exc.messages}) from exc
