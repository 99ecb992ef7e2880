"""The activity rule: change points against a brute-force evaluation of the rule."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings

from churnlab import contract, engine, periods, states
from tests.strategies import orders, subscriptions

CUTOFF = pd.Timestamp("2027-01-01")


def brute_force_state(spans: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """Active and MRR at t: start < t and (end is null or end >= t)."""
    on = spans[(spans["start"] < t) & (spans["end"].isna() | (spans["end"] >= t))]
    return on.groupby("customer_id").agg(
        mrr_cents=("mrr_cents", "sum"), n=("mrr_cents", "size")
    )


def states_from_changes(changes: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """Reconstruct each customer's state at t from the change rows."""
    before = changes[changes["boundary"] <= t].sort_values("boundary")
    last = before.groupby("customer_id").tail(1).set_index("customer_id")
    return last[last["active_end"]][["mrr_end_cents"]]


def test_hand_case_boundaries():
    subs = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "d"],
            "start": pd.to_datetime(
                ["2026-01-01", "2026-02-15", "2026-01-10", "2026-01-05", "2026-03-01"]
            ),
            "end": pd.to_datetime(
                ["2026-02-15", None, "2026-02-01", "2026-01-20", "2026-04-01"]
            ),
            "mrr": [10.0, 20.0, 5.0, 7.0, 9.0],
        }
    )
    spans = states.subscription_intervals(contract.table(subs, "subscriptions"))
    got = engine.execute(states.changes(spans, freq="M", cutoff=CUTOFF))
    got = got.sort_values(["customer_id", "boundary"]).reset_index(drop=True)
    # a: starts 1 Jan -> active at 1 Feb (10.00); plan change 15 Feb -> 20.00 at 1 Mar.
    # b: 10 Jan..1 Feb: end is exclusive and read "just before", so b is still
    #    counted at 1 Feb and churns in February.
    # c: 5..20 Jan: never at a boundary, no change rows (new-and-lost in January).
    # d: starts exactly 1 Mar: not active at 1 Mar, new in March; ends 1 Apr: still
    #    counted at 1 Apr, churns in April.
    expected = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "d", "d"],
            "period": pd.to_datetime(
                [
                    "2026-01-01",
                    "2026-02-01",
                    "2026-01-01",
                    "2026-02-01",
                    "2026-03-01",
                    "2026-04-01",
                ]
            ),
            "active_start": [False, True, False, True, False, True],
            "active_end": [True, True, True, False, True, False],
            "mrr_start_cents": [0, 1000, 0, 500, 0, 900],
            "mrr_end_cents": [1000, 2000, 500, 0, 900, 0],
        }
    )
    cols = list(expected.columns)
    pd.testing.assert_frame_equal(got[cols], expected, check_dtype=False)
    first = engine.execute(states.first_activity(spans)).set_index("customer_id")
    assert first.loc["c", "first_start"] == pd.Timestamp("2026-01-05")


@settings(max_examples=30)
@given(subscriptions())
def test_changes_reproduce_the_rule_at_every_boundary(subs):
    table = contract.table(subs, "subscriptions")
    spans_expr = states.subscription_intervals(table)
    for freq in ("M", "W"):
        changes = engine.execute(states.changes(spans_expr, freq=freq, cutoff=CUTOFF))
        spans = engine.execute(spans_expr)
        spine = periods.spine(
            pd.Timestamp("2026-01-01"), pd.Timestamp("2026-12-31"), freq
        )
        for t in spine["period_end"]:
            truth = brute_force_state(spans, t)["mrr_cents"].sort_index()
            got = states_from_changes(changes, t)["mrr_end_cents"].sort_index()
            pd.testing.assert_series_equal(
                got, truth, check_names=False, check_dtype=False, check_index_type=False
            )


@settings(max_examples=30)
@given(orders())
def test_order_spells_reproduce_the_window_rule(frame):
    window = 30
    purchases = frame[~frame["is_refund"]]
    if purchases.empty:
        return
    spans = engine.execute(
        states.order_intervals(
            contract.table(purchases, "orders"), inactivity_days=window
        )
    )
    for t in pd.date_range("2026-01-01", "2027-01-01", freq="7D"):
        recent = purchases[
            (purchases["ordered_at"] >= t - pd.Timedelta(days=window))
            & (purchases["ordered_at"] < t)
        ]
        truth = set(recent["customer_id"])
        active = spans[(spans["start"] < t) & (spans["end"] >= t)]
        assert set(active["customer_id"]) == truth
    # spells of one customer never overlap or touch within the window
    spans = spans.sort_values(["customer_id", "start"])
    gap = spans.groupby("customer_id")["start"].shift(-1) - spans["end"]
    assert (gap.dropna() > pd.Timedelta(0)).all()


def test_unknown_attribute_is_a_clear_error():
    import pytest

    from churnlab.errors import ParameterError

    customers = pd.DataFrame({"customer_id": ["a"], "segment": ["x"]})
    ds = contract.load_dataset({"customers": customers})
    assert states.attributes(ds, "segment")[0] == ["segment"]
    with pytest.raises(ParameterError, match="choose from segment"):
        states.attributes(ds, "region")
    with pytest.raises(ParameterError, match="inactivity_days"):
        states.order_intervals(None, inactivity_days=0)
