"""``manage.py retention``: show (default) or remove (``--apply``) the rollup months older than
``CONTACTMIS_RETENTION_MONTHS`` — archived and dropped partitions on PostgreSQL, rows deleted in
batches on SQLite. Also creates the monthly partitions of the coming months."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...services.partitions import (
    partitions_ahead,
    retention_apply,
    retention_cutoff,
    retention_plan,
)


class Command(BaseCommand):
    help = ("Remove rollup months older than CONTACTMIS_RETENTION_MONTHS (dry run unless "
            "--apply); old PostgreSQL partitions are archived to CONTACTMIS_ARCHIVE_DIR first.")

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true",
                            help="remove the months listed (default: only list them)")
        parser.add_argument("--months", type=int, default=None,
                            help="months to keep before the current one (default: the setting)")

    def handle(self, *args, apply=False, months=None, **options):
        months = settings.CONTACTMIS_RETENTION_MONTHS if months is None else months
        if months < 0:
            raise CommandError("--months must be 0 (keep everything) or more")
        created = partitions_ahead() if apply else []
        if created:
            self.stdout.write(f"Partitions created for the coming months: {', '.join(created)}")
        if not months:
            self.stdout.write("Retention is off (CONTACTMIS_RETENTION_MONTHS is 0): "
                              "every month is kept.")
            return
        cutoff = retention_cutoff(months)
        items = retention_apply(cutoff) if apply else retention_plan(cutoff)
        verb = "Removed" if apply else "Would remove"
        self.stdout.write(f"Keeping {months} months before the current one: data dated "
                          f"before {cutoff:%Y-%m-%d} goes.")
        if not items:
            self.stdout.write("Nothing older is stored.")
        for item in items:
            where = f" → {item.archive}" if item.archive else ""
            self.stdout.write(f"{verb} {item.action}: {item.table}, {item.rows:,} rows{where}")
        if not apply and items:
            self.stdout.write("Dry run: nothing changed. Run again with --apply to remove them.")
