"""Survival plots: Axes, labels, legends and the extrapolation marking (not pixels)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.ticker import PercentFormatter

import churnlab as cl
from churnlab.errors import ParameterError
from churnlab.plots import survival as sp


@pytest.fixture(scope="module")
def lifetimes():
    rng = np.random.default_rng(2)
    n = 600
    plan = rng.choice(["Basic", "Pro"], n)
    t = rng.exponential(np.where(plan == "Basic", 12.0, 30.0))
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "tenure": np.minimum(t, 24.0),
            "churned": t < 24.0,
            "plan": plan,
            "seats": rng.integers(1, 50, n),
        }
    )
    frame.attrs.update(unit="months", as_of=pd.Timestamp("2026-10-31"))
    return frame


@pytest.fixture(scope="module")
def fitted(lifetimes):
    lt = cl.CustomerLifetime().fit(lifetimes, by="plan")
    lt.parametric(horizon=48)
    return lt


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_survival_curves_labels_bands_and_at_risk(fitted):
    ax = fitted.plot(extrapolation=False)
    assert isinstance(ax, plt.Axes)
    assert (
        ax.get_title() == "Customer survival by plan, Kaplan–Meier (as of 2026-10-31)"
    )
    assert ax.get_xlabel() == "Tenure (months)"
    assert ax.get_ylabel() == "Still customers (%)"
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    assert legend_texts(ax) == ["Basic", "Pro"]
    assert ax.get_legend().get_title().get_text() == "plan"
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2  # one CI band per plan
    # the at-risk counts live on a twin axes under the plot, one row per plan
    twins = [a for a in ax.figure.axes if a is not ax]
    assert len(twins) == 1
    first = twins[0].get_xticklabels()[0].get_text()
    assert "At risk" in first and "Basic" in first and "Pro" in first
    assert not any("extrapolation" in t for t in legend_texts(ax))


def test_survival_curves_mark_the_extrapolation(fitted):
    ax = fitted.plot()
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 2
    labels = [line.get_label() for line in dashed]
    assert all(label.endswith("extrapolation") for label in labels)
    assert any("extrapolation" in t for t in legend_texts(ax))
    # the dashed part starts at the longest observed tenure, never before it
    observed = fitted.lifetimes_["tenure"].max()
    assert all(line.get_xdata().min() >= observed - 1e-9 for line in dashed)
    assert ax.get_xlim()[1] == pytest.approx(48)
    assert any("extrapolation" in t.get_text() for t in ax.texts)


def test_survival_curves_draw_on_the_given_axes(fitted):
    _fig, ax = plt.subplots()
    assert fitted.plot(ax=ax, ci=False, at_risk=False) is ax
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(ax.figure.axes) == 1


def test_unfitted_lifetime_cannot_plot():
    with pytest.raises(ParameterError, match="not fitted"):
        cl.CustomerLifetime().plot()


def test_single_group_curve(lifetimes):
    lt = cl.CustomerLifetime().fit(lifetimes)
    ax = lt.plot(at_risk=False)
    assert ax.get_title() == "Customer survival, Kaplan–Meier (as of 2026-10-31)"
    assert legend_texts(ax) == ["all customers"]


def test_hazard_plot(fitted):
    ax = sp.hazard(fitted.hazard_, by="plan", min_at_risk=30)
    assert ax.get_title() == "Churn hazard per month of tenure"
    assert ax.get_xlabel() == "Tenure at period start (months)"
    assert "at risk" in ax.get_ylabel()
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    assert legend_texts(ax) == ["Basic", "Pro"]
    with pytest.raises(ParameterError, match="hazard"):
        sp.hazard(fitted.summary_)


def test_hazard_ratio_forest_plot(fitted):
    cox = fitted.cox(["plan", "seats"])
    ax = sp.hazard_ratios(cox)
    assert ax.get_xscale() == "log"
    ticks = [t.get_text().rstrip(" †") for t in ax.get_yticklabels()]
    assert sorted(ticks) == ["plan=Pro (vs Basic)", "seats"]
    assert ax.get_title().startswith("Cox hazard ratios (concordance")
    assert "Hazard ratio" in ax.get_xlabel()
    assert any(line.get_xdata()[0] == 1.0 for line in ax.get_lines())  # no-effect line


def test_lifetime_value_plot_marks_extrapolation(fitted):
    v = fitted.ltv({"Basic": 40.0, "Pro": 90.0}, margin=0.8, discount_rate=0.1)
    ax = sp.lifetime_value(v, by="plan", currency="EUR")
    assert ax.get_ylabel() == "LTV per customer (EUR)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Basic", "Pro"]
    texts = legend_texts(ax)
    assert "survival: extrapolation" in texts
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 2


def test_survival_curves_draw_the_tidy_frame(fitted):
    # the plot takes the frame the fitter holds; the fitter's .plot is the bridge
    ax = sp.survival_curves(
        fitted.survival_, by="plan", extrapolation=fitted.parametric_.curves
    )
    assert {"Basic", "Pro"} <= set(legend_texts(ax))
    assert len([ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]) == 2
    with pytest.raises(ParameterError, match="survival_"):
        sp.survival_curves(fitted.summary_)


def test_hazard_ratios_take_the_frame(fitted):
    cox = fitted.cox(["plan", "seats"])
    ax = sp.hazard_ratios(cox.hazard_ratios, ph_test=cox.ph_test)
    assert ax.get_title() == "Cox hazard ratios"
    ticks = [t.get_text().rstrip(" †") for t in ax.get_yticklabels()]
    assert sorted(ticks) == ["plan=Pro (vs Basic)", "seats"]


def test_no_import_circle_between_survival_and_its_plots():
    import ast
    from pathlib import Path

    import churnlab.plots.survival as plots_module

    tree = ast.parse(Path(plots_module.__file__).read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not any(m.startswith("churnlab.survival") for m in imported)
