"""Measurement tests: define them, run them (on demand and after every import), keep the runs.

``measurement_test_run(test, user=None, trigger="", start=None, end=None)`` runs one test and
stores a :class:`TestRun`. Periods are UTC datetimes; dates shown to people are the centre's
local dates.

Known-answer tests run the real pipeline (format adapter → load → interval rollup) in a sandbox:
a data source created inside a database savepoint that is rolled back once the figures are
compared, so nothing of the test data is ever visible to live pages, the monitor or another
connection, and nothing of it remains afterwards.
"""
from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
from collections import defaultdict
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Q, Sum
from django.utils import timezone

from ..constants import BatchStatus, SourceKind
from ..formula import evaluate, formula_names
from ..ingest import scripted
from ..models import (
    DataSource,
    ImportBatch,
    IntervalStat,
    MeasurementTest,
    ReconcileMeasure,
    RunStatus,
    Segment,
    SurveyResponse,
    TestKind,
    TestRun,
)
from ..models.facts import ADDITIVE_FIELDS
from ..selectors.catalogue import metric_definition_in_force
from ..selectors.quality import live_sources, missing_intervals, monitor_settings
from .monitor import alert_for_run, alerts_email

logger = logging.getLogger(__name__)

COMPONENT_NAMES = set(ADDITIVE_FIELDS) | {"wait_max_s"}
EXAMPLES = 5


class _Rollback(Exception):
    """Leaves the sandbox savepoint, carrying the result out."""

    def __init__(self, result):
        self.result = result


def measurement_test_save(test: MeasurementTest, *,
                          expected_text: str | None = None) -> MeasurementTest:
    """Validate and save a test. ``expected_text`` (``name = value`` per line) replaces
    ``expected``; a scripted test's script is parsed so mistakes show before any run."""
    errors = {}
    if expected_text is not None:
        try:
            test.expected = expected_parse(expected_text)
        except ValueError as exc:
            errors["expected"] = str(exc)
    if test.kind == TestKind.KNOWN_ANSWER:
        if not test.script.strip() and not test.dataset:
            errors["script"] = "Write scripted test contacts or upload a data set."
        if test.script.strip():
            try:
                scripted.parse(test.script, "script", default_date=timezone.localdate())
            except scripted.ScriptError as exc:
                errors["script"] = f"Line {exc.line}: {exc.reason}"
        if not test.expected and "expected" not in errors:
            errors["expected"] = "Give at least one expected figure, e.g. “service_level = 50”."
    if test.kind == TestKind.RECONCILIATION and not test.reconcile:
        errors["reconcile"] = "Choose what must reconcile."
    if test.kind in (TestKind.COMPLETENESS, TestKind.CONSERVATION, TestKind.RANGE,
                     TestKind.RECONCILIATION) and not test.source_id and not test.config_id \
            and not test.pathway_id:
        errors["source"] = "Choose the data source (or the measurement) this test watches."
    if errors:
        raise ValidationError(errors)
    test.save()
    return test


def expected_parse(text: str) -> dict:
    """``name = value`` lines → ``{name: float}``; errors name the line."""
    out = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"line {number}: write “figure = value”, found “{line}”")
        try:
            out[name.strip()] = _num(float(value.strip().rstrip("%").strip()))
        except ValueError:
            raise ValueError(f"line {number}: “{value.strip()}” is not a number") from None
    return out


def _num(value):
    """Whole numbers as int (shown as 4, not 4.0); others rounded to 4 decimals."""
    if value is None:
        return None
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


def expected_text(expected: dict) -> str:
    return "\n".join(f"{k} = {v:g}" for k, v in (expected or {}).items())


def measurement_test_run(test: MeasurementTest, *, user=None, trigger: str = "", start=None,
             end=None) -> TestRun:
    """Run ``test`` (for ``start``–``end`` UTC where the kind watches live data; default: the
    span of the source's data) and store the run."""
    run = TestRun(test=test, ran_by=user if getattr(user, "is_authenticated", False) else None,
                  trigger=trigger[:200], source_name=test.source_name)
    try:
        if test.kind == TestKind.KNOWN_ANSWER:
            outcome = _known_answer(test)
        else:
            start, end = _period(test, start, end)
            run.period_start, run.period_end = start, end
            if start is None:
                outcome = (RunStatus.ERRORED, [], "No data from the source yet: nothing to test.")
            else:
                outcome = {TestKind.CONSERVATION: _conservation,
                           TestKind.COMPLETENESS: _completeness,
                           TestKind.RANGE: _range,
                           TestKind.RECONCILIATION: _reconciliation}[test.kind](test, start, end)
    except Exception as exc:  # a broken test must leave a readable run, not a 500
        logger.exception("measurement test %s errored", test.pk)
        outcome = (RunStatus.ERRORED, [], f"{type(exc).__name__}: {exc}")
    status, comparisons, message, *period = outcome
    if period:
        run.period_start, run.period_end = period[0]
    run.status, run.comparisons, run.message = status, comparisons, message[:4000]
    run.finished_at = timezone.now()
    run.save()
    alert = alert_for_run(run)
    if alert is not None and monitor_settings(test.centre).email:
        alerts_email(test.centre, [alert])
    return run


def measurement_tests_after_import(batch_id: int) -> list[TestRun]:
    """Run the active tests that watch live data of the batch's source, for the period the
    batch touched (called by a Celery task enqueued when the import commits)."""
    batch = ImportBatch.objects.select_related("source").filter(
        pk=batch_id, status=BatchStatus.LOADED).first()
    if batch is None or batch.period_start is None:
        return []
    tests = MeasurementTest.objects.filter(active=True, centre=batch.source.centre_id) \
        .exclude(kind=TestKind.KNOWN_ANSWER) \
        .filter(Q(source=batch.source) | Q(source_b=batch.source) | Q(config__source=batch.source)
                | Q(source__isnull=True, config__isnull=True))
    return [measurement_test_run(t, trigger=f"after import #{batch.pk} "
                                 f"({batch.original_name})",
                                 start=batch.period_start, end=batch.period_end) for t in tests]


def _watched_sources(test):
    if test.source_id:
        return [test.source]
    if test.config_id and test.config.source_id:
        return [test.config.source]
    return list(live_sources(test.centre))


def _period(test, start, end):
    """The period to test: as given, else the span of the loaded imports of the sources."""
    if start is not None and end is not None:
        return start, end
    span = ImportBatch.objects.filter(source__in=_watched_sources(test),
                                      status=BatchStatus.LOADED).aggregate(
        start=Min("period_start"), end=Max("period_end"))
    return span["start"], span["end"]


def _stats(test, start, end, source=None):
    qs = IntervalStat.objects.filter(interval_start__gte=start, interval_start__lt=end)
    sources = [source] if source is not None else _watched_sources(test)
    qs = qs.filter(source__in=sources)
    if test.config_id and test.config.step.queue_id:
        qs = qs.filter(queue_id=test.config.step.queue_id)
    elif test.pathway_id:
        queues = test.pathway.steps.exclude(queue=None).values("queue_id")
        if queues.exists():
            qs = qs.filter(queue_id__in=queues)
    return qs


def _verdict(comparisons, message_ok, message_fail):
    failed = [c for c in comparisons if not c["ok"]]
    if failed:
        return RunStatus.FAILED, comparisons, message_fail.format(n=len(failed))
    return RunStatus.PASSED, comparisons, message_ok


# --- known answer -----------------------------------------------------------------------------

def _known_answer(test):
    from .ingest import batch_create, batch_process

    centre = test.centre
    with tempfile.TemporaryDirectory() as tmp:
        if test.script.strip():
            name = "scripted test contacts"
            try:
                scripted.parse(test.script, name, default_date=timezone.localdate())
            except scripted.ScriptError as exc:
                return RunStatus.ERRORED, [], str(exc)
            text = test.script
            if not any(line.strip().lower().startswith("date ")
                       for line in text.splitlines()):
                # Lines were checked above with their own numbers; the adapter needs a day.
                text = f"date {timezone.localdate():%Y-%m-%d}\n{text}"
            path = Path(tmp) / "script.txt"
            path.write_text(text, encoding="utf-8")
            fmt = scripted.NAME
        else:
            name = test.dataset_name or Path(test.dataset.name).name
            path = Path(tmp) / Path(name).name
            with test.dataset.open("rb") as src, open(path, "wb") as out:
                out.write(src.read())
            fmt = test.dataset_format or "auto"
        try:
            with transaction.atomic():
                sandbox = DataSource.objects.create(
                    centre=centre, name=f"sandbox {uuid.uuid4().hex[:12]}",
                    kind=SourceKind.ACD_IVR, time_zone=centre.time_zone,
                    export_format="auto", description=f"Sandbox of measurement test #{test.pk}")
                batch = batch_create(source=sandbox, file=path, original_name=name,
                                     export_format=fmt, enqueue=False)
                try:
                    batch = batch_process(batch.pk)
                finally:
                    ImportBatch.objects.get(pk=batch.pk).file.delete(save=False)
                raise _Rollback(_known_answer_compare(test, sandbox, batch, name))
        except _Rollback as done:
            return done.result


def _known_answer_compare(test, sandbox, batch, name):
    if batch.status != BatchStatus.LOADED:
        error = batch.error
        if name not in error:
            error = f"{name}: {error}"
        return RunStatus.ERRORED, [], error
    reject = batch.rejects.order_by("line").first()
    if reject is not None:
        return (RunStatus.ERRORED, [],
                f"{name}, line {reject.line}: {reject.reason}"
                f"{' (field ' + reject.field + ')' if reject.field else ''}; "
                f"{batch.rows_rejected} row(s) rejected — a known-answer data set must load "
                f"completely")
    # IVR quantities sit on the IVR routing point's rows, not on the measured queue's.
    all_stats = IntervalStat.objects.filter(source=sandbox)
    span = all_stats.aggregate(start=Min("interval_start"), end=Max("interval_start"),
                               day=Min("local_date"))
    if span["start"] is None:
        return (RunStatus.ERRORED, [], f"{name}: the data set holds no contacts or intervals "
                "that the pipeline could load")
    period = (span["start"], span["end"] + dt.timedelta(minutes=15))
    stats = _stats(test, *period, source=sandbox)
    day = span["day"]
    comparisons = []
    for figure, expected in test.expected.items():
        actual, detail = _figure(test, figure,
                                 all_stats if figure.startswith("ivr_") else stats, day)
        ok = actual is not None and abs(actual - expected) <= test.tolerance
        comparisons.append({"figure": figure, "expected": _num(expected),
                            "actual": _num(actual),
                            "ok": ok, "detail": detail})
    status, comps, message = _verdict(
        comparisons, f"All {len(comparisons)} figure(s) match.",
        "{n} of " + str(len(comparisons)) + " figure(s) differ.")
    return status, comps, message, period


def _figure(test, figure, stats, day):
    """The value of ``figure`` over ``stats`` and a note saying how it was computed."""
    if test.config_id and figure == test.config.metric.code:
        definition = test.config.metric
        params = test.config.effective_parameters
    elif figure in COMPONENT_NAMES:
        agg = figure == "wait_max_s"
        value = stats.aggregate(v=Max(figure) if agg else Sum(figure))["v"] or 0
        return float(value), f"Σ {figure}" if not agg else f"max {figure}"
    else:
        try:
            definition = metric_definition_in_force(figure, day)
        except Exception:
            raise ValueError(f"unknown figure “{figure}”: use the measured metric's code, "
                             f"another metric code or an interval component such as offered, "
                             f"answered, answered_le_20s") from None
        params = {**(definition.parameters or {}),
                  **((test.config.parameters or {}) if test.config_id else {})}
    names = formula_names(definition.formula, params)
    if not names:
        return None, f"{definition.label}: formula is not arithmetic"
    sums = {k: v or 0 for k, v in stats.aggregate(**{n: Sum(n) for n in names}).items()}
    value = evaluate(definition.formula, params, sums)
    shown = ", ".join(f"{k}={v}" for k, v in sums.items())
    pshown = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
    name = f"{definition.code}{'/' + definition.variant if definition.variant else ''}"
    return value, f"{name} v{definition.version} with {pshown}, over {shown}"


# --- live-data tests --------------------------------------------------------------------------

def _conservation(test, start, end):
    """offered = answered + abandoned + flowed out + still waiting per queue and interval, where
    "still waiting" are queue legs left open at the end of the export (outcome ``open``)."""
    from .rollup import interval_floor

    rows = (_stats(test, start, end).filter(offered__gt=0)
            .values("queue__code", "interval_start")
            .annotate(o=Sum("offered"), a=Sum("answered"), b=Sum("abandoned"),
                      f=Sum("flowed_out")).order_by("interval_start"))
    waiting = defaultdict(int)
    for code, entered in Segment.objects.filter(
            contact__source__in=_watched_sources(test), kind="queue", outcome="open",
            entered_at__gte=start, entered_at__lt=end).values_list("queue__code", "entered_at"):
        waiting[(code, interval_floor(entered))] += 1
    bad, checked = [], 0
    for r in rows:
        checked += 1
        w = waiting.get((r["queue__code"], r["interval_start"]), 0)
        diff = r["o"] - r["a"] - r["b"] - r["f"] - w
        if abs(diff) > test.tolerance:
            bad.append(r | {"waiting": w, "diff": diff})
    comparisons = [{"figure": "intervals checked", "expected": checked, "actual": checked,
                    "ok": True, "detail": "queue × interval rows with offered > 0"}]
    for r in bad[:20]:
        comparisons.append({
            "figure": f"{r['queue__code']} {_local(test, r['interval_start'])}",
            "expected": r["o"], "actual": r["a"] + r["b"] + r["f"] + r["waiting"], "ok": False,
            "detail": f"offered {r['o']} ≠ answered {r['a']} + abandoned {r['b']} + "
                      f"flowed out {r['f']} + still waiting {r['waiting']} "
                      f"(difference {r['diff']})"})
    if len(bad) > 20:
        comparisons.append({"figure": "more intervals", "expected": 0, "actual": len(bad) - 20,
                            "ok": False, "detail": "not listed"})
    return _verdict(comparisons, f"Offered = answered + abandoned + flowed out (+ still "
                    f"waiting) in all {checked} queue intervals.",
                    "{n} queue interval(s) do not add up.")


def _completeness(test, start, end):
    comparisons = []
    tz = test.centre.tz
    first = timezone.localtime(start, tz).date()
    last = timezone.localtime(end - dt.timedelta(seconds=1), tz).date()
    for source in _watched_sources(test):
        missing, expected = missing_intervals(source, first, last)
        ok = len(missing) <= test.tolerance
        days = sorted({d for d, _ in missing})
        comparisons.append({
            "figure": f"{source.name}: intervals with data in opening hours",
            "expected": expected, "actual": expected - len(missing), "ok": ok,
            "detail": (f"{len(missing)} missing, on {len(days)} day(s): "
                       + ", ".join(f"{d:%Y-%m-%d}" for d in days[:10])) if missing
            else "none missing"})
    return _verdict(comparisons, "Every interval in opening hours has data.",
                    "{n} source(s) have intervals missing in opening hours.")


def _range(test, start, end):
    rules = {"max_wait_s": 3600, "max_handle_s": 4 * 3600, **(test.rules or {})}
    segs = Segment.objects.filter(contact__source__in=_watched_sources(test),
                                  entered_at__gte=start, entered_at__lt=end)
    if test.config_id and test.config.step.queue_id:
        segs = segs.filter(Q(queue_id=test.config.step.queue_id) | Q(kind="ivr"))
    agent_leg = Segment.objects.filter(contact_id=OuterRef("contact_id"), seq=OuterRef("seq") + 1,
                                       kind="agent", agent__isnull=False)
    checks = [
        ("negative durations", Q(wait_s__lt=0) | Q(talk_s__lt=0) | Q(hold_s__lt=0)
         | Q(acw_s__lt=0), "wait/talk/hold/ACW below 0 s"),
        (f"waits over {rules['max_wait_s']} s", Q(kind="queue", wait_s__gt=rules["max_wait_s"]),
         "queue wait above the bound"),
        (f"handle times over {rules['max_handle_s']} s",
         Q(kind="agent") & Q(handle__gt=rules["max_handle_s"]), "talk + hold + ACW above bound"),
        ("events before their predecessor", Q(left_at__lt=F("entered_at"))
         | Q(answered_at__lt=F("entered_at")), "left or answered before entering the step"),
        ("answers without an agent", Q(kind="queue", outcome="answered", has_agent=False),
         "answered queue leg with no agent leg naming an agent"),
    ]
    segs = segs.annotate(handle=F("talk_s") + F("hold_s") + F("acw_s"),
                         has_agent=Exists(agent_leg))
    comparisons = []
    for label, cond, detail in checks:
        hits = segs.filter(cond)
        count = hits.count()
        examples = list(hits.values_list("contact__external_id", flat=True)[:EXAMPLES])
        comparisons.append({"figure": label, "expected": 0, "actual": count,
                            "ok": count <= test.tolerance,
                            "detail": detail + (f"; e.g. {', '.join(examples)}" if examples
                                                else "")})
    return _verdict(comparisons, "All waits and handle times are within bounds and in order.",
                    "{n} rule(s) broken.")


def _reconciliation(test, start, end):
    measure = test.reconcile
    source_a = test.source or (test.config.source if test.config_id else None)
    source_b = test.source_b or source_a
    if source_a is None:
        raise ValueError("reconciliation needs a data source")
    if measure == ReconcileMeasure.SURVEYS_VS_CONTACTS:
        responses = SurveyResponse.objects.filter(source=source_b, responded_at__gte=start,
                                                  responded_at__lt=end)
        total = responses.count()
        matched = responses.filter(contact__source=source_a).count()
        comparisons = [{"figure": "survey responses matched to a surveyed contact",
                        "expected": total, "actual": matched,
                        "ok": total - matched <= test.tolerance,
                        "detail": f"{total - matched} response(s) name no contact of "
                                  f"{source_a.name}"}]
        return _verdict(comparisons, "Every survey response belongs to a surveyed contact.",
                        "Survey responses do not reconcile with contacts.")
    a_field, b_field, label_a, label_b = {
        ReconcileMeasure.OFFERED_VS_IVR: ("offered", "ivr_to_queue", "offered (ACD)",
                                          "IVR transfers to queue"),
        ReconcileMeasure.ANSWERED_VS_HANDLED: ("answered", "handled", "answered",
                                               "agent-handled"),
        ReconcileMeasure.OFFERED_VS_OFFERED: ("offered", "offered", f"offered ({source_a})",
                                              f"offered ({source_b})"),
    }[measure]
    per_a = dict(_stats(test, start, end, source=source_a).values_list("interval_start")
                 .annotate(v=Sum(a_field)).values_list("interval_start", "v"))
    base_b = IntervalStat.objects.filter(source=source_b, interval_start__gte=start,
                                         interval_start__lt=end)
    if b_field != "ivr_to_queue":
        base_b = _stats(test, start, end, source=source_b)
    per_b = dict(base_b.values_list("interval_start").annotate(v=Sum(b_field))
                 .values_list("interval_start", "v"))
    bad = []
    for iv in sorted(set(per_a) | set(per_b)):
        a, b = per_a.get(iv) or 0, per_b.get(iv) or 0
        if abs(a - b) > test.tolerance:
            bad.append((iv, a, b))
    total_a, total_b = sum(v or 0 for v in per_a.values()), sum(v or 0 for v in per_b.values())
    comparisons = [{"figure": "total over the period", "expected": total_b, "actual": total_a,
                    "ok": True, "detail": f"{label_a} vs {label_b}"}]
    for iv, a, b in bad[:20]:
        comparisons.append({"figure": f"interval {_local(test, iv)}", "expected": b,
                            "actual": a, "ok": False,
                            "detail": f"{label_a} {a} vs {label_b} {b} (tolerance "
                                      f"{test.tolerance:g})"})
    if len(bad) > 20:
        comparisons.append({"figure": "more intervals", "expected": 0, "actual": len(bad) - 20,
                            "ok": False, "detail": "not listed"})
    return _verdict(comparisons, f"{label_a} and {label_b} agree in every interval within "
                    f"{test.tolerance:g}.", "{n} interval(s) differ beyond the tolerance.")


def _local(test, moment):
    return timezone.localtime(moment, test.centre.tz).strftime("%Y-%m-%d %H:%M")


__all__ = ["expected_parse", "expected_text", "measurement_test_run", "measurement_test_save",
           "measurement_tests_after_import"]
