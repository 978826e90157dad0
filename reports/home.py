"""Home-page panel of the reports app: the last seven days' headline KPIs within the user's
scope, a line per channel (nothing when there is no data, so the home page keeps its
getting-started guide).

Each channel's service level is taken at the threshold its service-level measurements are
configured with (calls within seconds, e-mails within hours): one threshold for every channel
would make a centre that answers every e-mail within its day look as if it never answered one."""
import datetime as dt
import math

from django.urls import reverse
from django.utils import timezone

from contactmis.selectors import centre_current
from pathways.constants import Channel

from .analysis.kpis import SL_VARIANTS
from .selectors import channel_kpi_frame, kpi_params_for_period

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
    frame = channel_kpi_frame(request.scope, centre, start, end, base)
    if frame.empty:
        return None
    labels = dict(Channel.choices)
    lines = [_channel_line(labels.get(r["channel"], r["channel"]), r, r["threshold_s"])
             for _, r in frame.iterrows()]
    sl = frame["service_level"]
    return {
        "title": "Last 7 days",
        "lines": [*lines, f"Service level = {SL_VARIANTS[base.sl_variant]}, T per channel "
                  "as its measurements are configured."],
        "link": f"{reverse('reports:kpis')}?start={start}&end={end}&by=channel",
        "link_label": "KPIs by channel",
        "status": "warn" if (sl.isna() | (sl < SL_TARGET)).any() else "ok",
    }
