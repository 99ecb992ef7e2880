"""Cohort plots: a retention heatmap and retention curves.

Public names: ``cohort_heatmap``, ``retention_curves``.

Both draw a frame from :func:`churnlab.cohort_table` (or the matrix of
:func:`churnlab.cohort_retention`), so the figure and the table agree. Both take
``ax=`` (a new figure when None) and return the Axes.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from churnlab._docs import share_docs
from churnlab.cohorts import cohort_average, cohort_keys, cohort_kind, cohort_matrix
from churnlab.errors import ParameterError
from churnlab.plots import _style

__all__ = ["cohort_heatmap", "retention_curves"]

_UNIT = {"D": "days", "W": "weeks", "M": "months", "Q": "quarters", "Y": "years"}
_ADJ = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}
_TITLE = {
    "logo": "Customer (logo) retention",
    "orders": "Order retention (share purchasing)",
    "revenue": "Revenue retention",
    "ltv": "Cumulative revenue per customer (LTV curve)",
}
#: Beyond these sizes cell labels are dropped (the colour scale still reads).
_MAX_ANNOT_COLS = 36
_MAX_ANNOT_ROWS = 48


def _label_period(ts: pd.Timestamp, freq: str) -> str:
    ts = pd.Timestamp(ts)
    if freq == "M":
        return ts.strftime("%Y-%m")
    if freq == "Q":
        return f"{ts.year} Q{(ts.month - 1) // 3 + 1}"
    if freq == "Y":
        return str(ts.year)
    return ts.strftime("%Y-%m-%d")


def _row_label(key: Any, names: list[str | None], freq: str) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    text = [
        _label_period(part, freq)
        if name == "cohort" and isinstance(part, pd.Timestamp)
        else str(part)
        for name, part in zip(names, parts, strict=True)
    ]
    return " · ".join(text)


def _matrix(table: pd.DataFrame, values: str) -> pd.DataFrame:
    if "period_number" in table.columns:
        return cohort_matrix(table, values=values)
    if "cohort_size" not in table.attrs:
        raise ParameterError(
            "cohort_heatmap draws a frame from cohort_table() or the matrix from "
            "cohort_retention(); this frame is neither."
        )
    return table


def _tick_step(n: int, most: int) -> int:
    """Label every cohort/period up to ``most``, else every ``step``-th."""
    return max(1, int(np.ceil(n / most)))


def _annot_fontsize(n_rows: int, n_cols: int) -> float | None:
    """Cell label size: shrinks with the grid, None when labels would not fit."""
    if n_cols > _MAX_ANNOT_COLS or n_rows > _MAX_ANNOT_ROWS:
        return None
    return float(np.clip(11.5 - 0.22 * max(n_rows, n_cols), 5.0, 10.0))


@share_docs
def cohort_heatmap(
    table: pd.DataFrame,
    *,
    values: str = "rate",
    annot: bool | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Cohort x period heatmap with cell percentages and cohort sizes.

    Parameters
    ----------
    table : pandas.DataFrame
        A long frame from :func:`churnlab.cohort_table` (or
        :func:`churnlab.cohort_average`), or the matrix from
        :func:`churnlab.cohort_retention`.
    values : str, default "rate"
        Passed to :func:`churnlab.cohort_matrix` for a long frame.
    annot : bool, optional
        Write each cell's value in it (``".0%"`` for rates, thousands for
        money). Default: on up to 36 periods x 48 cohorts, with the font
        shrinking as the grid grows (about 6 pt at 24 x 24); off beyond.
    {ax}
    title : str, optional
        Default names the measure and the period unit.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Rows are cohorts labelled with their start and size (``2026-01  n=312``),
    columns the periods since the cohort's start. Colour is ``cividis``;
    retention is scaled 0-100% (revenue retention up to its largest value when
    above 100%). Cells not yet observed at the as-of date are left blank, never
    drawn as 0; the caption says so.
    """
    matrix = _matrix(table, values)
    attrs = {**table.attrs, **matrix.attrs}
    kind = attrs.get("kind") or (
        cohort_kind(table) if "period_number" in table.columns else "logo"
    )
    freq = attrs.get("freq", "M")
    is_rate = attrs.get("values", "retention") == "retention"
    sizes = attrs.get("cohort_size")
    n_rows, n_cols = matrix.shape
    if ax is None:
        width = float(np.clip(0.42 * n_cols + 3.2, 6, 20))
        height = float(np.clip(0.3 * n_rows + 1.8, 3, 16))
        ax = _style.new_axes(None, figsize=(width, height))
    if annot is None:
        fontsize = _annot_fontsize(n_rows, n_cols)
    else:
        fontsize = _annot_fontsize(min(n_rows, 24), min(n_cols, 24)) if annot else None
    data = matrix.astype("float64")
    finite = data.to_numpy()[np.isfinite(data.to_numpy())]
    if is_rate:
        vmax = max(1.0, float(finite.max())) if finite.size else 1.0
        vmin, fmt = 0.0, ".0%"
    else:
        vmin = 0.0
        vmax = float(finite.max()) if finite.size else 1.0
        fmt = ",.0f"
    sns.heatmap(
        data,
        ax=ax,
        cmap=_style.HEATMAP_CMAP,
        vmin=vmin,
        vmax=vmax,
        annot=fontsize is not None,
        fmt=fmt,
        annot_kws={"fontsize": fontsize} if fontsize else None,
        linewidths=0.4 if n_cols <= 60 else 0,
        linecolor="white",
        xticklabels=False,
        yticklabels=False,
        cbar_kws={
            "format": PercentFormatter(xmax=1, decimals=0)
            if is_rate
            else FuncFormatter(lambda x, _pos: f"{x:,.0f}"),
            "shrink": 0.8,
        },
        mask=data.isna(),
    )
    names = list(matrix.index.names)
    counts = (
        sizes.to_numpy()
        if sizes is not None and len(sizes) == n_rows
        else [None] * n_rows
    )
    labels = []
    for key, size in zip(matrix.index, counts, strict=True):
        text = _row_label(key, names, freq)
        if size is not None and pd.notna(size):
            text += f"  n={int(size):,}"
        labels.append(text)
    rows = np.arange(0, n_rows, _tick_step(n_rows, 60))
    ax.set_yticks(rows + 0.5, [labels[i] for i in rows], rotation=0)
    cols = np.arange(0, n_cols, _tick_step(n_cols, 40))
    ax.set_xticks(cols + 0.5, [str(matrix.columns[i]) for i in cols], rotation=0)
    ax.grid(False)
    tick_size = "small" if max(n_rows, n_cols) <= 24 else "x-small"
    ax.tick_params(axis="both", labelsize=tick_size, length=0)
    unit = _UNIT.get(freq, "periods")
    noun = " · ".join(n for n in names if n) or "cohort"
    shown = attrs.get("values", "retention")
    default_title = f"{_TITLE.get(kind, 'Retention')} by {_ADJ.get(freq, '')} cohort"
    if shown not in ("retention", "ltv"):
        default_title += f": {shown.replace('_', ' ')}"
    ax.set(
        title=title or default_title,
        xlabel=f"{unit.capitalize()} since the cohort's first period (0 = its own)",
        ylabel=f"{noun.capitalize()} (first period) and size"
        if "cohort" in names
        else f"{noun.capitalize()} and customers at period 0",
    )
    as_of = attrs.get("as_of")
    note = "Blank cells: not yet observed" + (
        f" at the as-of date {pd.Timestamp(as_of):%Y-%m-%d}."
        if as_of is not None
        else "."
    )
    if kind in ("logo", "orders") and attrs.get("bounded") is False:
        note += " Unbounded: active in the period or any later one."
    _style.caption(ax, note)
    return ax


@share_docs
def retention_curves(
    table: pd.DataFrame,
    *,
    average: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Retention curves: one line per cohort, or per segment.

    Parameters
    ----------
    table : pandas.DataFrame
        A long frame from :func:`churnlab.cohort_table` or
        :func:`churnlab.cohort_average`. With ``by`` columns, one size-weighted
        average curve per group (segment, plan...); without, one line per cohort.
    average : bool, default True
        Add the size-weighted average over all cohorts (observed cells only) as
        a thick black line with markers.
    {ax}
    title : str, optional
        Default names the measure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Cohort lines are coloured from old (dark) to new (light) with ``cividis``
    and read with a colour bar; segment lines use the ``colorblind`` palette
    and differ in marker and dash as well, so colour is never the only cue.
    """
    if "period_number" not in table.columns:
        raise ParameterError(
            "retention_curves draws a long frame from cohort_table() or "
            "cohort_average(), with a period_number column."
        )
    kind = cohort_kind(table)
    rate = "ltv" if kind == "ltv" else "retention"
    freq = table.attrs.get("freq", "M")
    keys = cohort_keys(table)
    ax = _style.new_axes(ax, figsize=(8, 4.5))
    if keys:
        curves = cohort_average(table) if "cohort" in table.columns else table
        curves = curves.assign(group=curves[keys].astype(str).agg(" · ".join, axis=1))
        sns.lineplot(
            curves,
            x="period_number",
            y=rate,
            hue="group",
            style="group",
            markers=True,
            dashes=True,
            palette=_style.PALETTE,
            ax=ax,
        )
        ax.legend(title=" · ".join(keys), fontsize="small")
    elif "cohort" in table.columns:
        cohorts = sorted(table["cohort"].unique())
        colours = sns.color_palette(_style.HEATMAP_CMAP, n_colors=max(len(cohorts), 1))
        for colour, cohort in zip(colours, cohorts, strict=True):
            one = table[table["cohort"] == cohort]
            ax.plot(
                one["period_number"], one[rate], color=colour, linewidth=1, alpha=0.8
            )
        if len(cohorts) > 1:
            norm = mpl.colors.Normalize(0, len(cohorts) - 1)
            mappable = mpl.cm.ScalarMappable(norm=norm, cmap=_style.HEATMAP_CMAP)
            bar = ax.figure.colorbar(mappable, ax=ax, pad=0.02)
            ticks = sorted({0, (len(cohorts) - 1) // 2, len(cohorts) - 1})
            names = [_label_period(cohorts[i], freq) for i in ticks]
            bar.set_ticks(ticks, labels=names)
            bar.set_label("Cohort")
    else:
        ax.plot(
            table["period_number"],
            table[rate],
            color="black",
            marker="o",
            linewidth=2,
            label="All customers",
        )
        average = False
    if average and "cohort" in table.columns:
        pooled = cohort_average(table.drop(columns=keys))
        ax.plot(
            pooled["period_number"],
            pooled[rate],
            color="black",
            marker="o",
            markersize=4,
            linewidth=2.2,
            label="Size-weighted average",
        )
        if not keys:
            ax.legend(fontsize="small", loc="best")
        else:
            handles, labels = ax.get_legend_handles_labels()
            ax.legend(handles, labels, fontsize="small", title=" · ".join(keys))
    if rate == "retention":
        _style.percent_axis(ax)
        ax.set_ylim(bottom=0)
    else:
        _style.money_axis(ax)
    unit = _UNIT.get(freq, "periods")
    ylabel = {
        "logo": "Active / cohort size (%)",
        "orders": "Purchasing / cohort size (%)",
        "revenue": "Revenue / period-0 revenue (%)",
        "ltv": "Cumulative revenue / cohort size",
    }[table.attrs.get("kind", kind)]
    ax.set(
        title=title
        or f"{_TITLE.get(table.attrs.get('kind', kind), 'Retention')} "
        f"by {_UNIT.get(freq, 'periods')[:-1]} since start",
        xlabel=f"{unit.capitalize()} since the cohort's first period",
        ylabel=ylabel,
    )
    as_of = table.attrs.get("as_of")
    if as_of is not None:
        _style.caption(
            ax,
            f"As of {pd.Timestamp(as_of):%Y-%m-%d}; averages use "
            "observed cells only, weighted by cohort size.",
        )
    return ax
