"""The metric catalogue: seeded definitions, versioning from a date, no overlapping versions,
thresholds restricted to the kept wait buckets, and the selectors the analysis engine calls."""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from measurements.constants import WAIT_BUCKETS_S
from measurements.models import IntervalStat, MetricDefinition
from measurements.selectors import (
    metric_definition_in_force,
    metric_figures,
    metric_versions_between,
)
from measurements.services.design import metric_definition_create, metric_definition_new_version
from pathways.models import Queue
from tests.design_factories import interval_row

pytestmark = pytest.mark.django_db
D = datetime.date

DESIGN_METRICS = {"offered", "answered", "abandoned", "short_abandons", "service_level", "asa",
                  "wait_percentile", "aht", "talk_time", "hold_time", "acw_time",
                  "abandon_rate", "occupancy", "transfer_rate", "escalation_rate",
                  "ivr_containment", "csat", "nps", "fcr", "cost_per_contact",
                  "forecast_accuracy", "required_agents"}


def test_seed_has_every_metric_of_the_design_and_all_service_level_variants():
    codes = set(MetricDefinition.objects.values_list("code", flat=True))
    assert codes >= DESIGN_METRICS
    variants = set(MetricDefinition.objects.filter(code="service_level")
                   .values_list("variant", flat=True))
    assert variants == {"excl_short_abandons", "of_offered", "excl_abandons_within_t",
                        "abandons_within_t_positive", "of_answered"}
    default = metric_definition_in_force("service_level", D(2026, 1, 1))
    assert default.variant == "excl_short_abandons"
    assert default.parameters == {"threshold_s": 20, "short_abandon_s": 5}
    # one default per (code) among versions in force
    for code in codes:
        assert MetricDefinition.objects.filter(code=code, is_default_variant=True).count() == 1


def _sl_sums(**over):
    sums = {"offered": 110, "answered": 95, "abandoned": 15, "answered_le_20s": 80,
            "abandoned_le_5s": 10, "abandoned_le_20s": 12}
    return {**sums, **over}


@pytest.mark.parametrize(("variant", "expected"), [
    ("excl_short_abandons", 80 / 100 * 100),        # 80 / (110 − 10)
    ("of_offered", 80 / 110 * 100),
    ("excl_abandons_within_t", 80 / 98 * 100),      # 80 / (110 − 12)
    ("abandons_within_t_positive", 92 / 110 * 100),
    ("of_answered", 80 / 95 * 100),
])
def test_service_level_variant_formulas_evaluate_over_sums(centre, variant, expected):
    queue = Queue.objects.create(centre=centre, code="Q")
    interval_row(centre, queue, D(2026, 2, 2), **_sl_sums())
    [figure] = metric_figures("service_level", D(2026, 2, 1), D(2026, 2, 28),
                              IntervalStat.objects.all(), variant=variant)
    assert figure.value == pytest.approx(expected)


def test_in_force_raises_when_no_version_covers_the_day():
    with pytest.raises(MetricDefinition.DoesNotExist):
        metric_definition_in_force("service_level", D(1999, 12, 31))


def test_new_version_from_a_date_closes_the_old_one_and_keeps_history():
    v1 = metric_definition_in_force("service_level", D(2026, 1, 1))
    v2 = metric_definition_new_version(v1, effective_from=D(2026, 3, 15),
                                       parameters={"threshold_s": 30, "short_abandon_s": 5},
                                       change_note="Board raised the threshold to 30 s")
    v1.refresh_from_db()
    assert v1.effective_to == D(2026, 3, 14) and v2.effective_to is None
    assert (v2.version, v2.variant, v2.is_default_variant) == (2, v1.variant, True)
    assert metric_definition_in_force("service_level", D(2026, 3, 14)) == v1
    assert metric_definition_in_force("service_level", D(2026, 3, 15)) == v2
    parts = metric_versions_between("service_level", D(2026, 3, 1), D(2026, 3, 31))
    assert [(p.definition.version, p.start_date, p.end_date) for p in parts] == [
        (1, D(2026, 3, 1), D(2026, 3, 14)), (2, D(2026, 3, 15), D(2026, 3, 31))]
    assert "threshold_s=30" in parts[1].label and "2026-03-15–2026-03-31" in parts[1].label


def test_a_threshold_change_leaves_last_months_figure_unchanged(centre):
    """February's service level is computed with the 20 s threshold; raising it to 30 s from
    1 March changes March only, and a month spanning a change is labelled per version."""
    queue = Queue.objects.create(centre=centre, code="Q")
    # February: 100 offered, 10 short abandons, 72 answered ≤ 20 s, 85 answered ≤ 30 s
    interval_row(centre, queue, D(2026, 2, 10), offered=100, answered=88, abandoned=12,
                 abandoned_le_5s=10, answered_le_20s=72, answered_le_30s=85)
    # March: 50 offered, 0 short abandons, 30 answered ≤ 20 s, 45 ≤ 30 s
    interval_row(centre, queue, D(2026, 3, 10), offered=50, answered=48, abandoned=2,
                 answered_le_20s=30, answered_le_30s=45)
    stats = IntervalStat.objects.filter(queue=queue)

    def february():
        [figure] = metric_figures("service_level", D(2026, 2, 1), D(2026, 2, 28), stats)
        return figure

    before = february()
    assert before.value == pytest.approx(80.0)  # 72 / (100 − 10)

    v1 = metric_definition_in_force("service_level", D(2026, 2, 1))
    metric_definition_new_version(v1, effective_from=D(2026, 3, 1),
                                  parameters={"threshold_s": 30, "short_abandon_s": 5})
    after = february()
    assert after.value == pytest.approx(before.value)
    assert after.period.definition.version == 1 and "threshold_s=20" in after.label

    [march] = metric_figures("service_level", D(2026, 3, 1), D(2026, 3, 31), stats)
    assert march.period.definition.version == 2
    assert march.value == pytest.approx(90.0)  # 45 / 50 with the 30 s threshold
    spanning = metric_figures("service_level", D(2026, 2, 1), D(2026, 3, 15), stats)
    assert [(f.period.definition.version, round(f.value, 1)) for f in spanning] == [
        (1, 80.0), (2, 90.0)]


def test_overlapping_versions_are_refused_naming_effective_from():
    with pytest.raises(ValidationError) as exc:
        metric_definition_create(code="service_level", variant="of_offered", version=2,
                                 name="SL", formula="100 × Σ answered_le_{T}s / Σ offered",
                                 unit="percent", effective_from=D(2026, 1, 1),
                                 parameters={"threshold_s": 20})
    assert "versions may not overlap" in exc.value.message_dict["effective_from"][0]


def test_overlapping_versions_are_refused_in_form_and_api(manager_client, api_client, manager):
    data = {"code": "asa", "variant": "", "name": "ASA",
            "formula": "Σ wait_answered_s / Σ answered", "unit": "seconds",
            "effective_from": "2026-01-01", "parameters": "{}",
            "components": "wait_answered_s, answered", "version": 2}
    response = manager_client.post(reverse("measurements:metric-create"), data)
    assert "versions may not overlap" in str(response.context["form"].errors["effective_from"])
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/metric-definitions/", {**data, "parameters": {},
                                                                "components": []}, format="json")
    assert response.status_code == 400
    assert "versions may not overlap" in response.json()["effective_from"][0]


def test_a_new_version_must_start_after_the_one_it_replaces():
    v1 = metric_definition_in_force("aht", D(2026, 1, 1))
    with pytest.raises(ValidationError) as exc:
        metric_definition_new_version(v1, effective_from=v1.effective_from)
    assert "effective_from" in exc.value.message_dict


def test_threshold_outside_the_kept_buckets_is_refused_with_the_buckets_listed(manager_client,
                                                                               api_client,
                                                                               manager):
    assert 25 not in WAIT_BUCKETS_S
    v1 = metric_definition_in_force("service_level", D(2026, 1, 1))
    with pytest.raises(ValidationError) as exc:
        metric_definition_new_version(v1, effective_from=D(2026, 4, 1),
                                      parameters={"threshold_s": 25, "short_abandon_s": 5})
    assert "threshold_s = 25 s is not one of the wait thresholds" in \
        exc.value.message_dict["parameters"][0]
    assert MetricDefinition.objects.filter(code="service_level", version=2).count() == 0
    v1.refresh_from_db()
    assert v1.effective_to is None  # nothing half-written

    response = manager_client.post(reverse("measurements:metric-new-version", args=[v1.pk]),
                                   {"effective_from": "2026-04-01", "threshold_s": 25,
                                    "short_abandon_s": 5})
    assert "5, 10, 15, 20, 30" in str(response.context["form"].errors["threshold_s"])
    api_client.force_authenticate(manager)
    response = api_client.post(f"/api/v1/metric-definitions/{v1.pk}/new_version/",
                               {"effective_from": "2026-04-01",
                                "parameters": {"threshold_s": 25}}, format="json")
    assert response.status_code == 400
    assert "not one of the wait thresholds" in response.json()["parameters"][0]


def test_new_version_through_the_browser_and_api(manager_client, api_client, manager):
    v1 = metric_definition_in_force("service_level", D(2026, 1, 1))
    response = manager_client.post(reverse("measurements:metric-new-version", args=[v1.pk]),
                                   {"effective_from": "2026-04-01", "threshold_s": 30,
                                    "short_abandon_s": 5, "change_note": "30 s from April"})
    assert response.status_code == 302
    assert metric_definition_in_force("service_level", D(2026, 4, 1)).parameters[
        "threshold_s"] == 30
    api_client.force_authenticate(manager)
    response = api_client.post(f"/api/v1/metric-definitions/{v1.pk}/new_version/",
                               {"effective_from": "2026-07-01",
                                "parameters": {"threshold_s": 15}}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["version"] == 3
    listing = api_client.get("/api/v1/metric-definitions/",
                             {"code": "service_level", "variant": "excl_short_abandons"}).json()
    assert [(r["version"], r["effective_from"], r["effective_to"]) for r in listing["results"]] \
        == [(1, "2000-01-01", "2026-03-31"), (2, "2026-04-01", "2026-06-30"),
            (3, "2026-07-01", None)]


def test_catalogue_page_lists_definitions_with_formulas(analyst_client):
    page = analyst_client.get(reverse("measurements:metric-list")).content.decode()
    assert "Service level (of answered)" in page
    assert "100 × Σ answered_le_{T}s / (Σ offered − Σ abandoned_le_{S}s)" in page


def test_changing_the_meaning_of_a_version_in_use_is_refused(centre):
    from measurements.services.design import design_object_create, metric_definition_update
    from tests.design_factories import pathway_ivr_queue_agent

    definition = metric_definition_in_force("asa", D(2026, 1, 1))
    pw = pathway_ivr_queue_agent(centre)
    design_object_create("config", metric=definition, step=pw["acd"])
    with pytest.raises(ValidationError) as exc:
        metric_definition_update(definition, formula="Σ wait_answered_s / Σ offered")
    assert "new version" in exc.value.message_dict["formula"][0]
    updated = metric_definition_update(definition, description="Mean wait of answered calls.")
    assert updated.description == "Mean wait of answered calls."


def test_a_definition_version_in_use_cannot_be_deleted(api_client, manager, centre):
    from measurements.services.design import design_object_create
    from tests.design_factories import pathway_ivr_queue_agent

    definition = metric_definition_in_force("aht", D(2026, 1, 1))
    design_object_create("config", metric=definition, step=pathway_ivr_queue_agent(centre)["agent"])
    api_client.force_authenticate(manager)
    response = api_client.delete(f"/api/v1/metric-definitions/{definition.pk}/")
    assert response.status_code == 400
    assert "Average handle time at Agent" in response.json()["non_field_errors"][0]
    assert MetricDefinition.objects.filter(pk=definition.pk).exists()
