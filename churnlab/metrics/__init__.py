"""Churn and revenue metrics: logo churn, MRR movements, NRR/GRR, LTV, NPS.

Public names: ``customer_churn``, ``order_churn``, ``crr``, ``churn_conventions``,
``wilson_interval``, ``trials`` (:mod:`churnlab.metrics.churn`); ``mrr_movements``,
``customer_mrr_movements``, ``revenue_metrics``, ``revenue_churn``, ``nrr``,
``grr``, ``quick_ratio``, ``arpa``, ``ltv`` (:mod:`churnlab.metrics.revenue`);
``explain_churn`` (:mod:`churnlab.metrics.explain`); ``order_metrics``,
``order_revenue``, ``repeat_rate`` (:mod:`churnlab.metrics.orders`); ``nps``,
``churn_reasons`` (:mod:`churnlab.metrics.nps`).

Every function takes the data first (a Dataset, DataFrame, path or Ibis table)
and keyword-only options, builds one Ibis expression on top of
:mod:`churnlab.states`, runs it once through :func:`churnlab.engine.execute` and
returns a tidy DataFrame in which every rate follows its numerator and
denominator.
"""

from churnlab.metrics.churn import (
    churn_conventions,
    crr,
    customer_churn,
    order_churn,
    trials,
    wilson_interval,
)
from churnlab.metrics.explain import explain_churn
from churnlab.metrics.nps import churn_reasons, nps
from churnlab.metrics.orders import order_metrics, order_revenue, repeat_rate
from churnlab.metrics.revenue import (
    arpa,
    customer_mrr_movements,
    grr,
    ltv,
    mrr_movements,
    nrr,
    quick_ratio,
    revenue_churn,
    revenue_metrics,
)

__all__ = [
    "customer_churn",
    "trials",
    "order_churn",
    "crr",
    "churn_conventions",
    "wilson_interval",
    "mrr_movements",
    "customer_mrr_movements",
    "revenue_metrics",
    "revenue_churn",
    "nrr",
    "grr",
    "quick_ratio",
    "arpa",
    "ltv",
    "explain_churn",
    "order_metrics",
    "order_revenue",
    "repeat_rate",
    "nps",
    "churn_reasons",
]
