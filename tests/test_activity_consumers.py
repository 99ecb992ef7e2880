"""Every consumer of the activity rule against one brute-force evaluation of it.

One random dataset, every number that depends on "active": logo churn, the MRR
bridge and its customer counts, order churn and order metrics, and cohort
retention, each checked against :mod:`tests.metrics._oracle` (loops over
customers and periods, no churnlab code but the period arithmetic).
"""

from __future__ import annotations

import warnings

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import churnlab as cl
from churnlab.errors import ChurnlabWarning
from tests.metrics import _oracle
from tests.strategies import orders as order_frames
from tests.strategies import subscriptions as subscription_frames

AS_OF = "2026-10-31"
COUNTS = [
    "customers_start",
    "customers_new",
    "customers_new_lost",
    "customers_reactivated",
    "customers_churned",
    "customers_end",
]


@settings(max_examples=30)
@given(subscription_frames(max_rows=14), st.sampled_from(["M", "Q"]))
def test_subscription_consumers_agree_with_the_rule(subs, freq):
    truth = _oracle.logo(subs, freq=freq, as_of=AS_OF)
    churn = cl.customer_churn(subs, freq=freq, as_of=AS_OF)
    if truth.empty:
        assert churn.empty
        return
    # logo churn
    pd.testing.assert_frame_equal(
        churn[["period", *COUNTS]].reset_index(drop=True),
        truth[["period", *COUNTS]],
        check_dtype=False,
    )
    # boundary counts are the helper's sets
    for p, n in zip(churn["period"], churn["customers_start"], strict=True):
        assert n == len(_oracle.active_customers(subs, p))
    # MRR movements: the bridge by the rule, and the same customer counts
    bridge, _moves = _oracle.mrr(subs, freq=freq, as_of=AS_OF)
    rev = cl.revenue_metrics(subs, freq=freq, as_of=AS_OF)
    for col in ("mrr_start", "mrr_new", "mrr_churn", "mrr_end"):
        got = (rev[col] * 100).round().astype("int64").to_numpy()
        assert (got == bridge[col].to_numpy()).all(), col
    for col in ("customers_start", "customers_churned", "customers_end"):
        assert (rev[col].to_numpy() == churn[col].to_numpy()).all(), col
    # cohorts: active in period = some interval overlaps it
    table = cl.cohort_table(subs, freq=freq, as_of=AS_OF)
    want = _oracle.cohorts(subs, freq=freq, as_of=AS_OF)
    got = table[["cohort", "period", "customers_active"]]
    merged = want.merge(got, on=["cohort", "period"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["customers_active_x"] == merged["customers_active_y"]).all()


@settings(max_examples=20)
@given(order_frames(), st.sampled_from([30, 60]))
def test_order_consumers_agree_with_the_rule(orders, window):
    spans = _oracle.order_spans(orders, window)
    truth = _oracle.logo(spans, freq="M", as_of=AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        churn = cl.order_churn(orders, inactivity_days=window, as_of=AS_OF)
        metrics = cl.order_metrics(orders, inactivity_days=window, as_of=AS_OF)
    if truth.empty:
        assert churn.empty
        return
    pd.testing.assert_frame_equal(
        churn[["period", *COUNTS]].reset_index(drop=True),
        truth[["period", *COUNTS]],
        check_dtype=False,
    )
    both = metrics.merge(churn, on="period", suffixes=("", "_c"))
    assert (both["customers_start"] == both["customers_start_c"]).all()
    assert (both["customers_churned"] == both["customers_churned_c"]).all()
