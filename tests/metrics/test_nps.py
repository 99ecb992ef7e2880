"""NPS and churn reasons: hand cases and the sample company."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnlab as cl
from churnlab.errors import ContractError, ParameterError

RESPONSES = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d", "e", "a", "b"],
        "at": pd.to_datetime(
            [
                "2026-01-03 09:00",
                "2026-01-05 10:00",
                "2026-01-09 11:00",
                "2026-01-20 12:00",
                "2026-01-31 23:59",
                "2026-02-02 08:00",
                "2026-02-14 17:30",
            ]
        ),
        "score": [10, 9, 8, 6, 0, 10, 7],
    }
)
SEGMENTS = pd.DataFrame(
    {"customer_id": list("abcde"), "segment": ["s", "s", "t", "t", "t"]}
)


def test_nps_hand_case():
    got = cl.nps(RESPONSES, as_of="2026-02-28")
    # January: 10, 9 promoters; 8 passive; 6, 0 detractors -> (2 - 2) / 5 = 0
    # February: 10 promoter, 7 passive -> (1 - 0) / 2 = 0.5
    assert got.responses.tolist() == [5, 2]
    assert got[["promoters", "passives", "detractors"]].values.tolist() == [
        [2, 1, 2],
        [1, 1, 0],
    ]
    assert got.nps.tolist() == pytest.approx([0.0, 0.5])
    assert got.promoter_share.tolist() == pytest.approx([0.4, 0.5])


def test_nps_by_segment():
    ds = cl.load_dataset({"nps": RESPONSES, "customers": SEGMENTS})
    got = cl.nps(ds, by="segment", as_of="2026-01-31").set_index("segment")
    # s: a 10, b 9 -> +1.0; t: c 8, d 6, e 0 -> (0 - 2) / 3
    assert got.loc["s", "nps"] == pytest.approx(1.0)
    assert got.loc["t", "nps"] == pytest.approx(-2 / 3)


# Churn reasons. MRR: p 100, q 30, r 50, s 10, t 20, all from 1 Dec 2025.
# p ends 20 Jan, q 10 Jan, t 25 Jan (no reason), r 5 Feb; s stays.
SUBS = pd.DataFrame(
    {
        "customer_id": ["p", "q", "r", "s", "t"],
        "start": pd.to_datetime(["2025-12-01"] * 5),
        "end": pd.to_datetime(
            ["2026-01-20", "2026-01-10", "2026-02-05", None, "2026-01-25"]
        ),
        "mrr": [100.0, 30.0, 50.0, 10.0, 20.0],
    }
)
REASONS = pd.DataFrame(
    {
        "customer_id": ["p", "p", "q", "r", "s"],
        "at": pd.to_datetime(
            ["2025-06-01", "2026-01-20", "2026-01-12", "2026-02-05", "2026-01-15"]
        ),
        "reason": ["other", "price", "price", "missing_feature", "price"],
    }
)


def test_churn_reasons_hand_case():
    ds = cl.load_dataset({"subscriptions": SUBS, "churn_reasons": REASONS})
    got = cl.churn_reasons(ds, as_of="2026-02-28")
    jan = got[got.period == "2026-01-01"].set_index("reason")
    # January churn: p 100 + q 30 give "price" (p's June answer is too old), t 20 gave
    # none; s answered "price" but did not churn, so it is not counted.
    assert jan.customers_churned.to_dict() == {"price": 2, "(no reason given)": 1}
    assert jan.loc["price", "churned_mrr"] == 130
    assert jan.loc["price", "mrr_share"] == pytest.approx(130 / 150)
    assert jan.loc["price", "customer_share"] == pytest.approx(2 / 3)
    feb = got[got.period == "2026-02-01"]
    assert feb.reason.tolist() == ["missing_feature"]
    assert feb.mrr_share.tolist() == [1.0]
    # shares add up to one per period
    assert np.allclose(got.groupby("period").mrr_share.sum(), 1)


def test_churn_reasons_match_window():
    ds = cl.load_dataset(
        {
            "subscriptions": SUBS,
            "churn_reasons": REASONS.assign(at=REASONS["at"] + pd.Timedelta(days=45)),
        }
    )
    # January's churns take reasons dated in [1 Dec, 4 Mar) (31 days either side).
    # Moved 45 days later, q's answer (26 Feb) is inside, p's (6 Mar) is not; with
    # match_days=0 neither counts
    got = cl.churn_reasons(ds, as_of="2026-02-28")
    got = got[got.period == pd.Timestamp("2026-01-01")]
    assert got.set_index("reason").customers_churned.to_dict() == {
        "(no reason given)": 2,
        "price": 1,
    }
    none = cl.churn_reasons(ds, as_of="2026-02-28", match_days=0)
    assert set(none.reason) == {"(no reason given)"}


def test_churn_reasons_needs_both_tables():
    with pytest.raises(ContractError, match="churn_reasons"):
        cl.churn_reasons(SUBS)
    ds = cl.load_dataset({"subscriptions": SUBS, "churn_reasons": REASONS})
    with pytest.raises(ParameterError, match="match_days"):
        cl.churn_reasons(ds, match_days=-1)


def test_sample_company():
    ds = cl.sample_dataset()
    reasons = cl.churn_reasons(ds, by="segment")
    truth = cl.sample.ground_truth()["churn_reasons"]
    # the sample answers the exit survey for ~response_share of churns
    answered = (
        1
        - reasons.loc[reasons.reason == "(no reason given)", "customers_churned"].sum()
        / reasons.customers_churned.sum()
    )
    assert answered == pytest.approx(truth["response_share"], abs=0.05)
    mrr = cl.mrr_movements(ds, by="segment")
    total = reasons.groupby(["period", "segment"]).churned_mrr.sum()
    churn = mrr.set_index(["period", "segment"]).mrr_churn
    churn = churn[churn > 0]
    pd.testing.assert_series_equal(
        total.sort_index(), churn.sort_index(), check_names=False
    )
    scores = cl.nps(ds, by="segment", freq="Q")
    assert scores.nps.between(-1, 1).all()
