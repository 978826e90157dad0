"""Queueing science over every queue in scope never pools channels answered in seconds with
channels answered in hours: patience in seconds and patience in hours are not one headline."""
import datetime as dt

import pytest

from contactmis.scope import Scope
from measurements.models import Contact, DataSource, Segment
from pathways.models import Agent, Queue
from reports.analyses import queueing_report
from tests.reports.factories import mailbox_measured_in_hours

pytestmark = pytest.mark.django_db


def _legs(centre, queue, agent, source, channel, first, wait_s, n, prefix):
    for k in range(n):
        arrived = first + dt.timedelta(minutes=7 * k)
        answered = k % 4 != 3
        contact = Contact.objects.create(
            centre=centre, source=source, external_id=f"{prefix}{k}", queue=queue,
            channel=channel, arrived_at=arrived,
            outcome="answered" if answered else "abandoned")
        Segment.objects.create(contact=contact, seq=1, kind="queue", queue=queue,
                               entered_at=arrived, wait_s=wait_s + k,
                               outcome="answered" if answered else "abandoned")
        if answered:
            Segment.objects.create(
                contact=contact, seq=2, kind="agent", queue=queue, agent=agent,
                entered_at=arrived + dt.timedelta(seconds=wait_s + k),
                left_at=arrived + dt.timedelta(seconds=wait_s + k + 300), talk_s=270,
                hold_s=30, outcome="answered")


@pytest.fixture
def calls_and_emails(centre):
    calls = Queue.objects.create(centre=centre, code="CALLS", name="Calls")
    mail = mailbox_measured_in_hours(centre)
    agent = Agent.objects.create(centre=centre, code="A1", name="Ann")
    source = DataSource.objects.create(centre=centre, name="ACD", kind="acd")
    day = dt.datetime(2026, 2, 18, 9, 0, tzinfo=centre.tz)
    _legs(centre, calls, agent, source, "voice", day, 30, 40, "c")
    _legs(centre, mail, agent, source, "email", day, 5 * 3600, 40, "m")
    return calls, mail


def test_calls_and_emails_are_read_per_channel_with_the_reason(centre, calls_and_emails):
    report = queueing_report(Scope.everything(), centre, dt.date(2026, 2, 18),
                             dt.date(2026, 2, 19))
    assert report["by"] == "channel"
    assert sorted(g["key"] for g in report["groups"]) == ["email", "voice"]
    waits = {g["key"]: g["wait_mean_s"] for g in report["groups"]}
    assert waits["voice"] < 100 < 3600 < waits["email"]  # never one blended mean
    assert "Broken down by channel" in report["note"]
    assert "seconds (Voice)" in report["note"] and "hours (E-mail)" in report["note"]
    assert "caveat" not in report


def test_one_channel_or_a_chosen_breakdown_is_read_as_asked(centre, calls_and_emails):
    calls, _ = calls_and_emails
    voice = queueing_report(Scope.everything(), centre, dt.date(2026, 2, 18),
                            dt.date(2026, 2, 19), channel="voice")
    assert voice["by"] == "" and [g["key"] for g in voice["groups"]] == ["all"]
    assert "note" not in voice
    by_queue = queueing_report(Scope.everything(), centre, dt.date(2026, 2, 18),
                               dt.date(2026, 2, 19), by="queue")
    assert by_queue["by"] == "queue" and "note" not in by_queue
    assert "caveat" not in by_queue  # each queue is one channel: nothing is pooled
    by_segment = queueing_report(Scope.everything(), centre, dt.date(2026, 2, 18),
                                 dt.date(2026, 2, 19), by="customer_segment")
    assert "several channels are pooled" in by_segment["caveat"]


def test_the_page_names_the_channels_and_the_reason(manager_client, calls_and_emails):
    html = manager_client.get("/analysis/queueing/?start=2026-02-18&end=2026-02-19").content \
        .decode()
    assert "Patience by channel" in html
    assert "<td>E-mail</td>" in html and "<td>Voice</td>" in html
    assert "contacts answered in seconds (Voice) and in hours (E-mail)" in html


def test_a_channel_where_nobody_abandoned_has_no_patience_headline(manager_client, centre):
    """E-mails are never abandoned: Kaplan–Meier's restricted mean would only be the longest
    wait, so the page says no contact abandoned instead of a patience of hours."""
    mail = Queue.objects.create(centre=centre, code="MAIL", name="Mailbox", kind="cms",
                                channel="email")
    source = DataSource.objects.create(centre=centre, name="CRM", kind="crm")
    day = dt.datetime(2026, 2, 18, 9, 0, tzinfo=centre.tz)
    for k in range(12):
        arrived = day + dt.timedelta(minutes=10 * k)
        contact = Contact.objects.create(centre=centre, source=source, external_id=f"m{k}",
                                         queue=mail, channel="email", arrived_at=arrived,
                                         outcome="answered")
        Segment.objects.create(contact=contact, seq=1, kind="queue", queue=mail,
                               entered_at=arrived, wait_s=4 * 3600 + k, outcome="answered")
    html = manager_client.get("/analysis/queueing/?start=2026-02-18&end=2026-02-19").content \
        .decode()
    assert "none abandoned" in html
    report = queueing_report(Scope.everything(), centre, dt.date(2026, 2, 18),
                             dt.date(2026, 2, 19))
    assert report["groups"][0]["abandoned"] == 0
    assert not any("patience" in s.lower() for s in report["groups"][0]["sentences"])
