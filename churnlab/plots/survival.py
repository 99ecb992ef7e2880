"""Survival plots: Kaplan–Meier curves, hazard per period, Cox ratios, LTV.

Public names: ``survival_curves``, ``hazard``, ``hazard_ratios``,
``lifetime_value``.

Each function draws what a :mod:`churnlab.survival` function or fitted
:class:`~churnlab.survival.CustomerLifetime` returned, takes ``ax=`` (a new
figure when None) and returns the Axes. Extrapolated values (beyond the longest
observed tenure) are always drawn differently (dashed or hatched) and labelled
"extrapolation".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import seaborn as sns
from lifelines.plotting import add_at_risk_counts
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from churnlab._docs import share_docs
from churnlab.errors import ParameterError
from churnlab.plots._style import PALETTE, money_axis, new_axes, percent_axis

if TYPE_CHECKING:  # pragma: no cover
    from churnlab.survival import CoxResult, CustomerLifetime

__all__ = ["survival_curves", "hazard", "hazard_ratios", "lifetime_value"]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _labels(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    if not by:
        return pd.Series("all customers", index=frame.index)
    return frame[by].apply(
        lambda r: " / ".join("(missing)" if pd.isna(v) else str(v) for v in r), axis=1
    )


def _rows_for(frame: pd.DataFrame, by: list[str], key: Any) -> pd.DataFrame:
    if not by:
        return frame
    values = key if len(by) > 1 else (key,)
    mask = np.ones(len(frame), dtype=bool)
    for col, value in zip(by, values, strict=True):
        col_values = frame[col]
        mask &= (
            col_values.isna() if pd.isna(value) else col_values == value
        ).to_numpy()
    return frame.loc[mask]


@share_docs
def survival_curves(
    lifetime: CustomerLifetime,
    *,
    ci: bool = True,
    at_risk: bool = True,
    extrapolation: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Kaplan–Meier survival curves per group, with CI bands and at-risk counts.

    Parameters
    ----------
    lifetime : CustomerLifetime
        A fitted :class:`~churnlab.survival.CustomerLifetime`.
    ci : bool, default True
        Shade each curve's confidence band.
    at_risk : bool, default True
        Show the number of customers still at risk under the x axis (lifelines'
        ``add_at_risk_counts``).
    extrapolation : bool, default True
        When :meth:`CustomerLifetime.parametric` has been called, continue each
        curve beyond its longest observed tenure T with its selected model,
        dashed and labelled "extrapolation": the curve's value at T carried on
        by the model (``ParametricResult.curves["continuation"]``, the same
        tail :func:`churnlab.survival_ltv` sums).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Tenure on x (in the lifetimes' unit), share still customers on y.
    """
    if not hasattr(lifetime, "survival_"):
        raise ParameterError(
            "survival_curves draws a fitted CustomerLifetime; call "
            "cl.CustomerLifetime().fit(data, ...) first."
        )
    ax = new_axes(ax, figsize=(10, 5))
    by = list(lifetime.by_)
    unit = lifetime.unit_
    curves = lifetime.survival_
    keys = list(lifetime.fitters_)
    colors = sns.color_palette(PALETTE, max(len(keys), 1))
    parametric = getattr(lifetime, "parametric_", None) if extrapolation else None
    x_max = float(curves["tenure"].max()) if len(curves) else 1.0
    observed_max = x_max
    for i, key in enumerate(keys):
        rows = _rows_for(curves, by, key)
        label = lifetime.fitters_[key]._label
        color = colors[i % len(colors)]
        marker = _MARKERS[i % len(_MARKERS)]
        t = rows["tenure"].to_numpy()
        ax.step(
            t,
            rows["survival"].to_numpy(),
            where="post",
            color=color,
            marker=marker,
            markevery=max(1, len(t) // 8),
            markersize=5,
            label=label,
        )
        if ci:
            ax.fill_between(
                t,
                rows["ci_lower"].to_numpy(),
                rows["ci_upper"].to_numpy(),
                step="post",
                color=color,
                alpha=0.2,
                linewidth=0,
            )
        if parametric is not None:
            model_curve = _rows_for(parametric.curves, by, key)
            until = float(t.max())
            tail = model_curve.loc[model_curve["tenure"] >= until]
            if len(tail) > 1:
                ax.plot(
                    tail["tenure"],
                    tail["continuation"],
                    linestyle="--",
                    color=color,
                    label=f"{label}: {parametric.selected[key]} extrapolation",
                )
                x_max = max(x_max, float(tail["tenure"].max()))
    if parametric is not None and x_max > observed_max:
        ax.axvline(observed_max, color="0.4", linestyle=":", linewidth=1)
        ax.annotate(
            "extrapolation →",
            xy=(observed_max, 1.0),
            xytext=(4, -4),
            textcoords="offset points",
            va="top",
            fontsize="small",
            color="0.3",
        )
    ax.set_xlim(0, x_max)
    # fixed ticks, so the at-risk counts stay under them whatever the layout does
    ticks = MaxNLocator(nbins=8).tick_values(0, x_max)
    ax.set_xticks([x for x in ticks if 0 <= x <= x_max])
    ax.set_ylim(0, 1.02)
    percent_axis(ax)
    what = f" by {', '.join(by)}" if by else ""
    as_of = getattr(lifetime, "as_of_", None)
    when = f" (as of {pd.Timestamp(as_of):%Y-%m-%d})" if as_of is not None else ""
    ax.set(
        title=f"Customer survival{what}, Kaplan–Meier{when}",
        xlabel=f"Tenure ({unit})",
        ylabel="Still customers (%)",
    )
    ax.legend(
        title=", ".join(by) or None,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
    )
    if at_risk:
        add_at_risk_counts(
            *lifetime.fitters_.values(),
            ax=ax,
            fig=ax.figure,
            rows_to_show=["At risk"],
        )
    return ax


@share_docs
def hazard(
    hazard_df: pd.DataFrame,
    *,
    by: str | list[str] | None = None,
    min_at_risk: int = 20,
    ax: Axes | None = None,
) -> Axes:
    """Churn hazard per period of tenure, per group.

    Parameters
    ----------
    hazard_df : pandas.DataFrame
        What :func:`churnlab.lifetime_hazard` (or ``CustomerLifetime.hazard_``)
        returned.
    by : str or list of str, optional
        The grouping columns of ``hazard_df``.
    min_at_risk : int, default 20
        Periods with fewer customers at risk are not drawn (their hazard is
        noise); the caption says so.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
    """
    cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    missing = [
        c
        for c in ["tenure_start", "hazard", "at_risk", *cols]
        if c not in hazard_df.columns
    ]
    if missing:
        raise ParameterError(
            f"hazard draws the table lifetime_hazard() returns; column {missing[0]!r} "
            "is missing."
        )
    ax = new_axes(ax)
    frame = hazard_df.loc[hazard_df["at_risk"] >= min_at_risk].copy()
    frame["group"] = _labels(frame, cols)
    unit = str(hazard_df.attrs.get("unit") or "units")
    width = hazard_df.attrs.get("width", 1.0)
    period = unit[:-1] if width == 1 else f"{width:g} {unit}"
    if cols:
        sns.lineplot(
            frame,
            x="tenure_start",
            y="hazard",
            hue="group",
            style="group",
            markers=True,
            dashes=False,
            palette=PALETTE,
            ax=ax,
        )
        ax.legend(title=", ".join(cols), fontsize="small")
    else:
        sns.lineplot(frame, x="tenure_start", y="hazard", marker="o", ax=ax)
    percent_axis(ax, decimals=1)
    ax.set(
        title=f"Churn hazard per {period} of tenure",
        xlabel=f"Tenure at period start ({unit})",
        ylabel="Churned in period / at risk at its start (%)",
    )
    ax.set_ylim(bottom=0)
    hidden = int((hazard_df["at_risk"] < min_at_risk).sum())
    if hidden:
        ax.annotate(
            f"{hidden} period(s) with fewer than {min_at_risk} customers at risk not "
            "shown.",
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(0, -36),
            textcoords="offset points",
            fontsize="small",
            color="0.35",
            va="top",
        )
    return ax


@share_docs
def hazard_ratios(cox: CoxResult, *, ax: Axes | None = None) -> Axes:
    """Forest plot of Cox hazard ratios with their confidence intervals.

    Parameters
    ----------
    cox : CoxResult
        What :func:`churnlab.lifetime_cox` (or ``CustomerLifetime.cox``) returned.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Hazard ratio on a log x axis, one row per term; terms failing the
        proportional-hazards check are marked with a dagger.
    """
    table = cox.hazard_ratios
    ax = new_axes(ax, figsize=(10, max(2.5, 1.2 + 0.4 * len(table))))
    failing = set(cox.ph_test.loc[~cox.ph_test["ph_holds"], "term"])
    labels = []
    for term, level, reference in zip(
        table["term"], table["level"], table["reference"], strict=True
    ):
        if reference is None or pd.isna(reference):
            text = term
        elif level is True:
            text = f"{term} (True vs False)"
        else:
            text = f"{term} (vs {reference})"
        labels.append(text + (" †" if term in failing else ""))
    y = np.arange(len(table))[::-1]
    hr = table["hazard_ratio"].to_numpy()
    err = np.vstack(
        [
            hr - table["hazard_ratio_lower"].to_numpy(),
            table["hazard_ratio_upper"].to_numpy() - hr,
        ]
    )
    color = sns.color_palette(PALETTE, 1)[0]
    ax.errorbar(
        hr,
        y,
        xerr=err,
        fmt="o",
        color=color,
        capsize=3,
        label=f"hazard ratio ({1 - cox.fitter.alpha:.0%} CI)",
    )
    ax.axvline(1.0, color="0.4", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    finite = np.r_[table["hazard_ratio_lower"], table["hazard_ratio_upper"], 1.0]
    finite = finite[np.isfinite(finite) & (finite > 0)]
    lo, hi = finite.min() / 1.3, finite.max() * 1.3
    ax.set_xlim(lo, hi)
    nice = [k * 10.0**e for e in range(-4, 5) for k in (1, 2, 5)]
    ax.set_xticks([x for x in nice if lo <= x <= hi])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y, labels)
    ax.set(
        title=f"Cox hazard ratios (concordance {cox.concordance:.2f})",
        xlabel="Hazard ratio (log scale; < 1 churns less)",
        ylabel="",
    )
    ax.legend(loc="best", fontsize="small")
    if failing:
        ax.annotate(
            "† proportional hazards violated: the ratio changes with tenure.",
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(0, -36),
            textcoords="offset points",
            fontsize="small",
            color="0.35",
            va="top",
        )
    return ax


@share_docs
def lifetime_value(
    ltv_df: pd.DataFrame,
    *,
    by: str | list[str] | None = None,
    currency: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Survival-based LTV beside the simple LTV, per group.

    Parameters
    ----------
    ltv_df : pandas.DataFrame
        What :func:`churnlab.survival_ltv` (or ``CustomerLifetime.ltv``)
        returned.
    by : str or list of str, optional
        The grouping columns of ``ltv_df``.
    currency : str, optional
        Currency code for the axis label (e.g. ``"EUR"``).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Per group a bar for the simple LTV and a stacked bar for the survival
        LTV: the observed part solid, the extrapolated part hatched and
        labelled "extrapolation".
    """
    cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    needed = ["ltv_simple", "ltv_observed", "ltv_extrapolated", *cols]
    missing = [c for c in needed if c not in ltv_df.columns]
    if missing:
        raise ParameterError(
            f"lifetime_value draws the table survival_ltv() returns; column "
            f"{missing[0]!r} is missing."
        )
    ax = new_axes(ax)
    groups = _labels(ltv_df, cols).tolist()
    x = np.arange(len(groups))
    simple_c, survival_c = sns.color_palette(PALETTE, 2)
    ax.bar(
        x - 0.2,
        ltv_df["ltv_simple"].fillna(0),
        width=0.4,
        color=simple_c,
        label="simple: ARPA × margin / churn rate",
    )
    ax.bar(
        x + 0.2,
        ltv_df["ltv_observed"],
        width=0.4,
        color=survival_c,
        label="survival: observed tenures",
    )
    extra = ltv_df["ltv_extrapolated"].to_numpy()
    if (extra > 0).any():
        ax.bar(
            x + 0.2,
            extra,
            width=0.4,
            bottom=ltv_df["ltv_observed"],
            color=survival_c,
            alpha=0.45,
            hatch="//",
            edgecolor="0.2",
            label="survival: extrapolation",
        )
    ax.set_xticks(x, groups)
    money_axis(ax)
    label = f"LTV per customer ({currency})" if currency else "LTV per customer"
    ax.set(
        title="Customer lifetime value: survival vs simple",
        xlabel=", ".join(cols),
        ylabel=label,
    )
    ax.legend(fontsize="small")
    return ax
