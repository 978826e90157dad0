"""Every page view is a ``PageMixin``: the one place that applies the viewer's scope and the
access convention (404 for a viewer outside its scope, 403 for a role that sees the centre but may
not use the page). The routes come from the URL resolver, so a new page is checked at once."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from contactmis.roles import ANALYST, MANAGER, VIEWER, PageMixin

pytestmark = pytest.mark.django_db

# Pages that are not the project's own views: the sign-in pages (open before a login), the health
# probe, the admin and the API (whose viewsets have their own base, contactmis.api.base).
NOT_PAGES = ("healthz", "accounts/login/", "accounts/logout/")
NOT_PAGE_PREFIXES = ("admin/", "api/")


def _pages(patterns=None, prefix=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _pages(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            if route not in NOT_PAGES and not route.startswith(NOT_PAGE_PREFIXES):
                yield route, p.callback


def _path(route):
    return "/" + re.sub(
        r"<(?:(\w+):)?(\w+)>", lambda m: "csv" if m.group(1) == "str" else "1", route
    )


def _without_mixin(patterns=None):
    return [
        f"/{route} ({getattr(view, 'view_class', view).__qualname__})"
        for route, view in _pages(patterns)
        if not issubclass(getattr(view, "view_class", type(None)), PageMixin)
    ]


def test_every_page_view_uses_the_page_mixin():
    assert len(list(_pages())) > 60
    assert _without_mixin() == [], "pages without PageMixin:\n" + "\n".join(_without_mixin())


def test_the_guard_catches_a_page_without_the_mixin():
    from django.urls import path
    from django.views.generic import TemplateView

    def forgotten_function(request):
        raise AssertionError("never called")

    class Forgotten(TemplateView):
        template_name = "404.html"

    patterns = [
        *get_resolver().url_patterns,
        path("forgotten/", Forgotten.as_view()),
        path("forgotten-too/", forgotten_function),
    ]
    assert _without_mixin(patterns) == [
        "/forgotten/ (test_the_guard_catches_a_page_without_the_mixin.<locals>.Forgotten)",
        "/forgotten-too/ (test_the_guard_catches_a_page_without_"
        "the_mixin.<locals>.forgotten_function)",
    ]


def test_a_viewer_gets_404_and_an_analyst_403_for_pages_beyond_their_role(client, viewer, analyst):
    answers = {VIEWER: [], ANALYST: []}
    for route, view in _pages():
        allowed = view.view_class.allowed_roles
        for user, role in ((viewer, VIEWER), (analyst, ANALYST)):
            if role in allowed:
                continue
            client.force_login(user)
            for method in (client.get, client.post):
                status = method(_path(route)).status_code
                if status != (404 if role == VIEWER else 403):
                    answers[role].append(f"{method.__name__.upper()} /{route}: {status}")
    assert answers == {VIEWER: [], ANALYST: []}


def test_centre_wide_planning_pages_are_404_to_a_viewer(viewer_client):
    for path in (
        "/measurements/plans/",
        "/measurements/plans/1/",
        "/measurements/metrics/",
        "/measurements/configs/",
        "/pathways/",
        "/analysis/staffing/",
        "/present/stakeholders/",
    ):
        response = viewer_client.get(path)
        assert response.status_code == 404, path
        assert "<h1>Not found</h1>" in response.content.decode()


def test_manager_pages_stay_open_to_managers(client, manager):
    assert MANAGER in PageMixin.allowed_roles
    client.force_login(manager)
    assert client.get("/measurements/plans/").status_code == 200
    assert client.get("/present/stakeholders/").status_code == 200
