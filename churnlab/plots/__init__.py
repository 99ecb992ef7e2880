"""Plots: seaborn/matplotlib functions that draw a metric's tidy frame.

Every function takes ``ax=`` (a new figure when None) and returns the Axes.
Modules: ``churn``, ``revenue``, ``cohorts``, ``survival``, ``funnels``,
``sales``, ``nps``; e.g. ``cl.plots.revenue.mrr_bridge(cl.mrr_movements(ds))``.
"""

from churnlab.plots import (
    activity,
    churn,
    clv,
    cohorts,
    funnels,
    nps,
    revenue,
    sales,
    survival,
)

__all__ = [
    "activity",
    "churn",
    "clv",
    "cohorts",
    "funnels",
    "nps",
    "revenue",
    "sales",
    "survival",
]
