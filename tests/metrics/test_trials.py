"""Trials and free plans are not paying customers (states.paying)."""

from __future__ import annotations

import pandas as pd
import pytest

import churnlab as cl

AS_OF = "2026-03-31"


@pytest.fixture
def subs() -> pd.DataFrame:
    # a pays 10, b is on a free spell that ends on 2026-02-15, c pays 5; b then
    # pays from March.
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "b"],
            "start": pd.to_datetime(
                ["2025-12-01", "2026-01-01", "2025-12-01", "2026-03-01"]
            ),
            "end": pd.to_datetime([None, "2026-02-15", None, None]),
            "mrr": [10.0, 0.0, 5.0, 20.0],
        }
    )


def _row(df: pd.DataFrame, month: str) -> pd.Series:
    return df.set_index("period").loc[pd.Timestamp(month)]


def test_zero_mrr_spell_is_not_a_customer(subs):
    df = cl.customer_churn(subs, as_of=AS_OF)
    feb = _row(df, "2026-02-01")
    assert feb["customers_start"] == 2
    assert feb["customers_churned"] == 0
    assert _row(df, "2026-03-01")["customers_new"] == 1


def test_paying_only_false_counts_free_users(subs):
    df = cl.customer_churn(subs, as_of=AS_OF, paying_only=False)
    feb = _row(df, "2026-02-01")
    assert feb["customers_start"] == 3
    assert feb["customers_churned"] == 1


def test_is_trial_column_is_honoured(subs):
    marked = subs.assign(mrr=[10.0, 7.0, 5.0, 20.0], is_trial=[0, 1, 0, 0])
    marked["is_trial"] = marked["is_trial"].astype(bool)
    df = cl.customer_churn(marked, as_of=AS_OF)
    assert _row(df, "2026-02-01")["customers_start"] == 2


def test_trials_counts(subs):
    extra = pd.DataFrame(
        {
            "customer_id": ["d"],
            "start": pd.to_datetime(["2026-01-10"]),
            "end": pd.to_datetime(["2026-01-24"]),
            "mrr": [0.0],
        }
    )
    df = cl.trials(pd.concat([subs, extra], ignore_index=True), as_of=AS_OF)
    jan, mar = _row(df, "2026-01-01"), _row(df, "2026-03-01")
    assert jan["trial_starts"] == 2
    assert jan["trial_non_converters"] == 1
    assert mar["trial_conversions"] == 1
    assert df["trial_conversions"].sum() == 1


def test_revenue_and_cohorts_follow(subs):
    rev = cl.revenue_metrics(subs, as_of=AS_OF)
    feb = rev.set_index("period").loc[pd.Timestamp("2026-02-01")]
    cols = [c for c in rev.columns if c.startswith("customers_start")]
    if cols:
        assert feb[cols[0]] == 2


def test_sample_has_no_free_rows():
    subs = cl.sample_dataset().subscriptions.to_pandas()
    assert (subs["mrr"] > 0).all()
