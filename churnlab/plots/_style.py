"""Shared plot style: palettes, formatters and the new-figure rule.

Public names: ``PALETTE``, ``HEATMAP_CMAP``, ``DIVERGING_CMAP``, ``new_axes``,
``percent_axis``, ``money_axis``, ``caption``, ``money``, ``percent``.

Colour: seaborn's ``colorblind`` palette for hues, ``cividis`` for heatmaps, a
blue-red map centred on 1 for ratios around 100% (NRR). Never red against green,
never colour as the only cue: lines get markers, bars get labels.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

__all__ = [
    "PALETTE",
    "HEATMAP_CMAP",
    "DIVERGING_CMAP",
    "new_axes",
    "percent_axis",
    "money_axis",
    "caption",
    "money",
    "percent",
]

PALETTE = "colorblind"
HEATMAP_CMAP = "cividis"
DIVERGING_CMAP = "RdBu"


def new_axes(ax: Axes | None, *, figsize: tuple[float, float] = (8, 4)) -> Axes:
    """Return ``ax``, or the Axes of a new figure when ``ax`` is None.

    A new figure (rather than ``plt.gca()``) means two plot calls in one report
    cell never draw over each other.
    """
    if ax is not None:
        return ax
    # The style applies to the new axes only: importing churnlab never changes
    # the user's global matplotlib or seaborn theme.
    with sns.axes_style("whitegrid"):
        _fig, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def percent_axis(ax: Axes, axis: str = "y", *, decimals: int | None = None) -> Axes:
    """Format an axis holding fractions (0.042) as percentages (4.2%)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(xmax=1, decimals=decimals))
    return ax


def money(value: float, currency: str = "") -> str:
    """Format money with thousands separators.

    ``money(12345.6, "EUR")`` gives ``"EUR 12,346"``; amounts under 100 keep cents.
    """
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{currency} {text}".strip()


def percent(value: float, decimals: int = 1) -> str:
    """Format a fraction as a percentage; NaN becomes an en dash."""
    if value is None or value != value:
        return "–"
    return f"{value:.{decimals}%}"


def money_axis(ax: Axes, axis: str = "y") -> Axes:
    """Format an axis holding money with thousands separators."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
    return ax


def caption(ax: Axes, text: str) -> Axes:
    """Put a small caption (as-of date, window, definition) under the plot."""
    ax.annotate(
        text,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -36),
        textcoords="offset points",
        fontsize="small",
        color="0.35",
        va="top",
    )
    return ax
