"""Customer lifetime with survival analysis: censoring-aware lifetimes on lifelines.

Public names: ``UNITS``, ``lifetimes``, ``lifetime_summary``, ``lifetime_hazard``,
``lifetime_logrank``, ``lifetime_cox``, ``lifetime_parametric``, ``survival_ltv``,
``CustomerLifetime``, ``CoxResult``, ``ParametricResult``.

"Average customer lifetime" is usually computed wrongly: averaging the tenure of
churned customers ignores everyone still active, who by definition have the
longest lifetimes. Survival analysis treats an active customer's tenure as
*right-censored* (the lifetime is at least this long) and estimates the
survival curve S(t), the share of customers still customers t units after they
started. Everything here is read off S(t):

* :func:`lifetimes` builds one row per customer (``tenure``, ``churned``) with
  the engine: subscriptions and orders go through :mod:`churnlab.states`, so a
  "churned" customer here is churned by the same rule as in every other metric;
  a durations table (tenure + churn flag, e.g. a telco export) passes through.
* :func:`lifetime_summary` fits lifelines' ``KaplanMeierFitter`` per group:
  median lifetime with its confidence interval ("not reached" when fewer than
  half have churned), survival at horizons, restricted mean survival time
  (RMST), and beside it the simple ``1 / churn rate`` lifetime.
* :func:`lifetime_hazard` gives churn per period of tenure (a life table);
  :func:`lifetime_logrank` tests whether segments differ.
* :func:`lifetime_cox` fits lifelines' ``CoxPHFitter`` on customer attributes:
  hazard ratios, the proportional-hazards check with a verdict in words,
  concordance.
* :func:`lifetime_parametric` fits Weibull, log-normal, log-logistic and
  exponential models and keeps the best by AIC to extrapolate beyond the
  observed tenure; every extrapolated value is flagged.
* :func:`survival_ltv` is the survival-based LTV,
  ``sum_t S(t) * ARPA * margin * discount^t``, beside the simple
  ``ARPA * margin / churn rate``.
* :class:`CustomerLifetime` wraps one fit for several outputs
  (``summary_``, ``survival_``, ``hazard_``, ``logrank_``, ``fitters_``,
  ``plot(ax=)``), as lifelines' fitters do.

Estimators are lifelines'; this module builds their input and reads their
output into tidy tables.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis import _
from lifelines import (
    CoxPHFitter,
    ExponentialFitter,
    KaplanMeierFitter,
    LogLogisticFitter,
    LogNormalFitter,
    WeibullFitter,
)
from lifelines.exceptions import ConvergenceError
from lifelines.statistics import (
    multivariate_logrank_test,
    pairwise_logrank_test,
    proportional_hazard_test,
)
from lifelines.utils import median_survival_times, restricted_mean_survival_time

from churnlab import contract, engine, periods, states
from churnlab._docs import share_docs
from churnlab.contract import Dataset
from churnlab.errors import ChurnlabWarning, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "UNITS",
    "lifetimes",
    "lifetime_summary",
    "lifetime_hazard",
    "lifetime_logrank",
    "lifetime_cox",
    "lifetime_parametric",
    "survival_ltv",
    "CustomerLifetime",
    "CoxResult",
    "ParametricResult",
]

#: Tenure units and their length in days. A month is the average Gregorian
#: month, 365.25 / 12 = 30.4375 days, so tenures in months are comparable
#: whatever calendar months a customer lived through.
UNITS: dict[str, float] = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}

_PER_YEAR = {unit: 365.25 / days for unit, days in UNITS.items()}
_SOURCES = ("subscriptions", "orders", "durations")
_REACTIVATION = ("span", "first", "spells")
#: Columns lifetimes() adds; attributes may not reuse them.
_OWN = ("customer_id", "spell", "tenure", "churned", "start", "churned_at", "spells")
_DEFAULT_INACTIVITY_DAYS = 90

_MODELS: dict[str, tuple[str, Callable[[], Any]]] = {
    "weibull": ("Weibull", WeibullFitter),
    "lognormal": ("log-normal", LogNormalFitter),
    "loglogistic": ("log-logistic", LogLogisticFitter),
    "exponential": ("exponential", ExponentialFitter),
}


# ---------------------------------------------------------------------- lifetimes


def _check_choice(name: str, value: object, options: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ParameterError(f"{name}={value!r} is not valid; use one of {listed}.")
    return value


def _columns_of(data: Any, columns: Mapping[str, str] | None) -> list[str]:
    """Column names of a single-table input, after the ``columns=`` mapping."""
    if isinstance(data, pd.DataFrame | ir.Table):
        names = list(data.columns)
    else:
        names = list(engine.to_table(data).columns)
    mapping = dict(columns or {})
    return [mapping.get(c, c) for c in names]


def _source_dataset(
    data: Any,
    source: str | None,
    inactivity_days: int | None,
    columns: Mapping[str, str] | None,
) -> tuple[Dataset, str]:
    """Pick the table lifetimes are built from and return it as a Dataset."""
    if source is not None:
        _check_choice("source", source, _SOURCES)
    if isinstance(data, Dataset):
        if columns is not None:
            raise ParameterError(
                "columns= maps the names of a single table; a Dataset is already "
                "mapped. Pass the mapping to load_dataset(..., columns=...) instead."
            )
        if source is None:
            if data.subscriptions is not None and inactivity_days is None:
                source = "subscriptions"
            elif data.orders is not None:
                source = "orders"
            elif data.durations is not None:
                source = "durations"
            else:
                source = "subscriptions"
        data.table(source)  # a ContractError naming the missing table
        return data, source
    if source is None:
        names = set(_columns_of(data, columns))
        if {"tenure", "churned"} <= names:
            source = "durations"
        elif "ordered_at" in names:
            source = "orders"
        elif "start" in names:
            source = "subscriptions"
        else:
            raise ParameterError(
                "Cannot tell which table this is (columns: "
                f"{', '.join(sorted(names))}); pass source='subscriptions', "
                "'orders' or 'durations', and columns= to map your column names."
            )
    return contract.as_dataset(data, source, columns=columns), source


def _attribute_table(
    ds: Dataset, attributes: str | Sequence[str] | None, own: Sequence[str]
) -> ir.Table | None:
    """The customers' attribute columns to join, checked against ``own`` names."""
    if ds.customers is None:
        if attributes:
            states.attributes(ds, attributes)  # raises: no customers table
        return None
    if attributes is None:
        cols = [c for c in ds.customers.columns if c != "customer_id"]
        clash = [c for c in cols if c in own]
        if clash:
            warnings.warn(
                f"lifetimes: customer attribute(s) {', '.join(clash)} share a name "
                "with a lifetimes column and are left out; rename them to use them.",
                ChurnlabWarning,
                stacklevel=3,
            )
            cols = [c for c in cols if c not in clash]
    else:
        cols, _table = states.attributes(ds, attributes)
        clash = [c for c in cols if c in own]
        if clash:
            raise ParameterError(
                f"attribute {clash[0]!r} has the name of a lifetimes column; rename "
                "it in the customers table."
            )
    if not cols:
        return None
    return ds.customers.select("customer_id", *cols)


def _known_spells(spans: ir.Table, cutoff: pd.Timestamp) -> ir.Table:
    """Merge activity intervals known at ``cutoff`` into spells, ends capped.

    An interval is known when it started before the cutoff. Its end is capped at
    the cutoff when it is open or ends at or after it (the customer is active at
    the cutoff then, by the state rule ``end >= t``). Intervals that overlap or
    touch (``start <= `` the furthest end so far) form one spell: a plan change
    on the day the old subscription ends is no churn.
    """
    cut = ibis.literal(cutoff, "timestamp")
    known = spans.filter(_.start < cut).select(
        "customer_id",
        "start",
        end=ibis.cases((_.end.isnull() | (_.end >= cut), cut), else_=_.end),
    )
    order = ["start", "end"]
    running = ibis.window(
        group_by="customer_id", order_by=order, preceding=None, following=0
    )
    w = ibis.window(group_by="customer_id", order_by=order)
    reach = known.mutate(reach=_.end.max().over(running))
    flagged = reach.mutate(prev_reach=_.reach.lag().over(w)).mutate(
        new_spell=(_.prev_reach.isnull() | (_.start > _.prev_reach)).cast("int64")
    )
    numbered = flagged.mutate(spell=_.new_spell.sum().over(running))
    return numbered.group_by(["customer_id", "spell"]).agg(
        start=_.start.min(), end=_.end.max()
    )


def _lifetime_rows(
    spans: ir.Table,
    *,
    cutoff: pd.Timestamp,
    reactivation: str,
    customers: ir.Table | None,
) -> ir.Table:
    """Per customer (or spell): start, end (capped at the cutoff), spells; attributes.

    Every customer with an interval appears; those whose first interval starts
    at or after the cutoff come back with a null ``start`` (excluded later, and
    counted).
    """
    seen = spans.group_by("customer_id").agg(first_seen=_.start.min())
    spells = _known_spells(spans, cutoff)
    if reactivation == "spells":
        per = spells.select("customer_id", "spell", "start", "end")
    else:
        counts = spells.group_by("customer_id").agg(
            first_start=_.start.min(), last_end=_.end.max(), spells=_.count()
        )
        if reactivation == "span":
            per = counts.select(
                "customer_id", start="first_start", end="last_end", spells="spells"
            )
        else:  # first
            first = spells.filter(_.spell == 1).select("customer_id", "start", "end")
            per = first.join(counts.select("customer_id", "spells"), "customer_id")
    out = seen.left_join(per, "customer_id").drop("customer_id_right", "first_seen")
    if customers is not None:
        out = out.left_join(customers, "customer_id").drop("customer_id_right")
    return out


@share_docs
def lifetimes(
    data: Any,
    as_of: Any = None,
    *,
    unit: str = "months",
    source: str | None = None,
    reactivation: str = "span",
    inactivity_days: int | None = None,
    attributes: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per customer: tenure, whether they churned, and their attributes.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (``customer_id, start, mrr, end``), orders
        (``customer_id, ordered_at, amount``) or a durations table
        (``customer_id, tenure, churned`` plus covariates), or a Dataset holding
        one of them (and optionally ``customers`` for attributes).
    {as_of}
        Customers active at the end of this day are censored at its end. Not
        used for a durations table (it has no dates).
    unit : {{"days", "weeks", "months"}}, default "months"
        Unit of ``tenure``. A month is 30.4375 days (365.25 / 12). A durations
        table's tenure is taken to be in this unit already (not converted).
    source : {{"subscriptions", "orders", "durations"}}, optional
        Which table to build from. Default: for a Dataset, subscriptions if
        present (and ``inactivity_days`` not given), else orders, else
        durations; for a single table, guessed from its columns.
    reactivation : {{"span", "first", "spells"}}, default "span"
        How a customer who churns and comes back counts; see Notes.
    {inactivity_days}
        Used only when lifetimes come from orders.
    attributes : str or list of str, optional
        Columns of the customers table to add (default: all of them, when the
        Dataset holds a customers table). A durations table keeps all its own
        columns.
    columns : mapping, optional
        Your column names to the canonical ones for a single-table input, e.g.
        ``{{"customerID": "customer_id", "Churn": "churned"}}``.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` first (and ``spell`` with ``reactivation="spells"``), then
        ``tenure`` (float, in ``unit``), ``churned`` (bool), and for dated
        sources ``start`` (first activity), ``churned_at`` (the churn instant,
        NaT when censored) and ``spells`` (activity spells up to the as-of
        date); then the attributes. Sorted by ``customer_id``. ``attrs`` holds
        ``unit``, ``as_of``, ``source``, ``reactivation``, ``inactivity_days``
        and ``excluded_after_as_of``.

    Raises
    ------
    ParameterError
        For an unknown ``unit``, ``source`` or ``reactivation``, a bad
        ``as_of`` or an unknown attribute.
    ContractError
        If the table breaks the data contract.

    Warns
    -----
    ChurnlabWarning
        With the number of customers excluded because they start after the
        as-of date.

    Notes
    -----
    **Definition.** A customer's lifetime runs from their first activity to the
    instant they churn: the end of their last activity interval, when that end
    is before the as-of cutoff (the midnight after ``as_of``). A customer still
    active at the cutoff has not churned yet: their tenure is *right-censored*
    at the cutoff (``churned`` is False and the lifetime is at least
    ``tenure``). Activity follows :mod:`churnlab.states`: a subscription is
    active while ``start < t <= end``; an ordering customer while their last
    purchase is at most ``inactivity_days`` old, so they churn when that window
    runs out (``last order + W``).

    **Formula.** ``tenure = (min(end, cutoff) - start) / unit`` where ``end`` is
    the end of the last activity spell known at the cutoff and ``start`` the
    first activity; ``churned = end < cutoff``.

    **Convention.** Intervals that overlap or touch form one *spell* (a plan
    change is no churn). Reactivation, a customer who churns and later starts
    a new spell, counts by ``reactivation``: ``"span"`` (default) measures from
    the first start to the final churn, gaps included, so the customer
    churns once, when their last spell ends (``spells`` counts the spells);
    ``"first"`` stops at the first churn, ignoring comebacks (the time to first
    churn); ``"spells"`` gives each spell its own row (``spell`` = 1, 2, ...),
    for churn-to-churn analyses, noting that a customer's spells are not
    independent. Intervals starting after the cutoff are unknown at the as-of
    date and ignored; a customer whose first activity is after it is excluded
    and counted in a warning. Ends after the cutoff (scheduled cancellations)
    are censored at the cutoff.

    Examples
    --------
    >>> import churnlab as cl
    >>> lt = cl.lifetimes(cl.sample_dataset(), as_of="2026-10-31")
    >>> lt.columns[:6].tolist()
    ['customer_id', 'tenure', 'churned', 'start', 'churned_at', 'spells']
    >>> int(len(lt)), int(lt["churned"].sum())
    (3949, 1219)
    """
    unit = _check_choice("unit", unit, tuple(UNITS))
    reactivation = _check_choice("reactivation", reactivation, _REACTIVATION)
    if as_of is not None:
        periods.parse_date(as_of)  # a bad date fails before any query runs
    ds, source = _source_dataset(data, source, inactivity_days, columns)
    if source == "durations":
        return _durations(ds, as_of=as_of, unit=unit, attributes=attributes)
    latest = ds.latest(source)
    as_of_day = periods.resolve_as_of(as_of, latest=latest, freq="M")
    cut = periods.cutoff(as_of_day)
    window = None
    if source == "subscriptions":
        spans = states.subscription_intervals(ds.subscriptions)
    else:
        window = inactivity_days
        if window is None:
            window = _DEFAULT_INACTIVITY_DAYS
        spans = states.order_intervals(contract.purchases(ds), inactivity_days=window)
    customers = _attribute_table(ds, attributes, _OWN)
    expr = _lifetime_rows(
        spans, cutoff=cut, reactivation=reactivation, customers=customers
    )
    rows = engine.execute(expr)
    excluded = rows["start"].isna()
    n_excluded = int(rows.loc[excluded, "customer_id"].nunique())
    if n_excluded:
        warnings.warn(
            f"lifetimes: {n_excluded:,} customer(s) start after as_of="
            f"{as_of_day:%Y-%m-%d} and are excluded (their lifetime had not begun).",
            ChurnlabWarning,
            stacklevel=2,
        )
    rows = rows.loc[~excluded]
    keys = ["customer_id", "spell"] if reactivation == "spells" else ["customer_id"]
    rows = rows.sort_values(keys, kind="stable").reset_index(drop=True)
    churned = rows["end"] < cut
    out = pd.DataFrame({"customer_id": rows["customer_id"].astype(str)})
    if reactivation == "spells":
        out["spell"] = rows["spell"].astype("int64")
    out["tenure"] = (rows["end"] - rows["start"]) / pd.Timedelta(days=UNITS[unit])
    out["churned"] = churned.astype(bool)
    out["start"] = rows["start"]
    out["churned_at"] = rows["end"].where(churned)
    if reactivation != "spells":
        out["spells"] = rows["spells"].astype("int64")
    if customers is not None:
        for col in customers.columns[1:]:
            out[col] = rows[col].to_numpy()
    out.attrs.update(
        unit=unit,
        as_of=as_of_day,
        source=source,
        reactivation=reactivation,
        inactivity_days=window,
        excluded_after_as_of=n_excluded,
    )
    return out


def _durations(
    ds: Dataset, *, as_of: Any, unit: str, attributes: str | Sequence[str] | None
) -> pd.DataFrame:
    """A durations table passed through, with customer attributes joined."""
    table = ds.durations
    own = tuple(table.columns)
    customers = _attribute_table(ds, attributes, own)
    if customers is not None:
        table = table.left_join(customers, "customer_id").drop("customer_id_right")
    out = engine.execute(table)
    out = out.sort_values("customer_id", kind="stable").reset_index(drop=True)
    out["customer_id"] = out["customer_id"].astype(str)
    out["tenure"] = out["tenure"].astype(float)
    out["churned"] = out["churned"].astype(bool)
    rest = [c for c in out.columns if c not in ("customer_id", "tenure", "churned")]
    out = out[["customer_id", "tenure", "churned", *rest]]
    out.attrs.update(
        unit=unit,
        as_of=None if as_of is None else periods.parse_date(as_of),
        source="durations",
        reactivation=None,
        inactivity_days=None,
        excluded_after_as_of=0,
    )
    return out


# ------------------------------------------------------------- checks and groups


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _check_lifetimes(
    lifetimes_df: Any, by: str | Sequence[str] | None, *, caller: str
) -> tuple[pd.DataFrame, list[str]]:
    """Validate a lifetimes table; return it (churned as bool) and the by list."""
    if not isinstance(lifetimes_df, pd.DataFrame) or not {"tenure", "churned"} <= set(
        lifetimes_df.columns
    ):
        what = (
            f"a DataFrame with columns {', '.join(map(str, lifetimes_df.columns))}"
            if isinstance(lifetimes_df, pd.DataFrame)
            else f"a {type(lifetimes_df).__name__}"
        )
        raise ParameterError(
            f"{caller} takes the table churnlab.lifetimes() returns (columns tenure "
            f"and churned), not {what}. Build it first: "
            "lt = cl.lifetimes(data, as_of=...)."
        )
    cols = _by_list(by)
    missing = [c for c in cols if c not in lifetimes_df.columns]
    if missing:
        options = [c for c in lifetimes_df.columns if c not in _OWN]
        raise ParameterError(
            f"by={missing[0]!r} is not a column of the lifetimes table; attributes "
            f"are {', '.join(map(str, options)) or 'none'}."
        )
    tenure = pd.to_numeric(lifetimes_df["tenure"], errors="coerce")
    bad = tenure.isna() | (tenure < 0) | ~np.isfinite(tenure.fillna(0))
    if bad.any():
        raise ParameterError(
            f"tenure must be a number >= 0 in every row; {int(bad.sum()):,} rows are "
            "not (missing, negative or infinite)."
        )
    churned = lifetimes_df["churned"]
    if churned.dtype != bool:
        if churned.isna().any() or not churned.isin([0, 1, True, False]).all():
            raise ParameterError(
                "churned must be True/False (or 1/0) in every row; map it first, "
                "e.g. df['churned'] = df['Churn'].eq('Yes')."
            )
    frame = lifetimes_df.assign(
        tenure=tenure.astype(float), churned=churned.astype(bool)
    )
    frame.attrs = dict(lifetimes_df.attrs)
    return frame, cols


def _unit_of(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("unit") or "units")


def _groups(
    frame: pd.DataFrame, cols: list[str]
) -> Iterator[tuple[Any, tuple[Any, ...], pd.DataFrame]]:
    """(fitter key, key values, rows) per group; key "all" without groups."""
    if not cols:
        yield "all", (), frame
        return
    grouped = frame.groupby(cols, dropna=False, sort=True, observed=True)
    for values, rows in grouped:
        values = values if isinstance(values, tuple) else (values,)
        key = values[0] if len(cols) == 1 else values
        yield key, values, rows


def _label(values: tuple[Any, ...]) -> str:
    if not values:
        return "all customers"
    return " / ".join("(missing)" if pd.isna(v) else str(v) for v in values)


def _km(rows: pd.DataFrame, label: str, alpha: float) -> KaplanMeierFitter:
    return KaplanMeierFitter(alpha=alpha, label=label).fit(
        rows["tenure"].to_numpy(), rows["churned"].to_numpy(), label=label
    )


def _nan_if_inf(x: float) -> float:
    return float("nan") if not np.isfinite(x) else float(x)


def _check_alpha(alpha: float) -> float:
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r} must be between 0 and 1, e.g. 0.05.")
    return float(alpha)


def _check_horizons(horizons: Any) -> list[float]:
    values = [horizons] if isinstance(horizons, int | float) else list(horizons)
    if not values or any(
        isinstance(h, bool) or not isinstance(h, int | float) or h <= 0 for h in values
    ):
        raise ParameterError(
            f"horizons={horizons!r} must be positive tenures in the lifetimes' unit, "
            "e.g. (12, 24)."
        )
    return values


def _horizon_name(h: float) -> str:
    return f"{h:g}".replace(".", "_")


def _known_until(kmf: KaplanMeierFitter, tenure: np.ndarray) -> float:
    """Largest tenure at which the KM curve is defined (inf once it reaches 0)."""
    last = float(kmf.survival_function_.iloc[-1, 0])
    return math.inf if last == 0 else float(tenure.max())


def _at(series_or_frame: pd.Series | pd.DataFrame, t: float) -> Any:
    """Value of a right-continuous step function (indexed by time) at ``t``."""
    return series_or_frame.loc[series_or_frame.index <= t].iloc[-1]


# --------------------------------------------------------------- summary (KM)


def _summary_row(
    rows: pd.DataFrame,
    kmf: KaplanMeierFitter,
    horizons: list[float],
    unit: str,
    alpha: float,
) -> dict[str, Any]:
    tenure = rows["tenure"].to_numpy()
    churned = int(rows["churned"].sum())
    until = _known_until(kmf, tenure)
    median = _nan_if_inf(kmf.median_survival_time_)
    ci = median_survival_times(kmf.confidence_interval_)
    lower, upper = (_nan_if_inf(v) for v in ci.iloc[0, :2])
    level = f"{1 - alpha:.0%}"
    if np.isnan(median):
        s_last = float(kmf.survival_function_.iloc[-1, 0])
        text = (
            f"not reached ({s_last:.0%} still customers at {tenure.max():.1f} {unit})"
        )
    else:
        up = "not reached" if np.isnan(upper) else f"{upper:.1f}"
        text = f"{median:.1f} {unit} ({level} CI {lower:.1f}–{up})"
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
    return out


def lifetime_summary(
    lifetimes_df: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    horizons: Sequence[float] = (12, 24),
    *,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Median lifetime, survival at horizons and RMST per group, from Kaplan–Meier.

    Parameters
    ----------
    lifetimes_df : pandas.DataFrame
        The table :func:`lifetimes` returns (``tenure``, ``churned`` and
        attributes), or any frame with those two columns.
    by : str or list of str, optional
        Attribute column(s) of ``lifetimes_df`` to break the result down by; one
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
        If ``lifetimes_df`` lacks ``tenure``/``churned``, ``by`` is not one of
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
    frame, cols = _check_lifetimes(lifetimes_df, by, caller="lifetime_summary")
    horizons = _check_horizons(horizons)
    alpha = _check_alpha(alpha)
    unit = _unit_of(frame)
    records = []
    for _key, values, rows in _groups(frame, cols):
        kmf = _km(rows, _label(values), alpha)
        records.append(
            dict(zip(cols, values, strict=True))
            | _summary_row(rows, kmf, horizons, unit, alpha)
        )
    out = pd.DataFrame.from_records(records)
    out.attrs.update(unit=unit, alpha=alpha, labels=_summary_labels(horizons, unit))
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


def lifetime_hazard(
    lifetimes_df: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    width: float = 1.0,
) -> pd.DataFrame:
    """Churn hazard per period of tenure (a life table), per group.

    Parameters
    ----------
    lifetimes_df : pandas.DataFrame
        The table :func:`lifetimes` returns.
    by : str or list of str, optional
        Attribute column(s) of ``lifetimes_df`` to break the result down by.
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
    frame, cols = _check_lifetimes(lifetimes_df, by, caller="lifetime_hazard")
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


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def lifetime_logrank(
    lifetimes_df: pd.DataFrame,
    by: str | Sequence[str],
    *,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Log-rank tests of whether lifetimes differ between groups.

    Parameters
    ----------
    lifetimes_df : pandas.DataFrame
        The table :func:`lifetimes` returns.
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
    frame, cols = _check_lifetimes(lifetimes_df, by, caller="lifetime_logrank")
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


# --------------------------------------------------------------------------- Cox


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


def lifetime_cox(
    lifetimes_df: pd.DataFrame,
    covariates: str | Sequence[str] | None = None,
    *,
    strata: str | Sequence[str] | None = None,
    alpha: float = 0.05,
    penalizer: float = 0.0,
    max_levels: int = 20,
) -> CoxResult:
    """Cox proportional hazards on customer attributes, with the PH check.

    Parameters
    ----------
    lifetimes_df : pandas.DataFrame
        The table :func:`lifetimes` returns.
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
    >>> cox = cl.lifetime_cox(lt, ["segment"])
    >>> cox.hazard_ratios["term"].tolist()
    ['segment=Enterprise', 'segment=Mid-Market']
    >>> bool((cox.hazard_ratios["hazard_ratio"] < 1).all())
    True
    """
    frame, _ = _check_lifetimes(lifetimes_df, None, caller="lifetime_cox")
    alpha = _check_alpha(alpha)
    strata_cols = _by_list(strata)
    notes: list[str] = []
    if covariates is None:
        cols, notes = _usable_covariates(frame.drop(columns=strata_cols), max_levels)
    else:
        cols = _by_list(covariates)
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


def lifetime_parametric(
    lifetimes_df: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    models: Sequence[str] = ("weibull", "lognormal", "loglogistic", "exponential"),
    horizon: float | None = None,
    alpha: float = 0.05,
) -> ParametricResult:
    """Fit parametric lifetime models per group; extrapolate with the best by AIC.

    Parameters
    ----------
    lifetimes_df : pandas.DataFrame
        The table :func:`lifetimes` returns.
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
    frame, cols = _check_lifetimes(lifetimes_df, by, caller="lifetime_parametric")
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
    unit = _unit_of(lifetimes_df)
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


# --------------------------------------------------------------------------- LTV


def _continue(model: Any, s_end: float, until: float, t: np.ndarray) -> np.ndarray:
    """Kaplan–Meier's S(T) carried past T by a model: ``S(T) * S_m(t) / S_m(T)``."""
    m_end = float(model.survival_function_at_times(until).iloc[0])
    if m_end <= 0:
        return np.zeros(len(t))
    return s_end * model.survival_function_at_times(t).to_numpy() / m_end


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


def survival_ltv(
    lifetimes_df: pd.DataFrame,
    arpa: float | Mapping[Any, float] | pd.Series,
    *,
    by: str | Sequence[str] | None = None,
    margin: float = 1.0,
    discount_rate: float = 0.0,
    horizon: float | None = None,
    extrapolate: bool = True,
    models: Sequence[str] = ("weibull", "lognormal", "loglogistic", "exponential"),
) -> pd.DataFrame:
    """Survival-based customer lifetime value beside the simple formula.

    Parameters
    ----------
    lifetimes_df : pandas.DataFrame
        The table :func:`lifetimes` returns.
    arpa : float, mapping or Series
        Average revenue per account per tenure unit (per month for monthly
        tenure): one number, or one per group keyed by the group value (or its
        label ``"a / b"`` for several ``by`` columns).
    by : str or list of str, optional
        Attribute column(s) to compute LTV for separately.
    margin : float, default 1.0
        Gross margin as a fraction (0.8 = 80%); a mapping per group also works.
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
    models : sequence of str
        Candidate models for the extrapolation.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``customers``, ``churned``,
        ``exposure``, ``churn_rate``, ``arpa``, ``margin``, ``ltv_simple``,
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
    S(t) * arpa * margin * d^t`` with ``d = (1 + discount_rate)^(-1/periods per
    year)``; ``ltv_simple = arpa * margin / churn_rate`` with
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
    >>> v = cl.survival_ltv(lt, 100.0, by="segment", margin=0.8, discount_rate=0.1)
    >>> v.columns[:8].tolist()
    ['segment', 'customers', 'churned', 'exposure', 'churn_rate', 'arpa', 'margin',
     'ltv_simple']
    >>> bool((v["ltv_survival"] < v["ltv_simple"]).all())
    True
    """
    frame, cols = _check_lifetimes(lifetimes_df, by, caller="survival_ltv")
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
        g_margin = _per_group(margin, "margin", key, label)
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
                "margin": g_margin,
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


# ------------------------------------------------------------------------ fitter


class CustomerLifetime:
    """Kaplan–Meier customer lifetimes by segment, fitted once for many outputs.

    Parameters
    ----------
    alpha : float, default 0.05
        Confidence intervals are ``1 - alpha`` (95%).
    horizons : sequence of float, default (12, 24)
        Tenures (in the lifetimes' unit) at which ``summary_`` reads survival;
        RMST is restricted to the largest.

    Attributes
    ----------
    lifetimes_ : pandas.DataFrame
        The per-customer table fitted (:func:`lifetimes`).
    by_ : list of str
        The grouping columns.
    unit_ : str
        Tenure unit.
    as_of_ : pandas.Timestamp or None
        The as-of date the lifetimes were censored at.
    summary_ : pandas.DataFrame
        :func:`lifetime_summary` per group.
    survival_ : pandas.DataFrame
        Tidy curves: the ``by`` columns, ``tenure``, ``survival``,
        ``ci_lower``, ``ci_upper``, ``at_risk``, ``churned``, ``censored``.
    hazard_ : pandas.DataFrame
        :func:`lifetime_hazard` per group (one row per unit of tenure).
    logrank_ : pandas.DataFrame or None
        :func:`lifetime_logrank` between the groups (None with fewer than two).
    fitters_ : dict
        Group value (a tuple for several ``by`` columns, ``"all"`` without
        ``by``) to its lifelines ``KaplanMeierFitter``.
    cox_ : CoxResult
        Set by :meth:`cox`.
    parametric_ : ParametricResult
        Set by :meth:`parametric`.
    ltv_ : pandas.DataFrame
        Set by :meth:`ltv`.

    Examples
    --------
    >>> import churnlab as cl
    >>> lt = cl.CustomerLifetime().fit(cl.sample_dataset(), by="segment",
    ...                                as_of="2026-10-31")
    >>> lt.summary_["segment"].tolist()
    ['Enterprise', 'Mid-Market', 'SMB']
    >>> type(lt.fitters_["SMB"]).__name__
    'KaplanMeierFitter'
    """

    def __init__(self, *, alpha: float = 0.05, horizons: Sequence[float] = (12, 24)):
        self.alpha = _check_alpha(alpha)
        self.horizons = _check_horizons(horizons)

    def __repr__(self) -> str:
        fitted = hasattr(self, "summary_")
        by = f", by={self.by_!r}" if fitted and self.by_ else ""
        state = f"fitted on {len(self.lifetimes_):,} rows{by}" if fitted else "unfitted"
        return f"<churnlab.CustomerLifetime alpha={self.alpha:g} {state}>"

    def _require(self) -> None:
        if not hasattr(self, "summary_"):
            raise ParameterError(
                "This CustomerLifetime is not fitted yet; call .fit(data, ...) first."
            )

    @share_docs
    def fit(
        self,
        data: Any,
        *,
        by: str | Sequence[str] | None = None,
        as_of: Any = None,
        unit: str = "months",
        source: str | None = None,
        reactivation: str = "span",
        inactivity_days: int | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> CustomerLifetime:
        """Build lifetimes (unless given) and fit Kaplan–Meier per group.

        Parameters
        ----------
        data : Dataset, DataFrame, path, ibis.Table, or a lifetimes table
            Anything :func:`lifetimes` accepts, or the DataFrame it returned
            (recognised by its ``attrs["unit"]`` or ``churned_at`` column and used
            as it is; the other options are then ignored).
        by : str or list of str, optional
            Attribute column(s) to fit separately (e.g. ``"segment"``).
        {as_of}
        unit, source, reactivation, inactivity_days, columns
            As in :func:`lifetimes`.

        Returns
        -------
        CustomerLifetime
            ``self``, fitted.
        """
        if isinstance(data, pd.DataFrame) and (
            data.attrs.get("unit") in UNITS or "churned_at" in data.columns
        ):
            table = data
        else:
            table = lifetimes(
                data,
                as_of,
                unit=unit,
                source=source,
                reactivation=reactivation,
                inactivity_days=inactivity_days,
                columns=columns,
            )
        frame, cols = _check_lifetimes(table, by, caller="CustomerLifetime.fit")
        self.lifetimes_ = table
        self.by_ = cols
        self.unit_ = _unit_of(frame)
        self.as_of_ = table.attrs.get("as_of")
        self.fitters_ = {}
        curves = []
        for key, values, rows in _groups(frame, cols):
            kmf = _km(rows, _label(values), self.alpha)
            self.fitters_[key] = kmf
            curves.append(_survival_frame(cols, values, kmf))
        self.survival_ = pd.concat(curves, ignore_index=True)
        self.survival_.attrs.update(unit=self.unit_)
        self.summary_ = lifetime_summary(
            frame, cols or None, self.horizons, alpha=self.alpha
        )
        self.hazard_ = lifetime_hazard(frame, cols or None)
        self.logrank_ = (
            lifetime_logrank(frame, cols, alpha=self.alpha)
            if cols and len(self.fitters_) > 1
            else None
        )
        return self

    def cox(
        self,
        covariates: str | Sequence[str] | None = None,
        *,
        strata: str | Sequence[str] | None = None,
        penalizer: float = 0.0,
    ) -> CoxResult:
        """Cox proportional hazards on the lifetimes' attributes (:func:`lifetime_cox`).

        ``covariates`` defaults to the ``by`` columns of the fit (or every usable
        attribute without ``by``). The result is also stored as ``cox_``.
        """
        self._require()
        if covariates is None and self.by_:
            covariates = self.by_
        self.cox_ = lifetime_cox(
            self.lifetimes_,
            covariates,
            strata=strata,
            alpha=self.alpha,
            penalizer=penalizer,
        )
        return self.cox_

    def parametric(
        self,
        *,
        models: Sequence[str] = ("weibull", "lognormal", "loglogistic", "exponential"),
        horizon: float | None = None,
    ) -> pd.DataFrame:
        """Parametric fits per group, best by AIC (:func:`lifetime_parametric`).

        Stores the :class:`ParametricResult` as ``parametric_`` (its curves
        are drawn, dashed and labelled "extrapolation", by :meth:`plot`) and
        returns its ``models`` table.
        """
        self._require()
        self.parametric_ = lifetime_parametric(
            self.lifetimes_,
            self.by_ or None,
            models=models,
            horizon=horizon,
            alpha=self.alpha,
        )
        return self.parametric_.models

    def ltv(
        self,
        arpa: float | Mapping[Any, float] | pd.Series,
        *,
        margin: float = 1.0,
        discount_rate: float = 0.0,
        horizon: float | None = None,
        extrapolate: bool = True,
    ) -> pd.DataFrame:
        """Survival-based LTV per group beside the simple one (:func:`survival_ltv`).

        Stored as ``ltv_``.
        """
        self._require()
        self.ltv_ = survival_ltv(
            self.lifetimes_,
            arpa,
            by=self.by_ or None,
            margin=margin,
            discount_rate=discount_rate,
            horizon=horizon,
            extrapolate=extrapolate,
        )
        return self.ltv_

    def plot(
        self,
        *,
        ci: bool = True,
        at_risk: bool = True,
        extrapolation: bool = True,
        ax: Axes | None = None,
    ) -> Axes:
        """Kaplan–Meier curves per group with CI bands and at-risk counts.

        See :func:`churnlab.plots.survival.survival_curves`; the parametric
        extrapolation is drawn (dashed) after :meth:`parametric` was called.
        """
        from churnlab.plots.survival import survival_curves

        self._require()
        return survival_curves(
            self, ci=ci, at_risk=at_risk, extrapolation=extrapolation, ax=ax
        )
