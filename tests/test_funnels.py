"""Product funnels: hand-computed cases, an oracle property, backends, real data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ibis import _

import churnlab as cl
from churnlab import engine
from churnlab.errors import ChurnlabWarning, ParameterError
from tests.conftest import real_file

AS_OF = "2026-06-30"  # long after every hand-made event: nobody is censored


def ts(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), format="ISO8601"))


def events(rows: list[tuple[str, str, str]], **extra: list) -> pd.DataFrame:
    """(user_id, event, timestamp) rows as an events frame."""
    frame = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601")
    for col, values in extra.items():
        frame[col] = values
    return frame


def users(frame: pd.DataFrame) -> list[int]:
    return frame["users"].tolist()


# ------------------------------------------------------------- hand computed


WINDOW_EDGE = events(
    [
        # a: s2 exactly 7 days after s1 -> converts (the limit is inclusive)
        ("a", "s1", "2026-01-01 00:00:00"),
        ("a", "s2", "2026-01-08 00:00:00"),
        # b: s2 7 days and 1 second after s1 -> does not convert
        ("b", "s1", "2026-01-01 00:00:00"),
        ("b", "s2", "2026-01-08 00:00:01"),
        # c: s3 one second inside the window, counted from s1 (not from s2)
        ("c", "s1", "2026-01-01 12:00:00"),
        ("c", "s2", "2026-01-07 12:00:00"),
        ("c", "s3", "2026-01-08 11:59:59"),
    ]
)


def test_window_edges_inclusive_to_the_second():
    f = cl.funnel(WINDOW_EDGE, steps=["s1", "s2", "s3"], window="7D", as_of=AS_OF)
    # step 1: a, b, c = 3; step 2: a, c = 2 (b is 1 s late); step 3: c = 1
    assert users(f) == [3, 2, 1]
    assert f["conversion_from_previous"].tolist() == [1.0, 2 / 3, 1 / 2]
    assert f["conversion_from_first"].tolist() == [1.0, 2 / 3, 1 / 3]
    assert f["users_dropped"].tolist() == [0, 1, 1]
    per = cl.funnel_users(
        WINDOW_EDGE, steps=["s1", "s2", "s3"], window="7D", as_of=AS_OF
    )
    assert per.set_index("user_id")["steps_reached"].to_dict() == {
        "a": 2,
        "b": 1,
        "c": 3,
    }


def test_window_of_hours_and_timedelta():
    # same data, window 6 days 12 hours: a (7 d) and b miss; c's s2 at 6 d in
    f = cl.funnel(
        WINDOW_EDGE, steps=["s1", "s2"], window=pd.Timedelta(hours=156), as_of=AS_OF
    )
    assert users(f) == [3, 1]


REPEATS = events(
    [
        # a: first attempt on 1 Jan dies; a second s1 on 10 Jan converts on 12 Jan
        ("a", "s1", "2026-01-01"),
        ("a", "s1", "2026-01-10"),
        ("a", "s2", "2026-01-12"),
        # b: s1 repeated inside one window: the later start still reaches s2
        ("b", "s1", "2026-01-01"),
        ("b", "s1", "2026-01-03"),
        ("b", "s2", "2026-01-09"),
        # c: s2 happens twice, then s3 after the second one
        ("c", "s1", "2026-01-01"),
        ("c", "s2", "2026-01-02"),
        ("c", "s2", "2026-01-03"),
        ("c", "s3", "2026-01-04"),
    ]
)


def test_repeated_step_events_every_attempt_counts():
    # all attempts: a via its 10 Jan start; b via 3 Jan (9 Jan is 6 d later);
    # step 2: a, b, c = 3; step 3: c only
    f = cl.funnel(REPEATS, steps=["s1", "s2", "s3"], window="7D", as_of=AS_OF)
    assert users(f) == [3, 3, 1]


def test_first_attempt_only():
    # a's first attempt (1 Jan) never sees s2 within 7 days; b's first start
    # (1 Jan) is 8 days before s2; c converts on its only attempt
    f = cl.funnel(
        REPEATS, steps=["s1", "s2", "s3"], window="7D", attempts="first", as_of=AS_OF
    )
    assert users(f) == [3, 1, 1]
    fs = cl.funnel(
        REPEATS,
        steps=["s1", "s2", "s3"],
        window="7D",
        order="strict",
        attempts="first",
        as_of=AS_OF,
    )
    # strict, first attempt: a (s1 then s1) breaks; b (s1, s1) breaks;
    # c: s1, s2, s2 -> the second s2 is not s3: stops at step 2
    assert users(fs) == [3, 1, 0]


OUT_OF_ORDER = events(
    [
        # a: s2 before s1 only -> not converted
        ("a", "s2", "2026-01-01"),
        ("a", "s1", "2026-01-02"),
        # b: s3 before s2 -> reaches s2 but not s3
        ("b", "s1", "2026-01-01"),
        ("b", "s3", "2026-01-02"),
        ("b", "s2", "2026-01-03"),
        # c: skips s2 -> stays at step 1 (s3 alone does not count)
        ("c", "s1", "2026-01-01"),
        ("c", "s3", "2026-01-02"),
        # d: never does step 1 -> not in the funnel at all
        ("d", "s2", "2026-01-01"),
        ("d", "s3", "2026-01-02"),
    ]
)


def test_out_of_order_and_skipped_steps():
    f = cl.funnel(OUT_OF_ORDER, steps=["s1", "s2", "s3"], as_of=AS_OF)
    # step 1: a, b, c; step 2: b; step 3: nobody
    assert users(f) == [3, 1, 0]
    assert np.isnan(f["median_hours_from_previous"].iloc[2])


TIES = events(
    [
        # a: s1 and s2 at the same instant -> converts (loose and strict)
        ("a", "s1", "2026-01-01 10:00"),
        ("a", "s2", "2026-01-01 10:00"),
        # b: s2 listed first in the file, same instant -> still converts
        ("b", "s2", "2026-01-01 10:00"),
        ("b", "s1", "2026-01-01 10:00"),
        # c: one view only: a repeated step needs another event
        ("c", "view", "2026-01-01 10:00"),
        # d: two views at the same instant -> view -> view converts
        ("d", "view", "2026-01-01 10:00"),
        ("d", "view", "2026-01-01 10:00"),
    ]
)


@pytest.mark.parametrize("order", ["loose", "strict"])
def test_ties_in_time_count(order):
    assert users(cl.funnel(TIES, steps=["s1", "s2"], order=order, as_of=AS_OF)) == [
        2,
        2,
    ]
    # view -> view: c has one view (1 user at step 1 only), d has two
    assert users(cl.funnel(TIES, steps=["view", "view"], order=order, as_of=AS_OF)) == [
        2,
        1,
    ]


STRICT = events(
    [
        # a: s1, other event, s2 -> loose converts, strict breaks
        ("a", "s1", "2026-01-01"),
        ("a", "x", "2026-01-02"),
        ("a", "s2", "2026-01-03"),
        # b: s1, s1, s2 -> strict: the second s1 starts an attempt that converts
        ("b", "s1", "2026-01-01"),
        ("b", "s1", "2026-01-02"),
        ("b", "s2", "2026-01-03"),
        # c: s1, s2, x, s3 -> strict stops at s2, loose reaches s3
        ("c", "s1", "2026-01-01"),
        ("c", "s2", "2026-01-02"),
        ("c", "x", "2026-01-03"),
        ("c", "s3", "2026-01-04"),
    ]
)


def test_strict_vs_loose():
    loose = cl.funnel(STRICT, steps=["s1", "s2", "s3"], order="loose", as_of=AS_OF)
    strict = cl.funnel(STRICT, steps=["s1", "s2", "s3"], order="strict", as_of=AS_OF)
    assert users(loose) == [3, 3, 1]  # everyone reaches s2; c reaches s3
    assert users(strict) == [3, 2, 0]  # a breaks at x; c breaks at x


def test_censored_users_reported_apart():
    ev = events(
        [
            # a entered 10 days before the cutoff and converted
            ("a", "s1", "2026-03-22"),
            ("a", "s2", "2026-03-23"),
            # b entered 10 days before and did not convert: dropped
            ("b", "s1", "2026-03-22"),
            # c entered 3 days before the cutoff (within 7 days): censored
            ("c", "s1", "2026-03-29"),
            # d entered 2 days before and already converted: still censored
            ("d", "s1", "2026-03-30"),
            ("d", "s2", "2026-03-30 12:00"),
        ]
    )
    # as_of 31 March: the cutoff is 1 April 00:00; entry + 7 days >= cutoff
    # for entries on or after 25 March 00:00 -> c and d are censored
    f = cl.funnel(ev, steps=["s1", "s2"], window="7D", as_of="2026-03-31")
    assert users(f) == [2, 1]
    assert f["users_censored"].tolist() == [2, 1]
    assert f["conversion_from_first"].tolist() == [1.0, 0.5]
    dropped = cl.funnel_dropped(
        ev, steps=["s1", "s2"], window="7D", step="s2", as_of="2026-03-31"
    )
    assert dropped["user_id"].tolist() == ["b"]


def test_default_as_of_is_the_last_event_day():
    # data ends 8 Jan: the cutoff is 9 Jan 00:00; entries on 1 Jan + 7 days are
    # before it, so nobody is censored
    f = cl.funnel(WINDOW_EDGE, steps=["s1", "s2"])
    assert f.attrs["as_of"] == pd.Timestamp("2026-01-08")
    assert users(f) == [3, 2]
    assert f["users_censored"].tolist() == [0, 0]
    # one day earlier (cutoff 8 Jan 00:00): every entry + 7 days >= cutoff
    early = cl.funnel(WINDOW_EDGE, steps=["s1", "s2"], as_of="2026-01-07")
    assert users(early) == [0, 0]


def test_events_after_as_of_are_ignored():
    f = cl.funnel(WINDOW_EDGE, steps=["s1", "s2"], window="7D", as_of="2026-01-07")
    # cutoff 8 Jan 00:00: a's s2 at 8 Jan 00:00 is after it; all censored
    # (entered 1 Jan, 1 Jan + 7 d >= 8 Jan)
    assert users(f) == [0, 0]
    assert f["users_censored"].tolist() == [3, 1]  # c's s2 on 7 Jan counts so far


def test_count_by_account_merges_users():
    ev = events(
        [
            ("u1", "s1", "2026-01-01"),
            ("u2", "s2", "2026-01-02"),  # same account, other user
            ("u3", "s1", "2026-01-01"),
        ],
        account_id=["A", "A", "B"],
    )
    by_user = cl.funnel(ev, steps=["s1", "s2"], as_of=AS_OF)
    by_account = cl.funnel(ev, steps=["s1", "s2"], count_by="account", as_of=AS_OF)
    assert users(by_user) == [2, 0]
    assert by_account["accounts"].tolist() == [2, 1]
    assert "users" not in by_account.columns


def test_account_rows_without_id_are_counted_and_warned():
    ev = events(
        [("u1", "s1", "2026-01-01"), ("u2", "s1", "2026-01-01")],
        account_id=["A", None],
    )
    with pytest.warns(ChurnlabWarning, match="1 rows without account_id"):
        f = cl.funnel(ev, steps=["s1", "s2"], count_by="account", as_of=AS_OF)
    assert f["accounts"].tolist() == [1, 0]


def test_breakdown_by_event_column_uses_first_touch():
    ev = events(
        [
            ("a", "s1", "2026-01-01"),
            ("a", "s1", "2026-01-02"),  # later touch from another country
            ("a", "s2", "2026-01-03"),
            ("b", "s1", "2026-01-01"),
        ],
        country=["DE", "US", "US", "US"],
    )
    f = cl.funnel(ev, steps=["s1", "s2"], by="country", as_of=AS_OF)
    # a's group is DE (its first s1), b's is US
    got = f.set_index(["country", "step_index"])["users"].to_dict()
    assert got == {("DE", 1): 1, ("DE", 2): 1, ("US", 1): 1, ("US", 2): 0}


def test_breakdown_by_customer_attribute():
    ev = events(
        [
            ("u1", "s1", "2026-01-01"),
            ("u1", "s2", "2026-01-02"),
            ("u2", "s1", "2026-01-01"),
            ("u3", "s1", "2026-01-01"),
        ],
        account_id=["C1", "C1", "C2", "C9"],  # C9 has no customer row
    )
    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "plan": ["Pro", "Free"]})
    ds = cl.load_dataset({"events": ev, "customers": customers})
    f = cl.funnel(ds, steps=["s1", "s2"], by="plan", as_of=AS_OF)
    got = list(zip(f["plan"], f["step_index"], f["users"], strict=True))
    # u3's account C9 has no customer row: its group is None, not dropped
    assert sorted(got, key=str) == sorted(
        [("Free", 1, 1), ("Free", 2, 0), ("Pro", 1, 1), ("Pro", 2, 1),
         (None, 1, 1), (None, 2, 0)], key=str,
    )  # fmt: skip


def test_step_property_filters():
    ev = events(
        [
            ("a", "signup", "2026-01-01"),
            ("a", "purchase", "2026-01-02"),
            ("b", "signup", "2026-01-01"),
            ("b", "purchase", "2026-01-02"),
        ],
        properties=[
            '{"src": "ad"}',
            '{"plan": "pro", "n": 2}',
            "{}",
            '{"plan":"free"}',
        ],
        plan=["", "pro", "", "free"],
    )
    pro = {"event": "purchase", "where": {"plan": "pro"}, "name": "pro purchase"}
    f = cl.funnel(ev, steps=["signup", pro], as_of=AS_OF)  # plan is a column here
    assert f["step"].tolist() == ["signup", "pro purchase"]
    assert users(f) == [2, 1]
    by_json = cl.funnel(
        ev.drop(columns="plan"),
        steps=["signup", {"event": "purchase", "where": {"plan": ["pro", "x"]}}],
        as_of=AS_OF,
    )
    assert users(by_json) == [2, 1]
    deferred = cl.funnel(
        ev,
        steps=["signup", {"event": "purchase", "where": _.properties.contains("free")}],
        as_of=AS_OF,
    )
    assert users(deferred) == [2, 1]
    with pytest.raises(ParameterError, match="neither a column"):
        cl.funnel(
            ev.drop(columns=["plan", "properties"]),
            steps=["signup", {"event": "purchase", "where": {"plan": "pro"}}],
            as_of=AS_OF,
        )


def test_time_to_convert_within_the_converting_attempt():
    ev = events(
        [
            # a: a first attempt (1 Jan) dies; the second (20 Jan 00:00) reaches
            # s2 after 6 h and s3 after 30 h (24 h after s2)
            ("a", "s1", "2026-01-01"),
            ("a", "s1", "2026-01-20 00:00"),
            ("a", "s2", "2026-01-20 06:00"),
            ("a", "s3", "2026-01-21 06:00"),
            # b: s2 after 2 h, s3 after 10 h (8 h after s2)
            ("b", "s1", "2026-01-01 00:00"),
            ("b", "s2", "2026-01-01 02:00"),
            ("b", "s3", "2026-01-01 10:00"),
        ]
    )
    f = cl.funnel(ev, steps=["s1", "s2", "s3"], window="2D", as_of=AS_OF)
    # from previous, step 2: (6 + 2) / 2 = 4 h; step 3: (24 + 8) / 2 = 16 h
    assert f["median_hours_from_previous"].tolist()[1:] == [4.0, 16.0]
    assert f["mean_hours_from_previous"].tolist()[1:] == [4.0, 16.0]
    # from the start of the attempt: step 3 = (30 + 10) / 2 = 20 h
    assert f["median_hours_from_first"].tolist()[2] == 20.0
    times = cl.funnel_times(ev, steps=["s1", "s2", "s3"], window="2D", as_of=AS_OF)
    a = times[times["user_id"] == "a"].set_index("step")
    assert a["hours_from_previous"].to_dict() == {"s2": 6.0, "s3": 24.0}
    assert a["hours_from_first"].to_dict() == {"s2": 6.0, "s3": 30.0}
    strict = cl.funnel(
        ev, steps=["s1", "s2", "s3"], window="2D", order="strict", as_of=AS_OF
    )
    assert strict["median_hours_from_previous"].tolist()[1:] == [4.0, 16.0]


def test_funnel_trend_by_entry_week():
    ev = events(
        [
            ("a", "s1", "2026-01-05"),  # week of Mon 5 Jan, converts
            ("a", "s2", "2026-01-06"),
            ("b", "s1", "2026-01-07"),  # same week, does not
            ("c", "s1", "2026-01-12"),  # week of 12 Jan, converts
            ("c", "s2", "2026-01-13"),
            ("d", "s1", "2026-01-28"),  # week of 26 Jan: censored at as_of
        ]
    )
    t = cl.funnel_trend(
        ev, steps=["s1", "s2"], window="7D", freq="W", as_of="2026-02-01"
    )
    assert t["period"].tolist() == list(pd.to_datetime(["2026-01-05", "2026-01-12",
                                                        "2026-01-26"]))  # fmt: skip
    assert t["users_entered"].tolist() == [2, 1, 0]
    assert t["users_converted"].tolist() == [1, 1, 0]
    assert t["conversion_rate"].tolist()[:2] == [0.5, 1.0]
    assert np.isnan(t["conversion_rate"].iloc[2])
    assert t["users_censored"].tolist() == [0, 0, 1]


def test_conversion_curve_is_one_minus_kaplan_meier():
    from lifelines import KaplanMeierFitter

    ev = events(
        [
            ("a", "s1", "2026-03-01 00:00"),
            ("a", "s2", "2026-03-01 10:00"),  # converts after 10 h
            ("b", "s1", "2026-03-01 00:00"),
            ("b", "s2", "2026-03-02 00:00"),  # converts after 24 h
            ("c", "s1", "2026-03-01 00:00"),  # never: censored at cutoff (72 h)
            ("d", "s1", "2026-03-03 12:00"),  # recent: censored at 12 h
        ]
    )
    c = cl.funnel_conversion_curve(
        ev, steps=["s1", "s2"], window="7D", as_of="2026-03-03"
    )
    km = KaplanMeierFitter().fit([10, 24, 72, 12], [1, 1, 0, 0])
    expected = 1 - km.survival_function_.iloc[:, 0]
    got = c.set_index("hours_since_entry")["conversion"]
    pd.testing.assert_series_equal(
        got, expected.rename("conversion"), check_index_type=False, check_names=False
    )
    # by hand: 4 at risk at 10 h -> 1/4; 12 h censors d; at 24 h 2 at risk -> 1/2
    assert got.loc[24.0] == pytest.approx(1 - (3 / 4) * (1 / 2))
    assert c["users_at_risk"].tolist()[:2] == [4, 4]


def test_parameter_errors():
    with pytest.raises(ParameterError, match="at least two steps"):
        cl.funnel(WINDOW_EDGE, steps=["s1"])
    with pytest.raises(ParameterError, match="ambiguous"):
        cl.funnel(WINDOW_EDGE, steps=["s1", "s2"], window=7)
    with pytest.raises(ParameterError, match="positive"):
        cl.funnel(WINDOW_EDGE, steps=["s1", "s2"], window="-1D")
    with pytest.raises(ParameterError, match="order="):
        cl.funnel(WINDOW_EDGE, steps=["s1", "s2"], order="sequential")
    with pytest.raises(ParameterError, match="neither an events column|not a column"):
        cl.funnel(WINDOW_EDGE, steps=["s1", "s2"], by="plan")
    with pytest.raises(ParameterError, match="account_id"):
        cl.funnel(WINDOW_EDGE, steps=["s1", "s2"], count_by="account")
    with pytest.raises(ParameterError, match="users drop at steps"):
        cl.funnel_dropped(WINDOW_EDGE, steps=["s1", "s2"], step=1)


SAME_INSTANT_STEPS = [
    ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"],
    ["a", "b"] * 5,
    ["a", "a", "b", "a", "b", "b", "a", "c", "c", "a"],
]


@pytest.mark.parametrize("steps", SAME_INSTANT_STEPS, ids=["distinct", "ab", "mixed"])
@pytest.mark.parametrize("attempts", ["all", "first"])
def test_ten_steps_at_one_instant_all_count(steps, attempts):
    # PostHog: steps at the same instant count, whatever their number. One user,
    # one event per step, all at 10:00, listed in reverse: reaches step 10.
    rng = np.random.default_rng(len(set(steps)))
    ev = events([("u", e, "2026-01-01 10:00") for e in rng.permutation(steps)])
    f = cl.funnel(ev, steps=steps, attempts=attempts, as_of=AS_OF)
    assert users(f) == [1] * 10
    assert f["median_hours_from_previous"].iloc[1:].eq(0).all()
    # one event short of a repeated step: the funnel stops where events run out
    short = ev[ev["event"] != steps[-1]]
    if steps.count(steps[-1]) > 1:
        short = pd.concat([short, ev[ev["event"] == steps[-1]].iloc[1:]])
        got = users(cl.funnel(short, steps=steps, attempts=attempts, as_of=AS_OF))
        assert got == [1] * 9 + [0]


# ----------------------------------------------------------------- properties


def oracle(frame: pd.DataFrame, steps: list[str], window: str, order: str,
           attempts: str) -> list[int]:  # fmt: skip
    """Brute force: every attempt walked in plain Python, per user."""
    w = pd.Timedelta(window)
    n = len(steps)
    first = {name: steps.index(name) for name in set(steps)}
    best: dict[str, int] = {}
    for user, g in frame.groupby("user_id"):
        g = g.assign(fs=g["event"].map(first).fillna(n))
        g = g.sort_values(["timestamp", "fs", "event"], kind="stable")
        times, names = list(g["timestamp"]), list(g["event"])
        starts = [i for i, e in enumerate(names) if e == steps[0]]
        if attempts == "first":
            starts = starts[:1]
        for i in starts:
            level, pos, used = 1, i, {i}
            for step in steps[1:]:
                if order == "strict":
                    m = pos + 1
                    ok = m < len(names) and names[m] == step
                    ok = ok and times[m] <= times[i] + w
                else:
                    # loose: the earliest unused event of the step, at the same
                    # instant as the current step or later (events at one
                    # instant may serve steps in any order, each event once)
                    cands = [
                        m
                        for m in range(len(names))
                        if m not in used
                        and names[m] == step
                        and times[pos] <= times[m] <= times[i] + w
                    ]
                    ok = bool(cands)
                    m = min(cands, key=lambda x: times[x]) if cands else -1
                if not ok:
                    break
                if times[m] != times[pos]:
                    used = set()
                used.add(m)
                level, pos = level + 1, m
            best[user] = max(best.get(user, 0), level)
    return [sum(v >= k for v in best.values()) for k in range(1, n + 1)]


@st.composite
def event_sets(draw):
    n = draw(st.integers(1, 25))
    rows = []
    for _i in range(n):
        rows.append(
            (
                f"u{draw(st.integers(0, 4))}",
                draw(st.sampled_from(["a", "b", "c", "x"])),
                pd.Timestamp("2026-01-01")
                + pd.Timedelta(hours=12 * draw(st.integers(0, 16))),
            )
        )
    frame = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    steps = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=2, max_size=4))
    return frame, steps


@given(
    data=event_sets(),
    window=st.sampled_from(["12h", "1D", "3D"]),
    order=st.sampled_from(["loose", "strict"]),
    attempts=st.sampled_from(["all", "first"]),
)
def test_funnel_matches_brute_force_and_invariants(data, window, order, attempts):
    frame, steps = data
    if not (frame["event"] == steps[0]).any():
        frame.loc[0, "event"] = steps[0]
    f = cl.funnel(
        frame, steps=steps, window=window, order=order, attempts=attempts, as_of=AS_OF
    )
    assert users(f) == oracle(frame, steps, window, order, attempts)
    counts = np.array(users(f))
    assert (np.diff(counts) <= 0).all()  # never increases along the funnel
    for col in ("conversion_from_previous", "conversion_from_first", "drop_off_rate"):
        values = f[col].dropna()
        assert ((values >= 0) & (values <= 1)).all()
    times = f["median_hours_from_previous"].dropna()
    assert ((times >= 0) & (times <= pd.Timedelta(window) / pd.Timedelta("1h"))).all()


# ------------------------------------------------------------------ backends


PARITY = events(
    [
        ("a", "s1", "2026-01-01 00:00:00"),
        ("a", "x", "2026-01-01 01:00:00"),
        ("a", "s2", "2026-01-02 00:00:00"),
        ("a", "s3", "2026-01-08 00:00:00"),
        ("b", "s1", "2026-01-01 00:00:00"),
        ("b", "s2", "2026-01-08 00:00:01"),
        ("b", "s1", "2026-01-09 00:00:00"),
        ("b", "s2", "2026-01-09 00:00:00"),
        ("c", "s2", "2026-01-01 00:00:00"),
        ("c", "s1", "2026-01-02 00:00:00"),
        ("c", "s3", "2026-01-03 00:00:00"),
        ("d", "s1", "2026-01-30 00:00:00"),
    ],
    account_id=["A", "A", "A", "A", "A", "A", "A", "A", "B", "B", "B", "C"],
)


@pytest.mark.parametrize("order", ["loose", "strict"])
def test_duckdb_and_pyspark_agree(con, order):
    table = engine.load(con, "funnel_events", PARITY)
    got = cl.funnel(
        table, steps=["s1", "s2", "s3"], window="7D", order=order, as_of="2026-01-31"
    )
    want = cl.funnel(
        PARITY, steps=["s1", "s2", "s3"], window="7D", order=order, as_of="2026-01-31"
    )
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    # d entered 30 Jan: censored (cutoff 1 Feb)
    assert got["users_censored"].iloc[0] == 1


def test_duckdb_and_pyspark_agree_by_account_and_repeats(con):
    table = engine.load(con, "funnel_events", PARITY)
    kw = {"steps": ["s1", "s2", "s2"], "window": "7D", "by": "account_id"}
    got = cl.funnel(table, **kw, as_of="2026-01-31")
    want = cl.funnel(PARITY, **kw, as_of="2026-01-31")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


# ----------------------------------------------------------------- sample data


def test_sample_login_funnel_runs_with_censoring():
    ds = cl.sample_dataset()
    f = cl.funnel(
        ds, steps=["login", "report_viewed", "export"], window="7D", by="segment"
    )
    assert set(f["segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    assert (f.groupby("segment")["users"].diff().dropna() <= 0).all()
    assert (f["users_censored"] > 0).any()  # the last week of events
    steps, kw = ["login", "export"], {"attempts": "first"}
    curve = cl.funnel_conversion_curve(ds, steps=steps, window="7D", **kw)
    assert curve["conversion"].is_monotonic_increasing
    # first attempts: 1 - KM at 7 days estimates the plain conversion of the
    # uncensored users (the censored ones only add information)
    plain = cl.funnel(ds, steps=steps, window="7D", **kw)["conversion_from_first"].iloc[
        1
    ]
    at_week = curve.loc[curve["hours_since_entry"] <= 168, "conversion"].iloc[-1]
    assert abs(at_week - plain) < 0.005


# ------------------------------------------------------------------- real data

OLIST = real_file("olist_funnel")
MQL = OLIST / "olist_marketing_qualified_leads_dataset.csv"
DEALS = OLIST / "olist_closed_deals_dataset.csv"


@pytest.mark.real
@pytest.mark.skipif(
    not (MQL.exists() and DEALS.exists()),
    reason="Olist marketing funnel not found in ../shared/data/real/olist_funnel; "
    "set CHURNLAB_REAL_DATA",
)
def test_olist_mql_to_won_funnel_by_origin():
    mql = pd.read_csv(MQL, parse_dates=["first_contact_date"])
    deals = pd.read_csv(DEALS, parse_dates=["won_date"])
    mql["origin"] = mql["origin"].fillna("(none)")
    ev = pd.concat(
        [
            pd.DataFrame({"user_id": mql["mql_id"], "event": "mql",
                          "timestamp": mql["first_contact_date"],
                          "origin": mql["origin"]}),
            pd.DataFrame({"user_id": deals["mql_id"], "event": "won",
                          "timestamp": deals["won_date"], "origin": None}),
        ],
        ignore_index=True,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        f = cl.funnel(
            ev, steps=["mql", "won"], window="365D", by="origin", as_of="2019-12-31"
        )
    got = f[f["step"] == "won"].set_index("origin")
    # independent pandas: won within a year of the first contact, by origin
    m = mql.merge(deals[["mql_id", "won_date"]], on="mql_id", how="left")
    gap = m["won_date"] - m["first_contact_date"]
    m["won"] = (gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(days=365))
    want = m.groupby("origin").agg(mqls=("mql_id", "size"), won=("won", "sum"))
    assert got["users_first"].sum() == 8000
    # 842 deals: 1 won before its first contact, 4 more than a year after it
    assert got["users"].sum() == want["won"].sum() == 837
    pd.testing.assert_series_equal(
        got["users"].sort_index(), want["won"].sort_index(), check_names=False,
        check_dtype=False,
    )  # fmt: skip
    rate = (want["won"] / want["mqls"]).sort_index()
    np.testing.assert_allclose(got["conversion_from_first"].sort_index(), rate)


def test_a_dataset_folder_gives_customer_attributes(tmp_path):
    ev = events(
        [("u1", "s1", "2026-01-01"), ("u1", "s2", "2026-01-02")], account_id=["C1"] * 2
    )
    ev.to_csv(tmp_path / "events.csv", index=False)
    pd.DataFrame({"customer_id": ["C1"], "plan": ["Pro"]}).to_csv(
        tmp_path / "customers.csv", index=False
    )
    f = cl.funnel(tmp_path, steps=["s1", "s2"], by="plan", as_of=AS_OF)
    assert f["plan"].tolist() == ["Pro", "Pro"] and users(f) == [1, 1]


# ------------------------------------------------------------ the Funnel spec


def test_funnel_spec_carries_the_shared_parameters():
    spec = cl.Funnel(steps=["s1", "s2", "s3"], window="7D", as_of=AS_OF)
    assert_same = pd.testing.assert_frame_equal
    assert_same(
        cl.funnel(WINDOW_EDGE, spec=spec),
        cl.funnel(WINDOW_EDGE, steps=["s1", "s2", "s3"], window="7D", as_of=AS_OF),
    )
    # a keyword beside the spec overrides its field, even at its default value
    wide = cl.Funnel(steps=["s1", "s2"], window="30D", as_of=AS_OF)
    assert cl.funnel(WINDOW_EDGE, spec=wide, window="7D").attrs["window"] == "7 days"
    users_ = cl.funnel_users(WINDOW_EDGE, spec=spec)
    assert users_["steps_reached"].max() <= 3
    assert spec.step_names == ["s1", "s2", "s3"]
    # checked when made, before any data is read
    with pytest.raises(ParameterError, match="positive"):
        cl.Funnel(steps=["s1", "s2"], window="-1D")
    with pytest.raises(ParameterError, match="steps="):
        cl.funnel(WINDOW_EDGE)


def test_old_positional_funnel_calls_warn_and_agree():
    new = cl.funnel(WINDOW_EDGE, steps=["s1", "s2"], window="7D", as_of=AS_OF)
    with pytest.warns(FutureWarning, match=r"call funnel\(data, steps="):
        old = cl.funnel(WINDOW_EDGE, ["s1", "s2"], "7D", as_of=AS_OF)
    pd.testing.assert_frame_equal(old, new)
    with pytest.warns(FutureWarning, match="events= is now data="):
        renamed = cl.funnel(events=WINDOW_EDGE, steps=["s1", "s2"], as_of=AS_OF)
    pd.testing.assert_frame_equal(renamed, new)


@pytest.mark.parametrize(
    "steps",
    [
        SAME_INSTANT_STEPS[0],
        pytest.param(
            SAME_INSTANT_STEPS[1],
            marks=pytest.mark.xfail(
                strict=True,
                reason="strict order still ranks same-instant events by the first "
                "step they match, so a repeated name cannot interleave",
            ),
        ),
    ],
    ids=["distinct", "ab"],
)
def test_ten_steps_at_one_instant_strict_order(steps):
    ev = events([("u", e, "2026-01-01 10:00") for e in reversed(steps)])
    f = cl.funnel(ev, steps=steps, order="strict", as_of=AS_OF)
    assert users(f) == [1] * 10
