"""Order KPIs: a hand case, properties and the sample company."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import churnlab as cl
from churnlab.errors import ChurnlabWarning
from tests.metrics.test_churn import ORDERS
from tests.strategies import orders as order_frames

# ORDERS (test_churn), window 30 days; refund r1 (x, 27 Feb, 10) is not revenue:
#   x: o1 = two lines 10 Jan (60 + 40), o2 25 Jan 50, o3 20 Mar 70
#   y: o4 31 Jan 20     z: o5 5 Feb 30, o6 10 Feb 30     w: o7 1 Mar 10
# January:  orders o1, o2, o4 = 3; gross 60 + 40 + 50 + 20 = 170; buyers x, y, both
#           first-time, none bought before January -> repeat 0 of 2
# February: z's 2 orders, revenue 60, first-time (new 60); x's refund 10 -> net 50
# March:    o3 (x) 70 and o7 (w) 10; w first-time (10 new, 70 existing);
#           x bought before March -> repeat 1 of 2
# Churn (test_churn): February 1 of 2 at the start, March 2 of 2
EXPECTED = pd.DataFrame(
    {
        "period": pd.to_datetime(
            ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
        ),
        "orders": [3, 2, 2, 0],
        "revenue": [170.0, 60, 80, 0],
        "refunds": [0.0, 10, 0, 0],
        "revenue_net": [170.0, 50, 80, 0],
        "customers_ordering": [2, 1, 2, 0],
        "customers_first_order": [2, 1, 1, 0],
        "revenue_new": [170.0, 60, 10, 0],
        "revenue_existing": [0.0, 0, 70, 0],
        "revenue_new_share": [1.0, 1.0, 10 / 80, np.nan],
        "customers_repeat": [0, 0, 1, 0],
        "repeat_rate": [0.0, 0.0, 0.5, np.nan],
        "aov": [170 / 3, 30.0, 40.0, np.nan],
        "purchase_frequency": [1.5, 2.0, 1.0, np.nan],
        "revenue_per_customer": [85.0, 60.0, 40.0, np.nan],
        "customers_start": [0, 2, 2, 1],
        "customers_churned": [0, 1, 2, 1],
        "churn_rate": [np.nan, 0.5, 1.0, 1.0],
        # January ends before one 30-day window after the first order (10 Jan)
        "note": [
            "warm-up: less than one inactivity window (30 days) of order history "
            "(first order 2026-01-10), so churn is not measurable yet",
            "",
            "",
            "",
        ],
        "lifetime_periods": [np.nan, 2.0, 1.0, 1.0],
        "gross_margin": [1.0] * 4,
        "gross_margin_assumed": [True] * 4,
        # revenue per customer x lifetime: Feb 60 x 2 = 120, Mar 40 x 1 = 40
        "ltv": [np.nan, 120.0, 40.0, np.nan],
        "inactivity_days": [30, 30, 30, 30],
    }
)


def test_repeat_rate_and_revenue_are_the_order_metrics_columns():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        full = cl.order_metrics(ORDERS, inactivity_days=30, as_of="2026-04-30")
        rev = cl.order_revenue(ORDERS, as_of="2026-04-30")
        rep = cl.repeat_rate(ORDERS, as_of="2026-04-30")
    pd.testing.assert_frame_equal(rev, full[rev.columns], check_dtype=False)
    pd.testing.assert_frame_equal(rep, full[rep.columns], check_dtype=False)


def test_gross_margin_is_labelled():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        got = cl.order_metrics(
            ORDERS, inactivity_days=30, as_of="2026-04-30", gross_margin=0.5
        )
    assert not got.gross_margin_assumed.any()
    assert got.ltv.iloc[1] == pytest.approx(60.0)


def test_hand_case():
    with pytest.warns(ChurnlabWarning, match="refund"):
        got = cl.order_metrics(ORDERS, inactivity_days=30, as_of="2026-04-30")
    pd.testing.assert_frame_equal(got, EXPECTED, check_dtype=False)


def test_without_order_ids_rows_are_orders():
    frame = ORDERS.drop(columns="order_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        got = cl.order_metrics(frame, inactivity_days=30, as_of="2026-04-30")
    assert got["orders"].tolist() == [4, 2, 2, 0]  # o1's two lines count twice


@settings(max_examples=25)
@given(order_frames())
def test_properties(orders):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        got = cl.order_metrics(orders, inactivity_days=60, as_of="2026-12-31")
        churn = cl.order_churn(orders, inactivity_days=60, as_of="2026-12-31")
    if got.empty:
        return
    buys = orders[~orders.is_refund]
    assert got.orders.sum() == len(buys)
    refunds = orders[orders.is_refund].amount.abs().sum()
    assert got.revenue.sum() == pytest.approx(buys.amount.sum())
    assert got.revenue_net.sum() == pytest.approx(buys.amount.sum() - refunds)
    assert got.customers_first_order.sum() == buys.customer_id.nunique()
    assert (
        got.customers_repeat + got.customers_first_order == got.customers_ordering
    ).all()
    for col in ("repeat_rate", "revenue_new_share"):
        v = got[col].dropna()
        assert ((v >= 0) & (v <= 1)).all()
    # order_metrics also reports periods with refunds only (before any purchase)
    both = got.merge(churn, on="period", suffixes=("", "_churn"))
    assert len(both) == len(churn)
    pd.testing.assert_series_equal(
        both.churn_rate, both.churn_rate_churn, check_names=False
    )


def test_sample_company():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        got = cl.order_metrics(cl.sample_dataset(), by="segment")
    assert set(got.segment) == {"SMB", "Mid-Market", "Enterprise"}
    # the sample invoices once a month or once a year: about one order per buyer
    assert got.purchase_frequency.dropna().between(1, 1.2).all()
