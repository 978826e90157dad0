"""Home-page panel of the reports app: the last seven days' headline KPIs within the user's
scope, a line per channel (nothing when there is no data, so the home page keeps its
getting-started guide).

Each channel's service level is taken at the threshold its service-level measurements are
configured with (calls within seconds, e-mails within hours): one threshold for every channel
would make a centre that answers every e-mail within its day look as if it never answered one."""
import datetime as dt
import math
from dataclasses import replace

from django.urls import reverse
from django.utils import timezone

from contactmis.selectors import centre_current
from measurements.selectors.config import service_level_thresholds_by_channel
from pathways.constants import Channel

from .analysis.kpis import SL_VARIANTS
from .selectors import kpi_params_for_period, period_kpi_frame

SL_TARGET = 0.8


def duration_text(seconds: float) -> str:
    """Seconds as a contact-centre manager reads them: 18 s, 401 s, 90 min, 3.5 h."""
    if seconds < 600:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f}".removesuffix(".0") + " h"


def _pct(value) -> str:
    return "—" if value is None or math.isnan(value) else f"{value * 100:.1f} %"


def _channel_line(label, row, threshold_s) -> str:
    offered = int(row["offered"])
    parts = [f"{label}: {offered:,} offered", f"service level {_pct(row['service_level'])} "
             f"within {duration_text(threshold_s)}"]
    if row["abandoned"]:
        parts.append(f"abandon rate {_pct(row['abandon_rate'])}")
    if not math.isnan(row["asa_s"]):
        parts.append(f"ASA {duration_text(row['asa_s'])}")
    if not math.isnan(row["aht_s"]):
        parts.append(f"AHT {duration_text(row['aht_s'])}")
    return "; ".join(parts) + "."


def home_panel(request):
    centre = centre_current()
    if centre is None or not request.user.is_authenticated:
        return None
    end = timezone.localdate()
    start = end - dt.timedelta(days=7)
    base = kpi_params_for_period(centre, start, end)[-1].params
    thresholds = service_level_thresholds_by_channel(centre)
    frames = {}
    for threshold in {thresholds.get(c, base.sl_threshold_s) for c in Channel.values}:
        frames[threshold] = period_kpi_frame(
            request.scope, centre, start, end, ["channel"],
            params=replace(base, sl_threshold_s=threshold))
    lines, below = [], False
    labels = dict(Channel.choices)
    for channel in Channel.values:
        threshold = thresholds.get(channel, base.sl_threshold_s)
        frame = frames[threshold]
        rows = frame[frame["channel"] == channel] if not frame.empty else frame
        if rows.empty or int(rows.iloc[0]["offered"]) == 0:
            continue
        row = rows.iloc[0]
        lines.append(_channel_line(labels[channel], row, threshold))
        below |= math.isnan(row["service_level"]) or row["service_level"] < SL_TARGET
    if not lines:
        return None
    return {
        "title": "Last 7 days",
        "lines": [*lines, f"Service level = {SL_VARIANTS[base.sl_variant]}, T per channel "
                  "as its measurements are configured."],
        "link": f"{reverse('reports:kpis')}?start={start}&end={end}&by=channel",
        "link_label": "KPIs by channel",
        "status": "warn" if below else "ok",
    }
