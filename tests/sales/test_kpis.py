"""The sales KPI table: the source list's ids, types and formulas, each KPI by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnlab as cl
from churnlab.errors import ParameterError
from churnlab.sales import KPI_TYPES, SALES_KPIS
from tests.conftest import real_file


def d(*values):
    return pd.to_datetime(list(values), format="ISO8601")


# The product's source list (../shared/SALES_KPIS.md), copied: id, types, formula.
SOURCE = [
    ("total_revenue", "growth, result",
     "units sold × price per unit (= sum of sales amounts)"),
    ("nrr", "quality, result",
     "(start MRR + expansion − contraction − churned MRR) / start MRR"),
    ("arpa", "growth, result", "MRR / number of active accounts"),
    ("revenue_growth_qoq", "growth, input, result",
     "(this quarter's sales − last quarter's) / last quarter's"),
    ("revenue_growth_yoy", "growth, result",
     "this year's value / last year's value − 1"),
    ("repeat_customer_rate", "quality, output",
     "repeat customers / all paying customers"),
    ("ltv", "quality, growth, result",
     "average purchase value × average number of purchases × average customer "
     "lifetime"),
    ("average_deal_size", "efficiency, result",
     "total value of closed deals / number of closed deals"),
    ("average_margin", "growth, result", "(gross or net profit / total revenue)"),
    ("sales_conversion_rate", "growth, efficiency, result",
     "closed (won) deals / total leads"),
    ("lead_conversion_rate", "growth, efficiency, result",
     "leads captured / total visitors"),
    ("lead_to_opportunity_rate", "growth, efficiency, result",
     "opportunities / leads"),
    ("market_penetration", "growth, result", "customers / total market size"),
    ("sales_cycle_length", "efficiency, output",
     "total days taken to close deals / number of deals"),
    ("acv", "growth, result",
     "(total contract value − one-time fees) / contract length in years"),
    ("sales_expense_ratio", "efficiency, input",
     "operating (sales) expenses / net sales"),
    ("pipeline_coverage", "growth, input", "total pipeline value / sales target"),
    ("win_rate", "growth, efficiency, output", "won deals / total deals"),
    ("deal_slippage", "efficiency, output", "lost deals / total deals conducted"),
    ("quota_attainment", "growth, output", "total sales / sales quota"),
    ("meetings_booked", "efficiency, growth, output",
     "meetings scheduled / total responses from prospects"),
    ("sales_pitches", "efficiency, input", "product demos / sales emails and calls"),
    ("sales_by_location", "growth, result", "sales in a location / total sales"),
    ("revenue_share_new_existing", "quality, result",
     "revenue from existing (or new) customers / total revenue"),
    ("churn_rate", "quality, result", "customers lost / customers at the start"),
]  # fmt: skip

# A small company, January 2026 (the hand computations are in the tests).
DEALS = pd.DataFrame(
    {
        "deal_id": ["D1", "D2", "D3", "D4"],
        "created_at": d("2026-01-01", "2026-01-01", "2026-01-25", "2026-01-01"),
        "status": ["won", "lost", "open", "won"],
        "amount": [1000.0, 500.0, 800.0, 2000.0],
        "closed_at": d("2026-01-11", "2026-01-06", None, "2026-01-21"),
        "owner": ["ann", "ann", "bob", "bob"],
        "expected_close_at": d("2026-01-10", "2026-01-31", "2026-01-30", "2026-02-15"),
        "contract_value": [2500.0, 500.0, 800.0, 6000.0],
        "contract_months": [24.0, 12.0, 12.0, 36.0],
        "one_time_fees": [500.0, 0.0, 0.0, 0.0],
    }
)  # fmt: skip
LEADS = pd.DataFrame(
    {
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "created_at": d(*["2026-01-01"] * 2, "2026-01-02", "2026-01-01", "2026-01-20",
                        "2026-01-03"),
        "source": ["inbound"] * 3 + ["outbound"] * 3,
        "converted_at": d("2026-01-01", "2026-01-01", None, "2026-01-01", "2026-01-25",
                          None),
        "deal_id": ["D1", "D2", None, "D4", "D3", None],
    }
)  # fmt: skip
TARGETS = pd.DataFrame(
    {
        "owner": ["ann", "bob", "ann"],
        "period": ["2026-01", "2026-01", "2026-02"],
        "quota": [2000.0, 1000.0, 1000.0],
    }
)
ACTIVITIES = pd.DataFrame(
    [
        ("ann", "call", "2026-01-02 09:00", "D1", "connected"),
        ("ann", "response", "2026-01-02 12:00", "D1", None),
        ("ann", "email", "2026-01-02 10:00", "D1", "replied"),
        ("ann", "meeting", "2026-01-03 09:00", "D1", "held"),
        ("ann", "demo", "2026-01-03 11:00", "D1", "completed"),
        ("ann", "meeting", "2026-01-04 09:00", "D2", "no_show"),
        ("bob", "call", "2026-01-05 09:00", None, "no_answer"),  # prospecting
        ("bob", "response", "2026-01-05 12:00", None, None),
        ("bob", "demo", "2026-01-06 09:00", "D4", "completed"),
        ("bob", "email", "2026-01-07 09:00", "D4", "no_reply"),
        ("bob", "response", "2026-01-08 09:00", "D4", None),
    ],
    columns=["owner", "type", "at", "deal_id", "outcome"],
)
ORDERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C2", "C3", "C3", "C3"],
        "ordered_at": d("2025-10-20", "2026-01-05", "2026-01-20", "2025-01-01",
                        "2025-10-15", "2026-01-15"),
        "amount": [100.0, 300.0, -50.0, 80.0, 50.0, 250.0],
        "is_refund": [False, False, True, False, False, False],
        "location": ["US", "DE", "DE", "US", "US", "US"],
    }
)  # fmt: skip
SUBSCRIPTIONS = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3", "C4", "C4"],
        "start": d(
            "2025-12-01", "2026-01-05", "2025-06-01", "2025-11-01", "2026-01-10"
        ),
        "end": d(None, None, "2026-01-20", "2026-01-10", None),
        "mrr": [100.0, 300.0, 50.0, 200.0, 250.0],
    }
)
INPUTS = pd.DataFrame(
    {
        "period": ["2025-12", "2026-01"],
        "visitors": [200.0, 300.0],
        "sales_expenses": [40.0, 55.0],
        "cost_of_sales": [0.0, 110.0],
        "market_size": [100.0, 100.0],
    }
)
TABLES = {
    "deals": DEALS,
    "leads": LEADS,
    "targets": TARGETS,
    "activities": ACTIVITIES,
    "orders": ORDERS,
    "subscriptions": SUBSCRIPTIONS,
}


@pytest.fixture(scope="module")
def ds():
    return cl.load_dataset({**TABLES, "sales_inputs": INPUTS})


@pytest.fixture(scope="module")
def kpis(ds):
    with pytest.warns(cl.ChurnlabWarning, match="refund"):
        return cl.sales_kpis(ds)


def _one(k: pd.DataFrame, kpi: str, breakdown: str = "") -> pd.Series:
    rows = k[(k["kpi"] == kpi) & (k["breakdown"] == breakdown)]
    assert len(rows) == 1, (kpi, breakdown)
    return rows.iloc[0]


def test_ids_types_and_formulas_are_the_source_list():
    source = [s for s in SALES_KPIS if s.variant == "source"]
    assert [(s.kpi, s.types, s.formula) for s in source] == SOURCE
    for s in SALES_KPIS:
        assert set(s.types.split(", ")) <= set(KPI_TYPES)
        order = list(KPI_TYPES)
        # the source lists "efficiency, growth" for meetings booked: keep its order
        if s.kpi not in ("meetings_booked", "meetings_booked_count"):
            assert s.types.split(", ") == sorted(s.types.split(", "), key=order.index)
    practice = [s for s in SALES_KPIS if s.practice_of]
    ids = {s.kpi for s in source}
    assert all(s.practice_of in ids for s in practice)
    assert len({s.kpi for s in SALES_KPIS}) == len(SALES_KPIS)


def test_the_frame_carries_ids_types_and_formulas(kpis):
    first = kpis.drop_duplicates("kpi")
    assert first["kpi"].tolist() == [s.kpi for s in SALES_KPIS]
    got = first[first["variant"] == "source"][["kpi", "types", "formula"]]
    assert [tuple(r) for r in got.itertuples(index=False)] == SOURCE
    assert kpis.attrs["period"] == "2026-01"  # the data's last complete month


def test_each_of_the_25_by_hand(kpis):
    v = {(r.kpi, r.breakdown): r.value for r in kpis.itertuples()}
    # orders: January purchases C2 300 (DE) and C3 250 (US); the refund is not a
    # purchase; C3 had bought before (repeat), C2 is new
    assert v["total_revenue", ""] == 550.0
    assert v["repeat_customer_rate", ""] == pytest.approx(1 / 2)
    assert v["revenue_share_new_existing", "new"] == pytest.approx(300 / 550)
    assert v["revenue_share_new_existing", "existing"] == pytest.approx(250 / 550)
    assert v["sales_by_location", "DE"] == pytest.approx(300 / 550)
    assert v["sales_by_location", "US"] == pytest.approx(250 / 550)
    # Nov-Jan 550 vs Aug-Oct 150 (C1 100, C3 50); January 2025: 80
    assert v["revenue_growth_qoq", ""] == pytest.approx((550 - 150) / 150)
    assert v["revenue_growth_yoy", ""] == pytest.approx(550 / 80 - 1)
    # order churn (90 days): C1 (last order 20 Oct) and C3 active on 1 Jan; C1
    # lapses on 18 Jan, C3 lapses on 13 Jan and is back on 15 Jan: churn 1/2.
    # LTV = AOV 275 x 1 purchase per customer per month x 1 / (1/2) months
    assert v["ltv", ""] == pytest.approx(275 * 1 * 2)
    # inputs table: cost of sales 110, expenses 55, market 100, visitors 300
    assert v["average_margin", ""] == pytest.approx((550 - 110) / 550)
    assert v["sales_expense_ratio", ""] == pytest.approx(55 / 550)
    # subscriptions: start C1 100, C3 50, C4 200; end C1 100, C2 300, C4 250
    assert v["churn_rate", ""] == pytest.approx(1 / 3)  # C3
    assert v["nrr", ""] == pytest.approx(350 / 350)  # C1 100 + C4 250 of 350
    assert v["arpa", ""] == pytest.approx(650 / 3)
    assert v["market_penetration", ""] == pytest.approx(3 / 100)
    # deals: all 4 conducted in January; D1, D4 won (1000 + 2000, 10 + 20 days);
    # D2 lost
    assert v["win_rate", ""] == pytest.approx(2 / 4)
    assert v["deal_slippage", ""] == pytest.approx(1 / 4)
    assert v["average_deal_size", ""] == 1500.0
    assert v["sales_cycle_length", ""] == 15.0
    # ACV: D1 (2500 - 500) / 2 years = 1000; D4 6000 / 3 years = 2000
    assert v["acv", ""] == pytest.approx(1500.0)
    # leads: 6 captured in January of 300 visitors; 4 opportunities, 2 won
    assert v["lead_conversion_rate", ""] == pytest.approx(6 / 300)
    assert v["lead_to_opportunity_rate", ""] == pytest.approx(4 / 6)
    assert v["sales_conversion_rate", ""] == pytest.approx(2 / 6)
    # quota 2000 + 1000; won 3000; nothing open on 1 January
    assert v["quota_attainment", ""] == 1.0
    assert v["pipeline_coverage", ""] == 0.0
    # activities: 2 meetings over 3 responses; 2 demos over 2 calls + 2 emails
    assert v["meetings_booked", ""] == pytest.approx(2 / 3)
    assert v["sales_pitches", ""] == pytest.approx(2 / 4)
    seen = {kpi for kpi, _ in v}
    assert {s[0] for s in SOURCE} <= seen


def test_practice_rows_by_hand(ds, kpis):
    v = {(r.kpi, r.breakdown): r.value for r in kpis.itertuples()}
    assert v["win_rate_closed", ""] == pytest.approx(2 / 3)
    # due in January: D1 (closed a day late), D2 (on time), D3 (still open)
    assert v["deal_slippage_expected_close", ""] == pytest.approx(2 / 3)
    assert v["meetings_booked_count", ""] == 2
    # pitched D1, D4 of contacted D1, D2, D4
    assert v["sales_pitches_per_deal", ""] == pytest.approx(2 / 3)
    assert v["acv_mrr", ""] == pytest.approx(12 * 300 / 1)  # C2 new at 300
    assert v["ltv_saas", ""] == pytest.approx((650 / 3) / (1 / 3))
    assert v["sales_velocity", ""] == pytest.approx(4 * 1500 * (2 / 3) / 15)
    cycle = cl.sales_cycle(ds, period="2026-01", as_of="2026-01-31")
    assert v["sales_cycle_length_censored", ""] == cycle["cycle_days_median_aj"][0]
    row = _one(kpis, "ltv_saas")
    assert row["practice_of"] == "ltv" and row["variant"] == "practice"
    assert row["assumed"].startswith("margin = 1.0") or row["assumed"].startswith(
        "gross_margin = 1.0"
    )
    assert np.isnan(row["value_previous"]) and np.isnan(row["change_vs_last_year"])


def test_rows_are_the_public_functions_numbers(ds, kpis):
    """A KPI row is the public function's number, never a re-derivation."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        om = cl.order_metrics(ds, as_of="2026-01-31").set_index("period")
    jan = om.loc[pd.Timestamp("2026-01-01")]
    assert _one(kpis, "total_revenue")["value"] == jan["revenue"]
    assert _one(kpis, "repeat_customer_rate")["value"] == jan["repeat_rate"]
    assert _one(kpis, "ltv")["value"] == pytest.approx(jan["ltv"])
    churn = cl.customer_churn(ds, as_of="2026-01-31").iloc[-1]
    assert _one(kpis, "churn_rate")["value"] == churn["churn_rate"]
    assert _one(kpis, "nrr")["value"] == cl.nrr(ds, as_of="2026-01-31")["nrr"].iloc[-1]
    assert (
        _one(kpis, "arpa")["value"] == cl.arpa(ds, as_of="2026-01-31")["arpa"].iloc[-1]
    )
    flows = cl.deal_flows(ds, period="2026-01").iloc[0]
    assert _one(kpis, "win_rate")["value"] == flows["win_rate"]
    q = cl.quota_attainment(ds, period="2026-01", by=None)
    assert _one(kpis, "quota_attainment")["value"] == q["attainment"].iloc[0]


def test_changes_and_inputs(kpis):
    rev = _one(kpis, "total_revenue")
    assert rev["value_previous"] == 0.0  # December: no purchases
    assert rev["value_last_year"] == 80.0
    assert rev["change_vs_last_year"] == 470.0
    margin = _one(kpis, "average_margin")
    assert np.isnan(margin["value_previous"])  # December: no revenue
    assert "cost_of_sales (table sales_inputs)" in margin["inputs"]
    assert "deal_flows" in _one(kpis, "win_rate")["inputs"]


def test_assumed_and_missing_inputs_say_so():
    ds = cl.load_dataset(TABLES)
    with pytest.warns(cl.ChurnlabWarning):
        k = cl.sales_kpis(ds, period="2026-01", gross_margin=0.8)
    m = _one(k, "average_margin")
    assert m["value"] == 0.8
    assert m["assumed"] == "gross_margin = 0.8 (parameter)"
    assert np.isnan(m["value_previous"]) and np.isnan(m["growth_vs_last_year"])
    saas = _one(k, "ltv_saas")
    assert saas["assumed"] == "gross_margin = 0.8 (parameter)"
    assert saas["value"] == pytest.approx(0.8 * 650)
    for kpi, name in (
        ("lead_conversion_rate", "visitors"),
        ("sales_expense_ratio", "sales_expenses"),
        ("market_penetration", "market_size"),
    ):
        row = _one(k, kpi)
        assert np.isnan(row["value"]) and row["missing"].startswith(name), kpi
    with pytest.warns(cl.ChurnlabWarning):
        p = cl.sales_kpis(ds, period="2026-01", visitors={"2026-01": 60},
                          sales_expenses=110.0, market_size=10)  # fmt: skip
    assert _one(p, "lead_conversion_rate")["value"] == pytest.approx(6 / 60)
    assert "visitors (parameter)" in _one(p, "lead_conversion_rate")["inputs"]
    assert _one(p, "sales_expense_ratio")["value"] == pytest.approx(110 / 550)
    assert _one(p, "market_penetration")["value"] == pytest.approx(3 / 10)
    plain = DEALS.drop(columns=["expected_close_at", "contract_value"])
    bare = cl.sales_kpis(cl.load_dataset({"deals": plain}), period="2026-01")
    assert _one(bare, "total_revenue")["missing"] == "orders"
    assert _one(bare, "quota_attainment")["missing"] == "targets"
    assert _one(bare, "nrr")["missing"] == "subscriptions (MRR)"
    assert _one(bare, "churn_rate")["missing"] == "subscriptions or orders"
    assert _one(bare, "acv")["missing"].startswith("deals.contract_value")
    assert _one(bare, "deal_slippage_expected_close")["missing"] == (
        "deals.expected_close_at"
    )
    assert _one(bare, "win_rate")["value"] == pytest.approx(2 / 4)


def test_bad_parameters(ds):
    with pytest.raises(ParameterError, match="Unknown KPI parameter"):
        cl.sales_kpis(ds, period="2026-01", market=3)
    with pytest.raises(ParameterError, match="gross_margin"):
        cl.sales_kpis(ds, period="2026-01", gross_margin=80)
    with pytest.raises(ParameterError, match="not a period"):
        cl.sales_kpis(ds, period="Jan 2026")
    with pytest.raises(ParameterError, match="no data"):
        cl.sales_kpis(ds, period="2027-01")


def test_sample_kpis():
    with pytest.warns(cl.ChurnlabWarning):
        k = cl.sales_kpis(cl.sample_dataset())
    assert k.attrs["period"] == "2026-10"
    assert {s[0] for s in SOURCE} <= set(k["kpi"])
    measured = k[(k["missing"] == "") & (k["assumed"] == "")]
    assert measured["value"].notna().all()
    assert measured["value_previous"].notna().all()
    assert set(k.loc[k["missing"] != "", "kpi"]) == set()
    rates = k[k["unit"] == "rate"]["value"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()
    loc = k[k["kpi"] == "sales_by_location"]
    assert loc["value"].sum() == pytest.approx(1.0)
    assert loc["denominator"].iloc[0] == _one(k, "total_revenue")["value"]


RETAIL = real_file("online_retail", "online_retail.parquet")


@pytest.mark.skipif(
    not RETAIL.exists(),
    reason="Online Retail not found in ../shared/data/real/online_retail; "
    "set CHURNLAB_REAL_DATA",
)
def test_online_retail_has_no_year_before_it_and_says_what_it_assumes():
    raw = pd.read_parquet(RETAIL)
    raw = raw[raw["CustomerID"].notna()]
    amount = raw["Quantity"] * raw["UnitPrice"]
    orders = pd.DataFrame(
        {
            "customer_id": raw["CustomerID"].astype("int64").astype(str),
            "order_id": raw["InvoiceNo"].astype(str),
            "ordered_at": raw["InvoiceDate"],
            "amount": amount,
            "is_refund": raw["InvoiceNo"].astype(str).str.startswith("C")
            | (amount < 0),
            "location": raw["Country"],
        }
    )
    ds = cl.load_dataset({"orders": orders})
    with pytest.warns(cl.ChurnlabWarning):
        k = cl.sales_kpis(ds, period="2011-11", gross_margin=0.8)
    rev = _one(k, "total_revenue")
    assert rev["value"] > 0 and rev["value_previous"] > 0
    # the orders begin on 1 December 2010: November 2010 was never measured
    assert np.isnan(rev["value_last_year"]) and np.isnan(rev["change_vs_last_year"])
    yoy = _one(k, "revenue_growth_yoy")
    assert np.isnan(yoy["value"]) and "2010-11" in yoy["note"]
    margin = _one(k, "average_margin")
    assert margin["assumed"] == "gross_margin = 0.8 (parameter)"
    assert np.isnan(margin["value_previous"]) and np.isnan(margin["value_last_year"])
    for kpi in ("win_rate", "nrr", "lead_conversion_rate"):
        assert np.isnan(_one(k, kpi)["value"]) and _one(k, kpi)["missing"]
