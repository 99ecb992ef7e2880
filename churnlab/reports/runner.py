"""Run report notebooks with papermill, export HTML, publish atomically.

Public names: ``NOTEBOOK_DIR``, ``available_reports``, ``run_report``,
``run_reports``, ``ReportResult``, ``fingerprint``, ``save_metrics``,
``restatements``, ``check_invariants``, ``month_range``.

One run of report NAME for month M writes, under ``OUT/NAME/M/``: ``NAME.html``
(code hidden), the executed ``NAME.ipynb`` and ``metrics.json``. The run builds
everything in a temporary folder beside the target and swaps it into place only
when every step succeeded, so a failed run leaves the previous good report
untouched and says which cell failed and why.
"""

from __future__ import annotations

import contextlib
from importlib import resources
import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from churnlab import periods
from churnlab.errors import ParameterError, ReportError
from churnlab.reports.params import ReportParams, check_params

__all__ = [
    "NOTEBOOK_DIR",
    "available_reports",
    "run_report",
    "run_reports",
    "ReportResult",
    "fingerprint",
    "save_metrics",
    "restatements",
    "check_invariants",
    "month_range",
]

#: Folder holding the report notebooks (``churn.ipynb``, ``sales.ipynb``, ...).
NOTEBOOK_DIR = Path(str(resources.files("churnlab.reports").joinpath("notebooks")))

#: Parameters the runner sets itself; a user cannot pass them.
_RUNNER_PARAMS = {"output_dir", "previous_metrics"}


@dataclass
class ReportResult:
    """Where a finished report went and what it measured."""

    report: str
    month: str
    folder: Path
    html: Path
    notebook: Path
    metrics_path: Path
    metrics: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.report} report for {self.month}: {self.html}"


def available_reports() -> list[str]:
    """Names of the report notebooks shipped in :data:`NOTEBOOK_DIR`."""
    return sorted(p.stem for p in NOTEBOOK_DIR.glob("*.ipynb"))


def _notebook(name: str) -> Path:
    path = NOTEBOOK_DIR / f"{name}.ipynb"
    if not path.exists():
        raise ParameterError(
            f"There is no {name!r} report; reports are "
            f"{', '.join(available_reports())}."
        )
    return path


def _check_names(path: Path, parameters: Mapping[str, Any]) -> None:
    import papermill

    known = set(papermill.inspect_notebook(str(path)))
    unknown = sorted(set(parameters) - known)
    if unknown:
        allowed = ", ".join(sorted(known - _RUNNER_PARAMS))
        raise ParameterError(
            f"Unknown parameter(s) {', '.join(unknown)} for the {path.stem} report; "
            f"parameters are {allowed}."
        )
    reserved = sorted(set(parameters) & _RUNNER_PARAMS)
    if reserved:
        raise ParameterError(f"{', '.join(reserved)} is set by the runner, not by you.")


def month_range(start: str, end: str) -> list[str]:
    """Months from ``start`` to ``end`` inclusive, as ``YYYY-MM`` strings."""
    first, last = (
        periods.parse_month(start, name="from"),
        periods.parse_month(end, name="to"),
    )
    if last < first:
        raise ParameterError(f"--from {start} is after --to {end}.")
    return [d.strftime("%Y-%m") for d in pd.date_range(first, last, freq="MS")]


def run_report(
    name: str,
    *,
    month: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    segment: str | None = None,
    out: str | os.PathLike[str] = "reports",
    parameters: Mapping[str, Any] | None = None,
    progress: bool = True,
    kernel_name: str | None = None,
) -> ReportResult:
    """Execute report ``name`` for ``month`` and publish it under ``out``.

    Parameters
    ----------
    name : str
        Report name, e.g. ``"churn"`` (see :func:`available_reports`).
    month : str, optional
        ``YYYY-MM``; default the latest complete month of the data.
    data_dir : path, optional
        Dataset folder; default the bundled sample company.
    segment : str, optional
        Filter every table to one customer segment.
    out : path
        Root of the published reports.
    parameters : mapping, optional
        Other notebook parameters (``as_of``, ``inactivity_days``, ``gross_margin``).
        Unknown names are an error, unlike plain papermill, which only logs them.
    progress : bool
        Show papermill's progress bar.
    kernel_name : str, optional
        Jupyter kernel; default the notebook's.

    Returns
    -------
    ReportResult

    Raises
    ------
    ParameterError
        Before anything runs, for bad parameters.
    ReportError
        When a cell fails (named with its error); the previous report stays.
    """
    import nbformat
    import papermill
    from nbconvert import HTMLExporter
    from papermill.exceptions import PapermillExecutionError

    path = _notebook(name)
    extra = dict(parameters or {})
    _check_names(
        path, {"month": month, "data_dir": data_dir, "segment": segment, **extra}
    )
    p: ReportParams = check_params(
        report=name, month=month, data_dir=data_dir, segment=segment, **extra
    )
    final = (Path(out) / name / p.month).resolve()  # the kernel runs elsewhere
    final.parent.mkdir(parents=True, exist_ok=True)
    previous = final / "metrics.json"
    work = Path(tempfile.mkdtemp(prefix=f".{p.month}-", dir=final.parent))
    executed = work / f"{name}.ipynb"
    params = {
        "month": p.month,
        "data_dir": str(Path(p.data_dir).resolve()),
        "segment": segment,
        "output_dir": str(work),
        "previous_metrics": str(previous.resolve()) if previous.exists() else None,
        **extra,
    }
    try:
        with _kernel_imports_this_churnlab():
            papermill.execute_notebook(
                str(path),
                str(executed),
                parameters=params,
                progress_bar=progress,
                kernel_name=kernel_name,
                cwd=str(work),
            )
    except PapermillExecutionError as err:
        failed = final.parent / f"{p.month}.failed"
        shutil.rmtree(failed, ignore_errors=True)
        work.rename(failed)
        raise ReportError(
            f"{name} report for {p.month} failed in cell [{err.exec_count}] "
            f"({err.ename}: {err.evalue}); previous report untouched; failed notebook "
            f"at {failed / executed.name}"
        ) from err
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    metrics_path = work / "metrics.json"
    if not metrics_path.exists():
        shutil.rmtree(work, ignore_errors=True)
        raise ReportError(
            f"{name} report for {p.month} wrote no metrics.json (the notebook must "
            "call "
            "cl.reports.save_metrics); previous report untouched."
        )
    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _resources = exporter.from_notebook_node(nb)
    (work / f"{name}.html").write_text(body, encoding="utf-8")
    work.chmod(0o755)
    _swap(work, final)
    metrics = json.loads((final / "metrics.json").read_text())
    return ReportResult(
        name,
        p.month,
        final,
        final / f"{name}.html",
        final / f"{name}.ipynb",
        final / "metrics.json",
        metrics,
    )


@contextlib.contextmanager
def _kernel_imports_this_churnlab() -> Iterator[None]:
    """Make the notebook kernel import the churnlab that is running the report.

    The kernel is a new process started in a temporary folder; putting this
    package's parent folder first on its ``PYTHONPATH`` means the report never
    runs a different churnlab than the one that validated its parameters.
    """
    root = str(Path(__file__).resolve().parents[2])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = root + (os.pathsep + old if old else "")
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def _swap(work: Path, final: Path) -> None:
    """Move ``work`` to ``final``, replacing it with two renames."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
    work.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(final.with_name(f"{final.name}.failed"), ignore_errors=True)


def run_reports(
    names: Iterable[str], months: Iterable[str | None], **kwargs: Any
) -> list[ReportResult]:
    """Run several reports over several months (a backfill).

    Stops at the first failure; reports published before it stay published.
    """
    results = []
    for name in names:
        for month in months:
            results.append(run_report(name, month=month, **kwargs))
    return results


# ----------------------------------------------------------------- metrics.json


def fingerprint(data_dir: str | os.PathLike[str]) -> str:
    """SHA-256 over the dataset folder's table files (names and bytes), sorted."""
    from churnlab.contract import TABLES

    folder = Path(data_dir)
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and (
            p.name == "dataset.toml"
            or p.name.split(".")[0] in TABLES
            or p.parent.name in TABLES
        )
    )
    for f in files:
        digest.update(str(f.relative_to(folder)).encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _clean(value: Any) -> Any:
    """JSON-able, rounded to 10 significant digits; NaN becomes null."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return float(f"{value:.10g}")
    return value


def save_metrics(
    params: ReportParams,
    metrics: Mapping[str, Any],
    output_dir: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    """Write ``metrics.json`` for a report run and return its content.

    Keys: ``report, period, as_of, parameters, data_fingerprint,
    churnlab_version, metrics``. No run time or host goes in, so the same data
    and parameters give a byte-identical file.
    """
    from churnlab import __version__

    doc = {
        "report": params.report,
        "period": params.month,
        "as_of": params.as_of.strftime("%Y-%m-%d"),
        "parameters": _clean(params.as_json()),
        "data_fingerprint": fingerprint(params.data_dir),
        "churnlab_version": __version__,
        "metrics": _clean(dict(metrics)),
    }
    if output_dir is not None:
        path = Path(output_dir) / "metrics.json"
        path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return doc


def restatements(
    previous: str | os.PathLike[str] | None,
    metrics: Mapping[str, Any],
    *,
    tolerance: float = 1e-9,
) -> pd.DataFrame:
    """Headline numbers that differ from an earlier published ``metrics.json``.

    Returns
    -------
    pandas.DataFrame
        ``metric, published, now, change`` for each metric whose value moved
        (late data), empty when nothing changed or nothing was published.
    """
    cols = ["metric", "published", "now", "change"]
    if previous is None or not Path(previous).exists():
        return pd.DataFrame(columns=cols)
    old = json.loads(Path(previous).read_text()).get("metrics", {})
    new = _clean(dict(metrics))
    rows = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, int | float) and isinstance(b, int | float):
            if abs(a - b) > tolerance * max(1.0, abs(a)):
                rows.append((key, a, b, b - a))
        elif a != b:
            rows.append((key, a, b, None))
    return pd.DataFrame(rows, columns=cols)


def check_invariants(checks: Mapping[str, bool]) -> None:
    """Raise :class:`ReportError` naming every invariant that does not hold."""
    failed = [name for name, ok in checks.items() if not bool(ok)]
    if failed:
        raise ReportError(
            "Report invariants failed, so it is not published: " + "; ".join(failed)
        )
