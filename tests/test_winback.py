"""Exit reasons that add up, win-back and retention-offer readouts."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import churnlab as cl
from churnlab import engine
from churnlab.errors import ChurnlabWarning, ParameterError

RAVEN = Path(__file__).resolve().parents[1].parent / (
    "shared/data/public_synthetic/ravenstack"
)

# a: churns 2026-02-10, returns 2026-04-05; b: churns 2026-03-15, never returns;
# c: always active; d: churns 2026-05-20 (late in the data)
SUBS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "c", "d"],
        "start": pd.to_datetime(
            ["2025-11-03", "2026-04-05", "2025-12-01", "2025-11-01", "2025-12-10"]
        ),
        "end": pd.to_datetime(["2026-02-10", None, "2026-03-15", None, "2026-05-20"]),
        "mrr": [100.0, 150.0, 40.0, 10.0, 70.0],
    }
)
CUSTOMERS = pd.DataFrame(
    {"customer_id": list("abcd"), "segment": ["smb", "smb", "ent", "ent"]}
)
REASONS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "b", "c", "zz", "a"],
        "at": pd.to_datetime(
            [
                "2026-02-01",  # a: 9 days before churn -> matched
                "2026-03-20",  # b: 5 days after -> matched
                "2026-03-16",  # b: second reason for the same churn -> matched
                "2026-02-01",  # c never churned -> no churn
                "2026-02-01",  # unknown customer
                "2025-12-01",  # a: 71 days before churn -> outside window
            ]
        ),
        "reason": ["price", "price", "support", "price", "price", "missing_feature"],
    }
)


def hand() -> cl.Dataset:
    return cl.load_dataset(
        {"subscriptions": SUBS, "customers": CUSTOMERS, "churn_reasons": REASONS}
    )


def test_exit_reason_matches_hand_case():
    m = cl.exit_reason_matches(hand(), tolerance_days=30, as_of="2026-06-30")
    assert list(m["status"]) == [
        "matched",
        "matched",
        "matched",
        "no_churn",
        "unknown_customer",
        "outside_window",
    ]
    assert m.loc[0, "days_from_churn"] == -9
    # b's churn (40) split between its two reasons
    assert m.loc[1, "mrr_weight"] == m.loc[2, "mrr_weight"] == 20


def test_exit_reasons_add_up_hand_case():
    t = cl.exit_reasons(hand(), tolerance_days=30, as_of="2026-06-30")
    assert t["rows"].sum() == len(REASONS)
    by = t.set_index("line")
    assert by.loc["Price", "customers"] == 2
    assert by.loc["Price", "churned_mrr"] == 120
    assert by.loc["Support", "churned_mrr"] == 20
    assert by.loc["not matched: no churn for that customer", "rows"] == 1
    assert by.loc["not matched: churn outside the window", "rows"] == 1
    assert by.loc["not matched: customer unknown", "rows"] == 1
    matched = t[t["status"] == "matched"]
    assert matched["mrr_share"].sum() == pytest.approx(1)
    assert matched["churned_mrr"].sum() == 140  # a's 100 + b's 40
    # a wider window matches a's early reason too
    wide = cl.exit_reasons(hand(), tolerance_days=90, as_of="2026-06-30")
    assert wide.set_index("status").loc["outside_window", "rows"] == 0


def test_exit_reasons_bad_tolerance():
    with pytest.raises(ParameterError, match="tolerance_days"):
        cl.exit_reasons(hand(), tolerance_days=-1)


def test_exit_reasons_sample_price_first_by_customers_not_by_mrr():
    ds = cl.sample_dataset()
    t = cl.exit_reasons(ds)
    assert t["rows"].sum() == engine.execute(ds.churn_reasons.count())
    m = t[t["status"] == "matched"].set_index("reason")
    assert m.loc["price", "customer_rank"] == 1
    assert m.loc["price", "mrr_rank"] > 3


@pytest.mark.skipif(
    not (RAVEN / "ravenstack_churn_events.csv").exists(),
    reason="RavenStack not found in ../shared/data/public_synthetic/ravenstack",
)
def test_exit_reasons_account_for_every_ravenstack_row(tmp_path):
    (tmp_path / "dataset.toml").write_text(
        f"""
[files]
subscriptions = "{RAVEN / "ravenstack_subscriptions.csv"}"
customers = "{RAVEN / "ravenstack_accounts.csv"}"
churn_reasons = "{RAVEN / "ravenstack_churn_events.csv"}"

[columns.subscriptions]
account_id = "customer_id"
start_date = "start"
end_date = "end"
mrr_amount = "mrr"
plan_tier = "plan"

[columns.customers]
account_id = "customer_id"
signup_date = "signup_at"
plan_tier = "plan"

[columns.churn_reasons]
account_id = "customer_id"
churn_date = "at"
reason_code = "reason"
feedback_text = "comment"
"""
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        ds = cl.load_dataset(tmp_path)
    raw = pd.read_csv(RAVEN / "ravenstack_churn_events.csv")
    t = cl.exit_reasons(ds)
    assert t["rows"].sum() == len(raw) == 600
    m = cl.exit_reason_matches(ds)
    assert len(m) == 600
    assert set(m["status"]) <= {
        "matched",
        "no_churn",
        "outside_window",
        "unknown_customer",
    }


def test_lapses_hand_case():
    lp = cl.lapses(hand(), as_of="2026-06-30").set_index("customer_id")
    assert (
        lp.loc["a", "days_to_return"]
        == (pd.Timestamp("2026-04-05") - pd.Timestamp("2026-02-10")).days
    )
    assert lp.loc["a", "mrr_returned"] == 150
    assert lp.loc["a", "mrr_lost"] == 100
    assert pd.isna(lp.loc["b", "return_period"])
    assert "c" not in lp.index


def test_winback_censors_open_windows():
    # observed until 2026-07-01: a returned after 54 days; b (churn 03-15) has
    # 108 days of window; d (churn 05-20) only 42
    w = cl.winback(
        hand(), freq="Q", horizons_days=(30, 60, 90, 180), as_of="2026-06-30"
    )
    q1 = w.set_index("period").loc[pd.Timestamp("2026-01-01")]
    assert q1["churned"] == 2
    assert q1["returned_30d"] == 0 and q1["eligible_30d"] == 2
    assert q1["returned_60d"] == 1 and q1["winback_rate_60d"] == 0.5
    assert q1["mrr_returned_60d"] == 150
    # b's 180-day window is open and b has not returned: censored, not lost
    assert q1["censored_180d"] == 1 and q1["eligible_180d"] == 1
    assert q1["winback_rate_180d"] == 1
    q2 = w.set_index("period").loc[pd.Timestamp("2026-04-01")]
    assert q2["churned"] == 1 and q2["eligible_30d"] == 1
    assert q2["eligible_60d"] == 0 and np.isnan(q2["winback_rate_60d"])


def test_winback_by_reason_and_segment():
    w = cl.winback(hand(), freq="Q", by=["segment", "reason"], as_of="2026-06-30")
    assert w["churned"].sum() == 3
    # b gave two reasons; the nearer one (support, a day after) labels it
    assert set(w["reason"]) == {"Price", "Support", "(no reason matched)"}


def test_winback_bad_horizons():
    with pytest.raises(ParameterError, match="horizons_days"):
        cl.winback(hand(), horizons_days=(0,))


def test_returns_reconcile_with_reactivations_on_sample():
    ds = cl.sample_dataset()
    lp = cl.lapses(ds)
    seen = lp.dropna(subset=["return_period"]).groupby("return_period").size()
    cc = cl.customer_churn(ds).set_index("period")["customers_reactivated"]
    seen = seen.reindex(cc.index, fill_value=0)
    assert (seen.to_numpy() == cc.to_numpy()).all()
    assert cc.sum() > 0
    mv = cl.mrr_movements(ds).set_index("period")["mrr_reactivation"]
    money = (
        lp.dropna(subset=["return_period"])
        .groupby("return_period")["mrr_returned"]
        .sum()
    )
    assert np.allclose(money.reindex(mv.index, fill_value=0), mv)


def planted(n: int, seed: int = 7) -> tuple[cl.Dataset, pd.DataFrame, dict]:
    """Customers assigned in January 2025; treatment keeps 80 % at 90 days, control
    70 % (exponential churn times), so the planted 90-day effect is +10 points."""
    rng = np.random.default_rng(seed)
    group = np.where(np.arange(n) % 2 == 0, "treatment", "control")
    s90 = np.where(group == "treatment", 0.80, 0.70)
    rate = -np.log(s90) / 90
    days = np.ceil(rng.exponential(1 / rate)).astype(int)
    assigned = pd.Timestamp("2025-01-06") + pd.to_timedelta(
        rng.integers(0, 20, n), unit="D"
    )
    end = assigned + pd.to_timedelta(days, unit="D")
    end = end.where(end < pd.Timestamp("2026-06-01"))
    ids = [f"x{i:05d}" for i in range(n)]
    subs = pd.DataFrame(
        {
            "customer_id": ids,
            "start": pd.Timestamp("2024-01-01"),
            "end": end,
            "mrr": rng.choice([50.0, 100.0, 200.0], n),
        }
    )
    exp = pd.DataFrame({"customer_id": ids, "group": group, "assigned_at": assigned})
    truth = {h: 0.80 ** (h / 90) - 0.70 ** (h / 90) for h in (30, 60, 90)}
    return cl.load_dataset({"subscriptions": subs}), exp, truth


def test_offer_readout_recovers_planted_effect():
    ds, exp, truth = planted(6000)
    r = cl.offer_readout(ds, exp, as_of="2025-12-31").set_index("horizon_days")
    for h in (30, 60, 90):
        assert r.loc[h, "ci_low"] <= truth[h] <= r.loc[h, "ci_high"]
        assert r.loc[h, "ci_low"] > 0
    assert r.loc[90, "verdict"].startswith("At 90 days the offer kept")
    assert r.loc[90, "logrank_p"] < 0.001
    assert r.loc[90, "n_treatment"] == r.loc[90, "n_control"] == 3000
    assert r.loc[90, "mrr_saved"] == pytest.approx(
        r.loc[90, "difference"] * r.loc[90, "mrr_treatment"]
    )


def test_offer_readout_too_small_to_tell_on_a_subsample():
    ds, exp, _truth = planted(6000)
    r = cl.offer_readout(ds, exp.iloc[:40], as_of="2025-12-31")
    assert r["verdict"].str.startswith("Too small to tell").all()
    assert (r["mde_80"] > 0.05).all()


def test_offer_readout_validates_the_experiment_table():
    ds, exp, _truth = planted(40)
    with pytest.raises(cl.ContractError, match="group"):
        cl.offer_readout(ds, exp.assign(group="maybe"), as_of="2025-12-31")
    with pytest.raises(ParameterError, match="both groups"):
        cl.offer_readout(ds, exp[exp["group"] == "treatment"], as_of="2025-12-31")


def test_plots_draw():
    import matplotlib

    matplotlib.use("Agg")
    ds = hand()
    ax = cl.plots.winback.exit_reasons_bars(cl.exit_reasons(ds, as_of="2026-06-30"))
    assert "Why customers left" in ax.get_title()
    ax = cl.plots.winback.winback_bars(cl.winback(ds, as_of="2026-06-30"))
    assert len(ax.patches) == 4


def test_winback_curve_hand_case():
    c = cl.winback_curve(hand(), horizons_days=(30, 60), as_of="2026-06-30")
    c = c.set_index("horizon_days")
    assert c.loc[30, "churned"] == 3 and c.loc[30, "returned"] == 0
    assert c.loc[30, "winback_share"] == 0
    # at 54 days a returns; b and d are still at risk (d censored at 42 days
    # leaves the risk set first): 1 - S = 1 - (1 - 1/2) = 0.5
    assert c.loc[60, "returned"] == 1
    assert c.loc[60, "winback_share"] == pytest.approx(0.5)
