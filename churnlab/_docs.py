"""Shared parameter text for docstrings, written once and formatted in.

Use as ``@share_docs`` on a function whose docstring holds ``{data}``, ``{by}``,
``{freq}``, ``{as_of}``, ``{ax}`` or ``{inactivity_days}`` placeholders, each on
a line of its own at the parameter indentation (4 spaces).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import TypeVar

__all__ = ["DOCS", "share_docs"]

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
    31 October). Default: the last day of the data's last complete period.
    Periods ending after it are not reported; cells not fully observed by then are
    NaN, never 0.""",
    "ax": """\
ax : matplotlib.axes.Axes, optional
    Axes to draw on; a new figure when None.""",
    "inactivity_days": """\
inactivity_days : int, default 90
    Inactivity window W in days: a customer is active at ``t`` while their latest
    purchase before ``t`` is at most W days old, and churns once W days pass with
    no purchase. Printed with every figure.""",
}


def share_docs(func: F) -> F:
    """Fill ``{name}`` placeholders in ``func.__doc__`` from :data:`DOCS`."""
    if func.__doc__:
        filled = {k: textwrap.indent(v, "    ").lstrip() for k, v in DOCS.items()}
        func.__doc__ = func.__doc__.format(**filled)
    return func
