"""Rates that cannot be measured are NaN with a reason; rates off their range say so."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import churnlab as cl
from churnlab import states
from tests.conftest import real_file

D = pd.Timestamp

# First order 2026-01-05; with a 90-day window churn is measurable only in
# periods ending after 2026-04-05: February and March (0.0 before) are unknown.
ORDERS = pd.DataFrame(
    {
        "order_id": [f"o{i}" for i in range(6)],
        "customer_id": ["a", "b", "a", "c", "b", "c"],
        "ordered_at": pd.to_datetime(
            [
                "2026-01-05",
                "2026-01-20",
                "2026-02-10",
                "2026-03-03",
                "2026-06-01",
                "2026-07-01",
            ]
        ),
        "amount": [10.0] * 6,
    }
)


def test_order_churn_warm_up_months_are_nan_with_a_note():
    df = cl.order_churn(ORDERS, as_of="2026-08-31", inactivity_days=90).set_index(
        "period"
    )
    for month in ("2026-02-01", "2026-03-01"):
        row = df.loc[D(month)]
        assert row["customers_start"] == 2  # the counts stay
        assert np.isnan(row["churn_rate"])
        assert np.isnan(row["churn_rate_at_risk"])
        assert row["note"].startswith("warm-up")
    april = df.loc[D("2026-04-01")]
    assert april["churn_rate"] == pytest.approx(1 / 3)
    assert "warm-up" not in april["note"]


def test_order_metrics_warm_up_months_are_nan():
    m = cl.order_metrics(ORDERS, as_of="2026-08-31", inactivity_days=90)
    m = m.set_index("period")
    assert m.loc[D("2026-03-01"), "churn_rate"] != 0
    assert np.isnan(m.loc[D("2026-03-01"), "churn_rate"])
    assert np.isnan(m.loc[D("2026-03-01"), "lifetime_periods"])
    assert m.loc[D("2026-03-01"), "note"].startswith("warm-up")
    assert m.loc[D("2026-05-01"), "churn_rate"] == pytest.approx(0.5)


def test_crr_out_of_range_carries_a_note():
    # One customer all year; five sign-ups who leave within the year:
    # crr = (E - N) / S = (1 - 5) / 1 = -4.
    subs = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f"],
            "start": pd.to_datetime(["2024-06-01"] + ["2025-02-01"] * 5),
            "end": pd.to_datetime([None] + ["2025-05-01"] * 5),
            "mrr": [10.0] * 6,
        }
    )
    df = cl.customer_churn(subs, freq="Y", as_of="2025-12-31").set_index("period")
    row = df.loc[D("2025-01-01")]
    assert row["crr"] == pytest.approx(-4.0)
    assert row["note"] == states.CRR_NOTE
    assert row["churn_rate"] == 0.0
    assert df.loc[D("2024-01-01"), "note"] == ""


RETAIL = real_file("online_retail", "online_retail.parquet")
CDNOW = real_file("cdnow", "CDNOW_master.txt")


@pytest.mark.real
@pytest.mark.skipif(not RETAIL.exists(), reason=f"{RETAIL} not found")
def test_online_retail_warm_up_months_are_nan():
    raw = pd.read_parquet(RETAIL)
    raw = raw[raw["CustomerID"].notna() & (raw["Quantity"] > 0)]
    orders = pd.DataFrame(
        {
            "customer_id": raw["CustomerID"].astype("int64").astype(str),
            "order_id": raw["InvoiceNo"].astype(str),
            "ordered_at": raw["InvoiceDate"],
            "amount": raw["Quantity"] * raw["UnitPrice"],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = cl.order_churn(orders, inactivity_days=90, as_of="2011-11-30")
    df = df.set_index("period")
    for month in ("2011-01-01", "2011-02-01"):
        assert np.isnan(df.loc[D(month), "churn_rate"])
        assert df.loc[D(month), "note"].startswith("warm-up")
    assert df.loc[D("2011-03-01"), "churn_rate"] > 0


def _cdnow() -> pd.DataFrame:
    raw = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=None,
        skiprows=1,
        names=["customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_id": raw.index.astype(str),
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"],
        }
    )


@pytest.mark.real
@pytest.mark.skipif(not CDNOW.exists(), reason=f"{CDNOW} not found")
def test_cdnow_warm_up_months_are_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = cl.order_churn(_cdnow(), inactivity_days=90, as_of="1998-06-30")
    df = df.set_index("period")
    for month in ("1997-02-01", "1997-03-01"):
        assert np.isnan(df.loc[D(month), "churn_rate"])
    assert df.loc[D("1997-05-01"), "churn_rate"] > 0


def test_cohort_spike_is_flagged_with_customers_at_risk():
    df = cl.order_churn(ORDERS, as_of="2026-08-31", inactivity_days=90)
    df = df.set_index("period")
    april = df.loc[D("2026-04-01")]
    # a, b (first orders in January) and c (March) at risk on 1 April: 2 of 3
    assert april["customers_start"] == 3
    assert april["top_cohort"] == D("2026-01-01")
    assert april["top_cohort_share"] == pytest.approx(2 / 3)
    assert bool(april["cohort_spike"])
    assert "cohort spike" in april["note"]
    may = df.loc[D("2026-05-01")]  # a (January) and c (March): one half, not more
    assert not bool(may["cohort_spike"])
    # warm-up months are never flagged: their rate is unknown already
    assert not df.loc[D("2026-03-01"), "cohort_spike"]


@pytest.mark.real
@pytest.mark.skipif(not CDNOW.exists(), reason=f"{CDNOW} not found")
def test_cdnow_june_1997_is_a_cohort_spike():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = cl.order_churn(_cdnow(), inactivity_days=90, as_of="1998-06-30")
    june = df.set_index("period").loc[D("1997-06-01")]
    assert june["churn_rate"] > 0.5
    assert bool(june["cohort_spike"]) and june["top_cohort"] == D("1997-03-01")
