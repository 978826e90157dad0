"""Base pages: home, health and the sign-in lockout."""
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from .health import health_report
from .home import home_panels
from .roles import PageMixin
from .selectors import centre_current


class HomeView(PageMixin, TemplateView):
    """The centre's state at a glance, with next steps for a new manager."""

    template_name = "contactmis/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["centre"] = centre_current()
        context["panels"] = home_panels(self.request)
        return context


@never_cache
@require_GET
@login_not_required
def healthz(request):
    """States of database, broker and workers as JSON; 503 naming the failing part."""
    healthy, parts = health_report()
    return JsonResponse({"status": "ok" if healthy else "fail", **parts},
                        status=200 if healthy else 503)


def login_locked_out(request, original_response=None, credentials=None):
    """The page django-axes answers with once a user name and address have failed to sign in
    too often: when the lockout ends, in the centre's time (each further attempt restarts it)."""
    cool_off = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cool_off_minutes": int(cool_off.total_seconds() // 60),
        "retry_at": timezone.localtime(timezone.now() + cool_off),
    }
    return render(request, "registration/locked_out.html", context,
                  status=settings.AXES_HTTP_RESPONSE_CODE)
