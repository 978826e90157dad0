"""ContactMIS project package: settings, URLs, the Celery app, accounts and the base UI."""
from .celery import app as celery_app

__all__ = ("celery_app",)
