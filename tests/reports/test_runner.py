"""The churn report end to end: CLI, papermill, metrics.json, safe publication."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import churnlab as cl
from churnlab import cli
from churnlab.errors import ReportError
from churnlab.reports import runner
from tests.conftest import ROOT, real_file
from tests.reports._browser import CHROMIUM, _hidden_figures, _overflow

SAMPLE = ROOT / "churnlab" / "sample" / "data"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One churn report for the sample's latest month, via the CLI."""
    out = tmp_path_factory.mktemp("reports")
    code = cli.main(
        ["report", "churn", "--data", str(SAMPLE), "--out", str(out), "--no-progress"]
    )
    assert code == 0
    return out / "churn" / "2026-10"


def test_cli_publishes_html_notebook_and_metrics(published):
    assert sorted(p.name for p in published.iterdir()) == [
        "accounts_at_risk.csv",
        "churn.html",
        "churn.ipynb",
        "lost_mrr_accounts.csv",
        "metrics.json",
    ]
    doc = json.loads((published / "metrics.json").read_text())
    assert doc["report"] == "churn" and doc["period"] == "2026-10"
    assert doc["as_of"] == "2026-10-31"
    assert doc["data_fingerprint"].startswith("sha256:")
    assert doc["churnlab_version"] == cl.__version__
    m = doc["metrics"]
    assert m["customers_end"] == (
        m["customers_start"]
        - m["customers_churned"]
        + m["customers_new"]
        - m["customers_new_lost"]
        + m["customers_reactivated"]
    )
    bridge = (
        m["mrr_start"]
        + m["mrr_new"]
        + m["mrr_expansion"]
        + m["mrr_reactivation"]
        - m["mrr_contraction"]
        - m["mrr_churn"]
    )
    assert bridge == pytest.approx(m["mrr_end"], abs=0.01)
    assert 0 <= m["customer_churn_rate"] <= 1
    assert m["customer_churn_rate"] == pytest.approx(
        m["customers_churned"] / m["customers_start"]
    )
    from churnlab.reports.churn import HEADLINE_KEYS

    documented = set(HEADLINE_KEYS)
    assert {k for k in m if not k.startswith("nps_")} <= documented | {
        "net_revenue_churn_rate"
    }


def test_metrics_agree_with_the_package_functions(published):
    m = json.loads((published / "metrics.json").read_text())["metrics"]
    churn = cl.customer_churn(cl.sample_dataset(), as_of="2026-10-31")
    row = churn[churn["period"] == "2026-10-01"].iloc[0]
    assert m["customers_start"] == row["customers_start"]
    assert m["customers_churned"] == row["customers_churned"]


def test_html_hides_code_and_shows_no_tracebacks_or_warnings(published):
    page = (published / "churn.html").read_text()
    assert "Monthly churn report" in page
    assert "import churnlab" not in page  # code cells are hidden
    assert "Traceback" not in page
    assert "<svg" in page and "<img" not in page  # charts are inline SVG
    assert "<title>Churn report · October 2026</title>" in page
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "jp-OutputArea-output" in page
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page
    assert "Warning" not in page and ".py:" not in page
    nb = nbformat.read(published / "churn.ipynb", as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error"
            # no warnings or stray prints on stderr in a published report
            assert output.get("name") != "stderr", output.get("text")
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_rerun_gives_identical_metrics_json(published, tmp_path):
    code = cli.main(
        [
            "report",
            "churn",
            "--month",
            "2026-10",
            "--data",
            str(SAMPLE),
            "--out",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert code == 0
    again = (tmp_path / "churn" / "2026-10" / "metrics.json").read_bytes()
    assert again == (published / "metrics.json").read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "is not a month; use YYYY-MM"),
        (["--month", "October"], "is not a month; use YYYY-MM"),
        (["--month", "2030-01"], "outside the data"),
        (["--segment", "Galactic"], "segment='Galactic' is not in the data"),
        (["--param", "colour=blue"], "Unknown parameter(s) colour"),
        (["--param", "inactivity_days=0"], "inactivity_days=0 must be"),
        (["--param", "gross_margin=1.5"], "gross_margin=1.5 must be"),
        (["--from", "2026-09"], "--from and --to go together"),
    ],
)
def test_bad_parameters_fail_fast_with_one_clear_line(args, message, tmp_path, capsys):
    code = cli.main(
        ["report", "churn", "--data", str(SAMPLE), "--out", str(tmp_path), *args]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("churnlab: error: ")
    assert message in err
    assert not (tmp_path / "churn").exists() or not any((tmp_path / "churn").iterdir())


def test_missing_data_folder_and_unknown_report(tmp_path, capsys):
    assert cli.main(["report", "churn", "--data", str(tmp_path / "nope")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert cli.main(["report", "weather", "--data", str(SAMPLE)]) == 1
    assert "no 'weather' report" in capsys.readouterr().err


def test_command_line_entry_point_exits_non_zero(tmp_path):
    import sys

    beside = Path(sys.executable).with_name("churnlab")  # the venv's scripts folder
    exe = str(beside) if beside.exists() else shutil.which("churnlab")
    if exe is None:
        pytest.skip("the churnlab console script is not installed (pip install -e .)")
    done = subprocess.run(
        [
            exe,
            "report",
            "churn",
            "--month",
            "1999-01",
            "--data",
            str(SAMPLE),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "outside the data" in done.stderr
    assert "Traceback" not in done.stderr


def test_failed_run_keeps_the_last_good_report(published, tmp_path, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(published, out / "churn" / "2026-10")
    before = (out / "churn" / "2026-10" / "churn.html").read_bytes()
    broken_dir = tmp_path / "notebooks"
    broken_dir.mkdir()
    nb = nbformat.read(runner.NOTEBOOK_DIR / "churn.ipynb", as_version=4)
    nb.cells.insert(5, nbformat.v4.new_code_cell("raise KeyError('segment')"))
    nbformat.write(nb, broken_dir / "churn.ipynb")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", broken_dir)
    with pytest.raises(ReportError) as info:
        runner.run_report(
            "churn", month="2026-10", data_dir=SAMPLE, out=out, progress=False
        )
    msg = str(info.value)
    assert "churn report for 2026-10 failed in cell" in msg
    assert "KeyError" in msg and "previous report untouched" in msg
    assert (out / "churn" / "2026-10" / "churn.html").read_bytes() == before
    assert (out / "churn" / "2026-10.failed" / "churn.ipynb").exists()


def test_data_swapped_mid_run_is_not_published(published, tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    out = tmp_path / "out"
    shutil.copytree(published, out / "churn" / "2026-10")
    before = (out / "churn" / "2026-10" / "churn.html").read_bytes()
    import papermill

    real = papermill.execute_notebook

    def run_then_swap(*args, **kwargs):
        result = real(*args, **kwargs)
        # valid newer data lands while the report is still running
        with (data / "orders.csv").open("a") as fh:
            fh.write("O_LATE,C00001,2026-10-30,99.00,False,NL\n")
        return result

    monkeypatch.setattr(papermill, "execute_notebook", run_then_swap)
    with pytest.raises(ReportError, match="changed while the report ran"):
        runner.run_report(
            "churn", month="2026-10", data_dir=data, out=out, progress=False
        )
    assert (out / "churn" / "2026-10" / "churn.html").read_bytes() == before


def test_excluded_rows_are_counted_in_the_data_notes(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    with (data / "subscriptions.csv").open() as fh:
        header = fh.readline().strip().split(",")
    # one subscription that ends before it starts: a row-level rule
    row = dict.fromkeys(header, "")
    row.update(
        subscription_id="S_BAD",
        customer_id="C00001",
        start="2026-05-01",
        end="2026-04-01",
        mrr="10.0",
        plan="Starter",
    )
    with (data / "subscriptions.csv").open("a") as fh:
        fh.write(",".join(row[c] for c in header) + "\n")
    code = cli.main(
        ["report", "churn", "--data", str(data), "--out", str(tmp_path / "out")]
        + ["--no-progress"]
    )
    assert code == 1  # refused by default
    result = runner.run_report(
        "churn",
        month="2026-10",
        data_dir=data,
        out=tmp_path / "out",
        parameters={"errors": "exclude"},
        progress=False,
    )
    page = result.html.read_text()
    assert "Every row accounted for" in page
    assert "subscriptions: 1 rows excluded" in page


def test_relative_output_folder_works(published, tmp_path, monkeypatch):
    # `make report` passes --out reports, relative to the working directory
    monkeypatch.chdir(tmp_path)
    shutil.copytree(published, tmp_path / "reports" / "churn" / "2026-10")
    code = cli.main(
        [
            "report",
            "churn",
            "--month",
            "2026-10",
            "--data",
            str(SAMPLE),
            "--out",
            "reports",
            "--no-progress",
        ]
    )
    assert code == 0
    assert (tmp_path / "reports" / "churn" / "2026-10" / "metrics.json").exists()
    assert not (tmp_path / "reports" / "churn" / "2026-10.failed").exists()


def test_late_data_restatement_is_reported(published, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    out = tmp_path / "out"
    shutil.copytree(published, out / "churn" / "2026-10")
    subs = pd.read_csv(data / "subscriptions.csv")
    # a late cancellation: an open subscription turns out to have ended on 15 October
    idx = subs.index[subs["end"].isna()][0]
    subs.loc[idx, "end"] = "2026-10-15"
    subs.to_csv(data / "subscriptions.csv", index=False)
    result = runner.run_report(
        "churn", month="2026-10", data_dir=data, out=out, progress=False
    )
    old = json.loads((published / "metrics.json").read_text())["metrics"]
    assert (
        result.metrics["metrics"]["customers_churned"] == old["customers_churned"] + 1
    )
    page = result.html.read_text()
    assert "late data changed numbers published earlier" in page
    assert "customers churned" in page


def test_orders_only_dataset_gets_the_non_contractual_report(tmp_path):
    data = tmp_path / "shop"
    data.mkdir()
    for name in ("orders.csv", "customers.csv"):
        shutil.copy(SAMPLE / name, data / name)
    result = runner.run_report(
        "churn",
        data_dir=data,
        out=tmp_path / "out",
        parameters={"inactivity_days": 60},
        progress=False,
    )
    m = result.metrics["metrics"]
    assert result.metrics["parameters"]["inactivity_days"] == 60
    ds = cl.load_dataset(data)
    expected = cl.order_churn(ds, inactivity_days=60, as_of=result.metrics["as_of"])
    row = expected.iloc[-1]
    assert m["order_churn_rate"] == pytest.approx(row["churn_rate"])
    page = result.html.read_text()
    assert "60 days without an order" in page
    # the text follows the data: no MRR or NRR prose on orders-only data
    assert "MRR sections are left out" in page
    assert "MRR bridge" not in page and "NRR" not in page


def test_notebook_runs_under_plain_papermill(tmp_path, monkeypatch):
    import papermill

    # as installed (pip install -e .) the kernel finds churnlab anywhere; make it
    # so when the tests run from a source tree with a relative PYTHONPATH too
    monkeypatch.setenv("PYTHONPATH", str(ROOT))

    out = tmp_path / "run.ipynb"
    papermill.execute_notebook(
        str(runner.NOTEBOOK_DIR / "churn.ipynb"),
        str(out),
        parameters={
            "month": "2026-06",
            "data_dir": str(SAMPLE),
            "segment": "SMB",
            "output_dir": str(tmp_path),
        },
        progress_bar=False,
        cwd=str(tmp_path),
    )
    doc = json.loads((tmp_path / "metrics.json").read_text())
    assert doc["period"] == "2026-06" and doc["parameters"]["segment"] == "SMB"
    smb = cl.customer_churn(cl.sample_dataset(), by="segment", as_of="2026-06-30")
    row = smb[(smb["period"] == "2026-06-01") & (smb["segment"] == "SMB")].iloc[0]
    assert doc["metrics"]["customers_start"] == row["customers_start"]


RETAIL = real_file("online_retail", "online_retail.parquet")


@pytest.mark.real
@pytest.mark.skipif(
    not RETAIL.exists(),
    reason="online_retail.parquet not found in "
    "../shared/data/real; set CHURNLAB_REAL_DATA",
)
def test_report_on_online_retail_matches_order_churn(tmp_path):
    raw = pd.read_parquet(RETAIL)
    raw = raw[raw["CustomerID"].notna()]  # 135,080 guest lines have no customer
    orders = pd.DataFrame(
        {
            "customer_id": raw["CustomerID"].astype("int64").astype(str),
            "order_id": raw["InvoiceNo"],
            "ordered_at": raw["InvoiceDate"],
            "amount": raw["Quantity"] * raw["UnitPrice"],
            "is_refund": raw["InvoiceNo"].str.startswith("C"),
            "location": raw["Country"],
        }
    )
    data = tmp_path / "retail"
    data.mkdir()
    orders.to_parquet(data / "orders.parquet")
    result = runner.run_report(
        "churn", data_dir=data, out=tmp_path / "out", progress=False
    )
    assert result.month == "2011-11"  # December 2011 is partial
    m = result.metrics["metrics"]
    expected = cl.order_churn(
        cl.load_dataset(data), inactivity_days=90, as_of="2011-11-30"
    )
    row = expected[expected["period"] == "2011-11-01"].iloc[0]
    assert m["customers_start"] == row["customers_start"]
    assert m["customers_churned"] == row["customers_churned"]
    assert m["order_churn_rate"] == pytest.approx(row["churn_rate"])


def test_backfill_range_and_month_range():
    assert runner.month_range("2025-11", "2026-02") == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    with pytest.raises(cl.ParameterError, match="after"):
        runner.month_range("2026-02", "2025-11")


def test_fingerprint_changes_with_the_data(tmp_path):
    shutil.copy(SAMPLE / "customers.csv", tmp_path / "customers.csv")
    before = runner.fingerprint(tmp_path)
    (tmp_path / "notes.txt").write_text("not a table")  # ignored
    assert runner.fingerprint(tmp_path) == before
    with (tmp_path / "customers.csv").open("a") as fh:
        fh.write("\n")
    assert runner.fingerprint(tmp_path) != before


@pytest.mark.skipif(
    not CHROMIUM, reason="chromium is not installed (apt-get install chromium)"
)
@pytest.mark.parametrize("width", [1366, 390])
def test_report_has_no_horizontal_overflow_at_laptop_and_phone_width(
    published, tmp_path, width
):
    page = tmp_path / "churn.html"
    shutil.copy(published / "churn.html", page)
    overflow, scroll = _overflow(page, width)
    assert overflow == "no", f"page is {scroll}px wide at a {width}px window"
    assert _hidden_figures(page, width) == 0, f"a figure shows nothing at {width}px"
