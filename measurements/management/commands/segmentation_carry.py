"""``manage.py segmentation_carry``: give already-loaded calls the IVR's contact type and
customer segment (the rule imports apply; see :mod:`measurements.services.segmentation`) and
rebuild the rollups of the sources it changed."""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from contactmis.models import Centre
from contactmis.selectors import centre_current

from ...services.segmentation import segmentation_carry


def _day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date in the form YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = ("Carry the IVR's chosen reason (contact type) and the identified customer's segment "
            "to the same calls in the ACD and other sources, where those have none, and "
            "rebuild the interval rollups they change. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--centre", type=int, help="Centre id (default: the current centre).")
        parser.add_argument("--start", help="First local day of arrival (YYYY-MM-DD).")
        parser.add_argument("--end", help="Last local day of arrival (YYYY-MM-DD), inclusive.")

    def handle(self, *args, centre=None, start=None, end=None, **options):
        found = Centre.objects.filter(pk=centre).first() if centre else centre_current()
        if found is None:
            raise CommandError(f"No centre with id {centre}." if centre else "No centre yet.")
        tz = found.tz
        lo = dt.datetime.combine(_day(start, "--start"), dt.time(), tzinfo=tz) if start else None
        hi = dt.datetime.combine(_day(end, "--end") + dt.timedelta(days=1), dt.time(),
                                 tzinfo=tz) if end else None
        with transaction.atomic():
            result = segmentation_carry(found, start=lo, end=hi)
        self.stdout.write(
            f"{found}: {result.contacts:,} calls given the IVR's values — contact type "
            f"{result.filled['contact_type']:,}, customer segment "
            f"{result.filled['customer_segment']:,}; {result.rollups:,} interval rows rebuilt.")
