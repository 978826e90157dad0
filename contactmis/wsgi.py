"""WSGI entry point (gunicorn contactmis.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactmis.settings")
application = get_wsgi_application()

from contactmis.startup import warm_up  # noqa: E402  (after Django is set up)

warm_up()
