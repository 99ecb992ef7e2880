"""Run report notebooks with papermill, export HTML, publish atomically.

Public names: ``NOTEBOOK_DIR``, ``available_reports``, ``run_report``,
``run_reports``, ``ReportResult``, ``fingerprint``, ``save_metrics``,
``restatements``, ``check_invariants``, ``month_range``, ``export_html``,
``write_index``, ``history``, ``cell_count``, ``CSP``.

One run of report NAME for month M writes, under ``OUT/NAME/M/``: ``NAME.html``
(code hidden), the executed ``NAME.ipynb`` and ``metrics.json``. The run builds
everything in a temporary folder beside the target and makes it current in one
atomic step (a symlink replaced with :func:`os.replace`) only when every step
succeeded, so a failed or killed run leaves the previous good report untouched
and says which cell failed and why. ``OUT/index.html`` lists every published
report.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
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
    "export_html",
    "write_index",
    "history",
    "cell_count",
    "CSP",
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
    progress: bool | Callable[[], None] = True,
    kernel_name: str | None = None,
    update_index: bool = True,
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
        Other notebook parameters (``as_of``, ``inactivity_days``, ``gross_margin``,
        ``currency``). Unknown names are an error, unlike plain papermill, which
        only logs them.
    progress : bool or callable
        Show papermill's progress bar; a callable is called once per executed
        cell instead (the command line's one bar over a whole run).
    kernel_name : str, optional
        Jupyter kernel; default the notebook's.
    update_index : bool
        Rewrite ``OUT/index.html`` after publishing.

    Returns
    -------
    ReportResult

    Raises
    ------
    ParameterError
        Before anything runs, for bad parameters or an output folder that
        cannot be written.
    ReportError
        When a cell fails (named with its error), or when another run of the
        same report and month holds its lock; the previous report stays.

    Notes
    -----
    **Publication.** The run writes ``OUT/NAME/.MONTH-*`` (a temporary folder),
    renames it to ``OUT/NAME/MONTH.RUN_ID/`` and then replaces the symlink
    ``OUT/NAME/MONTH`` in one atomic step; the run it replaced is kept (for
    restatements), older ones are removed. Every publication appends its
    ``metrics.json`` to ``OUT/NAME/history/MONTH.jsonl``. A lock per report and
    month keeps two runs apart; temporary folders of killed runs older than a
    day are removed at the start of a run.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    path = _notebook(name)
    extra = dict(parameters or {})
    _check_names(
        path, {"month": month, "data_dir": data_dir, "segment": segment, **extra}
    )
    root = Path(out).resolve() / name  # the kernel runs elsewhere
    _check_writable(Path(out).resolve())
    p: ReportParams = check_params(
        report=name, month=month, data_dir=data_dir, segment=segment, **extra
    )
    root.mkdir(parents=True, exist_ok=True)
    final = root / p.month
    with _lock(root, p.month, name):
        _clean_stale(root, own_month=p.month)
        previous = _previous_metrics(root, p.month)
        work = Path(tempfile.mkdtemp(prefix=f".{p.month}-", dir=root))
        executed = work / f"{name}.ipynb"
        prev_copy = None
        if previous is not None:
            prev_copy = root / f".{p.month}.previous-{work.name[1:]}.json"
            prev_copy.write_text(json.dumps(previous))
        params = {
            "month": p.month,
            "data_dir": str(Path(p.data_dir).resolve()),
            "segment": segment,
            "output_dir": str(work),
            "previous_metrics": str(prev_copy) if prev_copy else None,
            **extra,
        }
        hook = progress if callable(progress) else None
        # one data snapshot per run: the files must not change while it runs
        data_before = fingerprint(p.data_dir)
        try:
            with _kernel_imports_this_churnlab():
                papermill.execute_notebook(
                    str(path),
                    str(executed),
                    parameters=params,
                    progress_bar=bool(progress) and hook is None,
                    kernel_name=kernel_name,
                    cwd=str(work),
                    engine_name=_ENGINE,
                    on_cell=hook,
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                )
        except PapermillExecutionError as err:
            failed = root / f"{p.month}.failed"
            shutil.rmtree(failed, ignore_errors=True)
            work.rename(failed)
            raise ReportError(
                f"{name} report for {p.month} failed in cell [{err.exec_count}] "
                f"({err.ename}: {err.evalue}); previous report untouched; failed "
                f"notebook at {failed / executed.name}"
            ) from err
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        finally:
            if prev_copy is not None:
                prev_copy.unlink(missing_ok=True)
        metrics_path = work / "metrics.json"
        if not metrics_path.exists():
            shutil.rmtree(work, ignore_errors=True)
            raise ReportError(
                f"{name} report for {p.month} wrote no metrics.json (the notebook "
                "must call cl.reports.save_metrics); previous report untouched."
            )
        data_after = fingerprint(p.data_dir)
        if data_after != data_before:
            shutil.rmtree(work, ignore_errors=True)
            raise ReportError(
                f"{name} report for {p.month}: the data in {p.data_dir} changed "
                "while the report ran, so its figures may mix two versions of the "
                "data; nothing was published (previous report untouched). Run it "
                "again once the data is in place."
            )
        nb = nbformat.read(executed, as_version=4)
        page = export_html(nb, title=_title(name, p))
        (work / f"{name}.html").write_text(page, encoding="utf-8")
        nbformat.write(nb, executed)
        work.chmod(0o755)
        run = _publish(work, final)
        doc = json.loads((run / "metrics.json").read_text())
        _append_history(root, p.month, run.name, doc)
    if update_index:
        write_index(Path(out).resolve())
    return ReportResult(
        name,
        p.month,
        final,
        final / f"{name}.html",
        final / f"{name}.ipynb",
        final / "metrics.json",
        doc,
    )


def _title(name: str, p: ReportParams) -> str:
    label = {"churn": "Churn report", "sales": "Sales report"}.get(
        name, f"{name.capitalize()} report"
    )
    title = f"{label} · {p.period.strftime('%B %Y')}"
    if p.segment:
        seg = " ".join(p.segment.split())
        title += f" · {seg[:59] + '…' if len(seg) > 60 else seg}"
    return title


#: Content-Security-Policy of the published pages: no script, no network.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def export_html(nb: Any, *, title: str) -> str:
    """The notebook as a page without code, stderr or scripts, under ``title``.

    Outputs written to stderr (warnings, logging) are dropped: reports turn
    what a reader must know into sentences under "Data notes". The page
    carries a Content-Security-Policy that forbids scripts and network access,
    a second wall behind the escaping of every data-derived string.
    """
    from nbconvert import HTMLExporter

    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    nb.metadata.pop("title", None)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _resources = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": title}}
    )
    meta = (
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    )
    head = body.find("<head>")
    if head < 0:  # pragma: no cover - nbconvert's templates all have a head
        return meta + body
    at = head + len("<head>")
    return body[:at] + "\n" + meta + body[at:]


def _check_writable(out: Path) -> None:
    """Fail before any heavy work when ``out`` cannot be created or written."""
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise ParameterError(f"--out {str(out)!r}: {str(probe)!r} is not a folder.")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as err:
        raise ParameterError(
            f"--out {str(out)!r} is not writable ({str(probe)!r}: "
            f"{err.strerror or err}); pick another folder."
        ) from None
    for child in (out, *(out.glob("*") if out.is_dir() else ())):
        if child.is_dir() and not os.access(child, os.W_OK | os.X_OK):
            raise ParameterError(
                f"--out {str(out)!r}: {str(child)!r} is not writable; pick another "
                "folder or fix its permissions."
            )


@contextlib.contextmanager
def _lock(root: Path, month: str, name: str) -> Iterator[None]:
    """Hold the lock of report ``name`` for ``month``, or fail with one line."""
    import fcntl

    path = root / f".{month}.lock"
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReportError(
                f"Another run of the {name} report for {month} is in progress "
                f"(lock {path}); wait for it to finish."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


#: Temporary folders of runs older than this are stale when their lock is free.
STALE_SECONDS = 24 * 3600


def _clean_stale(
    root: Path, *, own_month: str | None = None, now: float | None = None
) -> list[Path]:
    """Remove temporary folders left by killed runs (older than a day, unlocked).

    The caller holds the lock of ``own_month``, so that month's old folders
    are stale; another month's are removed only if its lock is free.
    """
    import fcntl
    import time

    now = time.time() if now is None else now
    removed = []
    for tmp in root.glob(".????-??-*"):
        if not tmp.is_dir() or now - tmp.stat().st_mtime < STALE_SECONDS:
            continue
        month = tmp.name[1:8]
        if month != own_month:
            with (root / f".{month}.lock").open("a") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a run of that month is under way
                shutil.rmtree(tmp, ignore_errors=True)
                fcntl.flock(fh, fcntl.LOCK_UN)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
    return removed


def _previous_metrics(root: Path, month: str) -> dict[str, Any] | None:
    """The last published ``metrics.json`` of ``month``: current run, else history."""
    current = root / month / "metrics.json"
    if current.is_file():
        return json.loads(current.read_text())
    hist = root / "history" / f"{month}.jsonl"
    if hist.is_file():
        lines = [ln for ln in hist.read_text().splitlines() if ln.strip()]
        if lines:
            return json.loads(lines[-1])["metrics_json"]
    return None


def _run_id() -> str:
    import secrets
    import time

    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def _publish(work: Path, final: Path) -> Path:
    """Make ``work`` the published run of ``final`` in one atomic step.

    ``work`` becomes ``MONTH.RUN_ID/`` (not yet visible as the month), then a
    new symlink replaces ``MONTH`` with :func:`os.replace`. A crash before the
    replace leaves the previous run published; after it, the new one. The
    replaced run is kept; older runs are removed.
    """
    root, month = final.parent, final.name
    run = root / f"{month}.{_run_id()}"
    work.rename(run)
    previous = os.readlink(final) if final.is_symlink() else None
    if final.is_dir() and not final.is_symlink():
        # a folder published before runs had ids becomes the kept previous run
        previous = f"{month}.{_run_id()}-earlier"
        final.rename(root / previous)
    link = root / f".{month}.link-{run.name}"
    link.unlink(missing_ok=True)
    os.symlink(run.name, link)
    os.replace(link, final)
    keep = {run.name, previous}
    for old in root.glob(f"{month}.????????T??????Z-*"):
        if old.name not in keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(root / f"{month}.failed", ignore_errors=True)
    return run


def _append_history(root: Path, month: str, run: str, doc: Mapping[str, Any]) -> None:
    """Append one publication to ``history/MONTH.jsonl`` (restatement baseline)."""
    folder = root / "history"
    folder.mkdir(exist_ok=True)
    line = json.dumps({"run": run, "metrics_json": doc}, sort_keys=True)
    with (folder / f"{month}.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def history(out: str | os.PathLike[str], name: str, month: str) -> list[dict[str, Any]]:
    """Every published ``metrics.json`` of ``name`` for ``month``, oldest first."""
    path = Path(out) / name / "history" / f"{month}.jsonl"
    if not path.is_file():
        return []
    return [
        json.loads(ln)["metrics_json"]
        for ln in path.read_text().splitlines()
        if ln.strip()
    ]


#: Headline figures the index shows per report: (metrics key, label, kind).
INDEX_FIGURES: dict[str, list[tuple[str, str, str]]] = {
    "churn": [
        ("customer_churn_rate", "logo churn", "pct"),
        ("nrr", "NRR", "pct"),
        ("mrr_end", "MRR", "money"),
        ("customers_end", "active customers", "count"),
    ],
    "sales": [
        ("total_revenue", "revenue", "money"),
        ("win_rate", "win rate", "pct"),
        ("quota_attainment", "quota attainment", "pct"),
    ],
}


def write_index(out: str | os.PathLike[str]) -> Path:
    """Rewrite ``OUT/index.html``: every published report by month, headlines.

    Written to a temporary file and moved into place, so a reader never sees
    half a page.
    """
    import fcntl
    import html

    from churnlab.reports._display import fmt

    out = Path(out)
    rows: dict[str, dict[str, Any]] = {}
    for folder in sorted(out.glob("*/????-??")):
        metrics = folder / "metrics.json"
        if not metrics.is_file() or not re.fullmatch(r"\d{4}-\d{2}", folder.name):
            continue
        doc = json.loads(metrics.read_text())
        rows.setdefault(folder.name, {})[folder.parent.name] = doc
    cur_of = {}
    lines = []
    for month in sorted(rows, reverse=True):
        cells = []
        for name, doc in sorted(rows[month].items()):
            cur = doc.get("parameters", {}).get("currency", "")
            cur_of[name] = cur
            m = doc.get("metrics", {})
            figures = ", ".join(
                f"{html.escape(lab)} {html.escape(fmt(m.get(key), kind, cur))}"
                for key, lab, kind in INDEX_FIGURES.get(name, [])
                if key in m
            )
            href = f"{html.escape(name)}/{month}/{html.escape(name)}.html"
            cells.append(
                f'<li><a href="{href}">{html.escape(name)}</a>'
                + (f" — {figures}" if figures else "")
                + "</li>"
            )
        lines.append(f"<h2>{month}</h2><ul>{''.join(cells)}</ul>")
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>churnlab reports</title>\n<style>body{font-family:system-ui,"
        "sans-serif;max-width:50em;margin:1em auto;padding:0 1em;line-height:1.5}"
        "</style></head><body>\n<h1>Published reports</h1>\n"
        + ("\n".join(lines) or "<p>No report has been published yet.</p>")
        + "\n</body></html>\n"
    )
    out.mkdir(parents=True, exist_ok=True)
    with (out / ".index.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        tmp = out / f".index.html.{os.getpid()}"
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out / "index.html")
        fcntl.flock(lock, fcntl.LOCK_UN)
    return out / "index.html"


def _make_engine() -> str:
    """Register papermill's nbclient engine with a per-cell callback; its name."""
    from papermill.engines import NBClientEngine, papermill_engines

    class _Engine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):  # type: ignore[no-untyped-def]
            hook = kwargs.pop("on_cell", None)
            if hook is not None:
                done = nb_man.cell_complete

                def cell_complete(cell, cell_index=None, **kw):  # type: ignore[no-untyped-def]
                    done(cell, cell_index=cell_index, **kw)
                    hook()

                nb_man.cell_complete = cell_complete
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("churnlab", _Engine)
    return "churnlab"


_ENGINE = "churnlab"


@contextlib.contextmanager
def _kernel_imports_this_churnlab() -> Iterator[None]:
    """Make the notebook kernel import the churnlab that is running the report.

    The kernel is a new process started in a temporary folder; putting this
    package's parent folder first on its ``PYTHONPATH`` means the report never
    runs a different churnlab than the one that validated its parameters.
    """
    _make_engine()
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


def cell_count(name: str) -> int:
    """Cells in report ``name``'s notebook plus the injected parameters cell."""
    import nbformat

    return len(nbformat.read(_notebook(name), as_version=4).cells) + 1


def run_reports(
    names: Iterable[str], months: Iterable[str | None], **kwargs: Any
) -> list[ReportResult]:
    """Run several reports over several months (a backfill).

    Stops at the first failure; reports published before it stay published.
    The index is rewritten once at the end.
    """
    results = []
    months = list(months)
    out = kwargs.get("out", "reports")
    try:
        for name in names:
            for month in months:
                results.append(
                    run_report(name, month=month, update_index=False, **kwargs)
                )
    finally:
        if results:
            write_index(Path(out).resolve())
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
