"""Sales plots: pipeline, win rate and cycle by owner, quotas, locations.

Public names: ``pipeline_funnel``, ``pipeline_by_stage``, ``win_rates``,
``sales_cycle``, ``deal_outcomes_by_age``, ``quota_attainment``,
``stage_conversion``, ``sales_by_location``, ``revenue_new_vs_existing``.

Each function draws the tidy frame the :mod:`churnlab.sales` function of the
same name returned, takes ``ax=`` (a new figure when None) and returns the Axes.
Censoring-aware estimates are drawn beside the plain ones, told apart by
hatching as well as colour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from churnlab._docs import share_docs
from churnlab.errors import ParameterError
from churnlab.plots import funnels as _funnels
from churnlab.plots._style import (
    PALETTE,
    caption,
    money,
    money_axis,
    new_axes,
    percent,
    percent_axis,
)

__all__ = [
    "pipeline_funnel",
    "pipeline_by_stage",
    "win_rates",
    "sales_cycle",
    "deal_outcomes_by_age",
    "quota_attainment",
    "stage_conversion",
    "sales_by_location",
    "revenue_new_vs_existing",
]


def _key(
    frame: pd.DataFrame, by: str | list[str] | None
) -> tuple[list[str], pd.Series]:
    if by is None:
        known = {
            "owner", "segment", "source", "region", "team", "location", "stage",
        }  # fmt: skip
        by = [c for c in frame.columns if c in known][:2]
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ParameterError(f"by={missing[0]!r} is not a column of this frame.")
    if not cols:
        return [], pd.Series(["all"] * len(frame), index=frame.index)
    return cols, frame[cols].astype("string").fillna("(none)").agg(" / ".join, axis=1)


def _as_of(frame: pd.DataFrame) -> str:
    a = frame.attrs
    parts = []
    if a.get("period"):
        parts.append(f"period {a['period']}")
    if a.get("as_of") is not None:
        parts.append(f"as of {pd.Timestamp(a['as_of']):%Y-%m-%d}")
    return "; ".join(parts)


def _paired_bars(
    ax: Axes,
    labels: pd.Series,
    plain: pd.Series,
    aware: pd.Series,
    names: tuple[str, str],
    fmt,
) -> None:
    colors = sns.color_palette(PALETTE, 2)
    y = np.arange(len(labels))
    h = 0.38
    b1 = ax.barh(y - h / 2, plain, height=h, color=colors[0], label=names[0])
    b2 = ax.barh(
        y + h / 2, aware, height=h, color=colors[1], hatch="//", label=names[1]
    )
    ax.bar_label(b1, labels=[fmt(v) for v in plain], fontsize="x-small", padding=2)
    ax.bar_label(b2, labels=[fmt(v) for v in aware], fontsize="x-small", padding=2)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.legend(
        fontsize="small", loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2,
        frameon=False,
    )  # fmt: skip


@share_docs
def pipeline_funnel(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Leads -> opportunities -> won bars with conversion labels.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.pipeline_funnel` returned.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        As :func:`churnlab.plots.funnels.funnel`; deals still open are counted in
        the caption.
    """
    return _funnels.funnel(frame, title="Sales pipeline: leads to won deals", ax=ax)


@share_docs
def pipeline_by_stage(
    frame: pd.DataFrame, *, value: str = "pipeline_open", ax: Axes | None = None
) -> Axes:
    """Open pipeline by stage (amount, or number of deals).

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.pipeline_by_stage` returned.
    value : {{"pipeline_open", "deals_open"}}, default "pipeline_open"
        Bar length: the amount or the number of open deals.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        One bar per stage in pipeline order, labelled with deals and amount.
    """
    if value not in ("pipeline_open", "deals_open"):
        raise ParameterError("value= must be 'pipeline_open' or 'deals_open'.")
    ax = new_axes(ax)
    data = frame.groupby("stage", sort=False, as_index=False)[
        ["deals_open", "pipeline_open"]
    ].sum()
    bars = ax.barh(data["stage"], data[value], color=sns.color_palette(PALETTE)[0])
    ax.bar_label(
        bars,
        labels=[
            f"{int(n):,} deals, {money(a)}"
            for n, a in zip(data["deals_open"], data["pipeline_open"], strict=True)
        ],
        fontsize="small",
        padding=3,
    )
    ax.invert_yaxis()
    ax.set_xlim(0, float(data[value].max() or 1) * 1.45)
    xlabel = "Open pipeline (amount)" if value == "pipeline_open" else "Open deals"
    ax.set(title="Open pipeline by stage", xlabel=xlabel, ylabel="Stage")
    if value == "pipeline_open":
        money_axis(ax, "x")
    caption(ax, _as_of(frame))
    return ax


@share_docs
def win_rates(
    frame: pd.DataFrame, *, by: str | list[str] | None = None, ax: Axes | None = None
) -> Axes:
    """Win rate per group: closed deals only beside the competing-risks estimate.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.win_rates` returned.
    by : str or list of str, optional
        The group columns (default: those of the frame, e.g. ``owner``).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Paired horizontal bars (plain solid, Aalen-Johansen hatched), percent
        axis, groups labelled with their number of closed and open deals.
    """
    _cols, key = _key(frame, by)
    ax = new_axes(ax, figsize=(8, 1.2 + 0.45 * len(frame)))
    labels = key + [
        f" ({int(c)} closed, {int(o)} open)"
        for c, o in zip(frame["deals_closed"], frame["deals_open"], strict=True)
    ]
    _paired_bars(
        ax,
        labels,
        frame["win_rate"],
        frame["win_rate_aj"],
        ("won / closed", "censoring-aware (Aalen-Johansen)"),
        lambda v: percent(v),
    )
    ax.set(xlabel="Won / closed deals (%)", ylabel="")
    ax.set_title("Win rate", pad=22)
    ax.set_xlim(0, min(1.0, float(np.nanmax(frame[["win_rate", "win_rate_aj"]])) * 1.3))
    percent_axis(ax, "x")
    caption(ax, _as_of(frame) + "; hatched bars keep open deals in the estimate")
    return ax


@share_docs
def sales_cycle(
    frame: pd.DataFrame, *, by: str | list[str] | None = None, ax: Axes | None = None
) -> Axes:
    """Median sales cycle per group, plain beside censoring-aware.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.sales_cycle` returned.
    by : str or list of str, optional
        The group columns (default: those of the frame).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Paired bars in days (plain median of won deals solid, Aalen-Johansen
        median hatched), groups labelled with their number of won deals.
    """
    _cols, key = _key(frame, by)
    ax = new_axes(ax, figsize=(8, 1.2 + 0.45 * len(frame)))
    labels = key + [f" ({int(n)} won)" for n in frame["deals_won"]]
    _paired_bars(
        ax,
        labels,
        frame["cycle_days_median"],
        frame["cycle_days_median_aj"],
        ("median of won deals", "censoring-aware (Aalen-Johansen)"),
        lambda v: "–" if pd.isna(v) else f"{v:.0f} d",
    )
    ax.set(xlabel="Days from created to won", ylabel="")
    ax.set_title("Sales cycle length (median)", pad=22)
    caption(ax, _as_of(frame) + "; hatched bars include the deals still open")
    return ax


@share_docs
def deal_outcomes_by_age(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Cumulative share of deals won and lost by deal age (Aalen-Johansen).

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.deal_outcomes_by_age` returned (one group; pass a
        filtered frame for a breakdown).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Won (solid) and lost (dashed) step lines with 95% bands, percent axis.
    """
    ax = new_axes(ax)
    colors = sns.color_palette(PALETTE, 2)
    for col, color, ls, name in (
        ("won", colors[0], "-", "won"),
        ("lost", colors[1], "--", "lost"),
    ):
        ax.step(frame["age_days"], frame[col], where="post", color=color, ls=ls,
                label=name)  # fmt: skip
        ax.fill_between(
            frame["age_days"], frame[f"{col}_ci_lower"], frame[f"{col}_ci_upper"],
            step="post", color=color, alpha=0.2,
        )  # fmt: skip
    ax.set(
        title="Deal outcomes by age",
        xlabel="Deal age (days since created)",
        ylabel="Share of deals (%)",
    )
    ax.set_ylim(0, 1)
    percent_axis(ax)
    ax.legend(fontsize="small")
    caption(ax, _as_of(frame) + "; open deals censored at their age")
    return ax


@share_docs
def quota_attainment(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Quota attainment per owner, with the 100% line.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.quota_attainment` returned; several periods are
        summed per owner (attainment = total won / total quota).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        One bar per owner labelled with the attainment and won revenue; owners
        at or above quota are hatched, so colour is not the only cue.
    """
    ax = new_axes(ax)
    values = {"period", "quota", "revenue_won", "deals_won", "attainment"}
    keys = [c for c in frame.columns if c not in values]
    if keys:
        data = frame.groupby(keys, as_index=False)[["quota", "revenue_won"]].sum()
        names = data[keys].astype("string").fillna("(none)").agg(" / ".join, axis=1)
    else:
        data = frame[["quota", "revenue_won"]].sum().to_frame().T
        names = pd.Series(["team"])
    att = data["revenue_won"] / data["quota"].where(data["quota"] > 0)
    colors = sns.color_palette(PALETTE, 2)
    bars = ax.bar(
        names,
        att,
        color=[colors[1] if a >= 1 else colors[0] for a in att.fillna(0)],
        hatch=None,
    )
    for bar, a in zip(bars, att.fillna(0), strict=True):
        if a >= 1:
            bar.set_hatch("//")
    ax.bar_label(
        bars,
        labels=[
            f"{percent(a, 0)}\n{money(w)}"
            for a, w in zip(att, data["revenue_won"], strict=True)
        ],
        fontsize="x-small",
        padding=2,
    )
    ax.axhline(1.0, color="0.3", ls="--", lw=1)
    periods = frame["period"].dt.strftime("%Y-%m") if "period" in frame else None
    span = ""
    if periods is not None and len(periods):
        span = (
            f" ({periods.min()})"
            if periods.nunique() == 1
            else (f" ({periods.min()} to {periods.max()})")
        )
    who = " / ".join(keys) or "team"
    ax.set(
        title=f"Quota attainment{span}",
        xlabel=f"{who} (dashed: quota = 100%; hatched: at or above quota)",
        ylabel="Won revenue / quota (%)",
    )
    ax.set_ylim(0, max(1.2, float(np.nanmax(att.to_numpy(dtype=float))) * 1.25))
    percent_axis(ax)
    if len(names) > 8:
        ax.tick_params(axis="x", labelrotation=45)
    return ax


@share_docs
def stage_conversion(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stage-to-stage conversion with the median days in each stage.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.stage_conversion` returned (no breakdown).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        One bar per stage (conversion to the next), labelled with the rate,
        deals entered and median days in the stage.
    """
    ax = new_axes(ax)
    labels = frame["stage"] + "\n-> " + frame["next_stage"]
    bars = ax.bar(labels, frame["conversion_rate"], color=sns.color_palette(PALETTE)[0])
    ax.bar_label(
        bars,
        labels=[
            f"{percent(r)}\n{int(n):,} in, {d:.0f} d"
            for r, n, d in zip(
                frame["conversion_rate"], frame["deals_entered"],
                frame["days_in_stage_median"].fillna(np.nan), strict=True,
            )
        ],
        fontsize="x-small",
        padding=2,
    )  # fmt: skip
    ax.set(
        title="Stage conversion and time in stage",
        xlabel="Stage (deals still in a stage are censored, not lost)",
        ylabel="Advanced / (advanced + lost) (%)",
    )
    ax.set_ylim(0, 1.15)
    percent_axis(ax)
    if len(labels) > 4:
        ax.tick_params(axis="x", labelrotation=20)
    return ax


@share_docs
def sales_by_location(
    frame: pd.DataFrame, *, top: int = 10, ax: Axes | None = None
) -> Axes:
    """Revenue by location, largest first, with its share.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.sales_by_location` returned.
    top : int, default 10
        Locations shown; the rest are summed into "other".
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars (money axis) labelled with the revenue share.
    """
    ax = new_axes(ax)
    data = frame[["location", "revenue"]].copy()
    data["location"] = data["location"].fillna("(none)")
    if len(data) > top:
        rest = data.iloc[top:]["revenue"].sum()
        data = pd.concat(
            [data.iloc[:top], pd.DataFrame({"location": ["other"], "revenue": [rest]})]
        )
    total = frame["revenue"].sum()
    bars = ax.barh(
        data["location"], data["revenue"], color=sns.color_palette(PALETTE)[0]
    )
    ax.bar_label(
        bars,
        labels=[percent(v / total if total else np.nan) for v in data["revenue"]],
        fontsize="small",
        padding=3,
    )
    ax.invert_yaxis()
    ax.set(title="Revenue by location", xlabel="Revenue (net of refunds)", ylabel="")
    money_axis(ax, "x")
    caption(ax, _as_of(frame))
    return ax


@share_docs
def revenue_new_vs_existing(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Revenue per period stacked: new customers on existing ones.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.revenue_new_vs_existing` returned.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Stacked bars (existing solid, new hatched) with the new share on top.
    """
    ax = new_axes(ax)
    colors = sns.color_palette(PALETTE, 2)
    labels = frame["period"].dt.strftime("%Y-%m")
    b1 = ax.bar(labels, frame["revenue_existing"], color=colors[0], label="existing")
    b2 = ax.bar(
        labels,
        frame["revenue_new"],
        bottom=frame["revenue_existing"],
        color=colors[1],
        hatch="//",
        label="new",
    )
    ax.bar_label(
        b2,
        labels=[percent(v, 0) for v in frame["revenue_share_new"]],
        fontsize="x-small",
        padding=2,
    )
    del b1
    ax.set(
        title="Revenue from new and existing customers",
        xlabel="Period (label: share of revenue from customers in their first "
        "purchase period)",
        ylabel="Revenue (net of refunds)",
    )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
    ax.legend(fontsize="small")
    if len(labels) > 12:
        ax.tick_params(axis="x", labelrotation=90)
    return ax
