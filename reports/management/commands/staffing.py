"""``manage.py staffing``: Erlang C / Erlang A staffing for one interval, or per interval of a
period for one queue or channel, for scripting."""
import datetime as dt
import json
import math

from django.core.management.base import BaseCommand, CommandError

from contactmis.scope import Scope
from contactmis.selectors import centre_current
from pathways.constants import Channel
from pathways.models import Queue
from reports import analyses
from reports.analysis.erlang import staffing_table


class Command(BaseCommand):
    help = (
        "Staffing for one interval. Without --patience-s: Erlang C (no abandonment); "
        "service_level = 1 − P(wait)·e^(−(N − A)·T/AHT) = answered within T / offered, "
        "asa_s = P(wait)·AHT/(N − A), the mean wait over all calls. With --patience-s: Erlang A "
        "(M/M/N+M, exponential patience of that mean): service_level = answered within T / "
        "offered, i.e. P(offered wait ≤ T and the caller is still waiting), so callers who "
        "abandon count against it; asa_s = mean wait of all offered calls (answered and "
        "abandoned) = abandon_prob × patience; abandon_prob = share of calls that abandon. "
        "agents = --agents, or the fewest meeting every target given; scheduled_agents = "
        "⌈agents / (1 − shrinkage)⌉ (21 / (1 − 0.3) → 30, not 31). "
        "With --start/--end: the period's intervals of one queue (--queue CODE), every queue "
        "of one channel (--channel), or the first voice queue, each queue at its configured "
        "threshold and the business plan's target for it (--target-sl/--threshold-s override "
        "them, and say so); prints one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("--calls", type=float, help="Calls in the interval.")
        parser.add_argument("--interval-s", type=float)
        parser.add_argument("--aht-s", type=float)
        parser.add_argument("--threshold-s", type=float,
                            help="T of the service level, seconds (one interval: required; a "
                                 "period: overrides each queue's configured threshold).")
        parser.add_argument("--start", help="Period mode: first day, YYYY-MM-DD.")
        parser.add_argument("--end", help="Period mode: day after the last, YYYY-MM-DD.")
        parser.add_argument("--queue", help="Period mode: the queue's code.")
        parser.add_argument("--channel", choices=Channel.values,
                            help="Period mode: every queue of this channel, each on its own.")
        parser.add_argument("--estimate-patience", action="store_true",
                            help="Period mode: Erlang A with the callers' patience estimated "
                                 "from the period's abandonments.")
        parser.add_argument("--target-sl", type=float, help="Service-level target, 0..1.")
        parser.add_argument("--target-asa-s", type=float, help="ASA target, seconds.")
        parser.add_argument("--agents", type=int, help="Evaluate this many agents instead.")
        parser.add_argument("--shrinkage", type=float, default=0.0, help="0..1 (default 0).")
        parser.add_argument("--max-occupancy", type=float, help="0..1.")
        parser.add_argument("--patience-s", type=float, help="Mean patience → Erlang A.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **o):
        if o["start"] or o["end"]:
            self.period(o)
            return
        for name in ("calls", "interval_s", "aht_s", "threshold_s"):
            if o[name] is None:
                raise CommandError(f"--{name.replace('_', '-')} is required for one interval "
                                   "(or give --start and --end for a period).")
        checks = [("--calls", o["calls"], 0, None), ("--interval-s", o["interval_s"], 1e-9, None),
                  ("--aht-s", o["aht_s"], 1e-9, None), ("--threshold-s", o["threshold_s"], 0, None),
                  ("--target-sl", o["target_sl"], 0, 0.999999),
                  ("--target-asa-s", o["target_asa_s"], 1e-9, None),
                  ("--agents", o["agents"], 0, None), ("--shrinkage", o["shrinkage"], 0, 0.99),
                  ("--max-occupancy", o["max_occupancy"], 0.01, 1),
                  ("--patience-s", o["patience_s"], 1e-9, None)]
        for name, value, low, high in checks:
            if value is None:
                continue
            if not math.isfinite(value) or value < low or (high is not None and value > high):
                bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
                raise CommandError(f"{name} must be {bounds}, got {value}.")
        if o["agents"] is None and o["target_sl"] is None and o["target_asa_s"] is None \
                and o["max_occupancy"] is None:
            raise CommandError("Give --agents, or a target: --target-sl, --target-asa-s or "
                               "--max-occupancy.")
        out = staffing_table(o["calls"], o["interval_s"], o["aht_s"], o["threshold_s"],
                             target_sl=o["target_sl"], target_asa_s=o["target_asa_s"],
                             shrinkage=o["shrinkage"], max_occupancy=o["max_occupancy"],
                             patience_s=o["patience_s"], agents=o["agents"])
        result = {}
        keys = ["traffic_erlangs", "agents", "scheduled_agents", "prob_wait", "service_level",
                "asa_s", "occupancy"] + (["abandon_prob"] if o["patience_s"] else [])
        for key in keys:
            value = out[key]
            value = value.item() if hasattr(value, "item") else value
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            result[key] = value
        if o["json"]:
            self.stdout.write(json.dumps(result))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")

    def period(self, o):
        try:
            start, end = dt.date.fromisoformat(o["start"] or ""), \
                dt.date.fromisoformat(o["end"] or "")
        except ValueError as exc:
            raise CommandError("--start and --end must both be dates, YYYY-MM-DD.") from exc
        if end <= start:
            raise CommandError("--end must be after --start (the end date is exclusive).")
        centre = centre_current()
        if centre is None:
            raise CommandError("No contact centre is set up yet.")
        queue = None
        if o["queue"]:
            queue = Queue.objects.filter(centre=centre, code=o["queue"]).first()
            if queue is None:
                raise CommandError(f"--queue “{o['queue']}”: no queue with that code.")
            if o["channel"]:
                raise CommandError("Give --queue or --channel, not both.")
        if o["patience_s"] is not None or o["calls"] is not None:
            raise CommandError("--patience-s and --calls are for one interval; for a period use "
                               "--estimate-patience (patience from the period's data).")
        threshold = o["threshold_s"]
        if threshold is not None and (not math.isfinite(threshold) or threshold <= 0):
            raise CommandError(f"--threshold-s must be positive, got {threshold}.")
        if o["target_sl"] is not None and not 0 < o["target_sl"] < 1:
            raise CommandError(f"--target-sl must be between 0 and 1, got {o['target_sl']}.")
        report = analyses.staffing_report(
            Scope.everything(), centre, start, end, queue=queue, channel=o["channel"] or "",
            target_sl=o["target_sl"], threshold_s=int(threshold) if threshold else None,
            shrinkage=o["shrinkage"], max_occupancy=o["max_occupancy"],
            patience="estimate" if o["estimate_patience"] else "none")
        out = {k: report.get(k) for k in ("selection", "definition", "queues", "no_target",
                                          "prompt")}
        out["intervals"] = report["tables"].get("intervals", [])
        self.stdout.write(json.dumps(out, ensure_ascii=False))
