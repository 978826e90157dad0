"""A scheduled report e-mailed through a real SMTP server on localhost (aiosmtpd, run by the
test): the HTML part's images are attached inline, the PDF opens and its text carries the
report's figures, and those figures are the dashboard's for the same period and scope."""
import re
import socket
from datetime import UTC, date, datetime, time
from email import message_from_bytes, policy
from io import BytesIO

import pytest
import time_machine

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DAY = date(2026, 11, 18)  # a Wednesday with data


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _data(centre):
    from pathways.models import Agent, Queue
    from stakeholders.services import stakeholder_create
    from tests.stakeholders.factories import interval_rows

    queue_a = Queue.objects.create(centre=centre, code="VA-1", name="Vendor A sales")
    queue_b = Queue.objects.create(centre=centre, code="VB-1", name="Vendor B secret queue")
    agent = Agent.objects.create(centre=centre, code="A1", name="Alice", team="Team A")
    interval_rows(centre, queue_a, 10, DAY, seed=1, agent=agent)
    interval_rows(centre, queue_b, 10, DAY, seed=2)
    vendor = stakeholder_create(name="Vendor A", kind="vendor", queues=[queue_a],
                                emails=["ops@vendor-a.example"])
    return vendor


def _dashboard_figures(stakeholder, now):
    """The KPI tiles a dashboard of ``stakeholder`` shows for DAY (same code path as the
    dashboard page)."""
    from stakeholders.models import Widget
    from stakeholders.scope import stakeholder_scope
    from stakeholders.widgets import widget_result

    dashboard = stakeholder.dashboards.get()
    out = {}
    for metric in ("offered", "answered", "abandoned", "handled", "service_level", "abandon_rate",
                   "asa_s", "aht_s"):
        widget = Widget(dashboard=dashboard, kind="kpi_tile", title=metric, metrics=[metric],
                        period="custom", custom_start=DAY, custom_end=DAY)
        out[metric] = widget_result(widget, stakeholder_scope(stakeholder), now).tile[
            "value_text"]
    return out


def test_a_scheduled_report_arrives_by_smtp_with_images_pdf_and_the_dashboards_figures(
        smtp_server, settings):
    from pypdf import PdfReader

    from contactmis.models import Centre
    from stakeholders.models import ReportRun, ReportSchedule, RunStatus
    from stakeholders.reporting import schedule_save, send_due_reports

    inbox, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    centre = Centre.objects.create(name="Test centre", time_zone="Europe/London")
    vendor = _data(centre)
    with time_machine.travel(datetime(2026, 11, 18, 12, tzinfo=UTC), tick=False):
        schedule = schedule_save(ReportSchedule(
            stakeholder=vendor, name="Daily", template="daily", cadence="daily",
            time_of_day=time(7), time_zone="Europe/London", formats=["pdf"]))
    run_at = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)
    with time_machine.travel(run_at, tick=False):
        send_due_reports()
        dashboard = _dashboard_figures(vendor, run_at)

    run = ReportRun.objects.get(schedule=schedule)
    assert run.status == RunStatus.SENT, run.error
    assert len(inbox.messages) == 1
    recipients, raw = inbox.messages[0]
    assert recipients == ["ops@vendor-a.example"]
    message = message_from_bytes(raw, policy=policy.default)
    parts = list(message.walk())

    html = message.get_body(("html",)).get_content()
    referenced = set(re.findall(r'src="cid:([^"]+)"', html))
    images = {p["Content-ID"].strip("<>"): p for p in parts if p["Content-ID"]}
    assert referenced, "the HTML shows no chart"
    assert referenced <= set(images)
    for cid in referenced:
        assert images[cid].get_content_type() == "image/png"
        assert images[cid].get_content().startswith(b"\x89PNG")
    assert message.get_body(("plain",)).get_content().startswith("Daily service report")

    pdf_part = next(p for p in parts if p.get_content_type() == "application/pdf")
    reader = PdfReader(BytesIO(pdf_part.get_content()))
    assert len(reader.pages) >= 2
    pdf_text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Vendor A sales" in pdf_text and "Vendor B" not in pdf_text and "Vendor B" not in html

    # The headline tiles of the report, in the PDF and the e-mail, are the dashboard's figures.
    tiles = re.findall(r'<div class="label">([^<]+)</div><div class="value">([^<]+)</div>', html)
    labels = {"Offered": "offered", "Answered": "answered", "Abandoned": "abandoned",
              "Handled": "handled", "Service level": "service_level",
              "Abandon rate": "abandon_rate", "ASA": "asa_s", "AHT": "aht_s"}
    emailed = {labels[label]: value for label, value in tiles}
    # The tiles are the counts; every one equals the dashboard's figure for the same day.
    assert emailed and all(dashboard[k] == v for k, v in emailed.items() if k in dashboard)
    for value in dashboard.values():
        assert value in pdf_text
    print("dashboard figures for", DAY, dashboard)


@pytest.mark.django_db(transaction=True)
def test_two_senders_in_parallel_on_postgresql_send_one_email(settings):
    """Two threads (own database connections) run the sender at the same instant for the same
    due schedule: exactly one e-mail and one run."""
    import threading

    from django.core import mail
    from django.db import connection

    from contactmis.models import Centre
    from stakeholders.models import ReportRun, ReportSchedule
    from stakeholders.reporting import schedule_save, send_due_reports

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    centre = Centre.objects.create(name="Test centre", time_zone="Europe/London")
    vendor = _data(centre)
    with time_machine.travel(datetime(2026, 11, 18, 12, tzinfo=UTC), tick=False):
        schedule_save(ReportSchedule(stakeholder=vendor, name="Daily", template="daily",
                                     cadence="daily", time_of_day=time(7),
                                     time_zone="Europe/London", formats=["pdf"]))
    now = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)
    barrier = threading.Barrier(2)
    errors = []

    def sender():
        try:
            barrier.wait(timeout=30)
            send_due_reports(now=now)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert ReportRun.objects.count() == 1
    assert len(mail.outbox) == 1
