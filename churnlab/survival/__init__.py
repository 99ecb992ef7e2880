"""Customer lifetime with survival analysis: censoring-aware lifetimes on lifelines.

Public names: ``UNITS``, ``lifetimes``, ``lifetime_summary``, ``lifetime_hazard``,
``lifetime_logrank``, ``lifetime_cox``, ``lifetime_parametric``, ``survival_ltv``,
``CustomerLifetime``, ``CoxResult``, ``ParametricResult``.

"Average customer lifetime" is usually computed wrongly: averaging the tenure of
churned customers ignores everyone still active, who by definition have the
longest lifetimes. Survival analysis treats an active customer's tenure as
*right-censored* (the lifetime is at least this long) and estimates the
survival curve S(t), the share of customers still customers t units after they
started. Everything here is read off S(t). One module per concept:

* :mod:`~churnlab.survival.table`: :func:`lifetimes`, one row per customer
  (``tenure``, ``churned``) built with the engine; subscriptions and orders go
  through :mod:`churnlab.states` (the one rule for "active"); a durations table
  (tenure + churn flag, e.g. a telco export) passes through.
* :mod:`~churnlab.survival.kaplan_meier`: :func:`lifetime_summary` (median with
  its CI, survival at horizons, RMST, beside ``1 / churn rate``),
  :func:`lifetime_hazard` (a life table) and :func:`lifetime_logrank`.
* :mod:`~churnlab.survival.models`: :func:`lifetime_cox` (hazard ratios and the
  proportional-hazards check) and :func:`lifetime_parametric` (Weibull,
  log-normal, log-logistic, exponential; the best by AIC extrapolates).
* :mod:`~churnlab.survival.ltv`: :func:`survival_ltv`,
  ``sum_t S(t) * ARPA * gross_margin * discount^t`` beside
  ``ARPA * gross_margin / churn``.
* :mod:`~churnlab.survival.fitter`: :class:`CustomerLifetime`, one fit for
  several outputs (``summary_``, ``survival_``, ``hazard_``, ``logrank_``,
  ``fitters_``, ``plot(ax=)``), as lifelines' fitters do. Its ``plot`` is the
  one bridge to :mod:`churnlab.plots.survival`, whose functions draw frames.

Estimators are lifelines'; this package builds their input and reads their
output into tidy tables.
"""

from churnlab.survival._common import UNITS
from churnlab.survival.fitter import CustomerLifetime
from churnlab.survival.kaplan_meier import (
    lifetime_hazard,
    lifetime_logrank,
    lifetime_summary,
)
from churnlab.survival.ltv import survival_ltv
from churnlab.survival.models import (
    CoxResult,
    ParametricResult,
    lifetime_cox,
    lifetime_parametric,
)
from churnlab.survival.table import lifetimes

__all__ = [
    "UNITS",
    "lifetimes",
    "lifetime_summary",
    "lifetime_hazard",
    "lifetime_logrank",
    "lifetime_cox",
    "lifetime_parametric",
    "survival_ltv",
    "CustomerLifetime",
    "CoxResult",
    "ParametricResult",
]
