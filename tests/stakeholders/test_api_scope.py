"""Deny by default: every API viewset narrows its rows through one base, and the centre's plan,
budget, planned volumes, objectives and KPIs are invisible to a vendor's viewer (an empty list,
404 for every id), while a vendor still sees its own contract targets."""
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import viewsets
from rest_framework.generics import GenericAPIView

from contactmis.api.base import ScopedModelViewSet, ScopedViewSetMixin

from .conftest import CENTRE_ONLY, SECRET

pytestmark = pytest.mark.django_db


def _api_view_classes(patterns=None):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _api_view_classes(p.url_patterns)
        elif isinstance(p, URLPattern) and getattr(p.callback, "cls", None) is not None:
            yield p.callback.cls


def unscoped(classes):
    """Generic DRF views that bypass the scoped base: not derived from it, or overriding
    ``get_queryset`` below it."""
    bad = set()
    for cls in classes:
        if not issubclass(cls, GenericAPIView):
            continue
        if not issubclass(cls, ScopedViewSetMixin) or \
                cls.get_queryset is not ScopedViewSetMixin.get_queryset:
            bad.add(cls.__name__)
    return bad


def test_every_api_view_with_rows_derives_from_the_scoped_base():
    classes = set(_api_view_classes())
    assert len([c for c in classes if issubclass(c, GenericAPIView)]) >= 15
    assert unscoped(classes) == set()


def test_the_guard_catches_a_viewset_that_forgets_the_scope():
    from measurements.models import BusinessPlan

    class Forgetful(viewsets.ModelViewSet):
        queryset = BusinessPlan.objects.all()

    class Overriding(ScopedModelViewSet):
        queryset = BusinessPlan.objects.all()

        def get_queryset(self):
            return BusinessPlan.objects.all()

    assert unscoped({Forgetful, Overriding}) == {"Forgetful", "Overriding"}


CENTRE_ENDPOINTS = ("plans", "objectives", "kpis", "budget-lines", "planned-volumes")


def test_a_vendor_viewer_sees_none_of_the_centres_plan_or_budget(centre_plan, api_client,
                                                                  viewer):
    api_client.force_authenticate(viewer)
    ids = {"plans": centre_plan["plan"].pk, "objectives": centre_plan["objective"].pk,
           "kpis": centre_plan["kpi"].pk, "budget-lines": centre_plan["budget"].pk,
           "planned-volumes": centre_plan["volume"].pk}
    for endpoint in CENTRE_ENDPOINTS:
        listing = api_client.get(f"/api/v1/{endpoint}/")
        assert listing.status_code == 200, endpoint
        assert listing.json()["count"] == 0, endpoint
        assert api_client.get(f"/api/v1/{endpoint}/{ids[endpoint]}/").status_code == 404
    assert api_client.get(f"/api/v1/plans/{ids['plans']}/chain/").status_code == 404
    for endpoint in CENTRE_ENDPOINTS:
        body = api_client.get(f"/api/v1/{endpoint}/").content
        assert CENTRE_ONLY.encode() not in body and b"4650" not in body


def test_a_vendor_viewer_sees_its_own_contract_targets_only(centre_plan, api_client, viewer):
    api_client.force_authenticate(viewer)
    from measurements.models import Target

    listing = api_client.get("/api/v1/targets/").json()
    own = centre_plan["target_a"].queue_id
    assert centre_plan["target_a"].pk in {t["id"] for t in listing["results"]}
    assert sorted(t["id"] for t in listing["results"]) == sorted(
        Target.objects.filter(queue_id=own).values_list("pk", flat=True))
    assert api_client.get(f"/api/v1/targets/{centre_plan['target_b'].pk}/").status_code == 404
    assert SECRET.encode() not in api_client.get("/api/v1/targets/").content


def test_staff_still_read_the_whole_plan(centre_plan, api_client, analyst):
    api_client.force_authenticate(analyst)
    for endpoint in CENTRE_ENDPOINTS:
        assert api_client.get(f"/api/v1/{endpoint}/").json()["count"] >= 1, endpoint
    chain = api_client.get(f"/api/v1/plans/{centre_plan['plan'].pk}/chain/")
    assert chain.status_code == 200
    from measurements.models import Target

    assert api_client.get("/api/v1/targets/").json()["count"] == Target.objects.count()


def test_a_vendor_viewer_reads_the_catalogue_and_its_centre(centre_plan, api_client, viewer):
    api_client.force_authenticate(viewer)
    assert api_client.get("/api/v1/metric-definitions/").json()["count"] > 0
    assert api_client.get("/api/v1/centres/").status_code == 200


def test_a_vendor_viewer_cannot_write_the_plan(centre_plan, api_client, viewer):
    api_client.force_authenticate(viewer)
    response = api_client.patch(f"/api/v1/plans/{centre_plan['plan'].pk}/", {"name": "x"},
                                format="json")
    assert response.status_code == 403
    centre_plan["plan"].refresh_from_db()
    assert CENTRE_ONLY in centre_plan["plan"].name


def test_a_vendors_quality_caveats_are_those_of_its_own_sources_and_tests(two_vendors, centre,
                                                                           viewer, today):
    """The KPI caveats of a vendor name no other source's gaps and no centre-wide test."""
    import datetime as dt

    from contactmis.scope import Scope
    from measurements.models import Alert, DataSource, MeasurementTest, TestRun
    from measurements.selectors import quality_caveats
    from stakeholders.scope import scope_for_user

    ivr = DataSource.objects.create(centre=centre, name=f"IVR {SECRET}", kind="ivr")
    moment = dt.datetime.combine(today, dt.time(9), tzinfo=centre.tz)
    Alert.objects.create(centre=centre, source=ivr, source_name=ivr.name, code="gap",
                         key="gap-ivr", message=f"IVR sessions {SECRET}: 5 intervals missing",
                         period_start=moment, period_end=moment)
    Alert.objects.create(centre=centre, source=two_vendors["source"], source_name="ACD",
                         code="gap", key="gap-acd", message="ACD: 2 intervals missing",
                         period_start=moment, period_end=moment)
    test = MeasurementTest.objects.create(centre=centre, name=f"Reconcile {SECRET}",
                                          kind="reconcile")
    TestRun.objects.create(test=test, status="failed", message="IVR and ACD disagree",
                           period_start=moment, period_end=moment)
    everything = quality_caveats(Scope.everything(), today, today, centre=centre)
    assert len(everything) == 3
    vendor = quality_caveats(scope_for_user(viewer), today, today, centre=centre)
    assert vendor == ["Data collection: ACD: 2 intervals missing"]


def test_a_plan_beyond_the_calendar_is_refused_by_the_api(two_vendors, api_client, manager,
                                                          centre):
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/plans/", {
        "centre": centre.pk, "name": "Forever", "period_start": "2026-01-01",
        "period_end": "9999-12-31", "currency": "EUR"}, format="json")
    assert response.status_code == 400
    assert "1990–2100" in response.json()["period_end"][0]
