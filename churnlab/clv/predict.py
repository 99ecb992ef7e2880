"""Per-customer predictions from fitted CLV models, and the frames the plots draw.

Public names: ``clv_predict``, ``clv_by_segment``, ``clv_calibration_holdout``,
``clv_prob_alive_matrix``.

Predictions come from the pymc-marketing model inside a
:class:`~churnlab.clv.models.CLVFit`: one value per customer for a MAP fit, the
posterior mean and an equal-tailed credible interval for a sampled fit. Every
frame states its units: time in the summary's unit (``horizon_weeks``), money in
the currency of ``orders.amount``.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from churnlab import contract, engine
from churnlab.clv.models import CLVFit, _quiet, _rfm_input
from churnlab.clv.rfm import UNITS
from churnlab.errors import ChurnlabWarning, ParameterError

__all__ = [
    "clv_predict",
    "clv_by_segment",
    "clv_calibration_holdout",
    "clv_prob_alive_matrix",
]

_HORIZON = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
_DAYS_PER_YEAR = 365.25


def _horizon_units(horizon: Any, fit: CLVFit) -> float:
    """The horizon in the model's time unit; a unit mismatch is an error."""
    if isinstance(horizon, int | float | np.integer | np.floating) and not isinstance(
        horizon, bool
    ):
        value = float(horizon)
    elif isinstance(horizon, str) and (m := _HORIZON.match(horizon)):
        amount, code = float(m.group(1)), m.group(2).upper()
        if code not in UNITS:
            raise ParameterError(
                f"horizon={horizon!r}: use days or weeks ('365D', '52W'); months "
                "and years have no fixed length, and the model counts time in "
                f"{fit.unit_name or 'an unstated unit'}."
            )
        if fit.unit is None:
            raise ParameterError(
                f"horizon={horizon!r} names a unit but the model's summary did not "
                "state one (plain recency/T columns); pass the horizon as a number "
                "of the summary's time units, or use churnlab.rfm_summary()."
            )
        value = amount * UNITS[code][0] / UNITS[fit.unit][0]
    else:
        raise ParameterError(
            f"horizon={horizon!r} is not a horizon; use a string with a unit "
            "('52W', '365D') or a number of the model's time units."
        )
    if not value > 0:
        raise ParameterError(f"horizon={horizon!r} must be positive.")
    return value


def _transaction_fit(fit: Any) -> CLVFit:
    if not isinstance(fit, CLVFit) or fit.kind not in ("bgnbd", "pareto_nbd"):
        raise ParameterError(
            "model must be a BG/NBD or Pareto/NBD fit (churnlab.clv_bgnbd or "
            f"churnlab.clv_pareto_nbd); got {type(fit).__name__}"
            + (f" ({fit.kind})" if isinstance(fit, CLVFit) else "")
            + "."
        )
    return fit


def _draws(array: Any) -> np.ndarray:
    """(samples, customers) from a pymc-marketing DataArray."""
    arr = array.transpose("chain", "draw", "customer_id").values
    return arr.reshape(-1, arr.shape[-1])


def _summarise(
    out: pd.DataFrame, name: str, draws: np.ndarray, ci: float, sampled: bool
) -> None:
    out[name] = draws.mean(axis=0)
    if sampled:
        lo, hi = np.quantile(draws, [(1 - ci) / 2, (1 + ci) / 2], axis=0)
        out[f"{name}_lower"] = lo
        out[f"{name}_upper"] = hi


def _gamma_gamma_q(spend_model: CLVFit) -> float:
    """The point estimate of Gamma-Gamma's q (the mean of draws when sampled)."""
    params = spend_model.params_
    if isinstance(params, pd.DataFrame):
        return float(params["q"].mean()) if "q" in params else np.inf
    return float(params.get("q", np.inf))


def _undefined_population_spend(
    spend: np.ndarray, spend_model: CLVFit, frequency: pd.Series
) -> np.ndarray:
    """NaN, with a warning, where Gamma-Gamma's population mean does not exist.

    A customer without a repeat purchase is given the population's mean spend
    per purchase, ``p v / (q - 1)``, which is finite only when ``q > 1``. A fit
    with ``q <= 1`` would give them a meaningless (even negative) figure.
    """
    q = _gamma_gamma_q(spend_model)
    if q > 1:
        return spend
    no_repeat = (frequency <= 0).to_numpy()
    if not no_repeat.any():
        return spend
    out = np.array(spend, dtype=float, copy=True)
    out[..., no_repeat] = np.nan
    warnings.warn(
        ChurnlabWarning(
            f"Gamma-Gamma fitted q = {q:.3g} <= 1: the average spend per purchase "
            "across customers is not finite, so the expected spend and CLV of "
            f"the {int(no_repeat.sum()):,} customers without a repeat purchase "
            "are NaN (unknown), not a figure."
        ),
        stacklevel=3,
    )
    return out


def clv_predict(
    model: CLVFit,
    summary: pd.DataFrame | None = None,
    *,
    horizon: Any = "52W",
    spend_model: CLVFit | None = None,
    discount_rate: float = 0.0,
    ci: float | None = None,
) -> pd.DataFrame:
    """Expected purchases, probability alive and discounted CLV per customer.

    Parameters
    ----------
    model : CLVFit
        A BG/NBD or Pareto/NBD fit (:func:`churnlab.clv_bgnbd`,
        :func:`churnlab.clv_pareto_nbd`).
    summary : pandas.DataFrame, optional
        Customers to predict for, as :func:`churnlab.rfm_summary` returns;
        default the customers the model was fitted on.
    horizon : str or float, default "52W"
        How far ahead: ``"52W"``, ``"365D"``, or a number of the summary's time
        units. Months are refused (no fixed length).
    spend_model : CLVFit, optional
        A Gamma-Gamma fit (:func:`churnlab.clv_gamma_gamma`); adds
        ``expected_spend`` and ``clv``.
    discount_rate : float, default 0.0
        Annual discount rate (0.1 = 10 % a year), applied per time unit to the
        purchases expected in each unit of the horizon.
    ci : float, optional
        Credible-interval mass for sampled fits (default: the model's ``ci``).

    Returns
    -------
    pandas.DataFrame
        One row per customer: ``customer_id``, ``frequency``,
        ``recency_<unit>``, ``T_<unit>``, ``horizon_<unit>``,
        ``expected_purchases`` (over the horizon), ``prob_alive`` (now), and
        with a spend model ``expected_spend`` (per purchase) and ``clv``
        (discounted spend over the horizon, currency of ``orders.amount``).
        Sampled fits add ``<column>_lower``/``_upper``. ``attrs`` holds the
        unit, horizon, annual discount rate and the models.

    Raises
    ------
    ParameterError
        For a model of the wrong kind, a horizon in months or with a unit the
        summary does not state, or a negative discount rate.

    Notes
    -----
    **Definition.** ``expected_purchases`` is E[X(t, t + h) | x, t_x, T], the
    purchases expected in the next ``h`` time units given the customer's
    history (FHL 2005 equation 10 for BG/NBD). ``prob_alive`` is
    P(alive | x, t_x, T) at the calibration end.

    **Formula.** ``clv = sum_k (E[X(k)] - E[X(k-1)]) * expected_spend /
    (1 + discount_rate) ** (k * unit_days / 365.25)`` over the whole units
    ``k = 1 .. h`` (the last clipped to ``h``): each unit's expected purchases,
    times the Gamma-Gamma expected spend per purchase, discounted to today.

    **Convention.** Time is in the summary's unit (weeks for
    ``rfm_summary(unit="W")``); money is in the currency of ``orders.amount``;
    the discount rate is annual whatever the unit. For a sampled fit each
    column is the posterior mean and the interval is equal-tailed.
    """
    fit = _transaction_fit(model)
    h = _horizon_units(horizon, fit)
    if discount_rate < 0:
        raise ParameterError(f"discount_rate={discount_rate!r} must be >= 0.")
    if spend_model is not None and (
        not isinstance(spend_model, CLVFit) or spend_model.kind != "gamma_gamma"
    ):
        raise ParameterError("spend_model must be a Gamma-Gamma fit (clv_gamma_gamma).")
    ci = fit.ci if ci is None else ci
    if summary is None:
        data, unit = fit.data_, fit.unit
    else:
        data, unit = _rfm_input(summary)
        if unit != fit.unit:
            raise ParameterError(
                f"summary is in {UNITS[unit][1] if unit else 'an unstated unit'} "
                f"but the model was fitted in {fit.unit_name or 'an unstated unit'}; "
                "build both summaries with the same unit."
            )
    name = fit.unit_name or "units"
    sampled = fit.method == "mcmc"
    pm_model = fit.model_
    base = data.loc[:, ["customer_id", "frequency", "recency", "T"]]
    out = pd.DataFrame(
        {
            "customer_id": data["customer_id"].to_numpy(),
            "frequency": data["frequency"].to_numpy(),
            f"recency_{name}": data["recency"].to_numpy(),
            f"T_{name}": data["T"].to_numpy(),
            f"horizon_{name}": h,
        }
    )
    steps = np.minimum(np.arange(1, int(np.ceil(h)) + 1, dtype=float), h)
    with _quiet():
        cumulative = [
            _draws(pm_model.expected_purchases(base, future_t=t)) for t in steps
        ]
        alive = _draws(pm_model.expected_probability_alive(base))
    _summarise(out, "expected_purchases", cumulative[-1], ci, sampled)
    _summarise(out, "prob_alive", alive, ci, sampled)
    if spend_model is not None:
        if "monetary_value" not in data:
            raise ParameterError(
                "summary has no monetary_value column; the spend model needs it."
            )
        # customers without a repeat purchase get weight 0 on their own mean:
        # their expected spend is the population mean (the value set is unused)
        money = data.loc[:, ["customer_id", "frequency"]].copy()
        money["monetary_value"] = (
            data["monetary_value"].where(data["frequency"] > 0, 0.0).fillna(0.0)
        )
        with _quiet():
            spend = _draws(spend_model.model_.expected_customer_spend(money))
        spend = _undefined_population_spend(spend, spend_model, data["frequency"])
        unit_days = UNITS[fit.unit][0] if fit.unit else 1
        per_unit = (1 + discount_rate) ** (unit_days / _DAYS_PER_YEAR)
        previous = np.zeros_like(cumulative[0])
        value = np.zeros_like(cumulative[0])
        for t, cum in zip(steps, cumulative, strict=True):
            value += (cum - previous) / per_unit**t
            previous = cum
        # pair draws when both are sampled with the same count, else use the mean
        if spend.shape[0] != value.shape[0]:
            spend = np.broadcast_to(spend.mean(axis=0), value.shape)
        sampled_spend = spend_model.method == "mcmc"
        _summarise(out, "expected_spend", spend, ci, sampled_spend)
        _summarise(out, "clv", value * spend, ci, sampled or sampled_spend)
    out.attrs.update(
        unit=fit.unit,
        unit_name=fit.unit_name,
        horizon=h,
        discount_rate_annual=discount_rate,
        model=repr(fit),
        spend_model=None if spend_model is None else repr(spend_model),
        money="currency of orders.amount",
    )
    return out


def clv_by_segment(
    predictions: pd.DataFrame, data: Any, *, by: str | list[str] = "segment"
) -> pd.DataFrame:
    """Totals of :func:`clv_predict` per customer segment.

    Parameters
    ----------
    predictions : pandas.DataFrame
        What :func:`clv_predict` returned.
    data : Dataset, DataFrame, path or ibis.Table
        The customers table (customer_id and the ``by`` columns), or a Dataset
        holding it.
    by : str or list of str, default "segment"
        Customer attribute(s) to group by.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``customers``,
        ``expected_purchases`` (sum), ``customers_alive_expected`` (sum of
        ``prob_alive``), ``prob_alive_mean`` (its numerator over ``customers``)
        and with spend ``clv`` (sum) and ``clv_per_customer``. Customers absent
        from the customers table form the group ``"(missing)"``.

    Notes
    -----
    **Formula.** ``prob_alive_mean = customers_alive_expected / customers``;
    ``clv_per_customer = clv / customers``. Sums of posterior means are
    posterior means of the sums; intervals are not summed (they do not add).
    """
    cols = [by] if isinstance(by, str) else list(by)
    customers = contract.table(data, "customers")
    missing = [c for c in cols if c not in customers.columns]
    if missing:
        raise ParameterError(
            f"by={by!r}: customers has no column {missing}; it has "
            f"{list(customers.columns)}."
        )
    attrs = engine.execute(customers.select("customer_id", *cols))
    frame = predictions.merge(attrs, on="customer_id", how="left")
    frame[cols] = frame[cols].astype(object).where(frame[cols].notna(), "(missing)")
    aggs = {
        "customers": ("customer_id", "size"),
        "expected_purchases": ("expected_purchases", "sum"),
        "customers_alive_expected": ("prob_alive", "sum"),
    }
    if "clv" in frame:
        aggs["clv"] = ("clv", "sum")
    out = frame.groupby(cols, sort=True).agg(**aggs).reset_index()
    out["prob_alive_mean"] = out["customers_alive_expected"] / out["customers"]
    if "clv" in out:
        out["clv_per_customer"] = out["clv"] / out["customers"]
    out.attrs.update(predictions.attrs)
    return out


def clv_calibration_holdout(
    model: CLVFit, summary: pd.DataFrame, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Expected vs actual holdout purchases by calibration frequency.

    Parameters
    ----------
    model : CLVFit
        A BG/NBD or Pareto/NBD fit.
    summary : pandas.DataFrame
        :func:`churnlab.rfm_summary` with a ``holdout_end`` (holdout columns).
    max_frequency : int, default 7
        Frequencies at or above it share the last group (``"7+"``).

    Returns
    -------
    pandas.DataFrame
        One row per calibration frequency group: ``frequency`` (the group's
        lowest value), ``frequency_label``, ``customers``,
        ``actual_purchases_holdout`` and ``expected_purchases_holdout`` (means
        per customer over the holdout duration).

    Notes
    -----
    **Definition.** The paper's conditional-expectation check (FHL 2005,
    figure 4): for customers grouped by calibration repeat purchases, the mean
    holdout purchases observed beside the mean the model expects given each
    customer's (x, t_x, T).
    """
    fit = _transaction_fit(model)
    name = fit.unit_name
    needed = {"frequency_holdout", f"duration_holdout_{name}"}
    if not needed <= set(summary.columns):
        raise ParameterError(
            "summary has no holdout columns; build it with "
            "rfm_summary(..., holdout_end=...) in the model's unit "
            f"({name or 'unstated'})."
        )
    duration = float(summary[f"duration_holdout_{name}"].iloc[0])
    pred = clv_predict(fit, summary, horizon=duration)
    group = np.minimum(summary["frequency"].to_numpy(), max_frequency)
    frame = pd.DataFrame(
        {
            "frequency": group,
            "actual": summary["frequency_holdout"].to_numpy(dtype=float),
            "expected": pred["expected_purchases"].to_numpy(),
        }
    )
    out = (
        frame.groupby("frequency")
        .agg(
            customers=("actual", "size"),
            actual_purchases_holdout=("actual", "mean"),
            expected_purchases_holdout=("expected", "mean"),
        )
        .reset_index()
    )
    out.insert(
        1,
        "frequency_label",
        [f"{f}+" if f == max_frequency else str(f) for f in out["frequency"]],
    )
    out.attrs.update(
        unit=fit.unit,
        unit_name=name,
        holdout_duration=duration,
        calibration_end=summary.attrs.get("calibration_end"),
        holdout_end=summary.attrs.get("holdout_end"),
    )
    return out


def clv_prob_alive_matrix(
    model: CLVFit,
    *,
    max_frequency: int | None = None,
    T: float | None = None,
) -> pd.DataFrame:
    """Probability alive over a grid of frequency and recency, at one age T.

    Parameters
    ----------
    model : CLVFit
        A BG/NBD or Pareto/NBD fit.
    max_frequency : int, optional
        Largest frequency in the grid; default the 99th percentile of the
        fitted customers' frequency (at least 5).
    T : float, optional
        Customer age in the model's unit; default the largest ``T`` fitted.

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency_<unit>`` (whole units 0..T), ``T_<unit>``,
        ``prob_alive``. Cells with frequency 0 and recency above 0 cannot
        happen (no repeat purchase, no recency) and are NaN.
    """
    fit = _transaction_fit(model)
    name = fit.unit_name or "units"
    if T is None:
        T = float(fit.data_["T"].max())
    if max_frequency is None:
        max_frequency = max(5, int(np.quantile(fit.data_["frequency"], 0.99)))
    freq, rec = np.meshgrid(
        np.arange(max_frequency + 1), np.arange(int(np.floor(T)) + 1), indexing="ij"
    )
    grid = pd.DataFrame(
        {"frequency": freq.ravel(), "recency": rec.ravel().astype(float), "T": T}
    )
    grid.insert(0, "customer_id", np.arange(len(grid)))
    with _quiet():
        alive = _draws(fit.model_.expected_probability_alive(grid)).mean(axis=0)
    alive = np.where((grid["frequency"] == 0) & (grid["recency"] > 0), np.nan, alive)
    out = pd.DataFrame(
        {
            "frequency": grid["frequency"].to_numpy(),
            f"recency_{name}": grid["recency"].to_numpy(),
            f"T_{name}": T,
            "prob_alive": alive,
        }
    )
    out.attrs.update(unit=fit.unit, unit_name=fit.unit_name, T=T)
    return out
