"""Root URL configuration."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from . import views
from .api.urls import urlpatterns as api_patterns

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(
        url_name="api-schema", template_name="drf_spectacular/redoc_offline.html"),
         name="api-redoc"),
    path("api/v1/", include(api_patterns)),
    path("pathways/", include("pathways.urls")),
    path("measurements/", include("measurements.urls")),
    path("analysis/", include("reports.urls")),
    path("present/", include("stakeholders.urls")),
]
