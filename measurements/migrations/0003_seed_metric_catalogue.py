"""Seeds the metric catalogue with the standard contact-centre metrics of DESIGN.md, version 1,
in force from 2000-01-01. ``{T}`` / ``{S}`` in component names stand for the ``threshold_s`` /
``short_abandon_s`` parameters. Percent metrics are 0–100."""
import datetime

from django.db import migrations

SINCE = datetime.date(2000, 1, 1)
SL_PARAMS = {"threshold_s": 20, "short_abandon_s": 5}


def _m(code, name, formula, unit, components, *, variant="", default=True, low=None, high=None,
       better=None, params=None, description=""):
    return dict(code=code, variant=variant, is_default_variant=default, name=name,
                formula=formula, unit=unit, components=components, valid_min=low,
                valid_max=high, higher_is_better=better, parameters=params or {},
                description=description)


METRICS = [
    _m("offered", "Offered", "Σ offered", "count", ["offered"], low=0,
       description="Contacts that entered the queue; IVR-contained contacts are not offered."),
    _m("answered", "Answered", "Σ answered", "count", ["answered"], low=0, better=True),
    _m("abandoned", "Abandoned", "Σ abandoned", "count", ["abandoned"], low=0, better=False),
    _m("short_abandons", "Short abandons", "Σ abandoned_le_{S}s", "count",
       ["abandoned_le_{S}s"], low=0, params={"short_abandon_s": 5},
       description="Abandoned with wait ≤ the short-abandon threshold."),
    _m("service_level", "Service level",
       "100 × Σ answered_le_{T}s / (Σ offered − Σ abandoned_le_{S}s)", "percent",
       ["answered_le_{T}s", "offered", "abandoned_le_{S}s"], variant="excl_short_abandons",
       low=0, high=100, better=True, params=SL_PARAMS,
       description="Default: abandons after T count against, short abandons excluded."),
    _m("service_level", "Service level (of offered)", "100 × Σ answered_le_{T}s / Σ offered",
       "percent", ["answered_le_{T}s", "offered"], variant="of_offered", default=False,
       low=0, high=100, better=True, params={"threshold_s": 20}),
    _m("service_level", "Service level (abandons within T excluded)",
       "100 × Σ answered_le_{T}s / (Σ offered − Σ abandoned_le_{T}s)", "percent",
       ["answered_le_{T}s", "offered", "abandoned_le_{T}s"], variant="excl_abandons_within_t",
       default=False, low=0, high=100, better=True, params={"threshold_s": 20}),
    _m("service_level", "Service level (abandons within T positive)",
       "100 × (Σ answered_le_{T}s + Σ abandoned_le_{T}s) / Σ offered", "percent",
       ["answered_le_{T}s", "abandoned_le_{T}s", "offered"],
       variant="abandons_within_t_positive", default=False, low=0, high=100, better=True,
       params={"threshold_s": 20}),
    _m("service_level", "Service level (of answered)", "100 × Σ answered_le_{T}s / Σ answered",
       "percent", ["answered_le_{T}s", "answered"], variant="of_answered", default=False,
       low=0, high=100, better=True, params={"threshold_s": 20}),
    _m("asa", "Average speed of answer", "Σ wait_answered_s / Σ answered", "seconds",
       ["wait_answered_s", "answered"], low=0, better=False),
    _m("wait_percentile", "Wait time, 50th percentile",
       "smallest bucket b with Σ answered_le_{b}s ≥ 0.50 × Σ answered (interpolated)",
       "seconds", ["answered_le_*s", "answered"], variant="p50", default=False, low=0,
       better=False, params={"percentile": 50}),
    _m("wait_percentile", "Wait time, 80th percentile",
       "smallest bucket b with Σ answered_le_{b}s ≥ 0.80 × Σ answered (interpolated)",
       "seconds", ["answered_le_*s", "answered"], variant="p80", default=False, low=0,
       better=False, params={"percentile": 80}),
    _m("wait_percentile", "Wait time, 90th percentile",
       "smallest bucket b with Σ answered_le_{b}s ≥ 0.90 × Σ answered (interpolated)",
       "seconds", ["answered_le_*s", "answered"], variant="p90", low=0, better=False,
       params={"percentile": 90}),
    _m("service_level_curve", "Service-level curve",
       "for each bucket b: 100 × Σ answered_le_{b}s / Σ offered", "percent",
       ["answered_le_*s", "offered"], low=0, high=100, better=True),
    _m("aht", "Average handle time", "(Σ talk_s + Σ hold_s + Σ acw_s) / Σ handled", "seconds",
       ["talk_s", "hold_s", "acw_s", "handled"], low=0, better=False),
    _m("talk_time", "Average talk time", "Σ talk_s / Σ handled", "seconds",
       ["talk_s", "handled"], low=0, description="Part of AHT."),
    _m("hold_time", "Average hold time", "Σ hold_s / Σ handled", "seconds",
       ["hold_s", "handled"], low=0, better=False, description="Part of AHT."),
    _m("acw_time", "Average after-call work", "Σ acw_s / Σ handled", "seconds",
       ["acw_s", "handled"], low=0, better=False, description="Part of AHT."),
    _m("abandon_rate", "Abandon rate",
       "100 × (Σ abandoned − Σ abandoned_le_{S}s) / (Σ offered − Σ abandoned_le_{S}s)",
       "percent", ["abandoned", "abandoned_le_{S}s", "offered"], low=0, high=100,
       better=False, params={"short_abandon_s": 5}),
    _m("occupancy", "Occupancy", "100 × Σ busy_s / (Σ busy_s + Σ available_s)", "percent",
       ["busy_s", "available_s"], low=0, high=100,
       description="From agent states; too high burns agents out, too low wastes cost."),
    _m("transfer_rate", "Transfer rate", "100 × Σ transfers / Σ handled", "percent",
       ["transfers", "handled"], low=0, high=100, better=False),
    _m("escalation_rate", "Escalation rate", "100 × Σ escalations / Σ handled", "percent",
       ["escalations", "handled"], low=0, high=100, better=False),
    _m("ivr_containment", "IVR containment", "100 × Σ ivr_contained / Σ ivr_sessions",
       "percent", ["ivr_contained", "ivr_sessions"], low=0, high=100, better=True,
       description="IVR sessions ending in self-service with no agent leg / IVR sessions."),
    _m("csat", "Customer satisfaction (top-two-box)",
       "100 × responses with csat ≥ 4 / responses with a csat answer (always with n)",
       "percent", ["survey.csat"], low=0, high=100, better=True),
    _m("nps", "Net promoter score",
       "100 × (responses 9–10 − responses 0–6) / responses with an nps answer (with n)",
       "score", ["survey.nps"], low=-100, high=100, better=True),
    _m("fcr", "First-contact resolution",
       "100 × responses resolved first time / responses answering the question", "percent",
       ["survey.resolved_first_time"], low=0, high=100, better=True),
    _m("cost_per_contact", "Cost per contact", "cost (budget or actual) / Σ handled, per channel",
       "currency", ["budget.amount", "handled"], low=0, better=False),
    _m("forecast_accuracy", "Forecast accuracy (WAPE)",
       "100 × Σ |actual − forecast| / Σ actual, per interval", "percent",
       ["offered", "forecast.offered"], variant="wape", low=0, better=False),
    _m("forecast_accuracy", "Forecast bias", "100 × Σ (forecast − actual) / Σ actual",
       "percent", ["offered", "forecast.offered"], variant="bias", default=False),
    _m("required_agents", "Required agents (Erlang C)",
       "smallest N with SL(T) ≥ target, A = Σ offered × AHT / interval_s; "
       "scheduled = N / (1 − shrinkage)", "agents",
       ["offered", "talk_s", "hold_s", "acw_s", "handled"], low=0,
       params={"threshold_s": 20, "target_service_level": 80, "interval_s": 900,
               "shrinkage": 0.3}),
]


def seed(apps, schema_editor):
    MetricDefinition = apps.get_model("measurements", "MetricDefinition")
    for metric in METRICS:
        MetricDefinition.objects.update_or_create(
            code=metric["code"], variant=metric["variant"], version=1,
            defaults={**metric, "effective_from": SINCE, "change_note": "Standard definition."},
        )


def unseed(apps, schema_editor):
    MetricDefinition = apps.get_model("measurements", "MetricDefinition")
    MetricDefinition.objects.filter(version=1, effective_from=SINCE).delete()


class Migration(migrations.Migration):
    dependencies = [("measurements", "0002_business_plan_catalogue_config")]
    operations = [migrations.RunPython(seed, unseed)]
