"""Kaplan–Meier summaries of a lifetimes table.

Public names: ``lifetime_summary``, ``lifetime_hazard``, ``lifetime_logrank``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from lifelines import (
    KaplanMeierFitter,
)
from lifelines.statistics import (
    multivariate_logrank_test,
    pairwise_logrank_test,
)
from lifelines.utils import median_survival_times, restricted_mean_survival_time

from churnlab._compat import keyword_only
from churnlab.errors import ParameterError
from churnlab.survival._common import (
    UNITS,
    _at,
    _check_alpha,
    _check_horizons,
    _check_lifetimes,
    _groups,
    _horizon_name,
    _km,
    _known_until,
    _label,
    _nan_if_inf,
    _p_text,
    _unit_of,
)

if TYPE_CHECKING:  # pragma: no cover
    from churnlab._types import DataLike

__all__ = ["lifetime_summary", "lifetime_hazard", "lifetime_logrank"]


# --------------------------------------------------------------- summary (KM)


def _unsupported(
    tenure: np.ndarray, median: float, unit: str, attrs: Mapping[str, Any]
) -> str:
    """Why the data cannot support a median lifetime ("" when it can)."""
    if attrs.get("source") != "orders" or not attrs.get("inactivity_days"):
        return ""
    window = int(attrs["inactivity_days"])
    history = attrs.get("history_days")
    if history is not None and history <= window:
        return (
            f"cannot be estimated: {history:.0f} days of orders, not more than the "
            f"{window}-day inactivity window, so no churn can have been seen"
        )
    w_units = window / UNITS.get(unit, 1.0)
    if attrs.get("orders_lifetime") == "window" and np.isclose(median, w_units):
        at_window = float(np.mean(np.isclose(tenure, w_units)))
        return (
            f"not measurable: the median is the {window}-day inactivity window "
            f"itself ({at_window:.0%} of customers ordered once); use "
            "orders_lifetime='last_order'"
        )
    return ""


def _summary_row(
    rows: pd.DataFrame,
    kmf: KaplanMeierFitter,
    horizons: list[float],
    unit: str,
    alpha: float,
    attrs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    tenure = rows["tenure"].to_numpy()
    churned = int(rows["churned"].sum())
    until = _known_until(kmf, tenure)
    median = _nan_if_inf(kmf.median_survival_time_)
    ci = median_survival_times(kmf.confidence_interval_)
    lower, upper = (_nan_if_inf(v) for v in ci.iloc[0, :2])
    level = f"{1 - alpha:.0%}"
    reason = _unsupported(tenure, median, unit, attrs or {})
    if reason:
        median = lower = upper = float("nan")
        text = reason
    elif np.isnan(median):
        s_last = float(kmf.survival_function_.iloc[-1, 0])
        text = (
            f"not reached ({s_last:.0%} still customers at {tenure.max():.1f} {unit})"
        )
    else:
        up = "not reached" if np.isnan(upper) else f"{upper:.1f}"
        text = f"{median:.1f} {unit} ({level} CI {lower:.1f}–{up})"
        if median == 0:
            once = float(np.mean(tenure == 0))
            text += f": {once:.0%} never came back after their first order"
    window = (attrs or {}).get("inactivity_days")
    if (attrs or {}).get("source") == "orders" and window:
        text += f" [inactivity window {window} days]"
    out: dict[str, Any] = {
        "customers": len(rows),
        "churned": churned,
        "censored": len(rows) - churned,
        "median_lifetime": median,
        "median_lifetime_lower": lower,
        "median_lifetime_upper": upper,
        "median_reached": not np.isnan(median),
        "median_lifetime_text": text,
    }
    band = kmf.confidence_interval_
    for h in horizons:
        name = f"survival_{_horizon_name(h)}"
        if h > until:
            out[name] = out[f"{name}_lower"] = out[f"{name}_upper"] = float("nan")
            continue
        out[name] = float(kmf.survival_function_at_times(h).iloc[0])
        lo, hi = _at(band, h)
        out[f"{name}_lower"], out[f"{name}_upper"] = float(lo), float(hi)
    top = max(horizons)
    out["rmst_horizon"] = float(top)
    rmst = restricted_mean_survival_time(kmf, t=top) if top <= until else np.nan
    out["rmst"] = float(rmst)
    exposure = float(tenure.sum())
    out["exposure"] = exposure
    out["churn_rate"] = churned / exposure if exposure > 0 else float("nan")
    out["simple_lifetime"] = exposure / churned if churned else float("nan")
    if reason.startswith("cannot be estimated"):
        for key in out:
            if key.startswith("survival_") or key == "rmst":
                out[key] = float("nan")
    return out


@keyword_only("by", "horizons", renamed={"data": "data"})
def lifetime_summary(
    data: pd.DataFrame | DataLike,
    *,
    by: str | Sequence[str] | None = None,
    horizons: Sequence[float] = (12, 24),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Median lifetime, survival at horizons and RMST per group, from Kaplan–Meier.

    Parameters
    ----------
    data : pandas.DataFrame, Dataset or path
        The table :func:`lifetimes` returns (anything else is first passed
        through :func:`lifetimes` with its defaults) (``tenure``, ``churned`` and
        attributes), or any frame with those two columns.
    by : str or list of str, optional
        Attribute column(s) of ``data`` to break the result down by; one
        row per group (missing values form a group of their own).
    horizons : sequence of float, default (12, 24)
        Tenures, in the lifetimes' unit, at which to read survival. RMST is
        restricted to the largest.
    alpha : float, default 0.05
        Confidence intervals are ``1 - alpha`` (95%).

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``customers``, ``churned``,
        ``censored``, ``median_lifetime`` (NaN when not reached),
        ``median_lifetime_lower``, ``median_lifetime_upper`` (NaN when that
        bound is not reached), ``median_reached``, ``median_lifetime_text``
        (e.g. ``"not reached (61% still customers at 72 months)"``), then for
        each horizon h ``survival_<h>``, ``survival_<h>_lower``,
        ``survival_<h>_upper``; ``rmst_horizon``, ``rmst``; and, labelled as
        the naive estimate, ``exposure``, ``churn_rate`` and
        ``simple_lifetime``. All in the tenure's unit. ``attrs["labels"]``
        describes each column for display.

    Raises
    ------
    ParameterError
        If ``data`` lacks ``tenure``/``churned``, ``by`` is not one of
        its columns, or ``horizons``/``alpha`` are invalid.

    See Also
    --------
    CustomerLifetime : the same fit, keeping curves, fitters and plots.

    Notes
    -----
    **Definition.** S(t), the survival function, is the share of customers
    still customers t units after they started, estimated by lifelines'
    ``KaplanMeierFitter``, which uses censored customers for as long as they
    were observed. The median lifetime is the first tenure where S(t) <= 0.5.
    RMST, the restricted mean survival time, is the average lifetime counted
    up to a horizon H: the area under S(t) from 0 to H
    (``lifelines.utils.restricted_mean_survival_time``).

    **Formula.** ``S(t) = prod over churn tenures t_i <= t of (1 - d_i / n_i)``
    with d_i churned at t_i and n_i at risk just before;
    ``rmst = integral_0^H S(t) dt``; ``survival_<h> = S(h)``;
    ``churn_rate = churned / exposure`` with ``exposure = sum(tenure)``
    (churn per customer-unit at risk); ``simple_lifetime = 1 / churn_rate``.

    **Convention.** When fewer than half the customers have churned, the median
    is *not reached*: ``median_lifetime`` is NaN and the text says so, never a
    number. The CI of the median comes from the pointwise CI bands
    (lifelines' ``median_survival_times``). S(t) is not defined beyond the
    longest observed tenure (unless it has reached 0), so survival and RMST at
    horizons past it are NaN: see :func:`lifetime_parametric` to extrapolate.
    RMST stops at a horizon because the tail of S(t) has high variance (few
    customers are observed that long) and would dominate an unrestricted mean.
    ``simple_lifetime`` assumes one constant churn rate at every tenure
    (an exponential lifetime); it is shown beside RMST because it is what
    "lifetime = 1 / churn" gives. It usually exceeds RMST, which stops at H,
    and is further off when churn changes with tenure.

    Lifetimes from orders (``attrs["source"] == "orders"``) carry their
    inactivity window in the text (``[inactivity window 90 days]``). Where the
    data cannot support a lifetime the median and its CI are NaN and the text
    gives the reason: a history no longer than the window (no churn can have
    been seen; survival and RMST are NaN too), or, with
    ``orders_lifetime="window"``, a median equal to the window itself (it then
    measures the window, not the customers). A median of 0 under the default
    ``"last_order"`` convention says how many never came back.

    Examples
    --------
    >>> import churnlab as cl
    >>> lt = cl.lifetimes(cl.sample_dataset(), as_of="2026-10-31")
    >>> s = cl.lifetime_summary(lt, by="segment", horizons=(12, 24))
    >>> smb = s.set_index("segment").loc["SMB"]
    >>> float(smb["median_lifetime"]), float(smb["survival_12"])
    (17.5, 0.629)
    >>> s.set_index("segment").loc["Enterprise", "median_lifetime_text"]
    'not reached (74% still customers at 35.4 months)'
    """
    frame, cols = _check_lifetimes(data, by, caller="lifetime_summary")
    horizons = _check_horizons(horizons)
    alpha = _check_alpha(alpha)
    unit = _unit_of(frame)
    records = []
    for _key, values, rows in _groups(frame, cols):
        kmf = _km(rows, _label(values), alpha)
        records.append(
            dict(zip(cols, values, strict=True))
            | _summary_row(rows, kmf, horizons, unit, alpha, frame.attrs)
        )
    out = pd.DataFrame.from_records(records)
    out.attrs.update(
        unit=unit,
        alpha=alpha,
        labels=_summary_labels(horizons, unit),
        source=frame.attrs.get("source"),
        inactivity_days=frame.attrs.get("inactivity_days"),
        lifetime_convention=frame.attrs.get("lifetime_convention"),
    )
    return out


def _summary_labels(horizons: list[float], unit: str) -> dict[str, str]:
    top = max(horizons)
    labels = {
        "customers": "Customers",
        "churned": "Churned",
        "censored": "Still customers at the as-of date (censored)",
        "median_lifetime": f"Median lifetime ({unit}, Kaplan–Meier)",
        "median_lifetime_text": "Median lifetime",
        "rmst": f"Average lifetime up to {top:g} {unit} (RMST)",
        "exposure": f"Customer-{unit} observed",
        "churn_rate": f"Churn per customer-{unit[:-1]} at risk",
        "simple_lifetime": f"Simple lifetime = 1 / churn rate ({unit}; assumes "
        "constant churn)",
    }
    for h in horizons:
        labels[f"survival_{_horizon_name(h)}"] = f"Still customers at {h:g} {unit}"
    return labels


# ----------------------------------------------------------------- survival curve


def _survival_frame(
    key_cols: list[str], values: tuple[Any, ...], kmf: KaplanMeierFitter
) -> pd.DataFrame:
    sf = kmf.survival_function_.iloc[:, 0]
    band = kmf.confidence_interval_
    table = kmf.event_table.reindex(sf.index)
    frame = pd.DataFrame(
        {
            "tenure": sf.index.to_numpy(dtype=float),
            "survival": sf.to_numpy(),
            "ci_lower": band.iloc[:, 0].to_numpy(),
            "ci_upper": band.iloc[:, 1].to_numpy(),
            "at_risk": table["at_risk"].to_numpy(dtype="int64"),
            "churned": table["observed"].to_numpy(dtype="int64"),
            "censored": table["censored"].to_numpy(dtype="int64"),
        }
    )
    for col, value in reversed(list(zip(key_cols, values, strict=True))):
        frame.insert(0, col, value)
    return frame


# ------------------------------------------------------------------------ hazard


@keyword_only("by", renamed={"data": "data"})
def lifetime_hazard(
    data: pd.DataFrame | DataLike,
    *,
    by: str | Sequence[str] | None = None,
    width: float = 1.0,
) -> pd.DataFrame:
    """Churn hazard per period of tenure (a life table), per group.

    Parameters
    ----------
    data : pandas.DataFrame, Dataset or path
        The table :func:`lifetimes` returns (anything else is first passed
        through :func:`lifetimes` with its defaults).
    by : str or list of str, optional
        Attribute column(s) of ``data`` to break the result down by.
    width : float, default 1.0
        Period length in the tenure's unit (1 = per month for monthly tenure).

    Returns
    -------
    pandas.DataFrame
        One row per group and period: the ``by`` columns, ``tenure_start``,
        ``tenure_end``, ``at_risk``, ``churned``, ``censored``, ``hazard``.
        Periods run up to the longest tenure in the group.

    Notes
    -----
    **Definition.** The hazard of period k is the share of customers still
    customers at its start who churn during it: the churn rate at that age.

    **Formula.** ``hazard = churned / at_risk`` where ``at_risk`` counts
    customers with ``tenure > tenure_start`` (all customers for the first
    period) and ``churned`` those who churned with
    ``tenure_start < tenure <= tenure_end``.

    **Convention.** Periods are ``(start, end]``, as lifelines' life tables bin
    them, so a churn at tenure exactly 1 falls in the first month, and the
    first period also holds tenure 0. Customers censored inside a period count
    in full in ``at_risk``; with whole-unit tenures (a telco export) censoring
    falls on the edges and ``hazard = 1 - S(end) / S(start)`` of the
    Kaplan–Meier curve exactly. ``hazard`` is NaN when no one is at risk.

    Examples
    --------
    >>> import churnlab as cl
    >>> lt = cl.lifetimes(cl.sample_dataset(), as_of="2026-10-31")
    >>> hz = cl.lifetime_hazard(lt, by="segment")
    >>> hz.columns.tolist()
    ['segment', 'tenure_start', 'tenure_end', 'at_risk', 'churned', 'censored',
     'hazard']
    """
    frame, cols = _check_lifetimes(data, by, caller="lifetime_hazard")
    if isinstance(width, bool) or not isinstance(width, int | float) or width <= 0:
        raise ParameterError(f"width={width!r} must be a positive number of units.")
    parts = []
    for _key, values, rows in _groups(frame, cols):
        tenure = rows["tenure"].to_numpy()
        event = rows["churned"].to_numpy()
        k = np.maximum(np.ceil(tenure / width).astype("int64") - 1, 0)
        n_bins = int(k.max()) + 1 if len(k) else 0
        removed = np.bincount(k, minlength=n_bins)
        churned = np.bincount(k, weights=event.astype(float), minlength=n_bins)
        at_risk = len(rows) - np.r_[0, np.cumsum(removed)[:-1]]
        start = np.arange(n_bins) * width
        part = pd.DataFrame(
            {
                "tenure_start": start,
                "tenure_end": start + width,
                "at_risk": at_risk.astype("int64"),
                "churned": churned.astype("int64"),
                "censored": (removed - churned).astype("int64"),
            }
        )
        part["hazard"] = part["churned"] / part["at_risk"].where(part["at_risk"] > 0)
        for col, value in reversed(list(zip(cols, values, strict=True))):
            part.insert(0, col, value)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.attrs.update(unit=_unit_of(frame), width=width)
    return out


# ---------------------------------------------------------------------- log-rank


@keyword_only("by", renamed={"data": "data"})
def lifetime_logrank(
    data: pd.DataFrame | DataLike,
    *,
    by: str | Sequence[str],
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Log-rank tests of whether lifetimes differ between groups.

    Parameters
    ----------
    data : pandas.DataFrame, Dataset or path
        The table :func:`lifetimes` returns (anything else is first passed
        through :func:`lifetimes` with its defaults).
    by : str or list of str
        Attribute column(s) defining the groups (at least two).
    alpha : float, default 0.05
        Significance level for the verdict.

    Returns
    -------
    pandas.DataFrame
        First row ``comparison="all groups"`` (lifelines'
        ``multivariate_logrank_test``), then one row per pair of groups
        (``pairwise_logrank_test``): ``comparison``, ``group_a``, ``group_b``,
        ``customers``, ``churned``, ``test_statistic``, ``degrees_of_freedom``,
        ``p_value``, ``p_value_adjusted`` (Bonferroni over the pairs),
        ``significant`` and ``verdict`` (a sentence).

    Notes
    -----
    **Definition.** The log-rank test compares, at every churn tenure, the
    churns seen in each group with those expected if all groups shared one
    survival curve. H0: the groups' survival curves are equal.

    **Formula.** ``test_statistic = (O - E)' V^-1 (O - E)``, chi-squared with
    ``groups - 1`` degrees of freedom, summed over churn tenures (lifelines).

    **Convention.** Pairwise p-values are also given Bonferroni-adjusted
    (``min(1, p * pairs)``); ``significant`` uses the adjusted value for pairs.
    The test weighs all tenures equally and can miss curves that cross.

    Examples
    --------
    >>> import churnlab as cl
    >>> lt = cl.lifetimes(cl.sample_dataset(), as_of="2026-10-31")
    >>> lr = cl.lifetime_logrank(lt, by="segment")
    >>> lr.loc[0, "comparison"], int(lr.loc[0, "degrees_of_freedom"])
    ('all groups', 2)
    >>> bool(lr.loc[0, "significant"])
    True
    """
    frame, cols = _check_lifetimes(data, by, caller="lifetime_logrank")
    alpha = _check_alpha(alpha)
    if not cols:
        raise ParameterError("lifetime_logrank needs by= (the attribute to compare).")
    labels = frame[cols].apply(lambda r: _label(tuple(r)), axis=1)
    groups = sorted(labels.unique())
    if len(groups) < 2:
        raise ParameterError(
            f"by={by!r} has a single group ({groups[0]}); a log-rank test compares "
            "two or more."
        )
    tenure, event = frame["tenure"].to_numpy(), frame["churned"].to_numpy()
    overall = multivariate_logrank_test(tenure, labels.to_numpy(), event)
    p = float(overall.p_value)
    dof = int(overall.degrees_of_freedom)
    verdict = (
        f"Lifetimes differ between {', '.join(cols)} groups (log-rank "
        f"chi2 = {overall.test_statistic:.1f} on {dof} df, {_p_text(p)})."
        if p < alpha
        else f"No evidence that lifetimes differ between {', '.join(cols)} groups "
        f"(log-rank chi2 = {overall.test_statistic:.1f} on {dof} df, {_p_text(p)})."
    )
    records = [
        {
            "comparison": "all groups",
            "group_a": None,
            "group_b": None,
            "customers": len(frame),
            "churned": int(event.sum()),
            "test_statistic": float(overall.test_statistic),
            "degrees_of_freedom": dof,
            "p_value": p,
            "p_value_adjusted": p,
            "significant": p < alpha,
            "verdict": verdict,
        }
    ]
    pairs = pairwise_logrank_test(tenure, labels.to_numpy(), event).summary
    n_pairs = len(pairs)
    for (a, b), row in pairs.iterrows():
        in_pair = labels.isin([a, b]).to_numpy()
        p = float(row["p"])
        adjusted = min(1.0, p * n_pairs)
        differ = adjusted < alpha
        records.append(
            {
                "comparison": f"{a} vs {b}",
                "group_a": a,
                "group_b": b,
                "customers": int(in_pair.sum()),
                "churned": int(event[in_pair].sum()),
                "test_statistic": float(row["test_statistic"]),
                "degrees_of_freedom": 1,
                "p_value": p,
                "p_value_adjusted": adjusted,
                "significant": differ,
                "verdict": (
                    f"{a} and {b} differ ({_p_text(adjusted)}, Bonferroni)."
                    if differ
                    else f"No evidence that {a} and {b} differ "
                    f"({_p_text(adjusted)}, Bonferroni)."
                ),
            }
        )
    return pd.DataFrame.from_records(records)
