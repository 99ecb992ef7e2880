"""Activity plots: axes, labels, formatters, the dormant-below-zero convention."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.ticker import PercentFormatter

import churnlab as cl
from churnlab.errors import ParameterError
from churnlab.plots import activity as ap

AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def ds():
    return cl.sample_dataset()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_account_activity_plot(ds):
    frame = cl.account_activity(ds, "C01919", as_of=AS_OF)
    _fig, ax = plt.subplots()
    assert ap.account_activity(frame, ax=ax) is ax
    assert "SLIPPING" in ax.get_title() and "C01919" in ax.get_title()
    assert ax.get_ylabel() == "User-days per week"
    labels = ax.get_legend_handles_labels()[1]
    assert {"baseline", "limit", "recent weeks", "baseline weeks"} <= set(labels)
    assert len(ax.patches) == len(frame)


def test_backtest_lift_plot(ds):
    bt = cl.activity_backtest(ds, as_of=AS_OF)
    ax = ap.backtest_lift(bt)
    assert ax.get_ylabel() == "Lift (precision / base rate)"
    months = bt[bt.scope == "period"]
    assert len(ax.patches) == int(months.horizon_complete.sum())
    texts = [t.get_text() for t in ax.texts]
    assert sum("horizon" in t for t in texts) == int((~months.horizon_complete).sum())


def test_lifecycle_plot_draws_dormant_below_zero(ds):
    lc = cl.lifecycle(ds, freq="M", as_of=AS_OF)
    ax = ap.lifecycle(lc)
    heights = [p.get_height() for p in ax.patches]
    assert min(heights) == -lc.dormant.max()
    assert max(heights) > 0
    assert "dormant" in ax.get_ylabel()
    assert ax.get_title() == "Lifecycle of active users per period"


def test_stickiness_plot(ds):
    st = cl.stickiness(ds, freq="W", as_of=AS_OF)
    ax = ap.stickiness(st)
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    assert len(ax.patches) == 7
    with pytest.raises(ParameterError):
        ap.stickiness(st, period="1999-01-04")
    with pytest.raises(ParameterError, match="stickiness"):
        ap.stickiness(st.drop(columns="share"))
