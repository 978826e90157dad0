"""``manage.py watch_folder [--once] [--interval S] [--source NAME]``: pick up new files in the
data sources' drop folders (each file once; moved to ``done/`` or ``failed/``)."""
import time

from django.core.management.base import BaseCommand

from ...services.drop_folders import SCAN_EVERY_S, drop_folders_scan


class Command(BaseCommand):
    help = "Watch the data sources' drop folders and import new files."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Scan once and exit.")
        parser.add_argument("--interval", type=float, default=SCAN_EVERY_S,
                            help="Seconds between scans.")
        parser.add_argument("--source", help="Only this data source (by name).")
        parser.add_argument("--settle", type=int, default=5,
                            help="Ignore files modified less than this many seconds ago.")

    def handle(self, *args, **opts):
        while True:
            names = [opts["source"]] if opts.get("source") else None
            for batch in drop_folders_scan(settle_s=opts["settle"], names=names):
                self.stdout.write(f"{batch.source.name}: {batch.original_name} → batch "
                                  f"{batch.pk} {batch.status} ({batch.contacts_loaded} "
                                  f"contacts, {batch.rows_rejected} rejected)"
                                  + (f" — {batch.error}" if batch.error else ""))
            if opts["once"]:
                return
            time.sleep(opts["interval"])
