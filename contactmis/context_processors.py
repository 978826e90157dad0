"""Template context shared by every page."""
from django.urls import NoReverseMatch, reverse

from .navigation import AREAS
from .roles import ROLE_LABELS, role_of


def navigation(request):
    role = role_of(getattr(request, "user", None))
    if role is None:
        return {"nav_areas": [], "user_role": None}
    areas = []
    for title, items in AREAS:
        links = []
        for item in items:
            if role not in item.roles:
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            links.append({"label": item.label, "url": url,
                          "active": request.path.startswith(url)})
        if links:
            areas.append({"title": title, "links": links})
    return {"nav_areas": areas, "user_role": role, "user_role_label": ROLE_LABELS.get(role)}
