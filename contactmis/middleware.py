"""Request middleware: login everywhere, and the centre's time zone for rendering."""
import zoneinfo

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

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
