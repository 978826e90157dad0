"""One error convention for the whole API: model and service rules raise Django's
``ValidationError``; the API answers 400 with the messages keyed by field (``non_field_errors``
for the rest), whichever endpoint raised it and whether or not it caught it."""
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.views import exception_handler as drf_exception_handler


def as_api_error(exc: DjangoValidationError) -> serializers.ValidationError:
    """The DRF 400 error for a Django ``ValidationError``."""
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(
            {("non_field_errors" if k == "__all__" else k): v
             for k, v in exc.message_dict.items()})
    return serializers.ValidationError({"non_field_errors": exc.messages})


def exception_handler(exc, context):
    """DRF's handler, with Django validation errors answered as 400 instead of 500."""
    if isinstance(exc, DjangoValidationError):
        exc = as_api_error(exc)
    return drf_exception_handler(exc, context)
