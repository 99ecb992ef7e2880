"""churnlab: churn, retention, lifetime, funnel and sales analysis for Jupyter.

The top level holds what analysts call; each name is re-exported from the
module that defines it (one hop from a name to its code).
"""

from churnlab import engine, periods, plots, sample
from churnlab.contract import Dataset, load_dataset
from churnlab.engine import connect
from churnlab.errors import (
    BackendError,
    ChurnlabError,
    ChurnlabWarning,
    ContractError,
    ParameterError,
    ReportError,
)
from churnlab.sample import sample_dataset

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "engine",
    "periods",
    "plots",
    "sample",
    "Dataset",
    "load_dataset",
    "connect",
    "sample_dataset",
    "BackendError",
    "ChurnlabError",
    "ChurnlabWarning",
    "ContractError",
    "ParameterError",
    "ReportError",
]

from churnlab.metrics.churn import (  # noqa: E402
    churn_conventions,
    crr,
    customer_churn,
    order_churn,
    trials,
)
from churnlab.metrics.explain import explain_churn
from churnlab.metrics.nps import churn_reasons, nps  # noqa: E402
from churnlab.metrics.orders import (  # noqa: E402
    order_metrics,
    order_revenue,
    repeat_rate,
)
from churnlab.metrics.revenue import (  # noqa: E402
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

__all__ += [
    "customer_churn",
    "trials",
    "order_churn",
    "crr",
    "churn_conventions",
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

from churnlab.cohorts import (  # noqa: E402
    cohort_average,
    cohort_matrix,
    cohort_retention,
    cohort_table,
)
from churnlab.plots.cohorts import cohort_heatmap, retention_curves  # noqa: E402

__all__ += [
    "cohort_table",
    "cohort_matrix",
    "cohort_retention",
    "cohort_average",
    "cohort_heatmap",
    "retention_curves",
]

from churnlab.survival import (  # noqa: E402
    CustomerLifetime,
    lifetime_cox,
    lifetime_hazard,
    lifetime_logrank,
    lifetime_parametric,
    lifetime_summary,
    lifetimes,
    survival_ltv,
)

__all__ += [
    "CustomerLifetime",
    "lifetimes",
    "lifetime_summary",
    "lifetime_hazard",
    "lifetime_logrank",
    "lifetime_cox",
    "lifetime_parametric",
    "survival_ltv",
]

from churnlab.funnels import (  # noqa: E402
    Funnel,
    funnel,
    funnel_conversion_curve,
    funnel_dropped,
    funnel_times,
    funnel_trend,
    funnel_users,
)
from churnlab.sales import (  # noqa: E402
    deal_flows,
    deal_outcomes_by_age,
    lead_conversion,
    pipeline_by_stage,
    pipeline_coverage,
    pipeline_funnel,
    quota_attainment,
    revenue_new_vs_existing,
    sales_activity,
    sales_by_location,
    sales_cycle,
    sales_inputs,
    sales_kpis,
    sales_velocity,
    stage_conversion,
    win_rates,
)

__all__ += [
    "Funnel",
    "funnel",
    "funnel_users",
    "funnel_dropped",
    "funnel_times",
    "funnel_trend",
    "funnel_conversion_curve",
    "sales_kpis",
    "pipeline_funnel",
    "lead_conversion",
    "win_rates",
    "sales_cycle",
    "deal_outcomes_by_age",
    "quota_attainment",
    "pipeline_coverage",
    "pipeline_by_stage",
    "sales_velocity",
    "stage_conversion",
    "sales_activity",
    "sales_by_location",
    "revenue_new_vs_existing",
    "deal_flows",
    "sales_inputs",
]

# --- reports ---
from churnlab import reports  # noqa: E402

__all__ += ["reports"]

from churnlab.context import benchmark_context, benchmarks  # noqa: E402

__all__ += ["benchmarks", "benchmark_context"]

from churnlab.activity import (  # noqa: E402
    SIGNAL_DEFAULTS,
    account_activity,
    activity_backtest,
    activity_series,
    activity_signals,
    at_risk,
    dau_mau,
    lifecycle,
    recurring_retention,
    stickiness,
)

__all__ += [
    "activity_series",
    "activity_signals",
    "at_risk",
    "activity_backtest",
    "SIGNAL_DEFAULTS",
    "account_activity",
    "lifecycle",
    "stickiness",
    "dau_mau",
    "recurring_retention",
]

from churnlab.clv import (  # noqa: E402
    CLVFit,
    clv_bgnbd,
    clv_by_segment,
    clv_calibration_holdout,
    clv_gamma_gamma,
    clv_pareto_nbd,
    clv_predict,
    clv_prob_alive_matrix,
    clv_sbg,
    clv_sbg_lifetime,
    clv_sbg_survival,
    rfm_summary,
)
from churnlab.plots import clv as _clv_plots  # noqa: E402, F401

__all__ += [
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

# --- interactive explorer ---
from churnlab.explore import Explorer, explore  # noqa: E402

__all__ += ["explore", "Explorer"]

# --- exit reasons, win-back and retention offers ---
from churnlab.plots import winback as _winback_plots  # noqa: E402, F401
from churnlab.winback import (  # noqa: E402
    EXIT_UNMATCHED,
    exit_reason_matches,
    exit_reasons,
    lapses,
    offer_readout,
    winback,
    winback_curve,
)

__all__ += [
    "EXIT_UNMATCHED",
    "lapses",
    "exit_reason_matches",
    "exit_reasons",
    "winback",
    "offer_readout",
    "winback_curve",
]
