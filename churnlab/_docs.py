"""Shared parameter text for docstrings, written once and formatted in.

The package's one docstring-sharing mechanism. Use ``@share_docs`` on a function
whose docstring holds ``{by}``, ``{freq}``, ``{as_of}``, ``{period}``, ``{ax}``,
``{inactivity_days}`` or ``{gross_margin}`` placeholders, each on a line of its
own at the parameter indentation (4 spaces). A module with texts of its own
makes its decorator with ``share_docs_with({"name": text, ...})``: the
module's texts are added to (or override) :data:`DOCS`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from typing import TypeVar

from churnlab.periods import DEFAULT_INACTIVITY_DAYS

__all__ = ["DOCS", "share_docs", "share_docs_with"]

F = TypeVar("F", bound=Callable[..., object])

DOCS: dict[str, str] = {
    "by": """\
by : str or list of str, optional
    Customer attribute(s) from the customers table (e.g. ``"segment"``) to break
    the result down by; one row per period and group.""",
    "freq": """\
freq : {"D", "W", "M", "Q", "Y"}, default "M"
    Period unit (Ibis truncate units). Periods are half-open ``[start, end)``;
    weeks start on Monday.""",
    "as_of": """\
as_of : date-like, optional
    The day the data is known through, inclusive (``"2026-10-31"`` covers all of
    31 October). Default: the last day of the data's last complete period of
    ``freq``, the data being known through the end of the day of its latest
    timestamp (:func:`churnlab.periods.resolve_as_of`). Periods ending after it are
    not reported; cells not fully observed by then are
    NaN, never 0.""",
    "ax": """\
ax : matplotlib.axes.Axes, optional
    Axes to draw on; a new figure when None.""",
    "period": """\
period : str, date-like or (date-like, date-like), optional
    The period: ``"2026-10"`` (month), ``"2026-Q3"`` (quarter), ``"2026"``
    (year), a day inside a period of ``freq``, or a ``(first, last)`` pair of
    days, both inclusive. Default: the data's last complete period.""",
    "gross_margin": """\
gross_margin : float, optional
    Gross margin in (0, 1] applied to revenue in LTV. Default: not applied
    (1.0, revenue LTV), and the result says so: ``gross_margin_assumed`` is
    True whenever the margin was not given.""",
    "inactivity_days": f"""\
inactivity_days : int, default {DEFAULT_INACTIVITY_DAYS}
    Inactivity window W in days: a customer is active at ``t`` while their latest
    purchase before ``t`` is at most W days old, and churns once W days pass with
    no purchase. Printed with every figure.""",
}


def share_docs_with(texts: Mapping[str, str]) -> Callable[[F], F]:
    """A ``share_docs`` decorator that also knows ``texts`` (name -> text)."""
    merged = {**DOCS, **texts}

    def decorate(func: F) -> F:
        if func.__doc__:
            filled = {k: textwrap.indent(v, "    ").lstrip() for k, v in merged.items()}
            func.__doc__ = func.__doc__.format(**filled)
        return func

    return decorate


#: Fill ``{name}`` placeholders in ``func.__doc__`` from :data:`DOCS`.
share_docs = share_docs_with({})
