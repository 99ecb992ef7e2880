"""The display layer both reports share: escaping, formatting, tables, figures.

Public names: ``CSS``, ``LABEL_MAX``, ``esc``, ``label``, ``fmt``, ``money``,
``markdown``, ``heading``, ``html_raw``, ``show_table``, ``show_figure``,
``capture_warnings``, ``route_warnings``, ``pct``, ``num``, ``pp``, ``publish``.

**One place for everything that reaches the page.** Every data-derived string
(a segment, an owner, a churn reason, a location) goes through :func:`esc`
before it lands in Markdown or HTML: :func:`markdown` and :func:`heading`
escape the values they are given as keyword fields, :func:`show_table` escapes
every cell and header, and figures are SVG written by matplotlib's XML writer
(which escapes text). Labels are capped at :data:`LABEL_MAX` characters.

**One formatter.** Frames and ``metrics.json`` hold fractions; :func:`fmt` alone
turns them into text: ``pct`` (12.3%), ``pp`` (+1.2 pp), ``ratio`` (1.85×),
``count`` (12,345), ``money`` (€12,345), ``days``, ``months``, ``nps`` (+23).

Reports show Markdown, HTML tables and figures through IPython's display, so
papermill records them as cell outputs and nbconvert embeds them in a
self-contained HTML page.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from churnlab.reports.params import ReportParams
from churnlab.reports.runner import check_invariants, restatements, save_metrics

__all__ = [
    "CSS",
    "LABEL_MAX",
    "COLUMN_LABELS",
    "esc",
    "label",
    "fmt",
    "money",
    "markdown",
    "heading",
    "html_raw",
    "show_table",
    "show_figure",
    "capture_warnings",
    "route_warnings",
    "pct",
    "num",
    "pp",
    "publish",
]

#: Longest label (segment, owner, reason...) shown; longer ones end in "…".
LABEL_MAX = 60

#: Page styles: tables scroll inside their own box, figures scale to the width
#: and switch to a narrow drawing on phones, so the page never scrolls sideways.
CSS = """<style>
.cl-table { max-width: 100%; overflow-x: auto; }
.cl-table table { border-collapse: collapse; font-size: 0.9em;
  overflow-wrap: normal; word-break: normal; }
.cl-table th, .cl-table td { padding: 4px 8px; border-bottom: 1px solid #ddd;
  text-align: right; white-space: nowrap; }
.cl-table tr:first-child th { white-space: normal; vertical-align: bottom; }
.cl-table th:first-child, .cl-table td:first-child { text-align: left; }
.cl-table .formula { text-align: left; white-space: normal; color: #555;
  min-width: 14em; }
.cl-fig svg { max-width: 100%; height: auto; display: block; }
.cl-fig .narrow { display: none; }
.cl-scroll { overflow-x: auto; }
.cl-scroll svg { min-width: 640px; }
@media (max-width: 600px) {
  .cl-fig .wide { display: none; }
  .cl-fig .narrow { display: block; }
}
body { overflow-wrap: anywhere; }
</style>"""

# kept for callers of the earlier name
TABLE_CSS = CSS

#: Readable names for the frame columns reports show.
COLUMN_LABELS: dict[str, str] = {
    "segment": "segment",
    "customers_start": "active at start",
    "customers_churned": "churned",
    "customers_end": "active at end",
    "churn_rate": "churn rate",
    "weight_before": "share of customers, before",
    "weight_after": "share of customers, after",
    "rate_before": "rate, before",
    "rate_after": "rate, after",
    "mix_effect": "from mix",
    "rate_effect": "from rates",
    "change": "change",
    "metric": "metric",
    "published": "published",
    "now": "now",
    "customer_id": "customer",
    "movement": "movement",
    "mrr_start": "MRR at start",
    "mrr_end": "MRR at end",
    "mrr_change": "MRR change",
    "reason": "reason",
}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def esc(value: Any, limit: int | None = LABEL_MAX) -> str:
    r"""Escape a data-derived value for Markdown and HTML (and cap its length).

    >>> print(esc("<img src=x onerror=alert(1)>"))
    &lt;img src=x onerror=alert\(1\)&gt;
    """
    text = label(value, limit) if limit else str(value)
    text = html.escape(text, quote=True)
    return _MD_SPECIAL.sub(r"\\\1", text)


def label(value: Any, limit: int = LABEL_MAX) -> str:
    """A value as a one-line label of at most ``limit`` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def money(value: Any, currency: str = "", *, compact: bool = False) -> str:
    """An amount with its currency and thousands separators.

    >>> money(4542699.4, "EUR")
    '€4,542,699'
    >>> money(-12.5, "CHF")
    '−CHF 12.50'
    """
    if value is None or pd.isna(value):
        return "–"
    value = float(value)
    sign = "−" if value < 0 else ""
    value = abs(value)
    if compact and value >= 1e6:
        text = f"{value / 1e6:,.2f}M"
    elif compact and value >= 1e4:
        text = f"{value / 1e3:,.0f}k"
    else:
        text = (
            f"{value:,.0f}"
            if value >= 100 or float(value).is_integer()
            else f"{value:,.2f}"
        )
    cur = _SYMBOLS.get(currency, f"{currency} " if currency else "")
    return f"{sign}{cur}{text}"


def fmt(value: Any, kind: str = "count", currency: str = "") -> str:
    """Format one figure for the page; the only place numbers become text.

    ``kind`` is one of ``pct``, ``pp``, ``ratio``, ``count``, ``money``,
    ``days``, ``months``, ``nps``, ``growth`` (a relative change, +1.2%).
    Missing values are an en dash.

    >>> fmt(0.0431, "pct"), fmt(0.012, "pp"), fmt(1234567, "count")
    ('4.3%', '+1.2 pp', '1,234,567')
    >>> fmt(0.23, "nps"), fmt(1.8512, "ratio")
    ('+23', '1.85×')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, str):
        return value
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "growth":
        return f"{value:+.1%}"
    if kind == "pp":
        return "±0.0 pp" if abs(value) < 0.0005 else f"{value * 100:+.1f} pp"
    if kind == "ratio":
        return f"{value:.2f}×"
    if kind == "money":
        return money(value, currency)
    if kind == "days":
        return f"{value:,.0f} days"
    if kind == "months":
        return f"{value:,.1f} months"
    if kind == "nps":
        return f"{value * 100:+.0f}"
    return (
        f"{value:,.0f}"
        if float(value).is_integer() or abs(value) >= 100
        else (f"{value:,.2f}")
    )


def pct(x: float | None, digits: int = 1) -> str:
    """A fraction as a percentage; NaN as an en dash."""
    return "–" if x is None or pd.isna(x) else f"{x:.{digits}%}"


def num(x: float | None) -> str:
    """A count or an amount with thousands separators; cents below 100."""
    return fmt(x, "count")


def pp(x: float | None) -> str:
    """A difference of two fractions in percentage points."""
    return fmt(x, "pp")


def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


def markdown(text: str, **fields: Any) -> None:
    """Show Markdown; ``{name}`` placeholders are filled with escaped ``fields``.

    Numbers in prose come from here, never typed in; every data-derived string
    (segment, reason, owner...) is passed as a field so it is escaped.
    """
    from IPython.display import Markdown

    if fields:
        text = text.format(**{k: esc(v) for k, v in fields.items()})
    _display(Markdown(text))


def heading(text: str, level: int = 2, **fields: Any) -> None:
    """Show a section heading (with escaped fields, like :func:`markdown`)."""
    markdown("#" * level + " " + text, **fields)


def html_raw(text: str) -> None:
    """Show HTML built by this module (callers escape data with :func:`esc`)."""
    from IPython.display import HTML

    _display(HTML(text))


def show_table(
    frame: pd.DataFrame,
    *,
    kinds: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    currency: str = "",
) -> None:
    """Show a frame as a table that scrolls inside its own box.

    Columns named in ``kinds`` are formatted by :func:`fmt`; other numbers get
    thousands separators. Headers become readable names (``labels``, then
    :data:`COLUMN_LABELS`); every cell and header is escaped.
    """
    shown = frame.copy()
    kinds = dict(kinds or {})
    for col in shown.columns:
        kind = kinds.get(col)
        if kind is None and pd.api.types.is_numeric_dtype(shown[col]):
            kind = "count"
        if kind is not None:
            shown[col] = [fmt(v, kind, currency) for v in shown[col]]
        else:
            shown[col] = [label(v) if isinstance(v, str) else v for v in shown[col]]
    names = {**COLUMN_LABELS, **dict(labels or {})}
    shown.columns = [
        label(names.get(str(c), str(c).replace("_", " "))) for c in shown.columns
    ]
    body = shown.to_html(index=False, escape=True, na_rep="–", border=0)
    html_raw(CSS + '<div class="cl-table">' + body + "</div>")


_SVG_COUNT = [0]


def _svg(fig: Any) -> str:
    import matplotlib

    # ids (hatch patterns, clip paths) must differ between the SVGs of one page,
    # or a hidden copy's pattern is used and shows nothing; a counter keeps them
    # unique and the output deterministic
    _SVG_COUNT[0] += 1
    salt = f"churnlab-{_SVG_COUNT[0]}"
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.find("<svg") :]


def show_figure(ax: Any, *, narrow: bool = True, scroll: bool = False) -> None:
    """Show a figure as SVG that scales to the page width, then close it.

    With ``narrow`` (default) the figure is also drawn 4.2 inches wide, shown
    instead on screens under 600 px, so its text stays readable on a phone.
    With ``scroll`` (dense figures such as heatmaps) it keeps a readable
    minimum width on a phone and scrolls sideways inside its own box.
    """
    import matplotlib.pyplot as plt

    fig = ax.figure if hasattr(ax, "figure") else ax
    if isinstance(fig, np.ndarray):  # pragma: no cover - an array of Axes
        fig = fig.flat[0].figure
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # matplotlib layout notes
        wide = _svg(fig)
    parts = [f'<div class="wide">{wide}</div>']
    if scroll:
        # one drawing for every width: it scrolls sideways on a phone instead of
        # being hidden with the wide drawings
        narrow = False
        parts = [f"<div>{wide}</div>"]
    if narrow:
        w, h = fig.get_size_inches()
        if w > 4.6:
            from matplotlib.text import Text

            fig.set_size_inches(4.2, max(h * 0.9, 2.8))
            for text in fig.findobj(Text):
                if len(text.get_text()) > 30:
                    text.set_wrap(True)  # long captions wrap instead of widening
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # layout notes about the redraw
                parts.append(f'<div class="narrow">{_svg(fig)}</div>')
        else:
            parts[0] = f"<div>{wide}</div>"
    plt.close(fig)
    kind = "cl-fig cl-scroll" if scroll else "cl-fig"
    html_raw(CSS + f'<div class="{kind}">' + "".join(parts) + "</div>")


@contextlib.contextmanager
def capture_warnings(into: list[str]) -> Iterator[None]:
    """Record every warning raised inside as one sentence in ``into``.

    Nothing reaches stderr (and so the published page); the report shows the
    sentences under "Data notes".
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        text = " ".join(str(w.message).split())
        if text and text not in into:
            into.append(text)


def route_warnings(into: list[str]) -> None:
    """Send every later warning of this process to ``into`` instead of stderr.

    Called once by a report at its start: a warning raised in any later cell
    becomes a sentence under "Data notes", never stderr text on the page.
    """

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        text = " ".join(str(message).split())
        if text and text not in into:
            into.append(text)

    warnings.showwarning = show


def publish(
    params: ReportParams,
    metrics: Mapping[str, Any],
    checks: Mapping[str, bool],
    *,
    notes: Sequence[str] = (),
    warned: Sequence[str] = (),
    output_dir: str | None,
    previous_metrics: str | None,
) -> dict[str, Any]:
    """Show the invariants (raising if one fails), notes and restatements; save.

    ``notes`` are Markdown written by the report; ``warned`` are warning
    messages (data-derived, so escaped) shown as sentences.

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
    if warned:
        markdown(
            "**Notes from the data:**\n\n"
            + "\n".join(f"- {{w{i}}}" for i in range(len(warned))),
            **{f"w{i}": w for i, w in enumerate(warned)},
        )
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
        changed = changed.assign(
            metric=changed["metric"].str.replace("_", " "),
            published=[_plain(v) for v in changed["published"]],
            now=[_plain(v) for v in changed["now"]],
            change=[_plain(v) for v in changed["change"]],
        )
        show_table(changed)
    doc = save_metrics(params, metrics, output_dir)
    ds = params.dataset
    accounted = []
    for name in ds.tables:
        info = ds.info[name]
        for rule, n in sorted(getattr(info, "dropped", {}).items()):
            accounted.append(f"{name}: {n:,} rows excluded ({rule})")
        for what, n in sorted(getattr(info, "notes", {}).items()):
            if n:
                accounted.append(f"{name}: {n:,} {what}")
    if accounted:
        markdown(
            "**Every row accounted for:**\n\n"
            + "\n".join(f"- {{a{i}}}" for i in range(len(accounted))),
            **{f"a{i}": a for i, a in enumerate(accounted)},
        )
    tables = ", ".join(f"{n} ({ds.info[n].n_rows:,} rows)" for n in ds.tables)
    markdown(
        f"**Data:** {tables}. Fingerprint `{doc['data_fingerprint'][:19]}…`, "
        f"churnlab {doc['churnlab_version']}."
    )
    return doc


def _plain(value: Any) -> str:
    """A restated value: rates as fractions stay readable, amounts get commas."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.4g}" if abs(value) < 10 else f"{value:,.2f}"
    return label(value)
