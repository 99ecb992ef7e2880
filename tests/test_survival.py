"""Customer lifetimes and survival analysis (churnlab.survival)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import restricted_mean_survival_time
from pandas.testing import assert_frame_equal

import churnlab as cl
from churnlab import engine
from churnlab.errors import ChurnlabWarning, ContractError, ParameterError
from churnlab.survival import CoxResult, ParametricResult
from tests.conftest import real_file
from tests.strategies import subscriptions

TELCO = real_file("telco", "WA_Fn-UseC_-Telco-Customer-Churn.csv")
MONTH = 365.25 / 12

# ------------------------------------------------------------------ hand cases

AS_OF = "2026-03-31"  # cutoff = 2026-04-01 00:00
CUTOFF = pd.Timestamp("2026-04-01")

SUBS = pd.DataFrame(
    [
        # a: open since 1 Jan -> active at the cutoff, censored: 31+28+31 = 90 days
        ("a", "2026-01-01", None, "Starter"),
        # b: 1 Jan .. 1 Feb -> churned, 31 days
        ("b", "2026-01-01", "2026-02-01", "Starter"),
        # c: churns 1 Dec, comes back 1 Feb and is still active
        ("c", "2025-10-01", "2025-12-01", "Pro"),
        ("c", "2026-02-01", None, "Pro"),
        # d: churns 1 Nov, comes back 1 Dec, churns again 15 Jan
        ("d", "2025-10-01", "2025-11-01", "Pro"),
        ("d", "2025-12-01", "2026-01-15", "Pro"),
        # e: starts on the cutoff instant, i.e. after the as-of day -> excluded
        ("e", "2026-04-01", None, "Starter"),
        # f: ends exactly at the cutoff: still active at it (end >= t) -> censored
        ("f", "2026-01-01", "2026-04-01", "Starter"),
        # g: plan change on the day the first subscription ends -> one spell
        ("g", "2026-01-01", "2026-02-01", "Starter"),
        ("g", "2026-02-01", "2026-03-01", "Pro"),
        # h: cancellation scheduled after the cutoff -> censored at the cutoff
        ("h", "2026-01-01", "2026-06-01", "Starter"),
        # i: overlapping subscriptions -> one spell ending 1 Mar
        ("i", "2026-01-01", "2026-03-01", "Starter"),
        ("i", "2026-02-01", "2026-02-15", "Pro"),
        # j: a comeback after the cutoff is unknown at the as-of date
        ("j", "2026-01-01", "2026-02-01", "Starter"),
        ("j", "2026-05-01", None, "Starter"),
        # k: starts at noon on the as-of day itself: included, half a day
        ("k", "2026-03-31 12:00", None, "Starter"),
    ],
    columns=["customer_id", "start", "end", "plan"],
)
SUBS["start"] = pd.to_datetime(SUBS["start"], format="ISO8601")
SUBS["end"] = pd.to_datetime(SUBS["end"])
SUBS["mrr"] = 10.0

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": list("abcdefghij"),
        "segment": [
            "SMB",
            "SMB",
            "Ent",
            "Ent",
            "SMB",
            "SMB",
            "Ent",
            "SMB",
            "SMB",
            "Ent",
        ],
    }
)  # k has no customers row -> segment missing


def hand_dataset() -> cl.Dataset:
    return cl.load_dataset({"subscriptions": SUBS, "customers": CUSTOMERS})


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("customer_id")


def test_span_rule_hand_case():
    with pytest.warns(ChurnlabWarning, match="1 customer"):
        lt = cl.lifetimes(hand_dataset(), as_of=AS_OF, unit="days")
    assert lt.columns[:6].tolist() == [
        "customer_id",
        "tenure",
        "churned",
        "start",
        "churned_at",
        "spells",
    ]
    assert lt["customer_id"].tolist() == list("abcdfghijk")  # e excluded
    got = by_id(lt)
    # days from first start to min(final end, cutoff)
    expected = {
        "a": (90, False, 1),
        "b": (31, True, 1),
        "c": (182, False, 2),  # 1 Oct .. 1 Apr: 31+30+31+31+28+31, gaps included
        "d": (106, True, 2),  # 1 Oct .. 15 Jan: 31+30+31+14
        "f": (90, False, 1),
        "g": (59, True, 1),  # 1 Jan .. 1 Mar
        "h": (90, False, 1),
        "i": (59, True, 1),
        "j": (31, True, 1),
        "k": (0.5, False, 1),
    }
    for cid, (days, churned, spells) in expected.items():
        assert got.loc[cid, "tenure"] == pytest.approx(days), cid
        assert got.loc[cid, "churned"] == churned, cid
        assert got.loc[cid, "spells"] == spells, cid
    assert got.loc["d", "churned_at"] == pd.Timestamp("2026-01-15")
    assert pd.isna(got.loc["c", "churned_at"])
    assert got.loc["c", "start"] == pd.Timestamp("2025-10-01")
    assert got.loc["c", "segment"] == "Ent"
    assert pd.isna(got.loc["k", "segment"])
    assert lt.attrs["excluded_after_as_of"] == 1
    assert lt.attrs["as_of"] == pd.Timestamp(AS_OF)
    assert lt.attrs["unit"] == "days"


def test_first_rule_stops_at_first_churn():
    with pytest.warns(ChurnlabWarning):
        lt = by_id(
            cl.lifetimes(hand_dataset(), as_of=AS_OF, unit="days", reactivation="first")
        )
    # c: 1 Oct .. 1 Dec = 61 days, churned (the comeback is ignored); d: 31 days
    assert lt.loc["c", ["tenure", "churned", "spells"]].tolist() == [61, True, 2]
    assert lt.loc["d", ["tenure", "churned", "spells"]].tolist() == [31, True, 2]
    assert lt.loc["a", ["tenure", "churned"]].tolist() == [90, False]


def test_spells_rule_one_row_per_spell():
    with pytest.warns(ChurnlabWarning):
        lt = cl.lifetimes(
            hand_dataset(), as_of=AS_OF, unit="days", reactivation="spells"
        )
    assert lt.columns[:3].tolist() == ["customer_id", "spell", "tenure"]
    c = lt[lt["customer_id"] == "c"]
    # spell 1: 1 Oct .. 1 Dec = 61 days churned; spell 2: 1 Feb .. 1 Apr = 59 censored
    assert c[["spell", "tenure", "churned"]].values.tolist() == [
        [1, 61, True],
        [2, 59, False],
    ]
    d = lt[lt["customer_id"] == "d"]
    # 1 Oct .. 1 Nov = 31; 1 Dec .. 15 Jan = 45, both churned
    assert d[["tenure", "churned"]].values.tolist() == [[31, True], [45, True]]
    assert len(lt) == 12  # 10 customers, two of them with 2 spells


def test_units_convert_days():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        days = cl.lifetimes(hand_dataset(), as_of=AS_OF, unit="days")
        weeks = cl.lifetimes(hand_dataset(), as_of=AS_OF, unit="weeks")
        months = cl.lifetimes(hand_dataset(), as_of=AS_OF, unit="months")
    np.testing.assert_allclose(weeks["tenure"], days["tenure"] / 7)
    np.testing.assert_allclose(months["tenure"], days["tenure"] / 30.4375)


def test_default_as_of_is_end_of_last_complete_month():
    subs = SUBS[SUBS["customer_id"].isin(["a", "b", "c"])]
    # latest start 2026-02-01 (c's comeback) -> last complete month is January;
    # ends do not count toward the data's reach (they may be scheduled)
    lt = cl.lifetimes(subs, unit="days")
    assert lt.attrs["as_of"] == pd.Timestamp("2026-01-31")
    assert by_id(lt).loc["a", "tenure"] == 31  # censored at 1 Feb
    assert not by_id(lt).loc["b", "churned"]  # ends at the cutoff: active at it


def test_single_table_and_attribute_selection():
    lt = cl.lifetimes(
        cl.load_dataset(
            {
                "subscriptions": SUBS[SUBS.customer_id == "a"],
                "customers": CUSTOMERS.assign(size=1),
            }
        ),
        as_of=AS_OF,
        attributes=["segment"],
    )
    assert lt.columns.tolist()[-1] == "segment"
    assert "size" not in lt.columns
    assert lt.attrs["source"] == "subscriptions"


def test_orders_use_the_inactivity_window():
    orders = pd.DataFrame(
        {
            "customer_id": ["p", "p", "p", "q", "r", "s"],
            "ordered_at": pd.to_datetime(
                [
                    "2026-01-10",
                    "2026-01-20",
                    "2026-03-15",
                    "2026-01-05",
                    "2026-01-10",
                    "2026-04-02",
                ]
            ),
            "amount": [10.0, 10.0, 10.0, 10.0, -10.0, 10.0],
            "is_refund": [False, False, False, False, True, False],
        }
    )
    with pytest.warns(ChurnlabWarning) as record:
        lt = by_id(cl.lifetimes(orders, as_of=AS_OF, unit="days", inactivity_days=30))
    messages = " ".join(str(w.message) for w in record)
    assert "refund" in messages and "start after as_of" in messages
    # default convention: the lifetime runs from the first to the last order
    # p: spells [10 Jan, 20 Jan + 30 = 19 Feb] and [15 Mar, 14 Apr]: active at the
    #    cutoff (last order within 30 days of it), so censored at its last order:
    #    10 Jan .. 15 Mar = 21 + 28 + 15 = 64 days
    assert lt.loc["p", ["tenure", "churned", "spells"]].tolist() == [64, False, 2]
    # q: one order -> lifetime 0; churn is seen when the window runs out
    assert lt.loc["q", ["tenure", "churned"]].tolist() == [0, True]
    assert lt.loc["q", "churned_at"] == pd.Timestamp("2026-02-04")
    assert lt.loc["q", "last_order_at"] == pd.Timestamp("2026-01-05")
    # r only refunded (no purchase); s starts after the as-of date
    assert lt.index.tolist() == ["p", "q"]
    assert lt.attrs["inactivity_days"] == 30
    assert lt.attrs["lifetime_convention"] == "first order to last order"
    # the stated alternative: the lifetime ends when the window runs out
    with pytest.warns(ChurnlabWarning):
        win = by_id(
            cl.lifetimes(
                orders,
                as_of=AS_OF,
                unit="days",
                inactivity_days=30,
                orders_lifetime="window",
            )
        )
    # p: censored at the cutoff, 10 Jan .. 1 Apr = 22 + 28 + 31 = 81 days
    assert win.loc["p", ["tenure", "churned"]].tolist() == [81, False]
    # q: 5 Jan + 30 days
    assert win.loc["q", ["tenure", "churned"]].tolist() == [30, True]
    assert cl.lifetimes(orders.iloc[:4], as_of=AS_OF).attrs["inactivity_days"] == 90


def test_durations_pass_through_with_mapping():
    raw = pd.DataFrame(
        {
            "customerID": ["x2", "x1", "x3"],
            "tenure": [5, 0, 12],
            "Churn": ["Yes", "No", "No"],
            "Contract": ["Month-to-month", "One year", "Two year"],
        }
    )
    lt = cl.lifetimes(raw, columns={"customerID": "customer_id", "Churn": "churned"})
    assert lt.columns.tolist() == ["customer_id", "tenure", "churned", "Contract"]
    assert lt["customer_id"].tolist() == ["x1", "x2", "x3"]
    assert lt["tenure"].tolist() == [0.0, 5.0, 12.0]
    assert lt["churned"].tolist() == [False, True, False]
    assert lt.attrs["source"] == "durations" and lt.attrs["unit"] == "months"


def test_bad_parameters_are_named():
    with pytest.raises(ParameterError, match="unit='years'"):
        cl.lifetimes(SUBS, as_of=AS_OF, unit="years")
    with pytest.raises(ParameterError, match="reactivation"):
        cl.lifetimes(SUBS, as_of=AS_OF, reactivation="merge")
    with pytest.raises(ParameterError, match="source"):
        cl.lifetimes(pd.DataFrame({"customer_id": ["a"], "x": [1]}))
    with pytest.raises(ParameterError, match="as_of"):
        cl.lifetimes(SUBS, as_of="last tuesday")
    with pytest.raises(ContractError, match="no orders table"):
        cl.lifetimes(hand_dataset(), as_of=AS_OF, source="orders")
    with pytest.raises(ParameterError, match="segmentt"):
        cl.lifetimes(hand_dataset(), as_of=AS_OF, attributes="segmentt")
    with pytest.raises(ParameterError, match="lifetimes"):
        cl.lifetime_summary(SUBS)  # a raw frame of subscriptions is not one
    lt = pd.DataFrame({"tenure": [1.0], "churned": [True]})
    with pytest.raises(ParameterError, match="by='plan'"):
        cl.lifetime_summary(lt, by="plan")
    with pytest.raises(ParameterError, match="horizons"):
        cl.lifetime_summary(lt, horizons=(0,))
    with pytest.raises(ParameterError, match="tenure"):
        cl.lifetime_summary(pd.DataFrame({"tenure": [-1.0], "churned": [True]}))


# ----------------------------------------------------- backend parity, properties


def test_backend_parity(con):
    subs = engine.load(con, "survival_subs", SUBS)
    customers = engine.load(con, "survival_customers", CUSTOMERS)
    ds = cl.load_dataset({"subscriptions": subs, "customers": customers})
    for rule in ("span", "first", "spells"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ChurnlabWarning)
            expected = cl.lifetimes(hand_dataset(), as_of=AS_OF, reactivation=rule)
            got = cl.lifetimes(ds, as_of=AS_OF, reactivation=rule)
        assert_frame_equal(got, expected, check_dtype=False)


def oracle(subs: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Span-rule lifetimes in plain Python: merge intervals known at the cutoff.

    Only paying rows count (MRR above zero): trials and free use are no lifetime.
    """
    if "mrr" in subs:
        subs = subs[subs["mrr"] > 0]
    rows = []
    for cid, group in subs.groupby("customer_id"):
        known = group[group["start"] < cutoff]
        if known.empty:
            continue
        end = known["end"].where(known["end"].notna() & (known["end"] < cutoff), cutoff)
        spans = sorted(zip(known["start"], end, strict=True))
        reach, n = None, 0
        for start, stop in spans:
            if reach is None or start > reach:
                n += 1
            reach = stop if reach is None else max(reach, stop)
        first = spans[0][0]
        active = (
            (group["start"] < cutoff) & (group["end"].isna() | (group["end"] >= cutoff))
        ).any()
        rows.append((cid, (reach - first) / pd.Timedelta(days=1), not active, n))
    return pd.DataFrame(rows, columns=["customer_id", "tenure", "churned", "spells"])


@given(subs=subscriptions(), as_of_day=st.integers(0, 300), shuffle=st.randoms())
def test_span_rule_matches_brute_force(subs, as_of_day, shuffle):
    as_of = pd.Timestamp("2026-01-01") + pd.Timedelta(days=as_of_day)
    cutoff = as_of + pd.Timedelta(days=1)
    expected = oracle(subs, cutoff)
    order = list(range(len(subs)))
    shuffle.shuffle(order)  # row order must not matter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        got = cl.lifetimes(subs.iloc[order], as_of=as_of, unit="days")
    got = got[["customer_id", "tenure", "churned", "spells"]]
    if expected.empty:  # everyone starts after the as-of date
        assert got.empty
        return
    assert_frame_equal(got, expected, check_dtype=False)
    assert (got["tenure"] >= 0).all()


# ------------------------------------------------------------- lifetime_summary

# tenures 1, 2, 3+, 4 (3 censored): S(1) = 3/4; S(2) = 3/4 * 2/3 = 1/2;
# S(3) = 1/2 (censoring only); S(4) = 1/2 * 0/1 = 0.
# median = first t with S <= 0.5 = 2; RMST(4) = 1*1 + 1*0.75 + 1*0.5 + 1*0.5 = 2.75
# exposure = 1+2+3+4 = 10, churned 3 -> churn_rate 0.3, simple lifetime 10/3
HAND = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d"],
        "tenure": [1.0, 2.0, 3.0, 4.0],
        "churned": [True, True, False, True],
    }
)


def test_summary_hand_case():
    s = cl.lifetime_summary(HAND, horizons=(3, 4))
    assert len(s) == 1
    row = s.iloc[0]
    assert row["customers"] == 4 and row["churned"] == 3 and row["censored"] == 1
    assert row["median_lifetime"] == 2
    assert bool(row["median_reached"])
    assert row["survival_3"] == pytest.approx(0.5)
    assert row["survival_4"] == 0
    assert row["rmst_horizon"] == 4
    assert row["rmst"] == pytest.approx(2.75)
    assert row["exposure"] == 10 and row["churn_rate"] == pytest.approx(0.3)
    assert row["simple_lifetime"] == pytest.approx(10 / 3)
    assert row["survival_3_lower"] <= 0.5 <= row["survival_3_upper"]
    assert s.columns[:3].tolist() == ["customers", "churned", "censored"]
    assert "simple_lifetime" in s.attrs["labels"]


def test_median_not_reached_is_never_a_number():
    # tenures 1, 2+, 3+, 4+: S(1) = 3/4 and stays there -> median not reached
    lt = HAND.assign(churned=[True, False, False, False], segment="x")
    lt.attrs["unit"] = "months"
    s = cl.lifetime_summary(lt, by="segment", horizons=(2, 12))
    row = s.iloc[0]
    assert np.isnan(row["median_lifetime"]) and not row["median_reached"]
    assert (
        row["median_lifetime_text"] == "not reached (75% still customers at 4.0 months)"
    )
    assert row["survival_2"] == pytest.approx(0.75)
    # 12 months is past the longest tenure with S > 0: KM says nothing there
    assert np.isnan(row["survival_12"]) and np.isnan(row["rmst"])
    assert row["segment"] == "x"
    assert row["simple_lifetime"] == 10  # 10 customer-months / 1 churn


def test_summary_groups_keep_missing_values():
    lt = HAND.assign(segment=["x", "x", None, "y"])
    s = cl.lifetime_summary(lt, by="segment", horizons=(1,))
    assert s["segment"].tolist()[:2] == ["x", "y"]
    assert s["segment"].isna().sum() == 1
    assert s["customers"].sum() == 4


def test_hazard_hand_case():
    lt = pd.DataFrame(
        {
            "tenure": [0.5, 1.0, 1.5, 2.0, 3.0],
            "churned": [True, True, False, True, False],
        }
    )
    hz = cl.lifetime_hazard(lt)
    # periods (0,1], (1,2], (2,3]: at risk 5, 3, 1; churned 2, 1, 0; censored 0, 1, 1
    assert hz["tenure_start"].tolist() == [0.0, 1.0, 2.0]
    assert hz["at_risk"].tolist() == [5, 3, 1]
    assert hz["churned"].tolist() == [2, 1, 0]
    assert hz["censored"].tolist() == [0, 1, 1]
    np.testing.assert_allclose(hz["hazard"], [0.4, 1 / 3, 0.0])


def test_hazard_equals_km_step_for_whole_unit_tenures():
    rng = np.random.default_rng(3)
    lt = pd.DataFrame(
        {
            "tenure": rng.integers(0, 20, 400).astype(float),
            "churned": rng.random(400) < 0.6,
        }
    )
    hz = cl.lifetime_hazard(lt)
    kmf = KaplanMeierFitter().fit(lt["tenure"], lt["churned"])
    s = kmf.survival_function_at_times(np.arange(0, 21)).to_numpy()
    # hazard of (k, k+1] = 1 - S(k+1)/S(k), except (0, 1] which also holds tenure 0
    np.testing.assert_allclose(
        hz["hazard"].iloc[1:], (1 - s[2:] / s[1:-1])[: len(hz) - 1]
    )


# --------------------------------------------------------------- sample company


@pytest.fixture(scope="module")
def sample_first():
    return cl.lifetimes(cl.sample_dataset(), as_of="2026-10-31", reactivation="first")


def test_sample_planted_lifetimes_recovered(sample_first):
    truth = cl.sample.ground_truth()["churn"]
    s = cl.lifetime_summary(sample_first, by="segment", horizons=(12,)).set_index(
        "segment"
    )
    assert sorted(s.index) == sorted(truth["survival_12m"])
    for seg, planted in truth["survival_12m"].items():
        row = s.loc[seg]
        # planted exponential lifetime (per spell): S(12) = (1 - monthly churn)^12
        assert row["survival_12_lower"] <= planted <= row["survival_12_upper"], seg
        median = truth["median_lifetime_months"][seg]
        if row["median_reached"]:
            assert (
                row["median_lifetime_lower"] <= median <= row["median_lifetime_upper"]
            )
        else:  # not reached within 36 months of data: the planted median is longer
            assert median > sample_first["tenure"].max() * 0.5
    assert s.loc["SMB", "median_reached"]


def test_sample_fitter_outputs(sample_first):
    lt = cl.CustomerLifetime(horizons=(12, 24)).fit(sample_first, by="segment")
    assert lt.summary_["segment"].tolist() == ["Enterprise", "Mid-Market", "SMB"]
    assert set(lt.fitters_) == {"Enterprise", "Mid-Market", "SMB"}
    assert isinstance(lt.fitters_["SMB"], KaplanMeierFitter)
    assert lt.survival_.columns.tolist() == [
        "segment",
        "tenure",
        "survival",
        "ci_lower",
        "ci_upper",
        "at_risk",
        "churned",
        "censored",
    ]
    assert lt.logrank_.loc[0, "significant"]
    assert lt.hazard_.groupby("segment")["hazard"].mean().idxmax() == "SMB"
    cox = lt.cox()
    hr = cox.hazard_ratios.set_index("term")["hazard_ratio"]
    # planted hazards per month: SMB 0.0460, Mid-Market 0.0202, Enterprise 0.0070
    assert hr["segment=Mid-Market"] == pytest.approx(0.0202 / 0.0460, rel=0.2)
    assert cox.ph_test["ph_holds"].all()  # constant hazards: PH holds
    models = lt.parametric()
    smb = models[(models["segment"] == "SMB") & models["selected"]]
    assert smb["model"].iloc[0] in {"exponential", "Weibull"}  # planted exponential


# --------------------------------------------------------------------- log-rank


def test_logrank_matches_lifelines():
    rng = np.random.default_rng(7)
    n = 300
    seg = rng.choice(["a", "b", "c"], n)
    tenure = rng.exponential(np.where(seg == "a", 10.0, 14.0))
    lt = pd.DataFrame(
        {"tenure": np.minimum(tenure, 20), "churned": tenure < 20, "segment": seg}
    )
    got = cl.lifetime_logrank(lt, by="segment")
    direct = multivariate_logrank_test(lt["tenure"], lt["segment"], lt["churned"])
    assert got.loc[0, "test_statistic"] == pytest.approx(direct.test_statistic)
    assert got.loc[0, "p_value"] == pytest.approx(direct.p_value)
    assert got["comparison"].tolist() == ["all groups", "a vs b", "a vs c", "b vs c"]
    assert (got["p_value_adjusted"] >= got["p_value"]).all()
    with pytest.raises(ParameterError, match="single group"):
        cl.lifetime_logrank(lt.assign(segment="a"), by="segment")


# --------------------------------------------------------------------------- Cox


def simulated(n=3000, seed=11):
    """Planted hazard ratio 2 for group b; group c has a hazard falling with tenure."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n, p=[0.4, 0.3, 0.3])
    t = rng.exponential(1 / np.where(group == "b", 0.10, 0.05))
    # c: Weibull with shape 0.4 (steeply falling hazard), same median as a
    c = group == "c"
    t[c] = (np.log(2) / 0.05) * (rng.exponential(1.0, c.sum()) / np.log(2)) ** (1 / 0.4)
    return pd.DataFrame(
        {
            "tenure": np.minimum(t, 36.0),
            "churned": t < 36.0,
            "group": group,
            "score": rng.normal(size=n),
        }
    )


def test_cox_recovers_planted_ratio_and_flags_non_proportional_hazards():
    lt = simulated()
    cox = cl.lifetime_cox(lt[lt["group"] != "c"], covariates=["group", "score"])
    assert isinstance(cox, CoxResult)
    hr = cox.hazard_ratios.set_index("term")
    assert hr.loc["group=b", "reference"] == "a"
    assert (
        hr.loc["group=b", "hazard_ratio_lower"]
        < 2
        < hr.loc["group=b", "hazard_ratio_upper"]
    )
    assert (
        hr.loc["score", "hazard_ratio_lower"]
        < 1
        < hr.loc["score", "hazard_ratio_upper"]
    )
    assert 0.5 < cox.concordance < 1
    assert cox.ph_test["ph_holds"].all()
    assert cox.ph_verdict.startswith("Proportional hazards holds")

    crossing = cl.lifetime_cox(lt[lt["group"] != "b"], covariates=["group"])
    assert not crossing.ph_test.set_index("term").loc["group=c", "ph_holds"]
    assert "violated for group=c" in crossing.ph_verdict
    assert "stratify on group" in crossing.ph_verdict
    assert "violated" in str(crossing)


def test_cox_default_covariates_and_redundant_terms():
    lt = simulated(600).assign(
        twin=lambda d: d["group"].map({"a": "A", "b": "B", "c": "C"}),
        when=pd.Timestamp("2026-01-01"),
        id_like=lambda d: [f"u{i}" for i in range(len(d))],
    )
    with pytest.warns(ChurnlabWarning, match="linear combination"):
        cox = cl.lifetime_cox(lt)
    assert cox.covariates == ["group", "score", "twin"]
    assert any("when left out" in n for n in cox.notes)
    assert any("id_like left out" in n for n in cox.notes)
    assert "twin=B" not in set(cox.hazard_ratios["term"])
    with pytest.raises(ParameterError, match="'nope'"):
        cl.lifetime_cox(lt, covariates=["nope"])


# -------------------------------------------------------------------- parametric


def test_parametric_picks_by_aic_and_flags_extrapolation():
    rng = np.random.default_rng(5)
    t = 20 * rng.weibull(2.5, 1500)  # rising hazard: Weibull, not exponential
    lt = pd.DataFrame({"tenure": np.minimum(t, 18.0), "churned": t < 18.0})
    lt.loc[0, "tenure"] = 0.0
    fit = cl.lifetime_parametric(lt, horizon=40)
    assert isinstance(fit, ParametricResult)
    chosen = fit.models.loc[fit.models["selected"], "model"].tolist()
    assert chosen == ["Weibull"]
    assert fit.models["delta_aic"].min() == 0
    assert fit.models.set_index("model").loc["exponential", "delta_aic"] > 10
    curves = fit.curves
    assert curves["tenure"].max() == 40
    assert (curves["extrapolation"] == (curves["tenure"] > 18.0)).all()
    assert curves["survival"].is_monotonic_decreasing
    assert "1 tenure(s) of 0" in fit.note
    with pytest.raises(ParameterError, match="models"):
        cl.lifetime_parametric(lt, models=["gompertz"])


# --------------------------------------------------------------------------- LTV


def test_ltv_hand_case():
    lt = HAND.copy()
    lt.attrs["unit"] = "months"
    # S(0..3) = 1, 0.75, 0.5, 0.5 -> sum 2.75; x arpa 10 x margin 0.5 = 13.75
    v = cl.survival_ltv(lt, arpa=10.0, margin=0.5, extrapolate=False)
    row = v.iloc[0]
    assert row["ltv_survival"] == pytest.approx(13.75)
    assert row["ltv_extrapolated"] == 0 and not row["extrapolated"]
    # simple: 10 x 0.5 / (3 churned / 10 customer-months) = 16.67
    assert row["ltv_simple"] == pytest.approx(50 / 3)
    assert "lower bound" in row["why"]
    d = (1.12) ** (-1 / 12)
    v = cl.survival_ltv(
        lt, arpa=10.0, margin=0.5, discount_rate=0.12, extrapolate=False
    )
    expected = 5 * (1 + 0.75 * d + 0.5 * d**2 + 0.5 * d**3)
    assert v.loc[0, "ltv_survival"] == pytest.approx(expected)


def test_ltv_extrapolates_with_the_parametric_tail():
    rng = np.random.default_rng(9)
    t = rng.exponential(20.0, 4000)  # constant churn 5% per month
    lt = pd.DataFrame(
        {
            "tenure": np.minimum(t, 24.0),
            "churned": t < 24.0,
            "plan": rng.choice(["x", "y"], 4000),
        }
    )
    lt.attrs["unit"] = "months"
    v = cl.survival_ltv(lt, arpa={"x": 100.0, "y": 50.0}, by="plan", horizon=600)
    assert v["extrapolated"].all() and (v["ltv_extrapolated"] > 0).all()
    # constant churn, a long horizon and no discounting: the two formulas agree
    # (the sum over whole months of exp(-t/20) is 1/(1 - exp(-1/20)) = 20.5)
    np.testing.assert_allclose(v["ltv_survival"], v["ltv_simple"], rtol=0.08)
    assert v["arpa"].tolist() == [100.0, 50.0]
    assert v["why"].str.contains("extrapolation").all()
    with pytest.raises(ParameterError, match="no value for group 'y'"):
        cl.survival_ltv(lt, arpa={"x": 1.0}, by="plan")


# ---------------------------------------------------------------- real: telco


@pytest.mark.real
@pytest.mark.skipif(not TELCO.exists(), reason=f"{TELCO} not found; see SOURCE.md")
def test_telco_against_lifelines_directly():
    lt = cl.lifetimes(TELCO, columns={"customerID": "customer_id", "Churn": "churned"})
    assert len(lt) == 7043 and int(lt["churned"].sum()) == 1869
    horizons = (12, 24, 48, 72)
    s = cl.lifetime_summary(lt, by="Contract", horizons=horizons).set_index("Contract")
    raw = pd.read_csv(TELCO)
    for contract, rows in raw.groupby("Contract"):
        kmf = KaplanMeierFitter().fit(rows["tenure"], rows["Churn"].eq("Yes"))
        median = kmf.median_survival_time_
        got = s.loc[contract]
        if np.isinf(median):
            assert np.isnan(got["median_lifetime"]) and not got["median_reached"]
            assert got["median_lifetime_text"].startswith("not reached")
        else:
            assert got["median_lifetime"] == median
        for h in horizons:
            assert got[f"survival_{h}"] == pytest.approx(
                kmf.survival_function_at_times(h).iloc[0]
            ), (contract, h)
        assert got["rmst"] == pytest.approx(restricted_mean_survival_time(kmf, t=72))
        assert got["customers"] == len(rows)
    # the numbers, for the record
    assert s.loc["Month-to-month", "median_lifetime"] == 35
    assert s.loc["Month-to-month", "survival_12"] == pytest.approx(0.7031, abs=1e-4)
    assert s.loc["Two year", "survival_72"] == pytest.approx(0.9357, abs=1e-4)
    lr = cl.lifetime_logrank(lt, by="Contract")
    direct = multivariate_logrank_test(
        raw["tenure"], raw["Contract"], raw["Churn"].eq("Yes")
    )
    assert lr.loc[0, "test_statistic"] == pytest.approx(direct.test_statistic)
    assert lr.loc[0, "degrees_of_freedom"] == 2
    assert lr.loc[0, "p_value"] < 1e-100 and lr["significant"].all()
    assert lr.loc[0, "test_statistic"] == pytest.approx(2352.87, abs=0.01)


# ------------------------------------------- orders: honest lifetimes (issue 18)


def test_orders_history_shorter_than_the_window_says_so():
    # 40 days of orders against a 90-day window: nobody can have been seen to
    # churn, so there is no lifetime to report (never a tight interval)
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "b", "b", "c"],
            "ordered_at": pd.to_datetime(
                ["2026-01-01", "2026-01-05", "2026-01-20", "2026-02-09"]
            ),
            "amount": 10.0,
        }
    )
    with pytest.warns(ChurnlabWarning, match="not more than the inactivity window"):
        lt = cl.lifetimes(orders, as_of="2026-02-09", inactivity_days=90)
    assert not lt["churned"].any()
    assert lt.attrs["history_days"] == 40 and lt.attrs["inactivity_days"] == 90
    s = cl.lifetime_summary(lt, horizons=(1,))
    assert np.isnan(s.loc[0, "median_lifetime"])
    assert np.isnan(s.loc[0, "median_lifetime_lower"])
    assert np.isnan(s.loc[0, "survival_1"]) and np.isnan(s.loc[0, "rmst"])
    assert s.loc[0, "median_lifetime_text"].startswith("cannot be estimated")
    assert "90 days" in s.loc[0, "median_lifetime_text"]


def test_orders_window_convention_median_is_not_a_measurement():
    # 3 of 4 customers order once: with lifetime = last order + W the median is W
    ids = ["a", "b", "c", "d", "d"]
    days = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-02-10"]
    orders = pd.DataFrame(
        {"customer_id": ids, "ordered_at": pd.to_datetime(days), "amount": 5.0}
    )
    lt = cl.lifetimes(
        orders,
        as_of="2026-12-31",
        unit="days",
        inactivity_days=30,
        orders_lifetime="window",
    )
    assert (lt["tenure"] == 30).sum() == 3
    s = cl.lifetime_summary(lt, horizons=(10,))
    assert np.isnan(s.loc[0, "median_lifetime"])
    assert s.loc[0, "median_lifetime_text"].startswith("not measurable")
    # the default convention: first to last order; the median is 0 and says why
    lt = cl.lifetimes(orders, as_of="2026-12-31", unit="days", inactivity_days=30)
    assert lt.set_index("customer_id")["tenure"].tolist() == [0, 0, 0, 37]
    s = cl.lifetime_summary(lt, horizons=(10,))
    assert s.loc[0, "median_lifetime"] == 0
    text = s.loc[0, "median_lifetime_text"]
    assert "75% never came back" in text and "[inactivity window 30 days]" in text


def test_positional_options_still_work_with_a_warning():
    with pytest.warns(FutureWarning, match=r"call lifetimes\(data, as_of="):
        old = cl.lifetimes(hand_dataset(), AS_OF, unit="days")
    new = cl.lifetimes(hand_dataset(), as_of=AS_OF, unit="days")
    assert_frame_equal(old, new)
    with pytest.warns(FutureWarning, match="by="):
        cl.lifetime_summary(new, "segment")
    with pytest.raises(TypeError):
        cl.lifetime_hazard(new, "segment", 2.0)


CDNOW = real_file("cdnow", "CDNOW_master.txt")


@pytest.mark.real
@pytest.mark.skipif(not CDNOW.exists(), reason=f"{CDNOW} not found; see SOURCE.md")
def test_cdnow_lifetime_is_not_the_window():
    raw = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=None,
        skiprows=1,
        names=["customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    orders = pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)  # zero-amount rows
        lt = cl.lifetimes(orders, as_of="1998-06-30", inactivity_days=90)
        old = cl.lifetimes(
            orders, as_of="1998-06-30", inactivity_days=90, orders_lifetime="window"
        )
    assert len(lt) == 23570 and lt.attrs["inactivity_days"] == 90
    # censored: exactly the customers whose last order is within 90 days of as_of
    recent = lt["last_order_at"] + pd.Timedelta(days=90) >= pd.Timestamp("1998-07-01")
    assert (~lt["churned"] == recent).all()
    # before: "median lifetime 3.0 months (95% CI 3.0–3.0)", the window itself
    s_old = cl.lifetime_summary(old)
    assert s_old.loc[0, "median_lifetime_text"].startswith("not measurable")
    # after: half the customers never came back; the figure says so and shows W
    s = cl.lifetime_summary(lt)
    assert s.loc[0, "median_lifetime"] == 0
    assert "never came back" in s.loc[0, "median_lifetime_text"]
    assert "[inactivity window 90 days]" in s.loc[0, "median_lifetime_text"]


@pytest.mark.real
@pytest.mark.skipif(not TELCO.exists(), reason=f"{TELCO} not found; see SOURCE.md")
def test_telco_durations_dataset_by_segment_logrank_and_cox():
    raw = pd.read_csv(TELCO)
    durations = pd.DataFrame(
        {
            "customer_id": raw["customerID"],
            "tenure": raw["tenure"],
            "churned": raw["Churn"].eq("Yes"),
            "Contract": raw["Contract"],
            "MonthlyCharges": raw["MonthlyCharges"],
        }
    )
    ds = cl.load_dataset({"durations": durations})  # no dates anywhere
    s = cl.lifetime_summary(ds, by="Contract").set_index("Contract")
    assert s.loc["Month-to-month", "median_lifetime"] == 35
    lr = cl.lifetime_logrank(ds, by="Contract")
    assert lr.loc[0, "test_statistic"] == pytest.approx(2352.87, abs=0.01)
    cox = cl.lifetime_cox(ds, covariates=["Contract", "MonthlyCharges"])
    assert cox.customers == 7043 and cox.churned == 1869
    hr = cox.hazard_ratios.set_index("term")["hazard_ratio"]
    assert hr["Contract=Two year"] < hr["Contract=One year"] < 1
    fit = cl.CustomerLifetime().fit(ds, by="Contract")
    assert fit.summary_["customers"].sum() == 7043
