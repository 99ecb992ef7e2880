"""Cohort analysis: hand-computed matrices, properties, backends and real data."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

import churnlab as cl
from churnlab import engine
from churnlab.errors import ChurnlabWarning, ContractError, ParameterError
from tests import strategies
from tests.conftest import real_file

NAN = np.nan


def D(values):
    return pd.to_datetime(values, format="ISO8601")


def quiet(func, *args, **kwargs):
    """Call ``func`` with churnlab's documented-exclusion warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        return func(*args, **kwargs)


def matrix(rows, index):
    """Expected wide matrix: rows of equal length (NaN-padded), index as dates."""
    width = max(len(r) for r in rows)
    data = [list(r) + [NAN] * (width - len(r)) for r in rows]
    return pd.DataFrame(
        data,
        index=pd.DatetimeIndex(D(index), name="cohort"),
        columns=pd.RangeIndex(width, name="period_number"),
    )


def check_matrix(got, expected):
    assert_frame_equal(
        got, expected, check_dtype=False, check_freq=False, check_index_type=False
    )


# ---------------------------------------------------------------- hand-computed

# a: first order on the LAST DAY of January (18:00), none in February (a gap
#    month), again in March.
# b: January and February; a REFUND in March, which is not a purchase.
# c: two February orders (the first at 00:00 on 1 February).
# d: first order 30 April 23:00, the last hour of the last complete month.
ORDERS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "b", "b", "c", "c", "d"],
        "ordered_at": D(
            [
                "2026-01-31 18:00",
                "2026-03-05",
                "2026-01-10",
                "2026-02-15",
                "2026-03-20",
                "2026-02-01",
                "2026-02-28",
                "2026-04-30 23:00",
            ]
        ),
        "amount": [100.0, 50, 30, 40, -20, 10, 15, 70],
        "is_refund": [False, False, False, False, True, False, False, False],
    }
)
# Latest timestamp 2026-04-30 23:00, so the default as-of is 2026-04-30 and
# April is the last complete month.
# cohort Jan = {a, b} (size 2): Jan {a, b} = 2, Feb {b} = 1, Mar {a} = 1 (b's
#   refund does not count), Apr {} = 0 -> 1, 1/2, 1/2, 0.
# cohort Feb = {c} (size 1): Feb 1, Mar 0, Apr 0; April is its last observed
#   period, so k = 3 is NaN.
# cohort Mar: nobody -> no row.  cohort Apr = {d}: 1, then NaN.
LOGO = matrix(
    [[1, 0.5, 0.5, 0], [1, 0, 0], [1]], ["2026-01-01", "2026-02-01", "2026-04-01"]
)


def test_orders_logo_by_hand():
    got = quiet(cl.cohort_retention, ORDERS)
    check_matrix(got, LOGO)
    assert got.attrs["cohort_size"].tolist() == [2, 1, 1]
    assert got.attrs["as_of"] == pd.Timestamp("2026-04-30")
    counts = quiet(cl.cohort_retention, ORDERS, values="count")
    # Jan 2, 1, 1, 0; Feb 1, 0, 0; Apr 1
    check_matrix(
        counts,
        matrix(
            [[2, 1, 1, 0], [1, 0, 0], [1]], ["2026-01-01", "2026-02-01", "2026-04-01"]
        ),
    )


def test_orders_refund_warns_with_count():
    with pytest.warns(ChurnlabWarning, match="1 refund rows excluded"):
        cl.cohort_retention(ORDERS)


def test_orders_unbounded_by_hand():
    # Unbounded: active in k or later. Jan: k1 = {a (Mar), b (Feb)} = 2,
    # k2 = {a} = 1, k3 = 0.  Feb: c is never active after February.
    got = quiet(cl.cohort_retention, ORDERS, bounded=False)
    check_matrix(
        got,
        matrix(
            [[1, 1, 0.5, 0], [1, 0, 0], [1]], ["2026-01-01", "2026-02-01", "2026-04-01"]
        ),
    )


def test_orders_revenue_by_hand():
    # Jan cohort revenue: k0 = 100 + 30 = 130, k1 = 40, k2 = 50 (the -20 refund
    # is excluded), k3 = 0 -> 1, 40/130, 50/130, 0.  Feb: 25, 0, 0.  Apr: 70.
    got = quiet(cl.cohort_retention, ORDERS, kind="revenue")
    check_matrix(
        got,
        matrix(
            [[1, 40 / 130, 50 / 130, 0], [1, 0, 0], [1]],
            ["2026-01-01", "2026-02-01", "2026-04-01"],
        ),
    )
    table = quiet(cl.cohort_table, ORDERS, kind="revenue")
    jan = table[table["cohort"] == "2026-01-01"]
    assert jan["revenue_base"].tolist() == [130, 130, 130, 130]
    assert jan["revenue"].tolist() == [130, 40, 50, 0]
    assert jan["customers_active"].tolist() == [2, 1, 1, 0]


def test_orders_ltv_by_hand():
    # Cumulative revenue per original customer, Jan: 130/2, 170/2, 220/2, 220/2.
    got = quiet(cl.cohort_retention, ORDERS, kind="ltv")
    check_matrix(
        got,
        matrix(
            [[65, 85, 110, 110], [25, 25, 25], [70]],
            ["2026-01-01", "2026-02-01", "2026-04-01"],
        ),
    )


def test_orders_kind_equals_logo_on_orders():
    a = quiet(cl.cohort_retention, ORDERS, kind="orders")
    check_matrix(a, LOGO)


def test_as_of_censors_and_drops_incomplete_cohorts():
    # as_of 29 April: April is incomplete, so its cells are not observed and
    # the April cohort (d) does not exist yet; March is the last column.
    got = quiet(cl.cohort_retention, ORDERS, as_of="2026-04-29")
    check_matrix(got, matrix([[1, 0.5, 0.5], [1, 0]], ["2026-01-01", "2026-02-01"]))
    # NaN, never 0, for the cell not yet lived
    assert math.isnan(got.loc["2026-02-01", 2])


def test_cohort_table_long_frame_by_hand():
    table = quiet(cl.cohort_table, ORDERS)
    assert table.columns.tolist() == [
        "cohort",
        "period_number",
        "period",
        "cohort_size",
        "customers_active",
        "retention",
    ]
    # observed cells only: Jan 4 + Feb 3 + Apr 1 = 8 rows
    assert len(table) == 8
    assert table["period"].iloc[3] == pd.Timestamp("2026-04-01")
    assert str(table["cohort"].dtype) == "datetime64[ns]"
    assert table["customers_active"].dtype == "int64"
    assert table.attrs["kind"] == "logo"


def test_cohort_average_by_hand():
    # k0: (2 + 1 + 1) / (2 + 1 + 1) = 1
    # k1: cohorts Jan, Feb observed (Apr's k1 = May is not): (1 + 0) / (2 + 1)
    # k2: (1 + 0) / 3;  k3: only Jan observed: 0 / 2
    avg = cl.cohort_average(quiet(cl.cohort_table, ORDERS))
    assert avg["cohort_size"].tolist() == [4, 3, 3, 2]
    assert avg["customers_active"].tolist() == [4, 1, 1, 0]
    np.testing.assert_allclose(avg["retention"], [1, 1 / 3, 1 / 3, 0])
    # same as cohort_table(by_period=False)
    direct = quiet(cl.cohort_table, ORDERS, by_period=False)
    assert_frame_equal(direct, avg)
    wide = cl.cohort_matrix(avg)
    assert wide.index.tolist() == ["all customers"]


# x: 15 Jan to 1 Mar (end exclusive: last paid day 28 Feb) -> Jan, Feb.
# y: from 31 Jan (the last day of January), open -> Jan..Apr.
# z: 1 Feb to 15 Feb, then again from 10 Apr (a gap month, March).
# w: two OVERLAPPING subscriptions in Jan-Feb: counted once.
SUBS = pd.DataFrame(
    {
        "customer_id": ["x", "y", "z", "z", "w", "w"],
        "start": D(
            [
                "2026-01-15",
                "2026-01-31",
                "2026-02-01",
                "2026-04-10",
                "2026-01-05",
                "2026-01-20",
            ]
        ),
        "end": D(["2026-03-01", None, "2026-02-15", None, "2026-02-10", "2026-02-20"]),
        "mrr": [10.0, 20, 30, 30, 5, 5],
    }
)


def test_subscriptions_logo_by_hand():
    # Active in P <=> start < P.end and (end null or end > P.start).
    # Jan cohort {x, y, w}: Jan 3; Feb 3 (x's end 1 Mar > 1 Feb); Mar: x's end
    #   1 Mar is not > 1 Mar, w ended in Feb -> {y} = 1; Apr {y} = 1.
    # Feb cohort {z}: Feb 1, Mar 0 (gap), Apr 1.
    got = cl.cohort_retention(SUBS, as_of="2026-04-30")
    check_matrix(
        got, matrix([[1, 1, 1 / 3, 1 / 3], [1, 0, 1]], ["2026-01-01", "2026-02-01"])
    )
    assert got.attrs["cohort_size"].tolist() == [3, 1]
    assert got.attrs["source"] == "subscriptions"


def test_subscriptions_unbounded_by_hand():
    # Feb cohort: z is active in April, so active "in k or later" for k = 0, 1, 2.
    got = cl.cohort_retention(SUBS, bounded=False, as_of="2026-04-30")
    check_matrix(
        got, matrix([[1, 1, 1 / 3, 1 / 3], [1, 1, 1]], ["2026-01-01", "2026-02-01"])
    )


def test_subscriptions_mrr_by_hand():
    # MRR at each period's END (t = P.end; active at t <=> start < t <= end).
    # Jan cohort at 1 Feb: x 10 + y 20 + w 5 + 5 = 40; at 1 Mar: x (end 1 Mar
    #   >= 1 Mar) 10 + y 20 = 30; at 1 Apr: y 20; at 1 May: y 20.
    # Feb cohort at 1 Mar: z ended 15 Feb -> 0, so its revenue retention has a
    #   zero denominator: NaN, never inf; at 1 May: 30.
    table = cl.cohort_table(SUBS, kind="revenue", as_of="2026-04-30")
    jan = table[table["cohort"] == "2026-01-01"]
    assert jan["revenue"].tolist() == [40, 30, 20, 20]
    np.testing.assert_allclose(jan["retention"], [1, 0.75, 0.5, 0.5])
    feb = table[table["cohort"] == "2026-02-01"]
    assert feb["revenue"].tolist() == [0, 0, 30]
    assert feb["retention"].isna().all()
    ltv = cl.cohort_table(SUBS, kind="ltv", as_of="2026-04-30")
    # (40, 70, 90, 110) / 3 customers
    np.testing.assert_allclose(ltv["ltv"].iloc[:4], [40 / 3, 70 / 3, 30, 110 / 3])
    # Quarterly: one Q1 cohort {x, y, z, w}. MRR at 1 Apr: y 20 (z restarts on
    # 10 Apr) -> 3 months x 20 = 60; at 1 Jul: y 20 + z 30 -> 150.
    # LTV = (60, 210) / 4 customers.
    q = cl.cohort_table(SUBS, kind="ltv", freq="Q", as_of="2026-06-30")
    assert q["revenue"].tolist() == [60, 150]
    np.testing.assert_allclose(q["ltv"], [15, 52.5])


CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["x", "y", "z", "w", "v", "u"],
        "signup_at": D(
            ["2025-12-20", "2026-01-31", "2026-02-01", None, "2026-03-03", "2026-03-10"]
        ),
        "segment": ["A", "B", "A", "B", "A", "B"],
    }
)
# u subscribes on 5 Feb, before signing up on 10 Mar; v never subscribes.
SUBS_U = pd.concat(
    [
        SUBS,
        pd.DataFrame(
            {
                "customer_id": ["u"],
                "start": D(["2026-02-05"]),
                "end": D([None]),
                "mrr": [7.0],
            }
        ),
    ],
    ignore_index=True,
)


def test_signup_anchor_by_hand():
    ds = cl.load_dataset({"subscriptions": SUBS_U, "customers": CUSTOMERS})
    # Dec 2025 {x}: Dec 0 (x starts 15 Jan), Jan 1, Feb 1, Mar 0, Apr 0.
    # Jan {y}: 1, 1, 1, 1.  Feb {z}: 1, 0, 1.
    # Mar {v, u}: v never active, u active Mar and Apr -> 1/2, 1/2.
    # w has no signup date: in no cohort (warning). u was active before its
    # sign-up period (warning); February is not shown for it.
    with pytest.warns(ChurnlabWarning) as record:
        got = cl.cohort_retention(ds, anchor="signup", as_of="2026-04-30")
    messages = " ".join(str(w.message) for w in record)
    assert "1 active customers have no sign-up date" in messages
    assert "1 customers were active before their sign-up period" in messages
    check_matrix(
        got,
        matrix(
            [[0, 1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 1], [0.5, 0.5]],
            ["2025-12-01", "2026-01-01", "2026-02-01", "2026-03-01"],
        ),
    )
    assert got.attrs["cohort_size"].tolist() == [1, 1, 1, 2]


def test_by_attribute_crossed_and_alone():
    ds = cl.load_dataset({"subscriptions": SUBS_U, "customers": CUSTOMERS})
    # A = {x, z}, B = {y, w, u}.  Jan-A {x}: 1, 1, 0, 0.  Feb-A {z}: 1, 0, 1.
    # Jan-B {y, w}: 1, 1, 1/2, 1/2.  Feb-B {u}: 1, 1, 1.
    got = cl.cohort_retention(ds, by="segment", as_of="2026-04-30")
    assert got.index.names == ["segment", "cohort"]
    np.testing.assert_allclose(got.loc[("A", pd.Timestamp("2026-01-01"))], [1, 1, 0, 0])
    np.testing.assert_allclose(
        got.loc[("B", pd.Timestamp("2026-01-01"))], [1, 1, 0.5, 0.5]
    )
    np.testing.assert_allclose(
        got.loc[("B", pd.Timestamp("2026-02-01"))].iloc[:3], [1, 1, 1]
    )
    # Attribute cohorts alone: size-weighted over observed period cohorts.
    # A: k1 (1 + 0) / 2, k2 (0 + 1) / 2, k3 0 / 1.  B: k2 (1 + 1) / 3, k3 1 / 2.
    alone = cl.cohort_retention(ds, by="segment", by_period=False, as_of="2026-04-30")
    assert alone.index.name == "segment"
    np.testing.assert_allclose(alone.loc["A"], [1, 0.5, 0.5, 0])
    np.testing.assert_allclose(alone.loc["B"], [1, 1, 2 / 3, 0.5])
    assert alone.attrs["cohort_size"].tolist() == [2, 3]


def test_orders_signup_anchor_and_missing_attributes_by_hand():
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "e"],
            "ordered_at": D(
                ["2026-01-05", "2026-02-05", "2026-01-20", "2026-02-10", "2026-02-11"]
            ),
            "amount": [1.0, 2, 3, 4, 5],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "signup_at": D(["2026-01-01", "2026-01-02", "2026-01-30", "2026-02-01"]),
            "segment": ["A", None, "A", "B"],
        }
    )
    ds = cl.load_dataset({"orders": orders, "customers": customers})
    # sign-up Jan = {a, b, c}: Jan {a, b} = 2/3, Feb {a, c} = 2/3.
    # sign-up Feb = {d}, who never orders: 0.  e has no customers row: warned.
    with pytest.warns(ChurnlabWarning, match="1 active customers have no sign-up"):
        got = cl.cohort_retention(ds, anchor="signup", as_of="2026-02-28")
    check_matrix(got, matrix([[2 / 3, 2 / 3], [0]], ["2026-01-01", "2026-02-01"]))
    assert got.attrs["cohort_size"].tolist() == [3, 1]
    # by segment: b (null segment) and e (no customers row) are kept, under NaN
    # first-activity cohorts: A-Jan {a}: 1, 1; A-Feb {c}: 1; NaN-Jan {b}: 1, 0;
    # NaN-Feb {e}: 1.
    table = cl.cohort_table(ds, by="segment", as_of="2026-02-28")
    assert table["cohort_size"].sum() == 2 + 1 + 2 + 1  # per-cell sizes
    alone = cl.cohort_retention(ds, by="segment", by_period=False, as_of="2026-02-28")
    assert alone.loc["A"].tolist() == [1, 1]
    assert alone.loc[np.nan].tolist() == [1, 0]
    assert alone.attrs["cohort_size"].tolist() == [2, 2]


def test_daily_and_weekly_periods_by_hand():
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            # Sunday 4 Jan and Monday 5 Jan 2026: one day apart, different weeks
            "ordered_at": D(["2026-01-04 23:59", "2026-01-05", "2026-01-06"]),
            "amount": [1.0, 1, 1],
        }
    )
    daily = cl.cohort_retention(orders, freq="D", as_of="2026-01-07")
    # a: 4 Jan, 5 Jan -> 1, 1, 0, 0.  b: 6 Jan -> 1, 0.
    check_matrix(daily, matrix([[1, 1, 0, 0], [1, 0]], ["2026-01-04", "2026-01-06"]))
    # weeks start on Monday: a's cohort is the week of 29 Dec 2025
    weekly = cl.cohort_retention(orders, freq="W", as_of="2026-01-11")
    check_matrix(weekly, matrix([[1, 1], [1]], ["2025-12-29", "2026-01-05"]))
    quarterly = cl.cohort_retention(orders, freq="Q", as_of="2026-03-31")
    check_matrix(quarterly, matrix([[1]], ["2026-01-01"]))


def test_inputs_path_ibis_table_and_dataset(tmp_path):
    path = tmp_path / "orders.parquet"
    ORDERS.to_parquet(path)
    from_path = quiet(cl.cohort_retention, str(path))
    check_matrix(from_path, LOGO)
    from_table = quiet(cl.cohort_retention, engine.to_table(ORDERS))
    check_matrix(from_table, LOGO)
    ds = cl.load_dataset({"orders": ORDERS, "subscriptions": SUBS})
    # a Dataset with both: logo reads subscriptions unless told otherwise
    assert (
        cl.cohort_retention(ds, as_of="2026-04-30").attrs["source"] == "subscriptions"
    )
    check_matrix(quiet(cl.cohort_retention, ds, source="orders"), LOGO)
    check_matrix(
        quiet(cl.cohort_retention, ds, kind="orders", as_of="2026-04-30"), LOGO
    )


def test_no_complete_period_gives_an_empty_frame():
    table = quiet(cl.cohort_table, ORDERS, as_of="2026-01-30")
    assert table.empty
    assert "retention" in table.columns
    assert quiet(cl.cohort_retention, ORDERS, as_of="2026-01-30").empty


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "churn"}, "kind='churn' is not a cohort measure"),
        ({"kind": "revenue", "bounded": False}, "bounded=False"),
        ({"freq": "MS"}, "pandas alias"),
        ({"values": "share"}, "values='share'"),
        ({"anchor": "first_order"}, "anchor='first_order'"),
        ({"source": "events"}, "source='events'"),
        ({"kind": "orders", "source": "subscriptions"}, 'kind="orders"'),
        ({"as_of": "2026-13-45"}, "as_of"),
        ({"by": "segment"}, "needs a customers table"),
    ],
)
def test_parameter_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        cl.cohort_retention(ORDERS, **kwargs)


def test_missing_tables_and_unknown_columns():
    with pytest.raises(ContractError, match="no orders table"):
        cl.cohort_retention(SUBS, kind="orders")
    with pytest.raises(ParameterError, match="Cannot tell whether"):
        cl.cohort_retention(
            pd.DataFrame({"customer_id": ["a"], "when": ["2026-01-01"]})
        )
    ds = cl.load_dataset({"subscriptions": SUBS, "customers": CUSTOMERS})
    with pytest.raises(ParameterError, match="not a customer attribute"):
        cl.cohort_retention(ds, by="region")
    with pytest.raises(ParameterError, match="not a cohort table"):
        cl.cohort_matrix(pd.DataFrame({"x": [1]}))


def test_cohort_matrix_values():
    table = quiet(cl.cohort_table, ORDERS, kind="ltv")
    cum = cl.cohort_matrix(table, values="count")
    assert cum.attrs["values"] == "revenue_cumulative"
    assert cum.loc["2026-01-01"].tolist() == [130, 170, 220, 220]
    per_period = cl.cohort_matrix(table, values="revenue")
    assert per_period.loc["2026-01-01"].tolist() == [130, 40, 50, 0]
    with pytest.raises(ParameterError, match="values='cohort'"):
        cl.cohort_matrix(table, values="cohort")
    with pytest.raises(ParameterError, match="values='logo'"):
        cl.cohort_matrix(table, values="logo")  # an ltv table has no customer counts
    # one revenue table gives both matrices
    revenue = quiet(cl.cohort_table, ORDERS, kind="revenue")
    check_matrix(cl.cohort_matrix(revenue, values="logo"), LOGO)
    assert cl.cohort_matrix(revenue).loc["2026-01-01", 1] == pytest.approx(40 / 130)


# ------------------------------------------------------------------ properties


def _oracle_orders(frame: pd.DataFrame, freq: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Independent pandas computation: logo counts, unbounded counts, revenue."""
    alias = {"D": "D", "W": "W-MON", "M": "MS", "Q": "QS"}[freq]
    first_unknown = cl.periods.period_start(as_of + pd.Timedelta(days=1), freq)
    buys = frame[~frame["is_refund"] & (frame["ordered_at"] < first_unknown)].copy()
    if buys.empty:
        return pd.DataFrame(
            columns=[
                "cohort",
                "period_number",
                "cohort_size",
                "customers_active",
                "unbounded",
                "revenue",
            ]
        )
    buys["period"] = cl.periods.period_start(buys["ordered_at"], freq)
    spine = pd.date_range(
        buys["period"].min(), first_unknown, freq=alias, inclusive="left"
    )
    pos = {p: i for i, p in enumerate(spine)}
    buys["i"] = buys["period"].map(pos)
    per = buys.groupby(["customer_id", "i"])["amount"].sum().reset_index()
    first = per.groupby("customer_id")["i"].min()
    last = per.groupby("customer_id")["i"].max()
    rows = []
    for c in sorted(first.unique()):
        members = first.index[first == c]
        mine = per[per["customer_id"].isin(members)]
        for k in range(len(spine) - c):
            at = mine[mine["i"] == c + k]
            rows.append(
                {
                    "cohort": spine[c],
                    "period_number": k,
                    "cohort_size": len(members),
                    "customers_active": len(at),
                    "unbounded": int((last[members] >= c + k).sum()),
                    "revenue": float(at["amount"].sum()),
                }
            )
    return pd.DataFrame(rows)


def _oracle_subs(frame: pd.DataFrame, freq: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Brute force over every subscription and period (overlap rule, MRR at end)."""
    alias = {"D": "D", "W": "W-MON", "M": "MS", "Q": "QS"}[freq]
    first_unknown = cl.periods.period_start(as_of + pd.Timedelta(days=1), freq)
    # a zero-MRR row is a trial or free use, not a paying customer
    subs = frame[(frame["start"] < first_unknown) & (frame["mrr"] > 0)]
    if subs.empty:
        return pd.DataFrame()
    spine = pd.date_range(
        cl.periods.period_start(subs["start"].min(), freq),
        first_unknown,
        freq=alias,
        inclusive="left",
    )
    p0 = spine.to_numpy()[None, :]
    p1 = np.array(
        [cl.periods.period_end(p, freq) for p in spine], dtype="datetime64[ns]"
    )[None, :]
    start = subs["start"].to_numpy()[:, None]
    end = subs["end"].to_numpy()[:, None]
    open_ = subs["end"].isna().to_numpy()[:, None]
    # rows x periods: the subscription overlaps the period / is active at its end
    overlaps = (start < p1) & (open_ | (end > p0))
    at_end = (start < p1) & (open_ | (end >= p1))
    mrr = subs["mrr"].to_numpy()[:, None] * at_end
    ids = subs["customer_id"].to_numpy()
    active = {cid: overlaps[ids == cid].any(axis=0) for cid in np.unique(ids)}
    money = {cid: mrr[ids == cid].sum(axis=0) for cid in np.unique(ids)}
    first = {cid: int(np.argmax(a)) for cid, a in active.items() if a.any()}
    last = {
        cid: len(a) - 1 - int(np.argmax(a[::-1]))
        for cid, a in active.items()
        if a.any()
    }
    rows = []
    for c in sorted(set(first.values())):
        members = [cid for cid, f in first.items() if f == c]
        for k in range(len(spine) - c):
            rows.append(
                {
                    "cohort": spine[c],
                    "period_number": k,
                    "cohort_size": len(members),
                    "customers_active": sum(bool(active[m][c + k]) for m in members),
                    "unbounded": sum(last[m] >= c + k for m in members),
                    "revenue": round(sum(money[m][c + k] for m in members), 2),
                }
            )
    return pd.DataFrame(rows)


FREQS = st.sampled_from(["D", "W", "M", "Q"])
AS_OF = st.integers(10, 270).map(lambda d: strategies.BASE + pd.Timedelta(days=d))


def _compare(got: pd.DataFrame, want: pd.DataFrame, columns: list[str]) -> None:
    if want.empty:
        assert got.empty
        return
    assert_frame_equal(
        got[columns].reset_index(drop=True),
        want[columns].reset_index(drop=True),
        check_dtype=False,
    )


@settings(max_examples=40)
@given(frame=strategies.orders(), freq=FREQS, as_of=AS_OF)
def test_orders_match_an_independent_pandas_oracle(frame, freq, as_of):
    logo = quiet(cl.cohort_table, frame, freq=freq, kind="revenue", as_of=as_of)
    unbounded = quiet(cl.cohort_table, frame, freq=freq, bounded=False, as_of=as_of)
    want = _oracle_orders(frame, freq, as_of)
    _compare(logo, want, ["cohort", "period_number", "cohort_size", "customers_active"])
    if not want.empty:
        np.testing.assert_allclose(logo["revenue"], want["revenue"])
        assert unbounded["customers_active"].tolist() == want["unbounded"].tolist()


@settings(max_examples=40)
@given(frame=strategies.subscriptions(), freq=FREQS, as_of=AS_OF)
def test_subscriptions_match_a_brute_force_oracle(frame, freq, as_of):
    got = cl.cohort_table(frame, freq=freq, kind="revenue", as_of=as_of)
    unbounded = cl.cohort_table(frame, freq=freq, bounded=False, as_of=as_of)
    want = _oracle_subs(frame, freq, as_of)
    _compare(got, want, ["cohort", "period_number", "cohort_size", "customers_active"])
    if not want.empty:
        np.testing.assert_allclose(got["revenue"], want["revenue"], atol=1e-9)
        assert unbounded["customers_active"].tolist() == want["unbounded"].tolist()


@settings(max_examples=50)
@given(
    frame=st.one_of(
        strategies.orders(max_customers=10, max_rows=30),
        strategies.subscriptions(max_customers=10, max_rows=16),
    ),
    freq=FREQS,
    as_of=AS_OF,
)
def test_matrix_properties(frame, freq, as_of):
    bounded = quiet(cl.cohort_retention, frame, freq=freq, as_of=as_of)
    unbounded = quiet(cl.cohort_retention, frame, freq=freq, bounded=False, as_of=as_of)
    if bounded.empty:
        return
    values = bounded.to_numpy()
    observed = ~np.isnan(values)
    # logo cells are shares: in [0, 1]
    assert ((values[observed] >= 0) & (values[observed] <= 1)).all()
    # first-activity cohorts: everyone is active in period 0
    assert (bounded[0] == 1).all()
    # censoring: cell (c, k) is NaN exactly when period c + k is not complete
    first_unknown = cl.periods.period_start(as_of + pd.Timedelta(days=1), freq)
    alias = {"D": "D", "W": "W-MON", "M": "MS", "Q": "QS"}[freq]
    spine = pd.date_range(bounded.index[0], first_unknown, freq=alias, inclusive="left")
    n_observed = len(spine) - spine.get_indexer(bounded.index)
    assert (observed == (bounded.columns.to_numpy() < n_observed[:, None])).all()
    # cohort sizes sum to the customers active before the first unknown period
    if "ordered_at" in frame.columns:
        known = frame[~frame["is_refund"] & (frame["ordered_at"] < first_unknown)]
    else:
        known = frame[
            (frame["start"] < first_unknown)
            & (frame["mrr"] > 0)  # paying customers only: trials are no cohort
            # a zero-length row (end == start) is active at no instant
            & ~(frame["end"].notna() & (frame["end"] <= frame["start"]))
        ]
    assert bounded.attrs["cohort_size"].sum() == known["customer_id"].nunique()
    # unbounded retention is never below bounded, with the same censoring
    assert (np.isnan(unbounded.to_numpy()) == ~observed).all()
    assert (unbounded.to_numpy()[observed] >= values[observed] - 1e-12).all()
    # the weighted average is a weighted mean of observed cells
    avg = cl.cohort_average(quiet(cl.cohort_table, frame, freq=freq, as_of=as_of))
    assert ((avg["retention"] >= 0) & (avg["retention"] <= 1)).all()


@settings(max_examples=25)
@given(frame=strategies.orders(max_rows=25), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(frame, seed):
    as_of = pd.Timestamp("2026-06-30")
    shuffled = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
    a = quiet(cl.cohort_table, frame, kind="revenue", as_of=as_of)
    b = quiet(cl.cohort_table, shuffled, kind="revenue", as_of=as_of)
    assert_frame_equal(a, b, check_exact=False)


# ------------------------------------------------------------------- backends

PARITY_CUSTOMERS = pd.DataFrame(
    {
        "customer_id": [f"c{i}" for i in range(10)],
        "signup_at": D(
            [
                "2025-12-28",
                "2026-01-01",
                "2026-01-15",
                "2026-02-01",
                "2026-02-20",
                "2026-03-03",
                None,
                "2026-04-01",
                "2026-04-30",
                "2026-05-05",
            ]
        ),
        "segment": ["A", "B"] * 5,
    }
)


ORDERS_P = pd.DataFrame(
    {
        "customer_id": [f"c{i % 10}" for i in range(40)],
        "ordered_at": [
            strategies.BASE + pd.Timedelta(days=(i * 37) % 230, hours=i % 24)
            for i in range(40)
        ],
        "amount": [float(10 + i) if i % 9 else -5.0 for i in range(40)],
        "is_refund": [i % 9 == 0 for i in range(40)],
    }
)
SUBS_P = pd.DataFrame(
    {
        "customer_id": [f"c{i % 10}" for i in range(18)],
        "start": [
            strategies.BASE + pd.Timedelta(days=(i * 29) % 200) for i in range(18)
        ],
        "end": [
            pd.NaT
            if i % 4 == 0
            else strategies.BASE + pd.Timedelta(days=(i * 29) % 200 + (i * 13) % 90)
            for i in range(18)
        ],
        "mrr": [float(5 * (i % 7)) + 0.5 for i in range(18)],
    }
)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("segment", "cohort", "period_number") if c in frame.columns]
    return frame.sort_values(keys).reset_index(drop=True)


def test_backends_agree_on_orders(con):
    orders = engine.load(con, "cohort_orders", ORDERS_P)
    want_rev = quiet(cl.cohort_table, ORDERS_P, kind="revenue", as_of="2026-08-31")
    got_rev = quiet(cl.cohort_table, orders, kind="revenue", as_of="2026-08-31")
    assert_frame_equal(_sorted(got_rev), _sorted(want_rev), check_dtype=False)
    want_w = quiet(
        cl.cohort_table, ORDERS_P, freq="W", bounded=False, as_of="2026-08-30"
    )
    got_w = quiet(cl.cohort_table, orders, freq="W", bounded=False, as_of="2026-08-30")
    assert_frame_equal(_sorted(got_w), _sorted(want_w), check_dtype=False)


def test_backends_agree_on_subscriptions(con):
    ds = cl.load_dataset(
        {
            "subscriptions": engine.load(con, "cohort_subs", SUBS_P),
            "customers": engine.load(con, "cohort_customers", PARITY_CUSTOMERS),
        }
    )
    local = cl.load_dataset({"subscriptions": SUBS_P, "customers": PARITY_CUSTOMERS})
    for kwargs in (
        {"kind": "revenue", "by": "segment", "as_of": "2026-08-31"},
        {"anchor": "signup", "bounded": False, "freq": "D", "as_of": "2026-08-31"},
    ):
        want = quiet(cl.cohort_table, local, **kwargs)
        got = quiet(cl.cohort_table, ds, **kwargs)
        assert not want.empty
        assert_frame_equal(_sorted(got), _sorted(want), check_dtype=False)


# --------------------------------------------------------------- sample data


def test_sample_dataset_sizes_and_shape():
    ds = cl.sample_dataset()
    m = cl.cohort_retention(ds, as_of="2026-10-31")
    assert m.shape == (36, 36)
    subs = ds.to_pandas("subscriptions")
    started = subs[subs["start"] < pd.Timestamp("2026-11-01")]
    assert m.attrs["cohort_size"].sum() == started["customer_id"].nunique()
    rev = cl.cohort_retention(ds, kind="revenue", as_of="2026-10-31")
    assert (rev[0] == 1).all()
    assert (rev.to_numpy()[~np.isnan(rev.to_numpy())] > 1).any()  # expansion


# ----------------------------------------------------------------- real data

CDNOW = real_file("cdnow", "CDNOW_master.txt")
RETAIL = real_file("online_retail", "online_retail.parquet")

# Written independently of churnlab: DATE_TRUNC and DATEDIFF on month starts.
COHORT_SQL = """
WITH purchases AS (
    SELECT customer_id, DATE_TRUNC('month', ordered_at) AS month, amount
    FROM orders WHERE NOT is_refund AND ordered_at < TIMESTAMP '{end}'
),
monthly AS (
    SELECT customer_id, month, SUM(amount) AS revenue
    FROM purchases GROUP BY customer_id, month
),
firsts AS (
    SELECT customer_id, MIN(month) AS cohort, MAX(month) AS last_month
    FROM monthly GROUP BY customer_id
),
cells AS (
    SELECT f.cohort, DATEDIFF('month', f.cohort, m.month) AS period_number,
           COUNT(*) AS customers_active, SUM(m.revenue) AS revenue
    FROM monthly m JOIN firsts f USING (customer_id)
    GROUP BY 1, 2
),
sizes AS (SELECT cohort, COUNT(*) AS cohort_size FROM firsts GROUP BY cohort)
{select}
"""
CELLS_SELECT = """
SELECT c.cohort, c.period_number, s.cohort_size, c.customers_active, c.revenue
FROM cells c JOIN sizes s USING (cohort) ORDER BY 1, 2
"""
# active in k or later <=> the customer's last month is at least cohort + k
UNBOUNDED_SELECT = """
SELECT f.cohort, r.period_number, COUNT(*) AS unbounded
FROM firsts f CROSS JOIN range(0, 100) AS r(period_number)
WHERE DATEDIFF('month', f.cohort, f.last_month) >= r.period_number
GROUP BY 1, 2 ORDER BY 1, 2
"""


def _check_against_sql(orders: pd.DataFrame, end: str) -> pd.DataFrame:
    con = engine.connect("duckdb")
    engine.load(con, "orders", orders)

    def run(select):
        frame = con.raw_sql(COHORT_SQL.format(end=end, select=select)).fetch_df()
        frame["cohort"] = pd.to_datetime(frame["cohort"]).astype("datetime64[ns]")
        return frame

    sql = run(CELLS_SELECT)
    sql_unbounded = run(UNBOUNDED_SELECT)
    logo = quiet(cl.cohort_table, orders, kind="revenue")
    unbounded = quiet(cl.cohort_table, orders, bounded=False)
    assert logo.attrs["as_of"] == pd.Timestamp(end) - pd.Timedelta(days=1)
    merged = logo.merge(
        sql, on=["cohort", "period_number"], how="left", suffixes=("", "_sql")
    )
    # cells the SQL does not list are observed cells with no purchase: 0
    assert (
        merged.loc[merged["customers_active_sql"].isna(), "customers_active"]
        .eq(0)
        .all()
    )
    hit = merged[merged["customers_active_sql"].notna()]
    assert len(hit) == len(sql)  # every SQL cell is an observed churnlab cell
    assert (hit["customers_active"] == hit["customers_active_sql"]).all()
    assert (hit["cohort_size"] == hit["cohort_size_sql"]).all()
    np.testing.assert_allclose(hit["revenue"], hit["revenue_sql"], rtol=1e-9)
    unb = unbounded.merge(sql_unbounded, on=["cohort", "period_number"], how="left")
    assert len(unb) == len(unbounded)
    assert (unb["customers_active"] == unb["unbounded"].fillna(0)).all()
    return logo


@pytest.mark.real
@pytest.mark.skipif(
    not CDNOW.exists(),
    reason="CDNOW_master.txt not found in "
    "../shared/data/real/cdnow; set CHURNLAB_REAL_DATA",
)
def test_cdnow_matches_sql():
    raw = pd.read_csv(CDNOW, sep=r"\s+", dtype={"customer_id": str, "date": str})
    orders = pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["dollar_value"].astype(float),
            "is_refund": False,
        }
    )
    logo = _check_against_sql(orders, "1998-07-01")
    # All CDNOW customers first bought in Q1 1997: three cohorts, 18 months
    # observed to 1998-06-30, 23,570 customers.
    m = cl.cohort_matrix(logo)
    assert m.index.strftime("%Y-%m").tolist() == ["1997-01", "1997-02", "1997-03"]
    assert m.shape == (3, 18)
    assert m.attrs["cohort_size"].sum() == 23570
    # the March cohort is observed for 16 months (March 1997 to June 1998)
    assert m.iloc[2, 16:].isna().all() and m.iloc[2, :16].notna().all()
    assert m.iloc[0].notna().all()


@pytest.mark.real
@pytest.mark.skipif(
    not RETAIL.exists(),
    reason="online_retail.parquet not found in "
    "../shared/data/real/online_retail; set CHURNLAB_REAL_DATA",
)
def test_online_retail_matches_sql():
    raw = pd.read_parquet(RETAIL)
    raw = raw[raw["CustomerID"].notna()]
    orders = pd.DataFrame(
        {
            "customer_id": raw["CustomerID"].astype("int64").astype(str),
            "ordered_at": raw["InvoiceDate"],
            "amount": raw["Quantity"] * raw["UnitPrice"],
            "is_refund": raw["InvoiceNo"].str.startswith("C"),
        }
    )
    # December 2011 is partial (to the 9th): the default as-of is 2011-11-30.
    logo = _check_against_sql(orders, "2011-12-01")
    m = cl.cohort_matrix(logo)
    assert m.index[0] == pd.Timestamp("2010-12-01") and m.shape == (12, 12)


# --------------------------------------------------------------------------------
# recurring retention through cohort_table
# --------------------------------------------------------------------------------
def test_recurring_retention_through_cohort_table():
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(6)],
            "customer_id": ["a", "a", "b", "b", "b", "c"],
            "ordered_at": pd.to_datetime(
                [
                    "2026-01-05",
                    "2026-02-05",
                    "2026-01-09",
                    "2026-02-09",
                    "2026-03-09",
                    "2026-02-11",
                ]
            ),
            "amount": [10.0] * 6,
        }
    )
    ds = cl.load_dataset({"orders": orders})
    rec = cl.cohort_table(ds, retention="recurring", as_of="2026-03-31")
    assert rec.equals(cl.recurring_retention(ds, as_of="2026-03-31"))
    feb = rec[rec["cohort"] == "2026-02-01"].set_index("period_number")
    # February's recurring cohort is everyone active in February (a, b, c) —
    # not only c, whose first order it was; of them only b buys in March
    assert feb.loc[0, "cohort_size"] == 3
    assert feb.loc[1, "customers_active"] == 1
    first = cl.cohort_table(ds, as_of="2026-03-31")
    assert first[first["cohort"] == "2026-02-01"]["cohort_size"].iloc[0] == 1
    with pytest.raises(ParameterError, match="recurring"):
        cl.cohort_table(ds, retention="recurring", kind="revenue")
    with pytest.raises(ParameterError, match="first_time"):
        cl.cohort_table(ds, retention="weekly")
