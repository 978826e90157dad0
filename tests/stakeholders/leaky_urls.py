"""A URL configuration with two pages that forget the viewer's scope, for the crawler's
self-test (tests/stakeholders/test_crawler.py): it must report both."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views import View

from contactmis.roles import PageMixin
from contactmis.urls import urlpatterns as project_urlpatterns


class PlanNames(PageMixin, View):
    def get(self, request):
        from measurements.models import BusinessPlan

        return HttpResponse(", ".join(BusinessPlan.objects.values_list("name", flat=True)))


class DashboardName(PageMixin, View):
    def get(self, request, pk):
        from stakeholders.models import Dashboard

        return HttpResponse(get_object_or_404(Dashboard, pk=pk).name)


urlpatterns = [
    path("leaky/plan/", PlanNames.as_view()),
    path("leaky/dashboards/<int:pk>/", DashboardName.as_view()),
    *project_urlpatterns,  # the site's own pages, which the templates link to
]
