"""Gaps are not zeros, on the real Anonymous Bank months (Anonymous Bank call-center data,
Technion SEE lab): August 1999 is absent from the data, and 11–12 January too.

The expected figures are computed here with plain Python from the raw files (the adapter's
rule for "offered": a HANG record that waited in the queue, or an AGENT record served by a named
agent), independently of pandas and of the product's analyses. The files are read once per
module; the database test loads only July and September (the months around the gap).
"""

import base64
import csv
import datetime as dt
import json
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse

from reports.analysis import patterns
from tests.conftest import ANONYMOUS_BANK

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
JAN_1, NOV_1 = dt.date(1999, 1, 1), dt.date(1999, 11, 1)


def _offered(row) -> bool:
    return (row["outcome"] == "HANG" and int(row["q_time"]) > 0) or (
        row["outcome"] == "AGENT" and row["server"] != "NO_SERVER"
    )


@pytest.fixture(scope="module")
def raw_counts():
    """Offered per call date (0 on a day with records but none offered), counted from the nine
    raw files with the csv module; a date with no record is absent."""
    if not ANONYMOUS_BANK.is_dir():
        pytest.skip(f"real data not found at {ANONYMOUS_BANK}")
    counts = Counter()
    for path in sorted(ANONYMOUS_BANK.glob("1999-*.tsv")):
        with path.open(newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row["outcome"] == "PHANTOM":
                    continue
                # A day with records and none offered (only IVR hang-ups, e.g. Saturday
                # 11 September) is a day with data and zero offered, not a gap.
                yymmdd = row["date"]
                day = dt.date(1900 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
                counts[day] += int(_offered(row))
    return dict(counts)


@pytest.fixture(scope="module")
def daily(raw_counts):
    frame = pd.DataFrame({"local_date": list(raw_counts), "offered": list(raw_counts.values())})
    return patterns.daily_series(frame, start=JAN_1, end=NOV_1)


def _calendar():
    day = JAN_1
    while day < NOV_1:
        yield day
        day += dt.timedelta(days=1)


def test_august_is_absent_from_the_daily_series_not_zero(raw_counts, daily):
    assert len(daily) == 304
    august = daily["1999-08-01":"1999-08-31"]
    assert len(august) == 31 and august.isna().all()
    missing = [d for d in _calendar() if d not in raw_counts]
    assert len(missing) == 33  # August and 11–12 January
    assert daily.isna().sum() == 33
    assert sum(1 for n in raw_counts.values() if n == 0) == daily.eq(0).sum() > 0
    assert patterns.gap_caveats(daily) == [
        "No data for 11 Jan – 12 Jan 1999 (2 days), 1 Aug – 31 Aug 1999 (31 days); excluded "
        "from means"
    ]


def test_the_daily_mean_is_over_present_days(raw_counts, daily):
    total = sum(raw_counts.values())
    assert total == 294_559
    assert daily.mean() == pytest.approx(total / 271)
    assert round(daily.mean()) == 1087  # not 969 = total / 304, zeros for the 33 missing days
    assert round(total / 304) == 969


def test_weekday_seasonality_is_the_mean_over_present_days(raw_counts, daily):
    by_weekday = {i: [] for i in range(7)}
    for day, n in raw_counts.items():
        by_weekday[day.weekday()].append(n)
    overall = sum(raw_counts.values()) / len(raw_counts)
    table = patterns.weekday_means(daily)
    assert table["weekday_name"].tolist() == list(WEEKDAYS)
    for _, row in table.iterrows():
        values = by_weekday[row["weekday"]]
        assert row["days_with_data"] == len(values)
        assert row["mean_per_day"] == pytest.approx(sum(values) / len(values))
        # The index is divided by the mean over present days (≈ 1,087), not 969.
        assert row["seasonal_index"] == pytest.approx(sum(values) / len(values) / overall)
    assert table["days_without_data"].sum() == 33
    sunday = table.set_index("weekday_name").loc["Sun"]
    assert sunday["mean_per_day"] == pytest.approx(sum(by_weekday[6]) / len(by_weekday[6]))


def test_monthly_means_year_over_year_and_trend_leave_august_out(raw_counts, daily):
    months = patterns.seasonality(daily)["month_of_year"].set_index("month_of_year")
    aug = months.loc[8]
    assert aug["days"] == 0 and aug["days_without_data"] == 31
    assert math.isnan(aug["mean_per_day"]) and math.isnan(aug["seasonal_index"])
    jan = [n for d, n in raw_counts.items() if d.month == 1]
    assert months.loc[1, "days"] == 29
    assert months.loc[1, "mean_per_day"] == pytest.approx(sum(jan) / 29)
    yoy = patterns.year_over_year(daily).set_index("period_start")
    aug_yoy = yoy.loc[pd.Timestamp("1999-08-01")]
    assert math.isnan(aug_yoy["total"]) and aug_yoy["days_without_data"] == 31
    assert yoy.loc[pd.Timestamp("1999-07-01"), "total"] == sum(
        n for d, n in raw_counts.items() if d.month == 7
    )
    trend = patterns.stl_decomposition(daily)
    assert trend.loc["1999-08-01":"1999-08-31"].isna().all().all()
    assert trend.loc["1999-09-01":"1999-10-31", "trend"].notna().all()
    ma = patterns.moving_average(daily, 7)
    assert ma.loc["1999-08-01":"1999-08-31"].isna().all()
    # Around the two missing January days the week still has five days with data.
    assert not math.isnan(ma[pd.Timestamp("1999-01-11")])
    assert (ma.dropna() > 300).all()  # no zero pulled in anywhere


@pytest.mark.django_db
def test_patterns_api_and_page_on_july_and_september(centre, manager, client, raw_counts):
    from rest_framework.test import APIClient

    from tests.measurements.test_monitor_real_data import bank_source, load_months

    source = bank_source(centre)
    load_months(source, ANONYMOUS_BANK, ["07", "09"])
    api = APIClient()
    api.force_authenticate(manager)
    r = api.get("/api/v1/analysis/patterns/", {"start": "1999-07-01", "end": "1999-10-01"})
    assert r.status_code == 200
    body = r.json()
    days = body["daily"]
    assert [d["date"] for d in days] == [
        (dt.date(1999, 7, 1) + dt.timedelta(days=i)).isoformat() for i in range(92)
    ]
    august = [d for d in days if d["date"].startswith("1999-08")]
    assert len(august) == 31
    assert all(d["offered"] is None and d["status"] == "no_data" for d in august)
    present = [d for d in days if d["offered"] is not None]
    assert len(present) == 61
    # Each day's offered is the raw file's count for that day, give or take the calls that
    # joined the queue after midnight (counted on the day they arrived in the queue).
    for d in present:
        expected = raw_counts[dt.date.fromisoformat(d["date"])]
        assert d["offered"] == pytest.approx(expected, rel=0.02)
    weekday = body["weekday"]
    assert [w["weekday_name"] for w in weekday] == list(WEEKDAYS)
    overall = sum(d["offered"] for d in present) / len(present)
    for w in weekday:
        values = [
            d["offered"]
            for d in present
            if dt.date.fromisoformat(d["date"]).weekday() == w["weekday"]
        ]
        assert w["days_with_data"] == len(values)
        assert w["days_without_data"] == sum(
            1 for d in august if dt.date.fromisoformat(d["date"]).weekday() == w["weekday"]
        )
        assert w["mean_per_day"] == pytest.approx(sum(values) / len(values))
        assert w["seasonal_index"] == pytest.approx(sum(values) / len(values) / overall)
    months = {m["month_of_year"]: m for m in body["tables"]["month_of_year"]}
    assert months[8]["mean_per_day"] is None and months[8]["days"] == 0
    yoy = {y["period_start"][:7]: y for y in body["tables"]["year_over_year"]}
    assert yoy["1999-08"]["total"] is None and yoy["1999-08"]["days_without_data"] == 31
    caveat = "No data for 1 Aug – 31 Aug 1999 (31 days); excluded from means"
    assert body["gaps"] == [caveat]
    assert any(caveat in f["text"] for f in body["findings"])
    # The page: the caveat, the weekday table in weekday order, the gap drawn as a gap.
    client.force_login(manager)
    html = client.get(reverse("reports:patterns"), {"start": "1999-07-01", "end": "1999-10-01"})
    text = html.content.decode()
    assert caveat in text
    assert "Weekday seasonality" in text
    positions = [text.index(f"<td>{name}</td>") for name in WEEKDAYS]
    assert positions == sorted(positions)
    trend = next(c for c in html.context["report"]["charts"] if c["id"] == "trend")
    figure = json.loads(trend["figure"])
    offered = figure["data"][0]
    assert offered["connectgaps"] is False
    assert figure["layout"]["xaxis"]["type"] == "date"  # x: the wall clock in milliseconds
    values = dict(zip(pd.to_datetime(_numbers(offered["x"]), unit="ms"), _numbers(offered["y"]),
                      strict=True))
    assert np.isnan(values[pd.Timestamp("1999-08-15")])  # missing in the chart: the line breaks
    assert values[pd.Timestamp("1999-07-15")] > 0
    average = next(t for t in figure["data"] if t.get("name") == "7-day moving average")
    assert np.isnan(_numbers(average["y"])[31:62]).all()


def _numbers(values) -> np.ndarray:
    """A Plotly JSON array: a list (None = missing) or a typed array (NaN = missing)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.array([np.nan if v is None else v for v in values], float)
