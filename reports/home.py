"""Home-page panel of the reports app: the last seven days' headline KPIs within the user's
scope, a line per channel (nothing when there is no data, so the home page keeps its
getting-started guide).

Each channel's service level is taken at the threshold its service-level measurements are
configured with (calls within seconds, e-mails within hours): one threshold for every channel
would make a centre that answers every e-mail within its day look as if it never answered one."""
import datetime as dt

from django.urls import reverse
from django.utils import timezone

from contactmis.selectors import centre_current
from pathways.constants import Channel

from .analysis.kpis import SL_VARIANTS
from .selectors import channel_kpi_frame
from .semantics import frame_targets
from .vocabulary import fmt, is_missing


def _channel_line(label, row, targets) -> str:
    offered = int(row["offered"])
    sl = f"service level {fmt('service_level', row['service_level'])} within {row['sl_basis']}"
    if "service_level" in targets:
        sl += f" (target {fmt('service_level', targets['service_level'].value)})"
    parts = [f"{label}: {offered:,} offered", sl]
    if row["abandoned"]:
        parts.append(f"abandon rate {fmt('abandon_rate', row['abandon_rate'])}")
    if not is_missing(row["asa_s"]):
        parts.append(f"ASA {fmt('asa_s', row['asa_s'])}")
    if not is_missing(row["aht_s"]):
        parts.append(f"AHT {fmt('aht_s', row['aht_s'])}")
    return "; ".join(parts) + "."


def home_panel(request):
    centre = centre_current()
    if centre is None or not request.user.is_authenticated:
        return None
    end = timezone.localdate()
    start = end - dt.timedelta(days=7)
    frame = channel_kpi_frame(request.scope, centre, start, end)
    if frame.empty:
        return None
    labels = dict(Channel.choices)
    targets = frame_targets(frame, centre, start, end, scope=request.scope)
    lines = [_channel_line(labels.get(r["channel"], r["channel"]), r, t)
             for (_, r), t in zip(frame.iterrows(), targets, strict=True)]
    missed = [t[m].met(r[m]) is False for (_, r), t in zip(frame.iterrows(), targets,
                                                          strict=True) for m in t if m in r]
    variant = frame.attrs["resolution"].periods[-1].params.sl_variant
    return {
        "title": "Last 7 days",
        "lines": [*lines, f"Service level = {SL_VARIANTS[variant]}, T per queue as its "
                  "measurements are configured; targets from the business plan."],
        "link": f"{reverse('reports:kpis')}?start={start}&end={end}&by=channel",
        "link_label": "KPIs by channel",
        "status": "warn" if any(missed) else "ok",
    }
