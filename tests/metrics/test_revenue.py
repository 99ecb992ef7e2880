"""MRR movements and revenue metrics: hand case, the bridge, properties, backends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import churnlab as cl
from churnlab import engine
from churnlab.errors import ParameterError
from tests.metrics import _oracle
from tests.metrics.test_churn import AS_OF, CUSTOMERS, SUBS
from tests.strategies import subscriptions as subscription_frames

MOVES = [
    "mrr_start",
    "mrr_new",
    "mrr_expansion",
    "mrr_contraction",
    "mrr_churn",
    "mrr_reactivation",
    "mrr_end",
]

# SUBS from test_churn (MRR in brackets): MRR at each boundary
#   1 Nov: e 40                              = 40
#   1 Dec: b 20 + e 40                       = 60
#   1 Jan: a 10 + b 20 + g 15                = 45
#   1 Feb: a 10 + d 30 + g 15 + h 100        = 155
#   1 Mar: a 10 + d 30 + e 50 + f 7 + g 25 + h 60 = 182
#   1 Apr: a 10 + d 30 + e 50 + g 25 + h 60  = 175
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
        "mrr_start": [0.0, 40, 60, 45, 155, 182],
        "mrr_new": [40.0, 20, 25, 130, 7, 0],  # e | b | a 10 + g 15 | d 30 + h 100 | f
        "mrr_expansion": [0.0, 0, 0, 0, 10, 0],  # g 15 -> 25
        "mrr_contraction": [0.0, 0, 0, 0, 40, 0],  # h 100 -> 60
        "mrr_churn": [0.0, 0, 40, 20, 0, 7],  # e | b | f   (c, new-and-lost: nothing)
        "mrr_reactivation": [0.0, 0, 0, 0, 50, 0],  # e comes back at 50
        "mrr_end": [40.0, 60, 45, 155, 182, 175],
    }
)


def test_hand_case_bridge():
    got = cl.mrr_movements(SUBS, as_of=AS_OF)
    assert list(got.columns[:8]) == ["period"] + MOVES
    pd.testing.assert_frame_equal(got[["period"] + MOVES], EXPECTED, check_dtype=False)
    # February: 155 + 7 + 10 + 50 - 40 - 0 = 182
    feb = got.set_index("period").loc["2026-02-01"]
    assert feb.mrr_end == 155 + 7 + 10 + 50 - 40 - 0
    assert feb.mrr_net_new == 182 - 155


def test_hand_case_per_customer():
    rows = cl.mrr_movements(SUBS, as_of=AS_OF, per="customer")
    same = cl.customer_mrr_movements(SUBS, as_of=AS_OF)
    pd.testing.assert_frame_equal(rows, same)
    feb = rows[rows.period == "2026-02-01"].set_index("customer_id")
    assert feb.movement.to_dict() == {
        "e": "reactivation",
        "f": "new",
        "g": "expansion",
        "h": "contraction",
    }
    assert feb.loc["h", ["mrr_start", "mrr_end", "mrr_change"]].tolist() == [
        100,
        60,
        -40,
    ]
    assert "c" not in set(rows.customer_id)  # acquired and lost in January
    # per-customer rows add up to the period bridge
    sums = rows.pivot_table(
        index="period",
        columns="movement",
        values="mrr_change",
        aggfunc="sum",
        fill_value=0,
    )
    bridge = cl.mrr_movements(SUBS, as_of=AS_OF).set_index("period")
    for move in ("mrr_new", "mrr_expansion", "mrr_reactivation"):
        assert (
            sums[move[4:]].reindex(bridge.index, fill_value=0) == bridge[move]
        ).all()
    for move in ("mrr_contraction", "mrr_churn"):
        assert (
            -sums[move[4:]].reindex(bridge.index, fill_value=0) == bridge[move]
        ).all()


def test_hand_case_revenue_metrics():
    got = cl.revenue_metrics(SUBS, as_of=AS_OF, gross_margin=0.8).set_index("period")
    jan, feb, mar = (got.loc[p] for p in ("2026-01-01", "2026-02-01", "2026-03-01"))
    # January: start 45, churn 20 (b)
    assert jan.grr == pytest.approx((45 - 20) / 45)
    assert jan.quick_ratio == pytest.approx(130 / 20)  # (130 + 0 + 0) / (0 + 20)
    # February: start 155, expansion 10, contraction 40, no churn
    assert feb.gross_revenue_churn_rate == pytest.approx(40 / 155)
    assert feb.net_revenue_churn_rate == pytest.approx((40 - 10) / 155)
    assert feb.nrr == pytest.approx((155 + 10 - 40) / 155)
    assert feb.grr == pytest.approx((155 - 40) / 155)
    assert feb.quick_ratio == pytest.approx((7 + 10 + 50) / 40)
    # March: start 182, churn 7; 5 accounts at the end hold 175
    assert mar.nrr == pytest.approx(175 / 182)
    assert mar.arpa == pytest.approx(175 / 5)
    assert mar.churn_rate == pytest.approx(1 / 6)  # f of 6 at 1 March
    assert mar.lifetime_periods == pytest.approx(6)
    assert mar.ltv == pytest.approx(35 * 0.8 * 6)  # ARPA x margin / churn
    # October: nothing at the start -> rates NaN, not 0 or inf
    assert np.isnan(got.loc["2025-10-01", "nrr"])
    # November: nothing lost -> quick ratio NaN; nobody churned -> LTV NaN
    assert np.isnan(got.loc["2025-11-01", "quick_ratio"])
    assert np.isnan(got.loc["2025-11-01", "ltv"])


def test_thin_wrappers_share_the_numbers():
    full = cl.revenue_metrics(SUBS, as_of=AS_OF)
    for fn, col in (
        (cl.nrr, "nrr"),
        (cl.grr, "grr"),
        (cl.quick_ratio, "quick_ratio"),
        (cl.arpa, "arpa"),
        (cl.ltv, "ltv"),
        (cl.revenue_churn, "net_revenue_churn_rate"),
    ):
        part = fn(SUBS, as_of=AS_OF)
        pd.testing.assert_series_equal(part[col], full[col])
        assert part.columns[-1] == col  # after its numerator and denominator
    assert list(cl.nrr(SUBS, as_of=AS_OF).columns) == [
        "period",
        "mrr_start",
        "mrr_expansion",
        "mrr_contraction",
        "mrr_churn",
        "mrr_retained",
        "nrr",
    ]


def test_by_segment_and_quarters():
    ds = cl.load_dataset({"subscriptions": SUBS, "customers": CUSTOMERS})
    seg = cl.mrr_movements(ds, by="segment", as_of=AS_OF)
    total = seg.groupby("period")[MOVES].sum().reset_index()
    pd.testing.assert_frame_equal(total, EXPECTED, check_dtype=False)
    q = cl.mrr_movements(SUBS, freq="Q", as_of=AS_OF)
    # Q1 2026: start 45 (1 Jan), end 175 (1 Apr); per customer over the quarter:
    # a, g active at both ends (g 15 -> 25 expansion); b churns (20);
    # d 30, h 60 new (first subscription in Q1), f and c new-and-lost; e reactivated 50
    q1 = q.set_index("period").loc["2026-01-01"]
    assert q1[MOVES].tolist() == [45, 90, 10, 0, 20, 50, 175]


def test_explain_churn_substitutes_the_numbers():
    text = cl.explain_churn(SUBS, period="2026-02", gross_margin=0.8, currency="EUR")
    assert text.splitlines()[0].startswith("Churn and revenue metrics for 2026-02")
    assert "= 0 / 4 = 0.00%" in text  # churned / start
    assert "= (6 - 1) / 4 = 125.00%" in text  # CRR
    assert (
        "EUR 182.00 = EUR 155.00 + EUR 7.00 + EUR 10.00 + EUR 50.00 - EUR 40.00"
        " - EUR 0.00"
    ) in text
    assert "n/a (nothing lost)" not in text  # 40 contraction
    with pytest.raises(ParameterError, match="not a complete period"):
        cl.explain_churn(SUBS, period="2024-01")


def test_parameters():
    with pytest.raises(ParameterError, match="margin"):
        cl.revenue_metrics(SUBS, gross_margin=1.5)
    with pytest.raises(ParameterError, match="per="):
        cl.mrr_movements(SUBS, per="month")


# --------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------
def _cents(x: pd.Series) -> pd.Series:
    return (x * 100).round().astype("int64")


@settings(max_examples=25)
@given(
    subscription_frames(),
    st.sampled_from(["M", "W"]),
    st.sampled_from(["2026-12-31", "2026-06-30"]),
)
def test_bridge_is_exact_and_matches_the_rule(subs, freq, as_of):
    got = cl.mrr_movements(subs, freq=freq, as_of=as_of)
    c = {m: _cents(got[m]) for m in MOVES}
    # exact in cents: end = start + new + expansion + reactivation - contraction - churn
    assert (
        c["mrr_end"]
        == c["mrr_start"]
        + c["mrr_new"]
        + c["mrr_expansion"]
        + c["mrr_reactivation"]
        - c["mrr_contraction"]
        - c["mrr_churn"]
    ).all()
    assert (
        c["mrr_start"].iloc[1:].to_numpy() == c["mrr_end"].iloc[:-1].to_numpy()
    ).all()
    per, moves = _oracle.mrr(subs, freq=freq, as_of=as_of)
    if per.empty:
        assert got.empty
        return
    got_c = pd.DataFrame({"period": got["period"], **c})
    pd.testing.assert_frame_equal(
        got_c.reset_index(drop=True), per[["period"] + MOVES], check_dtype=False
    )
    rows = cl.customer_mrr_movements(subs, freq=freq, as_of=as_of)
    if moves.empty:
        assert rows.empty
    else:
        key = ["period", "customer_id"]
        pd.testing.assert_frame_equal(
            rows[key + ["movement", "mrr_start", "mrr_end"]]
            .sort_values(key)
            .reset_index(drop=True),
            moves.sort_values(key).reset_index(drop=True),
            check_dtype=False,
        )


@settings(max_examples=30)
@given(subscription_frames(max_rows=16))
def test_grr_below_nrr_and_rates_bounded(subs):
    got = cl.revenue_metrics(subs, as_of="2026-12-31")
    both = got.dropna(subset=["nrr", "grr"])
    assert (both.grr <= both.nrr + 1e-12).all()
    assert ((both.grr >= -1e-12) & (both.grr <= 1 + 1e-12)).all()
    g = got.gross_revenue_churn_rate.dropna()
    assert ((g >= -1e-12) & (g <= 1 + 1e-12)).all()
    assert got.nrr[got.mrr_start == 0].isna().all()
    rate = got.churn_rate.dropna()
    assert ((rate >= 0) & (rate <= 1)).all()


@settings(max_examples=20)
@given(subscription_frames(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(subs, rnd):
    shuffled = subs.sample(frac=1, random_state=rnd.randint(0, 10**6))
    a = cl.revenue_metrics(subs, as_of="2026-12-31")
    b = cl.revenue_metrics(shuffled, as_of="2026-12-31")
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------------
# sample company and backends
# --------------------------------------------------------------------------------
def test_sample_bridge_and_planted_expansion():
    ds = cl.sample_dataset()
    m = cl.mrr_movements(ds)
    c = {k: _cents(m[k]) for k in MOVES}
    assert (
        c["mrr_end"]
        == c["mrr_start"]
        + c["mrr_new"]
        + c["mrr_expansion"]
        + c["mrr_reactivation"]
        - c["mrr_contraction"]
        - c["mrr_churn"]
    ).all()
    assert (
        (
            m[
                [
                    "mrr_new",
                    "mrr_expansion",
                    "mrr_contraction",
                    "mrr_churn",
                    "mrr_reactivation",
                ]
            ]
            >= 0
        )
        .all()
        .all()
    )
    # the sample plants expansion and contraction: both occur most months
    assert (m.mrr_expansion > 0).mean() > 0.8 and (m.mrr_contraction > 0).mean() > 0.8


def test_backend_parity(con):
    subs = engine.load(con, "cl_rev_subs", SUBS)
    got = cl.revenue_metrics(subs, as_of=AS_OF, gross_margin=0.8)
    want = cl.revenue_metrics(SUBS, as_of=AS_OF, gross_margin=0.8)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_backend_parity_sample(con):
    tables = cl.sample.generate()
    ds = cl.load_dataset(
        {
            name: engine.load(con, f"cl_rev_sample_{name}", tables[name])
            for name in ("subscriptions", "customers")
        }
    )
    got = cl.mrr_movements(ds, by="segment")
    want = cl.mrr_movements(cl.sample_dataset(), by="segment")
    key = ["segment", "period"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True),
        want.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
