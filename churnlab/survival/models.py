"""Lifetime models: Cox proportional hazards and parametric fits.

Weibull, log-normal, log-logistic and exponential; the best by AIC extrapolates.

Public names: ``lifetime_cox``, ``CoxResult``, ``lifetime_parametric``,
``ParametricResult``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from lifelines import (
    CoxPHFitter,
    ExponentialFitter,
    LogLogisticFitter,
    LogNormalFitter,
    WeibullFitter,
)
from lifelines.exceptions import ConvergenceError
from lifelines.statistics import (
    proportional_hazard_test,
)

from churnlab._compat import keyword_only
from churnlab._frames import by_list
from churnlab.errors import ChurnlabWarning, ParameterError
from churnlab.survival._common import (
    _OWN,
    _check_alpha,
    _check_choice,
    _check_lifetimes,
    _continue,
    _groups,
    _km,
    _label,
    _nan_if_inf,
    _p_text,
    _unit_of,
)

_MODELS: dict[str, tuple[str, Callable[[], Any]]] = {
    "weibull": ("Weibull", WeibullFitter),
    "lognormal": ("log-normal", LogNormalFitter),
    "loglogistic": ("log-logistic", LogLogisticFitter),
    "exponential": ("exponential", ExponentialFitter),
}

# --------------------------------------------------------------------------- Cox

if TYPE_CHECKING:  # pragma: no cover
    from churnlab._types import DataLike

__all__ = ["lifetime_cox", "CoxResult", "lifetime_parametric", "ParametricResult"]


@dataclass
class CoxResult:
    """A fitted Cox proportional-hazards model on customer attributes.

    Attributes
    ----------
    hazard_ratios : pandas.DataFrame
        One row per model term: ``term``, ``covariate``, ``level`` (None for a
        numeric covariate), ``reference`` (the baseline level), ``hazard_ratio``,
        ``hazard_ratio_lower``, ``hazard_ratio_upper``, ``p_value``, ``coef``,
        ``se``.
    ph_test : pandas.DataFrame
        The proportional-hazards check per term (lifelines'
        ``proportional_hazard_test``, rank time transform): ``term``,
        ``test_statistic``, ``p_value``, ``ph_holds``, ``verdict``.
    ph_verdict : str
        The check's conclusion in words.
    concordance : float
        Harrell's C: the share of comparable customer pairs whose predicted
        risk orders their lifetimes correctly (0.5 = chance, 1 = perfect).
    customers, churned : int
        Rows used and churns among them.
    covariates : list of str
        Attribute columns in the model.
    notes : list of str
        Covariates left out or rows dropped, and why.
    fitter : lifelines.CoxPHFitter
        The fitted lifelines model itself.
    """

    hazard_ratios: pd.DataFrame
    ph_test: pd.DataFrame
    ph_verdict: str
    concordance: float
    customers: int
    churned: int
    covariates: list[str]
    notes: list[str]
    fitter: CoxPHFitter = field(repr=False)

    def __str__(self) -> str:
        return (
            f"Cox model on {', '.join(self.covariates)}: {self.customers:,} customers, "
            f"{self.churned:,} churned, concordance {self.concordance:.3f}. "
            f"{self.ph_verdict}"
        )


def _usable_covariates(
    frame: pd.DataFrame, max_levels: int
) -> tuple[list[str], list[str]]:
    """Attribute columns a Cox model can use by default, and notes on the rest."""
    use, notes = [], []
    for col in frame.columns:
        if col in _OWN:
            continue
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            notes.append(f"{col} left out: timestamps are not covariates.")
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            if s.nunique(dropna=True) > 1:
                use.append(col)
            else:
                notes.append(f"{col} left out: a single value.")
        else:
            n = s.nunique(dropna=True)
            if 1 < n <= max_levels:
                use.append(col)
            else:
                notes.append(
                    f"{col} left out: {n} distinct values (a categorical covariate "
                    f"needs 2 to {max_levels})."
                )
    return use, notes


def _design(
    frame: pd.DataFrame, covariates: list[str], strata: list[str]
) -> tuple[pd.DataFrame, list[dict[str, Any]], int]:
    """Numeric design matrix: dummies against the most common level."""
    parts = [frame[["tenure", "churned"]].astype({"churned": int})]
    terms: list[dict[str, Any]] = []
    for col in covariates:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s):
            parts.append(s.astype(float).rename(col).to_frame())
            terms.append(
                {"term": col, "covariate": col, "level": True, "reference": False}
            )
        elif pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype(float).to_frame())
            terms.append(
                {"term": col, "covariate": col, "level": None, "reference": None}
            )
        else:
            counts = s.value_counts(dropna=True)
            reference = counts.index[0]
            for level in sorted(counts.index[1:], key=str):
                term = f"{col}={level}"
                dummy = (s == level).astype(float).where(s.notna())
                parts.append(dummy.rename(term).to_frame())
                terms.append(
                    {
                        "term": term,
                        "covariate": col,
                        "level": level,
                        "reference": reference,
                    }
                )
    parts.extend(frame[[c]] for c in strata)
    design = pd.concat(parts, axis=1)
    complete = design.notna().all(axis=1)
    return design.loc[complete], terms, int((~complete).sum())


def _drop_redundant(
    design: pd.DataFrame, terms: list[dict[str, Any]], strata: list[str]
) -> tuple[pd.DataFrame, list[dict[str, Any]], list[str]]:
    """Leave out terms that are linear in earlier ones (and constants).

    The Cox partial likelihood has no intercept and ignores constants, so a
    term equal to ``a + b * (other terms)`` (``OnlineSecurity=No internet
    service`` beside ``InternetService=No``) makes the model unidentifiable.
    """
    kept: list[dict[str, Any]] = []
    dropped: list[str] = []
    basis = np.empty((len(design), 0))
    for term in terms:
        col = design[term["term"]].to_numpy(dtype=float)
        col = col - col.mean()
        trial = np.column_stack([basis, col])
        scale = np.abs(trial).max() or 1.0
        rank = np.linalg.matrix_rank(trial / scale, tol=1e-8 * len(design))
        if rank > basis.shape[1]:
            basis = trial
            kept.append(term)
        else:
            dropped.append(term["term"])
    columns = ["tenure", "churned", *(t["term"] for t in kept), *strata]
    return design[columns], kept, dropped


@keyword_only("covariates", renamed={"data": "data"})
def lifetime_cox(
    data: pd.DataFrame | DataLike,
    *,
    covariates: str | Sequence[str] | None = None,
    strata: str | Sequence[str] | None = None,
    alpha: float = 0.05,
    penalizer: float = 0.0,
    max_levels: int = 20,
) -> CoxResult:
    """Cox proportional hazards on customer attributes, with the PH check.

    Parameters
    ----------
    data : pandas.DataFrame, Dataset or path
        The table :func:`lifetimes` returns (anything else is first passed
        through :func:`lifetimes` with its defaults).
    covariates : str or list of str, optional
        Attribute columns to model. Default: every attribute that is numeric,
        boolean, or text with 2 to ``max_levels`` values (timestamps and ids are
        left out; ``CoxResult.notes`` says which and why).
    strata : str or list of str, optional
        Attributes to stratify on instead of modelling (each stratum gets its own
        baseline hazard): the remedy when an attribute fails the PH check.
    alpha : float, default 0.05
        CIs are ``1 - alpha``; the PH check flags terms with ``p < alpha``.
    penalizer : float, default 0.0
        Passed to ``CoxPHFitter`` (use e.g. 0.01 when the fit does not converge).
    max_levels : int, default 20
        Most distinct values a default text covariate may have.

    Returns
    -------
    CoxResult
        Hazard ratios with CIs, the PH test table and its verdict in words,
        concordance and the lifelines ``CoxPHFitter``.

    Raises
    ------
    ParameterError
        For unknown columns, no usable covariate, or a model lifelines cannot fit
        (the message carries its advice).

    Warns
    -----
    ChurnlabWarning
        With the number of rows dropped for a missing covariate.

    Notes
    -----
    **Definition.** The Cox model says each customer's churn hazard is a shared
    baseline hazard times ``exp(b'x)``: an attribute multiplies the hazard by
    its hazard ratio at every tenure. A hazard ratio of 0.5 for
    ``contract=Two year`` means such customers churn at half the rate of the
    reference level at any given tenure.

    **Formula.** ``h(t | x) = h0(t) * exp(b'x)``; ``hazard_ratio = exp(b)``,
    fitted by lifelines' ``CoxPHFitter`` (partial likelihood, Efron ties).

    **Convention.** A text attribute becomes one indicator per level against
    its most common level (``reference``); booleans are 1 for True; numbers
    enter as they are (ratio per unit). The proportional-hazards assumption
    (ratios constant over tenure) is checked with lifelines'
    ``proportional_hazard_test`` on scaled Schoenfeld residuals with rank time;
    a term with ``p < alpha`` fails it, and the verdict says what to do. With
    thousands of customers the test flags even small departures, so read it
    beside the Kaplan–Meier curves.

    Examples
    --------
    >>> import churnlab as cl
    >>> lt = cl.lifetimes(cl.sample_dataset(), as_of="2026-10-31")
    >>> cox = cl.lifetime_cox(lt, covariates=["segment"])
    >>> cox.hazard_ratios["term"].tolist()
    ['segment=Enterprise', 'segment=Mid-Market']
    >>> bool((cox.hazard_ratios["hazard_ratio"] < 1).all())
    True
    """
    frame, _ = _check_lifetimes(data, None, caller="lifetime_cox")
    alpha = _check_alpha(alpha)
    strata_cols = by_list(strata)
    notes: list[str] = []
    if covariates is None:
        cols, notes = _usable_covariates(frame.drop(columns=strata_cols), max_levels)
    else:
        cols = by_list(covariates)
    for col in cols + strata_cols:
        if col not in frame.columns or col in _OWN:
            options = [c for c in frame.columns if c not in _OWN]
            raise ParameterError(
                f"{col!r} is not an attribute of the lifetimes table; attributes are "
                f"{', '.join(map(str, options)) or 'none'}."
            )
    if not cols:
        raise ParameterError(
            "No usable covariate for a Cox model; pass covariates=[...] naming "
            "attribute columns. " + " ".join(notes)
        )
    design, terms, dropped = _design(frame, cols, strata_cols)
    if dropped:
        warnings.warn(
            f"lifetime_cox: {dropped:,} rows with a missing covariate are left out.",
            ChurnlabWarning,
            stacklevel=2,
        )
        notes.append(f"{dropped:,} rows with a missing covariate left out.")
    design, terms, redundant = _drop_redundant(design, terms, strata_cols)
    if redundant:
        text = "; ".join(redundant)
        warnings.warn(
            f"lifetime_cox: terms left out because they are a linear combination of "
            f"others (the model cannot separate them): {text}.",
            ChurnlabWarning,
            stacklevel=2,
        )
        notes.extend(
            f"{r} left out: a linear combination of other terms." for r in redundant
        )
    cph = CoxPHFitter(alpha=alpha, penalizer=penalizer)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph.fit(
                design,
                duration_col="tenure",
                event_col="churned",
                strata=strata_cols or None,
            )
    except (ConvergenceError, np.linalg.LinAlgError) as err:
        raise ParameterError(
            f"lifelines could not fit the Cox model on {', '.join(cols)}: {err} "
            "Pass fewer covariates or penalizer=0.01."
        ) from err
    hr = _hazard_ratio_table(cph, terms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ph = proportional_hazard_test(cph, design, time_transform="rank")
    numeric = {t["term"] for t in terms if t["level"] is None}
    ph_table, verdict = _ph_table(ph.summary, alpha, len(design), strata_cols, numeric)
    return CoxResult(
        hazard_ratios=hr,
        ph_test=ph_table,
        ph_verdict=verdict,
        concordance=float(cph.concordance_index_),
        customers=len(design),
        churned=int(design["churned"].sum()),
        covariates=cols,
        notes=notes,
        fitter=cph,
    )


def _hazard_ratio_table(cph: CoxPHFitter, terms: list[dict[str, Any]]) -> pd.DataFrame:
    ci = cph.confidence_intervals_
    rows = []
    for term in terms:
        name = term["term"]
        rows.append(
            term
            | {
                "hazard_ratio": float(np.exp(cph.params_[name])),
                "hazard_ratio_lower": float(np.exp(ci.loc[name].iloc[0])),
                "hazard_ratio_upper": float(np.exp(ci.loc[name].iloc[1])),
                "p_value": float(cph.summary.loc[name, "p"]),
                "coef": float(cph.params_[name]),
                "se": float(cph.standard_errors_[name]),
            }
        )
    return pd.DataFrame.from_records(rows)


def _ph_table(
    summary: pd.DataFrame, alpha: float, n: int, strata: list[str], numeric: set[str]
) -> tuple[pd.DataFrame, str]:
    table = pd.DataFrame(
        {
            "term": [str(i) for i in summary.index],
            "test_statistic": summary["test_statistic"].to_numpy(dtype=float),
            "p_value": summary["p"].to_numpy(dtype=float),
        }
    )
    table["ph_holds"] = table["p_value"] >= alpha
    table["verdict"] = [
        f"hazard ratio constant over tenure ({_p_text(p)})"
        if ok
        else f"hazard ratio changes with tenure ({_p_text(p)}): PH violated"
        for p, ok in zip(table["p_value"], table["ph_holds"], strict=True)
    ]
    failing = table.loc[~table["ph_holds"]]
    if failing.empty:
        verdict = (
            "Proportional hazards holds: no covariate's hazard ratio changes "
            f"detectably with tenure (all p >= {alpha:g}), so each ratio applies at "
            "every tenure."
        )
    else:
        names = ", ".join(
            f"{t} ({_p_text(p)})"
            for t, p in zip(failing["term"], failing["p_value"], strict=True)
        )
        covs = sorted({t.split("=")[0] for t in failing["term"] if t not in numeric})
        nums = sorted(t for t in failing["term"] if t in numeric)
        remedies = []
        if covs:
            remedies.append(f"stratify on {', '.join(covs)} (strata=[...])")
        if nums:
            remedies.append(f"bin {', '.join(nums)} (e.g. pd.qcut) and stratify")
        verdict = (
            f"Proportional hazards is violated for {names}: their hazard ratios "
            "change with tenure, so each reported ratio is an average over the "
            f"observed tenures. To model them, {' or '.join(remedies)}; or compare "
            "Kaplan–Meier curves for them instead."
        )
        if n > 2000:
            verdict += (
                f" With {n:,} customers the test detects even small departures; "
                "check the curves before acting."
            )
    if strata:
        verdict += f" Stratified on {', '.join(strata)}."
    return table, verdict


# -------------------------------------------------------------------- parametric


@dataclass
class ParametricResult:
    """Parametric lifetime models per group, the best by AIC used to extrapolate.

    Attributes
    ----------
    models : pandas.DataFrame
        One row per group and model: the ``by`` columns, ``model``,
        ``parameters``, ``log_likelihood``, ``aic``, ``delta_aic`` (vs the best),
        ``selected``, ``observed_until`` (longest tenure seen), ``median_lifetime``
        (the model's median) and ``median_is_extrapolation`` (beyond
        ``observed_until``).
    curves : pandas.DataFrame
        The selected model's survival per group on a grid up to ``horizon``:
        the ``by`` columns, ``tenure``, ``survival``, ``ci_lower``, ``ci_upper``,
        ``continuation`` (from the longest observed tenure T on, the Kaplan–Meier
        value at T carried on by the model: ``S_km(T) * S(t) / S(T)``; NaN
        before T), ``model``, ``extrapolation`` (True beyond T).
    fitters : dict
        Group key (as in :attr:`CustomerLifetime.fitters_`) to the selected
        fitted lifelines model.
    selected : dict
        Group key to the selected model's name.
    horizon : float
        Largest tenure of ``curves``.
    note : str
        How zero tenures were handled.
    """

    models: pd.DataFrame
    curves: pd.DataFrame
    fitters: dict[Any, Any]
    selected: dict[Any, str]
    horizon: float
    note: str


@keyword_only("by", renamed={"data": "data"})
def lifetime_parametric(
    data: pd.DataFrame | DataLike,
    *,
    by: str | Sequence[str] | None = None,
    models: Sequence[str] = ("weibull", "lognormal", "loglogistic", "exponential"),
    horizon: float | None = None,
    alpha: float = 0.05,
) -> ParametricResult:
    """Fit parametric lifetime models per group; extrapolate with the best by AIC.

    Parameters
    ----------
    data : pandas.DataFrame, Dataset or path
        The table :func:`lifetimes` returns (anything else is first passed
        through :func:`lifetimes` with its defaults).
    by : str or list of str, optional
        Attribute column(s) to fit separately.
    models : sequence of str
        Any of ``"weibull"``, ``"lognormal"``, ``"loglogistic"``,
        ``"exponential"`` (lifelines' ``WeibullFitter``, ``LogNormalFitter``,
        ``LogLogisticFitter``, ``ExponentialFitter``).
    horizon : float, optional
        Extrapolate the curves to this tenure (default: twice the longest
        observed tenure).
    alpha : float, default 0.05
        Width of the curves' confidence bands.

    Returns
    -------
    ParametricResult
        ``models`` (AIC comparison), ``curves`` (flagged ``extrapolation``),
        ``fitters``.

    Notes
    -----
    **Definition.** A parametric model assumes a shape for the lifetime
    distribution (Weibull: hazard rising or falling as a power of tenure;
    log-normal and log-logistic: hazard rising then falling; exponential:
    constant hazard) and fits its parameters by maximum likelihood, censoring
    included. Unlike Kaplan–Meier it gives S(t) beyond the longest observed
    tenure.

    **Formula.** ``AIC = 2 * parameters - 2 * log_likelihood``; the model with
    the lowest AIC per group is selected (``delta_aic = aic - min(aic)``; a
    difference under 2 is no real preference).

    **Convention.** Everything beyond the longest observed tenure is an
    extrapolation: it rests on the assumed shape, not on data, and is flagged
    (``extrapolation``, ``median_is_extrapolation``) wherever shown. The
    models need positive tenures: a tenure of 0 is set to half the smallest
    positive tenure in the table (the middle of the first unit when tenures
    are whole units); ``note`` says how many. Models that fail to converge are
    reported with NaN AIC.

    Examples
    --------
    >>> import churnlab as cl
    >>> lt = cl.lifetimes(cl.sample_dataset(), as_of="2026-10-31",
    ...                   reactivation="first")
    >>> fit = cl.lifetime_parametric(lt, by="segment")
    >>> sorted(fit.models["model"].unique())
    ['Weibull', 'exponential', 'log-logistic', 'log-normal']
    >>> bool(fit.curves["extrapolation"].any())
    True
    """
    frame, cols = _check_lifetimes(data, by, caller="lifetime_parametric")
    alpha = _check_alpha(alpha)
    names = [models] if isinstance(models, str) else list(models)
    for name in names:
        _check_choice("models", name, tuple(_MODELS))
    if not names:
        raise ParameterError("models= must name at least one model, e.g. 'weibull'.")
    positive = frame.loc[frame["tenure"] > 0, "tenure"]
    if positive.empty:
        raise ParameterError("Every tenure is 0; there is no lifetime to model.")
    fill = float(positive.min()) / 2
    n_zero = int((frame["tenure"] == 0).sum())
    frame = frame.assign(tenure=frame["tenure"].where(frame["tenure"] > 0, fill))
    top = float(frame["tenure"].max())
    horizon = 2 * top if horizon is None else float(horizon)
    if not horizon > 0:
        raise ParameterError(f"horizon={horizon!r} must be a positive tenure.")
    unit = _unit_of(data)
    model_rows, curves, fitters, selected = [], [], {}, {}
    for key, values, rows in _groups(frame, cols):
        tenure, event = rows["tenure"].to_numpy(), rows["churned"].to_numpy()
        until = float(tenure.max())
        grid = np.unique(np.r_[np.linspace(0, horizon, 241), until])
        fitted = []
        for name in names:
            label, factory = _MODELS[name]
            model = factory()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(tenure, event, timeline=grid, alpha=alpha, label=label)
                fitted.append((label, model, float(model.AIC_)))
            except (ConvergenceError, ValueError, np.linalg.LinAlgError):
                fitted.append((label, None, float("nan")))
        aics = [a for _l, _m, a in fitted if not np.isnan(a)]
        if not aics:
            raise ParameterError(
                f"No parametric model converged for {_label(values)}; too few "
                "churns to fit a lifetime distribution."
            )
        best_aic = min(aics)
        best_label, best = next((lab, m) for lab, m, a in fitted if a == best_aic)
        keys = dict(zip(cols, values, strict=True))
        for label, model, aic in fitted:
            median = (
                _nan_if_inf(float(model.median_survival_time_))
                if model is not None
                else float("nan")
            )
            model_rows.append(
                keys
                | {
                    "model": label,
                    "parameters": 0 if model is None else len(model.params_),
                    "log_likelihood": float("nan")
                    if model is None
                    else float(model.log_likelihood_),
                    "aic": aic,
                    "delta_aic": aic - best_aic,
                    "selected": label == best_label,
                    "observed_until": until,
                    "median_lifetime": median,
                    "median_is_extrapolation": bool(median > until)
                    if not np.isnan(median)
                    else True,
                }
            )
        band = best.confidence_interval_survival_function_
        s_end = float(_km(rows, _label(values), alpha).predict(until))
        beyond = grid >= until
        continuation = np.full(len(grid), np.nan)
        continuation[beyond] = _continue(best, s_end, until, grid[beyond])
        curve = pd.DataFrame(
            {
                "tenure": grid,
                "survival": best.survival_function_at_times(grid).to_numpy(),
                "ci_lower": band.iloc[:, 0].clip(0, 1).to_numpy(),
                "ci_upper": band.iloc[:, 1].clip(0, 1).to_numpy(),
                "continuation": continuation,
                "model": best_label,
                "extrapolation": grid > until,
            }
        )
        for col, value in reversed(list(keys.items())):
            curve.insert(0, col, value)
        curves.append(curve)
        fitters[key] = best
        selected[key] = best_label
    note = (
        f"{n_zero:,} tenure(s) of 0 set to {fill:g} {unit} (half the smallest "
        "positive tenure) for the parametric fits."
        if n_zero
        else "No zero tenures."
    )
    out_curves = pd.concat(curves, ignore_index=True)
    out_curves.attrs.update(unit=unit)
    return ParametricResult(
        models=pd.DataFrame.from_records(model_rows),
        curves=out_curves,
        fitters=fitters,
        selected=selected,
        horizon=horizon,
        note=note,
    )
