"""``manage.py simulate --out DIR``: write a simulated centre's exports and manifest."""
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from measurements.simulator import default_period, period_ending, simulate, write_exports
from measurements.simulator.config import default_centre


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date in the form YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = ("Simulate a multi-channel contact centre (queueing simulation) and write its "
            "exports — Asterisk queue_log, Amazon Connect contact records, IVR, CRM, agent "
            "state and survey CSVs, one file per month — with manifest.json into --out.")

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="Folder to write the files into.")
        parser.add_argument("--start", help="First local day (YYYY-MM-DD). Default: the 1st of "
                                            "the month twelve months before --end's month.")
        parser.add_argument("--end", help="Last local day (YYYY-MM-DD). Default: yesterday in "
                                          "the centre's time zone.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1); the "
                                                                "same seed gives the same files.")
        parser.add_argument("--scale", type=float, default=1.0,
                            help="Multiply all contact volumes (default 1.0 ≈ 1,000–1,500 "
                                 "contacts a weekday).")
        parser.add_argument("--timezone", default=settings.CENTRE_TIME_ZONE,
                            help="IANA time zone of the centre (default CENTRE_TIME_ZONE).")

    def handle(self, *args, **opts):
        zone = opts["timezone"]
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"--timezone {zone!r} is not a known IANA time zone "
                               "(for example Europe/London).") from None
        if opts["scale"] <= 0:
            raise CommandError(f"--scale must be greater than 0, got {opts['scale']}.")
        end = _day(opts["end"], "--end") if opts["end"] else default_period(zone)[1]
        start = _day(opts["start"], "--start") if opts["start"] else period_ending(end)[0]
        if start > end:
            raise CommandError(f"--start {start} is after --end {end}.")
        out = Path(opts["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out {out} exists and is not a folder.")
        began = time.perf_counter()
        result = simulate(start, end, seed=opts["seed"], scale=opts["scale"], time_zone=zone,
                          config=default_centre(zone))
        simulated = time.perf_counter() - began
        manifest = write_exports(result, out)
        total = time.perf_counter() - began
        voice = manifest["kpis"]["voice"]
        files = sum(len(s["files"]) for s in manifest["sources"])
        self.stdout.write(
            f"Simulated {start} to {end} ({len(result.calendar.days)} days, {zone}): "
            f"{len(result.contacts):,} contacts, {len(result.surveys):,} survey responses.\n"
            f"Voice: service level {voice['service_level']:.1%}, abandon rate "
            f"{voice['abandon_rate']:.1%}, occupancy {voice['occupancy']:.1%}.\n"
            f"Wrote {files} files and manifest.json to {out} in {total:.1f} s "
            f"(simulation {simulated:.1f} s).")
