"""Sales performance: deals, the pipeline, quotas, sales activity and the KPIs.

One module per concept:

- :mod:`churnlab.sales.deals`: ``win_rates``, ``sales_cycle``,
  ``deal_outcomes_by_age``, ``deal_flows``;
- :mod:`churnlab.sales.pipeline`: ``lead_conversion``, ``pipeline_funnel``,
  ``sales_velocity``, ``stage_conversion``, ``pipeline_by_stage``;
- :mod:`churnlab.sales.quota`: ``quota_attainment``, ``pipeline_coverage``;
- :mod:`churnlab.sales.activity`: ``sales_activity``;
- :mod:`churnlab.sales.revenue`: ``sales_by_location``,
  ``revenue_new_vs_existing``;
- :mod:`churnlab.sales.inputs`: ``sales_inputs`` (visitors, expenses, cost of
  sales, market size per period);
- :mod:`churnlab.sales.kpis`: ``sales_kpis``, ``SALES_KPIS``, ``KPI_TYPES``.

Tables (see ``data/README.md``): ``deals``, ``deal_stages``, ``leads``,
``activities``, ``targets``, ``sales_inputs`` and ``orders`` (revenue,
locations, new vs existing), ``subscriptions`` (NRR, ARPA, LTV, churn in
:func:`sales_kpis`).

**Periods.** ``period`` is ``"2026-10"`` (a month), ``"2026-Q4"``, ``"2026"``,
a ``(first_day, last_day)`` pair (both inclusive) or None. A period is
half-open, ``[start, end)``. Unless ``as_of`` says otherwise, a period is
judged as of its own end, so re-running October's numbers after more data
arrives gives the same answer; a period that runs past the data is cut at the
data's last day, with a warning.

**Deal status at a time.** A deal is won (lost) at instant t when its status
is won (lost) and ``closed_at < t``; otherwise it is open at t (if created
before t). So past states are reconstructed from ``closed_at``, and a deal
closed after the as-of date counts as open, as it was then.

**Censoring.** Open deals have not finished: the censoring-aware win rate and
cycle length treat won and lost as competing risks and estimate their
cumulative incidence by deal age with lifelines' ``AalenJohansenFitter``, so
deals still open count for as long as they have been observed instead of being
dropped (which is what the plain "won / closed" does).
"""

from churnlab.sales.activity import sales_activity
from churnlab.sales.deals import (
    deal_flows,
    deal_outcomes_by_age,
    sales_cycle,
    win_rates,
)
from churnlab.sales.inputs import sales_inputs
from churnlab.sales.kpis import KPI_KINDS, KPI_TYPES, SALES_KPIS, sales_kpis
from churnlab.sales.pipeline import (
    lead_conversion,
    pipeline_by_stage,
    pipeline_funnel,
    sales_velocity,
    stage_conversion,
)
from churnlab.sales.quota import pipeline_coverage, quota_attainment
from churnlab.sales.revenue import revenue_new_vs_existing, sales_by_location

__all__ = [
    "KPI_KINDS",
    "KPI_TYPES",
    "SALES_KPIS",
    "sales_kpis",
    "pipeline_funnel",
    "lead_conversion",
    "win_rates",
    "sales_cycle",
    "deal_outcomes_by_age",
    "deal_flows",
    "quota_attainment",
    "pipeline_coverage",
    "pipeline_by_stage",
    "sales_velocity",
    "stage_conversion",
    "sales_activity",
    "sales_by_location",
    "revenue_new_vs_existing",
    "sales_inputs",
]
