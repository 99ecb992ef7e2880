"""Survival plots: Kaplan–Meier curves, hazard per period, Cox ratios, LTV.

Public names: ``survival_curves``, ``hazard``, ``hazard_ratios``,
``lifetime_value``.

Each function draws the tidy frame a :mod:`churnlab.survival` function (or a
fitted ``CustomerLifetime``'s attribute) returned, takes ``ax=`` (a new figure
when None) and returns the Axes; nothing here computes or queries, and nothing
imports :mod:`churnlab.survival` (``CustomerLifetime.plot`` is the bridge).
Extrapolated values (beyond the longest observed tenure) are always drawn
differently (dashed or hatched) and labelled "extrapolation".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from churnlab._docs import share_docs
from churnlab.errors import ParameterError
from churnlab.plots._style import PALETTE, money_axis, new_axes, percent_axis

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


def _group_keys(frame: pd.DataFrame, by: list[str]) -> list[tuple[Any, ...]]:
    if not by:
        return [()]
    keys = frame[by].drop_duplicates()
    keys = keys.sort_values(by, kind="stable", na_position="last")
    return [tuple(row) for row in keys.itertuples(index=False)]


def _label(values: tuple[Any, ...]) -> str:
    if not values:
        return "all customers"
    return " / ".join("(missing)" if pd.isna(v) else str(v) for v in values)


def _at_risk_at(rows: pd.DataFrame, x: float) -> int:
    """Customers at risk at tenure ``x``: the count at the next observed tenure."""
    later = rows.loc[rows["tenure"] >= x, "at_risk"]
    return int(later.iloc[0]) if len(later) else 0


def _at_risk_table(
    ax: Axes, groups: list[tuple[str, pd.DataFrame]], ticks: list[float]
) -> Axes:
    """At-risk counts under the x axis, one line per group, on a twin axes."""
    twin = ax.twiny()
    twin.set_xlim(ax.get_xlim())
    twin.set_xticks(ticks)
    labels = []
    for i, x in enumerate(ticks):
        counts = [_at_risk_at(rows, x) for _label_, rows in groups]
        if i == 0:
            lines = ["At risk"] + [
                f"{name}: {n:,}" for (name, _r), n in zip(groups, counts, strict=True)
            ]
        else:
            lines = [""] + [f"{n:,}" for n in counts]
        labels.append("\n".join(lines))
    twin.set_xticklabels(labels, fontsize="small")
    twin.xaxis.set_ticks_position("bottom")
    twin.xaxis.set_label_position("bottom")
    twin.spines["bottom"].set_position(("outward", 36))
    for side in ("top", "right", "left", "bottom"):
        twin.spines[side].set_visible(False)
    twin.tick_params(axis="x", length=0)
    return twin


@share_docs
def survival_curves(
    survival: pd.DataFrame,
    *,
    by: str | list[str] | None = None,
    extrapolation: pd.DataFrame | None = None,
    ci: bool = True,
    at_risk: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Kaplan–Meier survival curves per group, with CI bands and at-risk counts.

    Parameters
    ----------
    survival : pandas.DataFrame
        The tidy curves ``CustomerLifetime.survival_`` holds: the ``by``
        columns, ``tenure``, ``survival``, ``ci_lower``, ``ci_upper``,
        ``at_risk``; ``attrs`` may give ``unit`` and ``as_of``.
    by : str or list of str, optional
        The grouping columns of ``survival``.
    extrapolation : pandas.DataFrame, optional
        ``ParametricResult.curves`` (:func:`churnlab.lifetime_parametric`):
        each group's curve is continued beyond its longest observed tenure T
        with the ``continuation`` column, dashed and labelled "extrapolation"
        (the Kaplan–Meier value at T carried on by the selected ``model``, the
        same tail :func:`churnlab.survival_ltv` sums).
    ci : bool, default True
        Shade each curve's confidence band.
    at_risk : bool, default True
        Show the number of customers still at risk under the x axis.
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Tenure on x (in the lifetimes' unit), share still customers on y.
    """
    if hasattr(survival, "survival_") and not isinstance(survival, pd.DataFrame):
        # a fitted CustomerLifetime: its .plot() is the bridge
        return survival.plot(ci=ci, at_risk=at_risk, ax=ax)
    cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    needed = ["tenure", "survival", "ci_lower", "ci_upper", "at_risk", *cols]
    missing = [c for c in needed if c not in getattr(survival, "columns", [])]
    if missing:
        raise ParameterError(
            "survival_curves draws the curves CustomerLifetime().fit(...).survival_ "
            f"holds; column {missing[0]!r} is missing."
        )
    ax = new_axes(ax, figsize=(10, 5))
    unit = str(survival.attrs.get("unit") or "units")
    keys = _group_keys(survival, cols)
    colors = sns.color_palette(PALETTE, max(len(keys), 1))
    x_max = float(survival["tenure"].max()) if len(survival) else 1.0
    observed_max = x_max
    drawn: list[tuple[str, pd.DataFrame]] = []
    for i, key in enumerate(keys):
        rows = _rows_for(survival, cols, key if len(cols) != 1 else key[0])
        rows = rows.sort_values("tenure", kind="stable")
        label = _label(key)
        drawn.append((label, rows))
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
        if extrapolation is not None and len(t):
            model_curve = _rows_for(
                extrapolation, cols, key if len(cols) != 1 else key[0]
            )
            until = float(t.max())
            tail = model_curve.loc[model_curve["tenure"] >= until]
            if len(tail) > 1:
                model = tail["model"].iloc[0] if "model" in tail else "model"
                ax.plot(
                    tail["tenure"],
                    tail["continuation"],
                    linestyle="--",
                    color=color,
                    label=f"{label}: {model} extrapolation",
                )
                x_max = max(x_max, float(tail["tenure"].max()))
    if extrapolation is not None and x_max > observed_max:
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
    ticks = [x for x in MaxNLocator(nbins=8).tick_values(0, x_max) if 0 <= x <= x_max]
    ax.set_xticks(ticks)
    ax.set_ylim(0, 1.02)
    percent_axis(ax)
    what = f" by {', '.join(cols)}" if cols else ""
    as_of = survival.attrs.get("as_of")
    when = f" (as of {pd.Timestamp(as_of):%Y-%m-%d})" if as_of is not None else ""
    ax.set(
        title=f"Customer survival{what}, Kaplan–Meier{when}",
        xlabel=f"Tenure ({unit})",
        ylabel="Still customers (%)",
    )
    ax.legend(
        title=", ".join(cols) or None,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
    )
    if at_risk:
        _at_risk_table(ax, drawn, ticks)
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
def hazard_ratios(
    hazard_ratios: pd.DataFrame,
    *,
    ph_test: pd.DataFrame | None = None,
    concordance: float | None = None,
    alpha: float = 0.05,
    ax: Axes | None = None,
) -> Axes:
    """Forest plot of Cox hazard ratios with their confidence intervals.

    Parameters
    ----------
    hazard_ratios : pandas.DataFrame
        ``CoxResult.hazard_ratios`` (:func:`churnlab.lifetime_cox`): ``term``,
        ``level``, ``reference``, ``hazard_ratio``, ``hazard_ratio_lower``,
        ``hazard_ratio_upper``. A ``CoxResult`` itself is also accepted (its
        ``ph_test``, ``concordance`` and level are then read from it).
    ph_test : pandas.DataFrame, optional
        ``CoxResult.ph_test``: terms with ``ph_holds`` False get a dagger.
    concordance : float, optional
        Shown in the title.
    alpha : float, default 0.05
        The intervals' level, for the legend (``1 - alpha``).
    {ax}

    Returns
    -------
    matplotlib.axes.Axes
        Hazard ratio on a log x axis, one row per term; terms failing the
        proportional-hazards check are marked with a dagger.
    """
    if not isinstance(hazard_ratios, pd.DataFrame) and hasattr(
        hazard_ratios, "hazard_ratios"
    ):
        result = hazard_ratios
        hazard_ratios = result.hazard_ratios
        ph_test = result.ph_test if ph_test is None else ph_test
        concordance = result.concordance if concordance is None else concordance
        alpha = float(getattr(result.fitter, "alpha", alpha))
    needed = ["term", "level", "reference", "hazard_ratio", "hazard_ratio_lower"]
    missing = [c for c in needed if c not in getattr(hazard_ratios, "columns", [])]
    if missing:
        raise ParameterError(
            "hazard_ratios draws CoxResult.hazard_ratios (cl.lifetime_cox); column "
            f"{missing[0]!r} is missing."
        )
    table = hazard_ratios
    ax = new_axes(ax, figsize=(10, max(2.5, 1.2 + 0.4 * len(table))))
    failing = (
        set(ph_test.loc[~ph_test["ph_holds"].astype(bool), "term"])
        if ph_test is not None
        else set()
    )
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
        label=f"hazard ratio ({1 - alpha:.0%} CI)",
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
        title="Cox hazard ratios"
        + (f" (concordance {concordance:.2f})" if concordance is not None else ""),
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
