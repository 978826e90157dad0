"""``manage.py ingest PATH [PATH ...] --format FORMAT [--source NAME] [--timezone TZ] [--json]``

Loads each file through the same services as the browser and the API (one import batch per
file, processed here synchronously) and prints one summary per file.
"""
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from contactmis.models import Centre

from ...constants import ExportFormat, SourceKind
from ...ingest import FORMATS
from ...models import DataSource
from ...services.ingest import batch_create, batch_process, source_create

KIND_BY_FORMAT = {"anonymous_bank": SourceKind.ACD_IVR, "asterisk_queue_log": SourceKind.ACD,
                  "amazon_connect": SourceKind.ACD_IVR, "interval_report": SourceKind.ACD,
                  "generic": SourceKind.CRM, "survey": SourceKind.SURVEY, "auto": SourceKind.ACD}
FIELDS = ("batch_id", "file", "format", "rows_read", "contacts_loaded", "segments_loaded",
          "rows_rejected", "duplicates_skipped", "status", "error")


class Command(BaseCommand):
    help = "Import export files (ACD, IVR, CRM/web, surveys) into ContactMIS."
    # Loading needs the models only; the system checks import every view and analysis module
    # (seconds of start-up per run). `manage.py check` still runs them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--format", default="auto", choices=["auto", *FORMATS])
        parser.add_argument("--source", help="Data source name (created if it does not exist).")
        parser.add_argument("--timezone", help="Time zone of naive timestamps in the files "
                            "(IANA name, e.g. Asia/Jerusalem); stored on a new source.")
        parser.add_argument("--centre", help="Centre name (default: the only/first centre).")
        parser.add_argument("--json", action="store_true", help="Print JSON lines.")

    def handle(self, *args, **opts):
        source = self._source(opts)
        failed = False
        for path in opts["paths"]:
            try:
                batch = batch_create(source=source, file=path, export_format=opts["format"],
                                     enqueue=False)
            except (OSError, ValidationError) as exc:
                summary = dict.fromkeys(FIELDS, None) | {
                    "file": path, "status": "failed", "format": opts["format"],
                    "error": "; ".join(getattr(exc, "messages", [str(exc)]))}
                failed = True
            else:
                if batch.status == "pending":
                    batch = batch_process(batch.pk)
                failed |= batch.status == "failed"
                summary = {"batch_id": batch.pk, "file": path, "format": batch.export_format,
                           "rows_read": batch.rows_read,
                           "contacts_loaded": batch.contacts_loaded,
                           "segments_loaded": batch.segments_loaded,
                           "rows_rejected": batch.rows_rejected,
                           "duplicates_skipped": batch.duplicates_skipped,
                           "status": batch.status, "error": batch.error}
            if opts["json"]:
                self.stdout.write(json.dumps(summary))
            else:
                self.stdout.write(
                    f"{summary['file']}: batch {summary['batch_id']} [{summary['format']}] "
                    f"{summary['status']} — read {summary['rows_read']}, contacts "
                    f"{summary['contacts_loaded']}, segments {summary['segments_loaded']}, "
                    f"rejected {summary['rows_rejected']}, duplicates "
                    f"{summary['duplicates_skipped']}"
                    + (f"\n  error: {summary['error']}" if summary["error"] else ""))
        if failed:
            raise CommandError("some files were not loaded (see above)")

    def _source(self, opts):
        centre = (Centre.objects.filter(name=opts["centre"]).first() if opts.get("centre")
                  else Centre.objects.order_by("pk").first())
        if centre is None:
            if opts.get("centre"):
                raise CommandError(f"no centre named {opts['centre']!r}")
            centre = Centre.objects.create(name="Contact centre",
                                           time_zone=opts.get("timezone") or "UTC")
        fmt = opts["format"]
        name = opts.get("source") or f"Command line ({fmt})"
        source = DataSource.objects.filter(centre=centre, name=name).first()
        tz = opts.get("timezone")
        if source is None:
            try:
                return source_create(centre=centre, name=name,
                                     kind=KIND_BY_FORMAT.get(fmt, SourceKind.ACD),
                                     export_format=fmt if fmt in ExportFormat.values else "auto",
                                     time_zone=tz or centre.time_zone)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
        if tz and tz != source.time_zone:
            raise CommandError(f"source {name!r} reads its files in {source.time_zone}; "
                               f"--timezone {tz} conflicts (edit the source to change it)")
        return source
