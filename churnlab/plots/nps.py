"""NPS plots.

Public names: ``nps_trend``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from churnlab.plots._style import PALETTE, caption, new_axes

__all__ = ["nps_trend"]


def nps_trend(
    frame: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    freq_label: str = "quarter",
    ax: Axes | None = None,
) -> Axes:
    """NPS per period (and group) as a line with markers, on the -100..100 scale.

    Parameters
    ----------
    frame : pandas.DataFrame
        The output of :func:`churnlab.nps`.
    by : str, optional
        Group column to draw one line per value of.
    freq_label : str
        Period word for the title and axis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax)
    data = frame.copy()
    data["nps_points"] = data["nps"] * 100
    hue = by if isinstance(by, str) or by is None else by[0]
    kwargs = {"hue": hue, "palette": PALETTE, "style": hue} if hue else {}
    sns.lineplot(data, x="period", y="nps_points", marker="o", ax=ax, **kwargs)
    ax.axhline(0, color="0.5", lw=0.8)
    ticks = sorted(data["period"].unique())
    step = max(1, len(ticks) // 8)
    ax.set_xticks(ticks[::step])
    ax.set_xticklabels(
        [
            f"{t.year} Q{(t.month - 1) // 3 + 1}"
            if freq_label == "quarter"
            else t.strftime("%Y-%m")
            for t in pd.to_datetime(ticks[::step])
        ]
    )
    ax.set(
        title=f"Net Promoter Score by {freq_label}",
        xlabel=freq_label.capitalize(),
        ylabel="NPS (% promoters − % detractors)",
        ylim=(-100, 100),
    )
    n = int(data["responses"].sum()) if "responses" in data else None
    if n is not None:
        caption(ax, f"{n:,} responses; promoters score 9–10, detractors 0–6.")
    return ax
