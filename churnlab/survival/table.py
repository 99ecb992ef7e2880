"""The lifetimes table: one row per customer with tenure and churn flag.

Public names: ``lifetimes``.

Activity comes from :mod:`churnlab.states`, the one rule for "active"; this
module turns a customer's activity spells into a tenure, censored at the as-of
cutoff, and passes a durations table (tenure + churn flag) through.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _

from churnlab import contract, engine, periods, states
from churnlab._compat import keyword_only
from churnlab._docs import share_docs
from churnlab.contract import Dataset
from churnlab.errors import ChurnlabWarning, ParameterError
from churnlab.survival._common import (
    _OWN,
    _REACTIVATION,
    _SOURCES,
    UNITS,
    _check_choice,
)

if TYPE_CHECKING:  # pragma: no cover
    from churnlab._types import DataLike, DateLike

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


def _state_at_cutoff(spans: ir.Table, cutoff: pd.Timestamp) -> ir.Table:
    """``customer_id, active``: each customer's state at the cutoff.

    Read from :func:`churnlab.states.changes` (daily boundaries, the cutoff is a
    midnight): the state after the customer's last change at or before the
    cutoff. This module never decides "active" itself.
    """
    flips = states.changes(spans, freq="D", cutoff=cutoff)
    return flips.group_by("customer_id").agg(
        active=flips.active_end.argmax(flips.boundary)
    )


def _known_spells(spans: ir.Table, cutoff: pd.Timestamp) -> ir.Table:
    """Merge activity intervals known at ``cutoff`` into spells.

    An interval is known when it started before the cutoff. Intervals that
    overlap or touch form one spell, the islands of :func:`churnlab.states.edges`:
    a plan change on the day the old subscription ends is no churn. ``end`` is the
    spell's end clipped to the observation window (open ends and ends after the
    cutoff read as the cutoff); ``raw_end`` is the latest recorded end (null
    when open). Whether the customer is active at the cutoff comes from
    :func:`_state_at_cutoff`, not from these ends.
    """
    cut = ibis.literal(cutoff, "timestamp")
    known = spans.filter(_.start < cut).select(
        "customer_id",
        "start",
        raw_end="end",
        end=ibis.least(_.end.fill_null(cut), cut),
    )
    # The islands are the ones states.edges finds; every known interval ends by
    # the cutoff here, so each island has its start and its end.
    flips = states.edges(
        known.select("customer_id", "start", end=_.end.cast(known.start.type()))
    )
    w = ibis.window(
        group_by="customer_id",
        order_by=[_.t, ibis.desc(_.is_start)],
        preceding=None,
        following=0,
    )
    spells = (
        flips.mutate(spell=_.is_start.cast("int64").sum().over(w))
        .group_by(["customer_id", "spell"])
        .agg(start=_.t.min(), end=_.t.max())
    )
    # Only the spell reaching the cutoff can hold clipped (or open) ends; the
    # latest recorded end of its intervals is its raw end.
    last = spells.filter(_.end == cut).select("customer_id", last_start="start")
    tail = (
        known.join(last, "customer_id")
        .filter(_.start >= _.last_start)
        .group_by("customer_id")
        .agg(tail_raw_end=_.raw_end.max())
    )
    out = spells.left_join(tail, "customer_id")
    return out.select(
        "customer_id",
        "spell",
        "start",
        "end",
        raw_end=ibis.ifelse(out.end == cut, out.tail_raw_end, out.end),
    )


def _lifetime_rows(
    spans: ir.Table,
    *,
    cutoff: pd.Timestamp,
    reactivation: str,
    customers: ir.Table | None,
) -> ir.Table:
    """Per customer (or spell): start, end, raw_end, spells, active; attributes.

    Every customer with an interval appears; those whose first interval starts
    at or after the cutoff come back with a null ``start`` (excluded later, and
    counted). ``active`` is the state at the cutoff (:mod:`churnlab.states`);
    with ``reactivation="spells"`` it holds only on the customer's last spell.
    """
    seen = spans.group_by("customer_id").agg(first_seen=_.start.min())
    spells = _known_spells(spans, cutoff)
    state = _state_at_cutoff(spans, cutoff)
    if reactivation == "spells":
        last = spells.group_by("customer_id").agg(last_spell=_.spell.max())
        per = (
            spells.join(last, "customer_id")
            .join(state, "customer_id", how="left")
            .select(
                "customer_id",
                "spell",
                "start",
                "end",
                "raw_end",
                active=(_.spell == _.last_spell) & _.active.fill_null(False),
            )
        )
    else:
        counts = spells.group_by("customer_id").agg(
            first_start=_.start.min(),
            last_end=_.end.max(),
            last_raw_end=_.raw_end.max(),
            spells=_.count(),
        )
        if reactivation == "span":
            per = counts.select(
                "customer_id",
                start="first_start",
                end="last_end",
                raw_end="last_raw_end",
                spells="spells",
            )
            per = per.join(state, "customer_id", how="left").select(
                *[c for c in per.columns],
                active=_.active.fill_null(False),
            )
        else:  # first: active only when the first spell is the current one
            first = spells.filter(_.spell == 1).select(
                "customer_id", "start", "end", "raw_end"
            )
            per = (
                first.join(counts.select("customer_id", "spells"), "customer_id")
                .join(state, "customer_id", how="left")
                .select(
                    "customer_id",
                    "start",
                    "end",
                    "raw_end",
                    "spells",
                    active=(_.spells == 1) & _.active.fill_null(False),
                )
            )
    out = seen.left_join(per, "customer_id").drop("customer_id_right", "first_seen")
    if customers is not None:
        out = out.left_join(customers, "customer_id").drop("customer_id_right")
    return out


@keyword_only("as_of")
@share_docs
def lifetimes(
    data: DataLike,
    *,
    as_of: DateLike | None = None,
    unit: Literal["days", "weeks", "months"] = "months",
    source: Literal["subscriptions", "orders", "durations"] | None = None,
    reactivation: Literal["span", "first", "spells"] = "span",
    inactivity_days: int | None = None,
    orders_lifetime: Literal["last_order", "window"] = "last_order",
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
    orders_lifetime : {{"last_order", "window"}}, default "last_order"
        For orders: where a lifetime ends. ``"last_order"``: at the last order
        (the span over which the customer bought). ``"window"``: at the last
        order plus the inactivity window, the instant :mod:`churnlab.states`
        calls them churned (every one-order customer then lives exactly W).
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
        date); for orders ``last_order_at``; then the attributes. Sorted by
        ``customer_id``. ``attrs`` holds ``unit``, ``as_of``, ``source``,
        ``reactivation``, ``inactivity_days`` (the window used, None for
        subscriptions), ``orders_lifetime``, ``lifetime_convention`` (in
        words), ``history_days`` (first activity to the cutoff) and
        ``excluded_after_as_of``.

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
        as-of date; and for orders whose history is not longer than the
        inactivity window (no churn can have been observed).

    Notes
    -----
    **Definition.** A customer has churned when :mod:`churnlab.states` (the one
    rule for "active") says they are not active at the as-of cutoff (the
    midnight after ``as_of``): a subscription is active while
    ``start < t <= end``, an ordering customer while their last purchase is at
    most ``inactivity_days`` (W) old. A customer still active at the cutoff
    has not churned yet: their tenure is *right-censored* (``churned`` is False
    and the lifetime is at least ``tenure``); for orders, that is every
    customer whose last order is within one window of the cutoff.

    **Formula.** Subscriptions: ``tenure = (min(end, cutoff) - start) / unit``
    with ``end`` the end of the last activity spell known at the cutoff and
    ``start`` the first activity. Orders: ``tenure = (last order - first
    order) / unit`` (``orders_lifetime="last_order"``), or ``(min(last order +
    W, cutoff) - first order) / unit`` (``"window"``). ``churned = not
    active at the cutoff``.

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
    are censored at the cutoff. For orders the lifetime ends at the last order
    by default: adding the window W would make every one-order customer live
    exactly W, so a median lifetime would measure the window, not the
    customers. Churn is only seen W after the last order, so a history no
    longer than W supports no lifetime at all (a warning says so and
    :func:`~churnlab.lifetime_summary` reports NaN with the reason).

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
    orders_lifetime = _check_choice(
        "orders_lifetime", orders_lifetime, ("last_order", "window")
    )
    if as_of is not None:
        periods.parse_date(as_of)  # a bad date fails before any query runs
    ds, source = _source_dataset(data, source, inactivity_days, columns)
    if source == "durations":
        return _durations(ds, as_of=as_of, unit=unit, attributes=attributes)
    as_of_day = periods.as_of_for(ds, source, as_of=as_of, freq="M")
    cut = periods.cutoff(as_of_day)
    window = None
    if source == "subscriptions":
        spans = states.subscription_intervals(ds.subscriptions)
    else:
        window = inactivity_days
        if window is None:
            window = periods.DEFAULT_INACTIVITY_DAYS
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
    churned = ~rows["active"].astype(bool)
    per_unit = pd.Timedelta(days=UNITS[unit])
    out = pd.DataFrame({"customer_id": rows["customer_id"].astype(str)})
    if reactivation == "spells":
        out["spell"] = rows["spell"].astype("int64")
    if source == "orders" and orders_lifetime == "last_order":
        last_order = rows["raw_end"] - pd.Timedelta(days=window)
        out["tenure"] = (last_order - rows["start"]) / per_unit
    else:
        out["tenure"] = (rows["end"] - rows["start"]) / per_unit
    out["churned"] = churned.astype(bool)
    out["start"] = rows["start"]
    out["churned_at"] = rows["raw_end"].where(churned)
    if source == "orders":
        out["last_order_at"] = rows["raw_end"] - pd.Timedelta(days=window)
    if reactivation != "spells":
        out["spells"] = rows["spells"].astype("int64")
    if customers is not None:
        for col in customers.columns[1:]:
            out[col] = rows[col].to_numpy()
    history = (cut - rows["start"].min()) / pd.Timedelta(days=1) if len(rows) else 0.0
    if source == "orders":
        convention = (
            "first order to last order"
            if orders_lifetime == "last_order"
            else "first order to last order + the inactivity window"
        )
        if history <= window:
            warnings.warn(
                f"lifetimes: the orders span {history:.0f} days up to as_of="
                f"{as_of_day:%Y-%m-%d}, not more than the inactivity window of "
                f"{window} days, so no customer can have been seen to churn: "
                "lifetimes cannot be estimated from this history (every row is "
                "censored).",
                ChurnlabWarning,
                stacklevel=2,
            )
    else:
        convention = "first start to the end of the last subscription"
    out.attrs.update(
        unit=unit,
        as_of=as_of_day,
        source=source,
        reactivation=reactivation,
        inactivity_days=window,
        orders_lifetime=orders_lifetime if source == "orders" else None,
        lifetime_convention=convention,
        history_days=float(history),
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
        orders_lifetime=None,
        lifetime_convention="tenure as given in the durations table",
        history_days=None,
        excluded_after_as_of=0,
    )
    return out
