"""Mix versus rate decomposition: a hand case and the exact-sum property."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from churnlab.errors import ParameterError
from churnlab.metrics.mix import rate_change_decomposition


def test_hand_case():
    # before: SMB 5/100, Ent 1/100 -> weights .5/.5, overall 6/200 = 3%
    # after:  SMB 9/150, Ent 1/100 -> weights .6/.4, overall 10/250 = 4%
    # SMB mix  = (.6-.5) * (.05+.06)/2 = .0055; Ent mix = (.4-.5) * .01 = -.001
    # SMB rate = (.06-.05) * (.5+.6)/2 = .0055; Ent rate = 0
    df = pd.DataFrame(
        {
            "period": [1, 1, 2, 2],
            "segment": ["SMB", "Ent"] * 2,
            "lost": [5, 1, 9, 1],
            "start": [100, 100, 150, 100],
        }
    )
    out = rate_change_decomposition(
        df, by="segment", numerator="lost", denominator="start"
    )
    assert out.loc["SMB", "mix_effect"] == pytest.approx(0.0055)
    assert out.loc["Ent", "mix_effect"] == pytest.approx(-0.001)
    assert out.loc["SMB", "rate_effect"] == pytest.approx(0.0055)
    assert out.loc["Ent", "rate_effect"] == pytest.approx(0.0)
    assert out.loc["total", "change"] == pytest.approx(0.01)


def test_new_segment_counts_as_mix():
    df = pd.DataFrame(
        {
            "period": [1, 2, 2],
            "segment": ["a", "a", "b"],
            "lost": [1, 1, 5],
            "start": [10, 10, 10],
        }
    )
    out = rate_change_decomposition(
        df, by="segment", numerator="lost", denominator="start"
    )
    assert out.loc["b", "rate_effect"] == 0
    assert out.loc["total", "change"] == pytest.approx(0.3 - 0.1)


def test_needs_two_periods():
    df = pd.DataFrame({"period": [1], "segment": ["a"], "lost": [1], "start": [3]})
    with pytest.raises(ParameterError, match="two periods"):
        rate_change_decomposition(
            df, by="segment", numerator="lost", denominator="start"
        )


cell = st.tuples(st.integers(0, 50), st.integers(1, 200))


@given(st.lists(st.tuples(cell, cell), min_size=1, max_size=5))
def test_effects_add_up_to_the_change(rows):
    records = []
    for i, ((n1, d1), (n2, d2)) in enumerate(rows):
        records += [(1, f"s{i}", min(n1, d1), d1), (2, f"s{i}", min(n2, d2), d2)]
    df = pd.DataFrame(records, columns=["period", "segment", "lost", "start"])
    out = rate_change_decomposition(
        df, by="segment", numerator="lost", denominator="start"
    )
    total = out.loc["total"]
    assert total["mix_effect"] + total["rate_effect"] == pytest.approx(
        total["change"], abs=1e-12
    )
