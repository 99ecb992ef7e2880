"""Customer (logo) churn for subscriptions and orders, every convention side by side.

Public names: ``customer_churn``, ``order_churn``, ``crr``, ``churn_conventions``,
``wilson_interval``.

Everything here applies the package's one activity rule (:mod:`churnlab.states`:
active at ``t`` iff some interval has ``start < t <= end``) to the intervals
:mod:`churnlab.states` builds: subscriptions as they stand, orders as spells
under an inactivity window. A running sum over each customer's exact start and
end events gives the *edges* where their activity switches on or off
(overlapping or touching subscriptions merge into one island). One group-by
over (customer, period) then reads the state at each period's start and end
off the first and last edge inside it, exactly as
:func:`churnlab.states.changes` does with boundary events (the tests check the
two agree, and both against a brute-force evaluation of the rule). The counts
at every boundary are cumulative sums of activations minus deactivations per
period, joined to a period spine in pandas: no customer x period grid. The
same edges give the customer-periods at risk behind ``churn_rate_at_risk``, as
cumulative sums of island starts and ends per period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis import _
from scipy.stats import norm

from churnlab import contract, engine, periods, states
from churnlab._docs import share_docs
from churnlab.errors import ParameterError

__all__ = [
    "customer_churn",
    "order_churn",
    "crr",
    "churn_conventions",
    "wilson_interval",
]

_COUNT = "int64"


# --------------------------------------------------------------------------------
# shared helpers (used by revenue.py, orders.py and nps.py too)
# --------------------------------------------------------------------------------
def _check_days(inactivity_days: Any) -> int:
    if (
        isinstance(inactivity_days, bool)
        or not isinstance(inactivity_days, int | np.integer)
        or inactivity_days < 1
    ):
        raise ParameterError(
            f"inactivity_days={inactivity_days!r} must be a whole number of days >= 1 "
            "(e.g. 90)."
        )
    return int(inactivity_days)


def _setup(
    data: Any, table: str, *, by: Any, freq: str, as_of: Any
) -> tuple[contract.Dataset, list[str], ir.Table | None, pd.Timestamp]:
    """Validate inputs and resolve ``by`` and ``as_of`` (parameters first)."""
    if as_of is not None:
        periods.parse_date(as_of)
    ds = contract.as_dataset(data, table)
    by_cols, attrs = states.attributes(ds, by)
    as_of = periods.resolve_as_of(as_of, latest=ds.latest(table), freq=freq)
    return ds, by_cols, attrs, as_of


def _last_period(as_of: pd.Timestamp, freq: str) -> pd.Timestamp:
    """Start of the last period that is complete at ``as_of``."""
    p = periods.period_start(pd.Timestamp(as_of), freq)
    if periods.period_end(p, freq) <= periods.cutoff(as_of):
        return p
    return periods.period_start(p - pd.Timedelta(days=1), freq)


def _attach(rows: ir.Table, attrs: ir.Table | None, by_cols: list[str]) -> ir.Table:
    """Left-join customer attributes onto rows keyed by ``customer_id``."""
    if attrs is None:
        return rows
    joined = rows.left_join(attrs, "customer_id")
    return joined.select(*rows.columns, *by_cols)


def _live(spans: ir.Table, cutoff: pd.Timestamp) -> ir.Table:
    """Intervals that can make a customer active before the cutoff.

    Empty intervals (``end == start``: never active under the rule) and intervals
    starting at or after the cutoff are dropped.
    """
    cut = ibis.literal(cutoff, "timestamp")
    return spans.filter((_.start < cut) & (_.end.isnull() | (_.end > _.start)))


def _edges(spans: ir.Table) -> ir.Table:
    """Exact instants where a customer's activity switches on or off.

    A running sum over start (+1) and end (-1) events per customer, so
    overlapping or touching intervals merge (a customer is one customer however
    many subscriptions they hold). At equal instants starts sort first, so an
    interval ending where the next begins leaves no gap. Returns ``customer_id,
    t, is_start, first_t``: each activity *island* contributes its start (active
    just after ``t``) and, once it has ended, its end (active at ``t``, not just
    after); ``first_t`` is the customer's first start.
    """
    on = spans.select("customer_id", t=_.start, dn=ibis.literal(1, _COUNT))
    off = spans.filter(_.end.notnull()).select(
        "customer_id", t=_.end, dn=ibis.literal(-1, _COUNT)
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


def _thin_purchases(purchases: ir.Table, days: int) -> ir.Table:
    """The purchases that can matter to spells: first and last per W-day bucket.

    Two purchases in the same bucket ``[k W, (k + 1) W)`` (days since the epoch)
    are less than W apart, so no spell can break between them, and dropping the
    purchases between a bucket's first and last leaves every spell's start and
    end unchanged. A hash aggregation instead of a sort over every order: with
    many orders per customer this shrinks the table the spell windows sort to at
    most two rows per customer and bucket. (Spell ``orders`` and ``revenue``
    are then meaningless; only the activity is used.)
    """
    bucket = (_.ordered_at.epoch_seconds() / (86400 * days)).floor().cast(_COUNT)
    ends = purchases.group_by(["customer_id", bucket.name("bucket")]).agg(
        first=_.ordered_at.min(), last=_.ordered_at.max()
    )
    zero = ibis.literal(0.0, "float64")
    return ends.select("customer_id", ordered_at=_.first, amount=zero).union(
        ends.filter(_.last > _.first).select(
            "customer_id", ordered_at=_.last, amount=zero
        )
    )


def _spell_edges(spells: ir.Table) -> ir.Table:
    """Edges of intervals that are already disjoint per customer (order spells)."""
    spells = spells.mutate(first_t=_.start.min().over(group_by="customer_id"))
    on = spells.select(
        "customer_id", t=_.start, is_start=ibis.literal(True), first_t="first_t"
    )
    off = spells.filter(_.end.notnull()).select(
        "customer_id", t=_.end, is_start=ibis.literal(False), first_t="first_t"
    )
    return on.union(off)


def _stack(
    parts: Sequence[ir.Table], keys: list[str], metrics: dict[str, str]
) -> ir.Table:
    """Union per-part aggregates (missing metrics as 0) and sum them by ``keys``."""
    filled = []
    for part in parts:
        filled.append(
            part.select(
                *keys,
                **{
                    m: (part[m].cast(t) if m in part.columns else ibis.literal(0, t))
                    for m, t in metrics.items()
                },
            )
        )
    stacked = filled[0]
    for part in filled[1:]:
        stacked = stacked.union(part)
    return stacked.group_by(keys).agg(**{m: stacked[m].sum() for m in metrics})


def _flag(cond: ir.BooleanValue) -> ir.IntegerValue:
    return cond.cast(_COUNT)


def _logo_parts(
    edges: ir.Table,
    *,
    freq: str,
    last: pd.Timestamp,
    attrs: ir.Table | None,
    by_cols: list[str],
) -> list[ir.Table]:
    """Per-period aggregates behind the logo counts and customer-periods at risk.

    Each customer's edges alternate start, end, start, ... so the state at a
    period's boundaries follows from the edges inside it: active at P.start iff
    the first edge in P is an end (the island began before P and covers
    P.start, since ``end >= P.start``), active at P.end iff the last edge in P
    is a start (``start < P.end`` and the island has not ended by then). A
    customer without edges in P keeps its state, so only customer-periods with
    edges can change a count; the boundary counts are then cumulative sums of
    activations minus deactivations per period, as in
    :func:`churnlab.states.changes` (the tests check the two agree). ``first_t``
    (the customer's first start) marks the period in which they are new.
    """
    keys = ["period", *by_cols]
    secs = _.t.epoch_seconds().cast(_COUNT)
    per_customer = (
        edges.mutate(period=periods.truncate(_.t, freq))
        .filter(_.period <= ibis.literal(last, "timestamp"))
        .group_by(["customer_id", "period"])
        .agg(
            first_is_start=_.is_start.argmin(_.t),
            last_is_start=_.is_start.argmax(_.t),
            first_period=periods.truncate(_.first_t.min(), freq),
            n_s=_flag(_.is_start).sum(),
            s_s=ibis.ifelse(_.is_start, secs, 0).sum(),
            n_e=_flag(~_.is_start).sum(),
            s_e=ibis.ifelse(_.is_start, 0, secs).sum(),
        )
    )
    cp = _attach(per_customer, attrs, by_cols)
    a0, a1 = ~cp.first_is_start, cp.last_is_start
    is_first = cp.period == cp.first_period
    flows = cp.group_by(keys).agg(
        d_active=(_flag(a1) - _flag(a0)).sum(),
        churned=_flag(a0 & ~a1).sum(),
        activated=_flag(~a0 & a1).sum(),
        new_retained=_flag(~a0 & a1 & is_first).sum(),
        new=_flag(is_first).sum(),
        n_s=cp.n_s.sum(),
        s_s=cp.s_s.sum(),
        n_e=cp.n_e.sum(),
        s_e=cp.s_e.sum(),
    )
    return [flows]


_LOGO_METRICS = {
    m: _COUNT
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


def _grid(
    agg: pd.DataFrame,
    by_cols: list[str],
    freq: str,
    as_of: pd.Timestamp,
    metrics: Mapping[str, str],
) -> pd.DataFrame:
    """Spine x groups with the aggregates merged in (0 where a period has none)."""
    agg = agg.copy()
    agg["period"] = pd.to_datetime(agg["period"]).astype("datetime64[ns]")
    if agg.empty:
        spine = pd.DataFrame(
            {
                "period": pd.Series([], dtype="datetime64[ns]"),
                "period_end": pd.Series([], dtype="datetime64[ns]"),
            }
        )
    else:
        spine = periods.spine(agg["period"].min(), as_of, freq)
    if by_cols:
        groups = agg[by_cols].drop_duplicates()
        full = spine.merge(groups, how="cross")
    else:
        full = spine
    out = full.merge(agg, on=["period", *by_cols], how="left")
    for m, dtype in metrics.items():
        out[m] = out[m].fillna(0).astype(dtype)
    return out.sort_values([*by_cols, "period"], kind="stable").reset_index(drop=True)


def _cumsum(frame: pd.DataFrame, col: str, by_cols: list[str]) -> pd.Series:
    if by_cols:
        return frame.groupby(by_cols, dropna=False, sort=False)[col].cumsum()
    return frame[col].cumsum()


def _ratio(num: pd.Series | float, den: pd.Series | float) -> pd.Series:
    """``num / den`` as float, NaN where ``den`` is 0 (never inf)."""
    num = pd.Series(num, dtype="float64") if not isinstance(num, pd.Series) else num
    den_s = den if isinstance(den, pd.Series) else pd.Series(den, index=num.index)
    den_f = den_s.astype("float64")
    return num.astype("float64") / den_f.where(den_f != 0)


def _seconds(ts: pd.Series) -> pd.Series:
    return (ts - pd.Timestamp(0)) // pd.Timedelta(seconds=1)


def _finish_logo(grid: pd.DataFrame, by_cols: list[str]) -> pd.DataFrame:
    """Counts, rates and exposure from the per-period aggregates."""
    g = grid
    end = _cumsum(g, "d_active", by_cols)
    out = g[["period", *by_cols]].copy()
    out["customers_start"] = end - g["d_active"]
    out["customers_new"] = g["new"]
    out["customers_new_lost"] = g["new"] - g["new_retained"]
    out["customers_reactivated"] = g["activated"] - g["new_retained"]
    out["customers_churned"] = g["churned"]
    out["customers_end"] = end
    out["churn_rate"] = _ratio(out["customers_churned"], out["customers_start"])
    out["crr"] = _ratio(
        out["customers_end"] - out["customers_new"], out["customers_start"]
    )
    # Exposure: C(T) = sum over islands of the time active before T
    #              = T * (starts before T - ends before T) - sum(start) + sum(end).
    t_end = _seconds(g["period_end"])
    t_start = _seconds(g["period"])
    ns, ss = _cumsum(g, "n_s", by_cols), _cumsum(g, "s_s", by_cols)
    ne, se = _cumsum(g, "n_e", by_cols), _cumsum(g, "s_e", by_cols)
    c_end = t_end * (ns - ne) - ss + se
    ns0, ss0, ne0, se0 = ns - g["n_s"], ss - g["s_s"], ne - g["n_e"], se - g["s_e"]
    c_start = t_start * (ns0 - ne0) - ss0 + se0
    out["churn_events"] = g["n_e"]
    out["customer_periods_at_risk"] = (c_end - c_start) / (t_end - t_start)
    out["churn_rate_at_risk"] = _ratio(
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
    return out


def _logo_table(
    edges: ir.Table,
    *,
    freq: str,
    as_of: pd.Timestamp,
    attrs: ir.Table | None,
    by_cols: list[str],
) -> pd.DataFrame:
    last = _last_period(as_of, freq)
    (flows,) = _logo_parts(edges, freq=freq, last=last, attrs=attrs, by_cols=by_cols)
    agg = engine.execute(flows)
    grid = _grid(agg, by_cols, freq, as_of, _LOGO_METRICS)
    return _finish_logo(grid, by_cols)


# --------------------------------------------------------------------------------
# public
# --------------------------------------------------------------------------------
@share_docs
def customer_churn(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """Customer (logo) churn per period, from subscriptions.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions with ``customer_id, start, mrr`` and optional ``end``
        (exclusive: the first day not paid for), or a Dataset holding them (and
        ``customers`` when ``by`` is given).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        One row per period (and ``by`` group), ``period`` = the period's start:
        ``customers_start``, ``customers_new``, ``customers_new_lost``,
        ``customers_reactivated``, ``customers_churned``, ``customers_end``,
        ``churn_rate``, ``crr``, ``churn_events``, ``customer_periods_at_risk``,
        ``churn_rate_at_risk``.

    Raises
    ------
    ContractError
        If the subscriptions break the data contract.
    ParameterError
        For a bad ``freq``, ``as_of`` or ``by``.

    See Also
    --------
    churn_conventions : the same period under every published churn formula.
    order_churn : the same counts for customers who order without a contract.

    Notes
    -----
    **Definition.** A customer is active at instant ``t`` when one of their
    subscriptions has ``start < t <= end`` (open when ``end`` is null). For the
    half-open period P = [P.start, P.end): *churned* = active at P.start and not
    at P.end; *new* = first ever subscription starts inside P (every sign-up);
    *new-and-lost* = new and not active at P.end; *reactivated* = not active at
    P.start, subscribed before, active at P.end.

    **Formula.** ``churn_rate = customers_churned / customers_start``;
    ``crr = (customers_end - customers_new) / customers_start``;
    ``churn_rate_at_risk = churn_events / customer_periods_at_risk``, where
    ``churn_events`` counts every end of a customer's activity inside P
    (``customers_churned + customers_new_lost`` plus any reactivated customer who
    left again inside P) and ``customer_periods_at_risk`` is the time customers
    were active inside P, in periods (a customer active for half of P counts
    0.5). The counts reconcile exactly: ``customers_end = customers_start -
    customers_churned + customers_new - customers_new_lost +
    customers_reactivated``.

    **Convention.** ``churn_rate`` is ChartMogul's standard (B2B) customer churn
    rate: the denominator is the count at the period's start, so customers who
    sign up and leave inside P are in neither term. They are not hidden: they
    are ``customers_new_lost``. With 100 customers at the start, 30 sign-ups and
    110 at the end, 20 were lost; only customer-level data says how many of
    those were new (see :func:`churn_conventions`). ``crr`` is the textbook
    ``(E - N) / S`` with N = every sign-up, so it also charges the new-and-lost
    against retention and can differ from ``1 - churn_rate``.
    ``churn_rate_at_risk`` is the exposure-based rate (events per
    customer-period at risk) that handles mid-period sign-ups. A customer with
    several overlapping subscriptions is one customer: it churns only when the
    last one ends (ChartMogul and Baremetrics count a partial cancellation as
    contraction, not churn). Subscriptions with ``end == start`` never make a
    customer active and are ignored.

    Examples
    --------
    >>> import churnlab as cl
    >>> df = cl.customer_churn(cl.sample_dataset(), as_of="2025-06-30")
    >>> row = df.iloc[-1]
    >>> row["period"].strftime("%Y-%m")
    '2025-06'
    >>> cols = ["customers_start", "customers_churned", "customers_new"]
    >>> row[cols].astype(int).tolist()
    [1289, 33, 118]
    >>> bool((df["customers_end"] == df["customers_start"] - df["customers_churned"]
    ...       + df["customers_new"] - df["customers_new_lost"]
    ...       + df["customers_reactivated"]).all())
    True
    """
    freq = periods.check_freq(freq)
    ds, by_cols, attrs, as_of = _setup(
        data, "subscriptions", by=by, freq=freq, as_of=as_of
    )
    spans = _live(
        states.subscription_intervals(ds.subscriptions), periods.cutoff(as_of)
    )
    return _logo_table(
        _edges(spans), freq=freq, as_of=as_of, attrs=attrs, by_cols=by_cols
    )


@share_docs
def order_churn(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
    inactivity_days: int = 90,
) -> pd.DataFrame:
    """Non-contractual customer churn per period, from orders.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders with ``customer_id, ordered_at, amount`` (refunds are excluded with
        a :class:`~churnlab.ChurnlabWarning` giving their count), or a Dataset
        holding them.
    {by}
    {freq}
    {as_of}
    {inactivity_days}

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`customer_churn` (``customers_start``,
        ``customers_new``, ``customers_new_lost``, ``customers_reactivated``,
        ``customers_churned``, ``customers_end``, ``churn_rate``, ``crr``,
        ``churn_events``, ``customer_periods_at_risk``, ``churn_rate_at_risk``)
        followed by ``inactivity_days``, the window every figure depends on.

    Raises
    ------
    ContractError
        If the orders break the data contract.
    ParameterError
        For a bad ``freq``, ``as_of``, ``by`` or ``inactivity_days``.

    See Also
    --------
    customer_churn : the contractual version.

    Notes
    -----
    **Definition.** A customer is active at instant ``t`` when they have a
    purchase with ``t - W <= ordered_at < t`` (W = ``inactivity_days``): active
    from the first order until W days after the last one. Churned in P = active
    at P.start, not at P.end, i.e. their W days of grace ran out inside P.

    **Formula.** ``churn_rate = customers_churned / customers_start``; the other
    columns as in :func:`customer_churn` (``customers_end = customers_start -
    customers_churned + customers_new - customers_new_lost +
    customers_reactivated``).

    **Convention.** A churn is dated when the window runs out, not at the last
    order: a customer whose last purchase is 10 March churns in June under
    W = 90 days (8 June), so the last W days of data cannot yet show churn of
    recent buyers. The window is a modelling choice (a 90-day default is common
    in retail); pick one longer than the usual gap between orders and report it
    with every figure (the ``inactivity_days`` column does).

    Examples
    --------
    >>> import churnlab as cl
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     df = cl.order_churn(cl.sample_dataset(), inactivity_days=90)
    >>> last = df.iloc[-1]
    >>> int(last.customers_start), int(last.customers_churned)
    (2182, 131)
    >>> print(f"{{last.churn_rate:.4f}}")
    0.0600
    >>> int(df["inactivity_days"].iloc[0])
    90
    """
    freq = periods.check_freq(freq)
    days = _check_days(inactivity_days)
    ds, by_cols, attrs, as_of = _setup(data, "orders", by=by, freq=freq, as_of=as_of)
    buys = _thin_purchases(contract.purchases(ds), days)
    spells = _live(
        states.order_intervals(buys, inactivity_days=days), periods.cutoff(as_of)
    )
    out = _logo_table(
        _spell_edges(spells),
        freq=freq,
        as_of=as_of,
        attrs=attrs,
        by_cols=by_cols,
    )
    out["inactivity_days"] = days
    out.attrs["inactivity_days"] = days
    return out


@share_docs
def crr(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """Customer retention rate CRR = (E - N) / S per period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`customer_churn`).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``customers_start`` (S), ``customers_new`` (N),
        ``customers_end`` (E), ``crr``.

    Notes
    -----
    **Definition.** The share of the customers present at the start of P who
    are still present at its end, estimated from three head counts.

    **Formula.** ``crr = (customers_end - customers_new) / customers_start``.

    **Convention.** N counts every sign-up inside P, so a customer who signs up
    and leaves inside P lowers CRR although they were not there at the start;
    ``1 - crr = (customers_churned + customers_new_lost -
    customers_reactivated) / customers_start``. The exact share retained is
    ``1 - churn_rate`` from :func:`customer_churn`.

    Examples
    --------
    >>> import churnlab as cl
    >>> df = cl.crr(cl.sample_dataset())
    >>> list(df.columns)
    ['period', 'customers_start', 'customers_new', 'customers_end', 'crr']
    """
    df = customer_churn(data, by=by, freq=freq, as_of=as_of)
    cols = [
        "period",
        *_by_list(by),
        "customers_start",
        "customers_new",
        "customers_end",
        "crr",
    ]
    return df[cols]


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def wilson_interval(
    successes: float | np.ndarray | pd.Series,
    trials: float | np.ndarray | pd.Series,
    *,
    alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``successes / trials``.

    Parameters
    ----------
    successes, trials : float or array-like
        Counts (``trials`` may be fractional, e.g. customer-periods at risk).
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds; NaN where ``trials <= 0`` or the proportion is
        outside [0, 1].

    Notes
    -----
    **Formula.** With ``p = x / n`` and ``z`` the ``1 - alpha/2`` normal quantile:
    ``(p + z^2/(2n) -+ z * sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n)``.
    Unlike the normal (Wald) interval it never leaves [0, 1] and stays sensible
    for small counts and rates near 0, which churn rates are.

    Examples
    --------
    >>> lo, hi = wilson_interval(15, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0931, 0.2328)
    """
    x = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    z = float(norm.ppf(1 - alpha / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1 + z**2 / n
        center = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        bad = ~(n > 0) | ~(p >= 0) | ~(p <= 1)
        lo = np.where(x == 0, 0.0, np.clip(center - half, 0, 1))
        hi = np.where(x == n, 1.0, np.clip(center + half, 0, 1))
        lo = np.where(bad, np.nan, lo)
        hi = np.where(bad, np.nan, hi)
    return lo, hi


_CONVENTIONS = [
    (
        "churned / start",
        "customers_churned / customers_start",
        "ChartMogul's standard (B2B) formula: customers at the start; sign-ups "
        "who leave in the same period are excluded",
    ),
    (
        "all lost / start",
        "(customers_churned + customers_new_lost) / customers_start",
        "sign-ups who leave in the same period count too, over the start base "
        "(as Baremetrics counts sign-ups cancelled within its 30-day window); "
        "can exceed 100%",
    ),
    (
        "all lost / all exposed",
        "(customers_churned + customers_new_lost) / (customers_start + customers_new)",
        "everyone who could have churned in the denominator",
    ),
    (
        "churned / average base",
        "customers_churned / ((customers_start + customers_end) / 2)",
        "average of the start and end counts as the base",
    ),
    (
        "per customer-period at risk",
        "churn_events / customer_periods_at_risk",
        "exposure-based: events per customer-period active (handles mid-period "
        "sign-ups)",
    ),
    (
        "sum of daily churn",
        "sum over days d in P of churned_d / start_d",
        "ChartMogul Shopify (B2C) formula: daily rates added up",
    ),
    (
        "1 - CRR",
        "(customers_start + customers_new - customers_end) / customers_start",
        "net head-count loss: start + sign-ups - end = customers lost, minus "
        "reactivations",
    ),
]


def churn_conventions(
    data: Any,
    *,
    period: Any,
    freq: str = "M",
    by: str | Sequence[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One period's customer churn under every published convention, side by side.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`customer_churn`).
    period : str or date-like
        The period: ``"2026-10"`` for a month, or any day inside the period
        (``"2026-10-01"``; with ``freq="Q"`` any day of the quarter).
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        Period unit.
    by : str or list of str, optional
        Customer attribute(s) to break the table down by.
    alpha : float, default 0.05
        1 - confidence level of the Wilson intervals.

    Returns
    -------
    pandas.DataFrame
        One row per convention (and ``by`` group): ``period``, by-columns,
        ``convention``, ``formula``, ``substituted`` (the formula with this
        period's numbers), ``numerator``, ``denominator``, ``rate``,
        ``ci_lower``, ``ci_upper``, ``note``, then the period's counts
        ``customers_start``, ``customers_new``, ``customers_end``,
        ``customers_lost`` (= start + new - end), ``customers_churned``,
        ``customers_new_lost``, ``customers_reactivated``.

    Raises
    ------
    ParameterError
        If ``period`` is not a period, or lies outside the data.

    Notes
    -----
    **Definition.** The counts are those of :func:`customer_churn` for the
    period; each row divides a different numerator by a different denominator,
    as SaaS tools publish them.

    **Formula.** ``rate = numerator / denominator``; the Wilson interval
    (:func:`wilson_interval`) treats the numerator as binomial out of the
    denominator. For the exposure-based rows the "trials" are customer-periods
    (or customer-days) at risk, so their interval is an approximation.

    **Convention.** The seed puzzle: 100 customers at the start of a month, 30
    sign-ups and 110 at the end means 20 customers were lost
    (``customers_lost``), but head counts cannot say how many of the 20 were
    among the 30 new ones. The customer-level data can: ``customers_new_lost``
    of them were new, ``customers_churned`` were there at the start (less any
    reactivations), and the rates below differ accordingly. Overlapping Wilson
    intervals of two months mean the move between them may be noise.

    Examples
    --------
    >>> import churnlab as cl
    >>> t = cl.churn_conventions(cl.sample_dataset(), period="2026-10")
    >>> t.set_index("convention")["rate"].round(4).head(2).to_dict()
    {'churned / start': 0.0317, 'all lost / start': 0.0328}
    >>> int(t["customers_lost"].iloc[0]), int(t["customers_new_lost"].iloc[0])
    (79, 3)
    >>> bool((t["ci_lower"] <= t["rate"]).all())
    True
    """
    freq = periods.check_freq(freq)
    start = _parse_period(period, freq)
    end = periods.period_end(start, freq)
    as_of = end - pd.Timedelta(days=1)
    ds = contract.as_dataset(data, "subscriptions")
    latest = ds.latest("subscriptions")
    if latest is None or pd.Timestamp(latest) < start:
        raise ParameterError(
            f"period={period!r} begins after the data ends (latest timestamp "
            f"{latest}); choose a period the data covers."
        )
    monthly = customer_churn(ds, by=by, freq=freq, as_of=as_of)
    by_cols = _by_list(by)
    row = monthly[monthly["period"] == start]
    if row.empty:
        raise ParameterError(
            f"period={period!r} is before the first subscription; choose a period "
            "the data covers."
        )
    daily = customer_churn(ds, by=by, freq="D", as_of=as_of)
    daily = daily[(daily["period"] >= start) & (daily["period"] < end)]
    daily_rate = daily.assign(r=daily["churn_rate"].fillna(0.0))
    if by_cols:
        sums = (
            daily_rate.groupby(by_cols, dropna=False)
            .agg(d_num=("customers_churned", "sum"), d_rate=("r", "sum"))
            .reset_index()
        )
        row = row.merge(sums, on=by_cols, how="left")
    else:
        row = row.assign(
            d_num=daily_rate["customers_churned"].sum(), d_rate=daily_rate["r"].sum()
        )
    frames = []
    for name, formula, note in _CONVENTIONS:
        frames.append(_convention_rows(row, name, formula, note, by_cols, alpha))
    out = pd.concat(frames, ignore_index=True)
    order = {name: i for i, (name, _f, _n) in enumerate(_CONVENTIONS)}
    out["_o"] = out["convention"].map(order)
    out = out.sort_values([*by_cols, "_o"], kind="stable").drop(columns="_o")
    return out.reset_index(drop=True)


def _parse_period(period: Any, freq: str) -> pd.Timestamp:
    if isinstance(period, str) and len(period.strip()) == 7:
        day = periods.parse_month(period.strip(), name="period")
    else:
        day = periods.parse_date(period, name="period")
    return periods.period_start(day, freq)


def _convention_rows(
    row: pd.DataFrame,
    name: str,
    formula: str,
    note: str,
    by_cols: list[str],
    alpha: float,
) -> pd.DataFrame:
    s = row["customers_start"].astype("float64")
    n = row["customers_new"].astype("float64")
    e = row["customers_end"].astype("float64")
    c = row["customers_churned"].astype("float64")
    nl = row["customers_new_lost"].astype("float64")
    if name == "churned / start":
        num, den, sub = c, s, [f"{a:g} / {b:g}" for a, b in zip(c, s, strict=True)]
    elif name == "all lost / start":
        num, den = c + nl, s
        sub = [f"({a:g} + {b:g}) / {d:g}" for a, b, d in zip(c, nl, s, strict=True)]
    elif name == "all lost / all exposed":
        num, den = c + nl, s + n
        sub = [
            f"({a:g} + {b:g}) / ({d:g} + {f:g})"
            for a, b, d, f in zip(c, nl, s, n, strict=True)
        ]
    elif name == "churned / average base":
        num, den = c, (s + e) / 2
        sub = [
            f"{a:g} / (({d:g} + {f:g}) / 2)" for a, d, f in zip(c, s, e, strict=True)
        ]
    elif name == "per customer-period at risk":
        num = row["churn_events"].astype("float64")
        den = row["customer_periods_at_risk"].astype("float64")
        sub = [f"{a:g} / {b:.2f}" for a, b in zip(num, den, strict=True)]
    elif name == "sum of daily churn":
        num = row["d_num"].astype("float64")
        rate = row["d_rate"].astype("float64")
        den = num / rate.where(rate > 0)
        sub = [
            f"sum of {len_:g} daily churned / daily start = {r:.4f}"
            for len_, r in zip(num, rate, strict=True)
        ]
    else:  # 1 - CRR
        num, den = s + n - e, s
        sub = [
            f"({a:g} + {b:g} - {d:g}) / {a:g}" for a, b, d in zip(s, n, e, strict=True)
        ]
    if name == "sum of daily churn":
        rate_v = row["d_rate"].astype("float64").where(s > 0)
    else:
        rate_v = _ratio(num.reset_index(drop=True), den.reset_index(drop=True))
        rate_v.index = row.index
    lo, hi = wilson_interval(num, den, alpha=alpha)
    frame = row[["period", *by_cols]].copy()
    frame["convention"] = name
    frame["formula"] = formula
    frame["substituted"] = sub
    frame["numerator"] = num.to_numpy()
    frame["denominator"] = den.to_numpy()
    frame["rate"] = rate_v.to_numpy()
    frame["ci_lower"] = lo
    frame["ci_upper"] = hi
    frame["note"] = note
    frame["customers_start"] = row["customers_start"].to_numpy()
    frame["customers_new"] = row["customers_new"].to_numpy()
    frame["customers_end"] = row["customers_end"].to_numpy()
    frame["customers_lost"] = (s + n - e).astype("int64").to_numpy()
    frame["customers_churned"] = row["customers_churned"].to_numpy()
    frame["customers_new_lost"] = row["customers_new_lost"].to_numpy()
    frame["customers_reactivated"] = row["customers_reactivated"].to_numpy()
    return frame
