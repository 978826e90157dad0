"""Patterns, forecasts, control charts, queueing science, plan versus actual and findings on
small hand-computed frames. Pure analysis: no database."""
import numpy as np
import pandas as pd
import pytest

from reports.analysis import control, forecast, interpret, patterns, plan, queueing


def _weeks_of_intervals(weeks=6, seed=1, level=20.0):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2026-01-05", periods=weeks * 7 * 96, freq="15min")
    minute = idx.hour * 60 + idx.minute
    shape = np.where((minute >= 8 * 60) & (minute < 20 * 60), 1.0, 0.05)
    weekly = np.where(idx.day_of_week < 5, 1.0, 0.4)
    lam = level * shape * weekly
    offered = rng.poisson(lam)
    return pd.DataFrame({"period_start": idx, "offered": offered, "handled": offered,
                         "handle_s": offered * 240})


def test_intraday_profile_is_mean_per_day_of_each_weekday():
    frame = pd.DataFrame({
        "local_date": ["2026-03-02", "2026-03-02", "2026-03-09", "2026-03-03"],
        "weekday": [0, 0, 0, 1], "local_minute": [540, 555, 540, 540],
        "offered": [10, 30, 20, 7]})
    prof = patterns.intraday_profile(frame, interval_min=15)
    monday = prof[prof["weekday"] == 0].set_index("local_minute")
    assert monday.loc[540, "mean_per_day"] == pytest.approx(15.0)  # (10 + 20) / 2 Mondays
    assert monday.loc[555, "mean_per_day"] == pytest.approx(15.0)  # 30 / 2 Mondays
    assert monday["share_of_day"].sum() == pytest.approx(1.0)
    heat = patterns.weekday_hour_heatmap(frame)
    assert heat.loc[0, 9] == pytest.approx(30.0)
    assert heat.loc[0, 10] == 0 and np.isnan(heat.loc[3, 9])  # Thursday never observed


def test_trend_seasonality_changes_and_peaks():
    days = pd.date_range("2025-01-01", "2026-12-31", freq="D")
    daily = pd.Series(100 + 10 * (days.day_of_week < 5), index=days, dtype=float)
    daily[days.month == 12] *= 1.5
    stl = patterns.stl_decomposition(daily.iloc[:60])
    assert np.allclose(stl["trend"] + stl["seasonal"] + stl["resid"], stl["observed"])
    season = patterns.seasonality(daily)
    dec = season["month_of_year"].set_index("month_of_year").loc[12, "seasonal_index"]
    assert dec > 1.3
    yoy = patterns.year_over_year(daily)
    assert yoy["change_rel"].iloc[:12].isna().all()
    assert yoy["change_rel"].iloc[12:].abs().max() < 0.05
    assert patterns.moving_average(daily, 7).iloc[3] == pytest.approx(daily.iloc[:7].mean())
    top = patterns.peaks(daily, top=3)
    assert (pd.DatetimeIndex(top["at"]).month == 12).all()
    cur = pd.DataFrame({"q": ["A", "B"], "offered": [120, 50]})
    prev = pd.DataFrame({"q": ["A", "B"], "offered": [100, 0]})
    ch = patterns.period_change(cur, prev, ["q"], ["offered"]).set_index("q")
    assert ch.loc["A", "offered_change_rel"] == pytest.approx(0.2)
    assert np.isnan(ch.loc["B", "offered_change_rel"])


def test_pathway_flows_for_a_sankey():
    sums = pd.DataFrame({"step": ["Main IVR", "Sales queue"], "ivr_contained": [40, 0],
                         "ivr_to_queue": [55, 0], "ivr_abandoned": [5, 0],
                         "answered": [0, 50], "abandoned": [0, 4], "flowed_out": [0, 1],
                         "transfers": [0, 6], "escalations": [0, 2]})
    flows = patterns.pathway_flows(sums).set_index(["source", "target"])["value"]
    assert flows[("Main IVR", "Self-service (contained)")] == 40
    assert flows[("Sales queue", "Answered")] == 50
    assert flows[("Answered", "Transferred")] == 6


def test_seasonal_naive_repeats_last_week_and_backtest_scores_it():
    grid = forecast.complete_grid(_weeks_of_intervals(weeks=6))
    naive = forecast.seasonal_naive(grid, 7)
    assert naive.to_numpy() == pytest.approx(grid["offered"].to_numpy()[-672:])
    bt = forecast.backtest(grid, holdout_weeks=2)
    assert set(bt.summary["method"]) == {"holt_winters", "stl_ets", "seasonal_naive"}
    assert len(bt.folds) == 6  # three methods on the same two held-out weeks
    hw = bt.summary.set_index("method").loc["holt_winters"]
    sn = bt.summary.set_index("method").loc["seasonal_naive"]
    # On stable Poisson traffic the smoothed forecast beats repeating last week's noise.
    assert hw["wape"] < sn["wape"] < 0.6
    assert abs(hw["bias"]) < 0.1
    fc = forecast.forecast(grid, 7)
    assert fc["aht_s_forecast"].dropna().to_numpy() == pytest.approx(240.0)


def test_wape_and_bias_by_hand():
    assert forecast.wape([10, 20], [12, 15]) == pytest.approx(7 / 30)
    assert forecast.bias([10, 20], [12, 15]) == pytest.approx(-3 / 30)
    assert np.isnan(forecast.wape([0, 0], [1, 1]))


def test_p_chart_centre_is_ratio_of_sums_with_varying_limits():
    frame = pd.DataFrame({"within": [80, 45, 10, 85, 82], "offered": [100, 50, 100, 100, 0]})
    chart = control.p_chart(frame, "within", "offered")
    assert chart["centre"].iloc[0] == pytest.approx(220 / 350)
    assert chart["sigma"].iloc[1] > chart["sigma"].iloc[0]  # smaller n, wider limits
    assert bool(chart["beyond_3_sigma"].iloc[2])
    assert np.isnan(chart["p"].iloc[4]) and not chart["special_cause"].iloc[4]


def test_xmr_limits_and_run_rule():
    values = pd.Series([200, 205, 198, 202, 210, 211, 212, 213, 214, 215, 216, 217, 300.0])
    chart = control.xmr_chart(values)
    mrbar = values.diff().abs().mean()
    assert chart["ucl"].iloc[0] == pytest.approx(values.mean() + 2.66 * mrbar)
    assert bool(chart["trend_of_6"].iloc[8])
    assert bool(chart["mr_beyond_limit"].iloc[12])


def test_interval_of_week_anomaly_flags_a_spike():
    frame = _weeks_of_intervals(weeks=6)
    frame["weekday"] = frame["period_start"].dt.day_of_week
    frame["local_minute"] = frame["period_start"].dt.hour * 60 + frame["period_start"].dt.minute
    spike_at = frame.index[-672 + 40]  # a Monday 10:00 of the last week
    frame.loc[spike_at, "offered"] = 200
    flagged = control.interval_of_week_anomalies(frame, baseline_weeks=4)
    assert bool(flagged.loc[flagged["period_start"] == frame.loc[spike_at, "period_start"],
                            "anomaly"].iloc[0])
    assert flagged["anomaly"].mean() < 0.01


def test_kaplan_meier_by_hand():
    # waits 10 (abandon), 20 (served), 30 (abandon), 40 (abandon)
    km = queueing.kaplan_meier([10, 20, 30, 40], [True, False, True, True])
    assert km["survival"].tolist() == pytest.approx([0.75, 0.75, 0.375, 0.0])
    est = queueing.patience(pd.DataFrame({"wait_s": [10, 20, 30, 40],
                                          "abandoned": [True, False, True, True]}))
    assert est.mean_patience_s == pytest.approx(100 / 3)
    assert est.median_patience_s == 30
    hz = queueing.abandonment_hazard(pd.DataFrame({"wait_s": [5, 15], "abandoned": [True, False]}),
                                     bin_s=10, max_wait_s=20)
    assert hz["hazard_per_s"].tolist() == pytest.approx([1 / 15, 0.0])


def test_lognormal_fit_recovers_parameters_and_removes_short_calls():
    rng = np.random.default_rng(5)
    s = np.concatenate([rng.lognormal(5.0, 0.8, 20_000), np.full(500, 3.0)])
    fit = queueing.lognormal_service_fit(s, min_s=10)
    assert fit.removed_short >= 500
    assert fit.mu == pytest.approx(5.0, abs=0.03) and fit.sigma == pytest.approx(0.8, abs=0.03)
    with pytest.raises(ValueError, match="at least 3 service times"):
        queueing.lognormal_service_fit([1, 2], min_s=10)


def test_abandonment_vs_wait_implied_patience():
    sums = pd.DataFrame({"offered": [100, 100], "abandoned": [5, 10],
                         "wait_answered_s": [1000, 2000], "wait_abandoned_s": [0, 0]})
    out = queueing.abandonment_vs_wait(sums)
    assert out.attrs["implied_patience_s"] == pytest.approx(200.0)


def test_plan_vs_actual_and_cost_per_contact():
    actual = pd.DataFrame({"queue": ["A", "B"], "service_level": [0.72, 0.85],
                           "abandon_rate": [0.04, np.nan]})
    targets = pd.DataFrame({"kpi": ["service_level", "abandon_rate"], "target": [0.8, 0.05]})
    pva = plan.plan_vs_actual(actual, targets, on=["queue"]).set_index(["queue", "kpi"])
    assert not pva.loc[("A", "service_level"), "met"]
    assert pva.loc[("A", "service_level"), "attainment"] == pytest.approx(0.9)
    assert pva.loc[("A", "abandon_rate"), "met"]
    assert pd.isna(pva.loc[("B", "abandon_rate"), "met"])
    costs = pd.DataFrame({"channel": ["voice", "chat"], "budget": [10000.0, 2000.0],
                          "actual_cost": [12000.0, 1500.0]})
    handled = pd.DataFrame({"channel": ["voice", "chat"], "handled": [2000, 0],
                            "planned_handled": [2500, 400]})
    cpc = plan.cost_per_contact(costs, handled).set_index("channel")
    assert cpc.loc["voice", "cost_per_contact"] == pytest.approx(6.0)
    assert cpc.loc["voice", "budget_per_contact"] == pytest.approx(4.0)
    assert bool(cpc.loc["voice", "over_budget"])
    assert np.isnan(cpc.loc["chat", "cost_per_contact"])


def test_the_breaches_worded_are_the_most_important_and_each_kpis_worst():
    """With a limit, the breaches worded are the ones ranking would keep (ties in their
    order); with ``worst_of_each_kpi``, each KPI's biggest shortfall only — hours of one
    KPI's misses do not crowd out the others."""
    actual = pd.DataFrame({"hour": ["02:00", "03:00", "04:00", "09:00", "10:00"],
                           "ivr_containment": [0.0, 0.0, 0.05, 0.10, 0.2],
                           "service_level": [None, None, None, 0.70, 0.75]})
    targets = pd.DataFrame({"kpi": ["ivr_containment", "service_level"], "target": [0.15, 0.8]})
    pva = plan.plan_vs_actual(actual, targets, on=["hour"])
    every = interpret.rank(interpret.breach_findings(pva, ["hour"]), limit=None)
    assert [f.text for f in interpret.breach_findings(pva, ["hour"], limit=3)] \
        == [f.text for f in every[:3]]
    worst = interpret.breach_findings(pva, ["hour"], limit=5, worst_of_each_kpi=True)
    assert [(f.values["kpi"], f.values["hour"]) for f in worst] == [
        ("ivr_containment", "02:00"), ("service_level", "09:00")]


def test_findings_are_ranked_and_cite_their_figures():
    actual = pd.DataFrame({"queue": ["Sales", "Support"], "service_level": [0.60, 0.78]})
    targets = pd.DataFrame({"kpi": ["service_level"], "target": [0.8]})
    pva = plan.plan_vs_actual(actual, targets, on=["queue"])
    found = interpret.breach_findings(pva, ["queue"])
    found += interpret.forecast_findings(pd.DataFrame({"method": ["holt_winters"],
                                                       "wape": [0.25], "bias": [0.1]}))
    found += interpret.caveat_findings(["2 intervals missing on 3 March"])
    ranked = interpret.rank(found)
    assert ranked[0].text == ("Service level was 60.0 % against a target of 80.0 % (Sales) "
                              "[figure: KPIs against targets].")
    assert ranked[-1].kind == "caveat"
    assert all("[figure:" in f.text for f in ranked)
    gaps = pd.DataFrame({"period_start": ["09:00", "09:15"], "required_agents": [10, 12],
                         "actual_agents": [10.0, 9.5]})
    staff = interpret.staffing_findings(gaps)
    assert "1 of 2 intervals were understaffed" in staff[0].text
    assert "2.5 agents at 09:15" in staff[0].text
