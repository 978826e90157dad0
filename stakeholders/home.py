"""Home-page panel of the stakeholders app: the register for staff, one's dashboard for viewers."""
from django.urls import reverse

from contactmis.roles import can_read_all

from .selectors import dashboard_landing, stakeholder_list


def home_panel(request):
    user = request.user
    if can_read_all(user):
        count = stakeholder_list(user).count()
        if not count:
            return None  # the home page's first-steps guide covers an empty register
        return {"title": "Stakeholders", "status": "ok",
                "lines": [f"{count} stakeholder{'s' if count != 1 else ''} registered, each "
                          "with its own data scope and dashboard."],
                "link": reverse("stakeholders:dashboard-list"), "link_label": "Dashboards"}
    dashboard = dashboard_landing(user)
    if dashboard is None:
        return {"title": "Your dashboard", "status": "empty",
                "lines": ["Your login is not linked to a stakeholder yet; ask the centre "
                          "manager to add you."]}
    return {"title": "Your dashboard", "status": "ok", "lines": [dashboard.name],
            "link": reverse("stakeholders:dashboard-detail", args=[dashboard.pk]),
            "link_label": "Open"}
