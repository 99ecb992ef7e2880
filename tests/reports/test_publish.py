"""Publication: atomic swap, lock, stale folders, history, index, parameters."""

from __future__ import annotations

import json
import os
import shutil
import time

import pandas as pd
import pytest

import churnlab as cl
from churnlab import cli
from churnlab.errors import ParameterError, ReportError
from churnlab.reports import _display, runner
from churnlab.reports.params import check_params
from tests.conftest import ROOT

SAMPLE = ROOT / "churnlab" / "sample" / "data"


def _work(root, month, value):
    work = root / f".{month}-abc{value}"
    work.mkdir(parents=True)
    doc = {"report": "churn", "period": month, "metrics": {"x": value}}
    (work / "metrics.json").write_text(json.dumps(doc))
    (work / "churn.html").write_text(f"<p>{value}</p>")
    return work


def test_publish_swaps_a_symlink_and_keeps_the_previous_run(tmp_path):
    root = tmp_path / "churn"
    final = root / "2026-10"
    runs = []
    for value in (1, 2, 3):
        runs.append(runner._publish(_work(root, "2026-10", value), final))
        assert final.is_symlink()
        assert json.loads((final / "metrics.json").read_text())["metrics"] == {
            "x": value
        }
    kept = sorted(p.name for p in root.glob("2026-10.*"))
    assert kept == sorted([runs[1].name, runs[2].name])  # current and previous
    assert not list(root.glob(".2026-10.link-*"))


def test_crash_between_publish_steps_keeps_the_last_publication(tmp_path, monkeypatch):
    root = tmp_path / "churn"
    final = root / "2026-10"
    runner._publish(_work(root, "2026-10", 1), final)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed between steps")

    monkeypatch.setattr(runner.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        runner._publish(_work(root, "2026-10", 2), final)
    monkeypatch.undo()
    # the month is still published, and it is still the first run
    assert json.loads((final / "metrics.json").read_text())["metrics"] == {"x": 1}
    assert runner._previous_metrics(root, "2026-10")["metrics"] == {"x": 1}


def test_an_earlier_plain_folder_is_taken_over(tmp_path):
    root = tmp_path / "churn"
    (root / "2026-10").mkdir(parents=True)
    (root / "2026-10" / "metrics.json").write_text('{"metrics": {"x": 0}}')
    runner._publish(_work(root, "2026-10", 1), root / "2026-10")
    assert (root / "2026-10").is_symlink()
    assert len(list(root.glob("2026-10.*-earlier"))) == 1


def test_history_is_the_restatement_baseline_when_the_month_is_gone(tmp_path):
    root = tmp_path / "churn"
    root.mkdir()
    runner._append_history(root, "2026-10", "run-a", {"metrics": {"x": 1}})
    runner._append_history(root, "2026-10", "run-b", {"metrics": {"x": 2}})
    assert runner.history(tmp_path, "churn", "2026-10") == [
        {"metrics": {"x": 1}},
        {"metrics": {"x": 2}},
    ]
    assert runner._previous_metrics(root, "2026-10") == {"metrics": {"x": 2}}


def test_second_run_of_the_same_month_exits_with_one_line(tmp_path):
    root = tmp_path / "churn"
    root.mkdir()
    with (
        runner._lock(root, "2026-10", "churn"),
        pytest.raises(ReportError, match="in progress"),
    ):
        runner.run_report("churn", month="2026-10", out=tmp_path, progress=False)


def test_stale_temporary_folders_are_cleaned(tmp_path):
    root = tmp_path / "churn"
    old = root / ".2026-09-old"
    fresh = root / ".2026-09-fresh"
    busy = root / ".2026-08-busy"
    for folder in (old, fresh, busy):
        folder.mkdir(parents=True)
    two_days = time.time() - 2 * 86400
    for folder in (old, busy):
        os.utime(folder, (two_days, two_days))
    with runner._lock(root, "2026-08", "churn"):  # a run of August is under way
        removed = runner._clean_stale(root, own_month="2026-10")
    assert removed == [old]
    assert fresh.exists() and busy.exists() and not old.exists()


def test_index_lists_published_reports_with_headlines(tmp_path):
    for name, month, metrics in [
        ("churn", "2026-09", {"customer_churn_rate": 0.031, "mrr_end": 4587366.0}),
        ("churn", "2026-10", {"customer_churn_rate": 0.0317, "nrr": 0.994}),
        ("sales", "2026-10", {"total_revenue": 6228770.0, "win_rate": 0.252}),
    ]:
        root = tmp_path / name
        doc = {"metrics": metrics, "parameters": {"currency": "EUR"}}
        work = root / f".{month}-x"
        work.mkdir(parents=True)
        (work / "metrics.json").write_text(json.dumps(doc))
        runner._publish(work, root / month)
    page = runner.write_index(tmp_path).read_text()
    assert page.index("2026-10") < page.index("2026-09")  # newest first
    assert 'href="churn/2026-10/churn.html"' in page
    assert "logo churn 3.2%" in page and "NRR 99.4%" in page
    assert "revenue €6,228,770" in page and "win rate 25.2%" in page
    assert "Content-Security-Policy" in page
    assert not list(tmp_path.glob(".index.html.*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "month=2026-10"], "use --month"),
        (["--param", "data_dir=x"], "use --data"),
        (["--param", "currency=eur"], "three-letter code"),
        (["--month", "2022-09", "--param", "as_of=2022-09-30"], None),
        (["--out", "/proc/churnlab-reports"], "is not writable"),
    ],
)
def test_parameter_errors_are_one_line_before_any_kernel(
    args, message, tmp_path, capsys
):
    if message is None:  # a month inside the data is fine: skip the run itself
        return
    argv = ["report", "churn", "--quiet"] + args
    if "--out" not in args:
        argv += ["--out", str(tmp_path)]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("churnlab: error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "churn").exists()


def test_output_under_a_file_is_a_parameter_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match="not a folder"):
        runner._check_writable(tmp_path / "file" / "reports")


def test_month_before_the_reports_tables_start(tmp_path):
    for name in ("customers.csv", "orders.csv"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    customers = pd.read_csv(tmp_path / "customers.csv")
    customers.loc[0, "signup_at"] = "2019-01-05 10:00:00"  # one early sign-up
    customers.to_csv(tmp_path / "customers.csv", index=False)
    with pytest.raises(ParameterError, match="before the churn report's tables"):
        check_params(report="churn", month="2020-06", data_dir=str(tmp_path))


def test_month_given_as_a_number_is_a_parameter_error():
    with pytest.raises(ParameterError, match="must be text"):
        check_params(month=202610)
    with pytest.raises(ParameterError, match="folder path"):
        check_params(data_dir=3)


def test_long_labels_are_capped():
    huge = "x" * 1_000_000
    assert len(_display.esc(huge)) <= _display.LABEL_MAX
    with pytest.raises(ParameterError, match="at most"):
        check_params(segment=huge)


def test_currency_comes_from_dataset_toml_and_the_parameter(tmp_path):
    assert check_params().currency == "EUR"  # the sample's dataset.toml
    assert check_params(currency="USD").currency == "USD"
    assert _display.fmt(4542699.4, "money", "EUR") == "€4,542,699"
    assert _display.fmt(1234.0, "money", "CHF") == "CHF 1,234"


def test_one_formatter_for_every_unit():
    f = _display.fmt
    assert f(0.994, "pct") == "99.4%"
    assert f(-0.003, "pp") == "-0.3 pp"
    assert f(0.23, "nps") == "+23"
    assert f(80.0, "count") == "80"
    assert f(1234567, "count") == "1,234,567"
    assert f(float("nan"), "pct") == "–"


def test_sample_command_writes_a_copy(tmp_path, capsys):
    out = tmp_path / "sample"
    assert cli.main(["sample", "--out", str(out)]) == 0
    assert (out / "customers.csv").read_bytes() == (
        SAMPLE / "customers.csv"
    ).read_bytes()
    ds = cl.load_dataset(out)
    assert "subscriptions" in ds.tables
    assert cli.main(["sample", "--out", str(out)]) == 1  # not over a full folder
    assert "not empty" in capsys.readouterr().err


def test_export_drops_stderr_and_sets_title_and_csp():
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream", name="stderr", text="/x/y.py:3: UserWarning: noisy\n"
        ),
        nbformat.v4.new_output("stream", name="stdout", text="kept\n"),
    ]
    nb.cells.append(cell)
    page = runner.export_html(nb, title="Churn report · <b>x</b>")
    assert "UserWarning" not in page and "kept" in page
    assert "<title>Churn report · &lt;b&gt;x&lt;/b&gt;</title>" in page
    head = page[: page.index("</head>")]
    assert "Content-Security-Policy" in head and "script-src" not in runner.CSP
    assert "default-src 'none'" in runner.CSP
