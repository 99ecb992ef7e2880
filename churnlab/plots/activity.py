"""Activity churn and usage plots: each draws the frame a metric returned.

Public names: ``account_activity``, ``backtest_lift``, ``lifecycle``,
``stickiness``.
"""

from __future__ import annotations

import matplotlib.patches as mpatches
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from churnlab._docs import share_docs
from churnlab.errors import ParameterError
from churnlab.plots._style import PALETTE, caption, new_axes, percent_axis

__all__ = ["account_activity", "backtest_lift", "lifecycle", "stickiness"]


def _need(frame: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"This frame is not {what}: missing column(s) {', '.join(missing)}."
        )


@share_docs
def account_activity(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """One account's weekly user-days with its baseline, limit and flag.

    Parameters
    ----------
    frame : pandas.DataFrame
        The result of :func:`churnlab.account_activity`.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
    """
    _need(
        frame,
        ["week_start", "user_days", "window", "baseline", "limit"],
        "an account_activity() frame",
    )
    ax = new_axes(ax)
    colors = sns.color_palette(PALETTE, 3)
    shade = {"earlier": "0.75", "baseline": colors[0], "recent": colors[1]}
    hatch = {"earlier": "", "baseline": "", "recent": "//"}
    f = frame.sort_values("week_start")
    for window in ("earlier", "baseline", "recent"):
        part = f[f["window"] == window]
        ax.bar(
            part["week_start"] + pd.Timedelta(days=3.5),
            part["user_days"],
            width=6,
            color=shade[window],
            hatch=hatch[window],
            edgecolor="white" if window != "recent" else "black",
            label=f"{window} weeks",
        )
    base = f[f["window"] == "baseline"]
    lo, hi = base["week_start"].min(), f["week_end"].max()
    ax.hlines(f["baseline"].iloc[0], lo, hi, colors="black", label="baseline")
    ax.hlines(
        f["limit"].iloc[0], lo, hi, colors="black", linestyles="--", label="limit"
    )
    sig = frame.attrs.get("signal") or {}
    if sig.get("dormant"):
        flag = "DORMANT"
    elif sig.get("slipping"):
        flag = f"SLIPPING ({int(sig.get('weeks_slipping', 0))} low weeks)"
    elif sig:
        flag = "not flagged"
    else:
        flag = "not paying"
    account = frame.attrs.get("account_id", "")
    ax.set(
        title=f"Account {account}: weekly activity against its baseline - {flag}",
        xlabel="Week (rolling 7 days before the as-of date)",
        ylabel="User-days per week",
    )
    ax.legend(loc="upper left", fontsize="small")
    as_of = frame.attrs.get("as_of")
    if as_of is not None:
        caption(ax, f"As of {pd.Timestamp(as_of).date()}")
    return ax


@share_docs
def backtest_lift(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Lift of the activity flags per flag month; open horizons marked.

    Parameters
    ----------
    frame : pandas.DataFrame
        The result of :func:`churnlab.activity_backtest` (without ``by``).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
    """
    _need(
        frame,
        ["scope", "period", "lift", "precision", "horizon_complete"],
        "an activity_backtest() frame",
    )
    ax = new_axes(ax)
    f = frame[frame["scope"] == "period"].sort_values("period")
    labels = f["period"].dt.strftime("%Y-%m")
    x = np.arange(len(f))
    done = f["horizon_complete"].to_numpy()
    color = sns.color_palette(PALETTE, 1)[0]
    ax.bar(x[done], f["lift"].to_numpy()[done], color=color, label="lift")
    for xi, (_i, row) in zip(x, f.iterrows(), strict=True):
        if row["horizon_complete"]:
            ax.annotate(
                f"{row['precision']:.0%} vs {row['base_rate']:.0%}",
                (xi, row["lift"]),
                ha="center",
                va="bottom",
                fontsize="small",
            )
        else:
            ax.annotate(
                "horizon\nnot over",
                (xi, 0.05),
                ha="center",
                va="bottom",
                fontsize="small",
                color="0.4",
            )
    ax.axhline(
        1, color="black", linestyle="--", linewidth=1, label="no better than base rate"
    )
    ax.set_xticks(x, labels, rotation=45, ha="right")
    horizon = frame.attrs.get("horizon_days", "")
    ax.set(
        title=f"Activity flags: churn within {horizon} days, flagged vs unflagged",
        xlabel="Flag date (month start)",
        ylabel="Lift (precision / base rate)",
    )
    ax.legend(
        loc="upper right",
        fontsize="small",
        title="labels: churned among flagged vs base rate",
        title_fontsize="x-small",
    )
    return ax


@share_docs
def lifecycle(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Lifecycle as stacked bars: new, returning, resurrecting up; dormant below 0.

    Parameters
    ----------
    frame : pandas.DataFrame
        The result of :func:`churnlab.lifecycle` (without ``by``).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
    """
    cols = ["period", "new", "returning", "resurrecting", "dormant"]
    _need(frame, cols, "a lifecycle() frame")
    ax = new_axes(ax)
    f = frame.sort_values("period")
    x = np.arange(len(f))
    colors = sns.color_palette(PALETTE, 4)
    bottom = np.zeros(len(f))
    for i, col in enumerate(["returning", "resurrecting", "new"]):
        vals = f[col].to_numpy(dtype=float)
        ax.bar(x, vals, bottom=bottom, color=colors[i], label=col)
        bottom += vals
    ax.bar(
        x,
        -f["dormant"].to_numpy(dtype=float),
        color=colors[3],
        hatch="//",
        edgecolor="white",
        label="dormant (below 0)",
    )
    ax.axhline(0, color="black", linewidth=0.8)
    fmt = {"D": "%Y-%m-%d", "W": "%Y-%m-%d", "M": "%Y-%m"}.get(
        frame.attrs.get("freq", "M"), "%Y-%m-%d"
    )
    step = max(1, len(f) // 16)
    ax.set_xticks(
        x[::step], f["period"].dt.strftime(fmt).iloc[::step], rotation=45, ha="right"
    )
    who = "accounts" if frame.attrs.get("count_by") == "account" else "users"
    ax.set(
        title=f"Lifecycle of active {who} per period",
        xlabel="Period",
        ylabel=f"{who.capitalize()} (dormant drawn below zero)",
    )
    ax.legend(loc="upper left", fontsize="small", ncols=2)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{abs(v):,.0f}")
    return ax


@share_docs
def stickiness(
    frame: pd.DataFrame, *, period: object = None, ax: Axes | None = None
) -> Axes:
    """Share of active users by number of active days in one period.

    Parameters
    ----------
    frame : pandas.DataFrame
        The result of :func:`churnlab.stickiness` (without ``by``).
    period : date-like, optional
        The period to draw (its start); default the last one.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
    """
    _need(frame, ["period", "days_active", "users", "share"], "a stickiness() frame")
    ax = new_axes(ax)
    p = frame["period"].max() if period is None else pd.Timestamp(period)
    f = frame[frame["period"] == p]
    if f.empty:
        raise ParameterError(f"period={period!r} is not in this stickiness frame.")
    color = sns.color_palette(PALETTE, 1)[0]
    ax.bar(f["days_active"], f["share"], color=color)
    for _i, row in f.iterrows():
        if row["users"]:
            ax.annotate(
                f"{int(row['users']):,}",
                (row["days_active"], row["share"]),
                ha="center",
                va="bottom",
                fontsize="x-small",
            )
    percent_axis(ax, decimals=0)
    ax.set_xticks(f["days_active"])
    n = int(f["users"].sum())
    ax.set(
        title=f"Stickiness: active days per user, period starting {p.date()}",
        xlabel="Days active in the period",
        ylabel=f"Share of the {n:,} active users",
    )
    ax.legend(
        handles=[mpatches.Patch(color=color, label="share (label: users)")],
        fontsize="small",
    )
    return ax
