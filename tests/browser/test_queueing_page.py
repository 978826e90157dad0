"""The queueing page on a real month (Anonymous Bank call-center data, Technion SEE lab):
breakdowns by customer segment (calls that queued) and by contact type, looked at in Chromium."""
import pytest

from contactmis.models import Centre
from tests.measurements.test_monitor_real_data import bank_source, load_months

pytestmark = pytest.mark.browser

MARCH = "start=1999-03-01&end=1999-04-01"


def test_queueing_page_by_segment_and_by_contact_type(page, live_server, login, manager,
                                                      screenshot, anonymous_bank_dir):
    centre = Centre.objects.create(name="Anonymous Bank", time_zone="Asia/Jerusalem")
    load_months(bank_source(centre), anonymous_bank_dir, ["03"])
    login("manager", "manager-pass-2026")
    page.goto(f"{live_server.url}/analysis/queueing/?{MARCH}&by=customer_segment&queued_only=1")
    page.wait_for_selector(".chart .main-svg")
    groups = page.locator("#queueing-groups tbody tr")
    assert groups.count() == 3
    text = page.locator("#queueing-groups").inner_text()
    assert "priority" in text and "regular" in text and "unidentified" in text
    assert "Unassigned or unidentified share" in page.content()
    assert "Callers wait" not in page.content()
    # One survival curve per segment in the Kaplan–Meier chart.
    assert page.locator("#chart-km .scatterlayer .trace").count() >= 3
    screenshot("queueing-by-segment")
    page.goto(f"{live_server.url}/analysis/queueing/?{MARCH}&by=contact_type")
    page.wait_for_selector(".chart .main-svg")
    text = page.locator("#queueing-groups").inner_text()
    assert "NE" in text and "IN" in text
    types = page.locator("#queueing-groups tbody tr").count()
    assert types >= 6  # PS, PE, IN, NE, NW, TT
    assert page.locator("#queueing-erlang tbody tr").count() == types
    screenshot("queueing-by-contact-type")
