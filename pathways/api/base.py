"""A viewset base whose writes go through services, so the API refuses bad input with the same
field-named messages as the browser forms (model rules raise Django ``ValidationError``)."""
from django.core.exceptions import ValidationError as DjangoValidationError

from contactmis.api.base import ScopedModelViewSet
from contactmis.api.errors import as_api_error


class ServiceModelViewSet(ScopedModelViewSet):
    """``create_service(**data)``, ``update_service(instance, **data)`` and
    ``delete_service(instance)`` do the writing; Django validation errors become 400 responses
    keyed by field. Rows are narrowed to the user's scope by the base."""

    create_service = update_service = delete_service = None

    def service_data(self, serializer):
        return dict(serializer.validated_data)

    def perform_create(self, serializer):
        try:
            serializer.instance = type(self).create_service(**self.service_data(serializer))
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_update(self, serializer):
        try:
            serializer.instance = type(self).update_service(serializer.instance,
                                                            **self.service_data(serializer))
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_destroy(self, instance):
        try:
            type(self).delete_service(instance)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
