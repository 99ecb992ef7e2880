"""CLV plots: the calibration-vs-holdout check and the probability-alive matrix.

Public names: ``calibration_holdout``, ``prob_alive_matrix``.

Each draws the frame a :mod:`churnlab.clv` function returned
(:func:`~churnlab.clv.clv_calibration_holdout`,
:func:`~churnlab.clv.clv_prob_alive_matrix`), takes ``ax=`` (a new figure when
None) and returns the Axes.
"""

from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from churnlab._docs import share_docs
from churnlab.errors import ParameterError
from churnlab.plots._style import HEATMAP_CMAP, PALETTE, caption, new_axes

__all__ = ["calibration_holdout", "prob_alive_matrix"]


def _need(frame: pd.DataFrame, cols: list[str], source: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"this plot draws what {source} returns; the frame lacks {missing}."
        )


@share_docs
def calibration_holdout(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Mean holdout purchases, actual vs model, by calibration repeat purchases.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.clv_calibration_holdout` returned.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Lines with markers (circles for actual, squares for the model), so the
        two never rely on colour alone.
    """
    _need(
        frame,
        ["frequency_label", "actual_purchases_holdout", "expected_purchases_holdout"],
        "churnlab.clv_calibration_holdout()",
    )
    ax = new_axes(ax)
    unit = frame.attrs.get("unit_name") or "time units"
    duration = frame.attrs.get("holdout_duration")
    long = frame.melt(
        id_vars=["frequency_label"],
        value_vars=["actual_purchases_holdout", "expected_purchases_holdout"],
        var_name="series",
        value_name="purchases",
    )
    long["series"] = long["series"].map(
        {
            "actual_purchases_holdout": "actual",
            "expected_purchases_holdout": "model",
        }
    )
    sns.lineplot(
        long,
        x="frequency_label",
        y="purchases",
        hue="series",
        style="series",
        markers={"actual": "o", "model": "s"},
        dashes={"actual": "", "model": (4, 2)},
        palette=PALETTE,
        sort=False,
        ax=ax,
    )
    span = f" over {duration:g} {unit}" if duration else ""
    ax.set(
        title=f"Holdout purchases{span}: actual vs model",
        xlabel="Repeat purchases in the calibration period",
        ylabel="Mean holdout purchases per customer",
    )
    ax.legend(title=None)
    cal, hold = frame.attrs.get("calibration_end"), frame.attrs.get("holdout_end")
    if cal is not None and hold is not None:
        caption(
            ax,
            f"Calibration to {pd.Timestamp(cal):%Y-%m-%d}, holdout to "
            f"{pd.Timestamp(hold):%Y-%m-%d}; same-day purchases merged.",
        )
    return ax


@share_docs
def prob_alive_matrix(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Probability a customer is alive by frequency and recency (heatmap).

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`churnlab.clv_prob_alive_matrix` returned.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Frequency on the y axis (highest at the top), recency on the x axis,
        cells coloured by probability alive (0-100 %); impossible cells
        (no repeat purchase but a recency) are blank.
    """
    unit = frame.attrs.get("unit_name") or "units"
    rec, age = f"recency_{unit}", f"T_{unit}"
    _need(frame, ["frequency", rec, "prob_alive"], "churnlab.clv_prob_alive_matrix()")
    ax = new_axes(ax, figsize=(9, 5))
    grid = frame.pivot(index="frequency", columns=rec, values="prob_alive")
    grid = grid.sort_index(ascending=False)
    grid.columns = [f"{c:g}" for c in grid.columns]
    sns.heatmap(
        grid,
        cmap=HEATMAP_CMAP,
        vmin=0,
        vmax=1,
        cbar_kws={"label": "Probability alive", "format": "{x:.0%}"},
        xticklabels=max(1, len(grid.columns) // 10),
        ax=ax,
    )
    T = frame[age].iloc[0] if age in frame else frame.attrs.get("T")
    ax.set(
        title=f"Probability alive at age T = {T:.1f} {unit}",
        xlabel=f"Recency: time from first to last purchase ({unit})",
        ylabel="Repeat purchases (frequency)",
    )
    return ax
