"""Exit-reason and win-back plots.

Public names: ``exit_reasons_bars``, ``winback_bars``.
"""

from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from churnlab.plots._style import PALETTE, caption, new_axes

__all__ = ["exit_reasons_bars", "winback_bars"]


def exit_reasons_bars(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Matched exit reasons: share of customers and share of MRR side by side.

    Parameters
    ----------
    frame : pandas.DataFrame
        The output of :func:`churnlab.exit_reasons`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax)
    m = frame[frame["status"] == "matched"]
    long = m.melt(
        id_vars="line",
        value_vars=["customer_share", "mrr_share"],
        var_name="weight",
        value_name="share",
    )
    long["weight"] = long["weight"].map(
        {"customer_share": "by customers", "mrr_share": "by churned MRR"}
    )
    long["share"] = long["share"] * 100
    sns.barplot(long, y="line", x="share", hue="weight", palette=PALETTE, ax=ax)
    ax.set(title="Why customers left", xlabel="Share of matched churn (%)", ylabel="")
    miss = frame[frame["status"] != "matched"]
    tol = int(frame["tolerance_days"].iloc[0]) if len(frame) else 0
    parts = ", ".join(f"{int(r.rows):,} {r.status}" for r in miss.itertuples())
    caption(
        ax,
        f"{int(m['rows'].sum()):,} of {int(frame['rows'].sum()):,} reason rows "
        f"matched a churn within ±{tol} days; not matched: {parts}.",
    )
    return ax


def winback_bars(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Pooled win-back rate at each horizon, over all churn periods.

    Parameters
    ----------
    frame : pandas.DataFrame
        The output of :func:`churnlab.winback`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax)
    hs = sorted(
        int(c[len("returned_") : -1])
        for c in frame.columns
        if c.startswith("returned_") and c.endswith("d")
    )
    rows = []
    for h in hs:
        ret, elig = frame[f"returned_{h}d"].sum(), frame[f"eligible_{h}d"].sum()
        rows.append(
            {
                "horizon": f"{h} days",
                "rate": 100 * ret / elig if elig else float("nan"),
                "eligible": int(elig),
            }
        )
    data = pd.DataFrame(rows)
    sns.barplot(data, x="horizon", y="rate", color=sns.color_palette(PALETTE)[0], ax=ax)
    ax.set(
        title="Churned customers who came back",
        xlabel="Within",
        ylabel="Came back (%)",
    )
    caption(
        ax,
        "Share among churns whose window is over (open windows censored); "
        + ", ".join(f"{r.horizon}: n={r.eligible:,}" for r in data.itertuples()),
    )
    return ax
