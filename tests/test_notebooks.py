"""Notebooks are stored clean: no outputs, literal parameters, logic in churnlab."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb")) + sorted(
    (ROOT / "churnlab" / "reports" / "notebooks").glob("*.ipynb")
)
REPORTS = [p for p in NOTEBOOKS if p.parent.parent.name == "reports"]


def test_there_are_report_notebooks():
    assert {p.stem for p in REPORTS} >= {"churn"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has outputs"
            assert cell.execution_count is None


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.stem)
def test_report_has_one_literal_parameters_cell_with_comments(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    source = tagged[0].source
    for node in ast.parse(source).body:
        assert isinstance(node, ast.Assign), "only assignments in the parameters cell"
        ast.literal_eval(node.value)  # literals only
    for line in source.splitlines():
        assert "#" in line, f"parameter without a comment: {line!r}"
    inferred = papermill.inspect_notebook(str(path))
    assert len(inferred) == len(source.splitlines())  # papermill parses every line
    # the cell after the parameters validates them
    idx = nb.cells.index(tagged[0])
    assert "check_params(" in nb.cells[idx + 1].source


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.stem)
def test_report_cells_hold_calls_not_logic(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(
                node, ast.FunctionDef | ast.ClassDef | ast.For | ast.While | ast.Lambda
            ), f"{path.name}: logic in a cell belongs in churnlab/:\n{cell.source}"
        # short cells; the parameter check passes each parameter on its own line
        assert len(cell.source.splitlines()) <= 18
