"""Activity churn: hand-made accounts, backtest on the sample, lifecycle and
stickiness identities, brute-force properties and backend parity."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import churnlab as cl
from churnlab import activity, engine
from churnlab.errors import ChurnlabWarning, ParameterError

AS_OF = "2026-03-31"
T = pd.Timestamp("2026-04-01")  # signals are judged at the end of AS_OF
START = pd.Timestamp("2026-01-01")


def _days(first, last):
    return pd.date_range(first, last, freq="D")


def _rows(account, users, days, hour=10):
    return [
        {
            "user_id": f"{account}-{u}",
            "account_id": account,
            "event": "login",
            "timestamp": d + pd.Timedelta(hours=hour),
        }
        for d in days
        for u in users
    ]


def _week(k):
    """Days of rolling week k before T: [T - 7(k+1), T - 7k)."""
    return _days(T - pd.Timedelta(days=7 * (k + 1)), T - pd.Timedelta(days=7 * k + 1))


def hand_events():
    rows = []
    # HOL: 5 users active every day; user 0 takes a holiday in week 1 (the week
    # before last): that week has 28 user-days against a baseline of 35 (80%).
    users = range(5)
    for d in _days(START, T - pd.Timedelta(days=1)):
        active = [u for u in users if not (u == 0 and d in _week(1))]
        rows += _rows("HOL", active, [d])
    # SLIDE: 4 users, each active 6 days a week (24 user-days); the whole team
    # slides for three weeks: 4, 3 then 1 days each (16 = 67%, 12 = 50%,
    # 4 = 17% of the baseline). Weeks 1 and 0 are below 60% -> slipping.
    per_week = {2: 4, 1: 3, 0: 1}
    for k in range(12, -1, -1):
        week = [d for d in _week(k) if d >= START]
        n = per_week.get(k, 6)
        rows += _rows("SLIDE", range(4), week[:n])
    # STEADY: 2 users every weekday.
    rows += _rows("STEADY", range(2), [d for d in _days(START, T) if d.weekday() < 5])
    # DORM: active until 20 days before T, nothing since -> dormant.
    rows += _rows("DORM", range(3), _days(START, T - pd.Timedelta(days=21)))
    # BACK: active until 15 February, silent, back on 28 March -> reactivated.
    rows += _rows("BACK", range(2), _days(START, "2026-02-15"))
    rows += _rows("BACK", range(2), _days("2026-03-28", "2026-03-31"))
    # TRIAL: signed up 1 March, a burst of use, never paid -> trial not converted.
    rows += _rows("TRIAL", range(2), _days("2026-03-01", "2026-03-05"))
    # a user without an account is an account of its own
    rows += [
        {"user_id": "solo", "account_id": None, "event": "login", "timestamp": d}
        for d in _days("2026-03-01", "2026-03-03")
    ]
    return pd.DataFrame(rows)


def hand_dataset():
    ids = ["HOL", "SLIDE", "STEADY", "DORM", "BACK"]
    subs = pd.DataFrame(
        {
            "customer_id": ids,
            "start": pd.Timestamp("2025-06-01"),
            "end": pd.NaT,
            "mrr": [100.0, 500.0, 50.0, 300.0, 80.0],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": [*ids, "TRIAL"],
            "signup_at": [pd.Timestamp("2025-05-18")] * 5
            + [pd.Timestamp("2026-03-01")],
            "segment": ["SMB", "Enterprise", "SMB", "Mid-Market", "SMB", "SMB"],
        }
    )
    deals = pd.DataFrame(
        {
            "deal_id": ["d1"],
            "created_at": [pd.Timestamp("2025-04-01")],
            "closed_at": [pd.Timestamp("2025-06-01")],
            "status": ["won"],
            "amount": [6000.0],
            "owner": ["rep_07"],
            "customer_id": ["SLIDE"],
        }
    )
    return cl.load_dataset(
        {
            "events": hand_events(),
            "subscriptions": subs,
            "customers": customers,
            "deals": deals,
        }
    )


@pytest.fixture(scope="module")
def hand():
    return hand_dataset()


# ---------------------------------------------------------------- series


def test_activity_series_rolls_users_up_to_accounts(hand):
    s = cl.activity_series(hand, freq="M", as_of=AS_OF)
    mar = s[s.period == "2026-03-01"].set_index("account_id")
    # HOL: 5 users x 31 days, minus user 0's 7 holiday days
    assert mar.loc["HOL", "active_users"] == 5
    assert mar.loc["HOL", "user_days"] == 5 * 31 - 7
    assert mar.loc["HOL", "active_days"] == 31
    # the account-less user is rolled up to their own id
    assert mar.loc["solo", "active_users"] == 1
    assert mar.loc["solo", "active_days"] == 3
    assert s.period.max() == pd.Timestamp("2026-03-01")


# ---------------------------------------------------------------- signals


def test_signals_hand_made_accounts(hand):
    s = activity.activity_signals(hand, as_of=AS_OF).set_index("account_id")
    assert set(s.index) == {"HOL", "SLIDE", "STEADY", "DORM", "BACK"}
    # a single user's holiday week does not flag the account
    assert not s.loc["HOL", "slipping"]
    assert s.loc["HOL", "weeks_slipping"] == 0
    # a steady three-week slide (67%, 50%, 17% of the old level) of the whole team does
    assert s.loc["SLIDE", "slipping"]
    assert s.loc["SLIDE", "weeks_slipping"] == 2
    # baseline = weeks 2-9: seven weeks of 24 and the first slide week of 16
    assert s.loc["SLIDE", "baseline"] == (7 * 24 + 16) / 8
    assert s.loc["SLIDE", "activity_ratio"] == pytest.approx((12 + 4) / 2 / 23)
    assert not s.loc["STEADY", ["slipping", "dormant", "reactivated"]].any()
    # DORM's last active day is 21 days before T: 20 whole days without activity
    assert s.loc["DORM", "dormant"]
    assert s.loc["DORM", "days_inactive"] == 20
    assert s.loc["DORM", "last_active"] == pd.Timestamp("2026-03-11")
    assert s.loc["BACK", "reactivated"]
    assert not s.loc["BACK", "dormant"]


def test_holiday_in_small_team_does_not_flag():
    # two users every day; user 0 is away all of the last week: that week has 7
    # user-days against a baseline of 14 (50%, a low week), but only one
    ev = pd.DataFrame(
        _rows("PAIR", [1], _days(START, T - pd.Timedelta(days=1)))
        + _rows("PAIR", [0], _days(START, T - pd.Timedelta(days=8)))
    )
    subs = pd.DataFrame(
        {"customer_id": ["PAIR"], "start": [pd.Timestamp("2025-06-01")], "mrr": [9.0]}
    )
    ds = cl.load_dataset({"events": ev, "subscriptions": subs})
    s = activity.activity_signals(ds, as_of=AS_OF)
    assert s.weeks_slipping.iloc[0] == 1
    assert not s.slipping.any()
    assert s.activity_ratio.iloc[0] == pytest.approx((14 + 7) / 2 / 14)


def test_at_risk_keeps_trials_apart_and_sorts_by_mrr(hand):
    r = cl.at_risk(hand, as_of=AS_OF)
    assert list(r.columns[:4]) == ["group", "account_id", "signal", "mrr"]
    rec = r[r.group == "recovery"]
    assert rec.account_id.tolist() == ["SLIDE", "DORM"]  # 500 then 300 MRR
    assert rec.signal.tolist() == ["slipping", "dormant"]
    slide = rec.iloc[0]
    assert slide.owner == "rep_07" and slide.segment == "Enterprise"
    assert slide.users == 4 and slide["size"] == pytest.approx(8 / 23)
    assert rec.iloc[1]["size"] == 20 and rec.iloc[1].segment == "Mid-Market"
    conv = r[r.group == "conversion"]
    # the account-less user never paid either: their own account is a trial too
    assert conv.account_id.tolist() == ["TRIAL", "solo"]
    assert (conv.signal == "trial_not_converted").all()
    assert (conv.mrr == 0).all()
    # trial ended 15 March, 17 days before T
    assert conv["size"].iloc[0] == 17
    # recovery rows first, then conversion
    assert r.group.tolist() == ["recovery"] * 2 + ["conversion"] * 2
    r.to_csv(index=False)  # csv-ready


def test_at_risk_needs_subscriptions():
    with pytest.raises(ParameterError, match="subscriptions"):
        cl.at_risk(hand_events(), as_of=AS_OF)


def test_bad_parameters(hand):
    with pytest.raises(ParameterError, match="threshold"):
        cl.at_risk(hand, threshold=1.5)
    with pytest.raises(ParameterError, match="weeks"):
        cl.at_risk(hand, weeks=0)
    with pytest.raises(ParameterError, match="count_by"):
        cl.lifecycle(hand, count_by="team")
    with pytest.raises(ParameterError, match="signals"):
        cl.activity_backtest(hand, signals=("trial",))


# ------------------------------------------------------------ brute force


def _brute_slipping(ev, t, *, threshold=0.4, n=2, b=8, min_baseline=1.0):
    """Weeks slipping per account by direct day arithmetic."""
    ev = ev[ev.timestamp < t]
    ud = ev.assign(day=ev.timestamp.dt.normalize())[["account_id", "user_id", "day"]]
    ud = ud.drop_duplicates()
    out = {}
    for acc, g in ud.groupby("account_id"):
        weeks = []
        for k in range(n + b):
            lo, hi = t - pd.Timedelta(days=7 * (k + 1)), t - pd.Timedelta(days=7 * k)
            weeks.append(int(((g.day >= lo) & (g.day < hi)).sum()))
        base = sum(weeks[n:]) / b
        run = 0
        for w in weeks:
            if w < (1 - threshold) * base:
                run += 1
            else:
                break
        if base < min_baseline:
            run = 0
        out[acc] = (run, base >= min_baseline and run >= n)
    return out


@st.composite
def account_events(draw):
    rows = []
    for a in range(draw(st.integers(1, 3))):
        for u in range(draw(st.integers(1, 3))):
            days = draw(st.lists(st.integers(0, 80), min_size=0, max_size=40))
            for d in days:
                rows.append(
                    {
                        "user_id": f"u{a}{u}",
                        "account_id": f"A{a}",
                        "event": "x",
                        "timestamp": T - pd.Timedelta(days=d + 1, hours=-3),
                    }
                )
    rows.append({"user_id": "z", "account_id": "A0", "event": "x", "timestamp": START})
    return pd.DataFrame(rows)


@settings(max_examples=20)
@given(account_events(), st.sampled_from([0.3, 0.5]), st.integers(1, 3))
def test_slipping_matches_brute_force(ev, threshold, n):
    accounts = sorted(ev.account_id.unique())
    subs = pd.DataFrame(
        {"customer_id": accounts, "start": pd.Timestamp("2025-01-01"), "mrr": 10.0}
    )
    ds = cl.load_dataset({"events": ev, "subscriptions": subs})
    got = activity.activity_signals(
        ds, as_of=AS_OF, threshold=threshold, weeks=n, baseline_weeks=4
    ).set_index("account_id")
    want = _brute_slipping(ev, T, threshold=threshold, n=n, b=4)
    for acc in accounts:
        run, flag = want.get(acc, (0, False))
        assert got.loc[acc, "weeks_slipping"] == run, acc
        assert bool(got.loc[acc, "slipping"]) == flag, acc


# ---------------------------------------------------------------- backtest


@pytest.fixture(scope="module")
def sample():
    return cl.sample_dataset()


@pytest.fixture(scope="module")
def backtest(sample):
    return cl.activity_backtest(sample, as_of="2026-10-31")


def test_backtest_on_sample_recovers_planted_decline(backtest):
    # 60% of churns are preceded by a 4-8 week decline to 10% of baseline; a
    # flag at a month's start sees it only for churns in the next few weeks,
    # so over a 90-day horizon: precision ~0.16, recall ~0.13, base rate ~0.08.
    o = backtest[backtest.scope == "overall"].iloc[0]
    assert 0.12 <= o.precision <= 0.21
    assert 0.09 <= o.recall <= 0.18
    assert 0.06 <= o.base_rate <= 0.10
    assert o.lift >= 1.5
    months = backtest[backtest.scope == "period"]
    assert months.period.min() == pd.Timestamp("2026-02-01")  # 10 weeks of events
    assert (months.lift.dropna() > 1).all()


def test_backtest_censors_open_horizons(backtest):
    months = backtest[backtest.scope == "period"]
    open_ = months[~months.horizon_complete]
    # flags from September on have a horizon ending after 1 November
    assert open_.period.min() == pd.Timestamp("2026-09-01")
    assert open_[["churned_flagged", "precision", "lift", "recall"]].isna().all().all()
    assert (open_.flagged > 0).all()
    done = months[months.horizon_complete]
    o = backtest[backtest.scope == "overall"].iloc[0]
    assert o.flagged == done.flagged.sum()
    assert o.churned_flagged == done.churned_flagged.sum()
    np.testing.assert_allclose(done.precision, done.churned_flagged / done.flagged)
    np.testing.assert_allclose(done.paying, done.flagged + done.unflagged)


def test_backtest_by_segment(sample):
    bt = cl.activity_backtest(sample, as_of="2026-10-31", by="segment")
    o = bt[bt.scope == "overall"].set_index("segment")
    assert set(o.index) == {"SMB", "Mid-Market", "Enterprise"}
    whole = cl.activity_backtest(sample, as_of="2026-10-31")
    assert o.flagged.sum() == whole[whole.scope == "overall"].flagged.iloc[0]


def test_backtest_hand_made_churn():
    # SLIDE slips before 1 April and cancels on 20 April; STEADY never churns
    ds = hand_dataset()
    subs = engine.execute(ds.subscriptions)
    subs.loc[subs.customer_id == "SLIDE", "end"] = pd.Timestamp("2026-04-20")
    ds = cl.load_dataset({"events": hand_events(), "subscriptions": subs}, tz="UTC")
    bt = cl.activity_backtest(ds, as_of="2026-07-31", baseline_weeks=8)
    apr = bt[(bt.scope == "period") & (bt.period == "2026-04-01")].iloc[0]
    assert apr.horizon_complete
    assert apr.paying == 5 and apr.flagged == 2  # SLIDE slipping, DORM dormant
    assert apr.churned_flagged == 1 and apr.churned == 1
    assert apr.precision == 0.5 and apr.recall == 1.0 and apr.base_rate == 0


# ---------------------------------------------------------------- lifecycle

LC_EVENTS = pd.DataFrame(
    {
        "user_id": ["a", "a", "b", "b", "c", "a", "d"],
        "event": "x",
        "timestamp": pd.to_datetime(
            [
                "2026-01-05",  # a new in Jan
                "2026-02-10",  # a returning in Feb
                "2026-01-20",  # b new in Jan, dormant in Feb
                "2026-03-03",  # b resurrecting in Mar
                "2026-02-01",  # c new in Feb, dormant in Mar
                "2026-03-31 23:00",  # a returning in Mar
                "2026-04-02",  # d: April is after as_of, not reported
            ],
            format="ISO8601",
        ),
    }
)


def test_lifecycle_hand_computed():
    lc = cl.lifecycle(LC_EVENTS, freq="M", as_of="2026-03-31")
    got = lc.set_index("period")[
        ["active", "new", "returning", "resurrecting", "dormant"]
    ]
    expected = pd.DataFrame(
        {
            "active": [2, 2, 2],
            "new": [2, 1, 0],
            "returning": [0, 1, 1],
            "resurrecting": [0, 0, 1],
            "dormant": [0, 1, 1],
        },
        index=pd.DatetimeIndex(
            pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]), name="period"
        ),
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert lc.left_censored.tolist() == [True, False, False]


def test_lifecycle_fills_empty_periods():
    ev = LC_EVENTS.iloc[[0]]  # only a, in January
    lc = cl.lifecycle(ev, freq="M", as_of="2026-03-31")
    assert lc.active.tolist() == [1, 0, 0]
    assert lc.dormant.tolist() == [0, 1, 0]


def _brute_lifecycle(ev, freq, last):
    idx = ev.assign(p=ev.timestamp.dt.to_period(freq))
    sets = idx.groupby("p")["user_id"].agg(set).to_dict()
    periods = pd.period_range(min(sets), last, freq=freq)
    seen, prev, rows = set(), set(), []
    for p in periods:
        cur = sets.get(p, set())
        rows.append(
            {
                "active": len(cur),
                "new": len(cur - seen),
                "returning": len(cur & prev),
                "resurrecting": len((cur - prev) & seen),
                "dormant": len(prev - cur),
            }
        )
        seen |= cur
        prev = cur
    return pd.DataFrame(rows)


@settings(max_examples=25)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcdef"), st.integers(0, 120)),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["W", "M"]),
)
def test_lifecycle_matches_brute_force_and_reconciles(pairs, freq):
    ev = pd.DataFrame(
        {
            "user_id": [u for u, _ in pairs],
            "event": "x",
            "timestamp": [START + pd.Timedelta(days=d, hours=5) for _, d in pairs],
        }
    )
    as_of = "2026-05-31"
    lc = cl.lifecycle(ev, freq=freq, as_of=as_of)
    last = pd.Period("2026-05-31", freq="W-SUN" if freq == "W" else "M")
    if freq == "W":
        last = pd.Period("2026-05-31", freq="W-SUN")
    want = _brute_lifecycle(
        ev.assign(timestamp=ev.timestamp), "W-SUN" if freq == "W" else "M", last
    )
    got = lc[["active", "new", "returning", "resurrecting", "dormant"]]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    assert (lc.active == lc.new + lc.returning + lc.resurrecting).all()
    assert (lc.active.shift(1).fillna(0) == lc.active_previous).all()


def test_lifecycle_accounts_by_segment(sample):
    lc = cl.lifecycle(
        sample, freq="M", count_by="account", by="segment", as_of="2026-10-31"
    )
    assert set(lc.segment) == {"SMB", "Mid-Market", "Enterprise"}
    for _seg, g in lc.groupby("segment"):
        assert (g.active.shift(1).fillna(0) == g.active_previous).all()
        assert (g.active == g.new + g.returning + g.resurrecting).all()


# ---------------------------------------------------------------- stickiness


@settings(max_examples=25)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.integers(0, 60), st.integers(0, 23)),
        min_size=1,
        max_size=50,
    )
)
def test_stickiness_matches_brute_force(rows):
    ev = pd.DataFrame(
        {
            "user_id": [u for u, _, _ in rows],
            "event": "x",
            "timestamp": [START + pd.Timedelta(days=d, hours=h) for _, d, h in rows],
        }
    )
    st_ = cl.stickiness(ev, freq="M", as_of="2026-03-31")
    ev["period"] = ev.timestamp.dt.to_period("M").dt.start_time
    ev["day"] = ev.timestamp.dt.normalize()
    days = ev.groupby(["period", "user_id"]).day.nunique()
    want = days.groupby(level="period").value_counts()
    got = st_[st_.users > 0].set_index(["period", "days_active"]).users
    assert sorted(got.items()) == sorted(
        ((p, int(d)), int(n)) for (p, d), n in want.items()
    )
    g = st_.groupby("period")
    assert (g.users.sum() == g.active_users.first()).all()
    assert (g.days_active.max() == g.period.first().dt.days_in_month).all()


def test_dau_mau_hand_computed():
    # February 2026 (28 days): a active on 2 days, b on 1 day -> DAU = 3/28;
    # MAU = 2. WAU: a is in the trailing 7 days on 7 + 7 days (2 Feb and 20 Feb,
    # no overlap), b on 7 -> WAU mean = 21/28.
    ev = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "z"],
            "event": "x",
            "timestamp": pd.to_datetime(
                ["2026-02-02", "2026-02-20 08:00", "2026-02-10", "2026-01-01"],
                format="ISO8601",
            ),
        }
    )
    m = cl.dau_mau(ev, as_of="2026-02-28").set_index("period")
    feb = m.loc["2026-02-01"]
    assert feb.mau == 2 and feb.days == 28
    assert feb.dau == pytest.approx(3 / 28)
    assert feb.wau == pytest.approx(21 / 28)
    assert feb.dau_mau == pytest.approx(3 / 28 / 2)
    assert np.isnan(m.loc["2026-01-01", "wau"])  # no history before the data


# ---------------------------------------------------------- recurring retention


def _brute_recurring(ev, freq, last, bounded):
    p = ev.timestamp.dt.to_period(freq)
    sets = ev.assign(p=p).groupby("p").user_id.agg(set).to_dict()
    rows = []
    for c in sorted(sets):
        if c > last:
            continue
        for k in range((last - c).n + 1):
            later = [sets.get(c + j, set()) for j in range(k, (last - c).n + 1)]
            members = sets[c]
            act = members & (later[0] if bounded else set().union(*later))
            rows.append((c.start_time, k, len(members), len(act)))
    return rows


@settings(max_examples=25)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcdef"), st.integers(0, 150)),
        min_size=1,
        max_size=40,
    ),
    st.booleans(),
)
def test_recurring_retention_matches_brute_force(pairs, bounded):
    ev = pd.DataFrame(
        {
            "user_id": [u for u, _ in pairs],
            "event": "x",
            "timestamp": [START + pd.Timedelta(days=d) for _, d in pairs],
        }
    )
    r = cl.recurring_retention(ev, freq="M", bounded=bounded, as_of="2026-04-30")
    want = _brute_recurring(ev, "M", pd.Period("2026-04", "M"), bounded)
    got = list(
        zip(
            r.cohort,
            r.period_number,
            r.cohort_size,
            r.customers_active,
            strict=True,
        )
    )
    assert got == want
    assert (r.retention == r.customers_active / r.cohort_size).all()


def test_recurring_retention_on_orders_and_event_filter(sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        r = cl.recurring_retention(sample, source="orders", as_of="2026-10-31")
    assert list(r.columns) == [
        "cohort",
        "period_number",
        "period",
        "cohort_size",
        "customers_active",
        "retention",
    ]
    assert (r[r.period_number == 0].retention == 1).all()
    logins = cl.recurring_retention(sample, event="login", as_of="2026-10-31")
    every = cl.recurring_retention(sample, as_of="2026-10-31")
    assert (logins.cohort_size.values <= every.cohort_size.values).all()
    with pytest.raises(ParameterError, match="event"):
        cl.recurring_retention(sample, source="orders", event="login")


# ---------------------------------------------------------------- backends


@pytest.mark.spark
def test_duckdb_and_pyspark_agree(spark_con):
    ev = hand_events()
    ds_duck = hand_dataset()
    tables = {
        "events": engine.load(spark_con, "act_events", ev),
        "subscriptions": engine.load(
            spark_con, "act_subs", engine.execute(ds_duck.subscriptions)
        ),
        "customers": engine.load(
            spark_con, "act_customers", engine.execute(ds_duck.customers)
        ),
    }
    ds_spark = cl.load_dataset(tables)
    for func, kwargs in [
        (cl.activity_series, {"freq": "W"}),
        (activity.activity_signals, {}),
        (cl.lifecycle, {"freq": "W", "count_by": "account"}),
        (cl.stickiness, {"freq": "W"}),
        (cl.dau_mau, {}),
        (cl.recurring_retention, {"freq": "W"}),
        (cl.recurring_retention, {"freq": "W", "bounded": False}),
    ]:
        a = func(ds_duck, as_of=AS_OF, **kwargs)
        b = func(ds_spark, as_of=AS_OF, **kwargs)
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False
        )
    ds_duck_nodeal = cl.load_dataset(
        {k: getattr(ds_duck, k) for k in ("events", "subscriptions", "customers")}
    )
    a = cl.at_risk(ds_duck_nodeal, as_of=AS_OF)
    b = cl.at_risk(ds_spark, as_of=AS_OF)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    a = cl.activity_backtest(ds_duck_nodeal, as_of="2026-07-31")
    b = cl.activity_backtest(ds_spark, as_of="2026-07-31")
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_a_dataset_folder_is_loaded_whole(tmp_path):
    ds = hand_dataset()
    for name in ("events", "subscriptions", "customers"):
        engine.execute(getattr(ds, name)).to_parquet(tmp_path / f"{name}.parquet")
    r = cl.at_risk(str(tmp_path), as_of=AS_OF)
    assert r.account_id.tolist() == ["SLIDE", "DORM", "TRIAL", "solo"]
    lc = cl.lifecycle(tmp_path, freq="M", as_of=AS_OF)
    assert lc.active.iloc[-1] > 0
    rr = cl.recurring_retention(tmp_path, as_of=AS_OF)
    assert (rr[rr.period_number == 0].retention == 1).all()
