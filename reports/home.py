"""Home-page panel of the reports app: the last seven days' headline KPIs within the user's
scope (nothing when there is no data, so the home page keeps its getting-started guide)."""
import datetime as dt
import math

from django.urls import reverse
from django.utils import timezone

from contactmis.selectors import centre_current

from .selectors import kpi_frame

SL_TARGET = 0.8


def home_panel(request):
    centre = centre_current()
    if centre is None or not request.user.is_authenticated:
        return None
    end = timezone.localdate()
    start = end - dt.timedelta(days=7)
    frame = kpi_frame(request.scope, centre, start, end, "year")
    if frame.empty or int(frame["offered"].sum()) == 0:
        return None
    row = frame.iloc[0]

    def pct(v):
        return "—" if v is None or math.isnan(v) else f"{v * 100:.1f} %"

    sl = row["service_level"]
    return {
        "title": "Last 7 days",
        "lines": [f"{int(row['offered']):,} contacts offered; service level {pct(sl)}; "
                  f"abandon rate {pct(row['abandon_rate'])}.",
                  f"ASA {row['asa_s']:.0f} s, AHT {row['aht_s']:.0f} s "
                  f"({frame.attrs.get('definition', '')})." if not math.isnan(row["asa_s"])
                  and not math.isnan(row["aht_s"]) else frame.attrs.get("definition", "")],
        "link": f"{reverse('reports:kpis')}?start={start}&end={end}",
        "link_label": "KPIs",
        "status": "ok" if not math.isnan(sl) and sl >= SL_TARGET else "warn",
    }
