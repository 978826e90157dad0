"""``manage.py kpis``: KPIs per period and segment for scripting (JSON or CSV on stdout)."""
import csv
import json
import math
import sys

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from contactmis.scope import Scope
from measurements.constants import WAIT_BUCKETS_S
from reports.analysis.kpis import SL_VARIANTS
from reports.management.options import period_centre_source
from reports.selectors import ALL_DIMENSIONS, GRANULARITIES, kpi_frame
from reports.semantics import frame_targets

FIELDS = ("offered", "answered", "abandoned", "short_abandoned", "answered_within_threshold",
          "service_level", "asa_s", "aht_s", "abandon_rate", "occupancy")


def _plain(value):
    """JSON-safe: numpy scalars → Python, NaN/NA → None."""
    if value is None or value is pd.NA:
        return None
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


class Command(BaseCommand):
    help = (
        "Print KPIs for [--start, --end) (end exclusive), one row per period and segment. "
        "Periods are in the centre's time zone unless --timezone is given. Every KPI is a ratio "
        "of summed interval components: service_level (0..1, the variant in force or "
        "--sl-variant), asa_s = Σ wait of answered / answered, aht_s = (talk + hold + ACW) / "
        "handled, abandon_rate = (abandoned − short) / (offered − short), occupancy = Σ busy / "
        "(Σ busy + Σ available) agent seconds from the agent-state feeds (null where no feed "
        "covers the row, or the row is cut by a dimension agent time has not). Empty KPIs are "
        "null. "
        "Each row is judged at its queues' configured service-level thresholds (sl_threshold_s; "
        "null with sl_basis \"each queue's own threshold\" where they differ) and carries the "
        "business plan's targets in force (targets: metric → value; {} where none). "
        f"SL variants: {'; '.join(f'{k} = {v}' for k, v in SL_VARIANTS.items())}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--end", required=True, help="Day after the last, YYYY-MM-DD.")
        parser.add_argument("--granularity", default="day", choices=GRANULARITIES)
        parser.add_argument("--by", nargs="+", action="extend", default=[], metavar="DIM",
                            help=f"Segment by any of: {', '.join(ALL_DIMENSIONS)}.")
        parser.add_argument("--source", help="Only this data source (its name).")
        parser.add_argument("--timezone", help="IANA zone for periods (default: the centre's).")
        parser.add_argument("--sl-threshold", type=int,
                            help="Judge every row at this service-level threshold T (seconds, "
                                 f"one of {', '.join(map(str, WAIT_BUCKETS_S))}) instead of "
                                 "each queue's configured one.")
        parser.add_argument("--sl-variant", choices=list(SL_VARIANTS))
        parser.add_argument("--format", default="json", choices=("json", "csv"))
        parser.add_argument("--with-definition", action="store_true",
                            help="JSON: an object with the definitions used and the rows.")

    def handle(self, *args, **opts):
        bad = [d for d in opts["by"] if d not in ALL_DIMENSIONS]
        if bad:
            raise CommandError(f"--by “{bad[0]}” is unknown; use any of "
                               f"{', '.join(ALL_DIMENSIONS)}.")
        if opts["sl_threshold"] is not None and opts["sl_threshold"] not in WAIT_BUCKETS_S:
            raise CommandError(f"--sl-threshold {opts['sl_threshold']} is not a wait bucket; use "
                               f"one of {', '.join(map(str, WAIT_BUCKETS_S))}.")
        start, end, centre, source = period_centre_source(opts)
        frame = kpi_frame(Scope.everything(), centre, start, end, opts["granularity"],
                          opts["by"], source=source, tz=opts["timezone"],
                          sl_threshold_s=opts["sl_threshold"], sl_variant=opts["sl_variant"])
        targets = frame_targets(frame, centre, start, end)
        rows = []
        for rec, found in zip(frame.to_dict("records"), targets, strict=True):
            row = {"period_start": rec["period_start"].isoformat()}
            row.update({d: rec[d] for d in opts["by"]})
            for f in FIELDS:
                row[f] = _plain(rec[f])
            row["sl_threshold_s"] = _plain(rec["sl_threshold_s"])
            row["sl_basis"] = rec["sl_basis"]
            row["targets"] = {k: t.value for k, t in found.items()}
            rows.append(row)
        if opts["format"] == "json":
            self.stdout.write(json.dumps({"definition": frame.attrs.get("definition", ""),
                                          "rows": rows} if opts["with_definition"] else rows,
                                         ensure_ascii=False, indent=1))
        else:
            writer = csv.DictWriter(self.stdout, fieldnames=["period_start", *opts["by"],
                                                             *FIELDS, "sl_threshold_s",
                                                             "sl_basis", "targets"])
            writer.writeheader()
            writer.writerows([{**r, "targets": json.dumps(r["targets"])} for r in rows])
        if not rows:
            sys.stderr.write("No data in the period.\n")
