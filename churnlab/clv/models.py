"""Fitting the CLV models with pymc-marketing (the ``churnlab[clv]`` extra).

Public names: ``CLVFit``, ``clv_bgnbd``, ``clv_pareto_nbd``, ``clv_gamma_gamma``,
``clv_sbg``, ``clv_sbg_survival``, ``clv_sbg_lifetime``.

Each function fits one model on a summary table and returns a :class:`CLVFit`
with ``params_``, ``log_likelihood_`` and the pymc-marketing model in
``model_``. The default is the maximum a posteriori with **flat** priors, which
is the maximum-likelihood estimate the papers publish; ``method="mcmc"`` samples
the full posterior and gives credible intervals. pymc-marketing's own default
priors are used only when asked for by name (``priors="pymc-marketing"``): on
CDNOW they move the BG/NBD ``a`` and ``b`` by 11-14 %.

``log_likelihood_`` is always the paper's closed-form likelihood evaluated at
``params_`` (:mod:`churnlab.clv.likelihood`), independent of pymc-marketing.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import hyp2f1

from churnlab.clv import likelihood
from churnlab.clv.rfm import UNITS
from churnlab.errors import ChurnlabWarning, ParameterError

__all__ = [
    "CLVFit",
    "clv_bgnbd",
    "clv_pareto_nbd",
    "clv_gamma_gamma",
    "clv_sbg",
    "clv_sbg_survival",
    "clv_sbg_lifetime",
]

_INSTALL = "pip install 'churnlab[clv]'"

_PARAMS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "gamma_gamma": ("p", "q", "v"),
    "sbg": ("alpha", "beta"),
}
_NAMES = {
    "bgnbd": "BG/NBD",
    "pareto_nbd": "Pareto/NBD",
    "gamma_gamma": "Gamma-Gamma",
    "sbg": "shifted-beta-geometric",
}


def _clv_modules() -> Any:
    """Import pymc-marketing lazily; the error names the extra to install."""
    try:
        from pymc_extras.prior import Prior
        from pymc_marketing import clv as pmm_clv
    except ImportError as err:
        raise ImportError(
            "The CLV models need pymc-marketing, which churnlab installs as an "
            f"optional extra. Please run {_INSTALL}."
        ) from err
    return pmm_clv, Prior


@contextmanager
def _quiet() -> Any:
    """Silence pymc's progress logging and warnings during a fit."""
    loggers = [logging.getLogger(n) for n in ("pymc", "pytensor", "pymc_marketing")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


@dataclass
class CLVFit:
    """A fitted CLV model: estimates, likelihood and the pymc-marketing model.

    Attributes
    ----------
    kind : str
        ``"bgnbd"``, ``"pareto_nbd"``, ``"gamma_gamma"`` or ``"sbg"``.
    params_ : pandas.Series or pandas.DataFrame
        Point estimates by parameter name (MAP, or the posterior mean when
        sampled); for sBG on several cohorts, one row per cohort.
    log_likelihood_ : float
        The paper's closed-form log-likelihood at ``params_``.
    summary_ : pandas.DataFrame
        One row per parameter (and cohort): ``estimate`` and, when sampled,
        ``lower``/``upper`` of the equal-tailed credible interval ``ci``.
    method : str
        ``"map"`` or ``"mcmc"``.
    priors : str
        ``"flat"``, ``"pymc-marketing"`` (the library's defaults) or
        ``"custom"``.
    unit : str or None
        Time unit of the summary (``"W"``, ``"D"``); None when the summary did
        not state one (plain ``recency``/``T`` columns).
    n_customers_ : int
        Customers the model was fitted on.
    data_ : pandas.DataFrame
        The model's input in pymc-marketing's column names.
    model_ : pymc_marketing CLV model
        The fitted model; its ``idata`` holds the MAP or the posterior draws.
    """

    kind: str
    params_: pd.Series | pd.DataFrame
    log_likelihood_: float
    summary_: pd.DataFrame
    method: str
    priors: str
    unit: str | None
    n_customers_: int
    data_: pd.DataFrame = field(repr=False)
    model_: Any = field(repr=False)
    ci: float = 0.9

    @property
    def unit_name(self) -> str | None:
        """Word for the time unit (``"weeks"``), None when unstated."""
        return UNITS[self.unit][1] if self.unit in UNITS else None

    @property
    def idata_(self) -> Any:
        """The arviz InferenceData of the fit (MAP point or posterior draws)."""
        return self.model_.idata

    def __repr__(self) -> str:
        est = (
            self.params_.round(4).to_dict()
            if isinstance(self.params_, pd.Series)
            else self.params_.round(4).to_dict("index")
        )
        return (
            f"<CLVFit {_NAMES[self.kind]} ({self.method}, {self.priors} priors) "
            f"n={self.n_customers_:,} unit={self.unit_name or 'unstated'} "
            f"params={est} log_likelihood={self.log_likelihood_:.2f}>"
        )


# ----------------------------------------------------------------- inputs


def _rfm_input(summary: pd.DataFrame, *, need_money: bool = False) -> tuple:
    """The summary in pymc-marketing's names, and its unit (None if unstated)."""
    if not isinstance(summary, pd.DataFrame):
        raise ParameterError(
            "summary must be a DataFrame such as churnlab.rfm_summary() returns; "
            f"got {type(summary).__name__}."
        )
    unit = summary.attrs.get("unit")
    cols = dict.fromkeys(summary.columns)
    found = [
        code
        for code, (_d, name) in UNITS.items()
        if f"recency_{name}" in cols and f"T_{name}" in cols
    ]
    if found:
        unit = found[0]
        name = UNITS[unit][1]
        rename = {f"recency_{name}": "recency", f"T_{name}": "T"}
    elif "recency" in cols and "T" in cols:
        rename = {}
    else:
        rename = {}
        if not need_money or "frequency" not in cols:
            raise ParameterError(
                "summary needs customer_id, frequency and recency_<unit>/T_<unit> "
                "columns (as churnlab.rfm_summary() returns) or plain recency and "
                f"T; it has {list(summary.columns)}."
            )
    if "customer_id" not in cols or "frequency" not in cols:
        raise ParameterError(
            "summary needs customer_id and frequency columns; it has "
            f"{list(summary.columns)}."
        )
    if summary["customer_id"].duplicated().any():
        dup = summary.loc[summary["customer_id"].duplicated(), "customer_id"]
        raise ParameterError(
            f"summary has {len(dup):,} duplicate customer_id values, e.g. "
            f"{dup.head(3).tolist()}; it needs one row per customer."
        )
    keep = ["customer_id", "frequency", *rename]
    keep += [c for c in ("recency", "T") if c in cols and c not in keep]
    if "monetary_value" in cols:
        keep.append("monetary_value")
    frame = summary.loc[:, keep].rename(columns=rename).reset_index(drop=True)
    frame["frequency"] = frame["frequency"].astype(float)
    if "recency" in frame and (frame["recency"] > frame["T"] + 1e-9).any():
        raise ParameterError(
            "summary has customers whose recency exceeds T "
            f"({int((frame['recency'] > frame['T']).sum()):,} rows); recency is "
            "measured from the first purchase to the last, T to the calibration end."
        )
    return frame, unit if unit in UNITS else None


def _priors(priors: Any, names: Sequence[str], Prior: Any, dims: Any = None) -> tuple:
    """(model_config or None, label) for the ``priors`` argument."""
    if isinstance(priors, str):
        if priors == "flat":
            kw = {"dims": dims} if dims else {}
            return {n: Prior("HalfFlat", **kw) for n in names}, "flat"
        if priors == "pymc-marketing":
            return None, "pymc-marketing"
        raise ParameterError(
            f"priors={priors!r} is not known; use 'flat' (maximum likelihood, the "
            "default), 'pymc-marketing' (the library's default priors) or a dict "
            "of pymc_extras Prior objects by parameter name."
        )
    if isinstance(priors, Mapping):
        return dict(priors), "custom"
    raise ParameterError(f"priors must be a string or a dict; got {priors!r}.")


def _check_method(method: str) -> None:
    if method not in ("map", "mcmc"):
        raise ParameterError(
            f"method={method!r} is not known; use 'map' (maximum a posteriori, "
            "the default) or 'mcmc' (posterior sampling with credible intervals)."
        )


def _fit(
    model: Any, data: pd.DataFrame, method: str, sampler: Mapping[str, Any]
) -> None:
    with _quiet():
        if method == "map":
            model.fit(data, method="map", progressbar=False)
        else:
            kw = {"draws": 1000, "tune": 1000, "chains": 2, "progressbar": False}
            kw.update(sampler)
            model.fit(data, method="mcmc", **kw)


def _estimates(
    model: Any, names: Sequence[str], ci: float, cohort: bool = False
) -> tuple[pd.Series | pd.DataFrame, pd.DataFrame]:
    """Point estimates (MAP or posterior mean) and the interval table."""
    post = model.idata.posterior
    rows = []
    for name in names:
        draws = post[name].stack(sample=("chain", "draw"))
        values = draws.transpose(..., "sample").values
        values = values.reshape(-1, values.shape[-1])  # (cohorts or 1, samples)
        labels = [str(c) for c in post[name]["cohort"].values] if cohort else [None]
        for label, v in zip(labels, values, strict=True):
            row = {"parameter": name, "estimate": float(np.mean(v))}
            if v.size > 1:
                lo, hi = np.quantile(v, [(1 - ci) / 2, (1 + ci) / 2])
                row.update(lower=float(lo), upper=float(hi))
            if cohort:
                row = {"cohort": label, **row}
            rows.append(row)
    table = pd.DataFrame(rows)
    if cohort:
        params = table.pivot(index="cohort", columns="parameter", values="estimate")
        params = params.loc[:, list(names)]
        params.columns.name = None
        if len(params) == 1:
            params = params.iloc[0].rename(None)
        return params, table
    return table.set_index("parameter")["estimate"].rename(None), table


def _check_ci(ci: float) -> None:
    if not 0 < ci < 1:
        raise ParameterError(f"ci={ci!r} must be a fraction in (0, 1), e.g. 0.9.")


# ---------------------------------------------------------------- models


def _fit_rfm_model(
    kind: str,
    cls_name: str,
    summary: pd.DataFrame,
    *,
    method: str,
    priors: Any,
    ci: float,
    sampler: Mapping[str, Any] | None,
) -> CLVFit:
    _check_method(method)
    _check_ci(ci)
    data, unit = _rfm_input(summary)
    pmm, Prior = _clv_modules()
    names = _PARAMS[kind]
    config, label = _priors(priors, names, Prior)
    model = getattr(pmm, cls_name)(model_config=config)
    data_in = data.loc[:, ["customer_id", "frequency", "recency", "T"]]
    _fit(model, data_in, method, sampler or {})
    params, table = _estimates(model, names, ci)
    loglik = (
        likelihood.bgnbd_loglik if kind == "bgnbd" else likelihood.pareto_nbd_loglik
    )
    ll = loglik(
        *(params[n] for n in names), data["frequency"], data["recency"], data["T"]
    )
    return CLVFit(
        kind=kind,
        params_=params,
        log_likelihood_=ll,
        summary_=table,
        method=method,
        priors=label,
        unit=unit,
        n_customers_=len(data),
        data_=data,
        model_=model,
        ci=ci,
    )


_FIT_DOC = """
    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer, as :func:`churnlab.rfm_summary` returns (or any
        frame with customer_id, frequency and recency/T columns).
    method : {{"map", "mcmc"}}, default "map"
        ``"map"``: maximum a posteriori; with flat priors this is the
        maximum-likelihood estimate the papers publish. ``"mcmc"``: NUTS
        samples of the posterior (``sampler`` passes ``draws``, ``tune``,
        ``chains``, ``random_seed``...), giving credible intervals.
    priors : "flat", "pymc-marketing" or dict, default "flat"
        Flat (improper uniform) priors on each positive parameter; the
        library's own default priors only by name; or a dict of
        ``pymc_extras.prior.Prior`` by parameter name.
    ci : float, default 0.9
        Mass of the equal-tailed credible intervals in ``summary_`` (sampled
        fits only).
    sampler : dict, optional
        Passed to ``pymc.sample`` with ``method="mcmc"``.

    Returns
    -------
    CLVFit
        ``params_`` ({params}), ``log_likelihood_`` (closed form), the
        pymc-marketing model in ``model_``.

    Raises
    ------
    ImportError
        When pymc-marketing is missing; the message names ``{install}``.
    ParameterError
        For a summary without the needed columns, recency above T, duplicate
        customers, or an unknown method or priors.
"""


def _fit_doc(params: str) -> Any:
    """Put the shared Parameters/Returns/Raises text into a fitting function."""

    def deco(func: Any) -> Any:
        text = _FIT_DOC.lstrip("\n").format(params=params, install=_INSTALL)
        func.__doc__ = func.__doc__.replace("    {doc}\n", text)
        return func

    return deco


@_fit_doc("r, alpha, a, b")
def clv_bgnbd(
    summary: pd.DataFrame,
    *,
    method: str = "map",
    priors: Any = "flat",
    ci: float = 0.9,
    sampler: Mapping[str, Any] | None = None,
) -> CLVFit:
    """Fit the BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005).

    {doc}

    Notes
    -----
    **Definition.** While alive, a customer buys at Poisson rate ``lambda``
    (gamma-distributed across customers: shape ``r``, rate ``alpha``); after
    each purchase they drop out with probability ``p`` (beta-distributed:
    ``a``, ``b``). Time is in the summary's unit, so ``alpha`` is per week
    for a weekly summary.

    **Formula.** The log-likelihood is equation (6) of the paper
    (:func:`churnlab.clv.likelihood.bgnbd_loglik`).

    **Convention.** On the CDNOW sample (2,357 customers, 39 calibration
    weeks) the flat-prior MAP gives r = 0.243, alpha = 4.414, a = 0.793,
    b = 2.426 and log-likelihood -9582.4, the published figures.
    """
    return _fit_rfm_model(
        "bgnbd",
        "BetaGeoModel",
        summary,
        method=method,
        priors=priors,
        ci=ci,
        sampler=sampler,
    )


@_fit_doc("r, alpha, s, beta")
def clv_pareto_nbd(
    summary: pd.DataFrame,
    *,
    method: str = "map",
    priors: Any = "flat",
    ci: float = 0.9,
    sampler: Mapping[str, Any] | None = None,
) -> CLVFit:
    """Fit the Pareto/NBD model of repeat purchases (Schmittlein et al. 1987).

    {doc}

    Notes
    -----
    **Definition.** While alive, a customer buys at Poisson rate ``lambda``
    (gamma: shape ``r``, rate ``alpha``); their lifetime is exponential with
    rate ``mu`` (gamma: shape ``s``, rate ``beta``), so dropout can happen at
    any time, not only after a purchase as in BG/NBD.

    **Formula.** The log-likelihood is Fader & Hardie's note 008, equation
    (22) (:func:`churnlab.clv.likelihood.pareto_nbd_loglik`).

    **Convention.** On CDNOW the maximum-likelihood estimates are r = 0.55,
    alpha = 10.58, s = 0.61, beta = 11.67 (log-likelihood -9595.0).
    """
    return _fit_rfm_model(
        "pareto_nbd",
        "ParetoNBDModel",
        summary,
        method=method,
        priors=priors,
        ci=ci,
        sampler=sampler,
    )


@_fit_doc("p, q, v")
def clv_gamma_gamma(
    summary: pd.DataFrame,
    *,
    method: str = "map",
    priors: Any = "flat",
    ci: float = 0.9,
    sampler: Mapping[str, Any] | None = None,
) -> CLVFit:
    """Fit the Gamma-Gamma model of spend per transaction (Fader & Hardie 2013).

    {doc}

    Notes
    -----
    **Definition.** A customer's transaction values are gamma with shape ``p``
    and rate ``nu``; ``nu`` is gamma across customers (shape ``q``, rate
    ``v``). Spend is assumed independent of the purchase process.

    **Formula.** The expected mean spend of a customer with ``x`` repeat
    purchases of mean ``z`` is ``(1 - w) * v p / (q - 1) + w z`` with
    ``w = p x / (p x + q - 1)``; the log-likelihood is
    :func:`churnlab.clv.likelihood.gamma_gamma_loglik`.

    **Convention.** Only customers with at least one repeat purchase (and a
    positive ``monetary_value``) enter the fit; ``n_customers_`` says how many.
    On CDNOW the estimates are p = 6.25, q = 3.74, v = 15.44.
    """
    _check_method(method)
    _check_ci(ci)
    if not isinstance(summary, pd.DataFrame) or not {
        "customer_id",
        "frequency",
        "monetary_value",
    } <= set(summary.columns):
        raise ParameterError(
            "summary needs customer_id, frequency and monetary_value columns "
            "(as churnlab.rfm_summary() returns)."
        )
    data = summary.loc[:, ["customer_id", "frequency", "monetary_value"]]
    data = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    if data.empty:
        raise ParameterError(
            "no customer has a repeat purchase with positive spend; the "
            "Gamma-Gamma model needs some."
        )
    data = data.reset_index(drop=True)
    pmm, Prior = _clv_modules()
    names = _PARAMS["gamma_gamma"]
    config, label = _priors(priors, names, Prior)
    model = pmm.GammaGammaModel(model_config=config)
    _fit(model, data, method, sampler or {})
    params, table = _estimates(model, names, ci)
    ll = likelihood.gamma_gamma_loglik(
        *(params[n] for n in names), data["frequency"], data["monetary_value"]
    )
    return CLVFit(
        kind="gamma_gamma",
        params_=params,
        log_likelihood_=ll,
        summary_=table,
        method=method,
        priors=label,
        unit=summary.attrs.get("unit"),
        n_customers_=len(data),
        data_=data,
        model_=model,
        ci=ci,
    )


# --------------------------------------------------------------------- sBG


def _survivor_table(survivors_by_period: Any) -> pd.DataFrame:
    """Tidy ``cohort, period_number, customers_active`` from the accepted inputs."""
    data = survivors_by_period
    if isinstance(data, pd.DataFrame):
        if not {"period_number", "customers_active"} <= set(data.columns):
            raise ParameterError(
                "survivors_by_period needs period_number and customers_active "
                "columns (and optionally cohort), as churnlab.cohort_table() "
                f"returns; it has {list(data.columns)}."
            )
        frame = data.loc[
            :,
            [c for c in ("cohort", "period_number", "customers_active") if c in data],
        ].copy()
        if "cohort" not in frame:
            frame["cohort"] = "all"
        frame = frame.dropna(subset=["customers_active"])
    else:
        values = pd.Series(data) if not isinstance(data, pd.Series) else data
        if not isinstance(data, pd.Series):
            values.index = range(len(values))
        frame = pd.DataFrame(
            {
                "cohort": "all",
                "period_number": values.index.astype(int),
                "customers_active": values.to_numpy(dtype=float),
            }
        )
    frame["cohort"] = frame["cohort"].astype(str)
    return frame.sort_values(["cohort", "period_number"]).reset_index(drop=True)


def _survivor_counts(table: pd.DataFrame) -> dict[str, np.ndarray]:
    counts: dict[str, np.ndarray] = {}
    short = [c for c, rows in table.groupby("cohort", sort=False) if len(rows) < 2]
    if short and len(short) < table["cohort"].nunique():
        warnings.warn(
            f"clv_sbg: {len(short):,} cohort(s) observed for one period only "
            f"left out (nothing to fit yet), e.g. {short[:3]}.",
            ChurnlabWarning,
            stacklevel=3,
        )
        table = table[~table["cohort"].isin(short)]
    for cohort, rows in table.groupby("cohort", sort=False):
        periods = rows["period_number"].to_numpy()
        n = rows["customers_active"].to_numpy(dtype=float)
        if len(n) < 2 or periods[0] != 0 or (np.diff(periods) != 1).any():
            raise ParameterError(
                f"cohort {cohort!r}: survivors need periods 0, 1, 2, ... without "
                f"gaps (at least two); got periods {periods.tolist()}."
            )
        if (np.diff(n) > 0).any() or (n != np.round(n)).any() or n[-1] < 0:
            raise ParameterError(
                f"cohort {cohort!r}: survivors must be whole counts that never "
                f"increase (the sBG model has no returning customers); got "
                f"{n.tolist()}. Use counts of customers who have not yet churned "
                "for good."
            )
        counts[str(cohort)] = n
    return counts


def _customer_rows(counts: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """One row per customer in pymc-marketing's sBG layout.

    A customer lost in period ``t`` has ``recency = t``; one still alive after
    the last observed period ``n`` is right-censored at ``T = n + 1``.
    """
    parts = []
    for cohort, n in counts.items():
        last = len(n) - 1
        lost = (n[:-1] - n[1:]).astype(int)
        recency = np.repeat(np.arange(1, last + 1), lost)
        recency = np.concatenate([recency, np.full(int(n[-1]), last + 1)])
        parts.append(
            pd.DataFrame({"recency": recency, "T": last + 1, "cohort": cohort})
        )
    rows = pd.concat(parts, ignore_index=True)
    rows.insert(0, "customer_id", np.arange(len(rows)))
    return rows


def clv_sbg(
    survivors_by_period: Any,
    *,
    method: str = "map",
    priors: Any = "flat",
    ci: float = 0.9,
    sampler: Mapping[str, Any] | None = None,
) -> CLVFit:
    """Fit the shifted-beta-geometric model of contract renewals (Fader & Hardie 2007).

    Parameters
    ----------
    survivors_by_period : sequence, Series or DataFrame
        Customers still alive at period 0 (the cohort size), 1, 2, ...: a list
        such as ``[1000, 631, 468, 382]``, a Series indexed by period number, or
        a tidy frame with ``period_number``, ``customers_active`` and optionally
        ``cohort`` (one fit per cohort, in one model), as
        :func:`churnlab.cohort_table` returns (use ``bounded=False``: active in
        period k or later, so counts never rise); NaN cells are dropped and
        cohorts observed for one period only are left out with a warning.
    method, priors, ci, sampler
        As for :func:`clv_bgnbd`.

    Returns
    -------
    CLVFit
        ``params_`` (alpha, beta): a Series for one cohort, a frame indexed by
        cohort for several. ``log_likelihood_`` sums the cohorts' closed-form
        log-likelihoods. ``expected_lifetime`` and ``survival`` project them.

    Raises
    ------
    ParameterError
        For counts that increase, are not whole, or periods with gaps.

    Notes
    -----
    **Definition.** Each customer has a constant churn probability ``theta``
    per period, beta-distributed across customers (``alpha``, ``beta``); a
    customer lost in period ``t`` renewed ``t - 1`` times.

    **Formula.** ``P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta)``,
    ``S(t) = B(alpha, beta+t) / B(alpha, beta)``; retention from ``t-1`` to
    ``t`` is ``(beta + t - 1) / (alpha + beta + t - 1)``, rising with ``t`` as
    the likelier churners leave.

    **Convention.** Fitted through pymc-marketing's ``ShiftedBetaGeoModel`` on
    one row per customer (lost in period ``t``: ``recency = t``; alive after
    the last period ``n``: censored at ``T = n + 1``). On the paper's cohorts
    of 1,000 (7 years) this gives alpha = 0.704, beta = 1.182 (regular) and
    alpha = 0.668, beta = 3.806 (high end), as published.
    """
    _check_method(method)
    _check_ci(ci)
    counts = _survivor_counts(_survivor_table(survivors_by_period))
    rows = _customer_rows(counts)
    pmm, Prior = _clv_modules()
    config, label = _priors(priors, _PARAMS["sbg"], Prior, dims="cohort")
    model = pmm.ShiftedBetaGeoModel(model_config=config)
    _fit(model, rows, method, sampler or {})
    params, table = _estimates(model, _PARAMS["sbg"], ci, cohort=True)
    frame = params.to_frame().T if isinstance(params, pd.Series) else params
    if isinstance(params, pd.Series):
        frame.index = list(counts)
    ll = sum(
        likelihood.sbg_loglik(frame.loc[c, "alpha"], frame.loc[c, "beta"], n)
        for c, n in counts.items()
    )
    return CLVFit(
        kind="sbg",
        params_=params,
        log_likelihood_=float(ll),
        summary_=table,
        method=method,
        priors=label,
        unit=None,
        n_customers_=len(rows),
        data_=rows,
        model_=model,
        ci=ci,
    )


def _sbg_frame(fit: CLVFit) -> pd.DataFrame:
    if fit.kind != "sbg":
        raise ParameterError(f"this needs an sBG fit (clv_sbg); got {fit.kind}.")
    if isinstance(fit.params_, pd.Series):
        cohort = str(fit.data_["cohort"].iloc[0])
        return fit.params_.to_frame().T.set_axis([cohort])
    return fit.params_


def clv_sbg_survival(fit: CLVFit, *, periods: int = 10) -> pd.DataFrame:
    """Projected survival and retention per cohort for periods 0..``periods``.

    Returns
    -------
    pandas.DataFrame
        ``cohort``, ``period_number``, ``survival`` (share of the cohort still
        alive) and ``retention`` (share of those alive at ``t - 1`` who renew
        at ``t``; NaN at 0).
    """
    from scipy.special import betaln

    out = []
    for cohort, p in _sbg_frame(fit).iterrows():
        t = np.arange(periods + 1)
        surv = np.exp(betaln(p["alpha"], p["beta"] + t) - betaln(p["alpha"], p["beta"]))
        ret = np.r_[
            np.nan, (p["beta"] + t[1:] - 1) / (p["alpha"] + p["beta"] + t[1:] - 1)
        ]
        out.append(
            pd.DataFrame(
                {
                    "cohort": cohort,
                    "period_number": t,
                    "survival": surv,
                    "retention": ret,
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def clv_sbg_lifetime(fit: CLVFit, *, discount_rate: float = 0.0) -> pd.DataFrame:
    """Expected (discounted) lifetime of a new customer, in periods, per cohort.

    Returns
    -------
    pandas.DataFrame
        ``cohort``, ``alpha``, ``beta``, ``discount_rate`` and
        ``expected_lifetime`` (periods, counting the first).

    Notes
    -----
    **Formula.** ``DEL(d) = sum_(t>=0) S(t) / (1+d)^t = 2F1(1, beta; alpha+beta;
    1/(1+d))`` (Fader & Hardie 2010, equation 6). Undiscounted (``d = 0``) it is
    ``(alpha + beta - 1) / (alpha - 1)`` when ``alpha > 1`` and infinite
    otherwise: with ``alpha <= 1`` enough customers almost never churn that the
    mean does not exist, so give a discount rate.
    """
    if discount_rate < 0:
        raise ParameterError(f"discount_rate={discount_rate!r} must be >= 0.")
    rows = []
    for cohort, p in _sbg_frame(fit).iterrows():
        a, b = float(p["alpha"]), float(p["beta"])
        if discount_rate == 0:
            value = (a + b - 1) / (a - 1) if a > 1 else np.inf
        else:
            value = float(hyp2f1(1.0, b, a + b, 1.0 / (1.0 + discount_rate)))
        rows.append(
            {
                "cohort": cohort,
                "alpha": a,
                "beta": b,
                "discount_rate": discount_rate,
                "expected_lifetime": value,
            }
        )
    return pd.DataFrame(rows)
