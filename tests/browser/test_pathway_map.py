"""A branching pathway with loops and observed volumes, drawn in real Chromium: every step and
label is visible and no two labels or boxes overlap on the rendered page."""
import datetime

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _build(centre):
    from pathways import services as s
    from pathways.models import Queue
    from tests.design_factories import interval_row

    ivr_q = Queue.objects.create(centre=centre, code="IVR-MAIN", kind="ivr")
    bill_q = Queue.objects.create(centre=centre, code="Q-BILL", name="Billing")
    tech_q = Queue.objects.create(centre=centre, code="Q-TECH", name="Technical support")
    pw = s.pathway_create(centre=centre, name="Main number", channel="voice")
    menu = s.step_create(pathway=pw, name="Main menu", kind="ivr", is_entry=True, queue=ivr_q,
                         system_of_record="Genesys IVR")
    selfserve = s.step_create(pathway=pw, name="Balance by phone", kind="self_service_end",
                              system_of_record="Genesys IVR")
    bill = s.step_create(pathway=pw, name="Billing queue", kind="queue", queue=bill_q,
                         system_of_record="Genesys ACD")
    tech = s.step_create(pathway=pw, name="Technical support queue", kind="queue",
                         queue=tech_q, system_of_record="Genesys ACD")
    agent = s.step_create(pathway=pw, name="Billing adviser", kind="agent",
                          system_of_record="Genesys ACD")
    tl = s.step_create(pathway=pw, name="Team leader", kind="escalation",
                       system_of_record="Salesforce case")
    hang = s.step_create(pathway=pw, name="Caller hangs up", kind="exit")
    cb = s.step_create(pathway=pw, name="Callback request", kind="callback",
                       system_of_record="Genesys callback")
    for src, dst, kind, label in [
        (menu, selfserve, "menu", "1 – Balance"), (menu, bill, "menu", "2 – Billing"),
        (menu, tech, "menu", "3 – Technical problem"), (bill, agent, "route", ""),
        (bill, hang, "exit", "Abandoned while waiting"),
        (bill, cb, "overflow", "Wait over 5 minutes"),
        (agent, tl, "escalation", "Complaint"), (agent, tech, "transfer", "Fault found"),
        (tech, menu, "menu", "Back to main menu"),
    ]:
        s.transition_create(pathway=pw, source=src, target=dst, kind=kind, label=label)
    day = datetime.date(2026, 3, 2)
    interval_row(centre, ivr_q, day, ivr_sessions=1200, ivr_contained=310, ivr_to_queue=850)
    interval_row(centre, bill_q, day, offered=640, answered=590, abandoned=38, flowed_out=12,
                 handled=590, transfers=41, escalations=9)
    interval_row(centre, tech_q, day, offered=251, answered=230, abandoned=21, handled=230)
    return pw


def test_branching_pathway_map_has_no_overlapping_labels(page, live_server, login, manager,
                                                         screenshot):
    from contactmis.models import Centre

    pw = _build(Centre.objects.create(name="Centre", time_zone="Europe/London"))
    login("manager", "manager-pass-2026")
    page.goto(f"{live_server.url}/pathways/{pw.pk}/")
    assert page.locator("svg.pathway-diagram g.node").count() == 8
    boxes = page.eval_on_selector_all(
        "svg.pathway-diagram g.node > rect:not(.band), svg.pathway-diagram g.edge-label rect",
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [r.x, r.y, r.width, r.height]; })")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap = not (a[0] + a[2] <= b[0] + 0.5 or b[0] + b[2] <= a[0] + 0.5
                           or a[1] + a[3] <= b[1] + 0.5 or b[1] + b[3] <= a[1] + 0.5)
            assert not overlap, (a, b)
    text = page.locator("svg.pathway-diagram").text_content()
    assert "1,200 contacts" in text and "640 contacts" in text
    assert "Wait over 5 minutes · 12" in text and "Complaint · 9" in text
    screenshot("pathway-branching")


def test_a_wide_map_fits_its_card_and_zooms_and_pans(page, live_server, login, manager,
                                                     screenshot):
    """The demo's inbound map was 2,627 px wide in a 1,088 px box: it opens fitted, "+" zooms
    in (the box then scrolls and drags), "Fit" brings it back."""
    from contactmis.models import Centre

    pw = _build(Centre.objects.create(name="Centre", time_zone="Europe/London"))
    login("manager", "manager-pass-2026")
    page.set_viewport_size({"width": 900, "height": 900})
    page.goto(f"{live_server.url}/pathways/{pw.pk}/")

    def widths():
        return page.eval_on_selector(
            ".diagram-wrap", "w => [w.clientWidth, w.querySelector('svg').getBoundingClientRect()"
            ".width, w.scrollWidth]")

    box, svg, scroll = widths()
    assert svg <= box + 1 and scroll <= box + 1  # fitted: nothing hidden to the right
    assert page.locator(".diagram-tools").inner_text().strip().endswith("fitted")
    for _ in range(4):
        page.get_by_role("button", name="+").click()
    box, svg, scroll = widths()
    assert svg > box and scroll > box
    assert page.locator(".diagram-wrap.zoomed").count() == 1
    before = page.eval_on_selector(".diagram-wrap", "w => w.scrollLeft")
    wrap = page.locator(".diagram-wrap").bounding_box()
    page.mouse.move(wrap["x"] + 300, wrap["y"] + 100)
    page.mouse.down()
    page.mouse.move(wrap["x"] + 100, wrap["y"] + 100)
    page.mouse.up()
    assert page.eval_on_selector(".diagram-wrap", "w => w.scrollLeft") > before  # dragged
    screenshot("pathway-zoomed")
    page.get_by_role("button", name="Fit").click()
    box, svg, scroll = widths()
    assert svg <= box + 1
