"""Funnel and sales plots: Axes, labels, formatters, bars (Agg, no pixels)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.text import Annotation
from matplotlib.ticker import PercentFormatter

import churnlab as cl
from churnlab.errors import ParameterError
from churnlab.plots import funnels as pf
from churnlab.plots import sales as ps

AS_OF = "2026-03-31"


def d(*values):
    return pd.to_datetime(list(values), format="ISO8601")


EVENTS = pd.DataFrame(
    {
        "user_id": ["a", "a", "a", "b", "b", "c", "d", "d"],
        "event": ["s1", "s2", "s3", "s1", "s2", "s1", "s1", "s3"],
        "timestamp": d("2026-01-05 08:00", "2026-01-05 10:00", "2026-01-06 08:00",
                       "2026-01-12", "2026-01-13", "2026-02-02", "2026-02-03",
                       "2026-02-04"),
        "country": ["DE", "DE", "DE", "US", "US", "US", "DE", "DE"],
    }
)  # fmt: skip
DEALS = pd.DataFrame(
    {
        "deal_id": ["D1", "D2", "D3", "D4", "D5"],
        "created_at": d("2026-01-01", "2026-01-01", "2026-02-20", "2026-01-05",
                        "2026-02-01"),
        "status": ["won", "lost", "open", "won", "lost"],
        "amount": [1000.0, 500.0, 800.0, 2000.0, 300.0],
        "closed_at": d("2026-01-11", "2026-01-06", None, "2026-01-21", "2026-02-10"),
        "owner": ["ann", "ann", "bob", "bob", "bob"],
        "stage": ["closed_won", "closed_lost", "demo", "closed_won", "closed_lost"],
    }
)  # fmt: skip
STAGES = pd.DataFrame(
    [
        ("D1", "qualified", "2026-01-01"), ("D1", "demo", "2026-01-03"),
        ("D1", "closed_won", "2026-01-11"), ("D2", "qualified", "2026-01-01"),
        ("D2", "closed_lost", "2026-01-06"), ("D3", "qualified", "2026-02-20"),
        ("D3", "demo", "2026-02-25"), ("D4", "qualified", "2026-01-05"),
        ("D4", "demo", "2026-01-08"), ("D4", "closed_won", "2026-01-21"),
        ("D5", "qualified", "2026-02-01"), ("D5", "closed_lost", "2026-02-10"),
    ],
    columns=["deal_id", "stage", "entered_at"],
)  # fmt: skip
LEADS = pd.DataFrame(
    {
        "lead_id": ["L1", "L2", "L3", "L4"],
        "created_at": d("2026-01-01", "2026-01-01", "2026-01-02", "2026-01-04"),
        "source": ["inbound", "inbound", "outbound", "outbound"],
        "converted_at": d("2026-01-01", "2026-01-01", None, "2026-01-05"),
        "deal_id": ["D1", "D2", None, "D4"],
    }
)
TARGETS = pd.DataFrame(
    {
        "owner": ["ann", "bob"],
        "period": ["2026-01", "2026-01"],
        "quota": [2000.0, 1000.0],
    }
)
ORDERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C1", "C2", "C3"],
        "ordered_at": d("2025-12-10", "2026-01-10", "2026-01-05", "2026-02-15"),
        "amount": [100.0, 100.0, 300.0, 200.0],
        "location": ["US", "US", "DE", "FR"],
    }
)


@pytest.fixture(scope="module")
def ds():
    return cl.load_dataset(
        {"deals": DEALS, "deal_stages": STAGES, "leads": LEADS, "targets": TARGETS,
         "orders": ORDERS, "events": EVENTS}
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _is_caption(t) -> bool:
    return isinstance(t, Annotation) and t.xycoords == "axes fraction"


def caption_text(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts if _is_caption(t))


def bar_labels(ax) -> list[str]:
    """Texts written on the bars (bar_label annotations, not the caption)."""
    return [t.get_text() for t in ax.texts if not _is_caption(t)]


# -------------------------------------------------------------------- funnels


def test_funnel_bars_carry_counts_and_conversions(ds):
    f = cl.funnel(ds, steps=["s1", "s2", "s3"], window="7D", as_of=AS_OF)
    ax = pf.funnel(f)
    assert isinstance(ax, plt.Axes)
    assert ax.get_title() == "Funnel conversion"
    assert ax.get_xlabel() == "Users reaching the step"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1. s1", "2. s2", "3. s3"]
    widths = [p.get_width() for p in ax.containers[0]]
    assert widths == f["users"].tolist() == [4, 2, 1]
    labels = bar_labels(ax)
    assert labels[0] == "4 (100.0% of first, 100.0% of previous)"
    assert labels[1] == "2 (50.0% of first, 50.0% of previous)"
    assert "window 7 days" in caption_text(ax)
    assert "as of 2026-03-31" in caption_text(ax)


def test_funnel_bars_by_group_and_given_axes(ds):
    f = cl.funnel(ds, steps=["s1", "s2"], window="7D", by="country", as_of=AS_OF)
    fig, ax = plt.subplots()
    out = pf.funnel(f, ax=ax)
    assert out is ax
    assert len(ax.containers) == 2  # one per country
    assert ax.get_legend().get_title().get_text() == "country"
    accounts = cl.funnel(
        EVENTS.assign(account_id=EVENTS["user_id"]),
        steps=["s1", "s2"],
        count_by="account",
        as_of=AS_OF,
    )
    assert pf.funnel(accounts).get_xlabel() == "Accounts reaching the step"
    with pytest.raises(ParameterError, match="users, accounts or count"):
        pf.funnel(pd.DataFrame({"step": ["a"], "step_index": [1]}))


def test_funnel_caption_counts_censored_users(ds):
    f = cl.funnel(ds, steps=["s1", "s2"], window="7D", as_of="2026-02-05")
    assert "2 recent users censored" in caption_text(pf.funnel(f))


def test_funnel_trend_and_conversion_curve(ds):
    t = cl.funnel_trend(ds, steps=["s1", "s2"], window="7D", freq="M", as_of=AS_OF)
    ax = pf.funnel_trend(t)
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    assert ax.get_title() == "Funnel conversion by entry period (s1 to s2)"
    assert len(ax.lines) >= 1
    c = cl.funnel_conversion_curve(ds, steps=["s1", "s2"], window="7D", as_of=AS_OF)
    ax = pf.funnel_conversion_curve(c)
    assert ax.get_xlabel() == "Time since entering the funnel (days)"
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    assert "Conversion to s2" in ax.get_title()
    # the dotted window line sits at 7 days
    assert any(line.get_xdata()[0] == 7.0 for line in ax.lines if line.get_ls() == ":")


def test_time_to_convert(ds):
    times = cl.funnel_times(ds, steps=["s1", "s2", "s3"], window="7D", as_of=AS_OF)
    ax = pf.time_to_convert(times)
    assert ax.get_xlabel() == "Hours from the previous step"
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)


# ---------------------------------------------------------------------- sales


def test_pipeline_plots(ds):
    p = cl.pipeline_funnel(ds, period="2026-01", as_of=AS_OF, visitors=40)
    ax = ps.pipeline_funnel(p)
    assert ax.get_title() == "Sales pipeline: leads to won deals"
    assert ax.get_xlabel() == "Count reaching the step"
    assert [p.get_width() for p in ax.containers[0]] == [40, 4, 3, 2]
    s = cl.pipeline_by_stage(ds, as_of=AS_OF)
    ax = ps.pipeline_by_stage(s)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["demo"]
    assert bar_labels(ax) == ["1 deals, 800"]
    assert ax.get_xlabel() == "Open pipeline (amount)"
    with pytest.raises(ParameterError):
        ps.pipeline_by_stage(s, value="amount")


def test_win_rate_and_cycle_plots_pair_plain_and_censoring_aware(ds):
    w = cl.win_rates(ds, by="owner", as_of=AS_OF)
    ax = ps.win_rates(w)
    assert ax.get_title() == "Win rate"
    assert isinstance(ax.xaxis.get_major_formatter(), PercentFormatter)
    assert len(ax.patches) == 4  # 2 owners x (plain, Aalen-Johansen)
    hatched = [p.get_hatch() for p in ax.patches]
    assert hatched.count("//") == 2  # AJ bars are hatched, not only coloured
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["ann (2 closed, 0 open)", "bob (2 closed, 1 open)"]
    c = cl.sales_cycle(ds, by="owner", as_of=AS_OF)
    ax = ps.sales_cycle(c)
    assert ax.get_xlabel() == "Days from created to won"
    assert "10 d" in bar_labels(ax)  # ann's won deal took 10 days
    a = cl.deal_outcomes_by_age(ds, as_of=AS_OF)
    ax = ps.deal_outcomes_by_age(a)
    assert [line.get_label() for line in ax.lines[:2]] == ["won", "lost"]
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)


def test_quota_attainment_plot(ds):
    q = cl.quota_attainment(ds, period="2026-01")
    ax = ps.quota_attainment(q)
    assert ax.get_title() == "Quota attainment (2026-01)"
    assert [p.get_height() for p in ax.patches] == [0.5, 2.0]
    assert [p.get_hatch() for p in ax.patches] == [None, "//"]  # bob is over quota
    assert any(line.get_ydata()[0] == 1.0 for line in ax.lines)  # the 100% line
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)


def test_stage_location_and_new_vs_existing_plots(ds):
    sc = cl.stage_conversion(ds, as_of=AS_OF)
    ax = ps.stage_conversion(sc)
    assert len(ax.patches) == len(sc) == 2
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    loc = cl.sales_by_location(ds, period="2026-01")
    ax = ps.sales_by_location(loc)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["DE", "US"]
    assert bar_labels(ax) == ["75.0%", "25.0%"]
    r = cl.revenue_new_vs_existing(ds, as_of=AS_OF)
    ax = ps.revenue_new_vs_existing(r)
    assert len(ax.patches) == 2 * len(r)
    assert ax.get_legend() is not None


def test_sample_plots_smoke():
    ds = cl.sample_dataset()
    fig, axes = plt.subplots(1, 2)
    pf.funnel(cl.funnel(ds, steps=["login", "report_viewed", "export"], by="segment"),
              ax=axes[0])  # fmt: skip
    ps.quota_attainment(cl.quota_attainment(ds, period="2026-10"), ax=axes[1])
    assert len(axes[1].patches) == 12
