"""WSGI entry point (gunicorn contactmis.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactmis.settings")
application = get_wsgi_application()


def _preload():
    """Load the URLconf with every view, and the analysis engine's slowest imports (statsmodels
    takes seconds), while the worker starts rather than in the first visitor's request."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    import statsmodels.tsa.holtwinters  # noqa: F401


_preload()
