"""``manage.py daily_rollup_rebuild``: rebuild the whole daily rollup from the interval rollup
(once after a migration that changes the rollup's columns, such as a new wait bucket)."""
from django.core.management.base import BaseCommand
from django.db import transaction

from ...services.daily import daily_rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the daily rollup (DailyStat) from the interval rollup (IntervalStat)."

    def handle(self, *args, **options):
        with transaction.atomic():
            written = daily_rollup_rebuild()
        self.stdout.write(f"Daily rollup rebuilt: {written:,} rows.")
