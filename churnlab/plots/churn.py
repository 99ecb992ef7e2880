"""Churn plots: churn rate over time by segment, churn reasons.

Public names: ``churn_rate``, ``churn_reasons``.

Each function draws the tidy frame a :mod:`churnlab.metrics` function returned
(:func:`~churnlab.customer_churn`, :func:`~churnlab.order_churn`,
:func:`~churnlab.churn_reasons`), takes ``ax=`` (a new figure when None) and
returns the Axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.dates as mdates
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from churnlab._docs import share_docs
from churnlab._frames import by_list
from churnlab.errors import ParameterError
from churnlab.plots._style import PALETTE, caption, money, new_axes, percent_axis

__all__ = ["churn_rate", "churn_reasons"]

_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

_RATE_LABELS = {
    "churn_rate": "Churned / active at {unit} start",
    "churn_rate_at_risk": "Churn events / customer-{unit}s at risk",
    "crr": "(End - new) / start",
}


def _unit(period: pd.Series) -> str:
    """Name of the period unit, inferred from the spacing of ``period``."""
    p = pd.Series(pd.to_datetime(period).unique()).sort_values()
    if len(p) < 2:
        return "period"
    days = p.diff().dt.days.median()
    for limit, name in ((1, "day"), (7, "week"), (31, "month"), (92, "quarter")):
        if days <= limit:
            return name
    return "year"


def _date_axis(ax: Axes) -> Axes:
    """Readable period ticks: a few concise dates instead of one per period."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


def _group_label(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    return frame[by].astype("string").fillna("(missing)").agg(" / ".join, axis=1)


def _as_of_text(frame: pd.DataFrame, unit: str) -> str:
    last = pd.Timestamp(frame["period"].max())
    offsets = {
        "day": pd.DateOffset(days=1),
        "week": pd.DateOffset(weeks=1),
        "month": pd.DateOffset(months=1),
        "quarter": pd.DateOffset(months=3),
        "year": pd.DateOffset(years=1),
        "period": pd.DateOffset(days=1),
    }
    as_of = last + offsets[unit] - pd.Timedelta(days=1)
    return f"As of {as_of:%Y-%m-%d}"


@share_docs
def churn_rate(
    frame: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    rate: str = "churn_rate",
    ax: Axes | None = None,
) -> Axes:
    """Line chart of a churn rate per period, one line (and marker) per segment.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.customer_churn` or :func:`churnlab.order_churn`
        returned (with ``by`` if it was broken down).
    by : str or list of str, optional
        The by-column(s) of ``frame``; one line per group.
    rate : {{"churn_rate", "churn_rate_at_risk", "crr"}}, default "churn_rate"
        Which rate column to draw.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import churnlab as cl
    >>> from churnlab.plots import churn
    >>> ax = churn.churn_rate(cl.customer_churn(cl.sample_dataset(), by="segment"),
    ...                       by="segment")
    >>> ax.get_ylabel()
    'Churned / active at month start (%)'
    """
    if rate not in frame.columns:
        raise ParameterError(
            f"rate={rate!r} is not a column of the frame; use one of "
            f"{', '.join(c for c in _RATE_LABELS if c in frame.columns)}."
        )
    cols = by_list(by)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ParameterError(f"by={missing[0]!r} is not a column of the frame.")
    ax = new_axes(ax)
    unit = _unit(frame["period"])
    data = frame.assign(period=pd.to_datetime(frame["period"]))
    if cols:
        data = data.assign(segment=_group_label(data, cols))
        n = data["segment"].nunique()
        sns.lineplot(
            data,
            x="period",
            y=rate,
            hue="segment",
            style="segment",
            markers=(_MARKERS * 4)[:n],
            dashes=False,
            palette=PALETTE,
            ax=ax,
        )
        ax.legend(title=" / ".join(cols), frameon=False)
    else:
        sns.lineplot(data, x="period", y=rate, marker="o", ax=ax)
    percent_axis(ax)
    _date_axis(ax)
    ax.set_ylim(bottom=0)
    window = ""
    if "inactivity_days" in frame.columns and len(frame):
        window = f" (no order for {int(frame['inactivity_days'].iloc[0])} days)"
    kind = "Order" if window else "Customer"
    what = {
        "churn_rate": "churn rate",
        "churn_rate_at_risk": "churn per period at risk",
        "crr": "retention rate (CRR)",
    }.get(rate, rate)
    ax.set(
        title=f"{kind} {what} by {unit}{window}",
        xlabel=unit.capitalize(),
        ylabel=_RATE_LABELS.get(rate, rate).format(unit=unit) + " (%)",
    )
    if len(frame):
        caption(
            ax,
            _as_of_text(frame, unit)
            + (f"; churned = inactive{window}" if window else ""),
        )
    return ax


@share_docs
def churn_reasons(
    frame: pd.DataFrame,
    *,
    weight: str = "mrr",
    currency: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars: share of churned MRR (or customers) by reason.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.churn_reasons` returned (or any frame with
        ``reason``, ``customers_churned`` and ``churned_mrr``); all its periods
        (and groups) are added up.
    weight : {{"mrr", "customers"}}, default "mrr"
        Share of churned MRR, or of churned customers.
    currency : str, optional
        Currency label for the MRR amounts in the bar labels.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import churnlab as cl
    >>> from churnlab.plots import churn
    >>> ax = churn.churn_reasons(cl.churn_reasons(cl.sample_dataset()))
    >>> ax.get_xlabel()
    'Share of churned MRR (%)'
    """
    if weight not in ("mrr", "customers"):
        raise ParameterError(f"weight={weight!r} must be 'mrr' or 'customers'.")
    ax = new_axes(ax, figsize=(8, 4.5))
    sums = frame.groupby("reason", as_index=False)[
        ["customers_churned", "churned_mrr"]
    ].sum()
    col = "churned_mrr" if weight == "mrr" else "customers_churned"
    total = sums[col].sum()
    sums["share"] = sums[col] / total if total else float("nan")
    sums = sums.sort_values("share", ascending=False)
    color = sns.color_palette(PALETTE)[0]
    sns.barplot(sums, x="share", y="reason", color=color, ax=ax)
    labels = [
        f"{s:.0%}  ({money(m, currency)}, {int(c)} customers)"
        for s, m, c in zip(
            sums["share"], sums["churned_mrr"], sums["customers_churned"], strict=True
        )
    ]
    ax.bar_label(ax.containers[0], labels=labels, padding=3, fontsize="small")
    percent_axis(ax, "x", decimals=0)
    ax.set_xlim(0, max(sums["share"].max() * 1.6, 0.05) if len(sums) else 1)
    span = ""
    if len(frame) and "period" in frame.columns:
        first, last = frame["period"].min(), frame["period"].max()
        span = f", {first:%Y-%m}" + (f" to {last:%Y-%m}" if last != first else "")
    noun = "MRR" if weight == "mrr" else "customers"
    ax.set(
        title=f"Why customers churn: share of churned {noun} by reason{span}",
        xlabel=f"Share of churned {noun} (%)",
        ylabel="Reason",
    )
    return ax
