"""Order (non-contractual) metrics: revenue, repeat rate, AOV, frequency, order LTV.

Public names: ``order_metrics``, ``order_revenue``, ``repeat_rate``.

One definition each, which every consumer (the reports, the sales KPIs) calls:

* **Revenue** of period P is the amount of the purchases placed in P; refunds
  are not purchases and are excluded (Shopify's gross sales), reported beside
  it as ``refunds`` (dated when refunded) with ``revenue_net = revenue -
  refunds``. ``revenue_new`` is the revenue of the customers whose first
  purchase is in P; ``revenue_new_share = revenue_new / revenue``.
  (:func:`order_revenue`)
* **Repeat rate** of P is the share of P's ordering customers who had bought
  before P: ``repeat_rate = customers_repeat / customers_ordering``.
  (:func:`repeat_rate`)
* **Churn** is :func:`churnlab.order_churn` under the same inactivity window,
  through the package's one logo-flow computation
  (:func:`churnlab.states.logo_flows`).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _

from churnlab import contract, engine, periods, states
from churnlab._docs import share_docs
from churnlab._frames import COUNT, attach, grid, ratio, stack
from churnlab._types import ByLike, DataLike, DateLike, Freq
from churnlab.metrics.churn import _first_order, _setup
from churnlab.metrics.revenue import _gross_margin

__all__ = ["order_metrics", "order_revenue", "repeat_rate"]

_ORDER_METRICS = {
    "orders": COUNT,
    "revenue": "float64",
    "refunds": "float64",
    "customers_ordering": COUNT,
    "customers_first_order": COUNT,
    "customers_repeat": COUNT,
    "revenue_new": "float64",
}

_REVENUE_COLUMNS = [
    "orders",
    "revenue",
    "refunds",
    "revenue_net",
    "customers_ordering",
    "customers_first_order",
    "revenue_new",
    "revenue_existing",
    "revenue_new_share",
]
_REPEAT_COLUMNS = ["customers_ordering", "customers_repeat", "repeat_rate"]


def _order_flows(
    orders: ir.Table,
    *,
    freq: str,
    cutoff: pd.Timestamp,
    last: pd.Timestamp,
    attrs: ir.Table | None,
    by_cols: list[str],
) -> ir.Table:
    """Per period (and group): orders, gross revenue, refunds, customer counts."""
    known = orders.filter(_.ordered_at < ibis.literal(cutoff, "timestamp"))
    buy = ~known.is_refund
    has_id = "order_id" in known.columns
    per_cp = known.mutate(period=periods.truncate(_.ordered_at, freq)).group_by(
        ["customer_id", "period"]
    )
    per_cp = per_cp.agg(
        n=(
            ibis.ifelse(buy, known.order_id, ibis.null()).nunique()
            if has_id
            else buy.cast(COUNT).sum()
        ).cast(COUNT),
        gross=ibis.ifelse(buy, known.amount, 0.0).sum(),
        refunded=ibis.ifelse(buy, 0.0, known.amount.abs()).sum(),
    )
    per_cp = per_cp.mutate(
        first=ibis.ifelse(_.n > 0, _.period, ibis.null("timestamp"))
        .min()
        .over(ibis.window(group_by="customer_id"))
    )
    per_cp = attach(per_cp, attrs, by_cols)
    bought = per_cp.n > 0
    return (
        per_cp.filter(_.period <= ibis.literal(last, "timestamp"))
        .group_by(["period", *by_cols])
        .agg(
            orders=_.n.sum(),
            revenue=_.gross.sum(),
            refunds=_.refunded.sum(),
            customers_ordering=bought.cast(COUNT).sum(),
            customers_first_order=(bought & (_.period == _.first)).cast(COUNT).sum(),
            customers_repeat=(bought & (_.first < _.period)).cast(COUNT).sum(),
            revenue_new=ibis.ifelse(_.period == _.first, _.gross, 0.0).sum(),
        )
    )


def _finish_orders(g: pd.DataFrame, by_cols: list[str]) -> pd.DataFrame:
    out = g[["period", *by_cols]].copy()
    for col in ("orders", "revenue", "refunds"):
        out[col] = g[col]
    out["revenue_net"] = g["revenue"] - g["refunds"]
    for col in ("customers_ordering", "customers_first_order", "revenue_new"):
        out[col] = g[col]
    out["revenue_existing"] = out["revenue"] - out["revenue_new"]
    out["revenue_new_share"] = ratio(out["revenue_new"], out["revenue"])
    out["customers_repeat"] = g["customers_repeat"]
    out["repeat_rate"] = ratio(out["customers_repeat"], out["customers_ordering"])
    return out


def _orders_table(
    data: DataLike,
    *,
    by: ByLike,
    freq: str,
    as_of: DateLike | None,
    inactivity_days: int | None,
) -> tuple[pd.DataFrame, list[str]]:
    """One query: order flows, plus logo flows when ``inactivity_days`` is given."""
    freq = periods.check_freq(freq)
    ds, by_cols, attrs, as_of = _setup(data, "orders", by=by, freq=freq, as_of=as_of)
    cutoff = periods.cutoff(as_of)
    last = periods.last_complete_period(as_of, freq)
    keys = ["period", *by_cols]
    parts = [
        _order_flows(
            ds.orders, freq=freq, cutoff=cutoff, last=last, attrs=attrs, by_cols=by_cols
        )
    ]
    metrics = dict(_ORDER_METRICS)
    if inactivity_days is not None:
        spells = states.live(
            states.activity_spells(
                contract.purchases(ds), inactivity_days=inactivity_days
            ),
            cutoff,
        )
        parts.append(
            states.logo_flows(
                states.edges(spells, disjoint=True),
                freq=freq,
                last=last,
                attrs=attrs,
                by_cols=by_cols,
            )
        )
        metrics.update(states.LOGO_FLOWS)
    g = grid(engine.execute(stack(parts, keys, metrics)), by_cols, freq, as_of, metrics)
    out = _finish_orders(g, by_cols)
    if inactivity_days is not None:
        logo = states.logo_counts(g, by_cols)
        logo["note"] = ""  # crr is not shown here: only the warm-up note applies
        states.warm_up(
            logo,
            first_order=_first_order(ds, as_of),
            inactivity_days=inactivity_days,
            freq=freq,
        )
        for col in ("customers_start", "customers_churned", "churn_rate", "note"):
            out[col] = logo[col]
    return out, by_cols


@share_docs
def order_revenue(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Order revenue per period, split new vs existing customers; refunds beside it.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders with ``customer_id, ordered_at, amount`` and optional
        ``order_id`` and ``is_refund``, or a Dataset holding them.
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        One row per period (and ``by`` group): ``orders``, ``revenue``,
        ``refunds``, ``revenue_net``, ``customers_ordering``,
        ``customers_first_order``, ``revenue_new``, ``revenue_existing``,
        ``revenue_new_share``.

    Notes
    -----
    **Definition.** ``orders`` = distinct purchase orders placed in P (rows
    when there is no ``order_id``); ``revenue`` = their amounts; ``refunds`` =
    the refunds dated in P (positive amounts); *new* customers placed their
    first ever purchase in P.

    **Formula.** ``revenue_new`` = the revenue of new customers;
    ``revenue_existing = revenue - revenue_new``; ``revenue_new_share =
    revenue_new / revenue``; ``revenue_net = revenue - refunds``.

    **Convention.** Revenue is gross sales: refunds are not purchases, so they
    are excluded from ``revenue`` (and from activity) rather than netted. A
    refund usually lands in a later period than its order, and netting it there
    would push a period's revenue, and its new-customer share, below zero or
    above one. The refunds are not hidden: ``refunds`` and ``revenue_net`` sit
    beside ``revenue``.

    Examples
    --------
    >>> import churnlab as cl
    >>> r = cl.order_revenue(cl.sample_dataset())
    >>> last = r.iloc[-1]
    >>> bool(abs(last.revenue_net - (last.revenue - last.refunds)) < 1e-6)
    True
    """
    out, by_cols = _orders_table(
        data, by=by, freq=freq, as_of=as_of, inactivity_days=None
    )
    return out[["period", *by_cols, *_REVENUE_COLUMNS]]


@share_docs
def repeat_rate(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Repeat (returning) customer rate per period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders (see :func:`order_revenue`).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``customers_ordering``, ``customers_repeat``,
        ``repeat_rate``.

    Notes
    -----
    **Definition.** A *repeat* customer of period P purchased in P and had
    purchased before P.start; the others who purchased in P are first-time
    buyers (``customers_first_order`` in :func:`order_revenue`).

    **Formula.** ``repeat_rate = customers_repeat / customers_ordering``.

    **Convention.** Shopify's returning-customer rate, by period: the
    denominator is the customers who paid in P. A first-time buyer who orders
    twice in P is not a repeat customer of P (they are next period, if they
    buy again), so ``customers_repeat + customers_first_order =
    customers_ordering`` and the repeat share matches the revenue split new vs
    existing of :func:`order_revenue`.

    Examples
    --------
    >>> import churnlab as cl
    >>> r = cl.repeat_rate(cl.sample_dataset())
    >>> bool(((r["repeat_rate"] >= 0) & (r["repeat_rate"] <= 1)).all())
    True
    """
    out, by_cols = _orders_table(
        data, by=by, freq=freq, as_of=as_of, inactivity_days=None
    )
    return out[["period", *by_cols, *_REPEAT_COLUMNS]]


@share_docs
def order_metrics(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
    inactivity_days: int = periods.DEFAULT_INACTIVITY_DAYS,
    gross_margin: float | None = None,
) -> pd.DataFrame:
    """Order KPIs per period: revenue new vs existing, repeat rate, AOV, LTV.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders with ``customer_id, ordered_at, amount`` and optional
        ``order_id`` (rows sharing an ``order_id`` are lines of one order) and
        ``is_refund``, or a Dataset holding them. Refunds never make a customer
        active and are not revenue (a :class:`~churnlab.ChurnlabWarning` gives
        their count); ``refunds`` reports them.
    {by}
    {freq}
    {as_of}
    {inactivity_days}
    {gross_margin}

    Returns
    -------
    pandas.DataFrame
        One row per period (and ``by`` group): the columns of
        :func:`order_revenue`, then ``customers_repeat``, ``repeat_rate``
        (:func:`repeat_rate`), ``aov``, ``purchase_frequency``,
        ``revenue_per_customer``, ``customers_start``, ``customers_churned``,
        ``churn_rate``, ``lifetime_periods``, ``gross_margin``,
        ``gross_margin_assumed``, ``ltv``, ``inactivity_days``.

    Notes
    -----
    **Definition.** Revenue and the repeat rate as in :func:`order_revenue`
    and :func:`repeat_rate`; churn is :func:`churnlab.order_churn` under the
    same window.

    **Formula.** ``aov = revenue / orders``; ``purchase_frequency =
    orders / customers_ordering`` (orders per ordering customer per period);
    ``revenue_per_customer = revenue / customers_ordering``;
    ``lifetime_periods = 1 / churn_rate``;
    ``ltv = revenue_per_customer x gross_margin x lifetime_periods``.

    **Convention.** The LTV is the simple one: it assumes this
    period's revenue per customer and churn hold for life, and applies no
    margin unless one is given (``gross_margin_assumed``).

    Examples
    --------
    >>> import churnlab as cl
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = cl.order_metrics(cl.sample_dataset())
    >>> last = m.iloc[-1]
    >>> bool(abs(last.aov * last.orders - last.revenue) < 1e-6)
    True
    >>> bool(0 <= last.repeat_rate <= 1)
    True
    """
    days = periods.check_days(inactivity_days)
    gm, assumed = _gross_margin(gross_margin, None)
    out, by_cols = _orders_table(
        data, by=by, freq=freq, as_of=as_of, inactivity_days=days
    )
    logo = out[["customers_start", "customers_churned", "churn_rate", "note"]]
    out = out[
        ["period", *by_cols, *_REVENUE_COLUMNS, "customers_repeat", "repeat_rate"]
    ]
    out = out.copy()
    out["aov"] = ratio(out["revenue"], out["orders"])
    out["purchase_frequency"] = ratio(out["orders"], out["customers_ordering"])
    out["revenue_per_customer"] = ratio(out["revenue"], out["customers_ordering"])
    out[list(logo.columns)] = logo
    out["lifetime_periods"] = ratio(1.0, out["churn_rate"])
    out["gross_margin"] = gm
    out["gross_margin_assumed"] = assumed
    out["ltv"] = out["revenue_per_customer"] * gm * out["lifetime_periods"]
    out["inactivity_days"] = days
    out.attrs["inactivity_days"] = days
    return out
