"""``manage.py queueing``: queueing science per group of calls for scripting (JSON on stdout)."""

import json

from django.core.management.base import BaseCommand

from contactmis.scope import Scope
from reports import queueing_science as qs
from reports.management.options import period_centre_source

CONTRACT = (
    "key",
    "calls",
    "abandoned",
    "patience",
    "abandon_hazard_peak_s",
    "wait_mean_s",
    "short_service_share",
    "service_lognormal",
)


class Command(BaseCommand):
    help = (
        "Print queueing science for [--start, --end) (local days, end exclusive) as JSON: "
        '{"groups": [{"key", "calls", "abandoned", "patience": {"exponential_mean_s", '
        '"km_median_s", "km_restricted_mean_s", …}, "abandon_hazard_peak_s", "wait_mean_s", '
        '"short_service_share", "service_lognormal": {"mu", "sigma", …}, …}]}. Without --by one '
        'group, key "all". calls = calls that reached the queue (offered), or with --queued-only '
        "those that waited (wait > 0). Patience: Kaplan–Meier with abandonment as the event and "
        "service as censoring (restricted mean = area under the curve up to the longest "
        "observed wait); exponential_mean_s = Σ wait ÷ abandons. abandon_hazard_peak_s = start "
        "of the 10 s bin where the abandonment hazard peaks after the first 30 s. "
        "short_service_share = answered calls served in under 10 s ÷ answered calls with an "
        "agent's service time; service_lognormal fits ln(service) of the others."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--end", required=True, help="Day after the last, YYYY-MM-DD.")
        parser.add_argument("--by", choices=qs.BY, help="One group per value of this dimension.")
        parser.add_argument(
            "--queued-only", action="store_true", help="Only calls that waited (wait > 0)."
        )
        parser.add_argument("--source", help="Only this data source (its name).")
        parser.add_argument("--timezone", help="IANA zone for days (default: the centre's).")
        parser.add_argument(
            "--json",
            action="store_true",
            help="JSON output (the only format; accepted for scripts).",
        )

    def handle(self, *args, **opts):
        start, end, centre, source = period_centre_source(opts)
        legs = qs.queue_legs(
            Scope.everything(), centre, start, end, source=source, tz=opts["timezone"]
        )
        out = qs.analyse(legs, opts["by"], opts["queued_only"])
        groups = [
            {**{k: g[k] for k in CONTRACT}, **{k: v for k, v in g.items() if k not in CONTRACT}}
            for g in out["groups"]
        ]
        self.stdout.write(
            json.dumps(
                {
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "by": opts["by"] or "",
                    "queued_only": opts["queued_only"],
                    "population": out["population"],
                    "calls": out["calls"],
                    "unassigned_share": out["unassigned_share"],
                    "truncated": legs.attrs["truncated"],
                    "groups": groups,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
