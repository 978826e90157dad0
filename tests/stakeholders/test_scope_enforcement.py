"""A vendor's user cannot reach another vendor's data through any page, API endpoint, export,
drill-down or filter value: it gets 404 (not 403, not data), including by guessing ids.

The URL resolver is walked as in tests/contactmis/test_access.py, so endpoints added later are
tried automatically: every id parameter is filled with each of vendor B's ids, and every page is
asked for B's queue, stakeholder and dashboard as filter values. Any answer containing B's secret
marker fails, whichever app it comes from.
"""
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from .conftest import SECRET

pytestmark = pytest.mark.django_db

NEVER_EXISTS = 987_654
FILTER_PARAMS = ("queue", "queue_id", "stakeholder", "dashboard", "widget", "pathway", "key",
                 "agent", "site", "channel", "segment", "customer_segment", "contact_type")
SKIP_PREFIXES = ("admin/", "accounts/", "api/schema", "api/docs")


def _patterns(patterns=None, prefix="", namespace=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from _patterns(p.url_patterns, prefix + route, ns)
        elif isinstance(p, URLPattern):
            full = (prefix + route).replace("^", "").replace("$", "")
            if full.startswith(SKIP_PREFIXES) or "\\" in full and "(?P" not in full:
                continue
            yield full, namespace


def _route_params(route):
    """Path converters of a route: Django ``<int:pk>`` and regex ``(?P<pk>[^/.]+)`` forms."""
    return re.findall(r"<(?:(\w+):)?(\w+)>", route)


def _fill(route, value, str_value="csv"):
    """The route with every parameter set to ``value`` (str-like ones to ``str_value`` unless
    they are a primary key)."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(value) if m.group(1) in ("pk", "id")
                  else str_value, route)

    def sub_django(m):
        conv = m.group(1) or "str"
        return str(value) if conv in ("int", "path") or m.group(2) in ("pk", "id") \
            else str_value
    path = re.sub(r"<(?:(\w+):)?(\w+)>", sub_django, path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")


def _parameterised():
    out = []
    for route, namespace in _patterns():
        if "<" in route or "(?P" in route:
            out.append((route, namespace))
    return out


def _concrete():
    return [("/" + route, ns)
            for route, ns in _patterns() if "<" not in route and "(?P" not in route]


def _is_ours(route, namespace):
    return namespace == "stakeholders" or route.startswith(
        ("api/v1/stakeholders", "api/v1/dashboards", "api/v1/widgets"))


def _body(response):
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def _assert_no_leak(response, what, sent=()):
    """No trace of vendor B in the answer, other than an echo of the values we sent (a form
    error repeating a filter value reveals nothing)."""
    body = _body(response)
    for value in sorted({str(v) for v in sent}, key=len, reverse=True):
        body = body.replace(value.encode(), b"")
    assert SECRET.encode() not in body, f"{what} leaked vendor B's data"
    assert SECRET.lower().encode() not in body.lower(), f"{what} leaked vendor B's data"


def test_the_walk_covers_the_dashboard_pages_and_api(two_vendors):
    routes = {r for r, _ in _parameterised()}
    for expected in ("present/dashboards/<int:pk>/", "present/widgets/<int:pk>/drill/",
                     "present/widgets/<int:pk>/export.<str:fmt>",
                     "present/stakeholders/<int:pk>/"):
        assert expected in routes
    assert any(r.startswith("api/v1/widgets") and "data" in r for r in routes)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_vendor_gets_404_for_every_id_of_another_vendor(two_vendors, client, viewer, method):
    """Every parameterised URL × every id of vendor B, read and write."""
    client.force_login(viewer)
    tried = 0
    for route, namespace in _parameterised():
        for b_id in two_vendors["b_ids"]:
            path = _fill(route, b_id)
            response = getattr(client, method)(path)
            _assert_no_leak(response, f"{method.upper()} {path}")
            tried += 1
            if response.status_code == 404:
                continue
            # Ours answer 404, or 405 for a method the URL never takes. Another app's endpoint
            # may be gated by role or method for every id alike; that reveals nothing, as long
            # as a never-existing id gets the same answer.
            assert response.status_code == 405 or not _is_ours(route, namespace), \
                f"{method.upper()} {path} answered {response.status_code}, expected 404"
            control = getattr(client, method)(_fill(route, NEVER_EXISTS))
            assert response.status_code == control.status_code, \
                f"{method.upper()} {path} answered {response.status_code} but a missing id " \
                f"{control.status_code}: the difference reveals B's object"
    assert tried >= 30


def test_the_api_gives_a_vendor_404_for_another_vendors_objects(two_vendors, api_client,
                                                                 viewer):
    api_client.force_authenticate(viewer)
    b = two_vendors
    for path in (f"/api/v1/stakeholders/{b['b'].pk}/", "/api/v1/dashboards/9201/",
                 "/api/v1/dashboards/9201/data/", "/api/v1/widgets/9301/",
                 "/api/v1/widgets/9301/data/"):
        assert api_client.get(path).status_code == 404, path
    assert api_client.patch("/api/v1/widgets/9301/", {"title": "x"},
                            format="json").status_code == 404
    assert api_client.delete("/api/v1/dashboards/9201/").status_code == 404
    listing = api_client.get("/api/v1/stakeholders/").json()
    assert [s["name"] for s in listing["results"] if "results" in listing] or [
        s["name"] for s in listing] == ["Vendor A"]
    _assert_no_leak(api_client.get("/api/v1/dashboards/"), "dashboard list")
    _assert_no_leak(api_client.get("/api/v1/widgets/"), "widget list")


def _own_paths(two_vendors):
    a = two_vendors["dashboard_a"]
    widgets = list(a.widgets.all())
    paths = ["/present/dashboards/", f"/present/dashboards/{a.pk}/", "/present/wallboard/",
             f"/api/v1/dashboards/{a.pk}/data/"]
    for w in widgets:
        paths += [f"/present/widgets/{w.pk}/drill/", f"/present/widgets/{w.pk}/export.csv",
                  f"/present/widgets/{w.pk}/export.xlsx", f"/api/v1/widgets/{w.pk}/data/"]
    return paths


def test_filter_values_of_another_vendor_are_404_on_every_dashboard_path(two_vendors, client,
                                                                         viewer):
    client.force_login(viewer)
    for path in _own_paths(two_vendors):
        if path == "/present/dashboards/":
            continue
        for param, value in (("queue", 9001), ("queue", "9001abc"), ("queue", NEVER_EXISTS)):
            response = client.get(path, {param: value})
            assert response.status_code == 404, f"{path}?{param}={value}"
    # A drill-down by the breakdown value of a series: B's queue id.
    by_queue = two_vendors["dashboard_a"].widgets.get(breakdown="queue", kind="time_series")
    response = client.get(f"/present/widgets/{by_queue.pk}/drill/", {"key": 9001})
    assert response.status_code == 404
    assert client.get("/present/wallboard/", {"stakeholder": 9101}).status_code == 404


def test_every_page_given_another_vendors_filter_values_shows_none_of_its_data(two_vendors,
                                                                               client, viewer):
    """Pages of any app, asked for B's objects by filter value: 404 or nothing of B's."""
    client.force_login(viewer)
    a = two_vendors["dashboard_a"]
    widget = a.widgets.get(breakdown="queue", kind="time_series")
    paths = [p for p, _ in _concrete()] + [
        f"/present/dashboards/{a.pk}/", f"/present/widgets/{widget.pk}/drill/",
        f"/present/widgets/{widget.pk}/export.csv", f"/api/v1/widgets/{widget.pk}/data/"]
    tried = 0
    for path in paths:
        # Every filter name at once with B's ids, then with B's names; then each on its own
        # for the filters most pages take. (One request per name and value for every page of
        # every app would make this test minutes long.)
        queries = [{param: 9001 for param in FILTER_PARAMS},
                   {param: f"VB-{SECRET}" for param in FILTER_PARAMS},
                   {"queue": 9001}, {"queue": 9101}, {"stakeholder": 9101}, {"dashboard": 9201},
                   {"site": "Cork"}, {"contact_type": f"type-{SECRET}"},
                   {"customer_segment": f"seg-{SECRET}"}]
        for query in queries:
            response = client.get(path, query)
            assert response.status_code != 500, f"{path}?{query}"
            _assert_no_leak(response, f"{path}?{query}", sent=query.values())
            tried += 1
    assert tried > 50


def test_a_vendors_own_dashboard_shows_its_own_data_and_nothing_else(two_vendors, client,
                                                                     viewer):
    client.force_login(viewer)
    for path in _own_paths(two_vendors):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        _assert_no_leak(response, path)
    drill = client.get(f"/present/widgets/{two_vendors['dashboard_a'].widgets.first().pk}/"
                       "drill/?at=" + two_vendors["now"].strftime("%Y-%m-%dT09:00:00"))
    body = drill.content.decode()
    assert "Vendor A sales" in body and "A-0" in body


def test_a_vendors_centre_total_is_its_own_total(two_vendors, api_client, viewer):
    from measurements.models import IntervalStat
    from reports.periods import resolve_period

    api_client.force_authenticate(viewer)
    data = api_client.get(f"/api/v1/dashboards/{two_vendors['dashboard_a'].pk}/data/").json()
    tile = next(w for w in data["widgets"] if w["title"] == "Handled, last 7 days")
    period = resolve_period("last_7_days", two_vendors["now"], "Europe/London")
    own = sum(IntervalStat.objects.filter(
        queue=two_vendors["queue_a"], local_date__gte=period.first_day,
        local_date__lte=period.last_day).values_list("handled", flat=True))
    everyone = sum(IntervalStat.objects.filter(
        local_date__gte=period.first_day, local_date__lte=period.last_day,
    ).values_list("handled", flat=True))
    assert tile["tile"]["value"] == own
    assert own < everyone


def test_a_viewer_without_a_stakeholder_sees_no_dashboard(two_vendors, client,
                                                          django_user_model):
    from contactmis.services import user_create_with_role

    loner = user_create_with_role(username="loner", password="loner-pass-2026", role="viewer")
    client.force_login(loner)
    response = client.get("/present/dashboards/")
    assert response.status_code == 200
    assert "not linked to a stakeholder" in response.content.decode()
    assert client.get(f"/present/dashboards/{two_vendors['dashboard_a'].pk}/").status_code \
        == 404
    wall = client.get("/present/wallboard/")
    assert wall.status_code == 200
    _assert_no_leak(wall, "wallboard")
    assert "Vendor A sales" not in wall.content.decode()
