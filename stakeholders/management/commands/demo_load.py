"""``manage.py demo_load``: simulate the demo centre, ingest its exports, create its content."""
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stakeholders.demo import DEMO_SCALE, DEMO_SEED, DemoError, demo_load


def _day(value, option):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date in the form YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = ("Load the demonstration centre: simulate its exports into var/demo/, ingest every "
            "file through the normal import pipeline, then name queues and agents and create "
            "the business plan and pathways. Does nothing when already loaded (see --force).")

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.VAR_DIR) / "demo"),
                            help="Folder for the simulated exports (default var/demo/).")
        parser.add_argument("--scale", type=float, default=DEMO_SCALE,
                            help=f"Simulator volume scale (default {DEMO_SCALE}).")
        parser.add_argument("--seed", type=int, default=DEMO_SEED,
                            help=f"Random seed (default {DEMO_SEED}).")
        parser.add_argument("--start", help="First local day (default: 13 months back).")
        parser.add_argument("--end", help="Last local day (default: yesterday).")
        parser.add_argument("--force", action="store_true",
                            help="Delete the demo's data and content and load it again.")

    def handle(self, *args, **opts):
        if opts["scale"] <= 0:
            raise CommandError(f"--scale must be greater than 0, got {opts['scale']}.")
        start = _day(opts["start"], "--start") if opts["start"] else None
        end = _day(opts["end"], "--end") if opts["end"] else None
        try:
            result = demo_load(out_dir=Path(opts["out"]), scale=opts["scale"],
                               seed=opts["seed"], start=start, end=end, force=opts["force"],
                               log=self.stdout.write)
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        if not result.loaded:
            return
        secs = result.seconds
        self.stdout.write(
            f"Loaded {result.batches} files ({result.rows_rejected:,} rows rejected) in "
            f"{secs['total']:.0f} s (simulation {secs['simulate']:.0f} s, "
            f"ingestion {secs['ingest']:.0f} s).")
        for problem in result.failed:
            self.stderr.write(f"  failed: {problem}")
