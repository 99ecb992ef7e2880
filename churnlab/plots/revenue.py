"""Revenue plots: the MRR bridge waterfall and NRR/GRR over time.

Public names: ``mrr_bridge``, ``revenue_retention``.

Each function draws the tidy frame a :mod:`churnlab.metrics` function returned
(:func:`~churnlab.mrr_movements`, :func:`~churnlab.revenue_metrics`,
:func:`~churnlab.nrr`, :func:`~churnlab.grr`), takes ``ax=`` (a new figure when
None) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from churnlab._docs import share_docs
from churnlab._frames import by_list
from churnlab.errors import ParameterError
from churnlab.plots._style import (
    PALETTE,
    caption,
    money,
    money_axis,
    new_axes,
    percent_axis,
)
from churnlab.plots.churn import _MARKERS, _date_axis, _group_label, _unit

__all__ = ["mrr_bridge", "revenue_retention"]

_STEPS = (
    ("mrr_new", "New", 1),
    ("mrr_expansion", "Expansion", 1),
    ("mrr_reactivation", "Reactivation", 1),
    ("mrr_contraction", "Contraction", -1),
    ("mrr_churn", "Churn", -1),
)


def _period_filter(frame: pd.DataFrame, period: Any) -> pd.DataFrame:
    if period is None:
        return frame
    if isinstance(period, str) and len(period) == 7:
        start = pd.Timestamp(period + "-01")
    else:
        start = pd.Timestamp(period)
    rows = frame[pd.to_datetime(frame["period"]) == start]
    if rows.empty:
        raise ParameterError(
            f"period={period!r} is not in the frame; it holds "
            f"{frame['period'].min():%Y-%m-%d} to {frame['period'].max():%Y-%m-%d}."
        )
    return rows


@share_docs
def mrr_bridge(
    frame: pd.DataFrame,
    *,
    period: Any = None,
    currency: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Waterfall from start MRR through each movement to end MRR.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.mrr_movements` (or :func:`churnlab.revenue_metrics`)
        returned. Groups of a ``by`` breakdown are added up.
    period : str or date-like, optional
        One period to draw (``"2026-10"``). Default: the whole frame, from the
        first period's start MRR to the last period's end MRR.
    currency : str, optional
        Currency label for the axis (e.g. ``"EUR"``).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Gains are solid blue bars, losses hatched orange bars (never red against
    green, never colour alone); start and end are grey totals. Each bar is
    labelled with its signed amount. When the movements are small next to the
    totals the MRR axis starts above 0, and a caption says so.

    Examples
    --------
    >>> import churnlab as cl
    >>> from churnlab.plots import revenue
    >>> ax = revenue.mrr_bridge(cl.mrr_movements(cl.sample_dataset()), period="2026-10")
    >>> [t.get_text() for t in ax.get_xticklabels()][:3]
    ['Start', 'New', 'Expansion']
    """
    rows = _period_filter(frame, period)
    if rows.empty:
        raise ParameterError("The frame has no periods to draw.")
    per = (
        rows.groupby("period", as_index=False)[
            ["mrr_start", "mrr_end", *[s[0] for s in _STEPS]]
        ]
        .sum()
        .sort_values("period")
    )
    start = float(per["mrr_start"].iloc[0])
    end = float(per["mrr_end"].iloc[-1])
    ax = new_axes(ax, figsize=(9, 4.5))
    colors = sns.color_palette(PALETTE)
    gain, loss, total = colors[0], colors[1], "0.6"
    labels, bottoms, heights = ["Start"], [0.0], [start]
    fills, hatches, texts = [total], [""], [money(start)]
    level = start
    for col, label, sign in _STEPS:
        value = float(per[col].sum())
        labels.append(label)
        if sign > 0:
            bottoms.append(level)
            level += value
        else:
            level -= value
            bottoms.append(level)
        heights.append(value)
        fills.append(gain if sign > 0 else loss)
        hatches.append("" if sign > 0 else "//")
        texts.append(("+" if sign > 0 else "\u2212") + money(value))
    labels.append("End")
    bottoms.append(0.0)
    heights.append(end)
    fills.append(total)
    hatches.append("")
    texts.append(money(end))
    x = np.arange(len(labels))
    bars = ax.bar(
        x, heights, bottom=bottoms, color=fills, edgecolor="0.25", linewidth=0.6
    )
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    ax.bar_label(bars, labels=texts, padding=2, fontsize="small")
    ax.set_xticks(x, labels, fontsize="small")
    money_axis(ax)
    tops = [b + h for b, h in zip(bottoms, heights, strict=True)]
    top = max(tops)
    # Movements are small next to the totals: start the axis near the lowest level
    # reached (said in a caption) so they can be read, unless that hides little.
    low = min(min(bottoms[1:-1]), start, end)
    floor = 0.0
    if top > 0 and low > 0 and (top - low) < 0.25 * top:
        floor = max(0.0, low - 1.5 * (top - low))
        unit = 10 ** np.floor(np.log10(top - low)) if top > low else 1.0
        floor = float(np.floor(floor / unit) * unit)
    ax.set_ylim(floor, top + 0.08 * (top - floor) if top > floor else 1)
    if floor > 0:
        caption(
            ax,
            f"The axis starts at {money(floor)}, not at 0, so the movements "
            "are visible.",
        )
    first, last = per["period"].iloc[0], per["period"].iloc[-1]
    span = f"{first:%Y-%m}" + (f" to {last:%Y-%m}" if last != first else "")
    unit = f"MRR ({currency})" if currency else "MRR"
    ax.set(
        title=f"MRR bridge, {span}: start + gains \u2212 losses = end",
        xlabel="Movement",
        ylabel=unit,
    )
    return ax


@share_docs
def revenue_retention(
    frame: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """NRR and GRR per period as lines with markers, around a 100% reference.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.revenue_metrics` returned (or :func:`churnlab.nrr` /
        :func:`churnlab.grr`): columns ``nrr`` and/or ``grr``.
    by : str or list of str, optional
        The by-column(s) of ``frame``: colour per group, line style and marker
        per metric.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import churnlab as cl
    >>> from churnlab.plots import revenue
    >>> ax = revenue.revenue_retention(cl.revenue_metrics(cl.sample_dataset()))
    >>> ax.get_title()
    'Net and gross revenue retention by month'
    """
    metrics = [c for c in ("nrr", "grr") if c in frame.columns]
    if not metrics:
        raise ParameterError(
            "The frame has neither an 'nrr' nor a 'grr' column; pass "
            "what cl.revenue_metrics() returned."
        )
    cols = by_list(by)
    ax = new_axes(ax)
    unit = _unit(frame["period"])
    data = frame.assign(period=pd.to_datetime(frame["period"]))
    if cols:
        data = data.assign(segment=_group_label(data, cols))
    long = data.melt(
        id_vars=["period", *(["segment"] if cols else [])],
        value_vars=metrics,
        var_name="metric",
        value_name="rate",
    )
    long["metric"] = long["metric"].str.upper()
    markers = dict(zip(["NRR", "GRR"], _MARKERS[:2], strict=True))
    if cols:
        sns.lineplot(
            long,
            x="period",
            y="rate",
            hue="segment",
            style="metric",
            markers=markers,
            palette=PALETTE,
            ax=ax,
        )
    else:
        sns.lineplot(
            long,
            x="period",
            y="rate",
            hue="metric",
            style="metric",
            markers=markers,
            dashes=True,
            palette=PALETTE,
            ax=ax,
        )
    ax.axhline(1.0, color="0.3", linewidth=0.8, linestyle=":")
    percent_axis(ax)
    _date_axis(ax)
    names = {"nrr": "Net", "grr": "gross"}
    what = " and ".join(names[m] for m in metrics)
    what = what[0].upper() + what[1:]
    ax.set(
        title=f"{what} revenue retention by {unit}",
        xlabel=unit.capitalize(),
        ylabel=f"MRR kept from customers at {unit} start (%)",
    )
    ax.legend(frameon=False)
    return ax
