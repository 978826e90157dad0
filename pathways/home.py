"""Home-page panel of the pathways app: how much of the centre's routes is mapped and measured."""
from django.db.models import Count, Q
from django.urls import reverse

from contactmis.roles import can_read_all

from .models import Pathway, Step


def home_panel(request):
    """Pathways mapped, and steps no measurement configuration captures (managers, analysts)."""
    if not can_read_all(request.user):
        return None
    pathways = Pathway.objects.restrict(request.scope).count()
    if not pathways:
        return {"title": "Contact pathways", "status": "empty",
                "lines": ["No pathway mapped yet: map the routes customers take, then say "
                          "which measurement each step takes."],
                "link": reverse("pathways:pathway-create"), "link_label": "Map a pathway"}
    steps = Step.objects.restrict(request.scope).aggregate(
        total=Count("pk", distinct=True),
        unmeasured=Count("pk", filter=Q(measurement_configs__isnull=True), distinct=True))
    lines = [f"{pathways} pathway{'s' if pathways != 1 else ''}, {steps['total']} steps."]
    if steps["unmeasured"]:
        lines.append(f"{steps['unmeasured']} step{'s' if steps['unmeasured'] != 1 else ''} "
                     "with no measurement.")
    return {"title": "Contact pathways", "status": "warn" if steps["unmeasured"] else "ok",
            "lines": lines, "link": reverse("pathways:pathway-list"), "link_label": "Pathways"}
