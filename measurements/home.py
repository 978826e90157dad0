"""The data-collection panel of the home page: last import and rejects of the last 30 days."""
from django.urls import reverse
from django.utils import timezone

from contactmis.roles import can_read_all
from contactmis.selectors import centre_current

from .selectors.ingest import ingest_summary
from .selectors.quality import quality_lines


def home_panel(request):
    if not can_read_all(request.user):
        return None
    panel = _collection_panel(request)
    quality = quality_lines(centre_current())
    if quality["lines"]:
        if panel is None:
            return {"title": "Measurement quality", "status": quality["status"],
                    "lines": quality["lines"], "link": reverse(quality["link"]),
                    "link_label": quality["link_label"]}
        panel["lines"] += quality["lines"]
        if quality["status"] == "fail" or (quality["status"] == "warn" and
                                           panel["status"] == "ok"):
            panel["status"] = quality["status"]
        panel["link"], panel["link_label"] = reverse(quality["link"]), quality["link_label"]
    return panel


def _collection_panel(request):
    s = ingest_summary(centre_current())
    link = reverse("measurements:batch-list")
    if not s["sources"]:
        return None  # the home page's first-steps guide already says to register sources
    last = s["last"]
    if last is None:
        return {"title": "Data collection", "status": "empty",
                "lines": [f"{s['sources']} data source(s), nothing imported yet."],
                "link": link, "link_label": "Upload exports"}
    when = timezone.localtime(last.created_at).strftime("%Y-%m-%d %H:%M")
    lines = [f"Last import: {last.original_name} ({last.source.name}), {when}, "
             f"{last.get_status_display().lower()}.",
             f"Last 30 days: {s['batches']} file(s), {s['contacts'] or 0:,} contacts, "
             f"{s['rejected'] or 0:,} rejected rows."]
    if s["failed"]:
        lines.append(f"{s['failed']} import(s) failed — open them to see why.")
    if s["running"]:
        lines.append(f"{s['running']} import(s) waiting or in progress.")
    status = "fail" if last.status == "failed" else ("warn" if s["failed"] or s["rejected"]
                                                      else "ok")
    return {"title": "Data collection", "status": status, "lines": lines, "link": link,
            "link_label": "Imports"}
