"""When is a customer active: the one implementation of the package's time rule.

Public names: ``step``, ``next_boundary``, ``paying``, ``subscription_intervals``,
``order_intervals``, ``activity_spells``, ``intervals``, ``live``,
``first_activity``, ``is_active``, ``edges``, ``changes``, ``logo_flows``,
``LOGO_FLOWS``, ``logo_counts``, ``warm_up``, ``add_note``, ``CRR_NOTE``,
``period_ranges``, ``attributes``, ``CENTS``.

Every metric that asks "was this customer active at t" builds on these Ibis
builders (tables in, a table out, nothing executed), so churn, MRR movements,
cohorts and lifetimes agree by construction:

* intervals: :func:`subscription_intervals`, :func:`order_intervals` (spells
  under an inactivity window), :func:`activity_spells`, :func:`intervals`,
  :func:`live`;
* the state at ``t``: :func:`is_active`; spell merging and the instants where a
  customer switches on or off: :func:`edges`;
* change events at period boundaries, with MRR: :func:`changes` (MRR movements);
* the one logo-flow computation (customers at start, new, reactivated, churned,
  at end, per period and ``by`` group, plus the exposure behind
  ``churn_rate_at_risk``): :func:`logo_flows` in the engine, finished by
  :func:`logo_counts` in pandas. :func:`churnlab.customer_churn`,
  :func:`churnlab.order_churn`, :func:`churnlab.revenue_metrics` and
  :func:`churnlab.order_metrics` all call it;
* "active in period P" for cohorts (some interval overlaps P):
  :func:`period_ranges`.

**The rule** (DESIGN.md, "Time and activity"). State is read at boundaries and
is the state just before the instant: a customer is active at ``t`` when some
interval has ``start < t`` and (``end`` is null or ``end >= t``). ``end`` is
exclusive, the first day not paid for.

* A subscription row is such an interval as it stands, when it is paid for:
  a customer is a *paying* customer while their MRR is above zero
  (:func:`paying`). Zero-MRR rows and rows with ``is_trial`` true are trials or
  free use, left out of every activity-based metric (logo churn, NRR, ARPA,
  cohorts, lifetimes) and counted by :func:`churnlab.trials`;
  ``paying_only=False`` counts them as activity where a product wants it.
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
import pandas as pd
from ibis import _

from churnlab import periods
from churnlab._frames import COUNT, attach, cumsum, flag, ratio
from churnlab.contract import Dataset
from churnlab.errors import ParameterError

__all__ = [
    "CENTS",
    "paying",
    "step",
    "next_boundary",
    "subscription_intervals",
    "order_intervals",
    "activity_spells",
    "intervals",
    "live",
    "first_activity",
    "is_active",
    "edges",
    "changes",
    "LOGO_FLOWS",
    "logo_flows",
    "logo_counts",
    "warm_up",
    "add_note",
    "CRR_NOTE",
    "period_ranges",
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


def paying(subscriptions: ir.Table) -> ir.BooleanValue:
    """The paying-customer rule, per subscription row.

    A row is paid for when its MRR is above zero and it is not marked a trial
    (``is_trial`` true, when the column is present). Zero-MRR rows and trial
    rows are trials or free use (ChartMogul and Baremetrics count a customer
    only while their MRR is above zero): see :func:`churnlab.trials`.
    """
    rule = subscriptions.mrr > 0
    if "is_trial" in subscriptions.columns:
        rule = rule & ~subscriptions.is_trial.fill_null(False)
    return rule


def subscription_intervals(
    subscriptions: ir.Table, *, paying_only: bool = True
) -> ir.Table:
    """Subscriptions as activity intervals.

    Parameters
    ----------
    subscriptions : ibis.Table
        The subscriptions table.
    paying_only : bool, default True
        Keep only paid rows (:func:`paying`): a customer is active while they
        pay, so trials and free plans are never in logo churn, NRR or ARPA.
        False counts free and trial spells as activity too.

    Returns
    -------
    ibis.Table
        ``customer_id, start, end, mrr_cents`` (``end`` null = open).
    """
    if paying_only:
        subscriptions = subscriptions.filter(paying(subscriptions))
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
    return ibis.interval(days=periods.check_days(inactivity_days))


def _thin_purchases(purchases: ir.Table, days: int) -> ir.Table:
    """The purchases that can matter to spells: first and last per W-day bucket.

    Two purchases in the same bucket ``[k W, (k + 1) W)`` (days since the epoch)
    are less than W apart, so no spell can break between them, and dropping the
    purchases between a bucket's first and last leaves every spell's start and
    end unchanged. A hash aggregation instead of a sort over every order: with
    many orders per customer this shrinks the table the spell windows sort to at
    most two rows per customer and bucket.
    """
    bucket = (_.ordered_at.epoch_seconds() / (86400 * days)).floor().cast(COUNT)
    ends = purchases.group_by(["customer_id", bucket.name("bucket")]).agg(
        first=_.ordered_at.min(), last=_.ordered_at.max()
    )
    zero = ibis.literal(0.0, "float64")
    return ends.select("customer_id", ordered_at=_.first, amount=zero).union(
        ends.filter(_.last > _.first).select(
            "customer_id", ordered_at=_.last, amount=zero
        )
    )


def activity_spells(purchases: ir.Table, *, inactivity_days: int) -> ir.Table:
    """Order spells for activity only: :func:`order_intervals`, faster.

    The same ``customer_id, start, end, mrr_cents`` spells as
    :func:`order_intervals`, computed from at most two purchases per customer and
    W-day bucket (the spells' ``orders`` and ``revenue`` are dropped: they would
    count only the purchases kept).
    """
    days = periods.check_days(inactivity_days)
    spells = order_intervals(_thin_purchases(purchases, days), inactivity_days=days)
    return spells.select("customer_id", "start", "end", "mrr_cents")


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


def live(spans: ir.Table, cutoff: pd.Timestamp) -> ir.Table:
    """Intervals that can make a customer active before the cutoff.

    Empty intervals (``end == start``: never active under the rule) and intervals
    starting at or after the cutoff are dropped.
    """
    cut = ibis.literal(cutoff, "timestamp")
    return spans.filter((_.start < cut) & (_.end.isnull() | (_.end > _.start)))


def first_activity(spans: ir.Table) -> ir.Table:
    """``customer_id, first_start``: the start of each customer's first interval."""
    return spans.group_by("customer_id").agg(first_start=_.start.min())


def is_active(spans: ir.Table, t: object) -> ir.BooleanColumn:
    """The rule itself, per interval: ``start < t`` and (``end`` null or ``>= t``).

    A customer is active at ``t`` when any of their intervals is.
    """
    t_lit = ibis.literal(pd.Timestamp(t), "timestamp")
    return (spans.start < t_lit) & (spans.end.isnull() | (spans.end >= t_lit))


def edges(spans: ir.Table, *, disjoint: bool = False) -> ir.Table:
    """Exact instants where a customer's activity switches on or off.

    A running sum over start (+1) and end (-1) events per customer, so
    overlapping or touching intervals merge into one *island* (a customer is one
    customer however many subscriptions they hold). At equal instants starts sort
    first, so an interval ending where the next begins leaves no gap.

    Parameters
    ----------
    spans : ibis.Table
        ``customer_id, start, end`` intervals (pass them through :func:`live`).
    disjoint : bool, default False
        True when each customer's intervals are already disjoint (order spells):
        the running sum is skipped.

    Returns
    -------
    ibis.Table
        ``customer_id, t, is_start, first_t``: each island contributes its start
        (active just after ``t``) and, once it has ended, its end (active at
        ``t``, not just after); ``first_t`` is the customer's first start.
    """
    if disjoint:
        spells = spans.mutate(first_t=_.start.min().over(group_by="customer_id"))
        on = spells.select(
            "customer_id", t=_.start, is_start=ibis.literal(True), first_t="first_t"
        )
        off = spells.filter(_.end.notnull()).select(
            "customer_id", t=_.end, is_start=ibis.literal(False), first_t="first_t"
        )
        return on.union(off)
    on = spans.select("customer_id", t=_.start, dn=ibis.literal(1, COUNT))
    off = spans.filter(_.end.notnull()).select(
        "customer_id", t=_.end, dn=ibis.literal(-1, COUNT)
    )
    run = ibis.window(
        group_by="customer_id",
        order_by=[_.t, ibis.desc(_.dn)],
        preceding=None,
        following=0,
    )
    events = on.union(off).mutate(n=_.dn.sum().over(run), first_t=_.t.min().over(run))
    switched = ((_.n - _.dn) == 0) & (_.n > 0) | ((_.n - _.dn) > 0) & (_.n == 0)
    return events.filter(switched).select(
        "customer_id", "t", is_start=_.n > 0, first_t="first_t"
    )


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


#: The note a row gets when its ``crr`` leaves [0, 1].
CRR_NOTE = (
    "crr outside [0, 1]: (E - N) / S counts every sign-up of the period, also "
    "those lost inside it; not a retention rate"
)

#: The per-period aggregates :func:`logo_flows` returns (all int64 sums).
LOGO_FLOWS: dict[str, str] = {
    m: COUNT
    for m in (
        "d_active",
        "churned",
        "activated",
        "new_retained",
        "new",
        "n_s",
        "s_s",
        "n_e",
        "s_e",
    )
}


def logo_flows(
    edge_rows: ir.Table,
    *,
    freq: str,
    last: pd.Timestamp,
    attrs: ir.Table | None = None,
    by_cols: Sequence[str] = (),
) -> ir.Table:
    """The one logo-flow computation: per period (and group) activity flows.

    Parameters
    ----------
    edge_rows : ibis.Table
        :func:`edges` of the live intervals.
    freq : str
        Period unit.
    last : Timestamp
        Start of the last period reported (:func:`periods.last_complete_period`).
    attrs : ibis.Table, optional
        ``customer_id`` and the ``by`` columns (:func:`attributes`).
    by_cols : sequence of str
        The ``by`` columns.

    Returns
    -------
    ibis.Table
        ``period``, by-columns and :data:`LOGO_FLOWS`: ``d_active`` (end minus
        start count), ``churned`` (active at P.start, not at P.end),
        ``activated`` (not at P.start, active at P.end), ``new_retained`` (of
        those, first ever start in P), ``new`` (first ever start in P), and the
        island starts/ends in P (``n_s``, ``n_e``) with their epoch-second sums
        (``s_s``, ``s_e``) for the exposure. Finish with :func:`logo_counts`.

    Notes
    -----
    Each customer's edges alternate start, end, start, ... so the state at a
    period's boundaries follows from the edges inside it: active at P.start iff
    the first edge in P is an end (the island began before P and covers
    P.start, since ``end >= P.start``), active at P.end iff the last edge in P
    is a start. A customer without edges in P keeps its state, so only
    customer-periods with edges change a count, and the boundary counts are
    cumulative sums of the flows: no customer x period grid.
    """
    by_cols = list(by_cols)
    keys = ["period", *by_cols]
    secs = _.t.epoch_seconds().cast(COUNT)
    per_customer = (
        edge_rows.mutate(period=periods.truncate(_.t, freq))
        .filter(_.period <= ibis.literal(last, "timestamp"))
        .group_by(["customer_id", "period"])
        .agg(
            first_is_start=_.is_start.argmin(_.t),
            last_is_start=_.is_start.argmax(_.t),
            first_period=periods.truncate(_.first_t.min(), freq),
            n_s=flag(_.is_start).sum(),
            s_s=ibis.ifelse(_.is_start, secs, 0).sum(),
            n_e=flag(~_.is_start).sum(),
            s_e=ibis.ifelse(_.is_start, 0, secs).sum(),
        )
    )
    cp = attach(per_customer, attrs, by_cols)
    a0, a1 = ~cp.first_is_start, cp.last_is_start
    is_first = cp.period == cp.first_period
    return cp.group_by(keys).agg(
        d_active=(flag(a1) - flag(a0)).sum(),
        churned=flag(a0 & ~a1).sum(),
        activated=flag(~a0 & a1).sum(),
        new_retained=flag(~a0 & a1 & is_first).sum(),
        new=flag(is_first).sum(),
        n_s=cp.n_s.sum(),
        s_s=cp.s_s.sum(),
        n_e=cp.n_e.sum(),
        s_e=cp.s_e.sum(),
    )


def _seconds(ts: pd.Series) -> pd.Series:
    return (ts - pd.Timestamp(0)) // pd.Timedelta(seconds=1)


def logo_counts(g: pd.DataFrame, by_cols: Sequence[str] = ()) -> pd.DataFrame:
    """Customer counts, rates and exposure from :func:`logo_flows` on a period grid.

    Parameters
    ----------
    g : pandas.DataFrame
        :func:`churnlab._frames.grid` of the :func:`logo_flows` aggregates (every
        period and group, ``period_end`` included).
    by_cols : sequence of str
        The ``by`` columns.

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``customers_start, customers_new,
        customers_new_lost, customers_reactivated, customers_churned,
        customers_end, churn_rate, crr, churn_events, customer_periods_at_risk,
        churn_rate_at_risk, note``. ``crr`` = ``(E - N) / S`` with N = every
        sign-up of the period can leave [0, 1] (many sign-ups lost inside a
        long period push it below 0); such rows carry :data:`CRR_NOTE` in
        ``note`` (empty where nothing needs saying).
    """
    by_cols = list(by_cols)
    end = cumsum(g, "d_active", by_cols)
    out = g[["period", *by_cols]].copy()
    out["customers_start"] = end - g["d_active"]
    out["customers_new"] = g["new"]
    out["customers_new_lost"] = g["new"] - g["new_retained"]
    out["customers_reactivated"] = g["activated"] - g["new_retained"]
    out["customers_churned"] = g["churned"]
    out["customers_end"] = end
    out["churn_rate"] = ratio(out["customers_churned"], out["customers_start"])
    out["crr"] = ratio(
        out["customers_end"] - out["customers_new"], out["customers_start"]
    )
    # Exposure: C(T) = sum over islands of the time active before T
    #              = T * (starts before T - ends before T) - sum(start) + sum(end).
    t_end = _seconds(g["period_end"])
    t_start = _seconds(g["period"])
    ns, ss = cumsum(g, "n_s", by_cols), cumsum(g, "s_s", by_cols)
    ne, se = cumsum(g, "n_e", by_cols), cumsum(g, "s_e", by_cols)
    c_end = t_end * (ns - ne) - ss + se
    ns0, ss0, ne0, se0 = ns - g["n_s"], ss - g["s_s"], ne - g["n_e"], se - g["s_e"]
    c_start = t_start * (ns0 - ne0) - ss0 + se0
    out["churn_events"] = g["n_e"]
    out["customer_periods_at_risk"] = (c_end - c_start) / (t_end - t_start)
    out["churn_rate_at_risk"] = ratio(
        out["churn_events"], out["customer_periods_at_risk"]
    )
    count_cols = [
        "customers_start",
        "customers_new",
        "customers_new_lost",
        "customers_reactivated",
        "customers_churned",
        "customers_end",
        "churn_events",
    ]
    out[count_cols] = out[count_cols].astype("int64")
    out["note"] = ""
    add_note(out, (out["crr"] < 0) | (out["crr"] > 1), CRR_NOTE)
    return out


def add_note(out: pd.DataFrame, mask: pd.Series, text: str) -> None:
    """Append ``text`` to the ``note`` column where ``mask`` holds (in place).

    ``note`` is an empty string where nothing needs saying; several notes on
    one row are joined with ``"; "``.
    """
    if "note" not in out.columns:
        out["note"] = ""
    mask = mask.fillna(False).astype(bool)
    old = out.loc[mask, "note"]
    out.loc[mask, "note"] = old.where(old == "", old + "; ") + text


def warm_up(
    out: pd.DataFrame,
    *,
    first_order: pd.Timestamp | None,
    inactivity_days: int,
    freq: str,
    rates: Sequence[str] = ("churn_rate", "crr", "churn_rate_at_risk"),
) -> pd.DataFrame:
    """Blank the churn rates of order periods before one window of history.

    Under an inactivity window W nobody can have churned before W has passed
    since the first order in the data, so a period ending at or before
    ``first_order + W`` measures nothing: its rates are NaN (unknown, not 0)
    and its ``note`` says why. Counts are left as they are.

    Parameters
    ----------
    out : pandas.DataFrame
        A frame with ``period`` (period starts) and the ``rates`` columns.
    first_order : Timestamp or None
        The first order in the data (None: no orders, nothing to blank).
    inactivity_days : int
        The window W in days.
    freq : str
        Period unit.
    rates : sequence of str
        The columns to blank (those present).

    Returns
    -------
    pandas.DataFrame
        ``out`` with the rates blanked and a ``note`` column.
    """
    if "note" not in out.columns:
        out["note"] = ""
    if first_order is None or pd.isna(first_order) or out.empty:
        return out
    known_from = pd.Timestamp(first_order) + pd.Timedelta(days=inactivity_days)
    ends = periods.period_end(pd.to_datetime(out["period"]), freq)
    mask = ends <= known_from
    for col in rates:
        if col in out.columns:
            out.loc[mask, col] = float("nan")
    add_note(
        out,
        mask,
        f"warm-up: less than one inactivity window ({inactivity_days} days) of "
        f"order history (first order {pd.Timestamp(first_order):%Y-%m-%d}), so "
        "churn is not measurable yet",
    )
    return out


def _merge_ranges(ranges: ir.Table) -> ir.Table:
    """Merge each customer's overlapping or adjacent ``[a, b]`` period ranges.

    A range starts a new block when it begins after every earlier range (in
    ``a, b`` order) has ended: ``a > max(b of earlier ranges) + 1``.
    """
    order = ["a", "b"]
    running = ibis.window(
        group_by="customer_id", order_by=order, preceding=None, following=0
    )
    flagged = ranges.mutate(reach=_.b.max().over(running)).mutate(
        prev_reach=_.reach.lag().over(
            ibis.window(group_by="customer_id", order_by=order)
        )
    )
    flagged = flagged.mutate(
        block_start=(_.prev_reach.isnull() | (_.a > _.prev_reach + 1)).cast("int64")
    )
    blocks = flagged.mutate(block=_.block_start.cumsum().over(running))
    return blocks.group_by(["customer_id", "block"]).agg(a=_.a.min(), b=_.b.max())


def period_ranges(spans: ir.Table, *, freq: str, last_idx: int) -> ir.Table:
    """The periods each customer is active *in*: merged blocks of period indices.

    A customer is active in period P when they are active at some instant of
    it under the rule: one of their non-empty intervals overlaps it, ``start <
    P.end`` and (``end`` null or ``end > P.start``); an interval with ``end ==
    start`` never makes a customer active. An interval
    covers the periods from the one holding ``start`` to the one holding the
    last instant before ``end`` (``end`` is exclusive, so an ``end`` on a period
    boundary does not reach that period), capped at ``last_idx``.

    Parameters
    ----------
    spans : ibis.Table
        ``customer_id, start, end`` intervals.
    freq : str
        Period unit.
    last_idx : int
        :func:`periods.period_index` of the last complete period.

    Returns
    -------
    ibis.Table
        ``customer_id, block, a, b``: disjoint, non-adjacent ranges ``[a, b]``
        of period indices (:func:`periods.period_index`).
    """
    last_lit = ibis.literal(last_idx, "int64")
    end_idx = periods.period_index(_.end, freq) - (
        _.end == periods.truncate(_.end, freq)
    ).cast("int64")
    ranges = (
        spans.filter(_.end.isnull() | (_.end > _.start))
        .select(
            "customer_id",
            a=periods.period_index(_.start, freq),
            b=ibis.ifelse(_.end.isnull(), last_lit, ibis.least(end_idx, last_lit)),
        )
        .filter(_.b >= _.a)
    )
    return _merge_ranges(ranges)
