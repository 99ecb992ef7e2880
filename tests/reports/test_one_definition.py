"""One metric, one value: the API, both reports and both metrics.json agree.

Every KPI the churn and sales reports share is read from each report's
``metrics.json`` and from the public function that defines it, for the same
data and month, on the bundled sample (subscriptions and orders) and on an
orders-only dataset. A disagreement here means a rule is written twice.
"""

from __future__ import annotations

import json
import shutil
import warnings

import pandas as pd
import pytest

import churnlab as cl
from churnlab.reports import runner
from tests.conftest import ROOT

SAMPLE = ROOT / "churnlab" / "sample" / "data"
MONTH = pd.Timestamp("2026-10-01")
AS_OF = "2026-10-31"


def _publish(data_dir, out) -> dict[str, dict]:
    metrics = {}
    for name in ("churn", "sales"):
        result = runner.run_report(
            name, month="2026-10", data_dir=data_dir, out=out, progress=False
        )
        metrics[name] = json.loads(result.metrics_path.read_text())["metrics"]
    return metrics


def _at(frame: pd.DataFrame, col: str) -> float:
    row = frame[pd.to_datetime(frame["period"]) == MONTH]
    assert len(row) == 1, (col, row)
    return float(row[col].iloc[0])


@pytest.fixture(scope="module")
def sample_reports(tmp_path_factory):
    return _publish(SAMPLE, tmp_path_factory.mktemp("one-def"))


@pytest.fixture(scope="module")
def orders_only(tmp_path_factory):
    folder = tmp_path_factory.mktemp("orders-only")
    for name in ("orders.csv", "customers.csv", "dataset.toml"):
        shutil.copy(SAMPLE / name, folder / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metrics = _publish(folder, tmp_path_factory.mktemp("one-def-orders"))
        ds = cl.load_dataset(folder)
    return ds, metrics


def _api(ds) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        om = cl.order_metrics(ds, as_of=AS_OF)
        out = {
            "revenue": _at(om, "revenue"),
            "revenue_new_share": _at(om, "revenue_new_share"),
            "repeat_rate": _at(cl.repeat_rate(ds, as_of=AS_OF), "repeat_rate"),
        }
        if ds.subscriptions is not None:
            out.update(
                churn_rate=_at(cl.customer_churn(ds, as_of=AS_OF), "churn_rate"),
                crr=_at(cl.crr(ds, as_of=AS_OF), "crr"),
                nrr=_at(cl.nrr(ds, as_of=AS_OF), "nrr"),
                grr=_at(cl.grr(ds, as_of=AS_OF), "grr"),
                arpa=_at(cl.arpa(ds, as_of=AS_OF), "arpa"),
                ltv=_at(cl.ltv(ds, as_of=AS_OF), "ltv"),
                mrr_end=_at(cl.mrr_movements(ds, as_of=AS_OF), "mrr_end"),
            )
            nps = cl.nps(ds, freq="Q", as_of=AS_OF)
            out["nps"] = float(nps["nps"].iloc[-1])
        else:
            out["churn_rate"] = _at(cl.order_churn(ds, as_of=AS_OF), "churn_rate")
        return out


def test_subscription_kpis_agree_everywhere(sample_reports):
    api = _api(cl.sample_dataset())
    churn, sales = sample_reports["churn"], sample_reports["sales"]
    pairs = {
        "churn rate": (api["churn_rate"], churn["customer_churn_rate"]),
        "churn rate (sales)": (api["churn_rate"], sales["churn_rate"]),
        "CRR": (api["crr"], churn["crr"]),
        "NRR": (api["nrr"], churn["nrr"]),
        "NRR (sales)": (api["nrr"], sales["nrr"]),
        "GRR": (api["grr"], churn["grr"]),
        "ARPA": (api["arpa"], churn["arpa"]),
        "ARPA (sales)": (api["arpa"], sales["arpa"]),
        "LTV": (api["ltv"], churn["ltv"]),
        "LTV (sales, SaaS formula)": (api["ltv"], sales["ltv_saas"]),
        "MRR": (api["mrr_end"], churn["mrr_end"]),
        "NPS": (api["nps"], churn["nps"]),
        "revenue (sales)": (api["revenue"], sales["total_revenue"]),
        "repeat rate (sales)": (api["repeat_rate"], sales["repeat_customer_rate"]),
        "new-customer revenue share (sales)": (
            api["revenue_new_share"],
            sales["revenue_share_new_existing.new"],
        ),
    }
    for name, (want, got) in pairs.items():
        assert got == pytest.approx(want, rel=1e-9), name
    # rates are fractions in both files; units are the display layer's business
    assert 0 < churn["nrr"] < 2 and 0 < sales["nrr"] < 2
    assert -1 <= churn["nps"] <= 1


def test_orders_only_kpis_agree_everywhere(orders_only):
    ds, metrics = orders_only
    api = _api(ds)
    churn, sales = metrics["churn"], metrics["sales"]
    pairs = {
        "order churn": (api["churn_rate"], churn["order_churn_rate"]),
        "revenue": (api["revenue"], churn["revenue"]),
        "revenue (sales)": (api["revenue"], sales["total_revenue"]),
        "repeat rate": (api["repeat_rate"], churn["repeat_rate"]),
        "repeat rate (sales)": (api["repeat_rate"], sales["repeat_customer_rate"]),
        "new-customer revenue share": (
            api["revenue_new_share"],
            churn["revenue_new_share"],
        ),
        "new-customer revenue share (sales)": (
            api["revenue_new_share"],
            sales["revenue_share_new_existing.new"],
        ),
    }
    for name, (want, got) in pairs.items():
        assert got == pytest.approx(want, rel=1e-9), name
