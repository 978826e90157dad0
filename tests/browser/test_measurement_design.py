"""The issue's scenario in real Chromium: a manager creates a plan with an objective and a KPI
target, maps IVR → queue → agent with a transfer step, configures a service-level measurement on
the queue, and sees the coverage view flag the unmeasured transfer step."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _select(page, selector, label):
    page.select_option(selector, label=label)


def _save(page):
    page.click("form button.primary")


def test_manager_designs_measurement_for_a_pathway(page, live_server, login, manager,
                                                   screenshot):
    from contactmis.models import Centre
    from measurements.models import DataSource
    from pathways.models import Queue
    from tests.design_factories import ensure_metric_catalogue

    ensure_metric_catalogue()
    centre = Centre.objects.create(name="Northwind Contact Centre", time_zone="Europe/London")
    # routing points and the ACD source exist once data has been registered / imported
    Queue.objects.create(centre=centre, code="IVR-MAIN", name="Main IVR", kind="ivr")
    Queue.objects.create(centre=centre, code="Q-BILL", name="Billing (skill 12)")
    DataSource.objects.create(centre=centre, name="Avaya CMS export", kind="acd",
                              time_zone="Europe/London")
    base = live_server.url
    login("manager", "manager-pass-2026")

    # --- plan, objective, KPI, target --------------------------------------------------------
    page.goto(f"{base}/measurements/plans/")
    page.click("text=Create the first plan")
    page.fill("#id_name", "Customer service plan 2026")
    page.fill("#id_period_start", "2026-01-01")
    page.fill("#id_period_end", "2026-12-31")
    page.fill("#id_standards", "80 % of calls answered within 20 seconds; abandon rate below 5 %.")
    _save(page)
    page.click("text=Add objective")
    page.fill("#id_title", "Answer customers quickly")
    page.fill("#id_desired_outcome", "Customers reach an adviser without a long wait.")
    page.fill("#id_action_plan", "Staff to the Erlang C requirement per half hour.")
    _save(page)
    page.click("text=Add KPI")
    _select(page, "#id_metric_code", "Service level (service_level)")
    page.fill("#id_name", "Billing service level")
    _save(page)
    page.click("text=Add target")
    page.fill("#id_value", "140")
    _save(page)
    assert "outside the valid range" in page.locator(".field-error").inner_text()
    screenshot("design-target-error")
    page.fill("#id_value", "80")
    _save(page)
    page.click("text=Add budget line")
    _select(page, "#id_category", "Labour")
    page.fill("#id_description", "Advisers and team leaders")
    page.fill("#id_amount", "1250000")
    _save(page)
    page.click("text=Add planned volume")
    _select(page, "#id_channel", "Voice")
    page.fill("#id_contacts", "500000")
    _save(page)
    page.click("text=Add objective")
    page.fill("#id_title", "Resolve billing queries at the first contact")
    _save(page)
    gaps = page.locator("#gaps").inner_text()
    assert "“Answer customers quickly” has KPIs but none is measured" in gaps
    assert "Budget line Labour" in gaps

    # --- pathway: IVR → queue → agent → transfer ---------------------------------------------
    page.goto(f"{base}/pathways/")
    page.click("text=Map the first pathway")
    page.fill("#id_name", "Billing line")
    page.fill("#id_description", "Callers choosing option 2 in the main menu.")
    _save(page)
    steps = [
        ("Main menu", "IVR menu / node", "Main IVR", "Avaya Experience Portal"),
        ("Billing queue", "ACD queue (skill / split)", "Billing (skill 12)", "Avaya CM ACD"),
        ("Billing adviser", "Agent handling", None, "Avaya CM ACD"),
        ("Transfer to retention", "Internal transfer", None, "Avaya CM ACD"),
    ]
    for name, kind, queue, system in steps:
        page.click("text=Add step")
        page.fill("#id_name", name)
        _select(page, "#id_kind", kind)
        if queue:
            _select(page, "#id_queue", queue)
        page.fill("#id_system_of_record", system)
        page.check("input[name=measurement_methods][value=timestamps]")
        if kind == "Internal transfer":
            screenshot("design-step-form")
        _save(page)
    edges = [("Main menu", "Billing queue", "Menu option", "2 – Billing"),
             ("Billing queue", "Billing adviser", "Routing", ""),
             ("Billing adviser", "Transfer to retention", "Transfer", "Cancellation request")]
    for source, target, kind, label in edges:
        page.click("text=Add transition")
        _select(page, "#id_source", source)
        _select(page, "#id_target", target)
        _select(page, "#id_kind", kind)
        page.fill("#id_label", label)
        _save(page)
    assert page.locator("svg.pathway-diagram g.node").count() == 4
    screenshot("design-pathway")

    # --- service-level measurement on the queue ----------------------------------------------
    page.goto(f"{base}/measurements/configs/")
    page.click("text=Configure a measurement")
    _select(page, "#id_step", "Billing line › Billing queue")
    _select(page, "#id_metric", "Service level — service_level/excl_short_abandons v1")
    _select(page, "#id_source", "Avaya CMS export")
    page.fill("#id_threshold_s", "25")
    _save(page)
    assert "not one of the wait thresholds" in page.locator(".field-error").inner_text()
    screenshot("design-config-error")
    page.fill("#id_threshold_s", "20")
    _select(page, "#id_kpi", "Customer service plan 2026 › Billing service level")
    _save(page)

    # --- coverage flags the unmeasured steps, the transfer among them -------------------------
    assert "/coverage/" in page.url
    notice = page.locator("#unmeasured").inner_text()
    assert "Transfer to retention" in notice
    row = page.locator("tr[data-step='Transfer to retention']")
    assert "no measurement" in row.inner_text()
    assert "measured" in page.locator("tr[data-step='Billing queue']").inner_text()
    assert page.locator("g.node.flagged[data-step='Transfer to retention']").count() == 1
    assert page.locator("g.node.flagged[data-step='Billing queue']").count() == 0
    screenshot("design-coverage")

    # --- the plan now shows the chain down to the measurement --------------------------------
    page.goto(f"{base}/measurements/plans/")
    page.click("text=Customer service plan 2026")
    chain = page.locator("li[data-objective='Answer customers quickly']").inner_text()
    assert "Billing line › Billing queue" in chain and "80 %" in chain
    gaps = page.locator("#gaps").inner_text()
    assert "Answer customers quickly" not in gaps  # measured now
    assert "“Resolve billing queries at the first contact” has no KPI" in gaps
    assert "2.50" in page.locator("#budget").inner_text()  # 1 250 000 / 500 000 contacts
    screenshot("design-plan")
    page.goto(f"{base}/measurements/metrics/")
    assert page.get_by_text("Service level (of answered)").is_visible()
    screenshot("design-metrics")
