"""Churn and revenue plots: axes, labels, formatters, markers (Agg, no pixels)."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.ticker import PercentFormatter

import churnlab as cl
from churnlab.errors import ChurnlabWarning, ParameterError
from churnlab.plots import churn as churn_plots
from churnlab.plots import revenue as revenue_plots


@pytest.fixture(scope="module")
def ds():
    return cl.sample_dataset()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_churn_rate_by_segment(ds):
    frame = cl.customer_churn(ds, by="segment")
    _fig, ax = plt.subplots()
    out = churn_plots.churn_rate(frame, by="segment", ax=ax)
    assert out is ax
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    assert ax.get_title() == "Customer churn rate by month"
    assert ax.get_xlabel() == "Month"
    assert ax.get_ylabel() == "Churned / active at month start (%)"
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1]
    assert len(lines) == 3
    assert len({ln.get_marker() for ln in lines}) == 3  # a marker per segment
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {
        "SMB",
        "Mid-Market",
        "Enterprise",
    }
    assert any("As of 2026-10-31" in t.get_text() for t in ax.texts)


def test_order_churn_shows_the_window(ds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        frame = cl.order_churn(ds, inactivity_days=60, freq="Q", as_of="2026-09-30")
    ax = churn_plots.churn_rate(frame, rate="churn_rate_at_risk")
    assert "60 days" in ax.get_title() and ax.get_title().startswith("Order")
    assert ax.get_ylabel() == "Churn events / customer-quarters at risk (%)"
    assert ax.get_lines()[0].get_marker() == "o"
    with pytest.raises(ParameterError, match="rate="):
        churn_plots.churn_rate(frame, rate="nope")


def test_churn_reasons_bars(ds):
    ax = churn_plots.churn_reasons(cl.churn_reasons(ds), currency="EUR")
    assert ax.get_xlabel() == "Share of churned MRR (%)"
    assert isinstance(ax.xaxis.get_major_formatter(), PercentFormatter)
    labels = [t.get_text() for t in ax.texts]
    assert any("EUR" in t and "customers" in t for t in labels)  # direct labels
    widths = [p.get_width() for p in ax.patches]
    assert widths == sorted(widths, reverse=True)
    assert sum(widths) == pytest.approx(1.0)
    ax2 = churn_plots.churn_reasons(cl.churn_reasons(ds), weight="customers")
    assert ax2.get_xlabel() == "Share of churned customers (%)"


def test_mrr_bridge_waterfall(ds):
    moves = cl.mrr_movements(ds)
    ax = revenue_plots.mrr_bridge(moves, period="2026-10", currency="EUR")
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == [
        "Start",
        "New",
        "Expansion",
        "Reactivation",
        "Contraction",
        "Churn",
        "End",
    ]
    bars = ax.patches
    row = moves.set_index("period").loc["2026-10-01"]
    assert bars[0].get_height() == pytest.approx(row.mrr_start)
    assert bars[-1].get_height() == pytest.approx(row.mrr_end)
    # the last movement bar ends at the end MRR
    churn_bar = bars[5]
    assert churn_bar.get_y() == pytest.approx(row.mrr_end)
    assert bars[4].get_hatch() == "//" and not bars[1].get_hatch()  # not colour alone
    assert ax.get_ylabel() == "MRR (EUR)"
    assert ax.yaxis.get_major_formatter()(1234567, 0) == "1,234,567"
    assert "2026-10" in ax.get_title()
    whole = revenue_plots.mrr_bridge(cl.mrr_movements(ds, by="segment"))
    assert "2023-11 to 2026-10" in whole.get_title()
    with pytest.raises(ParameterError, match="not in the frame"):
        revenue_plots.mrr_bridge(moves, period="2020-01")


def test_revenue_retention_lines(ds):
    frame = cl.revenue_metrics(ds)
    ax = revenue_plots.revenue_retention(frame)
    assert ax.get_title() == "Net and gross revenue retention by month"
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    markers = {ln.get_marker() for ln in ax.get_lines() if len(ln.get_xdata()) > 2}
    assert markers == {"o", "s"}
    assert any(list(ln.get_ydata()) == [1.0, 1.0] for ln in ax.get_lines())  # 100% line
    seg = revenue_plots.revenue_retention(
        cl.revenue_metrics(ds, by="segment"), by="segment"
    )
    assert "SMB" in {t.get_text() for t in seg.get_legend().get_texts()}
    with pytest.raises(ParameterError, match="nrr"):
        revenue_plots.revenue_retention(pd.DataFrame({"period": []}))
