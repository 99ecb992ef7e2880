"""The churn report's CLV section: numbers from the public calls, or one line.

An orders-only copy of the bundled sample is published through the runner; the
CLV keys of its ``metrics.json`` must equal what :func:`churnlab.rfm_summary`,
:func:`churnlab.clv_bgnbd`, :func:`churnlab.clv_gamma_gamma` and
:func:`churnlab.clv_predict` give for the same as-of date. Without the
``churnlab[clv]`` extra the report still publishes, with a one-line note.
"""

from __future__ import annotations

import json
import shutil
import warnings

import pytest

import churnlab as cl
from churnlab.reports import runner
from churnlab.reports.churn import HEADLINE_KEYS
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

SAMPLE = ROOT / "churnlab" / "sample" / "data"
AS_OF = "2026-10-31"
KEYS = (
    "clv_52w_total",
    "clv_52w_per_customer",
    "prob_alive_share",
    "bgnbd_r",
    "bgnbd_alpha",
    "bgnbd_a",
    "bgnbd_b",
)


def _orders_only(folder):
    for name in ("orders.csv", "customers.csv", "dataset.toml"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder


def _publish(data_dir, out):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.run_report(
            "churn", month="2026-10", data_dir=data_dir, out=out, progress=False
        )
    metrics = json.loads(result.metrics_path.read_text())["metrics"]
    return metrics, result.html.read_text()


def test_clv_keys_are_documented():
    for key in KEYS:
        assert key in HEADLINE_KEYS


def test_orders_report_clv_equals_public_calls(tmp_path):
    pytest.importorskip("pymc_marketing", reason="needs the churnlab[clv] extra")
    folder = tmp_path / "data"
    folder.mkdir()
    _orders_only(folder)
    metrics, page = _publish(folder, tmp_path / "out")
    assert "Customer lifetime value" in page

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = cl.load_dataset(folder)
        summary = cl.rfm_summary(ds, calibration_end=AS_OF, unit="W")
        bgnbd = cl.clv_bgnbd(summary)
        spend = cl.clv_gamma_gamma(summary)
        pred = cl.clv_predict(
            bgnbd, summary, horizon="52W", spend_model=spend, discount_rate=0.10
        )
    expected = {
        "clv_52w_total": pred["clv"].sum(),
        "clv_52w_per_customer": pred["clv"].sum() / pred["clv"].notna().sum(),
        "prob_alive_share": (pred["prob_alive"] > 0.5).mean(),
        **{f"bgnbd_{k}": v for k, v in bgnbd.params_.items()},
    }
    assert set(KEYS) <= set(metrics)
    for key in KEYS:
        assert metrics[key] == pytest.approx(float(expected[key]), rel=1e-6), key
    assert 0 <= metrics["prob_alive_share"] <= 1


def test_report_publishes_without_the_extra(tmp_path, monkeypatch):
    # pymc-marketing and pymc-extras then fail to import, as when the extra is
    # not installed
    import sys

    from churnlab.reports import _display
    from churnlab.reports.churn import ChurnReport
    from churnlab.reports.params import check_params

    for name in ("pymc_marketing", "pymc_extras", "pymc_extras.prior"):
        monkeypatch.setitem(sys.modules, name, None)
    shown = []
    monkeypatch.setattr(_display, "_display", shown.append)
    folder = tmp_path / "data"
    folder.mkdir()
    _orders_only(folder)
    out = tmp_path / "out"
    out.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ChurnReport(
            check_params(report="churn", month="2026-10", data_dir=str(folder)),
            output_dir=str(out),
        )
        before = len(shown)
        report.clv()
        section = [getattr(obj, "data", "") for obj in shown[before:]]
        report.publish(output_dir=str(out), previous_metrics=None)
    assert len(section) == 1
    assert "Customer lifetime value is skipped" in section[0]
    assert "churnlab[clv]" in section[0]
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert not set(KEYS) & set(metrics)
    assert "order_churn_rate" in metrics
