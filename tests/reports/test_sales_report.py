"""The sales report on the churn report's machinery."""

from __future__ import annotations

import json

import nbformat
import pytest

import churnlab as cl
from churnlab import cli
from tests.conftest import ROOT
from tests.reports._browser import CHROMIUM, _overflow

SAMPLE = ROOT / "churnlab" / "sample" / "data"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    code = cli.main(
        [
            "report",
            "sales",
            "--month",
            "2026-09",
            "--data",
            str(SAMPLE),
            "--out",
            str(out),
            "--param",
            "market_size=250000",
            "--no-progress",
        ]
    )
    assert code == 0
    return out / "sales" / "2026-09"


def test_sales_report_publishes_with_its_kpis(published):
    doc = json.loads((published / "metrics.json").read_text())
    assert doc["report"] == "sales" and doc["period"] == "2026-09"
    assert doc["parameters"]["market_size"] == 250000
    kpis = cl.sales_kpis(
        cl.sample_dataset(), "2026-09", market_size=250000, gross_margin=0.8
    ).set_index("kpi")["value"]
    for name in (
        "total_revenue",
        "win_rate",
        "quota_attainment",
        "market_penetration",
        "sales_expense_ratio",  # the sample's sales_inputs table
    ):
        assert doc["metrics"][name] == pytest.approx(kpis[name], rel=1e-9)


def test_sales_report_shows_sections_and_no_errors(published):
    page = (published / "sales.html").read_text()
    for text in (
        "Monthly sales report",
        "Sales KPIs",
        "Win rate and cycle length",
        "Quota attainment",
        "✔ pipeline funnel counts",
        "<title>Sales report · September 2026</title>",
        "(mature)",
        "Net revenue retention (NRR)",
        "€",
    ):
        assert text in page, text
    assert "0.99×" not in page  # NRR is a percentage in both reports
    nb = nbformat.read(published / "sales.ipynb", as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error"
            assert output.get("name") != "stderr", output.get("text")


def test_sales_report_without_deals_or_orders_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "customers.csv").write_text("customer_id\na\n")
    (tmp_path / "nps.csv").write_text(
        "customer_id,at,score\na,2026-09-03,9\na,2026-10-31,7\n"
    )
    code = cli.main(
        [
            "report",
            "sales",
            "--data",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
            "--no-progress",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "failed in cell" not in err  # checked before a kernel starts
    assert "needs a deals or an orders table" in err


def test_segment_without_deals_is_one_clear_line(tmp_path, capsys):
    # the sample's SMB customers buy without a sales team: no deals
    code = cli.main(
        ["report", "sales", "--segment", "SMB", "--out", str(tmp_path), "--quiet"]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "segment='SMB' has no rows in the deals table" in err


@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed")
@pytest.mark.parametrize("width", [1366, 390])
def test_sales_report_fits_laptop_and_phone(published, tmp_path, width):
    import shutil

    page = tmp_path / "sales.html"
    shutil.copy(published / "sales.html", page)
    overflow, scroll = _overflow(page, width)
    assert overflow == "no", f"page is {scroll}px wide at a {width}px window"
