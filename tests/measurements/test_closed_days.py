"""Closed days (bank holidays, closures): the monitor expects no data on them; the manager keeps
them on the monitor page and through the API."""
import datetime as dt
import tempfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from measurements.models import Alert, ClosedDay, DataSource
from measurements.selectors.quality import source_health
from measurements.services.monitor import closed_day_save, closed_days_load, monitor_check

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, WEDNESDAY = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4)
# Calls on Monday and Wednesday, nothing at all on Tuesday, a day with opening hours.
SCRIPT = """date 2026-03-02
09:00:05 IVR 20s; queue Billing 10s; answered by ann; talk 180s
date 2026-03-04
09:00:05 IVR 20s; queue Billing 10s; answered by ann; talk 180s
"""


@pytest.fixture
def acd(centre):
    from measurements.services.ingest import batch_create, batch_process

    centre.opening_hours = {str(d): [["09:00", "09:30"]] for d in range(5)}
    centre.save()
    source = DataSource.objects.create(centre=centre, name="ACD", kind="acd_ivr",
                                       time_zone=centre.time_zone)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calls.txt"
        path.write_text(SCRIPT)
        batch = batch_process(batch_create(source=source, file=path,
                                           export_format="scripted_contacts", enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    return source


def _codes(centre):
    return {a.code: a for a in Alert.objects.filter(centre=centre)}


def test_a_day_with_opening_hours_and_no_data_raises_an_alert(centre, acd):
    monitor_check(centre, email=False)
    alert = _codes(centre)["missing_day"]
    assert "no data at all on Tue 03 Mar 2026" in alert.message
    assert source_health(acd)["missing_days"] == [TUESDAY]


def test_the_same_day_marked_closed_raises_no_alert(centre, acd):
    closed_day_save(ClosedDay(centre=centre, date=TUESDAY, name="Site closed"))
    monitor_check(centre, email=False)
    assert "missing_day" not in _codes(centre)
    health = source_health(acd)
    assert health["missing_days"] == [] and health["closed_days"] == [TUESDAY]
    # Its opening hours are not expected either: two 15-minute intervals on each open day.
    assert health["expected_intervals"] == 4


def test_a_date_is_closed_once(centre):
    closed_day_save(ClosedDay(centre=centre, date=TUESDAY, name="Site closed"))
    with pytest.raises(ValidationError) as exc:
        closed_day_save(ClosedDay(centre=centre, date=TUESDAY))
    assert exc.value.message_dict["date"] == [
        "Tue 03 Mar 2026 is already a closed day (Site closed)."]
    assert closed_days_load(centre, {TUESDAY: "Holiday", WEDNESDAY: "Holiday"}) == 1
    assert ClosedDay.objects.get(date=TUESDAY).name == "Site closed"


def test_manager_adds_and_removes_closed_days_on_the_monitor_page(manager_client, centre):
    url = reverse("measurements:monitor")
    page = manager_client.get(url)
    assert "No closed days yet" in page.text and "bank holiday" in page.text
    added = manager_client.post(reverse("measurements:closed-day-create"),
                                {"date": "2026-12-25", "name": "Christmas Day"}, follow=True)
    assert added.status_code == 200
    assert "Fri 25 Dec 2026 – Christmas Day marked closed" in added.text
    closed = ClosedDay.objects.get(centre=centre)
    again = manager_client.post(reverse("measurements:closed-day-create"),
                                {"date": "2026-12-25"})
    assert again.status_code == 400
    assert "Fri 25 Dec 2026 is already a closed day (Christmas Day)." in again.text
    empty = manager_client.post(reverse("measurements:closed-day-create"), {"name": "x"})
    assert empty.status_code == 400 and "This field is required." in empty.text
    wrong = manager_client.post(reverse("measurements:closed-day-create"),
                                {"date": "31/02/2026"})
    assert wrong.status_code == 400 and "Enter a valid date." in wrong.text
    removed = manager_client.post(reverse("measurements:closed-day-delete", args=[closed.pk]),
                                  follow=True)
    assert "is an ordinary day again" in removed.text
    assert not ClosedDay.objects.exists()


def test_analyst_sees_closed_days_but_cannot_change_them(analyst_client, centre):
    closed_day_save(ClosedDay(centre=centre, date=TUESDAY, name="Site closed"))
    page = analyst_client.get(reverse("measurements:monitor"))
    assert "Tue 3 Mar 2026" in page.text and "Mark closed" not in page.text
    assert analyst_client.post(reverse("measurements:closed-day-create"),
                               {"date": "2026-12-25"}).status_code == 403
    assert ClosedDay.objects.count() == 1


def test_closed_days_api(api_client, manager, analyst, centre):
    api_client.force_authenticate(manager)
    url = "/api/v1/closed-days/"
    created = api_client.post(url, {"date": "2026-12-25", "name": "Christmas Day"},
                              format="json")
    assert created.status_code == 201, created.content
    listed = api_client.get(url).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(r["date"], r["name"]) for r in rows] == [("2026-12-25", "Christmas Day")]
    clash = api_client.post(url, {"date": "2026-12-25"}, format="json")
    assert clash.status_code == 400
    assert clash.json()["date"] == ["Fri 25 Dec 2026 is already a closed day (Christmas Day)."]
    api_client.force_authenticate(analyst)
    assert api_client.get(url).status_code == 200
    assert api_client.post(url, {"date": "2026-12-26"}, format="json").status_code == 403
    api_client.force_authenticate(manager)
    pk = created.json()["id"]
    assert api_client.delete(f"{url}{pk}/").status_code == 204
    assert not ClosedDay.objects.exists()


def test_days_between_two_files_count_only_when_the_centre_was_open(centre, acd):
    from measurements.services.ingest import batch_create, batch_process

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "next-week.txt"
        # Contacts are named after their line: line 6 is a new contact, not a correction.
        path.write_text("date 2026-03-09\n# next week\n#\n#\n#\n"
                        "09:00:05 IVR 20s; queue Billing 10s; answered by ann; talk 180s\n")
        batch_process(batch_create(source=acd, file=path, export_format="scripted_contacts",
                                   enqueue=False).pk)
    # Thursday to Sunday between the files: Thursday and Friday have opening hours.
    assert source_health(acd)["uncovered"] == [(dt.date(2026, 3, 5), dt.date(2026, 3, 6))]
    closed_days_load(centre, {dt.date(2026, 3, 5): "Closed", dt.date(2026, 3, 6): "Closed"})
    assert source_health(acd)["uncovered"] == []


def test_a_small_feed_swinging_by_a_few_contacts_is_not_unusual():
    from measurements.selectors.quality import volume_anomalies

    mondays = [dt.date(2026, 3, 2) + dt.timedelta(weeks=w) for w in range(5)]
    small = dict(zip(mondays, [28, 27, 29, 30, 11], strict=True))
    assert volume_anomalies(small, 2.0) == []
    large = {d: 10 * n for d, n in small.items()}
    assert [a["date"] for a in volume_anomalies(large, 2.0)] == [mondays[-1]]
