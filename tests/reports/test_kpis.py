"""KPIs against hand-computed cases, every service-level variant, and the average-of-averages
trap. Pure analysis: no database."""
import numpy as np
import pandas as pd
import pytest

from reports.analysis.kpis import (
    SL_VARIANTS,
    KpiParams,
    kpi_table,
    kpis_from_sums,
    service_level_curve,
    wait_percentiles,
)

# The standard service-level definition: T = 20 s, short abandons ≤ 5 s.
T20 = {"sl_threshold_s": 20, "short_abandon_s": 5}


def two_intervals():
    # Interval 1: a quiet one with good service; interval 2: a busy one with poor service.
    return pd.DataFrame({
        "local_date": ["2026-03-02", "2026-03-02"],
        "offered": [10, 90], "answered": [8, 60], "abandoned": [2, 30],
        "answered_le_5s": [3, 10], "answered_le_20s": [6, 30],
        "abandoned_le_5s": [1, 10], "abandoned_le_20s": [1, 15],
        "wait_answered_s": [80, 3000], "wait_abandoned_s": [31, 900], "wait_max_s": [40, 300],
        "handled": [8, 60], "talk_s": [1600, 12000], "hold_s": [80, 0], "acw_s": [320, 3000],
        "transfers": [1, 6], "escalations": [0, 3],
        "ivr_sessions": [0, 0], "ivr_contained": [0, 0],
        "busy_s": [1800, 9000], "available_s": [1800, 1000],
    })


def test_daily_kpis_are_ratios_of_summed_components():
    k = kpi_table(two_intervals(), KpiParams(**T20), by=["local_date"]).iloc[0]
    assert (k["offered"], k["answered"], k["abandoned"]) == (100, 68, 32)
    assert k["short_abandoned"] == 11
    assert k["answered_within_threshold"] == 36
    assert k["service_level"] == pytest.approx(36 / 89)
    assert k["asa_s"] == pytest.approx(3080 / 68)
    assert k["aht_s"] == pytest.approx((13600 + 80 + 3320) / 68)
    assert k["avg_talk_s"] == pytest.approx(13600 / 68)
    assert k["avg_hold_s"] == pytest.approx(80 / 68)
    assert k["avg_acw_s"] == pytest.approx(3320 / 68)
    assert k["abandon_rate"] == pytest.approx((32 - 11) / (100 - 11))
    assert k["transfer_rate"] == pytest.approx(7 / 68)
    assert k["escalation_rate"] == pytest.approx(3 / 68)
    assert k["occupancy"] == pytest.approx(10800 / 13600)
    assert k["wait_max_s"] == 300


def test_service_level_is_not_the_average_of_interval_service_levels():
    frame = two_intervals()
    per_interval = kpis_from_sums(frame, KpiParams(**T20))["service_level"]
    average_of_averages = per_interval.mean()
    assert per_interval.tolist() == pytest.approx([6 / 9, 30 / 80])
    daily = kpi_table(frame, KpiParams(**T20), by=["local_date"])["service_level"].iloc[0]
    assert average_of_averages == pytest.approx(0.5208333)
    assert daily == pytest.approx(0.4044944)
    assert daily != pytest.approx(average_of_averages)


def test_every_service_level_variant_side_by_side():
    k = kpi_table(two_intervals(), KpiParams(**T20), by=["local_date"], all_variants=True).iloc[0]
    expected = {
        "excl_short_abandons": 36 / (100 - 11),
        "of_offered": 36 / 100,
        "excl_abandons_within_t": 36 / (100 - 16),
        "abandons_within_t_positive": (36 + 16) / 100,
        "of_answered": 36 / 68,
    }
    assert set(expected) == set(SL_VARIANTS)
    for variant, value in expected.items():
        assert k[f"service_level__{variant}"] == pytest.approx(value), variant
        chosen = kpi_table(two_intervals(), KpiParams(**T20, sl_variant=variant), by=["local_date"])
        assert chosen["service_level"].iloc[0] == pytest.approx(value), variant


def test_threshold_and_short_abandon_come_from_the_params():
    k = kpi_table(two_intervals(), KpiParams(sl_threshold_s=5, short_abandon_s=0),
                  by=["local_date"]).iloc[0]
    assert k["short_abandoned"] == 0
    assert k["service_level"] == pytest.approx(13 / 100)
    assert k["abandon_rate"] == pytest.approx(32 / 100)


def test_kpi_with_nothing_under_it_is_empty_not_zero():
    quiet = two_intervals().iloc[:1].assign(
        offered=0, answered=0, abandoned=0, answered_le_5s=0, answered_le_20s=0,
        abandoned_le_5s=0, abandoned_le_20s=0, handled=0, busy_s=0, available_s=0)
    k = kpis_from_sums(quiet, KpiParams(**T20)).iloc[0]
    for name in ("service_level", "asa_s", "aht_s", "abandon_rate", "transfer_rate",
                 "ivr_containment", "occupancy", "wait_max_s"):
        assert np.isnan(k[name]), name
    assert k["offered"] == 0


def test_ivr_containment_from_ivr_rows():
    ivr = pd.DataFrame({"offered": [0], "ivr_sessions": [200], "ivr_contained": [50],
                        "answered_le_5s": [0], "answered_le_20s": [0], "abandoned_le_5s": [0],
                        "abandoned_le_20s": [0]})
    assert kpis_from_sums(ivr, KpiParams(**T20))["ivr_containment"].iloc[0] == pytest.approx(0.25)


def test_unknown_threshold_names_available_buckets():
    with pytest.raises(ValueError, match=r"No wait bucket for 25 s.*5, 20"):
        kpi_table(two_intervals(), KpiParams(sl_threshold_s=25, short_abandon_s=5))


def test_unknown_variant_is_refused_by_name():
    with pytest.raises(ValueError, match="sl_variant “fastest” is unknown"):
        KpiParams(**T20, sl_variant="fastest")


def test_wait_percentiles_interpolate_inside_buckets():
    sums = pd.DataFrame({"answered": [10, 0], "answered_le_5s": [2, 0],
                         "answered_le_10s": [5, 0], "answered_le_20s": [10, 0]})
    p = wait_percentiles(sums, quantiles=(0.5, 0.9))
    assert p["wait_p50_s"].iloc[0] == pytest.approx(10.0)
    assert p["wait_p90_s"].iloc[0] == pytest.approx(18.0)
    assert np.isnan(p["wait_p50_s"].iloc[1])


def test_percentile_beyond_last_bucket_is_flagged():
    sums = pd.DataFrame({"answered": [10], "answered_le_5s": [2], "answered_le_20s": [5]})
    p = wait_percentiles(sums, quantiles=(0.9,))
    assert p["wait_p90_s"].iloc[0] == 20
    assert bool(p["wait_p90_beyond_last_bucket"].iloc[0])


def test_service_level_curve_uses_every_bucket():
    curve = service_level_curve(two_intervals(), 5)
    assert curve["threshold_s"].tolist() == [5, 20]
    assert curve["service_level"].tolist() == pytest.approx([13 / 89, 36 / 89])
