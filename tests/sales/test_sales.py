"""Sales pipeline, win rates, quotas and the KPIs: by hand, planted, backends, real."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import churnlab as cl
from churnlab import engine
from churnlab.errors import ChurnlabWarning
from tests.conftest import real_file


def d(*values):
    return pd.to_datetime(list(values), format="ISO8601")


# A small company, January 2026. Deal ages (days from created_at):
#   D1 won at 10, D2 lost at 5, D4 won at 20, D3 open (created 25 Jan; 7 days
#   old at the end of 31 January).
DEALS = pd.DataFrame(
    {
        "deal_id": ["D1", "D2", "D3", "D4"],
        "created_at": d("2026-01-01", "2026-01-01", "2026-01-25", "2026-01-01"),
        "status": ["won", "lost", "open", "won"],
        "amount": [1000.0, 500.0, 800.0, 2000.0],
        "closed_at": d("2026-01-11", "2026-01-06", None, "2026-01-21"),
        "owner": ["ann", "ann", "bob", "bob"],
        "segment": ["MM", "MM", "MM", "Ent"],
        "stage": ["closed_won", "closed_lost", "demo", "closed_won"],
    }
)
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
STAGES = pd.DataFrame(
    [
        ("D1", "qualified", "2026-01-01"),
        ("D1", "demo", "2026-01-03"),
        ("D1", "proposal", "2026-01-06"),
        ("D1", "closed_won", "2026-01-11"),  # skips negotiation
        ("D2", "qualified", "2026-01-01"),
        ("D2", "closed_lost", "2026-01-06"),
        ("D3", "qualified", "2026-01-25"),
        ("D3", "demo", "2026-01-27"),
        ("D4", "qualified", "2026-01-01"),
        ("D4", "demo", "2026-01-02"),
        ("D4", "proposal", "2026-01-10"),
        ("D4", "negotiation", "2026-01-15"),
        ("D4", "closed_won", "2026-01-21"),
    ],
    columns=["deal_id", "stage", "entered_at"],
)
ACTIVITIES = pd.DataFrame(
    [
        ("ann", "call", "2026-01-02 09:00", "D1", "connected"),
        ("ann", "email", "2026-01-02 10:00", "D1", "replied"),
        ("ann", "meeting", "2026-01-03 09:00", "D1", "held"),
        ("ann", "demo", "2026-01-03 11:00", "D1", "completed"),
        ("ann", "meeting", "2026-01-04 09:00", "D2", "no_show"),
        ("bob", "call", "2026-01-05 09:00", None, "no_answer"),  # prospecting
        ("bob", "demo", "2026-01-06 09:00", "D4", "completed"),
        ("bob", "email", "2026-01-07 09:00", "D4", "no_reply"),
    ],
    columns=["owner", "type", "at", "deal_id", "outcome"],
)
ORDERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C1", "C2", "C2", "C3", "C3"],
        "ordered_at": d("2025-12-10", "2026-01-10", "2026-01-05", "2026-01-20",
                        "2025-01-15", "2026-01-15"),
        "amount": [100.0, 100.0, 300.0, -50.0, 80.0, 200.0],
        "is_refund": [False, False, False, True, False, False],
        "location": ["US", "US", "DE", "DE", "US", "US"],
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


@pytest.fixture(scope="module")
def ds():
    return cl.load_dataset(
        {
            "deals": DEALS,
            "leads": LEADS,
            "targets": TARGETS,
            "deal_stages": STAGES,
            "activities": ACTIVITIES,
            "orders": ORDERS,
            "subscriptions": SUBSCRIPTIONS,
        }
    )


AS_OF = "2026-01-31"

# ------------------------------------------------------------- win rates, cycle


def test_win_rates_plain_and_aalen_johansen(ds):
    w = cl.win_rates(ds, as_of=AS_OF).iloc[0]
    assert (w["deals"], w["deals_won"], w["deals_lost"], w["deals_open"]) == (
        4,
        2,
        1,
        1,
    )
    assert w["win_rate"] == pytest.approx(2 / 3)  # closed only: 2 of 3
    assert w["slippage_rate"] == pytest.approx(1 / 3)
    # Aalen-Johansen by age: 5 d lost (4 at risk): S = 3/4, lost = 1/4;
    # 7 d D3 censored; 10 d won (2 at risk): won = 3/4 * 1/2 = 3/8, S = 3/8;
    # 20 d won (1 at risk): won = 3/8 + 3/8 = 3/4
    assert w["horizon_days"] == 20
    assert w["won_by_horizon"] == pytest.approx(0.75)
    assert w["lost_by_horizon"] == pytest.approx(0.25)
    assert w["win_rate_aj"] == pytest.approx(0.75)


def test_win_rates_by_owner_and_horizon(ds):
    w = cl.win_rates(ds, by="owner", as_of=AS_OF).set_index("owner")
    # ann: lost at 5 (S = 1/2), won at 10 (1/2 * 1) -> 1/2; bob: censored at 7,
    # won at 20 -> 1
    assert w["win_rate_aj"].to_dict() == {"ann": 0.5, "bob": 1.0}
    early = cl.win_rates(ds, as_of=AS_OF, horizon_days=12).iloc[0]
    # by age 12 only D2 (lost, 5) and D1 (won, 10) closed: 3/8 vs 1/4
    assert early["won_by_horizon"] == pytest.approx(3 / 8)
    assert early["win_rate_aj"] == pytest.approx((3 / 8) / (3 / 8 + 1 / 4))


def test_status_is_read_at_as_of(ds):
    # on 15 January D4 (won 21 Jan) was still open and D3 did not exist
    w = cl.win_rates(ds, as_of="2026-01-15").iloc[0]
    assert (w["deals"], w["deals_won"], w["deals_lost"], w["deals_open"]) == (
        3,
        1,
        1,
        1,
    )
    assert w["win_rate"] == 0.5


def test_sales_cycle(ds):
    c = cl.sales_cycle(ds, as_of=AS_OF).iloc[0]
    # won cycles 10 and 20 days
    assert (c["deals_won"], c["cycle_days_total"]) == (2, 30.0)
    assert c["cycle_days_mean"] == 15.0
    assert c["cycle_days_median"] == 15.0
    # AJ: won(20) = 3/4; half of it (3/8) is reached at 10 days
    assert c["cycle_days_median_aj"] == 10.0
    by = cl.sales_cycle(ds, by="segment", as_of=AS_OF).set_index("segment")
    assert by["cycle_days_median"].to_dict() == {"Ent": 20.0, "MM": 10.0}


def test_deal_outcomes_by_age(ds):
    a = cl.deal_outcomes_by_age(ds, as_of=AS_OF).set_index("age_days")
    assert a.loc[5.0, ["won", "lost", "open"]].tolist() == [0.0, 0.25, 0.75]
    assert a.loc[10.0, "won"] == pytest.approx(3 / 8)
    assert a.loc[20.0, ["won", "lost", "open"]].tolist() == pytest.approx(
        [0.75, 0.25, 0.0]
    )
    assert a.loc[10.0, "deals_at_risk"] == 2


# -------------------------------------------------------------- leads, funnel


def test_lead_conversion_by_source(ds):
    lc = cl.lead_conversion(ds, as_of=AS_OF).set_index("source")
    assert lc["leads"].to_dict() == {"inbound": 3, "outbound": 3}
    assert lc["leads_converted"].to_dict() == {"inbound": 2, "outbound": 2}
    assert lc["lead_to_opportunity_rate"].to_dict() == {
        "inbound": 2 / 3,
        "outbound": 2 / 3,
    }
    # won: inbound L1 (D1); outbound L4 (D4); L5's deal D3 is open
    assert lc["leads_won"].to_dict() == {"inbound": 1, "outbound": 1}
    # days to convert: inbound 0, 0; outbound 0 and 5
    assert lc["days_to_convert_median"].to_dict() == {"inbound": 0.0, "outbound": 2.5}


def test_pipeline_funnel(ds):
    p = cl.pipeline_funnel(ds, period="2026-01", as_of=AS_OF, visitors=60)
    assert p["step"].tolist() == ["visitors", "leads", "opportunities", "won"]
    assert p["count"].tolist() == [60, 6, 4, 2]
    assert p["conversion_from_previous"].tolist() == [1.0, 0.1, 4 / 6, 0.5]
    assert p["conversion_from_first"].tolist()[-1] == pytest.approx(2 / 60)
    assert p["in_progress"].tolist() == [0, 0, 0, 1]  # D3 still open
    # every step says how many are still open and how many dropped out
    assert p["still_open"].tolist()[1:] == [2, 1, 0]  # L3, L6; D3
    assert p["lost"].tolist()[2:] == [1, 0]  # D2
    young = cl.pipeline_funnel(ds, period=("2026-01-20", "2026-01-31"), as_of=AS_OF)
    assert young["count"].tolist() == [1, 1, 0]  # L5 -> D3, still open
    assert young["still_open"].tolist() == [0, 1, 0]
    deals_only = cl.pipeline_funnel(cl.load_dataset({"deals": DEALS}), as_of=AS_OF)
    assert deals_only["step"].tolist() == ["opportunities", "won"]
    assert deals_only["count"].tolist() == [4, 2]


# ---------------------------------------------------------- quotas, coverage


def test_quota_attainment(ds):
    q = cl.quota_attainment(ds, period="2026-01").set_index("owner")
    # ann won D1 (1000) of 2000; bob won D4 (2000) of 1000
    assert q["attainment"].to_dict() == {"ann": 0.5, "bob": 2.0}
    assert q["deals_won"].to_dict() == {"ann": 1, "bob": 1}
    quarter = cl.quota_attainment(ds, period="2026-Q1", freq="Q", as_of="2026-03-31")
    # ann: 1000 of 2000 + 1000 quota in Q1
    assert quarter.set_index("owner").loc["ann", "attainment"] == pytest.approx(1 / 3)
    team = cl.quota_attainment(ds, period="2026-01", by=None)
    assert team["attainment"].tolist() == [1.0]  # 3000 of 3000


def test_pipeline_coverage(ds):
    c = cl.pipeline_coverage(ds, period="2026-01", at="2026-01-10").set_index("owner")
    # open at 10 Jan 00:00: D1 (ann, 1000) and D4 (bob, 2000); nothing won yet
    assert c["pipeline_open"].to_dict() == {"ann": 1000.0, "bob": 2000.0}
    assert c["target_remaining"].to_dict() == {"ann": 2000.0, "bob": 1000.0}
    assert c["coverage"].to_dict() == {"ann": 0.5, "bob": 2.0}
    start = cl.pipeline_coverage(ds, period="2026-01", by=None)
    assert start["pipeline_open"].tolist() == [0.0]  # nothing open on 1 Jan


def test_sales_velocity(ds):
    v = cl.sales_velocity(ds, period=("2026-01-01", "2026-01-31")).iloc[0]
    # 4 created, 2 won of 3 closed, 1500 average, 15 days: 4 * 1500 * 2/3 / 15
    assert v["velocity_per_day"] == pytest.approx(4 * 1500 * (2 / 3) / 15)


# ------------------------------------------------------------------- stages


def test_stage_conversion_and_time_in_stage(ds):
    s = cl.stage_conversion(ds, as_of=AS_OF).set_index("stage")
    assert list(s.index) == ["qualified", "demo", "proposal", "negotiation"]
    # qualified: D1, D3, D4 advance, D2 lost there
    assert s.loc["qualified", ["deals_entered", "deals_advanced", "deals_lost",
                               "deals_in_stage"]].tolist() == [4, 3, 1, 0]  # fmt: skip
    assert s.loc["qualified", "conversion_rate"] == 0.75
    # days to the next stage reached: D1 2, D3 2, D4 1
    assert s.loc["qualified", "days_in_stage_median"] == 2.0
    # demo: D1 (3 days) and D4 (8 days) advance; D3 still in demo (censored)
    assert s.loc["demo", ["deals_advanced", "deals_in_stage"]].tolist() == [2, 1]
    assert s.loc["demo", "conversion_rate"] == 1.0
    assert s.loc["demo", "days_in_stage_mean"] == 5.5
    # proposal: D1 jumps to closed_won (5 days), D4 to negotiation (5 days)
    assert s.loc["proposal", "days_in_stage_median"] == 5.0
    assert s.loc["negotiation", "deals_entered"] == 1


def test_pipeline_by_stage_reads_the_history(ds):
    now = cl.pipeline_by_stage(ds, as_of=AS_OF)
    cols = ["stage", "deals_open", "pipeline_open", "age_days_mean"]
    assert now[cols].values.tolist() == [["demo", 1, 800.0, 7.0]]
    then = cl.pipeline_by_stage(ds, as_of="2026-01-12")
    # open at 13 Jan: D4, in proposal since 10 Jan, 12 days old
    assert then[["stage", "deals_open", "age_days_mean"]].values.tolist() == [
        ["proposal", 1, 12.0]
    ]


# --------------------------------------------------------------- activities


def test_sales_activity_and_pitch_rate(ds):
    a = cl.sales_activity(ds, period="2026-01").set_index("owner")
    assert a.loc["ann", ["calls", "emails", "meetings_booked", "meetings_held",
                         "demos"]].tolist() == [1, 1, 2, 1, 1]  # fmt: skip
    # ann pitched D1 of D1, D2 contacted; bob pitched D4, his only deal
    assert a["pitch_rate"].to_dict() == {"ann": 0.5, "bob": 1.0}
    monthly = cl.sales_activity(ds, by=None, as_of=AS_OF)
    assert monthly["meetings_booked"].tolist() == [2]


# ------------------------------------------------------------------ revenue


def test_sales_by_location(ds):
    s = cl.sales_by_location(ds, period="2026-01").set_index("location")
    # US: C1 100 + C3 200; DE: C2 300 (the refund is not a purchase)
    assert s["revenue"].to_dict() == {"US": 300.0, "DE": 300.0}
    assert s["revenue_share"].to_dict() == pytest.approx({"US": 0.5, "DE": 0.5})
    assert s["orders"].to_dict() == {"US": 2, "DE": 1}
    assert s.loc["US", "growth"] == 2.0  # December: 100
    assert np.isnan(s.loc["DE", "growth"])  # nothing in December


def test_revenue_new_vs_existing(ds):
    with pytest.warns(ChurnlabWarning, match="refund"):
        r = cl.revenue_new_vs_existing(ds, period="2026-01").iloc[0]
    # C2 first bought in January (300; the refund is not a purchase); C1 and C3
    # bought before
    assert (r["revenue_new"], r["revenue_existing"]) == (300.0, 300.0)
    assert (r["customers_new"], r["customers_existing"]) == (1, 2)
    assert r["revenue_share_new"] == pytest.approx(300 / 600)
    with pytest.warns(ChurnlabWarning, match="refund"):
        monthly = cl.revenue_new_vs_existing(ds, as_of=AS_OF)
    assert len(monthly) == 13  # every month, January 2025 to January 2026
    monthly = monthly[monthly["revenue"] > 0]
    assert monthly["period"].dt.strftime("%Y-%m").tolist() == ["2025-01", "2025-12",
                                                               "2026-01"]  # fmt: skip
    assert monthly["revenue_share_new"].tolist()[:2] == [1.0, 1.0]


# --------------------------------------------------------------------- KPIs


def _truth() -> dict:
    return json.loads((cl.sample.DATA_DIR / "ground_truth.json").read_text())


def test_sample_planted_win_rates_recovered():
    truth = _truth()["sales"]["win_rate"]
    w = cl.win_rates(cl.sample_dataset(), by=["segment", "source"])
    for row in w.itertuples():
        p = truth[row.segment][row.source]
        se = np.sqrt(p * (1 - p) / row.deals_closed)
        assert abs(row.win_rate - p) < 4 * se, (row.segment, row.source)
        # old deals dominate: the censoring-aware rate agrees with the plain one
        assert abs(row.win_rate_aj - row.win_rate) < 0.02


def test_sample_planted_lead_conversion_and_cycle_recovered():
    truth = _truth()["sales"]
    ds = cl.sample_dataset()
    lc = cl.lead_conversion(ds)
    for row in lc.itertuples():
        p = truth["lead_conversion"][row.source]
        se = np.sqrt(p * (1 - p) / row.leads)
        assert abs(row.lead_to_opportunity_rate - p) < 4 * se, row.source
    cyc = cl.sales_cycle(ds, by="segment").set_index("segment")
    for seg, spec in truth["cycle_days"].items():
        # lognormal median m, sigma s: the sample median's SE ~ 1.2533 s m / sqrt(n)
        se = (
            1.2533
            * spec["sigma"]
            * spec["won_median"]
            / np.sqrt(cyc.loc[seg, "deals_won"])
        )
        assert abs(cyc.loc[seg, "cycle_days_median"] - spec["won_median"]) < 4 * se + 1
        assert (
            abs(cyc.loc[seg, "cycle_days_mean"] - spec["won_mean"])
            < 0.1 * spec["won_mean"]
        )


def test_sample_planted_quota_factor_recovered():
    # monthly quota = 1.2 x the rep's average won amount per month (rounded to
    # 100), so over the 36 months attainment is 1 / 1.2
    q = cl.quota_attainment(cl.sample_dataset())
    assert q["revenue_won"].sum() / q["quota"].sum() == pytest.approx(
        1 / 1.2, abs=0.005
    )
    assert len(q) == 12 * 36


def test_sample_stage_losses_match_the_planted_mix():
    truth = _truth()["sales"]["lost_at_stage_mix"]
    s = cl.stage_conversion(cl.sample_dataset()).set_index("stage")
    lost_share = s["deals_lost"] / s["deals_lost"].sum()
    for stage, share in truth.items():
        assert abs(lost_share[stage] - share) < 0.03, stage


# ------------------------------------------------------------------ backends


def _on(con) -> cl.Dataset:
    return cl.load_dataset(
        {
            "deals": engine.load(con, "s_deals", DEALS),
            "targets": engine.load(con, "s_targets", TARGETS),
            "deal_stages": engine.load(con, "s_stages", STAGES),
            "leads": engine.load(con, "s_leads", LEADS),
        }
    )


def test_duckdb_and_pyspark_agree(con, ds):
    got = _on(con)
    calls = [
        (cl.win_rates, {"by": "owner", "as_of": AS_OF}),
        (cl.quota_attainment, {"period": "2026-01"}),
        (cl.stage_conversion, {"as_of": AS_OF}),
        (cl.lead_conversion, {"as_of": AS_OF}),
        (cl.deal_flows, {"period": "2026-01"}),
        (cl.pipeline_funnel, {"period": "2026-01", "as_of": AS_OF}),
    ]
    for func, kw in calls:
        pd.testing.assert_frame_equal(
            func(got, **kw), func(ds, **kw), check_dtype=False
        )


# ------------------------------------------------------------------- real data

OLIST = real_file("olist_funnel")
MQL = OLIST / "olist_marketing_qualified_leads_dataset.csv"
CLOSED = OLIST / "olist_closed_deals_dataset.csv"
needs_olist = pytest.mark.skipif(
    not (MQL.exists() and CLOSED.exists()),
    reason="Olist marketing funnel not found in ../shared/data/real/olist_funnel; "
    "set CHURNLAB_REAL_DATA",
)


def _olist():
    mql = pd.read_csv(MQL, parse_dates=["first_contact_date"])
    won = pd.read_csv(CLOSED, parse_dates=["won_date"])
    m = mql.merge(won[["mql_id", "won_date"]], on="mql_id", how="left")
    # SOURCE.md: one deal is won 1.18 days before its first contact; the
    # contract rejects converted_at < created_at, so that MQL is left out here
    bad = m["won_date"] < m["first_contact_date"]
    assert int(bad.sum()) == 1
    m = m[~bad]
    leads = pd.DataFrame(
        {
            "lead_id": m["mql_id"],
            "created_at": m["first_contact_date"],
            "source": m["origin"],
            "converted_at": m["won_date"],
            "deal_id": m["mql_id"].where(m["won_date"].notna()),
        }
    )
    closed = m[m["won_date"].notna()]
    deals = pd.DataFrame(
        {
            "deal_id": closed["mql_id"],
            "created_at": closed["first_contact_date"],
            "status": "won",
            "amount": 0.0,
            "closed_at": closed["won_date"],
        }
    )
    return m, cl.load_dataset({"leads": leads, "deals": deals})


@pytest.mark.real
@needs_olist
def test_olist_conversion_by_origin_and_cycle_vs_pandas():
    m, ds = _olist()
    lc = cl.lead_conversion(ds).set_index("source")
    assert lc["leads"].sum() == 7999 and lc["leads_converted"].sum() == 841
    # independent pandas: share of MQLs with a closed deal, by origin
    want = (
        m.assign(origin=m["origin"])
        .groupby("origin", dropna=False)
        .agg(leads=("mql_id", "size"), won=("won_date", "count"))
    )
    want["rate"] = want["won"] / want["leads"]
    got = lc[["leads", "leads_converted", "lead_to_opportunity_rate"]]
    got.index = got.index.fillna("(none)").astype(str)
    want.index = want.index.fillna("(none)").astype(str)
    pd.testing.assert_series_equal(
        got["leads_converted"].sort_index(), want["won"].sort_index(),
        check_names=False, check_dtype=False,
    )  # fmt: skip
    np.testing.assert_allclose(
        got["lead_to_opportunity_rate"].sort_index(), want["rate"].sort_index()
    )
    assert got.loc["organic_search", "lead_to_opportunity_rate"] == pytest.approx(
        want.loc["organic_search", "rate"]
    )
    # sales cycle: first contact to won, in days (won_date carries a time)
    days = (m["won_date"] - m["first_contact_date"]).dt.total_seconds() / 86_400
    days = days.dropna()
    cyc = cl.sales_cycle(ds).iloc[0]
    assert cyc["deals_won"] == 841
    assert cyc["cycle_days_median"] == pytest.approx(days.median())
    assert cyc["cycle_days_mean"] == pytest.approx(days.mean())
    # every Olist deal is won (no lost or open deals): AJ = the plain median
    assert cyc["cycle_days_median_aj"] == pytest.approx(days.median(), abs=1e-3)


@pytest.mark.real
@needs_olist
def test_olist_pipeline_funnel_by_month():
    _m, ds = _olist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        p = cl.pipeline_funnel(ds, period="2018-01")
    assert p["step"].tolist() == ["leads", "opportunities", "won"]
    assert p["count"].iloc[1] == p["count"].iloc[2]  # every Olist deal is won


def test_a_dataset_folder_is_loaded_whole(tmp_path, ds):
    DEALS.to_csv(tmp_path / "deals.csv", index=False)
    LEADS.to_csv(tmp_path / "leads.csv", index=False)
    # leads alone would not know which deals were won: the folder gives both
    got = cl.lead_conversion(tmp_path, as_of=AS_OF)
    pd.testing.assert_frame_equal(got, cl.lead_conversion(ds, as_of=AS_OF))
    assert cl.win_rates(tmp_path / "deals.csv", as_of=AS_OF)["deals"].tolist() == [4]
