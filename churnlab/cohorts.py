"""Cohort analysis: retention matrices with honest censoring.

Public names: ``KINDS``, ``cohort_table``, ``cohort_matrix``, ``cohort_retention``,
``cohort_average``, ``cohort_kind``, ``cohort_keys``.

A *cohort* is the set of customers whose first activity (first subscription
start or first purchase; or their sign-up) falls in one period ``c``. Cell
``(c, k)`` describes the cohort in its ``k``-th period since the start, the
calendar period ``c + k`` (``k = 0`` is the cohort's own period).

* :func:`cohort_table` is the tidy long frame (one row per cohort and period
  number, counts before rates); everything else is built on it.
* :func:`cohort_matrix` pivots it into the familiar cohort x period grid.
* :func:`cohort_retention` does both in one call and returns the grid, with the
  cohort sizes in ``.attrs["cohort_size"]``.
* :func:`cohort_average` collapses the cohorts of a long frame into one
  size-weighted curve (per attribute group), using observed cells only.

"Active" follows the package's one time rule (:mod:`churnlab.states`): a
subscribed customer is active in period P when one of their intervals overlaps
P (``start < P.end`` and (``end`` null or ``end > P.start``);
:func:`churnlab.states.period_ranges`); an ordering customer is active in P
when they purchased in P (refunds excluded, see
:func:`churnlab.contract.purchases`). Period numbers are integer period indices
(:func:`churnlab.periods.period_index`), identical on every backend.

The module is longer than most (about 900 lines) because it holds one concept
end to end: the two engine builders (orders, subscriptions), the pandas finish
that turns their cells into the censored long frame, and the public views of
that frame; a split would put the cells and their only reader in two files.
"""

from __future__ import annotations

import warnings
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis import _

from churnlab import contract, engine, periods, states
from churnlab._docs import share_docs
from churnlab._frames import MONTHS_PER_PERIOD, ratio
from churnlab._types import ByLike, DataLike, DateLike, Freq
from churnlab.contract import Dataset
from churnlab.errors import ChurnlabWarning, ParameterError

__all__ = [
    "KINDS",
    "cohort_table",
    "cohort_matrix",
    "cohort_retention",
    "cohort_average",
    "cohort_kind",
    "cohort_keys",
]

#: What a cohort cell measures.
KINDS: dict[str, str] = {
    "logo": "share of the cohort's customers active in period k",
    "revenue": "cohort revenue (orders) or MRR (subscriptions) in k over period 0",
    "orders": "share of the cohort's customers who purchased in period k",
    "ltv": "cumulative revenue up to period k per original customer",
}

_ANCHORS = ("first_activity", "signup")
_SOURCES = ("subscriptions", "orders")
_VALUES = ("rate", "count")

# Measures the engine returns per (group, cohort, period number); all are sums.
_MEASURES = {
    "active": "int64",  # orders: customers active; subscriptions: +1/-1 range ends
    "last": "int64",  # customers whose last observed active period is c + k
    "early": "int64",  # customers active before their sign-up period
    "size": "int64",  # customers signed up in the cohort period (anchor="signup")
    "revenue": "float64",  # order revenue in c + k
    "mrr": "int64",  # change of MRR (cents) over period c + k
}

# Columns of the long frame that are measures (everything else is a key).
_SUMMABLE = (
    "cohort_size",
    "customers_active",
    "revenue_base",
    "revenue",
    "revenue_cumulative",
)
_RATES = ("retention", "ltv", "customer_share")
_CALENDAR = ("cohort", "period", "period_number")


# ------------------------------------------------------------------- parameters


def _check(
    kind: str, bounded: bool, anchor: str, source: str | None, values: str | None = None
) -> None:
    if kind not in KINDS:
        raise ParameterError(
            f"kind={kind!r} is not a cohort measure; use one of "
            + ", ".join(f'"{k}" ({v})' for k, v in KINDS.items())
            + "."
        )
    if not isinstance(bounded, bool | np.bool_):
        raise ParameterError(f"bounded={bounded!r} must be True or False.")
    if not bounded and kind in ("revenue", "ltv"):
        raise ParameterError(
            f"bounded=False (active in period k or later) applies to customer counts; "
            f'kind="{kind}" measures money. Use kind="logo" or "orders", or '
            "bounded=True."
        )
    if anchor not in _ANCHORS:
        raise ParameterError(
            f"anchor={anchor!r} must be 'first_activity' (cohort = period of the first "
            "subscription start or purchase) or 'signup' (customers.signup_at)."
        )
    if source is not None and source not in _SOURCES:
        raise ParameterError(
            f"source={source!r} must be 'subscriptions', 'orders' or None "
            "(subscriptions when the data has them, else orders)."
        )
    if kind == "orders" and source == "subscriptions":
        raise ParameterError(
            'kind="orders" counts purchases, so it reads orders; drop '
            "source='subscriptions' or use kind=\"logo\"."
        )
    if values is not None and values not in _VALUES:
        raise ParameterError(
            f"values={values!r} must be 'rate' (the matrix of rates) or 'count' (its "
            "numerators: customers, or money for revenue and ltv)."
        )


def _dataset(data: Any, source: str | None) -> Dataset:
    """A Dataset from any accepted input; a bare table is recognised by its columns."""
    if isinstance(data, Dataset):
        return data
    if source is not None:
        return contract.as_dataset(data, source)
    if isinstance(data, pd.DataFrame | ir.Table):
        columns = list(data.columns)
    else:
        columns = list(engine.to_table(data).columns)
    if "ordered_at" in columns:
        return contract.as_dataset(data, "orders")
    if "start" in columns or "mrr" in columns:
        return contract.as_dataset(data, "subscriptions")
    raise ParameterError(
        "Cannot tell whether this table holds orders (customer_id, ordered_at, amount) "
        "or subscriptions (customer_id, start, mrr, end); its columns are "
        f"{', '.join(map(str, columns))}. Pass source='orders' or "
        "source='subscriptions', or load it with cl.load_dataset(..., columns=...)."
    )


def _pick_source(ds: Dataset, kind: str, source: str | None) -> str:
    if kind == "orders":
        ds.table("orders")
        return "orders"
    if source is not None:
        ds.table(source)
        return source
    if ds.subscriptions is not None:
        return "subscriptions"
    ds.table("orders")  # raises the "no orders table" ContractError if absent
    return "orders"


# ---------------------------------------------------------------------- builders


def _conform(table: ir.Table, keys: list[str]) -> ir.Table:
    """Select ``keys, c, k`` and every measure (0 when the part lacks it)."""
    cols: dict[str, Any] = {key: table[key] for key in keys}
    cols["c"] = table["c"].cast("int64")
    cols["k"] = table["k"].cast("int64")
    for name, dtype in _MEASURES.items():
        cols[name] = (table[name] if name in table.columns else ibis.literal(0)).cast(
            dtype
        )
    return table.select(**cols)


def _attach(
    rows: ir.Table, customers: ir.Table | None, by_cols: list[str], anchor: str
) -> ir.Table:
    """Add the cohort index ``c`` (and attribute columns) to per-customer rows."""
    if customers is None:
        return rows.mutate(c=_.first_p)
    joined = rows.left_join(customers, rows.customer_id == customers.customer_id)
    keep = list(rows.columns)
    c = joined.first_p if anchor == "first_activity" else joined.signup_c
    return joined.select(*keep, *by_cols, c=c)


def _customers(
    ds: Dataset, by_cols: list[str], anchor: str, freq: str, end: pd.Timestamp
) -> ir.Table | None:
    """``customer_id``, attributes and the sign-up period index (``signup_c``)."""
    if not by_cols and anchor == "first_activity":
        return None
    customers = ds.table("customers")
    cols: dict[str, Any] = {"customer_id": customers.customer_id}
    cols.update({col: customers[col] for col in by_cols})
    if anchor == "signup":
        if "signup_at" not in customers.columns:
            raise ParameterError(
                "anchor='signup' needs customers.signup_at; this customers table has "
                f"{', '.join(customers.columns)}. Use anchor='first_activity'."
            )
        signed = customers.signup_at.notnull() & (customers.signup_at < end)
        cols["signup_c"] = ibis.ifelse(
            signed, periods.period_index(customers.signup_at, freq), ibis.null("int64")
        )
    return customers.select(**cols)


def _sizes(customers: ir.Table, by_cols: list[str]) -> ir.Table:
    """Cohort sizes under ``anchor="signup"``: customers signed up per period."""
    return _conform(
        customers.filter(_.signup_c.notnull())
        .group_by([*by_cols, "signup_c"])
        .agg(size=_.count())
        .mutate(c=_.signup_c, k=ibis.literal(0, "int64")),
        by_cols,
    )


def _order_cells(
    purchases: ir.Table,
    *,
    freq: str,
    end: pd.Timestamp,
    customers: ir.Table | None,
    by_cols: list[str],
    anchor: str,
    revenue: bool,
) -> ir.Table:
    """Per (group, cohort, period number): customers purchasing and their revenue.

    One row per customer and period with a purchase; each customer's first and
    last such period by a GROUP BY joined back (on DuckDB this is faster than a
    window partitioned by customer); then one aggregate.
    """
    known = purchases.filter(_.ordered_at < ibis.literal(end, "timestamp"))
    if revenue:
        acts = known.group_by(
            "customer_id", p=periods.period_index(_.ordered_at, freq)
        ).agg(revenue=_.amount.sum())
    else:
        acts = known.select(
            "customer_id", p=periods.period_index(_.ordered_at, freq)
        ).distinct()
    per_customer = acts.group_by("customer_id").agg(first_p=_.p.min(), last_p=_.p.max())
    per_customer = _attach(per_customer, customers, by_cols, anchor)
    rows = acts.inner_join(per_customer, "customer_id")
    measures: dict[str, Any] = {
        "active": _.count(),
        "last": (_.p == _.last_p).cast("int64").sum(),
    }
    if anchor == "signup":
        measures["early"] = ((_.p == _.first_p) & (_.first_p < _.c)).cast("int64").sum()
    if revenue:
        measures["revenue"] = _.revenue.sum()
    cells = rows.group_by([*by_cols, "c"], k=_.p - _.c).agg(**measures)
    cells = _conform(cells, by_cols)
    if anchor == "signup":
        cells = cells.union(_sizes(customers, by_cols))
    return cells


def _subscription_cells(
    subscriptions: ir.Table,
    *,
    freq: str,
    end: pd.Timestamp,
    last_idx: int,
    customers: ir.Table | None,
    by_cols: list[str],
    anchor: str,
    mrr: bool,
) -> ir.Table:
    """Per (group, cohort, period number): range starts/ends, last periods, MRR.

    The periods each customer is active in come from
    :func:`churnlab.states.period_ranges` (the package's one "active in P"
    rule: an interval overlaps P), as merged blocks of period indices; each
    block adds +1 at its first period and -1 after its last, so a running sum
    over k counts the customers active in each period without a customer x
    period grid.
    """
    end_lit = ibis.literal(end, "timestamp")
    last_lit = ibis.literal(last_idx, "int64")
    spans = states.subscription_intervals(subscriptions).filter(_.start < end_lit)
    blocks = states.period_ranges(spans, freq=freq, last_idx=last_idx)
    w = ibis.window(group_by="customer_id")
    blocks = blocks.mutate(first_p=_.a.min().over(w), last_p=_.b.max().over(w))
    rows = _attach(blocks, customers, by_cols, anchor)
    counted = rows.filter(_.c.notnull() & (_.b >= _.c))
    parts = [
        counted.select(
            *by_cols,
            "c",
            k=ibis.greatest(_.a, _.c) - _.c,
            active=ibis.literal(1, "int64"),
        ),
        counted.filter(_.b < last_lit).select(
            *by_cols, "c", k=_.b + 1 - _.c, active=ibis.literal(-1, "int64")
        ),
        # one row per customer (their last block); c is null when unassigned
        rows.filter(_.b == _.last_p).select(
            *by_cols,
            "c",
            k=_.last_p - _.c,
            last=ibis.literal(1, "int64"),
            early=(_.first_p < _.c).fill_null(False).cast("int64"),
        ),
    ]
    if mrr:
        cohort_of = (
            rows.filter(_.c.notnull()).select("customer_id", *by_cols, "c").distinct()
        )
        moves = states.changes(spans, freq=freq, cutoff=end)
        moves = moves.select(
            "customer_id",
            p=periods.period_index(_.period, freq),
            mrr=_.mrr_end_cents - _.mrr_start_cents,
        )
        joined = moves.inner_join(cohort_of, "customer_id")
        # MRR changes before a sign-up cohort's own period carry into k = 0.
        parts.append(
            joined.select(*by_cols, "c", k=ibis.greatest(_.p - _.c, 0), mrr="mrr")
        )
    if anchor == "signup":
        parts.append(_sizes(customers, by_cols))
    conformed = [_conform(part, by_cols) for part in parts]
    union = conformed[0]
    for part in conformed[1:]:
        union = union.union(part)
    return union.group_by([*by_cols, "c", "k"]).agg(
        **{name: union[name].sum() for name in _MEASURES}
    )


# ------------------------------------------------------------------ pandas finish


def _grid(
    cells: pd.DataFrame, keys: list[str], last_idx: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every observed cell ``(group, c, k)``, ``0 <= k <= last_idx - c``, in order.

    Returns the grid (measures filled with 0) and the group number of each row.
    """
    groups = (
        cells[[*keys, "c"]]
        .drop_duplicates()
        .sort_values([*keys, "c"], na_position="last", kind="stable")
        .reset_index(drop=True)
    )
    n = (last_idx - groups["c"].to_numpy() + 1).astype("int64")
    gid = np.repeat(np.arange(len(groups)), n)
    grid = groups.iloc[gid].reset_index(drop=True)
    offsets = np.repeat(np.cumsum(n) - n, n)
    grid["k"] = np.arange(len(grid), dtype="int64") - offsets
    grid = grid.merge(cells, on=[*keys, "c", "k"], how="left", sort=False)
    measures = [m for m in _MEASURES if m in grid.columns]
    grid[measures] = grid[measures].fillna(0)
    return grid, gid


def _finish(
    cells: pd.DataFrame,
    *,
    by_cols: list[str],
    kind: str,
    bounded: bool,
    source: str,
    anchor: str,
    freq: str,
    last_idx: int,
) -> pd.DataFrame:
    """Turn engine cells into the long cohort frame (observed cells only)."""
    cells = cells.copy()
    for name, dtype in _MEASURES.items():
        cells[name] = cells[name].fillna(0).astype(dtype)
    unassigned = cells["c"].isna()
    n_unassigned = int(cells.loc[unassigned, "last"].sum())
    n_early = int(cells["early"].sum())
    if n_unassigned:
        warnings.warn(
            f"cohorts: {n_unassigned:,} active customers have no sign-up date in the "
            "customers table (or sign up after the as-of date) and are in no "
            "anchor='signup' cohort.",
            ChurnlabWarning,
            stacklevel=3,
        )
    if n_early:
        warnings.warn(
            f"cohorts: {n_early:,} customers were active before their sign-up period; "
            "periods before a cohort's own period are not shown.",
            ChurnlabWarning,
            stacklevel=3,
        )
    cells = cells[~unassigned].astype({"c": "int64", "k": "int64"})
    cells = cells[(cells["k"] >= 0) & (cells["c"] + cells["k"] <= last_idx)]
    # parts of a union (sign-up sizes beside activity) may share a key
    cells = (
        cells.groupby([*by_cols, "c", "k"], dropna=False, sort=False)[list(_MEASURES)]
        .sum()
        .reset_index()
    )
    columns = _columns(kind, by_cols)
    if cells.empty:
        return pd.DataFrame({col: pd.Series(dtype=_dtype(col)) for col in columns})
    grid, gid = _grid(cells, by_cols, last_idx)
    first_row = np.r_[0, np.flatnonzero(np.diff(gid)) + 1]

    def cumsum(col: str) -> np.ndarray:
        return grid.groupby(gid, sort=False)[col].cumsum().to_numpy()

    if source == "subscriptions":
        active = cumsum("active")
        money = cumsum("mrr") / states.CENTS
    else:
        active = grid["active"].to_numpy()
        money = grid["revenue"].to_numpy(dtype="float64")
    if anchor == "signup":
        size = grid.groupby(gid, sort=False)["size"].transform("sum").to_numpy()
    else:
        size = active[first_row][gid]
    if not bounded:
        last = grid["last"].to_numpy()
        total = np.bincount(gid, weights=last).astype("int64")[gid]
        active = total - cumsum("last") + last  # active in k or any later period
    out = grid[by_cols].copy()
    out["cohort"] = periods.index_starts(grid["c"].to_numpy(), freq)
    out["period_number"] = grid["k"].to_numpy()
    out["period"] = periods.index_starts(
        grid["c"].to_numpy() + grid["k"].to_numpy(), freq
    )
    out["cohort_size"] = size.astype("int64")
    out["customers_active"] = np.asarray(active, dtype="int64")
    if kind == "revenue":
        out["revenue_base"] = money[first_row][gid]
        out["revenue"] = money
    elif kind == "ltv":
        if source == "subscriptions":
            money = money * MONTHS_PER_PERIOD[freq]
        out["revenue"] = money
        out["revenue_cumulative"] = pd.Series(money).groupby(gid).cumsum().to_numpy()
        out = out.drop(columns="customers_active")
    out = _rates(out)
    return out[columns].reset_index(drop=True)


def _columns(kind: str, keys: list[str], *, calendar: bool = True) -> list[str]:
    front = (
        [*keys, "cohort", "period_number", "period"]
        if calendar
        else [*keys, "period_number"]
    )
    if kind in ("logo", "orders"):
        return [*front, "cohort_size", "customers_active", "retention"]
    if kind == "revenue":
        return [
            *front,
            "cohort_size",
            "customers_active",
            "revenue_base",
            "revenue",
            "retention",
        ]
    return [*front, "cohort_size", "revenue", "revenue_cumulative", "ltv"]


def _dtype(col: str) -> str:
    if col in ("cohort", "period"):
        return "datetime64[ns]"
    if col in ("period_number", "cohort_size", "customers_active"):
        return "int64"
    if col in ("revenue_base", "revenue", "revenue_cumulative", "retention", "ltv"):
        return "float64"
    return "object"


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    """(Re)compute the rate column of a long cohort frame from its counts."""
    if "revenue_base" in frame.columns:
        frame["retention"] = ratio(frame["revenue"], frame["revenue_base"])
    elif "revenue_cumulative" in frame.columns:
        frame["ltv"] = ratio(frame["revenue_cumulative"], frame["cohort_size"])
    else:
        frame["retention"] = ratio(frame["customers_active"], frame["cohort_size"])
    return frame


def cohort_kind(frame: pd.DataFrame) -> str:
    """What a long cohort frame measures: ``"logo"``, ``"revenue"`` or ``"ltv"``."""
    if "revenue_base" in frame.columns:
        return "revenue"
    if "revenue_cumulative" in frame.columns:
        return "ltv"
    if "customers_active" in frame.columns:
        return "logo"
    raise ParameterError(
        "This frame is not a cohort table: expected the columns of cohort_table() "
        "(period_number, cohort_size, customers_active or revenue, ...)."
    )


def cohort_keys(frame: pd.DataFrame) -> list[str]:
    """Attribute columns of a long cohort frame (not calendar, measure or rate)."""
    return [c for c in frame.columns if c not in (*_CALENDAR, *_SUMMABLE, *_RATES)]


# ------------------------------------------------------------------------ public


@share_docs
def cohort_table(
    data: DataLike,
    *,
    freq: Freq = "M",
    kind: str = "logo",
    bounded: bool = True,
    by: ByLike = None,
    by_period: bool = True,
    anchor: str = "first_activity",
    source: str | None = None,
    as_of: DateLike | None = None,
    retention: str = "first_time",
) -> pd.DataFrame:
    """Cohort retention as a tidy long frame: one row per cohort and period number.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders (customer_id, ordered_at, amount) or subscriptions (customer_id,
        start, mrr, end), or a Dataset holding them (and ``customers`` for
        ``by`` or ``anchor="signup"``). A bare table is recognised by its columns.
    {freq}
    kind : {{"logo", "revenue", "orders", "ltv"}}, default "logo"
        What a cell measures: the share of the cohort active in period k
        (``"logo"``); the cohort's revenue (orders) or MRR (subscriptions) in k
        over its period-0 value, which may exceed 1 (``"revenue"``); the share of
        the cohort that purchased in k, read from orders even when the data has
        subscriptions (``"orders"``); cumulative revenue per original customer up
        to k, an LTV curve (``"ltv"``).
    bounded : bool, default True
        True: active in period k. False: active in period k *or any later
        observed period* (unbounded retention, never below the bounded value);
        customer counts only.
    by : str or list of str, optional
        Customer attribute(s) from the customers table (``"segment"``,
        ``"plan"``, ``"channel"``...). With ``by_period=True`` the cohorts are
        crossed with them (one cohort per attribute value and period).
    by_period : bool, default True
        False: cohorts are the ``by`` groups alone (all customers when ``by`` is
        None), each cell the size-weighted average of the period cohorts
        observed at k (see :func:`cohort_average`).
    anchor : {{"first_activity", "signup"}}, default "first_activity"
        What starts a customer's cohort: their first activity (first
        subscription start or purchase) or ``customers.signup_at``. With
        ``"signup"`` customers who never became active count in their cohort's
        size, so period 0 may be below 1.
    source : {{"subscriptions", "orders"}}, optional
        Which table defines activity and revenue; default subscriptions when the
        data has them, else orders (``kind="orders"`` always reads orders).
    {as_of}
    retention : {{"first_time", "recurring"}}, default "first_time"
        ``"first_time"``: a cohort is the customers whose *first* activity is in
        period c. ``"recurring"``: a cohort is everyone active in period c (the
        default of product-analytics tools), computed by
        :func:`churnlab.recurring_retention` from events or orders
        (``source="events"`` or ``"orders"``; ``kind="logo"`` only).

    Returns
    -------
    pandas.DataFrame
        Keys first: the ``by`` columns, ``cohort`` (the cohort period's start),
        ``period_number`` (k = 0, 1, ...), ``period`` (start of calendar period
        ``cohort + k``); then, for ``"logo"`` and ``"orders"``: ``cohort_size``,
        ``customers_active``, ``retention``; for ``"revenue"``: ``cohort_size``,
        ``customers_active``, ``revenue_base`` (period-0 revenue or MRR),
        ``revenue``, ``retention``; for ``"ltv"``: ``cohort_size``, ``revenue``
        (in k), ``revenue_cumulative`` (periods 0..k), ``ltv``. Only observed
        cells are rows (censored cells are absent here and NaN in
        :func:`cohort_matrix`). With ``by_period=False`` there is no ``cohort``
        or ``period`` column.

    Raises
    ------
    ParameterError
        For an unknown ``kind``, ``anchor``, ``source``, ``freq`` or attribute,
        ``bounded=False`` with a money kind, or a bad ``as_of``.
    ContractError
        If the table the kind needs is missing or breaks the contract.

    See Also
    --------
    cohort_retention : the same cells as a cohort x period matrix.
    cohort_matrix : pivot this frame into that matrix.
    cohort_average : one size-weighted curve per group.

    Notes
    -----
    **Definition.** A cohort is the set of customers whose first activity (or
    sign-up) falls in period ``c``. Cell ``(c, k)`` describes that cohort in
    calendar period ``c + k``. A subscribed customer is active in period P when
    a subscription overlaps it, ``start < P.end`` and (``end`` null or
    ``end > P.start``); an ordering customer is active in P when they made a
    purchase in P (refunds never count). Unbounded retention counts a customer
    in period k when they are active in k or in any later observed period.

    **Formula.** ``retention = customers_active / cohort_size`` for logo and
    order retention; ``retention = revenue / revenue_base`` for revenue
    retention, where ``revenue`` is the cohort's order revenue in ``c + k`` or
    its MRR at the end of ``c + k`` (MRR read at the boundary, as in the MRR
    bridge); ``ltv = revenue_cumulative / cohort_size`` with
    ``revenue_cumulative`` the sum of the cohort's revenue over periods 0..k
    (for subscriptions, MRR at each period's end times the period's length in
    months). A rate is NaN when its denominator is 0.

    **Convention.** A cell is reported only when its calendar period is complete
    at ``as_of``: a cohort that is 3 months old has cells k = 0, 1, 2 and
    nothing after, so the matrix shows NaN, never 0, for periods not yet lived.
    Only complete cohort periods form cohorts, and activity after the last
    complete period is ignored (so unbounded retention uses only what is known).
    Revenue is gross of refunds, which are excluded with a warning. With
    ``anchor="signup"``, customers active before their sign-up period keep
    only the periods from it on (a warning gives the count), and active
    customers without a sign-up date are in no cohort (a warning gives the
    count).

    Examples
    --------
    >>> import churnlab as cl
    >>> t = cl.cohort_table(cl.sample_dataset(), as_of="2026-10-31")
    >>> t.columns.tolist()[:4]
    ['cohort', 'period_number', 'period', 'cohort_size']
    >>> jan = t[t["cohort"] == "2025-01-01"].set_index("period_number")
    >>> jan.loc[[0, 3, 12], ["cohort_size", "customers_active"]].values.tolist()
    [[87, 87], [87, 82], [87, 73]]
    >>> round(float(jan.loc[12, "retention"]), 3)
    0.839
    """
    if retention not in ("first_time", "recurring"):
        raise ParameterError(
            f"retention={retention!r} must be 'first_time' or 'recurring'."
        )
    if retention == "recurring":
        if kind != "logo" or anchor != "first_activity" or not by_period:
            raise ParameterError(
                "retention='recurring' counts customers (kind='logo') in cohorts "
                "of everyone active in a period; it takes no kind, anchor or "
                "by_period other than the defaults."
            )
        if source == "subscriptions":
            raise ParameterError(
                "retention='recurring' reads activity from events or orders; pass "
                "source='events' or source='orders'."
            )
        from churnlab.activity.usage import recurring_retention

        return recurring_retention(
            data, freq=freq, bounded=bounded, by=by, source=source, as_of=as_of
        )
    periods.check_freq(freq)
    _check(kind, bounded, anchor, source)
    if as_of is not None:
        as_of = periods.parse_date(as_of)
    if not by_period:
        table = cohort_table(
            data,
            freq=freq,
            kind=kind,
            bounded=bounded,
            by=by,
            anchor=anchor,
            source=source,
            as_of=as_of,
        )
        return cohort_average(table)
    ds = _dataset(data, source)
    src = _pick_source(ds, kind, source)
    by_cols, _attrs = states.attributes(ds, by)
    as_of = periods.as_of_for(ds, src, as_of=as_of, freq=freq)
    first_unknown = periods.period_start(periods.cutoff(as_of), freq)
    last_idx = periods.index_of(first_unknown, freq) - 1
    customers = _customers(ds, by_cols, anchor, freq, first_unknown)
    money = kind in ("revenue", "ltv")
    if src == "orders":
        cells = _order_cells(
            contract.purchases(ds),
            freq=freq,
            end=first_unknown,
            customers=customers,
            by_cols=by_cols,
            anchor=anchor,
            revenue=money,
        )
    else:
        cells = _subscription_cells(
            ds.subscriptions,
            freq=freq,
            end=first_unknown,
            last_idx=last_idx,
            customers=customers,
            by_cols=by_cols,
            anchor=anchor,
            mrr=money,
        )
    result = _finish(
        engine.execute(cells),
        by_cols=by_cols,
        kind=kind,
        bounded=bounded,
        source=src,
        anchor=anchor,
        freq=freq,
        last_idx=last_idx,
    )
    result.attrs.update(
        kind=kind, bounded=bounded, freq=freq, source=src, anchor=anchor, as_of=as_of
    )
    return result


def cohort_average(table: pd.DataFrame) -> pd.DataFrame:
    """Collapse the cohorts of a long cohort frame into size-weighted curves.

    Parameters
    ----------
    table : pandas.DataFrame
        A frame returned by :func:`cohort_table` (with ``by_period=True``).

    Returns
    -------
    pandas.DataFrame
        One row per attribute group (the ``by`` columns, if any) and
        ``period_number``, with the same measure and rate columns as ``table``,
        summed over the cohorts observed at that period number.

    Notes
    -----
    **Definition.** The average retention at period number k over the cohorts
    whose period k is complete at the as-of date (observed cells only).

    **Formula.** ``retention_k = sum_c customers_active[c, k] / sum_c
    cohort_size[c]`` over observed cohorts c; revenue retention uses
    ``sum revenue / sum revenue_base`` and the LTV curve ``sum
    revenue_cumulative / sum cohort_size``, over the same cohorts.

    **Convention.** Weighting by cohort size makes the curve the retention of a
    pooled customer, not the mean of cohort rates, so a 20-customer cohort does
    not count as much as a 2,000-customer one. Using observed cells only keeps
    young cohorts from pulling late periods to 0; late periods rest on fewer,
    older cohorts (``cohort_size`` shows how many customers).

    Examples
    --------
    >>> import churnlab as cl
    >>> t = cl.cohort_table(cl.sample_dataset(), as_of="2026-10-31")
    >>> avg = cl.cohort_average(t)
    >>> avg.columns.tolist()
    ['period_number', 'cohort_size', 'customers_active', 'retention']
    >>> avg.loc[12, ["cohort_size", "customers_active"]].astype(int).tolist()
    [2208, 1627]
    >>> round(float(avg.loc[12, "retention"]), 3)
    0.737
    """
    kind = cohort_kind(table)
    keys = cohort_keys(table)
    sums = [c for c in _SUMMABLE if c in table.columns]
    out = (
        table.groupby([*keys, "period_number"], dropna=False, sort=True)[sums]
        .sum()
        .reset_index()
    )
    out = _rates(out)
    columns = _columns(kind, keys, calendar=False)
    out = out[columns]
    out.attrs.update(table.attrs)
    return out


def cohort_matrix(table: pd.DataFrame, *, values: str = "rate") -> pd.DataFrame:
    """Pivot a long cohort frame into a cohort x period-number matrix.

    Parameters
    ----------
    table : pandas.DataFrame
        A frame from :func:`cohort_table` or :func:`cohort_average`.
    values : str, default "rate"
        ``"rate"`` (retention or ltv), ``"count"`` (the numerator:
        ``customers_active``, ``revenue`` for revenue retention,
        ``revenue_cumulative`` for ltv), ``"logo"`` (``customers_active /
        cohort_size``, so one ``kind="revenue"`` table gives both the logo and
        the revenue matrix) or any measure column's name.

    Returns
    -------
    pandas.DataFrame
        Indexed by cohort (and attribute groups; by the groups alone for an
        averaged frame), integer columns ``0..N`` named ``period_number``.
        Cells not observed at the as-of date are NaN. ``.attrs["cohort_size"]``
        holds the cohort sizes (period 0) as a Series on the same index, and
        ``.attrs["values"]`` the column shown.

    Examples
    --------
    >>> import churnlab as cl
    >>> t = cl.cohort_table(cl.sample_dataset(), as_of="2026-10-31")
    >>> m = cl.cohort_matrix(t)
    >>> m.shape
    (36, 36)
    >>> bool(m.iloc[-1, 1:].isna().all())
    True
    >>> ds = cl.sample_dataset()
    >>> rev = cl.cohort_table(ds, kind="revenue", as_of="2026-10-31")
    >>> cl.cohort_matrix(rev, values="logo").equals(m)
    True
    """
    kind = cohort_kind(table)
    if values == "logo" and {"customers_active", "cohort_size"} <= set(table.columns):
        table = table.assign(
            customer_share=ratio(table["customers_active"], table["cohort_size"])
        )
        column = "customer_share"
    elif values == "rate":
        column = "ltv" if kind == "ltv" else "retention"
    elif values == "count":
        column = {"revenue": "revenue", "ltv": "revenue_cumulative"}.get(
            kind, "customers_active"
        )
    elif values in table.columns and values not in _CALENDAR:
        column = values
    else:
        measures = [c for c in table.columns if c in (*_SUMMABLE, *_RATES)]
        raise ParameterError(
            f"values={values!r} must be 'rate', 'count', 'logo' (customer tables "
            f"only) or a measure column of the table ({', '.join(measures)})."
        )
    keys = cohort_keys(table) + (["cohort"] if "cohort" in table.columns else [])
    if not keys:
        frame = table.assign(cohort="all customers")
        keys = ["cohort"]
    else:
        frame = table
    n = int(table["period_number"].max()) + 1 if len(table) else 0
    wide = frame.pivot_table(
        index=keys,
        columns="period_number",
        values=column,
        aggfunc="first",
        dropna=False,
        sort=True,
    )
    wide = wide.reindex(columns=pd.RangeIndex(n, name="period_number"))
    first = frame[frame["period_number"] == 0]
    size = first.set_index(keys)["cohort_size"].reindex(wide.index)
    wide.attrs = {**table.attrs, "values": column, "cohort_size": size}
    return wide


@share_docs
def cohort_retention(
    data: DataLike,
    *args: object,
    freq: Freq = "M",
    kind: str = "logo",
    bounded: bool = True,
    as_of: DateLike | None = None,
    values: str = "rate",
    by: ByLike = None,
    by_period: bool = True,
    anchor: str = "first_activity",
    source: str | None = None,
) -> pd.DataFrame:
    """Cohort retention matrix: cohorts as rows, periods since start as columns.

    ``cohort_matrix(cohort_table(data, ...), values=values)`` in one call; see
    :func:`cohort_table` for the parameters, definitions and conventions.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders or subscriptions (or a Dataset holding them).
    *args
        Deprecated: ``freq, kind, bounded, as_of`` given by position.
    {freq}
    kind : {{"logo", "revenue", "orders", "ltv"}}, default "logo"
        What a cell measures (see :data:`KINDS`).
    bounded : bool, default True
        False: active in period k or any later observed period.
    {as_of}
    values : {{"rate", "count"}}, default "rate"
        The rates, or their numerators (customers; money for revenue and ltv).
    by, by_period, anchor, source
        As in :func:`cohort_table`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cohort`` (period start; preceded by the ``by`` levels), with
        integer columns ``0..N``; NaN where not yet observed.
        ``.attrs["cohort_size"]`` is a Series of cohort sizes on the same index;
        ``.attrs`` also records ``kind``, ``bounded``, ``freq``, ``as_of``,
        ``source`` and ``values``.

    Notes
    -----
    **Definition.** Row c, column k: the cohort of customers first active in
    period c, measured in calendar period c + k.

    **Formula.** ``customers_active / cohort_size`` (logo, orders), ``revenue /
    revenue_base`` (revenue), ``revenue_cumulative / cohort_size`` (ltv).

    **Convention.** Cells whose period is not complete at ``as_of`` are NaN,
    never 0, so the matrix is a triangle.

    Examples
    --------
    >>> import churnlab as cl
    >>> m = cl.cohort_retention(cl.sample_dataset(), as_of="2026-10-31")
    >>> m.index.name, m.columns[:3].tolist()
    ('cohort', [0, 1, 2])
    >>> m.loc["2025-01-01", [0, 3, 12]].round(3).tolist()
    [1.0, 0.943, 0.839]
    >>> int(m.attrs["cohort_size"].loc["2025-01-01"])
    87
    >>> ds = cl.sample_dataset()
    >>> rev = cl.cohort_retention(ds, kind="revenue", as_of="2026-10-31")
    >>> round(float(rev.loc["2025-01-01", 12]), 3)  # expansion: above 100%
    1.029
    """
    if args:
        names = ("freq", "kind", "bounded", "as_of")
        if len(args) > len(names):
            raise TypeError("cohort_retention takes data and keyword arguments.")
        warnings.warn(
            "Positional arguments after data are deprecated; call "
            "cohort_retention(data, "
            + ", ".join(f"{n}=..." for n in names[: len(args)])
            + ").",
            DeprecationWarning,
            stacklevel=2,
        )
        given = dict(zip(names, args, strict=False))
        freq = given.get("freq", freq)  # type: ignore[assignment]
        kind = given.get("kind", kind)  # type: ignore[assignment]
        bounded = given.get("bounded", bounded)  # type: ignore[assignment]
        as_of = given.get("as_of", as_of)  # type: ignore[assignment]
    periods.check_freq(freq)
    _check(kind, bounded, anchor, source, values)
    table = cohort_table(
        data,
        freq=freq,
        kind=kind,
        bounded=bounded,
        by=by,
        by_period=by_period,
        anchor=anchor,
        source=source,
        as_of=as_of,
    )
    return cohort_matrix(table, values=values)
