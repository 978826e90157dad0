"""Queueing science on the real Anonymous Bank records (Anonymous Bank call-center data,
Technion SEE lab), checked against independent computations written here and against the
published findings (Brown et al. 2005, JASA; Gans, Koole & Mandelbaum 2003).

Two fixtures: the nine months read straight from the files with pandas (the science, fast), and
March 1999 loaded once through the importer into the database (segments, the CLI contract, the
API and the page)."""

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from reports.analysis import queueing
from reports.queueing_science import analyse, sentences
from reports.vocabulary import fmt_duration

MARCH = ("1999-03-01", "1999-04-01")


def _raw_month_frames(folder, months=None):
    paths = sorted(folder.glob("1999-*.tsv"))
    if months:
        paths = [p for p in paths if p.stem[-2:] in months]
    return pd.concat([pd.read_csv(p, sep="\t", dtype=str) for p in paths], ignore_index=True)


@pytest.fixture(scope="module")
def legs():
    """Every record that reached the queue (answered by a named agent, or hung up in the
    queue), as the importer maps it: segment ``unidentified`` for customer_id 0."""
    from tests.conftest import ANONYMOUS_BANK

    if not ANONYMOUS_BANK.is_dir():
        pytest.skip(f"real data not found at {ANONYMOUS_BANK}")
    df = _raw_month_frames(ANONYMOUS_BANK)
    for c in ("q_time", "ser_time"):
        df[c] = df[c].astype(int)
    df = df[df["outcome"] != "PHANTOM"]
    served = df["outcome"].eq("AGENT") & df["server"].ne("NO_SERVER")
    hang = df["outcome"].eq("HANG") & df["q_time"].gt(0)
    df = df[served | hang]
    served = served[df.index]
    clock = df["q_start"].where(df["q_start"] != "0:00:00", df["vru_exit"])
    hour = clock.str.split(":", expand=True)[0].astype(int)
    segment = (
        df["priority"]
        .map({"0": "regular", "1": "regular", "2": "priority"})
        .mask(df["customer_id"].eq("0"), "unidentified")
    )
    return pd.DataFrame(
        {
            "wait_s": df["q_time"].astype(float),
            "abandoned": ~served,
            "answered": served,
            "service_s": df["ser_time"].astype(float).where(served),
            "agent_id": df["server"].where(served),
            "period_start": pd.to_datetime("19" + df["date"], format="%Y%m%d")
            + pd.to_timedelta(hour, unit="h"),
            "customer_segment": segment,
            "contact_type": df["type"],
            "queue": "ACD",
            "queue_id": 1,
            "channel": "voice",
        }
    ).reset_index(drop=True)


def textbook_km(wait, abandoned):
    """Kaplan–Meier as in a textbook, in plain Python: at each distinct time t with d events
    among n at risk, S ← S·(1 − d/n); the restricted mean is the area under the step curve up to
    the largest observed time; the median the first t with S ≤ 0.5."""
    pairs = sorted(zip(wait, abandoned, strict=True))
    at_risk, surv, area, last_t, median = len(pairs), 1.0, 0.0, 0.0, None
    i = 0
    while i < len(pairs):
        t = pairs[i][0]
        deaths = leaving = 0
        while i < len(pairs) and pairs[i][0] == t:
            deaths += pairs[i][1]
            leaving += 1
            i += 1
        area += surv * (t - last_t)
        last_t = t
        surv *= 1 - deaths / at_risk
        at_risk -= leaving
        if median is None and surv <= 0.5:
            median = t
    return area, median


def test_restricted_mean_within_one_percent_of_a_textbook_kaplan_meier(legs):
    out = analyse(legs, None, False)
    p = out["groups"][0]["patience"]
    area, median = textbook_km(legs["wait_s"].tolist(), legs["abandoned"].tolist())
    assert p["km_restricted_mean_s"] == pytest.approx(area, rel=0.01)
    assert p["km_median_s"] == median
    # The published "about 10 minutes" (Brown et al. 2005): the Kaplan–Meier mean, not the
    # exponential estimate Σ wait ÷ abandons.
    assert 590 < p["km_restricted_mean_s"] < 630
    exp = legs["wait_s"].sum() / legs["abandoned"].sum()
    assert p["exponential_mean_s"] == pytest.approx(exp, abs=0.05)
    assert 380 < exp < 400 and 330 < median < 360


def test_waits_are_not_patience(legs):
    g = analyse(legs, None, False)["groups"][0]
    waited = legs.loc[legs["abandoned"], "wait_s"].mean()
    assert g["wait_abandoned_mean_s"] == pytest.approx(waited, abs=0.01)
    assert 76 < waited < 77.5  # callers who abandoned waited ≈ 76.7 s — not 389 s
    text = " ".join(g["sentences"])
    assert "Callers wait" not in text and "before abandoning" not in text
    # Each sentence cites the figure it names, recomputed here.
    area, median = textbook_km(legs["wait_s"].tolist(), legs["abandoned"].tolist())
    assert f"mean patience (Kaplan–Meier restricted mean): {fmt_duration(area)}" in text
    assert f"within {fmt_duration(median)} (Kaplan–Meier median)" in text
    assert (
        f"Exponential estimate of mean patience (Σ wait ÷ abandons, the θ⁻¹ of Erlang A): "
        f"{fmt_duration(legs['wait_s'].sum() / legs['abandoned'].sum())}"
    ) in text
    assert f"Callers who abandoned waited {fmt_duration(waited)} on average" in text
    answered = legs.loc[legs["answered"], "wait_s"].mean()
    assert f"answered callers waited {fmt_duration(answered)} on average" in text


def _hazard_peak(wait, abandoned):
    """Start of the 10 s bin (from 30 s to 600 s) with most abandons per second waited."""
    best, peak = -1.0, None
    for lo in range(30, 600, 10):
        exposure = np.clip(wait - lo, 0, 10).sum()
        abandons = ((wait >= lo) & (wait < lo + 10) & abandoned).sum()
        if exposure and abandons / exposure > best:
            best, peak = abandons / exposure, lo
    return peak


def test_hazard_peaks_near_one_minute_and_the_sentence_says_where(legs):
    g = analyse(legs, None, True)["groups"][0]
    q = legs[legs["wait_s"] > 0]
    peak = _hazard_peak(q["wait_s"].to_numpy(), q["abandoned"].to_numpy())
    assert g["abandon_hazard_peak_s"] == peak
    assert 40 <= peak <= 70  # the literature's peak near 60 s
    assert (f"peaks between {peak} and {peak + 10} s of waiting") in " ".join(g["sentences"])


def test_queued_only_counts_the_calls_that_waited(legs):
    every = analyse(legs, None, False)["groups"][0]
    queued = analyse(legs, None, True)["groups"][0]
    assert every["calls"] == len(legs)
    assert queued["calls"] == int((legs["wait_s"] > 0).sum()) < every["calls"]
    assert queued["abandoned"] == every["abandoned"]  # every abandon waited
    assert queued["wait_mean_s"] == pytest.approx(
        legs.loc[legs["wait_s"] > 0, "wait_s"].mean(), abs=0.01
    )


def test_priority_waits_less_and_is_more_patient_than_regular_among_calls_that_queued(legs):
    out = analyse(legs, "customer_segment", True)
    g = {r["key"]: r for r in out["groups"]}
    assert set(g) == {"priority", "regular", "unidentified"}
    assert g["priority"]["wait_mean_s"] < g["regular"]["wait_mean_s"]
    assert (
        g["priority"]["abandoned"] / g["priority"]["calls"]
        < g["regular"]["abandoned"] / g["regular"]["calls"]
    )
    for est in ("km_restricted_mean_s", "km_median_s"):
        assert g["priority"]["patience"][est] > g["regular"]["patience"][est]
    # Every breakdown shows what could not be told apart.
    q = legs[legs["wait_s"] > 0]
    assert out["unassigned_share"] == pytest.approx(
        (q["customer_segment"] == "unidentified").mean()
    )
    # Among all offered calls, the unidentified (who mostly did not queue) make "regular"
    # look fast: the breakdown by population says so.
    offered = {r["key"]: r for r in analyse(legs, "customer_segment", False)["groups"]}
    assert offered["unidentified"]["wait_mean_s"] < offered["priority"]["wait_mean_s"]


def test_stock_trading_callers_are_more_patient_than_internet_help_callers(legs):
    g = {r["key"]: r for r in analyse(legs, "contact_type", True)["groups"]}
    # NE = stock exchange, IN = internet help (the data's README).
    for est in ("km_restricted_mean_s", "km_median_s", "exponential_mean_s"):
        assert g["NE"]["patience"][est] > g["IN"]["patience"][est], est


def test_service_times_short_share_and_lognormal(legs):
    g = analyse(legs, None, False)["groups"][0]
    s = legs.loc[legs["answered"], "service_s"]
    assert g["short_service_share"] == pytest.approx((s < 10).mean(), abs=1e-4)
    logs = np.log(s[s >= 10])
    assert g["service_lognormal"]["mu"] == pytest.approx(logs.mean(), abs=1e-4)
    assert g["service_lognormal"]["sigma"] == pytest.approx(logs.std(ddof=1), abs=1e-4)
    assert "NO_SERVER" in g["short_service_population"]
    assert len(g["service_against_load"]) == 5


def test_erlang_a_check_predicts_abandonment_per_interval(legs):
    may = legs[legs["period_start"].dt.month == 5]
    sci = queueing.group_science(may)
    agents = may.dropna(subset=["agent_id"]).groupby("period_start")["agent_id"].nunique()
    check = queueing.erlang_a_check(sci.sums, agents, 3600, sci.patience.mean_patience_s, 20, 0.8)
    assert len(check) > 300
    summary = queueing.erlang_a_summary(check)
    observed = may["abandoned"][may["period_start"].isin(check["period_start"])].mean()
    assert summary["observed_abandon_share"] == pytest.approx(observed, abs=1e-9)
    # A calibrated model lands in the right range (not a fit: agents are counted, not solved).
    assert 0.3 * observed < summary["predicted_abandon_share"] < 3 * observed
    assert (check["required_agents"] >= 1).all()


# --- The database path: one month through the importer ------------------------------------


@pytest.fixture(scope="module")
def march(django_db_setup, django_db_blocker):
    from contactmis.models import Centre
    from stakeholders.demo import demo_wipe
    from tests.conftest import ANONYMOUS_BANK
    from tests.measurements.test_monitor_real_data import bank_source, load_months

    if not ANONYMOUS_BANK.is_dir():
        pytest.skip(f"real data not found at {ANONYMOUS_BANK}")
    with django_db_blocker.unblock():
        centre = Centre.objects.create(name="Anonymous Bank", time_zone="Asia/Jerusalem")
        source = bank_source(centre)
        load_months(source, ANONYMOUS_BANK, ["03"])
        yield centre
        demo_wipe(centre)
        centre.delete()


@pytest.fixture
def bank(march, db):
    return march


def _cli(*args):
    out = io.StringIO()
    call_command("queueing", "--start", MARCH[0], "--end", MARCH[1], *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def _number(v):
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def test_cli_contract_keys_and_types(bank):
    out = _cli()
    assert [g["key"] for g in out["groups"]] == ["all"]
    g = out["groups"][0]
    assert list(g)[:8] == [
        "key",
        "calls",
        "abandoned",
        "patience",
        "abandon_hazard_peak_s",
        "wait_mean_s",
        "short_service_share",
        "service_lognormal",
    ]
    assert isinstance(g["calls"], int) and isinstance(g["abandoned"], int)
    assert g["calls"] > 25_000 and 0 < g["abandoned"] < g["calls"]
    for k in ("exponential_mean_s", "km_median_s", "km_restricted_mean_s"):
        assert _number(g["patience"][k]), k
    for k in ("abandon_hazard_peak_s", "wait_mean_s", "short_service_share"):
        assert _number(g[k]), k
    assert _number(g["service_lognormal"]["mu"]) and _number(g["service_lognormal"]["sigma"])
    queued = _cli("--queued-only")["groups"][0]
    assert queued["calls"] < g["calls"] and queued["abandoned"] == g["abandoned"]
    by_type = _cli(
        "--by", "contact_type", "--source", "Anonymous Bank ACD/IVR", "--timezone", "Asia/Jerusalem"
    )
    assert sum(r["calls"] for r in by_type["groups"]) == g["calls"]
    assert {"PS", "NE", "IN", "NW"} <= {r["key"] for r in by_type["groups"]}


def test_unidentified_callers_are_their_own_segment_with_a_note(bank):
    from measurements.models import Contact, ImportBatch

    batch = ImportBatch.objects.get(source__centre=bank)
    note = next(n for n in batch.notes if n["code"] == "customer_id_zero")
    unidentified = Contact.objects.filter(centre=bank, customer_segment="unidentified").count()
    assert note["count"] == unidentified > 10_000
    assert "unidentified" in note["action"] and "not guessed" in note["action"]
    assert (
        not Contact.objects.filter(centre=bank, customer_segment="unidentified")
        .exclude(customer_ref="")
        .exists()
    )
    out = _cli("--by", "customer_segment", "--queued-only")
    keys = {g["key"]: g for g in out["groups"]}
    assert set(keys) == {"priority", "regular", "unidentified"}
    assert out["unassigned_share"] == pytest.approx(keys["unidentified"]["calls"] / out["calls"])
    assert keys["priority"]["wait_mean_s"] < keys["regular"]["wait_mean_s"]
    assert (
        keys["priority"]["patience"]["km_restricted_mean_s"]
        > keys["regular"]["patience"]["km_restricted_mean_s"]
    )
    kpis = io.StringIO()
    call_command(
        "kpis",
        "--start",
        MARCH[0],
        "--end",
        MARCH[1],
        "--granularity",
        "month",
        "--by",
        "customer_segment",
        stdout=kpis,
    )
    rows = {r["customer_segment"]: r for r in json.loads(kpis.getvalue()) if r["offered"]}
    assert set(rows) == {"priority", "regular", "unidentified"}
    offered = {g["key"]: g["calls"] for g in _cli("--by", "customer_segment")["groups"]}
    assert {k: r["offered"] for k, r in rows.items()} == offered


def test_api_returns_the_cli_figures(bank, api_client, manager):
    api_client.force_login(manager)
    for args, params in (
        (
            ["--by", "customer_segment", "--queued-only"],
            {"by": "customer_segment", "queued_only": "true"},
        ),
        ([], {}),
    ):
        cli = _cli(*args)
        res = api_client.get(
            "/api/v1/analysis/queueing/", {"start": MARCH[0], "end": MARCH[1], **params}
        )
        assert res.status_code == 200, res.content
        api = res.json()
        for c, a in zip(cli["groups"], api["groups"], strict=True):
            for k in (
                "key",
                "calls",
                "abandoned",
                "patience",
                "abandon_hazard_peak_s",
                "wait_mean_s",
                "short_service_share",
                "service_lognormal",
            ):
                assert a[k] == c[k], k
    # Erlang A per group, threshold and target from the resolver: no target in the plan → the
    # staff needed is not guessed.
    e = api["groups"][0]["erlang_a"]
    assert e["target_sl"] is None and e["required_agents_peak"] is None and e["prompt"]
    assert e["intervals"] > 300 and 0 < e["predicted_abandon_share"] < 1
    assert (
        api_client.get(
            "/api/v1/analysis/queueing/", {"start": MARCH[0], "end": MARCH[1], "by": "colour"}
        ).status_code
        == 400
    )
    assert (
        api_client.get(
            "/api/v1/analysis/queueing/", {"start": MARCH[0], "end": MARCH[1], "queue": 999_999}
        ).status_code
        == 404
    )


def test_staff_needed_follows_the_plans_target(bank, api_client, manager):
    import datetime as dt

    from tests.stakeholders.factories import business_plan

    business_plan(bank, dt.date(1999, 3, 31), [("service_level", 80, None)])
    api_client.force_login(manager)
    api = api_client.get("/api/v1/analysis/queueing/", {"start": MARCH[0], "end": MARCH[1]}).json()
    e = api["groups"][0]["erlang_a"]
    assert e["target_sl"] == pytest.approx(0.8)
    assert e["required_agents_peak"] >= e["required_agents_mean"] >= 1
    # The model's arrivals are every call that reached the queue, whichever population is shown.
    queued = api_client.get(
        "/api/v1/analysis/queueing/", {"start": MARCH[0], "end": MARCH[1], "queued_only": "true"}
    ).json()
    assert queued["groups"][0]["calls"] < api["groups"][0]["calls"]
    assert queued["groups"][0]["erlang_a"] == e


def test_page_by_segment_and_by_type(bank, client, manager):
    client.force_login(manager)
    page = client.get(
        "/analysis/queueing/",
        {"start": MARCH[0], "end": MARCH[1], "by": "customer_segment", "queued_only": "1"},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "unidentified" in html and "Unassigned or unidentified share" in html
    assert "Callers wait" not in html
    by_type = client.get(
        "/analysis/queueing/", {"start": MARCH[0], "end": MARCH[1], "by": "contact_type"}
    ).content.decode()
    assert "NE" in by_type and "Erlang A calibrated on each group" in by_type


def test_sentences_name_patience_and_waits_apart():
    rec = {
        "abandoned": 3,
        "patience": {
            "km_restricted_mean_s": 600.0,
            "km_median_s": 340.0,
            "exponential_mean_s": 390.0,
        },
        "wait_abandoned_mean_s": 76.7,
        "wait_answered_mean_s": 40.0,
        "abandon_hazard_peak_s": 50.0,
    }
    text = sentences(rec)
    assert text[0].startswith("Estimated mean patience (Kaplan–Meier restricted mean): 10 min")
    assert "390 s — a check" in text[1]
    assert text[2].startswith("Callers who abandoned waited 77 s on average before hanging up")
    assert "between 50 and 60 s" in text[3]
