"""Survival-based customer lifetime value beside the simple formula.

Public names: ``survival_ltv``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from churnlab._compat import keyword_only
from churnlab.errors import ParameterError
from churnlab.survival._common import (
    _PER_YEAR,
    _check_lifetimes,
    _continue,
    _groups,
    _km,
    _known_until,
    _label,
    _unit_of,
)
from churnlab.survival.models import lifetime_parametric

if TYPE_CHECKING:  # pragma: no cover
    from churnlab._types import DataLike

__all__ = ["survival_ltv"]


# --------------------------------------------------------------------------- LTV


def _per_group(value: Any, name: str, key: Any, label: str) -> float:
    if isinstance(value, Mapping | pd.Series):
        for k in (key, label):
            try:
                got = value[k]
            except (KeyError, TypeError):
                continue
            return float(got)
        raise ParameterError(
            f"{name} has no value for group {label!r}; give a number or one value "
            "per group."
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(f"{name}={value!r} must be a number or a mapping.")
    return float(value)


def _hazard_trend(
    tenure: np.ndarray, event: np.ndarray, until: float, unit: str
) -> str:
    """A few words on whether churn falls or rises with tenure."""
    mid = until / 2
    if mid <= 0:
        return ""
    early_exp = np.minimum(tenure, mid).sum()
    late_exp = np.clip(tenure - mid, 0, None).sum()
    early = event[tenure <= mid].sum() / early_exp if early_exp else np.nan
    late = event[tenure > mid].sum() / late_exp if late_exp else np.nan
    if not (np.isfinite(early) and np.isfinite(late)) or early == 0:
        return ""
    ratio = late / early
    span = (
        f"{early:.1%} per {unit[:-1]} in the first {mid:.1f} {unit}, {late:.1%} after"
    )
    if ratio < 0.8:
        return (
            f" Churn falls with tenure here ({span}), so the single average rate "
            "overstates how fast long-lived customers leave."
        )
    if ratio > 1.25:
        return (
            f" Churn rises with tenure here ({span}), so the single average rate "
            "understates how fast long-lived customers leave."
        )
    return (
        f" Churn is roughly constant over tenure here ({span}), so the gap comes "
        "mostly from the horizon and discounting."
    )


@keyword_only("arpa", renamed={"data": "data"})
def survival_ltv(
    data: pd.DataFrame | DataLike,
    *,
    arpa: float | Mapping[Any, float] | pd.Series,
    by: str | Sequence[str] | None = None,
    gross_margin: float | Mapping[Any, float] | pd.Series | None = None,
    discount_rate: float = 0.0,
    horizon: float | None = None,
    extrapolate: bool = True,
    margin: float | Mapping[Any, float] | pd.Series | None = None,
    models: Sequence[str] = ("weibull", "lognormal", "loglogistic", "exponential"),
) -> pd.DataFrame:
    """Survival-based customer lifetime value beside the simple formula.

    Parameters
    ----------
    data : pandas.DataFrame, Dataset or path
        The table :func:`lifetimes` returns (anything else is first passed
        through :func:`lifetimes` with its defaults).
    arpa : float, mapping or Series
        Average revenue per account per tenure unit (per month for monthly
        tenure): one number, or one per group keyed by the group value (or its
        label ``"a / b"`` for several ``by`` columns).
    by : str or list of str, optional
        Attribute column(s) to compute LTV for separately.
    gross_margin : float, mapping or Series, optional
        Gross margin as a fraction in (0, 1] (0.8 = 80%); a mapping per group
        also works. Default: not applied (1.0, revenue LTV), as in
        :func:`churnlab.ltv`.
    discount_rate : float, default 0.0
        Annual discount rate (0.1 = 10% a year), converted to the tenure unit.
    horizon : float, optional
        Sum revenue over tenures ``0 <= t < horizon`` (in the tenure's unit).
        Default: 5 years when ``extrapolate``, else the longest observed tenure
        of each group.
    extrapolate : bool, default True
        Beyond the longest observed tenure, continue S(t) with the AIC-best
        parametric model (:func:`lifetime_parametric`). When False the sum stops
        there and is a lower bound.
    margin : float, mapping or Series, optional
        Deprecated alias of ``gross_margin``.
    models : sequence of str
        Candidate models for the extrapolation.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``customers``, ``churned``,
        ``exposure``, ``churn_rate``, ``arpa``, ``gross_margin``, ``ltv_simple``,
        ``discount_rate``, ``horizon``, ``observed_until``, ``ltv_observed``
        (the sum over observed tenures), ``ltv_extrapolated`` (the part beyond,
        0 without extrapolation), ``ltv_survival`` (their total),
        ``extrapolated`` (bool), ``model`` (the extrapolating model or None)
        and ``why`` (a sentence on why the two LTVs differ).

    Notes
    -----
    **Definition.** Lifetime value is the margin a customer is expected to
    bring over their lifetime. The survival LTV weights each period's revenue
    by the probability the customer is still there; the simple LTV divides
    margin by the churn rate.

    **Formula.** ``ltv_survival = sum over t = 0, 1, ..., horizon - 1 of
    S(t) * arpa * gross_margin * d^t`` with ``d = (1 + discount_rate)^(-1/periods per
    year)``; ``ltv_simple = arpa * gross_margin / churn_rate`` with
    ``churn_rate = churned / exposure`` (churn per customer-unit at risk).

    **Convention.** A customer pays for period t when still a customer at its
    start (``S(0) = 1``). S(t) is the Kaplan–Meier curve up to the longest
    observed tenure; past it, the selected parametric model's conditional
    survival continues it: ``S(t) = S_km(T) * S_model(t) / S_model(T)``. The
    extrapolated part is reported separately (``ltv_extrapolated``). The simple
    formula assumes one constant churn rate at every tenure forever and no
    discounting; the two agree only when churn really is constant, the horizon
    is long and nothing is discounted. ``why`` says which of these drives the
    difference for each group.

    Examples
    --------
    >>> import churnlab as cl
    >>> lt = cl.lifetimes(cl.sample_dataset(), as_of="2026-10-31")
    >>> v = cl.survival_ltv(
    ...     lt, arpa=100.0, by="segment", gross_margin=0.8, discount_rate=0.1
    ... )
    >>> v.columns[:8].tolist()
    ['segment', 'customers', 'churned', 'exposure', 'churn_rate', 'arpa',
     'gross_margin', 'ltv_simple']
    >>> bool((v["ltv_survival"] < v["ltv_simple"]).all())
    True
    """
    if margin is not None:
        warnings.warn(
            "survival_ltv(margin=...) is deprecated; call "
            "survival_ltv(data, arpa=..., gross_margin=...) (same meaning).",
            DeprecationWarning,
            stacklevel=3,
        )
        if gross_margin is None:
            gross_margin = margin
    if gross_margin is None:
        gross_margin = 1.0
    frame, cols = _check_lifetimes(data, by, caller="survival_ltv")
    if (
        isinstance(discount_rate, bool)
        or not isinstance(discount_rate, int | float)
        or not discount_rate > -1
    ):
        raise ParameterError(
            f"discount_rate={discount_rate!r} must be an annual rate such as 0.1."
        )
    unit = _unit_of(frame)
    if unit not in _PER_YEAR:
        raise ParameterError(
            "The lifetimes table does not say its tenure unit (attrs['unit']); "
            "build it with cl.lifetimes(..., unit='months')."
        )
    per_year = _PER_YEAR[unit]
    factor = (1.0 + discount_rate) ** (-1.0 / per_year)
    default_horizon = 5 * per_year if extrapolate else None
    if horizon is not None and (
        isinstance(horizon, bool)
        or not isinstance(horizon, int | float)
        or horizon <= 0
    ):
        raise ParameterError(f"horizon={horizon!r} must be a positive tenure.")
    target = horizon if horizon is not None else default_horizon
    parametric = None
    if extrapolate:
        parametric = lifetime_parametric(
            frame, by=cols or None, models=models, horizon=target
        )
    records = []
    for key, values, rows in _groups(frame, cols):
        label = _label(values)
        g_arpa = _per_group(arpa, "arpa", key, label)
        g_margin = _per_group(gross_margin, "gross_margin", key, label)
        tenure, event = rows["tenure"].to_numpy(), rows["churned"].to_numpy()
        kmf = _km(rows, label, 0.05)
        until = _known_until(kmf, tenure)
        observed_until = float(tenure.max())
        h = float(target if target is not None else observed_until)
        t = np.arange(math.ceil(h))
        seen = t <= until
        surv = np.zeros(len(t))
        surv[seen] = kmf.survival_function_at_times(t[seen]).to_numpy()
        model_name = None
        if (~seen).any() and parametric is not None:
            model_name = parametric.selected[key]
            s_end = float(kmf.predict(observed_until))
            surv[~seen] = _continue(
                parametric.fitters[key], s_end, observed_until, t[~seen]
            )
        value = surv * g_arpa * g_margin * factor**t
        churned = int(event.sum())
        exposure = float(tenure.sum())
        rate = churned / exposure if exposure > 0 else float("nan")
        simple = g_arpa * g_margin / rate if churned else float("nan")
        observed = float(value[seen].sum())
        beyond = float(value[~seen].sum()) if model_name else 0.0
        total = observed + beyond
        extrapolated = bool(model_name is not None and beyond > 0)
        why = _ltv_sentence(
            simple,
            total,
            rate,
            unit,
            observed_until,
            h,
            model_name,
            discount_rate,
            extrapolate,
            tenure,
            event,
        )
        records.append(
            dict(zip(cols, values, strict=True))
            | {
                "customers": len(rows),
                "churned": churned,
                "exposure": exposure,
                "churn_rate": rate,
                "arpa": g_arpa,
                "gross_margin": g_margin,
                "ltv_simple": simple,
                "discount_rate": float(discount_rate),
                "horizon": h,
                "observed_until": observed_until,
                "ltv_observed": observed,
                "ltv_extrapolated": beyond,
                "ltv_survival": total,
                "extrapolated": extrapolated,
                "model": model_name,
                "why": why,
            }
        )
    out = pd.DataFrame.from_records(records)
    out.attrs.update(unit=unit)
    return out


def _ltv_sentence(
    simple: float,
    total: float,
    rate: float,
    unit: str,
    observed_until: float,
    horizon: float,
    model: str | None,
    discount_rate: float,
    extrapolate: bool,
    tenure: np.ndarray,
    event: np.ndarray,
) -> str:
    one = unit[:-1]
    if np.isnan(simple):
        head = (
            f"Simple LTV is undefined (no churn yet, so 1 / churn rate is infinite); "
            f"survival LTV ({total:,.0f}) counts revenue up to {horizon:.1f} {unit}"
        )
    else:
        side = "below" if total < simple else "above"
        head = (
            f"Survival LTV ({total:,.0f}) is {side} simple LTV ({simple:,.0f}): the "
            f"simple formula assumes the average churn rate ({rate:.1%} per {one}) "
            "holds at every tenure forever with no discounting, while survival LTV "
            f"follows the observed curve to {observed_until:.1f} {unit}"
        )
    if model and horizon > observed_until:
        article = "an" if model[0] in "aeiou" else "a"
        head += f", then {article} {model} extrapolation to {horizon:.1f} {unit}"
    elif not extrapolate:
        head += " and stops there (a lower bound)"
    elif horizon <= observed_until:
        head += f" and stops at {horizon:.1f} {unit}"
    if discount_rate:
        head += f", discounted at {discount_rate:.0%} a year"
    return head + "." + _hazard_trend(tenure, event, observed_until, unit)
