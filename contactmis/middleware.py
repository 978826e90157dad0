"""Request middleware: login everywhere, debug pages for staff only, and the centre's time zone
for rendering."""
import zoneinfo

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.log import log_response
from django.views import defaults

from .scope import scope_for_user


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login, except views marked ``login_not_required`` (login, /healthz).

    The API is left to Django REST framework, which authenticates tokens as well as sessions and
    answers 401/403 instead of redirecting to the login page.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class CentreTimezoneMiddleware:
    """Renders dates in the centre's time zone, and attaches the user's data scope lazily."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .selectors import centre_current

        centre = centre_current()
        timezone.activate(zoneinfo.ZoneInfo(centre.time_zone if centre else "UTC"))
        request.scope = SimpleLazyObject(lambda: scope_for_user(request.user))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class DebugPagesForStaffMiddleware:
    """With ``DEBUG`` on, Django answers errors with its debug pages (settings, source, every URL
    pattern). Those reach staff users only; everyone else gets the styled 403/404/500 pages the
    site shows with ``DEBUG`` off. Does nothing when ``DEBUG`` is off."""

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _debug_hidden(request):
        user = getattr(request, "user", None)
        return settings.DEBUG and not getattr(user, "is_staff", False)

    def __call__(self, request):
        if self._debug_hidden(request):
            # An address no pattern matches never reaches a view: answer it before Django lists
            # the patterns.
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return defaults.page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not self._debug_hidden(request):
            return None
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return defaults.permission_denied(request, exception)
        if isinstance(exception, BadRequest | SuspiciousOperation):
            return defaults.bad_request(request, exception)
        signals.got_request_exception.send(sender=None, request=request)
        response = defaults.server_error(request)
        log_response("%s: %s", response.reason_phrase, request.path, response=response,
                     request=request, exception=exception)
        return response
