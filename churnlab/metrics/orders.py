"""Order (non-contractual) metrics: repeat rate, AOV, purchase frequency, order LTV.

Public names: ``order_metrics``.

Built on the same activity rule as :func:`churnlab.order_churn` (a customer is
active while their latest purchase is at most ``inactivity_days`` old) and
computed in one query: per customer and period the orders and revenue, a
running count of each customer's orders for the repeat rate, and the order
spells of :mod:`churnlab.states` for churn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd
from ibis import _

from churnlab import contract, engine, periods, states
from churnlab._docs import share_docs
from churnlab.metrics.churn import (
    _COUNT,
    _LOGO_METRICS,
    _attach,
    _check_days,
    _finish_logo,
    _grid,
    _last_period,
    _live,
    _logo_parts,
    _ratio,
    _setup,
    _spell_edges,
    _stack,
    _thin_purchases,
)

__all__ = ["order_metrics"]

_ORDER_METRICS = {
    "orders": _COUNT,
    "revenue": "float64",
    "customers_ordering": _COUNT,
    "customers_first_order": _COUNT,
    "revenue_new": "float64",
    "customers_repeat": _COUNT,
}


@share_docs
def order_metrics(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
    inactivity_days: int = 90,
) -> pd.DataFrame:
    """Order KPIs per period: revenue new vs existing, repeat rate, AOV, LTV.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders with ``customer_id, ordered_at, amount`` and optional
        ``order_id`` (rows sharing an ``order_id`` are lines of one order), or a
        Dataset holding them. Refunds are excluded with a
        :class:`~churnlab.ChurnlabWarning` giving their count.
    {by}
    {freq}
    {as_of}
    {inactivity_days}

    Returns
    -------
    pandas.DataFrame
        One row per period (and ``by`` group): ``orders``, ``revenue``,
        ``customers_ordering``, ``customers_first_order``, ``revenue_new``,
        ``revenue_existing``, ``revenue_new_share``, ``customers_repeat``,
        ``repeat_rate``, ``aov``, ``purchase_frequency``, ``customers_start``,
        ``customers_churned``, ``churn_rate``, ``lifetime_periods``, ``ltv``,
        ``inactivity_days``.

    Notes
    -----
    **Definition.** For period P: ``orders`` = distinct orders placed in P
    (rows when there is no ``order_id``); ``revenue`` = their amounts;
    ``customers_ordering`` = customers with an order in P, of whom
    ``customers_first_order`` placed their first ever order in P (their revenue
    is ``revenue_new``) and ``customers_repeat`` had placed at least two orders
    by the end of P. Churn is :func:`churnlab.order_churn` under the same
    window.

    **Formula.** ``revenue_new_share = revenue_new / revenue``;
    ``repeat_rate = customers_repeat / customers_ordering``;
    ``aov = revenue / orders``; ``purchase_frequency = orders /
    customers_ordering`` (orders per ordering customer per period);
    ``lifetime_periods = 1 / churn_rate``;
    ``ltv = aov x purchase_frequency x lifetime_periods``.

    **Convention.** The repeat rate is Shopify's returning-customer rate: among
    the customers who ordered in P, the share with more than one order to date
    (a first-time buyer who orders twice in P counts). Revenue is gross
    purchases; refunds are excluded, not netted. The LTV is the simple one:
    it assumes this period's order value, frequency and churn hold for life.

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
    freq = periods.check_freq(freq)
    days = _check_days(inactivity_days)
    ds, by_cols, attrs, as_of = _setup(data, "orders", by=by, freq=freq, as_of=as_of)
    cutoff = periods.cutoff(as_of)
    last = _last_period(as_of, freq)
    cut = ibis.literal(cutoff, "timestamp")
    buys = contract.purchases(ds).filter(_.ordered_at < cut)
    spells = states.order_intervals(_thin_purchases(buys, days), inactivity_days=days)
    keys = ["period", *by_cols]
    spells = _live(spells, cutoff)
    parts = _logo_parts(
        _spell_edges(spells), freq=freq, last=last, attrs=attrs, by_cols=by_cols
    )
    has_id = "order_id" in buys.columns
    per_cp = (
        buys.mutate(period=periods.truncate(_.ordered_at, freq))
        .group_by(["customer_id", "period"])
        .agg(
            n=(_.order_id.nunique() if has_id else _.count()).cast(_COUNT),
            rev=_.amount.sum(),
        )
    )
    w = ibis.window(
        group_by="customer_id", order_by="period", preceding=None, following=0
    )
    per_cp = per_cp.mutate(
        to_date=_.n.sum().over(w),
        first=_.period.min().over(ibis.window(group_by="customer_id")),
    )
    per_cp = _attach(per_cp, attrs, by_cols)
    orders_part = (
        per_cp.filter(_.period <= ibis.literal(last, "timestamp"))
        .group_by(keys)
        .agg(
            orders=_.n.sum(),
            revenue=_.rev.sum(),
            customers_ordering=_.count(),
            customers_first_order=(_.period == _.first).cast(_COUNT).sum(),
            revenue_new=ibis.ifelse(_.period == _.first, _.rev, 0.0).sum(),
            customers_repeat=(_.to_date >= 2).cast(_COUNT).sum(),
        )
    )
    metrics = {**_LOGO_METRICS, **_ORDER_METRICS}
    agg = engine.execute(_stack([*parts, orders_part], keys, metrics))
    g = _grid(agg, by_cols, freq, as_of, metrics)
    logo = _finish_logo(g, by_cols)
    out = g[["period", *by_cols]].copy()
    for col in (
        "orders",
        "revenue",
        "customers_ordering",
        "customers_first_order",
        "revenue_new",
    ):
        out[col] = g[col]
    out["revenue_existing"] = g["revenue"] - g["revenue_new"]
    out["revenue_new_share"] = _ratio(g["revenue_new"], g["revenue"])
    out["customers_repeat"] = g["customers_repeat"]
    out["repeat_rate"] = _ratio(g["customers_repeat"], g["customers_ordering"])
    out["aov"] = _ratio(g["revenue"], g["orders"])
    out["purchase_frequency"] = _ratio(g["orders"], g["customers_ordering"])
    out["customers_start"] = logo["customers_start"]
    out["customers_churned"] = logo["customers_churned"]
    out["churn_rate"] = logo["churn_rate"]
    out["lifetime_periods"] = _ratio(pd.Series(1.0, index=out.index), out["churn_rate"])
    out["ltv"] = out["aov"] * out["purchase_frequency"] * out["lifetime_periods"]
    out["inactivity_days"] = days
    out.attrs["inactivity_days"] = days
    return out
