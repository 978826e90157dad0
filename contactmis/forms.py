"""The one way a page shows a model or service ``ValidationError`` on its form (the API's is
``contactmis.api.errors``)."""

from django.core.exceptions import ValidationError


def form_errors_from(form, exc: ValidationError, renamed: dict[str, str] | None = None) -> None:
    """Adds the messages of ``exc`` to ``form``: each under its field when the form has one
    (``renamed`` maps a model field to the form field that edits it), else above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    renamed = renamed or {}
    for name, messages in exc.message_dict.items():
        target = renamed.get(name, name)
        form.add_error(target if target in form.fields else None, messages)
