"""The sales KPIs as the product's source list defines them, and practice variants.

``SALES_KPIS`` is the one place a KPI's id, types, formula and unit are
written; :func:`churnlab.sales_kpis` computes them and the sales report shows
them. The 25 source KPIs come first, in the source's order, then the variants
sales practice uses (each names the source KPI it stands beside).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KPI_TYPES", "KPI_KINDS", "KpiSpec", "SALES_KPIS"]

#: The six KPI types of the source list, in its order, and the question each
#: answers.
KPI_TYPES: dict[str, str] = {
    "quality": "how consistently do we give customers a good experience?",
    "growth": "how likely are we to grow the business / revenue?",
    "efficiency": "how well do we use the company's resources?",
    "input": "which figures do we control most directly?",
    "output": "which figures lead to the results we want?",
    "result": "which figures affect the business and profit most?",
}

#: The former name of :data:`KPI_TYPES`.
KPI_KINDS = KPI_TYPES


@dataclass(frozen=True)
class KpiSpec:
    """One KPI: id, types (text joined by ", "), formula, unit, and variant.

    ``practice_of`` is empty for the source list's KPIs; a practice variant
    names the source KPI it stands beside. ``unit`` is ``rate`` (a share in
    [0, 1]), ``ratio`` (unbounded), ``growth`` (a relative change), ``money``,
    ``money per year``, ``money per day``, ``days`` or ``count``.
    """

    kpi: str
    types: str
    formula: str
    unit: str
    practice_of: str = ""

    @property
    def variant(self) -> str:
        """``"source"`` or ``"practice"``."""
        return (
            "practice"
            if self.practice_of or self.kpi == "sales_velocity"
            else ("source")
        )


SALES_KPIS: tuple[KpiSpec, ...] = (
    KpiSpec("total_revenue", "growth, result",
            "units sold × price per unit (= sum of sales amounts)", "money"),
    KpiSpec("nrr", "quality, result",
            "(start MRR + expansion − contraction − churned MRR) / start MRR",
            "ratio"),
    KpiSpec("arpa", "growth, result", "MRR / number of active accounts", "money"),
    KpiSpec("revenue_growth_qoq", "growth, input, result",
            "(this quarter's sales − last quarter's) / last quarter's", "growth"),
    KpiSpec("revenue_growth_yoy", "growth, result",
            "this year's value / last year's value − 1", "growth"),
    KpiSpec("repeat_customer_rate", "quality, output",
            "repeat customers / all paying customers", "rate"),
    KpiSpec("ltv", "quality, growth, result",
            "average purchase value × average number of purchases × average "
            "customer lifetime", "money"),
    KpiSpec("average_deal_size", "efficiency, result",
            "total value of closed deals / number of closed deals", "money"),
    KpiSpec("average_margin", "growth, result",
            "(gross or net profit / total revenue)", "rate"),
    KpiSpec("sales_conversion_rate", "growth, efficiency, result",
            "closed (won) deals / total leads", "rate"),
    KpiSpec("lead_conversion_rate", "growth, efficiency, result",
            "leads captured / total visitors", "rate"),
    KpiSpec("lead_to_opportunity_rate", "growth, efficiency, result",
            "opportunities / leads", "rate"),
    KpiSpec("market_penetration", "growth, result",
            "customers / total market size", "rate"),
    KpiSpec("sales_cycle_length", "efficiency, output",
            "total days taken to close deals / number of deals", "days"),
    KpiSpec("acv", "growth, result",
            "(total contract value − one-time fees) / contract length in years",
            "money per year"),
    KpiSpec("sales_expense_ratio", "efficiency, input",
            "operating (sales) expenses / net sales", "ratio"),
    KpiSpec("pipeline_coverage", "growth, input",
            "total pipeline value / sales target", "ratio"),
    KpiSpec("win_rate", "growth, efficiency, output",
            "won deals / total deals", "rate"),
    KpiSpec("deal_slippage", "efficiency, output",
            "lost deals / total deals conducted", "rate"),
    KpiSpec("quota_attainment", "growth, output",
            "total sales / sales quota", "ratio"),
    KpiSpec("meetings_booked", "efficiency, growth, output",
            "meetings scheduled / total responses from prospects", "ratio"),
    KpiSpec("sales_pitches", "efficiency, input",
            "product demos / sales emails and calls", "ratio"),
    KpiSpec("sales_by_location", "growth, result",
            "sales in a location / total sales", "rate"),
    KpiSpec("revenue_share_new_existing", "quality, result",
            "revenue from existing (or new) customers / total revenue", "rate"),
    KpiSpec("churn_rate", "quality, result",
            "customers lost / customers at the start", "rate"),
    # practice variants, each beside the source KPI it names
    KpiSpec("ltv_saas", "quality, growth, result",
            "ARPA × gross margin / monthly customer churn rate", "money", "ltv"),
    KpiSpec("sales_cycle_length_censored", "efficiency, output",
            "median days to a win of the deals created in the period, open deals "
            "censored (Aalen-Johansen)", "days", "sales_cycle_length"),
    KpiSpec("acv_mrr", "growth, result",
            "12 × new MRR / new customers", "money per year", "acv"),
    KpiSpec("win_rate_closed", "growth, efficiency, output",
            "won deals / closed (won + lost) deals", "rate", "win_rate"),
    KpiSpec("deal_slippage_expected_close", "efficiency, output",
            "deals not closed by their expected close date / deals expected to "
            "close in the period", "rate", "deal_slippage"),
    KpiSpec("meetings_booked_count", "efficiency, growth, output",
            "meetings scheduled", "count", "meetings_booked"),
    KpiSpec("sales_pitches_per_deal", "efficiency, input",
            "deals with a demo / deals with any activity", "rate", "sales_pitches"),
    KpiSpec("sales_velocity", "efficiency, output",
            "opportunities × average deal size × win rate (closed) / sales cycle "
            "length", "money per day"),
)  # fmt: skip
