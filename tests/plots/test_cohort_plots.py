"""Cohort plots: Axes, labels, formatters and annotations (Agg, no pixels)."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Annotation
from matplotlib.ticker import PercentFormatter

import churnlab as cl
from churnlab.errors import ChurnlabWarning, ParameterError
from churnlab.plots.cohorts import cohort_heatmap, retention_curves


def _orders(n_customers: int, months: int, seed: int = 7) -> pd.DataFrame:
    """Customers arriving over ``months`` months, each buying in a random run."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, months, n_customers)
    rows = []
    for cid, f in enumerate(first):
        life = rng.geometric(0.15)
        for m in range(f, min(months, f + life)):
            if m == f or rng.random() < 0.8:
                rows.append((f"c{cid}", m, float(rng.integers(10, 200))))
    frame = pd.DataFrame(rows, columns=["customer_id", "month", "amount"])
    month = frame["month"]
    frame["ordered_at"] = pd.to_datetime(
        {"year": 2024 + month // 12, "month": month % 12 + 1, "day": 4}
    )
    segments = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n_customers)],
            "segment": rng.choice(["SMB", "Enterprise"], n_customers),
        }
    )
    return frame.drop(columns="month"), segments


def cell_labels(ax):
    """Texts seaborn wrote into cells (the caption is an Annotation)."""
    return [t for t in ax.texts if not isinstance(t, Annotation)]


def caption(ax):
    return " ".join(t.get_text() for t in ax.texts if isinstance(t, Annotation))


@pytest.fixture(scope="module")
def data():
    orders, customers = _orders(900, 24)
    return cl.load_dataset({"orders": orders, "customers": customers})


@pytest.fixture(scope="module")
def table24(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        table = cl.cohort_table(data, as_of="2025-12-31")
    assert table["cohort"].nunique() == 24
    return table


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_heatmap_24_by_24_shows_percent_and_sizes(table24):
    ax = cohort_heatmap(table24)
    matrix = cl.cohort_matrix(table24)
    assert matrix.shape == (24, 24)
    texts = [t.get_text() for t in cell_labels(ax)]
    # one label per observed cell (24 + 23 + ... + 1), formatted like ".0%"
    assert len(texts) == 24 * 25 // 2
    assert all(t.endswith("%") for t in texts)
    assert "100%" in texts
    sizes = {t.get_fontsize() for t in cell_labels(ax)}
    assert max(sizes) <= 7 and min(sizes) >= 5
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 24
    first = int(matrix.attrs["cohort_size"].iloc[0])
    assert labels[0] == f"2024-01  n={first:,}"
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["0", "1", "2"]
    assert "retention" in ax.get_title().lower() and "monthly" in ax.get_title()
    assert "since" in ax.get_xlabel()
    colorbar = ax.collections[0].colorbar
    assert isinstance(colorbar.formatter, PercentFormatter)
    assert ax.collections[0].get_cmap().name == "cividis"
    # not-yet-observed cells are masked (blank), not drawn as 0
    mesh = ax.collections[0].get_array()
    assert np.ma.count_masked(mesh) == 24 * 23 // 2
    assert "not yet observed at the as-of date 2025-12-31" in caption(ax)


def test_heatmap_on_given_axes_and_from_the_matrix(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        wide = cl.cohort_retention(data, as_of="2024-06-30")
    fig, ax = plt.subplots()
    out = cohort_heatmap(wide, ax=ax)
    assert out is ax
    assert len(cell_labels(ax)) == 6 * 7 // 2
    assert "n=" in ax.get_yticklabels()[0].get_text()


def test_heatmap_drops_labels_when_large(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        weekly = cl.cohort_table(data, freq="W", as_of="2025-12-28")
    ax = cohort_heatmap(weekly)
    assert cell_labels(ax) == []
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert 0 < len(labels) <= 60
    assert all(len(lab.split()[0]) == 10 for lab in labels)  # 2024-01-01, no time
    small = cl.cohort_table(data.orders, as_of="2024-03-31")
    assert cell_labels(cohort_heatmap(small, annot=False)) == []
    assert len(cell_labels(cohort_heatmap(small))) == 6


def test_heatmap_money_kinds(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        ltv = cl.cohort_table(data, kind="ltv", freq="Q", as_of="2025-12-31")
    ax = cohort_heatmap(ltv)
    texts = [t.get_text() for t in cell_labels(ax)]
    assert texts and not any(t.endswith("%") for t in texts)
    assert all(t.replace(",", "").isdigit() for t in texts)  # money, no decimals
    assert "LTV" in ax.get_title()
    assert ax.get_yticklabels()[0].get_text().startswith("2024 Q1")


def test_heatmap_rejects_other_frames():
    with pytest.raises(ParameterError):
        cohort_heatmap(pd.DataFrame({"x": [1.0]}))


def test_retention_curves_by_cohort(table24):
    ax = retention_curves(table24)
    # 24 cohort lines + the size-weighted average
    assert len(ax.lines) == 25
    avg = ax.lines[-1]
    assert avg.get_label() == "Size-weighted average"
    assert avg.get_marker() == "o"
    expected = cl.cohort_average(table24)["retention"].to_numpy()
    np.testing.assert_allclose(avg.get_ydata(), expected)
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    assert "%" in ax.get_ylabel() and "since" in ax.get_xlabel()


def test_retention_curves_by_segment(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        table = cl.cohort_table(data, by="segment", as_of="2025-12-31")
    fig, ax = plt.subplots()
    out = retention_curves(table, ax=ax)
    assert out is ax
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"SMB", "Enterprise", "Size-weighted average"} <= set(labels)
    averaged = cl.cohort_average(table)
    alone = retention_curves(averaged, average=False)
    assert len([ln for ln in alone.lines if len(ln.get_xdata())]) >= 2


def test_retention_curves_ltv_uses_money_axis(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        ltv = cl.cohort_table(data, kind="ltv", as_of="2025-12-31")
    ax = retention_curves(ltv)
    assert not isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    assert ax.yaxis.get_major_formatter()(12345, 0) == "12,345"


def test_retention_curves_rejects_a_matrix(table24):
    with pytest.raises(ParameterError):
        retention_curves(cl.cohort_matrix(table24))
