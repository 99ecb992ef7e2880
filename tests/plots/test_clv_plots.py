"""CLV plots: Axes, labels, markers and formatters on hand-made frames (no fit)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from churnlab.errors import ParameterError
from churnlab.plots import clv as cp


@pytest.fixture
def holdout_frame():
    frame = pd.DataFrame(
        {
            "frequency": [0, 1, 2],
            "frequency_label": ["0", "1", "2+"],
            "customers": [50, 30, 20],
            "actual_purchases_holdout": [0.2, 0.7, 1.9],
            "expected_purchases_holdout": [0.25, 0.6, 1.8],
        }
    )
    frame.attrs.update(
        unit_name="weeks",
        holdout_duration=39.0,
        calibration_end=pd.Timestamp("1997-09-30"),
        holdout_end=pd.Timestamp("1998-06-30"),
    )
    return frame


@pytest.fixture
def matrix_frame():
    f, r = np.meshgrid(np.arange(4), np.arange(6), indexing="ij")
    alive = np.clip(0.2 + 0.15 * r - 0.05 * f, 0, 1).astype(float).ravel()
    frame = pd.DataFrame(
        {
            "frequency": f.ravel(),
            "recency_weeks": r.ravel().astype(float),
            "T_weeks": 5.0,
            "prob_alive": alive,
        }
    )
    frame.loc[
        (frame["frequency"] == 0) & (frame["recency_weeks"] > 0), "prob_alive"
    ] = np.nan
    frame.attrs.update(unit_name="weeks", T=5.0)
    return frame


def test_calibration_holdout(holdout_frame):
    ax = cp.calibration_holdout(holdout_frame)
    assert "39 weeks" in ax.get_title()
    assert ax.get_xlabel() == "Repeat purchases in the calibration period"
    assert "per customer" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["actual", "model"]
    markers = {line.get_marker() for line in ax.get_lines() if len(line.get_xdata())}
    assert {"o", "s"} <= markers  # not colour alone
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2+"]
    plt.close("all")


def test_calibration_holdout_draws_on_given_axes(holdout_frame):
    _fig, ax = plt.subplots()
    assert cp.calibration_holdout(holdout_frame, ax=ax) is ax
    plt.close("all")


def test_prob_alive_matrix(matrix_frame):
    ax = cp.prob_alive_matrix(matrix_frame)
    assert "T = 5.0 weeks" in ax.get_title()
    assert "weeks" in ax.get_xlabel()
    assert ax.get_ylabel() == "Repeat purchases (frequency)"
    mesh = ax.collections[0]
    assert mesh.get_clim() == (0, 1)
    # the highest frequency is drawn at the top
    assert ax.get_yticklabels()[0].get_text() == "3"
    cbar = mesh.colorbar
    assert cbar.ax.get_ylabel() == "Probability alive"
    plt.close("all")


def test_wrong_frame_is_named():
    with pytest.raises(ParameterError, match="clv_calibration_holdout"):
        cp.calibration_holdout(pd.DataFrame({"x": [1]}))
    with pytest.raises(ParameterError, match="clv_prob_alive_matrix"):
        cp.prob_alive_matrix(pd.DataFrame({"x": [1]}))
