"""Order revenue by location and from new vs existing customers."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnlab import contract, engine, periods
from churnlab.errors import ParameterError
from churnlab.sales._common import (
    _calendar,
    _dataset,
    _default_period,
    _docs,
    _in,
    _int,
    _ratio,
    _tidy_keys,
    _window,
)

__all__ = ["sales_by_location", "revenue_new_vs_existing"]


def _location(ds: contract.Dataset, orders: ir.Table) -> ir.Table:
    if "location" in orders.columns:
        return orders.mutate(loc=orders.location)
    customers = ds.customers
    if customers is not None and "country" in customers.columns:
        c = customers.select(c_id=customers.customer_id, loc=customers.country)
        return orders.left_join(c, orders.customer_id == c.c_id).drop("c_id")
    raise ParameterError(
        "Sales by location needs orders.location or customers.country; "
        "this dataset has neither."
    )


@_docs
def sales_by_location(
    data: Any,
    *,
    period: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Revenue by location, with its share and growth.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders (``location`` column, or a Dataset whose customers have a
        ``country``).
    {period}
        Default: the data's last complete month.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per location, largest first: ``location``, ``orders``,
        ``customers``, ``revenue``, ``revenue_total``, ``revenue_share``,
        ``revenue_previous``, ``growth``.

    Notes
    -----
    **Definition.** Revenue is the sum of order amounts in the period with
    refunds excluded (as :func:`churnlab.order_metrics` counts revenue, so the
    locations add up to its ``revenue``), by the order's location (else the
    customer's country).

    **Formula.** ``revenue_share = revenue / revenue_total``; ``growth =
    (revenue - revenue_previous) / revenue_previous``, against the previous
    period of the same length.

    **Convention.** ``orders`` and ``customers`` count purchases (refund rows
    excluded); missing locations show as ``None``.

    Examples
    --------
    >>> import churnlab as cl
    >>> s = cl.sales_by_location(cl.sample_dataset(), period="2026-10")
    >>> s["location"].iloc[0]
    'US'
    """
    ds = _dataset(data, "orders")
    orders = _location(ds, ds.table("orders"))
    if period is None:
        period = _default_period(ds, as_of)
    w = _window(period, as_of=as_of, data=ds)
    prev = w.shift(months=w.months) if w.start is not None and w.months else None
    if w.start is not None and prev is None:
        prev = w.shift()
    net = ibis.cases((orders.is_refund, 0.0), else_=orders.amount)
    cur = _in(orders.ordered_at, w)
    buy = cur & ~orders.is_refund
    aggs = {
        "orders": _int(buy).sum(),
        "customers": ibis.cases((buy, orders.customer_id)).nunique(),
        "revenue": ibis.cases((cur, net), else_=0.0).sum(),
    }
    if prev is not None:
        aggs["revenue_previous"] = ibis.cases(
            (_in(orders.ordered_at, prev), net), else_=0.0
        ).sum()
    f = engine.execute(orders.group_by("loc").agg(**aggs)).rename(
        columns={"loc": "location"}
    )
    if "revenue_previous" not in f:
        f["revenue_previous"] = np.nan
    f = f[
        (f["orders"] > 0) | (f["revenue"] != 0) | (f["revenue_previous"].fillna(0) != 0)
    ]
    f = f.copy()
    f["revenue_total"] = f["revenue"].sum()
    f["revenue_share"] = _ratio(f["revenue"], f["revenue_total"])
    f["growth"] = _ratio(f["revenue"] - f["revenue_previous"], f["revenue_previous"])
    cols = [
        "location",
        "orders",
        "customers",
        "revenue",
        "revenue_total",
        "revenue_share",
        "revenue_previous",
        "growth",
    ]
    f = f[cols].sort_values(["revenue", "location"], ascending=[False, True])
    f = f.reset_index(drop=True)
    f.attrs.update(period=w.label)
    return _tidy_keys(f, ["location"])


@_docs
def revenue_new_vs_existing(
    data: Any,
    *,
    period: Any = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """Revenue from new customers vs existing ones, per period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders.
    {period}
        One row for this calendar month, quarter or year; default: every
        complete period.
    freq : {{"D", "W", "M", "Q", "Y"}}, default "M"
        Period unit of the rows when ``period`` is None.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period``, ``customers_new``,
        ``customers_existing``, ``revenue_new``, ``revenue_existing``,
        ``revenue``, ``revenue_share_new``, ``revenue_share_existing``.

    Notes
    -----
    **Definition.** A customer is new in the period of their first purchase
    (first ever, not first in the period) and existing afterwards. The figures
    are :func:`churnlab.order_metrics`' (``customers_first_order``,
    ``revenue_new``, ``revenue_existing``), renamed: one definition.

    **Formula.** ``revenue_share_new = revenue_new / revenue``;
    ``revenue_share_existing = revenue_existing / revenue``;
    ``customers_existing = customers_ordering - customers_first_order``.

    **Convention.** Revenue is purchases, refunds excluded (the orders
    contract); customers are counted when they purchase in the period.

    Examples
    --------
    >>> import churnlab as cl
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     r = cl.revenue_new_vs_existing(cl.sample_dataset(), period="2026-10")
    >>> r[["customers_new", "customers_existing"]].iloc[0].tolist()
    [189, 1818]
    """
    from churnlab.metrics.orders import order_metrics

    ds = _dataset(data, "orders")
    freq = periods.check_freq(freq)
    if period is not None:
        w = _window(period, as_of=as_of, data=ds)
        freq = _calendar(w)
        if freq is None:
            raise ParameterError(
                f"period={period!r}: new vs existing revenue is per calendar month, "
                "quarter or year."
            )
        m = order_metrics(ds, freq=freq, as_of=w.full_end - pd.Timedelta(days=1))
        m = m[m["period"] == w.start]
    else:
        m = order_metrics(ds, freq=freq, as_of=as_of)
    f = pd.DataFrame(
        {
            "period": m["period"],
            "customers_new": m["customers_first_order"],
            "customers_existing": m["customers_ordering"] - m["customers_first_order"],
            "revenue_new": m["revenue_new"],
            "revenue_existing": m["revenue_existing"],
            "revenue": m["revenue"],
            "revenue_share_new": m["revenue_new_share"],
        }
    )
    f["revenue_share_existing"] = _ratio(f["revenue_existing"], f["revenue"])
    f = f.reset_index(drop=True)
    f.attrs.update(freq=freq)
    return f
