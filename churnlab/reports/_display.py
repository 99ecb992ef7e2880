"""Display helpers shared by the report notebooks' content modules.

Public names: ``TABLE_CSS``, ``markdown``, ``html_raw``, ``show_table``,
``show_figure``, ``pct``, ``num``, ``pp``, ``publish``.

Reports show Markdown, HTML tables and figures through IPython's display, so
papermill records them as cell outputs and nbconvert embeds them in a
self-contained HTML page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from churnlab.reports.params import ReportParams
from churnlab.reports.runner import check_invariants, restatements, save_metrics

__all__ = [
    "TABLE_CSS",
    "markdown",
    "html_raw",
    "show_table",
    "show_figure",
    "pct",
    "num",
    "pp",
    "publish",
]

TABLE_CSS = """<style>
.cl-table { max-width: 100%; overflow-x: auto; }
.cl-table table { border-collapse: collapse; font-size: 0.9em; }
.cl-table th, .cl-table td { padding: 4px 8px; border-bottom: 1px solid #ddd;
  text-align: right; white-space: nowrap; }
.cl-table tr:first-child th { white-space: normal; vertical-align: bottom; }
.cl-table th:first-child, .cl-table td:first-child { text-align: left; }
.cl-table .formula { text-align: left; white-space: normal; color: #555;
  min-width: 14em; }
</style>"""


def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


def markdown(text: str) -> None:
    """Show Markdown (numbers in prose come from here, never typed in)."""
    from IPython.display import Markdown

    _display(Markdown(text))


def html_raw(text: str) -> None:
    """Show raw HTML."""
    from IPython.display import HTML

    _display(HTML(text))


def show_table(frame: pd.DataFrame) -> None:
    """Show a small frame as a styled table that scrolls sideways if it must."""
    html_raw(
        TABLE_CSS + '<div class="cl-table">' + frame.to_html(index=False) + "</div>"
    )


def show_figure(ax: Any) -> None:
    """Show the figure of an Axes (or a Figure) and close it."""
    import matplotlib.pyplot as plt

    fig = ax.figure if hasattr(ax, "figure") else ax
    _display(fig)
    plt.close(fig)


def pct(x: float | None, digits: int = 1) -> str:
    """A fraction as a percentage; NaN as an en dash."""
    return "–" if x is None or pd.isna(x) else f"{x:.{digits}%}"


def num(x: float | None) -> str:
    """A count or an amount with thousands separators; cents below 100."""
    if x is None or pd.isna(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.2f}"


def pp(x: float | None) -> str:
    """A difference of two fractions in percentage points."""
    if x is None or pd.isna(x):
        return "–"
    return "±0.0 pp" if abs(x) < 0.0005 else f"{x * 100:+.1f} pp"


def publish(
    params: ReportParams,
    metrics: Mapping[str, Any],
    checks: Mapping[str, bool],
    *,
    notes: Sequence[str] = (),
    output_dir: str | None,
    previous_metrics: str | None,
) -> dict[str, Any]:
    """Show the invariants (raising if one fails), notes and restatements; save.

    Raises
    ------
    ReportError
        If an invariant fails, so the runner keeps the last good report.
    """
    lines = [f"- {'✔' if ok else '✘'} {name}" for name, ok in checks.items()]
    markdown("**Invariants**\n\n" + "\n".join(lines))
    check_invariants(checks)
    for note in notes:
        markdown(note)
    changed = restatements(previous_metrics, metrics)
    if previous_metrics is None:
        markdown("**Restatements:** first publication of this month.")
    elif changed.empty:
        markdown(
            "**Restatements:** none; every number matches the earlier publication."
        )
    else:
        markdown(
            "**Restatements:** late data changed numbers published earlier for "
            "this month:"
        )
        show_table(changed)
    doc = save_metrics(params, metrics, output_dir)
    ds = params.dataset
    tables = ", ".join(f"{n} ({ds.info[n].n_rows:,} rows)" for n in ds.tables)
    markdown(
        f"**Data:** {tables}. Fingerprint `{doc['data_fingerprint'][:19]}…`, "
        f"churnlab {doc['churnlab_version']}."
    )
    return doc
