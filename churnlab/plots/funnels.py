"""Funnel plots: bars with conversion labels, trend, time to convert, 1 - KM.

Public names: ``funnel``, ``funnel_trend``, ``funnel_conversion_curve``,
``time_to_convert``.

Each function draws the tidy frame a :mod:`churnlab.funnels` function (or
:func:`churnlab.pipeline_funnel`) returned, takes ``ax=`` (a new figure when
None) and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from churnlab._docs import share_docs
from churnlab.errors import ParameterError
from churnlab.plots._style import PALETTE, caption, new_axes, percent, percent_axis

__all__ = ["funnel", "funnel_trend", "funnel_conversion_curve", "time_to_convert"]

_COUNT_COLUMNS = ("users", "accounts", "count")


def _count_column(frame: pd.DataFrame) -> str:
    for col in _COUNT_COLUMNS:
        if col in frame.columns:
            return col
    raise ParameterError(
        "Expected a funnel frame with a users, accounts or count column (from "
        f"churnlab.funnel or churnlab.pipeline_funnel); got {list(frame.columns)}."
    )


def _group_columns(frame: pd.DataFrame) -> list[str]:
    known = {"step_index", "step", *(_COUNT_COLUMNS)}
    first = frame.columns.get_loc("step_index") if "step_index" in frame else 0
    return [c for c in frame.columns[:first] if c not in known]


def _label(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    return frame[by].astype("string").fillna("(none)").agg(" / ".join, axis=1)


def _about(frame: pd.DataFrame) -> str:
    a = frame.attrs
    parts = []
    if a.get("window"):
        parts.append(f"window {a['window']} from step 1")
    if a.get("order"):
        parts.append(f"{a['order']} order")
    if a.get("period"):
        parts.append(f"cohort {a['period']}")
    if a.get("as_of") is not None:
        parts.append(f"as of {pd.Timestamp(a['as_of']):%Y-%m-%d}")
    return "; ".join(parts)


@share_docs
def funnel(
    frame: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Horizontal funnel bars with the count and conversion on each bar.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.funnel` or :func:`churnlab.pipeline_funnel`
        returned; with a breakdown, bars are grouped by it (colour plus a legend).
    title : str, optional
        Default "Funnel conversion" (or "Sales pipeline" for a pipeline frame).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Bars from the first step at the top; each labelled ``n (x% of first,
        y% of previous)``. Censored users, if any, are counted in the caption.
    """
    count = _count_column(frame)
    by = _group_columns(frame)
    ax = new_axes(ax, figsize=(8, 1.2 + 0.6 * frame["step_index"].nunique()))
    data = frame.copy()
    data["step_label"] = (
        data["step_index"].astype(str) + ". " + data["step"].astype(str)
    )
    order = list(dict.fromkeys(data.sort_values("step_index")["step_label"]))
    if by:
        data["group"] = _label(data, by)
        sns.barplot(
            data, x=count, y="step_label", hue="group", order=order,
            palette=PALETTE, ax=ax, orient="h",
        )  # fmt: skip
        ax.legend(title=" / ".join(by), fontsize="small")
    else:
        sns.barplot(data, x=count, y="step_label", order=order, color=sns.color_palette(
            PALETTE)[0], ax=ax, orient="h")  # fmt: skip
    # seaborn adds one container per hue level, in the order of the groups
    if by:
        groups = list(dict.fromkeys(data["group"]))
        per = {g: data[data["group"] == g].set_index("step_label") for g in groups}
        for container, g in zip(ax.containers, groups, strict=False):
            sub = per[g].reindex(order)
            ax.bar_label(
                container,
                labels=[
                    f"{int(v):,} ({percent(c)})" if pd.notna(v) else ""
                    for v, c in zip(
                        sub[count], sub["conversion_from_first"], strict=True
                    )
                ],
                fontsize="x-small",
                padding=3,
            )
    else:
        sub = data.set_index("step_label").reindex(order)
        labels = [
            f"{int(v):,} ({percent(c)} of first, {percent(p)} of previous)"
            for v, c, p in zip(
                sub[count], sub["conversion_from_first"],
                sub["conversion_from_previous"], strict=True,
            )
        ]  # fmt: skip
        ax.bar_label(ax.containers[0], labels=labels, fontsize="small", padding=3)
    unit = {"users": "Users", "accounts": "Accounts", "count": "Count"}[count]
    default = "Sales pipeline" if count == "count" else "Funnel conversion"
    ax.set(title=title or default, xlabel=f"{unit} reaching the step", ylabel="")
    ax.set_xlim(0, float(np.nanmax(data[count].to_numpy(dtype=float)) or 1) * 1.6)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:,.0f}")
    note = _about(frame)
    censored = f"{count}_censored"
    if censored in frame.columns and frame[censored].sum() > 0:
        n = int(frame.loc[frame["step_index"] == 1, censored].sum())
        note += f"; {n:,} recent {count} censored (not counted)"
    if "in_progress" in frame.columns and frame["in_progress"].sum() > 0:
        note += f"; {int(frame['in_progress'].sum()):,} still open"
    if note:
        caption(ax, note.strip("; "))
    return ax


@share_docs
def funnel_trend(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Conversion rate by entry period, one line (and marker) per group.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.funnel_trend` returned.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Percent y axis; periods whose users are all censored are left blank.
    """
    ax = new_axes(ax)
    by = list(frame.attrs.get("by", []))
    data = frame.copy()
    if by:
        data["group"] = _label(data, by)
        sns.lineplot(
            data, x="period", y="conversion_rate", hue="group", style="group",
            markers=True, dashes=False, palette=PALETTE, ax=ax,
        )  # fmt: skip
        ax.legend(title=" / ".join(by), fontsize="small")
    else:
        sns.lineplot(data, x="period", y="conversion_rate", marker="o", ax=ax)
    steps = frame.attrs.get("steps") or []
    span = f" ({steps[0]} to {steps[-1]})" if steps else ""
    ax.set(
        title=f"Funnel conversion by entry period{span}",
        xlabel="Entry period",
        ylabel="Converted / entered (%)",
    )
    ax.set_ylim(bottom=0)
    percent_axis(ax)
    caption(ax, _about(frame) + "; recent entrants censored, not counted")
    return ax


@share_docs
def funnel_conversion_curve(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Conversion by time since entry (1 - Kaplan-Meier) with its band.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.funnel_conversion_curve` returned.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        A step line per group with the confidence band; time in hours, or days
        when the curve runs past 72 hours; a dotted line at the window.
    """
    ax = new_axes(ax)
    by = list(frame.attrs.get("by", []))
    long = frame["hours_since_entry"].max() > 72
    scale, unit = (24.0, "days") if long else (1.0, "hours")
    groups = [((), frame)] if not by else list(frame.groupby(by, dropna=False))
    colors = sns.color_palette(PALETTE, max(1, len(groups)))
    for (key, g), color in zip(groups, colors, strict=False):
        x = g["hours_since_entry"] / scale
        label = " / ".join(map(str, key if isinstance(key, tuple) else (key,))) or None
        ax.step(x, g["conversion"], where="post", color=color, label=label)
        ax.fill_between(
            x, g["ci_lower"], g["ci_upper"], step="post", color=color, alpha=0.2
        )
    window = frame.attrs.get("window")
    if window:
        size = pd.Timedelta(window.replace("minutes", "min").replace("minute", "min"))
        ax.axvline(size / pd.Timedelta(hours=scale), color="0.4", ls=":")
    target = frame.attrs.get("target_step", "the last step")
    ax.set(
        title=f"Conversion to {target} by time since entry",
        xlabel=f"Time since entering the funnel ({unit})",
        ylabel="Converted (1 - Kaplan-Meier, %)",
    )
    ax.set_ylim(bottom=0)
    percent_axis(ax)
    if by:
        ax.legend(title=" / ".join(by), fontsize="small")
    caption(ax, _about(frame) + "; dotted: window; band: 95% interval")
    return ax


@share_docs
def time_to_convert(times: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Distribution of the time from the previous step, one colour per step.

    Parameters
    ----------
    times : pandas.DataFrame
        What :func:`churnlab.funnel_times` returned.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Empirical cumulative distribution (share of converters within x hours)
        per step, with the median marked.
    """
    ax = new_axes(ax)
    data = times.copy()
    data["step_label"] = (
        data["step_index"].astype(str) + ". " + data["step"].astype(str)
    )
    sns.ecdfplot(
        data, x="hours_from_previous", hue="step_label", palette=PALETTE, ax=ax
    )
    for (_k, g), color in zip(
        data.groupby("step_label", sort=True),
        sns.color_palette(PALETTE, data["step_label"].nunique()),
        strict=False,
    ):
        ax.axvline(g["hours_from_previous"].median(), color=color, ls="--", lw=1)
    ax.set(
        title="Time to convert from the previous step",
        xlabel="Hours from the previous step",
        ylabel="Converters within x hours (%)",
    )
    percent_axis(ax)
    caption(ax, _about(times) + "; dashed: medians")
    return ax
