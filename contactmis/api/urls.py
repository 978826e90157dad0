"""``/api/v1/``: the project's own endpoints plus each app's ``<app>/api/urls.py``."""
from importlib import import_module

from django.urls import include, path

from . import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("centres/", views.CentreListView.as_view(), name="api-centre-list"),
]

for _app in ("pathways", "measurements", "reports", "stakeholders"):
    try:
        import_module(f"{_app}.api.urls")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"{_app}.api", f"{_app}.api.urls"):
            raise
        continue
    urlpatterns.append(path("", include(f"{_app}.api.urls")))
