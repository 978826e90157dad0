"""Static PNG charts for e-mailed and printed reports, drawn with matplotlib (Agg backend).

Email clients run no JavaScript, so the interactive Plotly figures of the pages cannot be sent;
Plotly's own static export needs a headless browser binary, which a fresh install lacks. These
charts draw the same data (the report's ``Chart`` objects) in the same colours
(``reports.charts.COLOURS``) with matplotlib alone. Pure: no Django.
"""
from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from reports.charts import COLOURS  # noqa: E402

LINE_COLOURS = [COLOURS["actual"], COLOURS["forecast"], COLOURS["secondary"], COLOURS["baseline"],
                COLOURS["required"], "#00838f"]
BAR_COLOUR = "#c9d8e8"
INK = "#1d2733"
MUTED = "#5b6876"


def _value_formatter(unit):
    if unit == "ratio":
        return FuncFormatter(lambda v, _: f"{v * 100:.0f}%")
    if unit == "seconds":
        return FuncFormatter(lambda v, _: f"{v:.0f} s")
    return FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:.1f}")


def _clean(values):
    return [float("nan") if v is None else float(v) for v in values]


def render_png(chart, width_in: float = 7.2, height_in: float = 2.9, dpi: int = 150) -> bytes:
    """PNG bytes of ``chart`` (a ``reports.reporting.content.Chart``): lines for ``series`` on
    the left axis in ``chart.unit``, bars for ``bars`` on a right axis (counts), a dashed target
    line, and the metric definition under the plot."""
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=dpi)
    fig.patch.set_facecolor("white")
    positions = list(range(len(chart.x)))
    handles = []
    if chart.bars:
        # Bars in another unit than the lines get their own (right) axis.
        bar_ax = ax.twinx() if chart.series and chart.unit != "count" else ax
        for name, values in chart.bars.items():
            handles.append(bar_ax.bar(positions, _clean(values), color=BAR_COLOUR, width=0.8,
                                      label=name, zorder=1))
        bar_ax.yaxis.set_major_formatter(_value_formatter("count"))
        bar_ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        bar_ax.tick_params(colors=MUTED, labelsize=7)
        if bar_ax is not ax:
            bar_ax.set_ylabel(" / ".join(chart.bars), color=MUTED, fontsize=7)
            ax.set_zorder(bar_ax.get_zorder() + 1)
            ax.patch.set_visible(False)
        for side in ("top",):
            bar_ax.spines[side].set_visible(False)
    for i, (name, values) in enumerate(chart.series.items()):
        style = {"linewidth": 2.0, "marker": "o" if len(positions) <= 31 else None,
                 "markersize": 3}
        if name in ("Centre line", "Upper limit", "Lower limit"):
            style = {"linewidth": 1.0, "linestyle": "--" if name != "Centre line" else "-"}
        if chart.unit == "count":
            ax.yaxis.set_major_locator(MaxNLocator(6, integer=True))
        (line,) = ax.plot(positions, _clean(values), color=LINE_COLOURS[i % len(LINE_COLOURS)],
                          label=name, zorder=3, **style)
        handles.append(line)
    if chart.target is not None and not math.isnan(chart.target):
        handles.append(ax.axhline(chart.target, color=COLOURS["target"], linestyle="--",
                                  linewidth=1.2, label="Target", zorder=2))
    if chart.series:
        ax.yaxis.set_major_formatter(_value_formatter(chart.unit))
        if chart.unit == "ratio":
            values = [v for vs in chart.series.values() for v in _clean(vs) if not math.isnan(v)]
            low = min([*values, chart.target if chart.target is not None else 1.0], default=0)
            ax.set_ylim(0 if chart.bars else max(0.0, low - 0.1), 1.02)
    ax.grid(axis="y", color=COLOURS["grid"], linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#c9d3dd")
    ax.spines["bottom"].set_color("#c9d3dd")
    ax.tick_params(colors=MUTED, labelsize=7)
    step = max(1, math.ceil(len(positions) / 16))
    ax.set_xticks(positions[::step])
    rotated = not (step == 1 and len(positions) <= 12)
    ax.set_xticklabels([str(x) for x in chart.x][::step], rotation=45 if rotated else 0,
                       ha="right" if len(positions) > 12 else "center")
    ax.set_xlim(-0.6, len(positions) - 0.4)
    if chart.x_label:
        ax.set_xlabel(chart.x_label, color=MUTED, fontsize=7)
    ax.set_title(chart.title, loc="left", fontsize=10, color=INK, fontweight="bold")
    # Below the axis title, which slanted day labels push further down.
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.4 if rotated else -0.28),
              ncol=6, frameon=False, fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    plt.close(fig)
    return buffer.getvalue()
