"""Stakeholder register pages: list, detail, create, edit, delete.

Managers and analysts read the register; only managers change it (an analyst gets 403). A viewer
gets 404 for every stakeholder page, whatever the id, so the register leaks nothing.
"""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from contactmis.forms import form_errors_from
from contactmis.roles import ManagerRequiredMixin, StaffRequiredMixin, is_manager

from .. import selectors, services
from ..forms import StakeholderForm
from ..scope import stakeholder_scope


class StakeholderListView(StaffRequiredMixin, View):
    def get(self, request):
        stakeholders = selectors.stakeholder_list(request.user)
        return render(request, "stakeholders/stakeholder_list.html", {
            "stakeholders": [(s, stakeholder_scope(s)) for s in stakeholders],
            "can_edit": is_manager(request.user),
        })


class StakeholderDetailView(StaffRequiredMixin, View):
    def get(self, request, pk):
        stakeholder = selectors.stakeholder_get(request.user, pk)
        return render(request, "stakeholders/stakeholder_detail.html", {
            "stakeholder": stakeholder, "scope": stakeholder_scope(stakeholder),
            "queues": stakeholder.queues.all(), "pathways": stakeholder.pathways.all(),
            "members": stakeholder.members.select_related("user"),
            "dashboards": stakeholder.dashboards.all(), "can_edit": is_manager(request.user),
        })


class StakeholderCreateView(ManagerRequiredMixin, View):
    template = "stakeholders/stakeholder_form.html"

    def get(self, request):
        return render(request, self.template, {"form": StakeholderForm()})

    def post(self, request):
        form = StakeholderForm(request.POST)
        if form.is_valid():
            try:
                stakeholder = services.stakeholder_create(**form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"Registered “{stakeholder}” with its default "
                                          "dashboard.")
                return redirect("stakeholders:stakeholder-detail", pk=stakeholder.pk)
        return render(request, self.template, {"form": form}, status=400)


class StakeholderUpdateView(ManagerRequiredMixin, View):
    template = "stakeholders/stakeholder_form.html"

    def get(self, request, pk):
        stakeholder = selectors.stakeholder_get(request.user, pk)
        return render(request, self.template, {"form": StakeholderForm(instance=stakeholder),
                                               "stakeholder": stakeholder})

    def post(self, request, pk):
        stakeholder = selectors.stakeholder_get(request.user, pk)
        form = StakeholderForm(request.POST, instance=stakeholder)
        if form.is_valid():
            try:
                services.stakeholder_update(stakeholder, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"Saved “{stakeholder}”.")
                return redirect("stakeholders:stakeholder-detail", pk=stakeholder.pk)
        return render(request, self.template, {"form": form, "stakeholder": stakeholder},
                      status=400)


class StakeholderDeleteView(ManagerRequiredMixin, View):
    def get(self, request, pk):
        stakeholder = selectors.stakeholder_get(request.user, pk)
        return render(request, "stakeholders/stakeholder_confirm_delete.html",
                      {"stakeholder": stakeholder})

    def post(self, request, pk):
        stakeholder = selectors.stakeholder_get(request.user, pk)
        name = str(stakeholder)
        services.stakeholder_delete(stakeholder)
        messages.success(request, f"Removed “{name}” and its dashboards.")
        return redirect(reverse("stakeholders:stakeholder-list"))


class DashboardAddDefaultView(ManagerRequiredMixin, View):
    """POST: give the stakeholder another copy of its type's default dashboard."""

    def post(self, request, pk):
        stakeholder = selectors.stakeholder_get(request.user, pk)
        dashboard = services.dashboard_create_default(stakeholder)
        messages.success(request, f"Added “{dashboard.name}”.")
        return redirect("stakeholders:dashboard-edit", pk=dashboard.pk)
