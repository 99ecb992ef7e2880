"""Customer lifetime value: the RFM summary, BG/NBD, Pareto/NBD, Gamma-Gamma, sBG.

Public names: ``rfm_summary``, ``CLVFit``, ``clv_bgnbd``, ``clv_pareto_nbd``,
``clv_gamma_gamma``, ``clv_sbg``, ``clv_sbg_survival``, ``clv_sbg_lifetime``,
``clv_predict``, ``clv_by_segment``, ``clv_calibration_holdout``,
``clv_prob_alive_matrix``; the closed-form likelihoods are in
:mod:`churnlab.clv.likelihood`.

* :mod:`~churnlab.clv.rfm`: the per-customer summary, built by the engine in one
  aggregation (DuckDB, PySpark, any Ibis backend).
* :mod:`~churnlab.clv.models`: fitting through pymc-marketing (the optional
  ``churnlab[clv]`` extra, imported only when a model is fitted), maximum a
  posteriori with flat priors by default, so the estimates are the papers'
  maximum-likelihood ones; posterior sampling on request.
* :mod:`~churnlab.clv.predict`: expected purchases, probability alive and
  discounted CLV per customer, per-segment totals, and the frames the plots in
  :mod:`churnlab.plots.clv` draw.
"""

from churnlab.clv.models import (
    CLVFit,
    clv_bgnbd,
    clv_gamma_gamma,
    clv_pareto_nbd,
    clv_sbg,
    clv_sbg_lifetime,
    clv_sbg_survival,
)
from churnlab.clv.predict import (
    clv_by_segment,
    clv_calibration_holdout,
    clv_predict,
    clv_prob_alive_matrix,
)
from churnlab.clv.rfm import rfm_summary

__all__ = [
    "rfm_summary",
    "CLVFit",
    "clv_bgnbd",
    "clv_pareto_nbd",
    "clv_gamma_gamma",
    "clv_sbg",
    "clv_sbg_survival",
    "clv_sbg_lifetime",
    "clv_predict",
    "clv_by_segment",
    "clv_calibration_holdout",
    "clv_prob_alive_matrix",
]
