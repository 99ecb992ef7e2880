"""CLV: the RFM summary (hand cases, backends, CDNOW), the likelihoods and the
fits against the published figures (BG/NBD, Pareto/NBD, Gamma-Gamma, sBG)."""

from __future__ import annotations

import builtins
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import churnlab as cl
from churnlab import engine
from churnlab.clv import likelihood
from churnlab.errors import ChurnlabWarning, ParameterError
from tests.conftest import real_file

CDNOW = real_file("cdnow", "CDNOW_sample.txt")
CDNOW_SUMMARY = real_file("cdnow", "cdnow_customers_summary.csv")
needs_cdnow = pytest.mark.skipif(
    not (CDNOW.exists() and CDNOW_SUMMARY.exists()),
    reason="CDNOW sample not found in ../shared/data/real/cdnow; "
    "set CHURNLAB_REAL_DATA",
)
EXTRA = "pymc-marketing (the clv extra) is not installed: pip install 'churnlab[clv]'"

# Fader & Hardie (2007): customers of 1,000 still alive after years 1-7
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def _close(value, expected, rel=0.01):
    return abs(value - expected) <= rel * abs(expected)


# ------------------------------------------------------------ RFM summary

ORDERS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "a", "a", "b", "b", "c", "c", "d"],
        "ordered_at": pd.to_datetime(
            [
                "2026-01-05 09:00",  # a: first day
                "2026-01-05 09:00",  # same instant: one purchase with the line above
                "2026-01-05 17:00",  # same day: still the first purchase day
                "2026-01-19 10:00",  # a: repeat day 14 days later
                "2026-02-10 08:00",  # a: holdout
                "2026-01-12 12:00",  # b: first day
                "2026-01-20 12:00",  # b: refund, not a purchase
                "2026-01-26 00:00",  # c: first day (= calibration end day)
                "2026-02-02 00:00",  # c: holdout
                "2026-02-01 00:00",  # d: first purchase after calibration: excluded
            ]
        ),
        "amount": [10.0, 5.0, 5.0, 40.0, 7.0, 30.0, -30.0, 12.0, 9.0, 3.0],
    }
)
# calibration to 2026-01-26 (inclusive), holdout to 2026-02-15, unit days:
#   a: days 01-05 (20.0), 01-19 (40.0) -> frequency 1, recency 14, T 21,
#      monetary 40 / 1, holdout 1 day (7.0)
#   b: day 01-12 only (the refund is excluded) -> frequency 0, recency 0, T 14,
#      monetary NaN (unknown, not 0), holdout 0
#   c: day 01-26 -> frequency 0, recency 0, T 0, holdout 1 (9.0)
#   d: first purchase 02-01 is after the calibration end -> not in the summary
EXPECTED_DAYS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c"],
        "first_purchase": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-26"]),
        "frequency": [1, 0, 0],
        "recency_days": [14.0, 0.0, 0.0],
        "T_days": [21.0, 14.0, 0.0],
        "monetary_value": [40.0, np.nan, np.nan],
        "frequency_holdout": [1, 0, 1],
        "monetary_value_holdout": [7.0, np.nan, 9.0],
        "duration_holdout_days": [20.0, 20.0, 20.0],
    }
)


def _rfm(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        return cl.rfm_summary(data, **kw)


def test_rfm_hand_case_days():
    with pytest.warns(ChurnlabWarning, match="1 refund"):
        got = cl.rfm_summary(
            ORDERS, calibration_end="2026-01-26", holdout_end="2026-02-15", unit="D"
        )
    pd.testing.assert_frame_equal(got, EXPECTED_DAYS, check_dtype=False)
    assert got.attrs["unit"] == "D" and got.attrs["unit_name"] == "days"
    assert got.attrs["refunds_excluded"] == 1
    assert got.attrs["calibration_end"] == "2026-01-26"


def test_rfm_saves_to_parquet(tmp_path):
    got = _rfm(ORDERS, calibration_end="2026-01-26", holdout_end="2026-02-15")
    got.to_parquet(tmp_path / "rfm.parquet")
    back = pd.read_parquet(tmp_path / "rfm.parquet")
    pd.testing.assert_frame_equal(back, got)
    assert back.attrs["unit"] == "W"


def test_rfm_weeks_divide_days_by_seven():
    got = _rfm(ORDERS, calibration_end="2026-01-26", holdout_end="2026-02-15")
    assert list(got.columns[3:5]) == ["recency_weeks", "T_weeks"]
    np.testing.assert_allclose(got["recency_weeks"], [2.0, 0.0, 0.0])
    np.testing.assert_allclose(got["T_weeks"], [3.0, 2.0, 0.0])
    np.testing.assert_allclose(got["duration_holdout_weeks"], 20 / 7)


def test_rfm_without_holdout_has_no_holdout_columns():
    got = _rfm(ORDERS, calibration_end="2026-01-26", unit="D")
    assert "frequency_holdout" not in got
    assert got.attrs["holdout_end"] is None
    # the default calibration end is the day of the latest order
    latest = _rfm(ORDERS, unit="D")
    assert latest.attrs["calibration_end"] == "2026-02-10"
    assert set(latest["customer_id"]) == {"a", "b", "c", "d"}


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"unit": "M"}, "Months and years"),
        ({"calibration_end": "2026-01-26", "holdout_end": "2026-01-20"}, "after"),
        ({"calibration_end": "2025-01-01"}, "no customer"),
        ({"calibration_end": "2026-01-26 12:00"}, "time of day"),
    ],
)
def test_rfm_bad_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        _rfm(ORDERS, **kw)


def test_rfm_backends_agree(con):
    table = engine.load(con, "clv_orders", ORDERS)
    got = _rfm(table, calibration_end="2026-01-26", holdout_end="2026-02-15", unit="D")
    pd.testing.assert_frame_equal(got, EXPECTED_DAYS, check_dtype=False)


def _pandas_rfm(orders: pd.DataFrame, cal_end: pd.Timestamp) -> pd.DataFrame:
    """The lifetimes-style reference: days in pandas, one customer at a time."""
    o = orders[orders["amount"] >= 0].copy()
    o["day"] = o["ordered_at"].dt.normalize()
    o = o[o["day"] <= cal_end]
    days = o.groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    rows = []
    for cid, g in days.groupby("customer_id"):
        g = g.sort_values("day")
        first, last = g["day"].iloc[0], g["day"].iloc[-1]
        x = len(g) - 1
        rows.append(
            {
                "customer_id": cid,
                "frequency": x,
                "recency_days": float((last - first).days),
                "T_days": float((cal_end - first).days),
                "monetary_value": g["amount"].iloc[1:].mean() if x else np.nan,
            }
        )
    return pd.DataFrame(rows)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d"]),
            st.integers(0, 24 * 60),  # hours after 2026-01-01
            st.integers(-5, 50),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 60),
)
def test_rfm_matches_pandas_reference(rows, cal_day):
    orders = pd.DataFrame(rows, columns=["customer_id", "hours", "amount"])
    orders["ordered_at"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(
        orders.pop("hours"), unit="h"
    )
    orders["amount"] = orders["amount"].astype(float)
    cal_end = pd.Timestamp("2026-01-01") + pd.Timedelta(days=cal_day)
    expected = _pandas_rfm(orders, cal_end)
    if expected.empty or (orders["amount"] >= 0).sum() == 0:
        return
    got = _rfm(orders, calibration_end=cal_end, unit="D")
    cols = list(expected.columns)
    pd.testing.assert_frame_equal(
        got[cols].reset_index(drop=True), expected, check_dtype=False
    )


@pytest.fixture(scope="module")
def cdnow_orders():
    if not CDNOW.exists():
        pytest.skip("CDNOW_sample.txt not found in ../shared/data/real/cdnow")
    raw = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"master_id": str, "customer_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype(int).astype(str),
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"],
        }
    )


@pytest.fixture(scope="module")
def cdnow_rfm(cdnow_orders):
    # 39 calibration weeks from 1997-01-01: through 1997-09-30; holdout 39 weeks
    return _rfm(cdnow_orders, calibration_end="1997-09-30", holdout_end="1998-06-30")


@pytest.mark.real
@needs_cdnow
def test_cdnow_summary_equals_hardies_file(cdnow_rfm):
    ref = pd.read_csv(CDNOW_SUMMARY)  # ID, frequency, recency, T in weeks, 2 d.p.
    got = cdnow_rfm.assign(ID=cdnow_rfm["customer_id"].astype(int)).sort_values("ID")
    assert len(got) == len(ref) == 2357
    np.testing.assert_array_equal(got["ID"], ref["ID"])
    np.testing.assert_array_equal(got["frequency"], ref["frequency"])
    np.testing.assert_array_equal(got["recency_weeks"].round(2), ref["recency"])
    np.testing.assert_array_equal(got["T_weeks"].round(2), ref["T"])
    assert (got["duration_holdout_weeks"] == 39).all()


# ---------------------------------------------------- closed-form likelihoods


@pytest.mark.real
@needs_cdnow
def test_likelihoods_at_published_estimates():
    ref = pd.read_csv(CDNOW_SUMMARY)
    x, tx, t = ref["frequency"], ref["recency"], ref["T"]
    # FHL (2005): r, alpha, a, b = 0.243, 4.414, 0.793, 2.426; LL = -9582.4
    ll = likelihood.bgnbd_loglik(0.2426, 4.4136, 0.7930, 2.4260, x, tx, t)
    assert ll == pytest.approx(-9582.4, abs=0.5)
    # Fader & Hardie note 008: r, alpha, s, beta = 0.55, 10.58, 0.61, 11.67; -9595.0
    ll = likelihood.pareto_nbd_loglik(0.5533, 10.5776, 0.6061, 11.6650, x, tx, t)
    assert ll == pytest.approx(-9595.0, abs=0.5)


def test_bgnbd_loglik_single_customer_by_hand():
    # x = 0: L = B(a, b)/B(a, b) * (alpha/(alpha+T))^r = (1/(1+1))^1 = 0.5
    assert likelihood.bgnbd_loglik(1.0, 1.0, 1.0, 1.0, [0], [0], [1]) == pytest.approx(
        np.log(0.5)
    )


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta"),
    [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)],
)
def test_sbg_scipy_reference_reproduces_paper(survivors, alpha, beta):
    a, b, _ll = likelihood.sbg_fit_scipy(survivors)
    assert _close(a, alpha) and _close(b, beta)


# --------------------------------------------------------- pymc-marketing fits


@pytest.fixture(scope="module")
def pmm():
    return pytest.importorskip("pymc_marketing", reason=EXTRA)


@pytest.fixture(scope="module")
def bgnbd(pmm, cdnow_rfm):
    return cl.clv_bgnbd(cdnow_rfm)


@pytest.fixture(scope="module")
def gamma_gamma(pmm, cdnow_rfm):
    return cl.clv_gamma_gamma(cdnow_rfm)


@pytest.fixture(scope="module")
def sbg_two(pmm):
    # both cohorts in one model (one compile), as a tidy cohort table
    frame = pd.concat(
        [
            pd.DataFrame(
                {"cohort": name, "period_number": range(8), "customers_active": n}
            )
            for name, n in (("regular", REGULAR), ("high end", HIGH_END))
        ]
    )
    return cl.clv_sbg(frame)


@pytest.mark.real
@needs_cdnow
def test_bgnbd_reproduces_paper(bgnbd):
    p = bgnbd.params_
    for name, published in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert _close(p[name], published), (name, p[name])
    assert bgnbd.log_likelihood_ == pytest.approx(-9582.4, abs=0.5)
    assert bgnbd.method == "map" and bgnbd.priors == "flat"
    assert bgnbd.unit == "W" and bgnbd.n_customers_ == 2357
    assert "BG/NBD" in repr(bgnbd)


@pytest.mark.real
@needs_cdnow
def test_gamma_gamma_reproduces_note(gamma_gamma):
    # Fader & Hardie (2013) on CDNOW: p = 6.25, q = 3.74, gamma = 15.44
    p = gamma_gamma.params_
    assert _close(p["p"], 6.25) and _close(p["q"], 3.74) and _close(p["v"], 15.44)
    assert gamma_gamma.n_customers_ == 946  # customers with a repeat purchase


def test_sbg_reproduces_paper(sbg_two):
    p = sbg_two.params_
    assert _close(p.loc["regular", "alpha"], 0.704)
    assert _close(p.loc["regular", "beta"], 1.182)
    assert _close(p.loc["high end", "alpha"], 0.668)
    assert _close(p.loc["high end", "beta"], 3.806)
    ll = sum(likelihood.sbg_fit_scipy(n)[2] for n in (REGULAR, HIGH_END))
    assert sbg_two.log_likelihood_ == pytest.approx(ll, abs=0.01)


def test_sbg_projection(sbg_two):
    surv = cl.clv_sbg_survival(sbg_two, periods=7)
    regular = surv[surv["cohort"] == "regular"]
    # the fitted curve follows the observed survivors (Fader & Hardie, figure 2)
    np.testing.assert_allclose(regular["survival"], np.array(REGULAR) / 1000, atol=0.02)
    assert regular["retention"].iloc[1:].is_monotonic_increasing
    life = cl.clv_sbg_lifetime(sbg_two, discount_rate=0.1).set_index("cohort")
    assert (
        life.loc["high end", "expected_lifetime"]
        > life.loc["regular", "expected_lifetime"]
    )
    # alpha < 1: the undiscounted mean lifetime does not exist
    assert np.isinf(cl.clv_sbg_lifetime(sbg_two)["expected_lifetime"]).all()


def test_sbg_survivors_from_a_cohort_table():
    from churnlab.clv.models import _survivor_counts, _survivor_table

    table = pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2024-01-01"] * 3 + ["2025-01-01"] * 2),
            "period_number": [0, 1, 2, 0, 1],
            "customers_active": [100, 80, np.nan, 50, 45],
        }
    )
    counts = _survivor_counts(_survivor_table(table))
    assert {k: v.tolist() for k, v in counts.items()} == {
        "2024-01-01": [100.0, 80.0],
        "2025-01-01": [50.0, 45.0],
    }
    one_period = pd.concat(
        [
            table,
            pd.DataFrame(
                {
                    "cohort": [pd.Timestamp("2026-01-01")],
                    "period_number": [0],
                    "customers_active": [70],
                }
            ),
        ]
    )
    with pytest.warns(ChurnlabWarning, match="one period only"):
        counts = _survivor_counts(_survivor_table(one_period))
    assert len(counts) == 2


@pytest.mark.parametrize(
    ("survivors", "match"),
    [([1000, 900, 950], "never increase"), ([1000], "at least two")],
)
def test_sbg_bad_survivors(pmm, survivors, match):
    with pytest.raises(ParameterError, match=match):
        cl.clv_sbg(survivors)


@pytest.mark.real
@needs_cdnow
def test_predictions(bgnbd, gamma_gamma, cdnow_rfm):
    pred = cl.clv_predict(
        bgnbd, horizon="52W", spend_model=gamma_gamma, discount_rate=0.1
    )
    assert len(pred) == 2357
    assert {"horizon_weeks", "expected_purchases", "prob_alive", "clv"} <= set(pred)
    assert pred["prob_alive"].between(0, 1).all()
    assert (pred.loc[pred["frequency"] == 0, "prob_alive"] == 1).all()
    assert (pred["clv"] > 0).all() and pred.attrs["discount_rate_annual"] == 0.1
    # "364D" is the same horizon in days: 364 / 7 = 52 weeks
    days = cl.clv_predict(bgnbd, cdnow_rfm, horizon="364D")
    np.testing.assert_allclose(days["expected_purchases"], pred["expected_purchases"])
    # undiscounted value is larger; a longer horizon expects more purchases
    flat = cl.clv_predict(bgnbd, horizon="52W", spend_model=gamma_gamma)
    assert (flat["clv"] >= pred["clv"]).all()
    longer = cl.clv_predict(bgnbd, horizon=104)
    assert (longer["expected_purchases"] > pred["expected_purchases"]).all()
    # undiscounted CLV = expected purchases x expected spend
    np.testing.assert_allclose(
        flat["clv"], flat["expected_purchases"] * flat["expected_spend"]
    )


@pytest.mark.real
@needs_cdnow
@pytest.mark.parametrize("horizon", ["12M", "1Y", "-3W", "soon"])
def test_horizon_units_are_checked(bgnbd, horizon):
    with pytest.raises(ParameterError, match="horizon"):
        cl.clv_predict(bgnbd, horizon=horizon)


@pytest.mark.real
@needs_cdnow
def test_calibration_holdout_and_matrix(bgnbd, cdnow_rfm):
    ch = cl.clv_calibration_holdout(bgnbd, cdnow_rfm)
    assert ch["customers"].sum() == 2357
    assert ch["frequency_label"].iloc[-1] == "7+"
    # the model tracks the holdout within half a purchase in every group
    assert (
        (ch["expected_purchases_holdout"] - ch["actual_purchases_holdout"]).abs() < 0.5
    ).all()
    m = cl.clv_prob_alive_matrix(bgnbd, max_frequency=10)
    assert m["frequency"].max() == 10 and m["prob_alive"].dropna().between(0, 1).all()
    assert (
        m.loc[(m["frequency"] == 0) & (m["recency_weeks"] > 0), "prob_alive"]
        .isna()
        .all()
    )


@pytest.mark.real
@needs_cdnow
def test_by_segment(bgnbd, gamma_gamma):
    pred = cl.clv_predict(bgnbd, spend_model=gamma_gamma)
    ids = pred["customer_id"]
    customers = pd.DataFrame(
        {"customer_id": ids[:2000], "segment": np.where(np.arange(2000) % 2, "x", "y")}
    )
    seg = cl.clv_by_segment(pred, customers, by="segment")
    assert seg["segment"].tolist() == ["(missing)", "x", "y"]
    assert seg["customers"].sum() == len(pred)
    assert seg["clv"].sum() == pytest.approx(pred["clv"].sum())
    np.testing.assert_allclose(
        seg["prob_alive_mean"], seg["customers_alive_expected"] / seg["customers"]
    )


def test_summary_checks(pmm):
    bad = pd.DataFrame({"customer_id": ["a"], "frequency": [1], "recency_weeks": [3.0]})
    with pytest.raises(ParameterError, match="recency_<unit>"):
        cl.clv_bgnbd(bad)
    bad = pd.DataFrame(
        {"customer_id": ["a"], "frequency": [1], "recency": [3.0], "T": [2.0]}
    )
    with pytest.raises(ParameterError, match="exceeds T"):
        cl.clv_bgnbd(bad)
    with pytest.raises(ParameterError, match="priors"):
        cl.clv_sbg(REGULAR, priors="vague")
    with pytest.raises(ParameterError, match="method"):
        cl.clv_sbg(REGULAR, method="nuts")


def test_missing_extra_names_it(monkeypatch):
    real_import = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.startswith(("pymc_marketing", "pymc_extras")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match=r"pip install 'churnlab\[clv\]'"):
        cl.clv_sbg(REGULAR)


@pytest.mark.slow
def test_sbg_posterior_sampling(pmm):
    fit = cl.clv_sbg(
        REGULAR,
        method="mcmc",
        sampler={"draws": 300, "tune": 300, "chains": 1, "random_seed": 1},
    )
    table = fit.summary_.set_index("parameter")
    assert {"lower", "upper"} <= set(table.columns)
    for name, mle in (("alpha", 0.704), ("beta", 1.182)):
        assert table.loc[name, "lower"] < mle < table.loc[name, "upper"]


@pytest.mark.slow
@pytest.mark.real
@needs_cdnow
def test_pareto_nbd_reproduces_note(pmm, cdnow_rfm):
    fit = cl.clv_pareto_nbd(cdnow_rfm)
    p = fit.params_
    for name, published in {
        "r": 0.553,
        "alpha": 10.578,
        "s": 0.606,
        "beta": 11.669,
    }.items():
        assert _close(p[name], published), (name, p[name])
    assert fit.log_likelihood_ == pytest.approx(-9595.0, abs=0.5)


@pytest.mark.slow
@pytest.mark.real
@needs_cdnow
def test_library_default_priors_move_a_and_b(bgnbd, cdnow_rfm):
    # why flat priors are the default: pymc-marketing's own priors shift the
    # BG/NBD dropout parameters away from the published estimates on CDNOW
    default = cl.clv_bgnbd(cdnow_rfm, priors="pymc-marketing")
    assert default.priors == "pymc-marketing"
    shift = default.params_ / bgnbd.params_ - 1
    assert shift["a"] < -0.05 and shift["b"] < -0.05
    assert default.log_likelihood_ < bgnbd.log_likelihood_
