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
from .periods import centre_today
from .selectors import channel_kpi_frame, kpi_frame
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


SPARK_DAYS = 28
SPARK_W, SPARK_H = 200, 36


def _spark(values: list, floor: float) -> str:
    """An SVG path through daily values (0..1 on [floor, 1]); a day without data breaks the
    line — a gap is not drawn as zero. A day alone between gaps is a dot."""
    step = SPARK_W / max(1, len(values) - 1)
    runs, run = [], []
    for i, v in enumerate(values):
        if v is None:
            runs, run = runs + [run] if run else runs, []
            continue
        y = SPARK_H - (min(1.0, max(floor, v)) - floor) / (1 - floor) * SPARK_H
        run.append(f"{i * step:.1f},{y:.1f}")
    runs += [run] if run else []
    return " ".join("M" + " L".join(r) if len(r) > 1 else f"M{r[0]} h0.1" for r in runs)


def _tiles(request, centre, frame, targets, start, end) -> list[dict]:
    """A tile per channel: service level at its own threshold, the plan's target and the gap
    to it, and a sparkline of the daily service level over the last four weeks."""
    labels = dict(Channel.choices)
    first = end - dt.timedelta(days=SPARK_DAYS)
    daily = kpi_frame(request.scope, centre, first, end, "day", ["channel"])
    days = [first + dt.timedelta(days=i) for i in range(SPARK_DAYS)]
    tiles = []
    for (_, row), found in zip(frame.iterrows(), targets, strict=True):
        mine = daily[daily["channel"] == row["channel"]]
        by_day = {ts.date(): (None if is_missing(v) else float(v))
                  for ts, v in zip(mine["period_start"], mine["service_level"], strict=True)}
        values = [by_day.get(d) for d in days]
        target = found.get("service_level")
        sl = None if is_missing(row["service_level"]) else float(row["service_level"])
        present = [v for v in values if v is not None]
        floor = max(0.0, min([*present, sl if sl is not None else 1.0,
                              float(target.value) if target else 1.0]) - 0.05)
        floor = min(floor, 0.9)
        tile = {"label": labels.get(row["channel"], row["channel"]),
                "value": fmt("service_level", row["service_level"]),
                "basis": row["sl_basis"], "offered": int(row["offered"]),
                "spark": _spark(values, floor), "days_with_data": len(present),
                "rag": "", "target": "", "gap": "", "target_y": None}
        if target is not None and sl is not None:
            gap = (sl - float(target.value)) * 100
            tile.update(target=fmt("service_level", target.value),
                        gap=f"{abs(gap):.1f} pts {'above' if gap >= 0 else 'below'} target",
                        rag="ok" if target.met(sl) else "warn",
                        target_y=round(SPARK_H - (float(target.value) - floor) / (1 - floor)
                                       * SPARK_H, 1))
        tiles.append(tile)
    return tiles


def home_panel(request):
    centre = centre_current()
    if centre is None or not request.user.is_authenticated:
        return None
    end = centre_today(centre, timezone.now())  # the 7 complete business days before today
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
        "title": "Last 7 days", "wide": True,
        "tiles": _tiles(request, centre, frame, targets, start, end),
        "spark_w": SPARK_W, "spark_h": SPARK_H, "spark_days": SPARK_DAYS,
        "lines": [*lines, f"Service level = {SL_VARIANTS[variant]}, T per queue as its "
                  "measurements are configured; targets from the business plan."],
        "link": f"{reverse('reports:kpis')}?start={start}&end={end}&by=channel",
        "link_label": "KPIs by channel",
        "status": "warn" if any(missed) else "ok",
    }
