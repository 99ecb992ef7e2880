"""Teaching notebooks: clean, short public calls, and exercise answers that are right.

Each notebook is executed with papermill on the bundled sample; a cell appended by
the test prints the notebook's ``answers`` dict as JSON, and the answers are checked
against values computed here from the frames' numerators and denominators (or
lifelines directly), not by re-running the notebook's own cell.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest
from lifelines import KaplanMeierFitter

import churnlab as cl

ROOT = Path(__file__).resolve().parents[1]
TEACHING = ROOT / "notebooks" / "teaching"
NOTEBOOKS = sorted(TEACHING.glob("[0-9][0-9]_*.ipynb"))
EXPECTED_STEMS = {
    "01_churn_and_denominators",
    "02_revenue_churn_and_nrr",
    "03_cohorts",
    "04_customer_lifetime",
    "05_activity_churn",
    "06_funnels_and_sales_kpis",
}


def _tagged(nb, tag):
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


def test_the_notebooks_exist():
    assert EXPECTED_STEMS <= {p.stem for p in NOTEBOOKS}


def test_readme_gives_the_path_and_a_glossary():
    text = (TEACHING / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"({path.name})" in text, f"README does not link {path.name}"
    assert "## Glossary" in text
    # each function links to the file that defines it
    for label, target in re.findall(
        r"\[(`cl\.[^\]]+)\]\((\.\./\.\./churnlab/[^)#]+)", text
    ):
        name = re.findall(r"cl\.([A-Za-z_]+)", label)[0]
        defined = Path(inspect.getsourcefile(inspect.unwrap(getattr(cl, name))))
        defined = defined.resolve()
        assert (TEACHING / target).resolve() == defined, f"{label}: link {target}"
    # every `cl.name` the glossary names is public
    for name in re.findall(r"`cl\.([a-z_]+)", text):
        assert name in cl.__all__, f"glossary names cl.{name}, which is not public"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_structure(path):
    nb = nbformat.read(path, as_version=4)
    params = _tagged(nb, "parameters")
    assert len(params) == 1, "one cell tagged parameters"
    for node in ast.parse(params[0].source).body:
        assert isinstance(node, ast.Assign)
        ast.literal_eval(node.value)
    assert all("#" in line for line in params[0].source.splitlines())
    answer_cells = _tagged(nb, "answers")
    assert len(answer_cells) == 1 and nb.cells[-1] is answer_cells[0]
    assert answer_cells[0].metadata.get("jupyter", {}).get("source_hidden") is True
    exercises = nb.cells[-2].source
    assert "## Exercises" in exercises
    exercises = exercises.split("## Exercises", 1)[1]
    assert 3 <= len(re.findall(r"^\d\. ", exercises, flags=re.M)) <= 5
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_cells_are_short_public_calls(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert "churnlab." not in cell.source.replace("import churnlab as cl", "")
        tree = ast.parse(cell.source)
        # short: a few statements (ruff's formatting decides the line breaks)
        assert len(tree.body) <= 10, cell.source
        for node in ast.walk(tree):
            assert not isinstance(
                node, ast.FunctionDef | ast.ClassDef | ast.For | ast.While | ast.Lambda
            ), f"{path.name}: logic in a cell:\n{cell.source}"
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "cl"
            ):
                assert node.attr in cl.__all__, f"cl.{node.attr} is not public"


# --------------------------------------------------------------- execution


def _run(path: Path, tmp_path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import json\nprint('ANSWERS=' + json.dumps(answers, default=float))"
        )
    )
    src = tmp_path / path.name
    nbformat.write(nb, src)
    out = tmp_path / f"out_{path.name}"
    papermill.execute_notebook(
        str(src), str(out), cwd=str(TEACHING), progress_bar=False, kernel_name=None
    )
    executed = nbformat.read(out, as_version=4)
    text = "".join(
        o.get("text", "")
        for o in executed.cells[-1].outputs
        if o.output_type == "stream"
    )
    return json.loads(text.split("ANSWERS=", 1)[1])


@pytest.fixture(scope="module")
def ds():
    return cl.sample_dataset()


def _row(frame, period, **keys):
    sel = frame[frame["period"] == pd.Timestamp(period)]
    for column, value in keys.items():
        sel = sel[sel[column] == value]
    assert len(sel) == 1
    return sel.iloc[0]


@pytest.mark.slow
def test_01_answers(tmp_path, ds):
    a = _run(TEACHING / "01_churn_and_denominators.ipynb", tmp_path)
    c = _row(cl.customer_churn(ds), "2026-10")
    lost = c["customers_start"] + c["customers_new"] - c["customers_end"]
    assert a["ex1_lost"] == lost == 79
    assert a["ex1_new_lost"] == c["customers_new_lost"] == 3
    seg = cl.customer_churn(ds, by="segment")
    seg = seg[seg["period"] == "2026-10-01"]
    rates = dict(
        zip(
            seg["segment"],
            seg["customers_churned"] / seg["customers_start"],
            strict=True,
        )
    )
    assert a["ex2_segment"] == max(rates, key=rates.get) == "SMB"
    e, n, s = c["customers_end"], c["customers_new"], c["customers_start"]
    assert a["ex3_crr"] == pytest.approx((e - n) / s)
    # all lost / start = (churned + new_lost) / start is the largest on the sample
    assert a["ex4_convention"] == "all lost / start"
    smb = {
        p: cl.churn_conventions(ds, period=p, by="segment").query(
            "segment == 'SMB' and convention == 'churned / start'"
        )
        for p in ("2026-09", "2026-10")
    }
    overlap = (
        smb["2026-10"]["ci_lower"].iloc[0] <= smb["2026-09"]["ci_upper"].iloc[0]
        and smb["2026-09"]["ci_lower"].iloc[0] <= smb["2026-10"]["ci_upper"].iloc[0]
    )
    assert overlap
    assert a["ex5_overlap"] == bool(overlap)


@pytest.mark.slow
def test_02_answers(tmp_path, ds):
    a = _run(TEACHING / "02_revenue_churn_and_nrr.ipynb", tmp_path)
    m = _row(cl.mrr_movements(ds), "2026-10")
    nrr = (
        m["mrr_start"] + m["mrr_expansion"] - m["mrr_contraction"] - m["mrr_churn"]
    ) / m["mrr_start"]
    assert a["ex1_nrr"] == pytest.approx(nrr)
    assert a["ex2_larger_loss"] == (
        "churn" if m["mrr_churn"] > m["mrr_contraction"] else "x"
    )
    # 5 accounts of EUR 1,000 leave a base of 20 x 1,000 + 80 x 50
    assert a["ex3_company_b_gross_revenue_churn"] == pytest.approx(5000 / 24000)
    assert a["ex4_segment"] == "Enterprise"
    gained = m["mrr_new"] + m["mrr_expansion"] + m["mrr_reactivation"]
    assert a["ex5_quick_ratio"] == pytest.approx(
        gained / (m["mrr_contraction"] + m["mrr_churn"])
    )


@pytest.mark.slow
def test_03_answers(tmp_path, ds):
    a = _run(TEACHING / "03_cohorts.ipynb", tmp_path)
    t = cl.cohort_table(ds)
    mine = t[t["cohort"] == "2025-10-01"].set_index("period_number")
    assert a["ex1_month6"] == pytest.approx(
        mine.loc[6, "customers_active"] / mine.loc[6, "cohort_size"]
    )
    assert a["ex2_months_observed"] == 12  # October 2025 to October 2026
    seg = cl.cohort_table(ds, by="segment", by_period=False)
    seg = seg[seg["period_number"] == 12].set_index("segment")
    assert a["ex3_segment"] == "Enterprise"
    assert a["ex4_smb_month12"] == pytest.approx(
        seg.loc["SMB", "customers_active"] / seg.loc["SMB", "cohort_size"]
    )
    assert a["ex5_max_revenue_month12"] > 1


@pytest.mark.slow
def test_04_answers(tmp_path, ds):
    a = _run(TEACHING / "04_customer_lifetime.ipynb", tmp_path)
    lt = cl.lifetimes(ds, attributes="segment")
    smb = lt[lt["segment"] == "SMB"]
    km = KaplanMeierFitter().fit(smb["tenure"], smb["churned"])
    assert a["ex1_smb_median"] == pytest.approx(km.median_survival_time_)
    enterprise = lt[lt["segment"] == "Enterprise"]
    assert a["ex2_enterprise_censored"] == int((~enterprise["churned"]).sum())
    # 1 / churn per customer-month of exposure
    assert a["ex3_smb_simple"] == pytest.approx(
        smb["tenure"].sum() / smb["churned"].sum(), rel=1e-3
    )
    assert a["ex3_simple_longer"] is True
    assert a["ex4_smb_survival_12"] == pytest.approx(
        float(km.survival_function_at_times(12).iloc[0])
    )
    monthly = smb["churned"].sum() / smb["tenure"].sum()
    annual = 1 - (1 - monthly) ** 12
    published = cl.benchmarks().query(
        "metric == 'customer_churn_rate' and segment == 'SMB'"
    )
    assert published["low"].iloc[0] <= annual <= published["high"].iloc[0]
    assert a["ex5_position"] == "within"


@pytest.mark.slow
def test_05_answers(tmp_path, ds):
    a = _run(TEACHING / "05_activity_churn.ipynb", tmp_path)
    t = pd.Timestamp("2026-11-01")  # the end of the as-of day 2026-10-31
    subs = ds.subscriptions.to_pandas()
    # the story's account really cancelled 12 days later, and was flagged before
    mine = subs[subs["customer_id"] == "C03835"]
    assert mine["end"].max() == pd.Timestamp("2026-08-12")
    assert a["story_account_slipping"] is True
    # one user's holiday week is not flagged, the whole team's slide is
    assert a["story_teams_flagged"] == ["Sliding Co"]
    signals = cl.activity_signals(ds, as_of="2026-10-31")
    flagged = signals[signals["slipping"] | signals["dormant"]]
    assert a["ex1_recovery_mrr"] == pytest.approx(flagged["mrr"].sum())
    # trials ending in the 30 days before t with no paid start before t
    customers = ds.customers.to_pandas()
    trial_end = customers["signup_at"] + pd.Timedelta(days=14)
    ended = customers[(trial_end >= t - pd.Timedelta(days=30)) & (trial_end < t)]
    paid = subs.loc[(subs["mrr"] > 0) & (subs["start"] < t), "customer_id"]
    assert a["ex2_trials_not_converted"] == (~ended["customer_id"].isin(paid)).sum()
    bt = cl.activity_backtest(ds, as_of="2026-10-31", horizon_days=90)
    done = bt[(bt["scope"] == "period") & bt["horizon_complete"]]
    precision = done["churned_flagged"].sum() / done["flagged"].sum()
    base_rate = done["churned_unflagged"].sum() / done["unflagged"].sum()
    assert a["ex3_lift"] == pytest.approx(precision / base_rate)
    assert a["ex3_lift"] > 1
    # flag dates September, October and November 2026: t + 90 days is after t
    months = bt.loc[bt["scope"] == "period", "period"]
    assert (months + pd.Timedelta(days=90) > t).sum() == 3
    assert a["ex4_open_months"] == 3
    events = ds.events.to_pandas()
    october = events[events["timestamp"].dt.strftime("%Y-%m") == "2026-10"]
    dau = october.groupby(october["timestamp"].dt.date)["user_id"].nunique()
    assert a["ex5_dau_mau"] == pytest.approx(
        dau.sum() / 31 / october["user_id"].nunique()
    )


@pytest.mark.slow
def test_06_answers(tmp_path, ds):
    a = _run(TEACHING / "06_funnels_and_sales_kpis.ipynb", tmp_path)
    steps = ["login", "dashboard_created", "report_viewed", "export"]
    f = cl.funnel(ds, steps=steps, window="14D")
    assert a["ex1_conversion"] == pytest.approx(
        f["users"].iloc[-1] / f["users"].iloc[0]
    )
    assert a["ex2_censored"] == f["users_censored"].iloc[0]
    w = cl.win_rates(ds, period="2026-Q3", by="segment").set_index("segment")
    won, closed = w.loc["Enterprise", ["deals_won", "deals_closed"]]
    assert a["ex3_enterprise_win_rate"] == pytest.approx(won / closed)
    assert a["ex4_longer"] == "censoring-aware"
    q = cl.quota_attainment(ds, period="2026-10")
    assert a["ex5_quota_attainment"] == pytest.approx(
        q["revenue_won"].sum() / q["quota"].sum()
    )
