"""The drill path behind a figure: a monthly service level → its days → one day's hours → one
hour's 15-minute intervals → the abandoned contacts of one interval → one contact's journey,
all within the vendor's scope; contacts paged, filtered, sorted and downloadable."""
import csv
import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from .conftest import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def journeys(two_vendors, centre, today):
    """Three contacts of vendor A at 10:20 today: one abandoned after 95 s, one answered by
    Alice after 20 s and transferred to vendor B's queue (out of A's scope) with a survey
    answer, one answered after 5 s and handed to vendor B's agent."""
    from measurements.models import Contact, Segment, SurveyResponse
    from pathways.models import Agent

    tz = ZoneInfo(centre.time_zone)
    queue_a, queue_b = two_vendors["queue_a"], two_vendors["queue_b"]
    alice = Agent.objects.get(name="Alice")
    at = datetime.combine(today, time(10, 20), tzinfo=tz)

    def contact(ref, outcome, legs, minute):
        c = Contact.objects.create(centre=centre, source=two_vendors["source"], external_id=ref,
                                   channel="voice", queue=queue_a,
                                   arrived_at=at + timedelta(minutes=minute), outcome=outcome)
        for seq, (kind, queue, agent, wait, out) in enumerate(legs, start=1):
            Segment.objects.create(contact=c, seq=seq, kind=kind, queue=queue, agent=agent,
                                   entered_at=c.arrived_at, wait_s=wait, talk_s=100 if agent
                                   else 0, outcome=out)
        return c

    gone = contact("J-abandoned", "abandoned", [("queue", queue_a, None, 95, "abandoned")], 0)
    moved = contact("J-transferred", "handled", [
        ("queue", queue_a, None, 20, "answered"), ("agent", queue_a, alice, 0, "transferred"),
        ("queue", queue_b, None, 12, "answered")], 1)
    bob = Agent.objects.get(pk=9002)  # vendor B's agent: never named to vendor A
    quick = contact("J-quick", "handled", [("queue", queue_a, None, 5, "transferred"),
                                           ("agent", queue_b, bob, 0, "completed")], 2)
    SurveyResponse.objects.create(centre=centre, source=two_vendors["source"],
                                  external_id="S-1", contact=moved, csat=4,
                                  responded_at=moved.arrived_at + timedelta(hours=1))
    return {"gone": gone, "moved": moved, "quick": quick, "alice": alice}


def _drill(client, widget, **params):
    response = client.get(f"/present/widgets/{widget.pk}/drill/", params)
    assert response.status_code == 200
    return response.context


def test_from_a_monthly_service_level_to_the_abandoned_contacts_of_one_interval(
        two_vendors, journeys, viewer_client, today):
    from stakeholders.services import widget_add

    widget = widget_add(two_vendors["dashboard_a"], kind="kpi_tile", title="SL 13 months",
                        metrics=["service_level"], period="rolling_13_months",
                        granularity="month")
    whole = _drill(viewer_client, widget)
    assert whole["rows_grain"] == "month"
    # Only months with data: the fixture's ten days, not thirteen rows of zeros.
    months = [r.label for r in whole["rows"]]
    assert months and f"{today:%B %Y}" in months and len(months) <= 2
    month = next(r for r in whole["rows"] if r.label == f"{today:%B %Y}")

    days = _drill(viewer_client, widget, at=month.at, grain="month")
    assert days["rows_grain"] == "day"
    assert [c[0] for c in days["crumbs"]] == [f"{today:%B %Y}"]
    assert all(r.start.weekday() != 6 for r in days["rows"])  # closed Sundays are not rows
    day = next(r for r in days["rows"] if r.start.date() == today)
    assert sum(r.offered for r in days["rows"]) == month.offered  # the days add up

    hours = _drill(viewer_client, widget, at=day.at, grain="day")
    assert hours["rows_grain"] == "hour" and len(hours["rows"]) == 10  # 08:00–18:00
    assert sum(r.offered for r in hours["rows"]) == day.offered
    ten = next(r for r in hours["rows"] if r.start.hour == 10)

    quarters = _drill(viewer_client, widget, at=ten.at, grain="hour")
    assert quarters["rows_grain"] == "15min" and len(quarters["rows"]) == 4
    assert [c[2] for c in quarters["crumbs"]] == ["month", "day", "hour"]
    assert {c.external_id for c in quarters["contacts"]} == {
        "J-abandoned", "J-transferred", "J-quick"}
    quarter = next(r for r in quarters["rows"] if r.start.minute == 15)

    gone = _drill(viewer_client, widget, at=quarter.at, grain="15min", abandoned="on")
    assert gone["rows_grain"] is None
    assert [c.external_id for c in gone["contacts"]] == ["J-abandoned"]
    assert gone["contacts"][0].queue_wait_s == 95


def longest_first(client, widget, at):
    return list(_drill(client, widget, at=at, grain="hour", sort="-wait")["contacts"])


def test_contacts_filter_sort_page_and_download(two_vendors, journeys, viewer_client, today):
    widget = two_vendors["dashboard_a"].widgets.get(breakdown="queue", kind="time_series")
    at = f"{today:%Y-%m-%d}T10:00"
    over = _drill(viewer_client, widget, at=at, grain="hour", waited_over=60)
    assert [c.external_id for c in over["contacts"]] == ["J-abandoned"]
    by_alice = _drill(viewer_client, widget, at=at, grain="hour", agent=journeys["alice"].pk)
    assert [c.external_id for c in by_alice["contacts"]] == ["J-transferred"]
    assert by_alice["contacts"][0].first_agent == "Alice"
    quick = next(c for c in longest_first(viewer_client, widget, at) if c.external_id == "J-quick")
    assert quick.first_agent is None  # handled by vendor B's agent: not named
    longest = _drill(viewer_client, widget, at=at, grain="hour", sort="-wait")
    assert [c.external_id for c in longest["contacts"]][:3] == [
        "J-abandoned", "J-transferred", "J-quick"]
    # Bad filter values are named 404s, never a 500.
    for bad in ({"waited_over": "-5"}, {"sort": "evil"}, {"agent": "9002"}, {"grain": "week"},
                {"page": "0"}):
        response = viewer_client.get(f"/present/widgets/{widget.pk}/drill/", {"at": at, **bad})
        assert response.status_code == 404, bad
    response = viewer_client.get(f"/present/widgets/{widget.pk}/drill/",
                                 {"at": at, "grain": "hour", "export": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = lines[2]
    assert header[:2] == ["arrived", "contact"] and "wait_in_queue_s" in header
    ids = {row[1] for row in lines[3:]}
    assert {"J-abandoned", "J-transferred", "J-quick"} <= ids
    assert SECRET not in response.content.decode("utf-8-sig")


def test_a_contact_journey_stays_in_scope(two_vendors, journeys, viewer_client):
    widget = two_vendors["dashboard_a"].widgets.get(breakdown="queue", kind="time_series")
    url = f"/present/widgets/{widget.pk}/drill/contacts/{journeys['moved'].pk}/"
    response = viewer_client.get(url, {"back": "https://evil.example/"})
    assert response.status_code == 200
    legs = response.context["legs"]
    assert [(leg.kind, leg.where) for leg in legs] == [
        ("Queue", "Vendor A sales"), ("Agent", "Vendor A sales"),
        ("Queue", "outside your view")]
    html = response.content.decode()
    assert SECRET not in html and "CSAT 4/5" in html and "evil.example" not in html
    for other in (9401, 9999999):  # vendor B's contact; no such contact
        assert viewer_client.get(
            f"/present/widgets/{widget.pk}/drill/contacts/{other}/").status_code == 404
