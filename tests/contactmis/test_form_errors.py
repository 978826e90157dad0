"""One helper shows a model or service ValidationError on a page's form."""

from django import forms
from django.core.exceptions import ValidationError

from contactmis.forms import form_errors_from
from tests.conftest import REPO


class _Form(forms.Form):
    name = forms.CharField()
    expected_figures = forms.CharField()


def _form():
    form = _Form({"name": "x", "expected_figures": "1"})
    assert form.is_valid()
    return form


def test_messages_go_under_their_field_or_above_the_form():
    form = _form()
    form_errors_from(
        form, ValidationError({"name": "Taken.", "owner": "Gone.", "__all__": "Clash."})
    )
    assert form.errors == {"name": ["Taken."], "__all__": ["Gone.", "Clash."]}


def test_a_model_field_can_be_shown_under_the_form_field_that_edits_it():
    form = _form()
    form_errors_from(
        form, ValidationError({"expected": "Not a number."}), {"expected": "expected_figures"}
    )
    assert form.errors == {"expected_figures": ["Not a number."]}


def test_a_plain_error_goes_above_the_form():
    form = _form()
    form_errors_from(form, ValidationError(["First.", "Second."]))
    assert form.non_field_errors() == ["First.", "Second."]


def test_no_page_module_converts_errors_by_hand():
    """Reading ``message_dict`` onto a form happens in contactmis/forms.py only (the API's one
    converter is contactmis/api/errors.py; models and services raise, they do not convert)."""
    allowed = {REPO / "contactmis" / "forms.py", REPO / "contactmis" / "api" / "errors.py"}
    offenders = [
        str(path.relative_to(REPO))
        for app in ("contactmis", "pathways", "measurements", "reports", "stakeholders")
        for path in (REPO / app).rglob("views*.py")
        if path not in allowed and "message_dict" in path.read_text()
    ]
    offenders += [
        str(path.relative_to(REPO))
        for app in ("contactmis", "pathways", "measurements", "reports", "stakeholders")
        for path in (REPO / app).rglob("views/*.py")
        if "message_dict" in path.read_text()
    ]
    assert offenders == []
