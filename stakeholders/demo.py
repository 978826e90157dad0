"""The demonstration centre: simulate its exports, ingest them through the normal batch pipeline
and give it names, a business plan and pathways (``manage.py demo_load``, run by ``make demo``).

This module sits in the top layer because the demo touches every app. It writes only through the
apps' own models and services: files go through :func:`measurements.services.ingest.batch_create`
and :func:`~measurements.services.ingest.batch_process`, the same code path as a browser upload.

Dates are local days of the centre (``Europe/London`` by default); timestamps inside the files
follow the manifest (``docs/simulator.md``).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from contactmis.models import Centre
from contactmis.selectors import centre_get_or_create_default
from measurements.constants import BatchStatus
from measurements.models import (
    BudgetLine,
    BusinessPlan,
    DataSource,
    ImportBatch,
    Kpi,
    MeasurementConfig,
    MetricDefinition,
    Objective,
    PlannedVolume,
    Target,
)
from measurements.services.ingest import (
    batch_create,
    batch_process,
    quality_checks_deferred,
    source_create,
)
from pathways.models import Agent, Pathway, Queue, Step, Transition
from reports.models import Forecast

#: Simulator scale used by ``make demo``: sized so the whole ``make demo`` on a fresh clone
#: serves within 5 minutes on a 2-core machine (docs/benchmarks.md).
DEMO_SCALE = 0.12
DEMO_SEED = 7
PLAN_NAME = "Customer service plan"
IVR_CODE = "Main IVR"
VENDOR_SITE = "Sales vendor (outsourced)"
HOME_SITE = "Leeds"

#: Loading order: contacts before the surveys that refer to them; per source, months in order
#: (Asterisk calls open at the end of a month are carried into the next file).
SOURCE_ORDER = ("In-house ACD (Asterisk)", "Sales vendor (Amazon Connect)", "IVR sessions",
                "Digital contacts (CRM)", "Digital agent states (WFM)",
                "Sales vendor agent states (WFM)", "Post-contact survey")

FIRST = ("Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Grace", "Leo",
         "Freya", "Oscar", "Lily", "Harry", "Ivy", "Jack", "Rosie", "Theo", "Evie", "Finley",
         "Sophie", "Charlie", "Poppy", "Alfie", "Ella", "Jacob", "Daisy", "Henry", "Ruby", "Max")
LAST = ("Khan", "Patel", "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas",
        "Roberts", "Walker", "Wright", "Hughes", "Green", "Hall", "Clarke", "Lewis", "Young",
        "Hill", "Cooper", "Ward", "Morris", "King", "Baker", "Turner", "Price", "Shaw", "Reid")


class DemoError(Exception):
    """The demo could not be loaded; the message says what and where."""


@dataclass
class DemoResult:
    loaded: bool
    centre: Centre
    manifest: dict = field(default_factory=dict)
    batches: int = 0
    rows_rejected: int = 0
    rejected_by_source: dict = field(default_factory=dict)
    failed: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    tests: dict = field(default_factory=dict)   # test name -> run status
    alerts: list = field(default_factory=list)  # monitor alert messages
    forecast: object = None  # the forecast issued for the week after the data, if any


# --- manifest → data-source settings ------------------------------------------------------------

#: Manifest value maps give IVR/CRM outcomes as segment outcomes; the generic adapter takes
#: contact outcomes. ``closed`` (told the centre is closed) ends without an agent (``error``).
IVR_OUTCOMES = {"self_served": "self_served", "to_queue": "transferred_out",
                "abandoned": "abandoned", "closed": "error"}
CRM_OUTCOMES = {"answered": "handled", "abandoned": "abandoned", "open": "open"}
#: Manifest canonical names the generic mapping has no field for (kept in the source's notes).
UNMAPPED = {"ivr_path", "ivr_option", "team"}


def generic_mapping(source: dict) -> dict:
    """The generic adapter's saved mapping (``DataSource.column_mapping``) for a manifest CSV
    source: ``columns`` is canonical field → header (the manifest has header → canonical),
    ``handle_s`` (talk + wrap-up seconds) goes to ``talk_s``, outcomes through the tables above.
    """
    columns = {}
    for header, canonical in (source.get("column_mapping") or {}).items():
        if canonical in UNMAPPED:
            continue
        if canonical == "handle_s":
            canonical = "talk_s"
        columns[canonical] = header
    mapping = {"columns": columns, "time_zone": source["time_zone"], "duration_unit": "s",
               "delimiter": ","}
    if source["kind"] == "wfm":
        return {"records": "agent_states", "columns": columns,
                "state_values": (source.get("value_maps") or {}).get("state", {}),
                "time_zone": source["time_zone"], "delimiter": ","}
    if source["kind"] == "ivr":
        # IVR legs sit on the IVR routing point; the queue column says where a call went next.
        columns.pop("queue", None)
        mapping.update(queue=IVR_CODE, queue_kind="ivr", channel="voice",
                       outcome_values=IVR_OUTCOMES)
    else:
        mapping.update(queue_kind="web", outcome_values=CRM_OUTCOMES)
    return mapping


# --- the load -----------------------------------------------------------------------------------

def demo_is_loaded(centre: Centre) -> bool:
    return BusinessPlan.objects.filter(centre=centre, name=PLAN_NAME).exists()


def demo_load(*, out_dir: Path, scale: float = DEMO_SCALE, seed: int = DEMO_SEED,
              start: date | None = None, end: date | None = None, force: bool = False,
              log=print) -> DemoResult:
    """Simulate (or reuse) the demo exports in ``out_dir``, ingest them and create the demo
    content. Skips everything when the demo plan exists, unless ``force`` (then the demo's
    data sources, queues, agents, pathways and plan are deleted and rebuilt)."""
    centre = centre_get_or_create_default()
    if demo_is_loaded(centre) and not force:
        log(f"Demo data already loaded for {centre.name}; use --force to rebuild.")
        return DemoResult(loaded=False, centre=centre)
    result = DemoResult(loaded=True, centre=centre)
    began = time.perf_counter()
    if force:
        demo_wipe(centre)
    manifest = _simulate(Path(out_dir), scale, seed, start, end, centre.time_zone, log)
    result.manifest = manifest
    result.seconds["simulate"] = time.perf_counter() - began
    centre = _centre(centre, manifest)
    result.centre = centre
    sources = _sources(centre, manifest)
    queues = _queues(centre, manifest)
    _agents(centre, manifest)
    _closed_days(centre, manifest)
    t = time.perf_counter()
    # Tests and the monitor run once on the whole history at the end, not after every file.
    with quality_checks_deferred():
        _ingest(sources, manifest, Path(out_dir), result, log)
    result.seconds["ingest"] = time.perf_counter() - t
    with transaction.atomic():
        plan, kpis = _plan(centre, manifest, queues)
        _pathways(centre, manifest, queues, sources, kpis)
        _stakeholders(queues)
    t = time.perf_counter()
    result.tests = _measurement_tests(centre, sources, log)
    result.alerts = _monitor(centre, log)
    result.seconds["checks"] = time.perf_counter() - t
    result.forecast = _forecast(centre, manifest, log)
    result.seconds["total"] = time.perf_counter() - began
    return result


def demo_wipe(centre: Centre) -> None:
    """Delete what the demo loaded (contacts, batches, sources, pathways, plan, queues,
    agents) in dependency order."""
    from measurements.models import (
        AgentIntervalStat,
        AgentState,
        Contact,
        IntervalStat,
        RejectedRow,
        Segment,
        SurveyResponse,
    )
    from measurements.models.monitor import Alert, ClosedDay
    from measurements.models.testing import MeasurementTest

    from .models import Stakeholder

    with transaction.atomic():
        Stakeholder.objects.filter(name__in=[s[0] for s in STAKEHOLDERS]).delete()
        MeasurementTest.objects.filter(centre=centre).delete()
        Alert.objects.filter(centre=centre).delete()
        ClosedDay.objects.filter(centre=centre).delete()
        MeasurementConfig.objects.filter(step__pathway__centre=centre).delete()
        Pathway.objects.filter(centre=centre).delete()
        BusinessPlan.objects.filter(centre=centre).delete()
        sources = DataSource.objects.filter(centre=centre)
        for model in (SurveyResponse, AgentState, IntervalStat, AgentIntervalStat):
            model.objects.filter(source__in=sources).delete()
        Segment.objects.filter(contact__source__in=sources).delete()
        Contact.objects.filter(source__in=sources).delete()
        RejectedRow.objects.filter(batch__source__in=sources).delete()
        ImportBatch.objects.filter(source__in=sources).delete()
        sources.delete()
        Queue.objects.filter(centre=centre).delete()
        Agent.objects.filter(centre=centre).delete()
        # Forecasts the demo issued (no issuer) were made from the data just deleted.
        Forecast.objects.filter(centre=centre, issued_by__isnull=True).delete()


def _simulate(out: Path, scale, seed, start, end, zone, log) -> dict:
    from measurements.simulator import default_period, period_ending, simulate, write_exports
    from measurements.simulator.config import default_centre

    end = end or default_period(zone)[1]
    start = start or period_ending(end)[0]
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if (manifest.get("seed") == seed and manifest.get("scale") == scale
                and manifest.get("period") == {"start": str(start), "end": str(end)}):
            log(f"Reusing the simulated exports in {out} ({start} to {end}).")
            return manifest
    log(f"Simulating {start} to {end} (scale {scale}, seed {seed}) into {out} …")
    sim = simulate(start, end, seed=seed, scale=scale, time_zone=zone, config=default_centre(zone))
    manifest = write_exports(sim, out)
    log(f"  {len(sim.contacts):,} contacts, {len(sim.surveys):,} survey responses.")
    return manifest


def _centre(centre: Centre, manifest: dict) -> Centre:
    info = manifest["centre"]
    centre.name = info["name"]
    centre.time_zone = info["time_zone"]
    centre.opening_hours = info["opening_hours"]
    centre.full_clean()
    centre.save()
    return centre


def _sources(centre, manifest) -> dict[str, DataSource]:
    out = {}
    for spec in manifest["sources"]:
        if spec["name"] not in SOURCE_ORDER:
            continue
        existing = DataSource.objects.filter(centre=centre, name=spec["name"]).first()
        if existing:
            out[spec["name"]] = existing
            continue
        fields = {"name": spec["name"], "kind": spec["kind"],
                  "export_format": spec["export_format"], "time_zone": spec["time_zone"],
                  "description": f"{spec.get('notes', '')} Timestamps: {spec['timestamps']}."}
        if spec["export_format"] == "generic":
            fields["column_mapping"] = generic_mapping(spec)
        out[spec["name"]] = source_create(centre=centre, **fields)
    return out


def _closed_days(centre, manifest) -> None:
    """The simulated period's bank holidays become the centre's closed days (the monitor then
    expects no ACD, chat or e-mail data on them)."""
    from measurements.services.monitor import closed_days_load

    closed_days_load(centre, {date.fromisoformat(d["date"]): d["name"]
                              for d in manifest["centre"].get("closed_days", [])})


def _queues(centre, manifest) -> dict[str, Queue]:
    queues = {}
    ivr, _ = Queue.objects.update_or_create(
        centre=centre, code=IVR_CODE,
        defaults={"name": "Main IVR (0800 number)", "kind": "ivr", "channel": "voice",
                  "site": HOME_SITE})
    queues[IVR_CODE] = ivr
    for spec in manifest["queues"]:
        kind = "acd" if spec["channel"] == "voice" else "web"
        site = VENDOR_SITE if spec["vendor"] else HOME_SITE
        queues[spec["name"]], _ = Queue.objects.update_or_create(
            centre=centre, code=spec["name"],
            defaults={"name": spec["name"], "kind": kind, "channel": spec["channel"],
                      "site": site})
    return queues


def _agents(centre, manifest) -> None:
    n = 0
    for team in manifest["teams"]:
        site = VENDOR_SITE if team["vendor"] else HOME_SITE
        for code in sorted(team["agents"]):
            name = f"{FIRST[n % len(FIRST)]} {LAST[(n * 7) % len(LAST)]}"
            n += 1
            Agent.objects.update_or_create(centre=centre, code=code, defaults={
                "name": name, "team": team["name"], "site": site})


def _ingest(sources, manifest, out: Path, result: DemoResult, log) -> None:
    specs = {s["name"]: s for s in manifest["sources"]}
    files = [(name, f) for name in SOURCE_ORDER for f in sorted(
        specs[name]["files"], key=lambda f: f["month"])]
    total = len(files)
    for i, (name, info) in enumerate(files, 1):
        source = sources[name]
        path = out / info["path"]
        if not path.exists():
            raise DemoError(f"{path}: listed in manifest.json but missing; delete {out} and "
                            "run demo_load again to simulate afresh.")
        t = time.perf_counter()
        batch = batch_create(source=source, file=path, enqueue=False)
        if batch.status == BatchStatus.PENDING:
            batch = batch_process(batch.pk)
        result.batches += 1
        result.rows_rejected += batch.rows_rejected
        result.rejected_by_source[name] = result.rejected_by_source.get(name, 0) + \
            batch.rows_rejected
        if batch.status not in (BatchStatus.LOADED, BatchStatus.DUPLICATE):
            result.failed.append(f"{info['path']}: {batch.status} {batch.error}")
        log(f"  [{i:>2}/{total}] {info['path']:<48} {batch.status:<9} "
            f"{batch.contacts_loaded + batch.surveys_loaded + batch.agent_states_loaded:>7,} rows, "
            f"{batch.rows_rejected:,} rejected, {time.perf_counter() - t:5.1f} s")


# --- business plan ------------------------------------------------------------------------------

def _metric(code, variant=None):
    qs = MetricDefinition.objects.filter(code=code)
    qs = qs.filter(variant=variant) if variant is not None else qs.filter(is_default_variant=True)
    return qs.order_by("-effective_from").first()


def _months(start: date, end: date):
    y, m = start.year, start.month
    while date(y, m, 1) <= end:
        first = date(y, m, 1)
        ny, nm = (y + (m == 12), m % 12 + 1)
        last = date.fromordinal(date(ny, nm, 1).toordinal() - 1)
        yield max(first, start), min(last, end)
        y, m = ny, nm


#: The business plan's service-level target per queue answered in seconds (percent; each
#: answered within its own configured threshold: calls 20 s, Tier 2 30 s, chats 60 s). A team
#: leader who sees some queues is judged by these (not by the centre-wide plan).
CALL_QUEUE_TARGETS = (("Billing", "80"), ("Technical Support", "80"),
                      ("Technical – Tier 2", "85"), ("Customer Service", "80"), ("Chat", "80"))


def _plan(centre, manifest, queues):
    start = date.fromisoformat(manifest["period"]["start"])
    simulated_end = date.fromisoformat(manifest["period"]["end"])
    # The simulated data ends yesterday; the plan, like a real one, runs on to the end of the
    # current month, so today's figures (the wallboard, intraday dashboards) have targets.
    _, end = next(_months(simulated_end + timedelta(days=1), date.max))
    plan = BusinessPlan.objects.create(
        centre=centre, name=PLAN_NAME, period_start=start, period_end=end, currency="GBP",
        summary=("Answer customers quickly on every channel, resolve their question at the "
                 "first contact and keep the cost per contact within budget, while the "
                 "outsourced sales line meets its contract."),
        standards=("Voice: 80 % of calls answered within 20 s (Tier 2: 30 s; sales vendor: "
                   "60 s). Chat: 80 % within 60 s. 90 % of e-mails answered within 24 h, web forms "
                   "within 48 h. Abandoned calls below 8 %."),
        guidelines=("Billing and Technical Support overflow to Customer Service after 150 s "
                    "and 180 s. Tier 2 takes escalations only. Agents log after-contact work "
                    "as ACW, breaks and training as pauses."))
    kpis = {}
    objectives = [
        ("Answer customers quickly", "Most calls and chats answered before customers give up.",
         "Staff to the Erlang C requirement per interval; overflow to Customer Service.",
         [("service_level", None, "Service level (20 s)", "80", None),
          ("abandon_rate", None, "Abandon rate", "8", None),
          ("asa", None, "Average speed of answer", "25", None)]),
        ("Resolve at the first contact", "Customers do not need to call back.",
         "Knowledge base for Billing; escalations to Tier 2 only when needed.",
         [("fcr", None, "First-contact resolution", "75", None),
          ("csat", None, "Customer satisfaction", "80", None),
          ("escalation_rate", None, "Escalation rate", "8", None)]),
        ("Use agents' time well", "Agents busy most of their logged-in time without burnout.",
         "Shift patterns reviewed monthly; training scheduled in quiet intervals.",
         [("occupancy", None, "Occupancy", "80", None),
          ("aht", None, "Average handle time", "420", None)]),
        ("Self-service that works", "Balance and payment calls end in the IVR.",
         "Promote option 4 in the greeting.",
         [("ivr_containment", None, "IVR containment", "15", None)]),
        ("Written contacts answered the same day", "E-mails within 24 h, web forms within "
         "48 h, measured on the CRM's first response.",
         "Blended voice agents take up back-office work when the phones are quiet.",
         [("service_level", None, "E-mail answered within 24 h", "90", "E-mail"),
          ("service_level", None, "Web forms answered within 48 h", "90", "Web forms")]),
        ("Vendor meets its contract", "The outsourced sales line answers within 60 s.",
         "Monthly service review with the vendor.",
         [("service_level", None, "Vendor service level (60 s)", "80", "Sales – Vendor")]),
        ("Every queue answers to its own standard", "No queue hides behind the "
         "centre's average: each is staffed and judged at its own threshold and target.",
         "Intraday: each queue re-forecast and staffed on its own, then the agents added up.",
         [("service_level", None, f"{q} service level", value, q)
          for q, value in CALL_QUEUE_TARGETS]),
        ("Contacts within budget", "Cost per handled contact within plan.",
         "Budget reviewed quarterly against planned volumes.",
         [("cost_per_contact", None, "Cost per contact", "4.50", None)]),
    ]
    for pos, (title, outcome, action, kpi_specs) in enumerate(objectives):
        objective = Objective.objects.create(plan=plan, title=title, desired_outcome=outcome,
                                             action_plan=action, position=pos)
        for code, variant, name, value, queue in kpi_specs:
            if _metric(code, variant) is None:
                continue
            kpi = Kpi(objective=objective, metric_code=code, metric_variant=variant or "",
                      name=name, rationale=outcome)
            kpi.full_clean()
            kpi.save()
            target = Target(kpi=kpi, period_start=start, period_end=end, value=Decimal(value),
                            queue=queues.get(queue) if queue else None)
            target.full_clean()
            target.save()
            kpis[name] = (kpi, target)
    cost_kpi = kpis.get("Cost per contact", (None,))[0]
    period_days = (simulated_end - start).days + 1  # the days the manifest's volumes cover
    for first, last in _months(start, end):
        days = (last - first).days + 1
        share = days / 30.4
        for category, amount, desc in (("labour", 38000, "Agents, team leaders, WFM"),
                                       ("technology", 6500, "ACD, CRM, WFM licences"),
                                       ("telecom", 2200, "0800 minutes and lines"),
                                       ("facilities", 4100, "Leeds site")):
            BudgetLine.objects.create(plan=plan, category=category, description=desc,
                                      period_start=first, period_end=last,
                                      amount=Decimal(round(amount * share * _size(manifest), 2)),
                                      kpi=cost_kpi)
        for channel, key in (("voice", "voice"), ("chat", "chat"), ("email", "email"),
                             ("web_form", "web_form")):
            # The plan expected 3 % more than the centre then handled.
            planned = round(manifest["kpis"][key]["answered"] * days / period_days * 1.03)
            PlannedVolume.objects.create(plan=plan, period_start=first, period_end=last,
                                         channel=channel, contacts=max(1, planned))
    return plan, kpis


def _size(manifest) -> float:
    """Budget scale: the plan's money follows the simulated centre's size."""
    return float(manifest.get("scale") or 1.0)


# --- pathways -----------------------------------------------------------------------------------

def _step(pathway, name, kind, pos, queue=None, entry=False, system="", methods=()):
    return Step.objects.create(pathway=pathway, name=name, kind=kind, position=pos, queue=queue,
                               is_entry=entry, system_of_record=system,
                               measurement_methods=list(methods))


def _edge(pathway, source, target, kind, label=""):
    Transition.objects.create(pathway=pathway, source=source, target=target, kind=kind,
                              label=label)


def _config(step, source, code, kpi=None, params=None, variant=None, method="timestamps"):
    metric = _metric(code, variant)
    if metric is None:
        return
    kpi_obj, target = kpi if kpi else (None, None)
    MeasurementConfig.objects.create(metric=metric, step=step, source=source, method=method,
                                     parameters=params or {}, kpi=kpi_obj, target=target)


def _pathways(centre, manifest, queues, sources, kpis):
    acd = sources["In-house ACD (Asterisk)"]
    vendor = sources["Sales vendor (Amazon Connect)"]
    ivr_src = sources["IVR sessions"]
    crm = sources["Digital contacts (CRM)"]
    survey = sources["Post-contact survey"]
    qspec = {q["name"]: q for q in manifest["queues"]}
    sl = kpis.get("Service level (20 s)")
    ab = kpis.get("Abandon rate")

    voice = Pathway.objects.create(
        centre=centre, name="Inbound calls", channel="voice",
        description=("The 0800 number: IVR menu (1 Billing, 2 Technical support, 3 Sales, "
                     "4 balance and payments self-service, 0 other enquiries), the in-house "
                     "ACD queues with overflow, transfers and Tier 2 escalation, and the "
                     "outsourced sales line."))
    pos = iter(range(100))
    ivr = _step(voice, "IVR main menu", "ivr", next(pos), queues[IVR_CODE], entry=True,
                system="IVR (session export)", methods=("timestamps", "counts"))
    _config(ivr, ivr_src, "ivr_containment", kpis.get("IVR containment"), method="counts")
    # The menu path: one IVR node per option. The sessions export names the path taken, but
    # its rows load as one IVR routing point, so the options carry no queue (and no counts of
    # their own on the map; the main menu's count is every caller's).
    options = {}
    for menu in manifest["ivr_menu"]:
        options[menu["digit"]] = _step(
            voice, f"Option {menu['digit']}: {menu['label']}", "ivr", next(pos),
            system="IVR (session export)")
        _edge(voice, ivr, options[menu["digit"]], "menu", f"Press {menu['digit']}")
    selfserve = _step(voice, "Balance and payments (self-service)", "self_service_end",
                      next(pos), system="IVR")
    closed = _step(voice, "Closed message / hang-up in menu", "exit", next(pos))
    for menu in manifest["ivr_menu"]:
        if menu["self_service"]:
            _edge(voice, options[menu["digit"]], selfserve, "route",
                  "Balance or payment completed in the IVR")
    _edge(voice, ivr, closed, "exit", "Outside opening hours or caller hangs up")
    steps = {}
    for name in ("Billing", "Technical Support", "Customer Service", "Technical – Tier 2",
                 "Sales – Vendor"):
        spec = qspec[name]
        source = vendor if spec["vendor"] else acd
        system = "Amazon Connect (vendor)" if spec["vendor"] else "Asterisk ACD"
        q = _step(voice, f"{name} queue", "queue", next(pos), queues[name], system=system,
                  methods=("timestamps", "counts", "durations"))
        threshold = int(spec["service_level_threshold_s"])
        if spec["vendor"]:
            _config(q, source, "service_level", kpis.get("Vendor service level (60 s)"),
                    {"threshold_s": threshold})
        else:
            _config(q, source, "service_level", sl, {"threshold_s": threshold})
        _config(q, source, "abandon_rate", ab)
        _config(q, source, "asa", kpis.get("Average speed of answer"))
        agent = _step(voice, f"{name} agents", "agent", next(pos), queues[name], system=system,
                      methods=("durations", "agent_state", "survey"))
        _config(agent, source, "aht", kpis.get("Average handle time"), method="durations")
        _config(agent, source, "occupancy", kpis.get("Occupancy"), method="agent_state")
        _config(agent, survey, "csat", kpis.get("Customer satisfaction"), method="survey")
        _edge(voice, q, agent, "route", "Longest-idle agent with the skill")
        steps[name] = (q, agent)
    for menu in manifest["ivr_menu"]:
        if menu["queue"]:
            _edge(voice, options[menu["digit"]], steps[menu["queue"]][0], "route",
                  f"To the {menu['queue']} queue")
        else:  # self-service callers who still want an agent press 0 there
            _edge(voice, options[menu["digit"]], steps["Billing"][0], "menu",
                  "0 for an agent")
    for name, spec in qspec.items():
        if name not in steps:
            continue
        if spec["overflow_to"]:
            _edge(voice, steps[name][0], steps[spec["overflow_to"]][0], "overflow",
                  f"After {int(spec['overflow_after_s'])} s waiting")
        for tr in spec["transfers"]:
            if tr["to"] == name or tr["to"] not in steps:
                continue
            _edge(voice, steps[name][1], steps[tr["to"]][0], tr["kind"],
                  f"{tr['kind'].capitalize()} ({tr['probability']:.0%} of calls)")
    esc = kpis.get("Escalation rate")
    if esc:
        _config(steps["Technical Support"][1], acd, "escalation_rate", esc, method="counts")
    fcr = kpis.get("First-contact resolution")
    if fcr:
        _config(steps["Billing"][1], survey, "fcr", fcr, method="survey")

    for name, channel, label, kpi in (  # each queue's published threshold is a wait bucket
            ("Chat", "chat", "Web chat on the website and app", None),
            ("E-mail", "email", "Customer e-mails to the service mailbox",
             "E-mail answered within 24 h"),
            ("Web forms", "web_form", "Contact forms on the website",
             "Web forms answered within 48 h")):
        pathway = Pathway.objects.create(centre=centre, name=f"{name} contacts",
                                         channel=channel, description=label)
        entry = _step(pathway, f"{name} queue", "web", 0, queues[name], entry=True,
                      system="CRM", methods=("timestamps", "counts"))
        threshold = int(qspec[name]["service_level_threshold_s"])
        _config(entry, crm, "service_level", kpis.get(kpi) if kpi else None,
                {"threshold_s": threshold})
        if channel == "chat":
            _config(entry, crm, "abandon_rate", None)
        else:  # nobody abandons an e-mail; how long answers take on average is shown too
            _config(entry, crm, "asa", None, method="durations")
        agent = _step(pathway, f"{name} agents", "agent", 1, queues[name], system="CRM",
                      methods=("durations", "survey"))
        _config(agent, crm, "aht", kpis.get("Average handle time"), method="durations")
        _config(agent, survey, "csat", kpis.get("Customer satisfaction"), method="survey")
        _edge(pathway, entry, agent, "route", "Next free agent with the skill")



# --- stakeholders, report schedules ------------------------------------------------------------

IN_HOUSE_VOICE = ("Billing", "Technical Support", "Technical – Tier 2", "Customer Service")
#: name, type, information needs, cadence, granularity, whole centre?, queues, e-mails,
#: demo login, report schedules (template, cadence, weekday, day of month).
STAKEHOLDERS = (
    ("Board of directors", "executive",
     "Whether customers are served to the promised standard and at what cost; the trend "
     "against the business plan, quarter by quarter.", "monthly", "month", True, (),
     ["board@northbridge.example"], None,
     [("monthly", "monthly", None, 3), ("quarterly", "quarterly", None, 5)]),
    ("Team leaders", "centre_staff",
     "Today's queues interval by interval: who is waiting, service level, abandons, "
     "agents logged in.", "intraday", "15min", False, (*IN_HOUSE_VOICE, "Chat"),
     ["team-leaders@northbridge.example"], "teamlead", [("daily", "daily", None, None)]),
    ("Customer service operations", "own_team",
     "The in-house voice teams' week: service level and occupancy by team, handle time, "
     "transfers and escalations.", "weekly", "day", False, IN_HOUSE_VOICE,
     ["operations@northbridge.example"], None, [("weekly", "weekly", 0, None)]),
    ("Billing department", "department",
     "Why customers call about bills: volumes by contact reason, first-contact resolution "
     "and satisfaction on the Billing line.", "weekly", "week", False, ("Billing",),
     ["billing-dept@northbridge.example"], None, [("weekly", "weekly", 0, None)]),
    ("Sales vendor (Connectline)", "vendor",
     "The outsourced sales line against its contract: 80 % within 60 s, abandon rate, "
     "handle time. Sees only its own queue.", "weekly", "day", False, ("Sales – Vendor",),
     ["service-review@connectline.example"], "vendor",
     [("weekly", "weekly", 0, None), ("monthly", "monthly", None, 2)]),
)


def _stakeholders(queues) -> None:
    from django.contrib.auth import get_user_model

    from .models import ReportSchedule, Stakeholder
    from .reporting import schedule_save
    from .services import dashboard_create_today, stakeholder_create

    users = get_user_model().objects
    for (name, kind, needs, cadence, granularity, whole, qnames, emails, login,
         schedules) in STAKEHOLDERS:
        if Stakeholder.objects.filter(name=name).exists():
            continue
        member = users.filter(username=login).first() if login else None
        stakeholder = stakeholder_create(
            name=name, kind=kind, information_needs=needs, cadence=cadence,
            granularity=granularity, sees_whole_centre=whole, emails=emails,
            queues=[queues[q] for q in qnames], users=[member] if member else [])
        if kind == "vendor":  # the vendor follows its own floor through the day too
            dashboard_create_today(stakeholder)
        for template, sched_cadence, weekday, day in schedules:
            schedule_save(ReportSchedule(
                stakeholder=stakeholder, name=f"{template.capitalize()} report",
                template=template, cadence=sched_cadence, time_of_day=dt_time(7, 0),
                weekday=weekday, day_of_month=day, time_zone=queues[IVR_CODE].centre.time_zone,
                formats=["pdf"]))


# --- measurement tests and the data-quality monitor ---------------------------------------------

def _measurement_tests(centre, sources, log) -> dict:
    """Tests that watch the demo's live data, run once over the whole period (afterwards they
    run after each import)."""
    from measurements.models.testing import MeasurementTest
    from measurements.services.testing import measurement_test_run, measurement_test_save

    acd = sources["In-house ACD (Asterisk)"]
    vendor = sources["Sales vendor (Amazon Connect)"]
    specs = (
        ("ACD calls add up (offered = answered + abandoned + flowed out)", "conservation",
         acd, {}),
        ("Vendor calls add up", "conservation", vendor, {}),
        ("No impossible waits or handle times on the ACD", "range", acd,
         {"rules": {"max_wait_s": 3600, "max_handle_s": 4 * 3600}}),
    )
    out = {}
    for name, kind, source, extra in specs:
        test = MeasurementTest(centre=centre, name=name, kind=kind, source=source,
                               tolerance=0, **extra)
        measurement_test_save(test)
        run = measurement_test_run(test, trigger="demo load")
        out[name] = run.status
        log(f"  Measurement test: {name}: {run.status}"
            f"{'' if run.status == 'passed' else ' — ' + run.message}")
    return out


#: The demo's forecast: the 13 weeks to the last simulated day, 4 of them held out.
DEMO_FORECAST_WEEKS, DEMO_HOLDOUT_WEEKS = 13, 4


def _forecast(centre, manifest, log):
    """Issue the week after the data for the whole centre, by back-test, as a manager would on
    the forecasts page, and one for every queue that took contacts (what a team leader's scope
    of some queues is forecast by: the sum of its queues'). Each queue's forecast is made by
    the model the whole centre's back-test chose, compared on the same held-out weeks — one
    back-test of every model, not one per queue (a period too short to back-test is said and
    skipped). Returns the whole centre's forecast."""
    from datetime import timedelta

    from contactmis.scope import Scope
    from reports.services import ForecastError, forecast_issue

    end = date.fromisoformat(manifest["period"]["end"]) + timedelta(days=1)
    start = max(date.fromisoformat(manifest["period"]["start"]),
                end - timedelta(weeks=DEMO_FORECAST_WEEKS))
    try:
        issued = forecast_issue(scope=Scope.everything(), centre=centre, history_start=start,
                                history_end=end, horizon_days=7,
                                holdout_weeks=DEMO_HOLDOUT_WEEKS)
    except ForecastError as exc:
        log(f"  Forecast: not issued ({exc})")
        return None
    log(f"  Forecast: {issued} — {issued.selection}")
    made, skipped = 0, []
    for queue in Queue.objects.filter(centre=centre).exclude(kind="ivr").order_by("code"):
        try:
            forecast_issue(scope=Scope.everything(), centre=centre, history_start=start,
                           history_end=end, horizon_days=7, method=issued.method,
                           queue=queue, holdout_weeks=DEMO_HOLDOUT_WEEKS, compare=False)
            made += 1
        except ForecastError as exc:
            skipped.append(f"{queue} ({exc})")
    log(f"  Forecasts per queue: {made} issued by {issued.method_label}"
        + (f"; not issued: {'; '.join(skipped)}" if skipped else ""))
    return issued


def _monitor(centre, log) -> list[str]:
    """Check every source once, with the monitor's default thresholds; returns the open alerts'
    messages."""
    from measurements.models.monitor import Alert
    from measurements.services.monitor import monitor_check

    monitor_check(centre, email=False)
    open_alerts = list(Alert.objects.filter(centre=centre, resolved_at__isnull=True)
                       .values_list("message", flat=True))
    log(f"  Data-quality monitor: {len(open_alerts)} open alert(s)" +
        "".join(f"\n    {m}" for m in open_alerts))
    return open_alerts
