"""Logo churn: hand cases, seed puzzle, conventions, properties, sample, real data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import churnlab as cl
from churnlab import engine
from churnlab.errors import ChurnlabWarning, ParameterError
from churnlab.metrics.churn import wilson_interval
from tests.conftest import real_file
from tests.metrics import _oracle
from tests.strategies import orders as order_frames
from tests.strategies import subscriptions as subscription_frames

D = pd.Timestamp
COUNTS = [
    "customers_start",
    "customers_new",
    "customers_new_lost",
    "customers_reactivated",
    "customers_churned",
    "customers_end",
]

# --------------------------------------------------------------------------------
# hand-computed case
# --------------------------------------------------------------------------------
# a: 10 Dec -> open                      active at 1 Jan, 1 Feb, 1 Mar, 1 Apr
# b: 1 Nov -> 15 Jan                     active at 1 Dec, 1 Jan; churns in January
# c: 5 Jan -> 20 Jan                     never at a boundary: new-and-lost in January
# d: 10 Jan -> open                      new in January
# e: 1 Oct -> 1 Dec, again 3 Feb -> open churns in December (end 1 Dec is still
#                                        counted at 1 Dec), reactivated in February
# f: 1 Feb -> 1 Mar                      starts on a boundary: new in February;
#                                        counted at 1 Mar, churns in March
# g: 15 Dec -> 10 Feb, 10 Feb -> open    a plan change: one customer, never churns
# h: 1 Jan -> 15 Feb, 15 Feb -> open     new in January, downgrade in February
SUBS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d", "e", "e", "f", "g", "g", "h", "h"],
        "start": pd.to_datetime(
            [
                "2025-12-10",
                "2025-11-01",
                "2026-01-05",
                "2026-01-10",
                "2025-10-01",
                "2026-02-03",
                "2026-02-01",
                "2025-12-15",
                "2026-02-10",
                "2026-01-01",
                "2026-02-15",
            ]
        ),
        "end": pd.to_datetime(
            [
                None,
                "2026-01-15",
                "2026-01-20",
                None,
                "2025-12-01",
                None,
                "2026-03-01",
                "2026-02-10",
                None,
                "2026-02-15",
                None,
            ]
        ),
        "mrr": [10.0, 20.0, 5.0, 30.0, 40.0, 50.0, 7.0, 15.0, 25.0, 100.0, 60.0],
    }
)
CUSTOMERS = pd.DataFrame(
    {
        "customer_id": list("abcdefgh"),
        "segment": ["x", "x", "y", "y", "x", "y", "x", "y"],
    }
)
AS_OF = "2026-03-31"

# Active sets: 1 Oct {} | 1 Nov {e} | 1 Dec {b,e} | 1 Jan {a,b,g} | 1 Feb {a,d,g,h}
#              1 Mar {a,d,e,f,g,h} | 1 Apr {a,d,e,g,h}
EXPECTED = pd.DataFrame(
    {
        "period": pd.to_datetime(
            [
                "2025-10-01",
                "2025-11-01",
                "2025-12-01",
                "2026-01-01",
                "2026-02-01",
                "2026-03-01",
            ]
        ),
        "customers_start": [0, 1, 2, 3, 4, 6],
        "customers_new": [1, 1, 2, 3, 1, 0],  # e | b | a,g | c,d,h | f | -
        "customers_new_lost": [0, 0, 0, 1, 0, 0],  # c
        "customers_reactivated": [0, 0, 0, 0, 1, 0],  # e
        "customers_churned": [0, 0, 1, 1, 0, 1],  # e in Dec, b in Jan, f in Mar
        "customers_end": [1, 2, 3, 4, 6, 5],
        # churned / start
        "churn_rate": [np.nan, 0.0, 1 / 2, 1 / 3, 0.0, 1 / 6],
        # (end - new) / start: Nov (2-1)/1, Dec (3-2)/2, Jan (4-3)/3, Feb (6-1)/4,
        # Mar 5/6
        "crr": [np.nan, 1.0, 0.5, 1 / 3, 1.25, 5 / 6],
        # island ends: e 1 Dec | b 15 Jan, c 20 Jan | f 1 Mar
        "churn_events": [0, 0, 1, 2, 0, 1],
    }
)


def test_hand_case_counts_and_rates():
    got = cl.customer_churn(SUBS, as_of=AS_OF)
    cols = list(EXPECTED.columns)
    pd.testing.assert_frame_equal(got[cols], EXPECTED, check_dtype=False)
    # reconciliation, written out for January: 3 - 1 + 3 - 1 + 0 = 4
    jan = got.set_index("period").loc["2026-01-01"]
    assert jan.customers_end == 3 - 1 + 3 - 1 + 0


def test_hand_case_exposure():
    got = cl.customer_churn(SUBS, as_of=AS_OF).set_index("period")
    # December (31 days): b all 31, a from 10 Dec (22), g from 15 Dec (17); e's
    # interval ends exactly at 1 Dec, so it adds nothing. 70 customer-days.
    assert got.loc["2025-12-01", "customer_periods_at_risk"] == pytest.approx(70 / 31)
    # January: a 31, b to 15 Jan 14, c 5..20 Jan 15, d from 10 Jan 22, g 31, h 31
    assert got.loc["2026-01-01", "customer_periods_at_risk"] == pytest.approx(144 / 31)
    assert got.loc["2026-01-01", "churn_rate_at_risk"] == pytest.approx(2 / (144 / 31))
    # February (28 days): a, d, g, h, f 28 each; e from 3 Feb 26 -> 166 days
    assert got.loc["2026-02-01", "customer_periods_at_risk"] == pytest.approx(166 / 28)


def test_by_segment_adds_up_to_the_total():
    ds = cl.load_dataset({"subscriptions": SUBS, "customers": CUSTOMERS})
    total = cl.customer_churn(ds, as_of=AS_OF)
    seg = cl.customer_churn(ds, by="segment", as_of=AS_OF)
    assert list(seg.columns[:2]) == ["period", "segment"]
    summed = seg.groupby("period")[COUNTS + ["churn_events"]].sum().reset_index()
    pd.testing.assert_frame_equal(
        summed, total[["period"] + COUNTS + ["churn_events"]], check_dtype=False
    )
    # segment x holds a, b, e, g: start of January = {a, b, g} = 3, b churns
    jan_x = seg[(seg.period == "2026-01-01") & (seg.segment == "x")].iloc[0]
    assert (jan_x.customers_start, jan_x.customers_churned) == (3, 1)


def test_weekly_and_as_of_truncation():
    # As of 15 March, March is incomplete: the last month reported is February.
    got = cl.customer_churn(SUBS, as_of="2026-03-15")
    assert got["period"].max() == D("2026-02-01")
    weekly = cl.customer_churn(SUBS, freq="W", as_of=AS_OF)
    assert (weekly["period"].dt.weekday == 0).all()
    # 29 Mar 2026 is a Sunday: the last complete week starts Monday 23 March
    assert weekly["period"].max() == D("2026-03-23")


# --------------------------------------------------------------------------------
# the seed puzzle: 100 at the start, 30 sign-ups, 110 at the end
# --------------------------------------------------------------------------------
def puzzle(lost_new: int) -> pd.DataFrame:
    """100 customers on 1 Jan, 30 sign-ups in January, 110 on 1 Feb.

    20 are lost: ``lost_new`` of the sign-ups leave inside January and
    ``20 - lost_new`` of the original 100 churn.
    """
    lost_old = 20 - lost_new
    old = pd.DataFrame(
        {
            "customer_id": [f"o{i:03d}" for i in range(100)],
            "start": D("2025-12-05"),
            "end": [D("2026-01-10")] * lost_old + [pd.NaT] * (100 - lost_old),
        }
    )
    new = pd.DataFrame(
        {
            "customer_id": [f"n{i:03d}" for i in range(30)],
            "start": D("2026-01-05"),
            "end": [D("2026-01-25")] * lost_new + [pd.NaT] * (30 - lost_new),
        }
    )
    return pd.concat([old, new], ignore_index=True).assign(mrr=10.0)


def test_seed_puzzle_customer_level_data_says_how_many_were_new():
    got = cl.customer_churn(puzzle(lost_new=5), as_of="2026-01-31").iloc[-1]
    # 100 - 15 + 30 - 5 + 0 = 110: of the 20 lost, 5 were new sign-ups
    assert got[COUNTS].tolist() == [100, 30, 5, 0, 15, 110]
    assert got.churn_rate == pytest.approx(15 / 100)
    assert got.crr == pytest.approx((110 - 30) / 100)
    # Same head counts, different split: the churn rate differs, CRR cannot tell.
    other = cl.customer_churn(puzzle(lost_new=0), as_of="2026-01-31").iloc[-1]
    assert other[["customers_start", "customers_new", "customers_end"]].tolist() == [
        100,
        30,
        110,
    ]
    assert other.churn_rate == pytest.approx(20 / 100)
    assert other.crr == got.crr


def test_seed_puzzle_conventions_side_by_side():
    t = cl.churn_conventions(puzzle(lost_new=5), period="2026-01").set_index(
        "convention"
    )
    assert (t["customers_lost"] == 20).all()
    assert (t["customers_new_lost"] == 5).all()
    expected = {
        "churned / start": (15, 100),  # ChartMogul B2B
        "all lost / start": (20, 100),  # (15 + 5) / 100
        "all lost / all exposed": (20, 130),  # (15 + 5) / (100 + 30)
        "churned / average base": (15, 105),  # 15 / ((100 + 110) / 2)
        "1 - CRR": (20, 100),  # (100 + 30 - 110) / 100
    }
    for name, (num, den) in expected.items():
        assert t.loc[name, "numerator"] == num, name
        assert t.loc[name, "denominator"] == den, name
        assert t.loc[name, "rate"] == pytest.approx(num / den), name
        lo, hi = wilson_interval(num, den)
        assert t.loc[name, "ci_lower"] == pytest.approx(float(lo))
        assert t.loc[name, "ci_lower"] < t.loc[name, "rate"] < t.loc[name, "ci_upper"]
    assert t.loc["churned / start", "substituted"] == "15 / 100"
    # exposure: 85 old all 31 days, 15 old to 10 Jan (9 days), 25 new from 5 Jan
    # (27 days), 5 new 5..25 Jan (20 days): 2635 + 135 + 675 + 100 = 3545 days
    at_risk = t.loc["per customer-period at risk"]
    assert at_risk.numerator == 20
    assert at_risk.denominator == pytest.approx(3545 / 31)
    # ChartMogul's daily formula: on 10 Jan, 15 of the 100 + 30 active at the day's
    # start churn; on 25 Jan, 5 of 85 + 30. Sum = 15/130 + 5/115.
    assert t.loc["sum of daily churn", "rate"] == pytest.approx(15 / 130 + 5 / 115)
    daily = cl.customer_churn(puzzle(lost_new=5), freq="D", as_of="2026-01-31")
    daily = daily[daily.period >= "2026-01-01"]
    assert t.loc["sum of daily churn", "rate"] == pytest.approx(
        daily["churn_rate"].fillna(0).sum()
    )


def test_wilson_interval_known_values():
    # 15/100, z = 1.95996: centre (0.15 + z^2/200) / (1 + z^2/100) = 0.162948,
    # half-width z * sqrt(0.15 * 0.85 / 100 + z^2 / 40000) / 1.038415 = 0.069889
    lo, hi = wilson_interval(15, 100)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.0931, 0.2328)
    lo, hi = wilson_interval(0, 10)
    assert float(lo) == 0.0 and float(hi) == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson_interval([5, 3], [0, 2])  # no trials / more events than trials
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_conventions_reject_incomplete_or_bad_periods():
    with pytest.raises(ParameterError, match="after the data ends"):
        cl.churn_conventions(SUBS, period="2026-12")
    with pytest.raises(ParameterError, match="not a month"):
        cl.churn_conventions(SUBS, period="2026-13")
    with pytest.raises(ParameterError, match="before the first"):
        cl.churn_conventions(SUBS, period="2024-01")


def test_parameters_are_checked():
    with pytest.raises(ParameterError, match="pandas alias"):
        cl.customer_churn(SUBS, freq="MS")
    with pytest.raises(ParameterError, match="customers table"):
        cl.customer_churn(SUBS, by="segment")
    ds = cl.load_dataset({"subscriptions": SUBS, "customers": CUSTOMERS})
    with pytest.raises(ParameterError, match="not a customer attribute"):
        cl.customer_churn(ds, by="plan")
    with pytest.raises(ParameterError, match="time of day"):
        cl.customer_churn(SUBS, as_of="2026-03-31 12:00")


# --------------------------------------------------------------------------------
# order churn
# --------------------------------------------------------------------------------
# Window W = 30 days: a purchase keeps a customer active on (ordered_at, +30 days].
# x: 10 Jan, 25 Jan, 20 Mar   active to 24 Feb, then 20 Mar..19 Apr
#    (+ a refund on 27 Feb, which must not count)
# y: 31 Jan                   active 31 Jan..2 Mar
# z: 5 Feb, 10 Feb            active 5 Feb..12 Mar
# w: 1 Mar                    ordered exactly on 1 Mar: not active at 1 Mar, and
#                             gone by 1 Apr (31 Mar): new-and-lost in March
ORDERS = pd.DataFrame(
    {
        "customer_id": ["x", "x", "x", "x", "x", "y", "z", "z", "w"],
        "order_id": ["o1", "o1", "o2", "r1", "o3", "o4", "o5", "o6", "o7"],
        "ordered_at": pd.to_datetime(
            [
                "2026-01-10",
                "2026-01-10",
                "2026-01-25",
                "2026-02-27",
                "2026-03-20",
                "2026-01-31",
                "2026-02-05",
                "2026-02-10",
                "2026-03-01",
            ]
        ),
        "amount": [60.0, 40.0, 50.0, -10.0, 70.0, 20.0, 30.0, 30.0, 10.0],
        "is_refund": [False, False, False, True, False, False, False, False, False],
    }
)
# Active sets: 1 Jan {} | 1 Feb {x,y} | 1 Mar {y,z} | 1 Apr {x} | 1 May {}
ORDER_EXPECTED = pd.DataFrame(
    {
        "period": pd.to_datetime(
            ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
        ),
        "customers_start": [0, 2, 2, 1],
        "customers_new": [2, 1, 1, 0],  # x,y | z | w
        "customers_new_lost": [0, 0, 1, 0],  # w
        "customers_reactivated": [0, 0, 1, 0],  # x back on 20 Mar
        "customers_churned": [0, 1, 2, 1],  # x (24 Feb) | y, z | x (19 Apr)
        "customers_end": [2, 2, 1, 0],
        "churn_rate": [np.nan, 0.5, 1.0, 1.0],
        "churn_events": [0, 1, 3, 1],  # x 24 Feb | y 2 Mar, z 12 Mar, w 31 Mar
        "inactivity_days": [30, 30, 30, 30],
    }
)


def test_order_churn_hand_case_and_refund_warning():
    with pytest.warns(ChurnlabWarning, match="1 refund"):
        got = cl.order_churn(ORDERS, inactivity_days=30, as_of="2026-04-30")
    cols = list(ORDER_EXPECTED.columns)
    pd.testing.assert_frame_equal(got[cols], ORDER_EXPECTED, check_dtype=False)
    assert got.attrs["inactivity_days"] == 30


def test_order_churn_parameters():
    with pytest.raises(ParameterError, match="inactivity_days"):
        cl.order_churn(ORDERS, inactivity_days=0)
    with pytest.raises(ParameterError, match="inactivity_days"):
        cl.order_churn(ORDERS, inactivity_days=30.5)


# --------------------------------------------------------------------------------
# properties (DuckDB)
# --------------------------------------------------------------------------------
def _check_against_oracle(got: pd.DataFrame, truth: pd.DataFrame) -> None:
    cols = COUNTS + ["churn_events"]
    pd.testing.assert_frame_equal(
        got[["period"] + cols].reset_index(drop=True),
        truth[["period"] + cols],
        check_dtype=False,
    )
    np.testing.assert_allclose(
        got["customer_periods_at_risk"],
        truth["customer_periods_at_risk"],
        rtol=1e-9,
        atol=1e-9,
    )


@settings(max_examples=40)
@given(
    subscription_frames(),
    st.sampled_from(["M", "W"]),
    st.sampled_from(["2026-12-31", "2026-05-31"]),
)
def test_customer_churn_matches_the_rule(subs, freq, as_of):
    got = cl.customer_churn(subs, freq=freq, as_of=as_of)
    truth = _oracle.logo(subs, freq=freq, as_of=as_of)
    if truth.empty:
        assert got.empty
        return
    _check_against_oracle(got, truth)


@settings(max_examples=40)
@given(subscription_frames(max_rows=16), st.sampled_from(["M", "Q", "W", "D"]))
def test_counts_reconcile_and_rates_are_bounded(subs, freq):
    got = cl.customer_churn(subs, freq=freq, as_of="2026-12-31")
    recon = (
        got.customers_start
        - got.customers_churned
        + got.customers_new
        - got.customers_new_lost
        + got.customers_reactivated
    )
    assert (recon == got.customers_end).all()
    assert (
        got.customers_start.iloc[1:].to_numpy()
        == got.customers_end.iloc[:-1].to_numpy()
    ).all()
    rate = got.churn_rate.dropna()
    assert ((rate >= 0) & (rate <= 1)).all()
    assert got.churn_rate[got.customers_start == 0].isna().all()
    assert (got.customers_new_lost <= got.customers_new).all()
    assert (got.churn_events >= got.customers_churned + got.customers_new_lost).all()


@settings(max_examples=25)
@given(subscription_frames(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(subs, rnd):
    shuffled = subs.sample(frac=1, random_state=rnd.randint(0, 10**6))
    a = cl.customer_churn(subs, as_of="2026-12-31")
    b = cl.customer_churn(shuffled, as_of="2026-12-31")
    pd.testing.assert_frame_equal(a, b)


@settings(max_examples=30)
@given(order_frames(), st.sampled_from([1, 30, 90]))
def test_order_churn_matches_the_rule(orders, window):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        got = cl.order_churn(orders, inactivity_days=window, as_of="2026-12-31")
    truth = _oracle.logo(
        _oracle.order_spans(orders, window), freq="M", as_of="2026-12-31"
    )
    if truth.empty:
        assert got.empty
        return
    _check_against_oracle(got, truth)
    rate = got.churn_rate.dropna()
    assert ((rate >= 0) & (rate <= 1)).all()


# --------------------------------------------------------------------------------
# the sample company: planted churn by segment
# --------------------------------------------------------------------------------
def test_sample_recovers_planted_churn_by_segment():
    truth = cl.sample.ground_truth()["churn"]["monthly_rate"]
    got = cl.customer_churn(cl.sample_dataset(), by="segment")
    for segment, p in truth.items():
        rows = got[got.segment == segment]
        n, k = rows.customers_start.sum(), rows.customers_churned.sum()
        # pooled over months the count churned is binomial(n, p): 4 standard errors
        se = np.sqrt(p * (1 - p) / n)
        assert abs(k / n - p) < 4 * se, (segment, k / n, p, se)
        # and month by month, no more than a few months outside a 99.9% band
        sd = np.sqrt(rows.customers_start * p * (1 - p))
        outside = (rows.customers_churned - rows.customers_start * p).abs() > 3.3 * sd
        assert outside[rows.customers_start >= 30].sum() <= 2, segment


def test_sample_reconciles_with_mrr_counts():
    ds = cl.sample_dataset()
    logo = cl.customer_churn(ds)
    rev = cl.revenue_metrics(ds)
    pd.testing.assert_series_equal(logo.customers_end, rev.customers_end)
    pd.testing.assert_series_equal(logo.customers_churned, rev.customers_churned)


# --------------------------------------------------------------------------------
# backends
# --------------------------------------------------------------------------------
def test_backend_parity_small(con):
    subs = engine.load(con, "cl_subs_small", SUBS)
    got = cl.customer_churn(subs, as_of=AS_OF)
    want = cl.customer_churn(SUBS, as_of=AS_OF)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    orders = engine.load(con, "cl_orders_small", ORDERS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        got = cl.order_churn(orders, inactivity_days=30, as_of="2026-04-30")
        want = cl.order_churn(ORDERS, inactivity_days=30, as_of="2026-04-30")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def _sample_on(con) -> cl.Dataset:
    tables = cl.sample.generate()
    return cl.load_dataset(
        {
            name: engine.load(con, f"cl_sample_{name}", tables[name])
            for name in ("subscriptions", "customers")
        }
    )


def test_backend_parity_sample(con):
    got = cl.customer_churn(_sample_on(con), by="segment")
    want = cl.customer_churn(cl.sample_dataset(), by="segment")
    key = ["segment", "period"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True),
        want.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )


# --------------------------------------------------------------------------------
# real data: Online Retail against an independent SQL query
# --------------------------------------------------------------------------------
RETAIL = real_file("online_retail", "online_retail.parquet")

# Independent formulation: the state at every month boundary b is "some purchase in
# [b - 90 days, b)", found with a range join against a month spine; period flows
# come from comparing consecutive boundaries (no spells, no running sums).
RETAIL_SQL = """
WITH buys AS (
    SELECT customer_id, ordered_at FROM retail WHERE NOT is_refund
),
spine AS (
    SELECT range AS p, range + INTERVAL 1 MONTH AS b
    FROM range(TIMESTAMP '2010-12-01', TIMESTAMP '2011-12-01', INTERVAL 1 MONTH)
),
snap AS (
    SELECT DISTINCT spine.b, buys.customer_id FROM buys JOIN spine
      ON buys.ordered_at >= spine.b - INTERVAL 90 DAY AND buys.ordered_at < spine.b
),
first AS (SELECT customer_id, min(ordered_at) AS f FROM buys GROUP BY 1)
SELECT
    spine.p AS period,
    (SELECT count(*) FROM snap s WHERE s.b = spine.p) AS customers_start,
    (SELECT count(*) FROM first WHERE f >= spine.p AND f < spine.b) AS customers_new,
    (SELECT count(*) FROM first WHERE f >= spine.p AND f < spine.b
        AND customer_id NOT IN (SELECT customer_id FROM snap s WHERE s.b = spine.b))
        AS customers_new_lost,
    (SELECT count(*) FROM snap e JOIN first USING (customer_id)
        WHERE e.b = spine.b AND first.f < spine.p
          AND e.customer_id NOT IN (SELECT customer_id FROM snap s WHERE s.b = spine.p))
        AS customers_reactivated,
    (SELECT count(*) FROM snap s WHERE s.b = spine.p
        AND s.customer_id NOT IN (SELECT customer_id FROM snap e WHERE e.b = spine.b))
        AS customers_churned,
    (SELECT count(*) FROM snap e WHERE e.b = spine.b) AS customers_end
FROM spine ORDER BY 1
"""


def _retail_orders() -> pd.DataFrame:
    raw = pd.read_parquet(RETAIL)
    raw = raw[raw["CustomerID"].notna()]  # rows without a customer cannot churn
    amount = raw["Quantity"] * raw["UnitPrice"]
    return pd.DataFrame(
        {
            "customer_id": raw["CustomerID"].astype("int64").astype(str),
            "order_id": raw["InvoiceNo"].astype(str),
            "ordered_at": raw["InvoiceDate"],
            "amount": amount,
            "is_refund": raw["InvoiceNo"].astype(str).str.startswith("C")
            | (amount < 0),
        }
    )


@pytest.mark.real
@pytest.mark.skipif(
    not RETAIL.exists(),
    reason="online_retail.parquet not found; set CHURNLAB_REAL_DATA",
)
def test_online_retail_order_churn_against_sql():
    frame = _retail_orders()
    duck = engine.connect("duckdb")
    retail = engine.load(duck, "retail", frame)
    with pytest.warns(ChurnlabWarning, match="refund"):
        got = cl.order_churn(retail, inactivity_days=90, as_of="2011-11-30")
    want = duck.raw_sql(RETAIL_SQL).df()  # raw SQL on the DuckDB backend object
    want["period"] = want["period"].astype("datetime64[ns]")
    assert len(got) == 12 and got.period.iloc[0] == D("2010-12-01")
    pd.testing.assert_frame_equal(
        got[["period"] + COUNTS].reset_index(drop=True),
        want[["period"] + COUNTS],
        check_dtype=False,
    )
    # plausibility: thousands of buyers, a few hundred lost a month
    assert got.customers_end.iloc[-1] > 2000
    assert 0 < got.churn_rate.iloc[-1] < 0.3
