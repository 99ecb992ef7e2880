"""When is a customer active: the one implementation of the package's time rule.

Public names: ``step``, ``next_boundary``, ``subscription_intervals``,
``order_intervals``, ``intervals``, ``first_activity``, ``changes``,
``attributes``, ``CENTS``.

Every metric that asks "was this customer active at t" builds on these Ibis
builders (tables in, a table out, nothing executed), so churn, MRR movements,
cohorts and lifetimes agree by construction.

**The rule** (DESIGN.md, "Time and activity"). State is read at boundaries and
is the state just before the instant: a customer is active at ``t`` when some
interval has ``start < t`` and (``end`` is null or ``end >= t``). ``end`` is
exclusive, the first day not paid for.

* A subscription row is such an interval as it stands.
* Orders become intervals through the inactivity window W: a customer is active
  at ``t`` when some purchase has ``t - W <= ordered_at < t``. Purchases closer
  than W to the previous one merge into one *spell*, and a spell is the interval
  ``[first order, last order + W]``, so the subscription rule applies unchanged.

**Change points.** A customer's state changes only at the first boundary after
an interval starts (``truncate(start) + 1 period``) and at the first boundary
after it ends (``truncate(end) + 1 period``). :func:`changes` keeps one row per
customer and boundary where activity or MRR changes, with the state before and
after, computed by a running sum over those change events (no customer x period
grid). MRR is summed in integer cents (``mrr`` rounded to 0.01), so sums and the
MRR bridge are exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
from ibis import _

from churnlab import periods
from churnlab.contract import Dataset
from churnlab.errors import ParameterError

__all__ = [
    "CENTS",
    "step",
    "next_boundary",
    "subscription_intervals",
    "order_intervals",
    "intervals",
    "first_activity",
    "changes",
    "attributes",
]

#: MRR is carried in integer cents inside the engine; divide by this for money.
CENTS = 100


def step(freq: str) -> ir.IntervalScalar:
    """One period as an Ibis interval."""
    freq = periods.check_freq(freq)
    return {
        "D": ibis.interval(days=1),
        "W": ibis.interval(days=7),
        "M": ibis.interval(months=1),
        "Q": ibis.interval(months=3),
        "Y": ibis.interval(years=1),
    }[freq]


def next_boundary(ts: ir.TimestampValue, freq: str) -> ir.TimestampValue:
    """The first period boundary strictly after ``ts``: ``truncate(ts) + 1 period``."""
    return periods.truncate(ts, freq) + step(freq)


def subscription_intervals(subscriptions: ir.Table) -> ir.Table:
    """Subscriptions as activity intervals.

    Returns
    -------
    ibis.Table
        ``customer_id, start, end, mrr_cents`` (``end`` null = open).
    """
    return subscriptions.select(
        "customer_id",
        "start",
        "end",
        mrr_cents=(_.mrr * CENTS).round().cast("int64"),
    )


def order_intervals(purchases: ir.Table, *, inactivity_days: int) -> ir.Table:
    """Purchases merged into activity spells under an inactivity window.

    Parameters
    ----------
    purchases : ibis.Table
        Orders without refunds (:func:`churnlab.contract.purchases`).
    inactivity_days : int
        The window W in days: a customer is active at ``t`` while their latest
        purchase before ``t`` is at most W days old.

    Returns
    -------
    ibis.Table
        ``customer_id, start, end, mrr_cents, orders, revenue``: one row per spell,
        ``start`` = first order, ``end`` = last order + W (never null),
        ``mrr_cents`` = 0.
    """
    window = _check_window(inactivity_days)
    # One row per customer and instant first: activity depends only on distinct
    # order times, and without ties the window order is total, so the spell
    # numbering is deterministic (with ties, lag and the running sum may order
    # tied rows differently and split a spell at random).
    instants = purchases.group_by(["customer_id", "ordered_at"]).agg(
        orders=_.count(), revenue=_.amount.sum()
    )
    w = ibis.window(group_by="customer_id", order_by="ordered_at")
    prev = _.ordered_at.lag().over(w)
    flagged = instants.mutate(
        new_spell=(prev.isnull() | (_.ordered_at > prev + window)).cast("int64")
    )
    numbered = flagged.mutate(
        spell=_.new_spell.cumsum().over(
            ibis.window(
                group_by="customer_id",
                order_by="ordered_at",
                preceding=None,
                following=0,
            )
        )
    )
    return (
        numbered.group_by(["customer_id", "spell"])
        .agg(
            start=_.ordered_at.min(),
            last_order=_.ordered_at.max(),
            orders=_.orders.sum(),
            revenue=_.revenue.sum(),
        )
        .select(
            "customer_id",
            "start",
            end=_.last_order + window,
            mrr_cents=ibis.literal(0, "int64"),
            orders="orders",
            revenue="revenue",
        )
    )


def _check_window(inactivity_days: int) -> ir.IntervalScalar:
    if (
        isinstance(inactivity_days, bool)
        or not isinstance(inactivity_days, int)
        or inactivity_days < 1
    ):
        raise ParameterError(
            f"inactivity_days={inactivity_days!r} must be a whole number of days >= 1 "
            "(e.g. 90)."
        )
    return ibis.interval(days=inactivity_days)


def intervals(data: Dataset, *, inactivity_days: int | None = None) -> ir.Table:
    """Activity intervals of a dataset: subscriptions if present, else orders.

    Parameters
    ----------
    data : Dataset
        Must hold subscriptions or orders.
    inactivity_days : int, optional
        Required when only orders are present (and then used for them).
    """
    from churnlab.contract import purchases

    if data.subscriptions is not None and inactivity_days is None:
        return subscription_intervals(data.subscriptions)
    if data.orders is not None:
        if inactivity_days is None:
            raise ParameterError(
                "This dataset has orders but no subscriptions: pass inactivity_days= "
                "(e.g. 90) to say when a customer without orders counts as churned."
            )
        return order_intervals(purchases(data), inactivity_days=inactivity_days)
    data.table("subscriptions")  # raises the "no such table" ContractError
    raise AssertionError  # pragma: no cover


def first_activity(spans: ir.Table) -> ir.Table:
    """``customer_id, first_start``: the start of each customer's first interval."""
    return spans.group_by("customer_id").agg(first_start=_.start.min())


def changes(spans: ir.Table, *, freq: str, cutoff: object) -> ir.Table:
    """Per customer, the boundaries where activity or MRR changes.

    Parameters
    ----------
    spans : ibis.Table
        ``customer_id, start, end, mrr_cents`` intervals.
    freq : str
        Period unit; boundaries are period starts.
    cutoff : timestamp
        Exclusive end of the known data (:func:`churnlab.periods.cutoff`);
        boundaries after it are not produced.

    Returns
    -------
    ibis.Table
        ``customer_id, period, boundary, active_start, active_end, mrr_start_cents,
        mrr_end_cents``: one row for each customer and period P (``boundary`` =
        P.end) in which the customer's state at P.end differs from that at
        P.start. Between two rows a customer's state does not change.
    """
    cutoff_lit = ibis.literal(cutoff, "timestamp")
    on = spans.select(
        "customer_id",
        boundary=next_boundary(_.start, freq),
        dn=ibis.literal(1, "int64"),
        dm=_.mrr_cents,
    )
    off = spans.filter(_.end.notnull()).select(
        "customer_id",
        boundary=next_boundary(_.end, freq),
        dn=ibis.literal(-1, "int64"),
        dm=-_.mrr_cents,
    )
    events = (
        on.union(off)
        .filter(_.boundary <= cutoff_lit)
        .group_by(["customer_id", "boundary"])
        .agg(dn=_.dn.sum(), dm=_.dm.sum())
    )
    w = ibis.window(
        group_by="customer_id", order_by="boundary", preceding=None, following=0
    )
    running = events.mutate(n_end=_.dn.sum().over(w), mrr_end_cents=_.dm.sum().over(w))
    out = running.mutate(
        active_start=(_.n_end - _.dn) > 0,
        active_end=_.n_end > 0,
        mrr_start_cents=_.mrr_end_cents - _.dm,
    )
    out = out.filter(
        (_.active_start != _.active_end) | (_.mrr_start_cents != _.mrr_end_cents)
    )
    return out.select(
        "customer_id",
        period=_.boundary - step(freq),
        boundary="boundary",
        active_start="active_start",
        active_end="active_end",
        mrr_start_cents="mrr_start_cents",
        mrr_end_cents="mrr_end_cents",
    )


def attributes(
    data: Dataset, by: str | Sequence[str] | None
) -> tuple[list[str], ir.Table | None]:
    """Customer attributes to break a metric down by.

    Parameters
    ----------
    data : Dataset
        Must hold ``customers`` when ``by`` is given.
    by : str or sequence of str or None
        Columns of the customers table.

    Returns
    -------
    (list of str, ibis.Table or None)
        The column names and ``customers.select("customer_id", *by)`` (None when
        ``by`` is None).

    Raises
    ------
    ParameterError
        If a column is not in the customers table.
    """
    if by is None:
        return [], None
    cols = [by] if isinstance(by, str) else list(by)
    customers = data.customers
    if customers is None:
        raise ParameterError(
            f"by={by!r} needs a customers table holding {', '.join(cols)}; this "
            "dataset has none. Load one with load_dataset(..., customers=...)."
        )
    missing = [c for c in cols if c not in customers.columns or c == "customer_id"]
    if missing:
        options = [c for c in customers.columns if c != "customer_id"]
        raise ParameterError(
            f"by={missing[0]!r} is not a customer attribute; choose from "
            f"{', '.join(options)}."
        )
    return cols, customers.select("customer_id", *cols)
