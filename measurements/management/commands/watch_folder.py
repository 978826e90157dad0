"""``manage.py watch_folder [--once] [--interval S] [--source NAME]``: pick up new files in the
data sources' drop folders (each file once; moved to ``done/`` or ``failed/``)."""
import time

from django.core.management.base import BaseCommand

from ...models import DataSource
from ...services.ingest import drop_folder_scan


class Command(BaseCommand):
    help = "Watch the data sources' drop folders and import new files."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Scan once and exit.")
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between scans.")
        parser.add_argument("--source", help="Only this data source (by name).")
        parser.add_argument("--settle", type=int, default=5,
                            help="Ignore files modified less than this many seconds ago.")

    def handle(self, *args, **opts):
        while True:
            sources = DataSource.objects.exclude(drop_folder="").select_related("centre")
            if opts.get("source"):
                sources = sources.filter(name=opts["source"])
            for source in sources:
                for batch in drop_folder_scan(source, settle_s=opts["settle"]):
                    self.stdout.write(f"{source.name}: {batch.original_name} → batch {batch.pk} "
                                      f"{batch.status} ({batch.contacts_loaded} contacts, "
                                      f"{batch.rows_rejected} rejected)"
                                      + (f" — {batch.error}" if batch.error else ""))
            if opts["once"]:
                return
            time.sleep(opts["interval"])
