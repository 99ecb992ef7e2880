"""The lifetimes table: one row per customer with tenure and churn flag.

Public names: ``lifetimes``.

Activity comes from :mod:`churnlab.states`, the one rule for "active"; this
module turns a customer's activity spells into a tenure, censored at the as-of
cutoff, and passes a durations table (tenure + churn flag) through.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _

from churnlab import contract, engine, periods, states
from churnlab._docs import share_docs
from churnlab.contract import Dataset
from churnlab.errors import ChurnlabWarning, ParameterError
from churnlab.survival._common import (
    _DEFAULT_INACTIVITY_DAYS,
    _OWN,
    _REACTIVATION,
    _SOURCES,
    UNITS,
    _check_choice,
)

__all__ = ["lifetimes"]


# ---------------------------------------------------------------------- lifetimes


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
