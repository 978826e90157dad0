"""``manage.py follow SOURCE [--path FILE --quiet S] [--events] [--issue-token] [--for S]
[--interval S]``: follow a data source's file live (Asterisk ``queue_log``, or JSON events with
``--events``) without a broker: each poll loads the lines appended
since the last one as a micro-batch and rebuilds today's intervals. ``--path`` registers (or
changes) the file followed. Stop with Ctrl-C; a restart resumes where it stopped."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ...models import DataSource, SourceFollow
from ...services.follow import follow_create, follow_loop, follow_token_issue


class Command(BaseCommand):
    help = "Follow a data source's queue_log as it is written and load it in micro-batches."

    def add_arguments(self, parser):
        parser.add_argument("source", help="Data source name (or id).")
        parser.add_argument("--path", help="File to follow (registers or changes it).")
        parser.add_argument("--quiet", type=int,
                            help="Seconds of silence after which the source is stale "
                                 "(required with a new --path).")
        parser.add_argument("--for", dest="duration", type=float,
                            help="Stop after this many seconds (default: run until stopped).")
        parser.add_argument("--interval", type=float, default=0.5,
                            help="Seconds between polls (default 0.5).")
        parser.add_argument("--events", action="store_true",
                            help="The file holds JSON contact/agent events, one a line (with "
                                 "no --path: the file pushed events are written to).")
        parser.add_argument("--issue-token", action="store_true",
                            help="Print a new push token for POST /api/v1/sources/<id>/events/ "
                                 "(the old one stops working) and exit.")

    def handle(self, *args, **opts):
        name = opts["source"]
        sources = DataSource.objects.filter(name=name)
        if not sources.exists() and name.isdigit():
            sources = DataSource.objects.filter(pk=int(name))
        if sources.count() != 1:
            raise CommandError(f"no single data source named {name!r}")
        source = sources.get()
        follow = SourceFollow.objects.filter(source=source).first()
        if follow is None and opts.get("events") and not opts.get("path"):
            if not opts.get("quiet"):
                raise CommandError("--quiet S is required when a source is first followed.")
            follow = follow_create(source=source, quiet_s=opts["quiet"],
                                   format=SourceFollow.EVENTS)
        if opts.get("path"):
            try:
                if follow is None:
                    if not opts.get("quiet"):
                        raise CommandError("--quiet S is required when a source is first "
                                           "followed (how long it may stay silent).")
                    follow = follow_create(
                        source=source, path=opts["path"], quiet_s=opts["quiet"],
                        format=SourceFollow.EVENTS if opts.get("events")
                        else SourceFollow.QUEUE_LOG)
                else:
                    follow.path = opts["path"]
                    follow.quiet_s = opts.get("quiet") or follow.quiet_s
                    follow.full_clean()
                    follow.save()
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
        if follow is None:
            raise CommandError(f"{source.name} is not followed yet: give --path FILE --quiet S")
        if opts.get("issue_token"):
            if follow.format != SourceFollow.EVENTS:
                raise CommandError("pushes go to an event source: follow it with --events")
            self.stdout.write(f"POST /api/v1/sources/{source.pk}/events/ with "
                              f"Authorization: Bearer {follow_token_issue(follow)}")
            return
        self.stdout.write(f"following {follow.path} for {source.name} "
                          f"(from byte {follow.offset:,})")

        def report(_follow, batch):
            self.stdout.write(f"{batch.original_name}: {batch.rows_read} lines, "
                              f"{batch.contacts_loaded} contacts, {batch.rows_rejected} "
                              f"rejected — {batch.status}"
                              + (f" — {batch.error}" if batch.error else ""))

        try:
            follow_loop([follow.pk], duration_s=opts.get("duration"),
                        interval_s=opts["interval"], on_batch=report)
        except KeyboardInterrupt:
            self.stdout.write("stopped")
