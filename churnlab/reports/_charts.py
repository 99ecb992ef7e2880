"""Report charts that draw a metric frame: MRR movements for one month and over time.

Public names: ``mrr_movements_bars``, ``mrr_over_time``.

Each takes the tidy frame :func:`churnlab.revenue_metrics` or
:func:`churnlab.mrr_movements` returns (columns ``period, mrr_start, mrr_new,
mrr_expansion, mrr_reactivation, mrr_contraction, mrr_churn, mrr_end``; the
earlier names ``start_mrr, new, ...`` are accepted), takes ``ax=`` and returns
the Axes. Both start their money axis at 0: a movement is drawn at its true
size, and the start and end MRR are stated once, in the report's caption.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from churnlab.reports._display import money

__all__ = ["mrr_movements_bars", "mrr_over_time", "MOVEMENTS", "style_names"]

#: (column, label, sign): gains add MRR, losses remove it.
MOVEMENTS = (
    ("mrr_new", "New", 1),
    ("mrr_expansion", "Expansion", 1),
    ("mrr_reactivation", "Reactivation", 1),
    ("mrr_contraction", "Contraction", -1),
    ("mrr_churn", "Churn", -1),
)

_OLD = {
    "start_mrr": "mrr_start",
    "new": "mrr_new",
    "expansion": "mrr_expansion",
    "reactivation": "mrr_reactivation",
    "contraction": "mrr_contraction",
    "churn": "mrr_churn",
    "end_mrr": "mrr_end",
}


def style_names(frame: pd.DataFrame) -> pd.DataFrame:
    """MRR columns under the names STYLE.md gives them (``mrr_start``, ...).

    A no-op once the metric functions return those names.
    """
    rename = {
        k: v for k, v in _OLD.items() if k in frame.columns and v not in frame.columns
    }
    return frame.rename(columns=rename) if rename else frame


def _colors() -> tuple[Any, Any]:
    import seaborn as sns

    palette = sns.color_palette("colorblind")
    return palette[0], palette[1]


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt
    import seaborn as sns

    with sns.axes_style("whitegrid"):
        _fig, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _money_axis(ax: Axes, currency: str, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(
        FuncFormatter(lambda v, _pos: money(v, currency, compact=True))
    )


def mrr_movements_bars(
    frame: pd.DataFrame,
    *,
    period: Any,
    currency: str = "",
    ax: Axes | None = None,
) -> Axes:
    """The month's MRR movements as bars from zero: gains right, losses left.

    Gains are solid, losses hatched (never colour alone); each bar carries its
    signed amount. The axis is zero-based, so a movement is drawn at its size.
    """
    frame = style_names(frame)
    row = frame[pd.to_datetime(frame["period"]) == pd.Timestamp(period)]
    totals = row[[c for c, _l, _s in MOVEMENTS]].sum()
    gain, loss = _colors()
    labels = [lab for _c, lab, _s in MOVEMENTS]
    values = [float(totals[c]) * s for c, _l, s in MOVEMENTS]
    ax = _new_axes(ax, (8, 3.2))
    y = np.arange(len(labels))[::-1]
    bars = ax.barh(
        y,
        values,
        color=[gain if v >= 0 else loss for v in values],
        edgecolor="0.25",
        linewidth=0.6,
    )
    for bar, (_c, _l, s) in zip(bars, MOVEMENTS, strict=True):
        bar.set_hatch("" if s > 0 else "//")
    ax.bar_label(
        bars,
        labels=[("+" if v >= 0 else "") + money(v, currency) for v in values],
        padding=3,
        fontsize="small",
    )
    ax.set_yticks(y, labels)
    ax.axvline(0, color="0.2", linewidth=0.8)
    span = max(abs(v) for v in values) or 1.0
    ax.set_xlim(
        min(0.0, min(values)) - 0.35 * span, max(0.0, max(values)) + 0.35 * span
    )
    _money_axis(ax, currency, "x")
    ax.set_xlabel(f"MRR change in the month{f' ({currency})' if currency else ''}")
    ax.set_title(f"MRR movements, {pd.Timestamp(period):%B %Y}")
    ax.grid(axis="y", visible=False)
    return ax


def mrr_over_time(
    frame: pd.DataFrame, *, currency: str = "", ax: Axes | None = None
) -> Axes:
    """MRR at each month's end (line) above the month's movements (stacked bars).

    New, expansion and reactivation stack upward; contraction and churn
    downward; a dot marks the net change. Returns the movements' Axes.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    frame = style_names(frame).sort_values("period")
    periods = pd.to_datetime(frame["period"])
    if ax is None:
        with sns.axes_style("whitegrid"):
            fig, (top, ax) = plt.subplots(
                2,
                1,
                figsize=(9, 6),
                sharex=True,
                layout="constrained",
                height_ratios=(2, 3),
            )
        top.plot(periods, frame["mrr_end"], marker="o", markersize=3, color="0.2")
        top.set_ylim(0, float(frame["mrr_end"].max()) * 1.1)
        _money_axis(top, currency)
        top.set_title("MRR at month end")
    palette = sns.color_palette("colorblind")
    width = 20
    up = np.zeros(len(frame))
    down = np.zeros(len(frame))
    for i, (col, lab, sign) in enumerate(MOVEMENTS):
        values = frame[col].fillna(0).to_numpy(dtype=float)
        base = up if sign > 0 else down
        heights = values * sign
        ax.bar(
            periods,
            heights,
            bottom=base,
            width=width,
            color=palette[i],
            hatch="" if sign > 0 else "//",
            edgecolor="white",
            linewidth=0.3,
            label=lab,
        )
        if sign > 0:
            up = up + values
        else:
            down = down - values
    ax.plot(periods, up + down, "o", color="black", markersize=3, label="Net change")
    ax.axhline(0, color="0.2", linewidth=0.8)
    _money_axis(ax, currency)
    ax.set_title("MRR movements per month (gains up, losses down)")
    ax.legend(ncols=3, fontsize="small", loc="upper left", frameon=False)
    lo, hi = float(down.min()), float(up.max())
    pad = 0.45 * (hi - lo or 1.0)
    ax.set_ylim(lo - 0.1 * pad, hi + pad)
    ax.tick_params(axis="x", labelrotation=45)
    return ax
