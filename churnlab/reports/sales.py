"""The monthly sales report's content: every section the notebook shows.

Public names: ``SalesReport``.

``notebooks/reports/sales.ipynb`` builds one :class:`SalesReport` from validated
parameters and calls one method per section; the numbers come from
:mod:`churnlab.sales` (and :mod:`churnlab.funnels`), run once here. A section
whose tables are absent from the dataset says so in one line. It reuses the
churn report's machinery: the same runner, parameter checks, invariants,
restatements and ``metrics.json``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from churnlab.errors import ParameterError
from churnlab.reports._display import (
    CSS,
    capture_warnings,
    esc,
    fmt,
    html_raw,
    markdown,
    num,
    pct,
    publish,
    route_warnings,
    show_figure,
    show_table,
)
from churnlab.reports.params import ReportParams

__all__ = ["SalesReport"]

#: Display kind per KPI unit; rates are fractions, the display formats them.
_KINDS = {"rate": "pct", "growth": "pct", "ratio": "ratio", "days": "days"}

#: KPIs that are rates whatever unit the KPI table gives them (NRR is a
#: percentage in both reports).
_PCT_KPIS = {"nrr", "grr", "crr", "quota_attainment"}

#: Readable KPI names (others: underscores become spaces, first letter capital).
KPI_LABELS = {
    "nrr": "Net revenue retention (NRR)",
    "grr": "Gross revenue retention (GRR)",
    "ltv": "Customer lifetime value (LTV)",
    "arpa": "Average revenue per account (ARPA)",
    "acv": "Average contract value (ACV)",
    "aov": "Average order value (AOV)",
    "revenue_growth_qoq": "Revenue growth, quarter on quarter",
    "revenue_growth_yoy": "Revenue growth, year on year",
    "revenue_share_new": "Revenue share from new customers",
}


def kpi_label(kpi: str) -> str:
    """A KPI key as the words the table shows."""
    if kpi in KPI_LABELS:
        return KPI_LABELS[kpi]
    text = kpi.replace("_", " ")
    return text[:1].upper() + text[1:]


#: KPIs that are amounts of money.
_MONEY_WORDS = (
    "revenue",
    "aov",
    "acv",
    "arpa",
    "ltv",
    "mrr",
    "value",
    "amount",
    "expenses",
    "deal_size",
    "velocity",
)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _kind(kpi: str, unit: str) -> str:
    if kpi in _PCT_KPIS:
        return "pct"
    if unit in _KINDS:
        return _KINDS[unit]
    if any(w in kpi for w in _MONEY_WORDS) and "count" not in kpi:
        return "money"
    return "count"


def _change(row: pd.Series, which: str) -> str:
    """Change vs an earlier period: points for rates and ratios, % for amounts."""
    kind = _kind(str(row.get("kpi", "")), row.get("unit", ""))
    if kind == "pct":
        return fmt(row.get(f"change_vs_{which}"), "pp")
    if kind == "ratio":
        value = row.get(f"change_vs_{which}")
        return "–" if _missing(value) else f"{value:+.2f}"
    return fmt(row.get(f"growth_vs_{which}"), "growth")


def _growth(value: Any) -> str:
    return fmt(value, "growth")


class SalesReport:
    """Compute the sales report's numbers once and show them section by section.

    Parameters
    ----------
    params : ReportParams
        From :func:`churnlab.reports.check_params`; ``extra`` may hold
        ``market_size`` and ``sales_expenses`` (inputs no table holds).

    Attributes
    ----------
    kpis : pandas.DataFrame
        :func:`churnlab.sales_kpis` for the month.
    metrics : dict
        The flat numbers that go into ``metrics.json``.
    """

    def __init__(self, params: ReportParams) -> None:
        from churnlab.sales import sales_kpis

        self.p = params
        ds = params.dataset
        if ds.deals is None and ds.orders is None:
            raise ParameterError(
                "The sales report needs a deals or an orders table; the dataset has "
                f"{', '.join(ds.tables) or 'none'}."
            )
        self.notes: list[str] = []
        self.warned: list[str] = []
        route_warnings(self.warned)
        self.cur = params.currency
        self.checks: dict[str, bool] = {}
        inputs = {
            k: v
            for k, v in params.extra.items()
            if k in ("market_size", "sales_expenses") and v is not None
        }
        with capture_warnings(self.warned):
            self.kpis = sales_kpis(
                ds,
                params.month,
                as_of=params.as_of,
                gross_margin=params.gross_margin,
                inactivity_days=params.inactivity_days,
                **inputs,
            )
        self.metrics: dict[str, Any] = {}
        for _, row in self.kpis.iterrows():
            value = row["value"]
            self.metrics[row["kpi"]] = None if pd.isna(value) else float(value)

    def _run(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        with capture_warnings(self.warned):
            return func(*args, **kwargs)

    # ----------------------------------------------------------------- sections

    def summary(self) -> None:
        """Title line and the month's revenue, growth and win rate in a sentence."""
        p = self.p
        scope = "segment **{segment}**" if p.segment else "all segments"
        markdown(
            f"### {p.period.strftime('%B %Y')} · {scope} · data known through "
            f"{p.as_of.strftime('%Y-%m-%d')}",
            segment=p.segment,
        )
        k = self.kpis.set_index("kpi")
        parts = []
        if "total_revenue" in k.index and pd.notna(k.loc["total_revenue", "value"]):
            r = k.loc["total_revenue"]
            parts.append(
                f"Revenue was **{fmt(r['value'], 'money', self.cur)}** "
                f"({_growth(r['growth_vs_previous'])} vs last month, "
                f"{_growth(r['growth_vs_last_year'])} vs a year earlier)"
            )
        if "win_rate" in k.index and pd.notna(k.loc["win_rate", "value"]):
            r = k.loc["win_rate"]
            parts.append(
                f"{num(r['numerator'])} of {num(r['denominator'])} deals "
                f"closed this month were won (win rate "
                f"**{pct(r['value'])}**)"
            )
        if "quota_attainment" in k.index and pd.notna(
            k.loc["quota_attainment", "value"]
        ):
            parts.append(
                f"the team reached **{pct(k.loc['quota_attainment', 'value'])}**"
                " of quota"
            )
        markdown("; ".join(parts) + "." if parts else "No sales figures this month.")

    def kpi_table(self) -> None:
        """Every sales KPI: value, numerator / denominator, changes, formula, kind."""
        import html

        cells = []
        for _, r in self.kpis.iterrows():
            kind = _kind(str(r["kpi"]), r.get("unit", ""))
            value = fmt(r["value"], kind, self.cur)
            if r.get("missing"):
                value = (
                    f"needs {r['missing']}"
                    if _missing(r["value"])
                    else f"{value} ({r['missing']})"
                )
            top, bottom = r["numerator"], r["denominator"]
            unit = "money" if kind == "money" else "count"
            top_s = fmt(top, unit, self.cur)
            parts = (
                "–"
                if _missing(top)
                else (top_s if _missing(bottom) else f"{top_s} / {num(bottom)}")
            )
            cells.append(
                "<tr>"
                f"<th>{html.escape(kpi_label(str(r['kpi'])))}</th>"
                f"<td>{html.escape(value)}</td><td>{html.escape(parts)}</td>"
                f"<td>{_change(r, 'previous')}</td><td>{_change(r, 'last_year')}</td>"
                f'<td class="formula">{html.escape(str(r["formula"]))}</td>'
                f'<td class="formula">{html.escape(str(r["kind"]))}</td>'
                "</tr>"
            )
        head = (
            "<tr><th>KPI</th><th>value</th><th>numerator / denominator</th>"
            "<th>vs last month</th><th>vs last year</th>"
            '<th class="formula">formula</th><th class="formula">kind</th></tr>'
        )
        html_raw(
            CSS
            + '<div class="cl-table"><table>'
            + head
            + "".join(cells)
            + "</table></div>"
        )
        markdown("Rates and ratios change in points (pp); amounts and counts in %.")

    def mature_month(self) -> tuple[str | None, float | None]:
        """The latest month whose leads are older than the median sales cycle.

        Returns ``(YYYY-MM, median cycle in days)``; ``(None, days)`` when no
        month before the report month is old enough, ``(None, None)`` without
        a cycle to measure.
        """
        from churnlab.sales import sales_cycle

        ds = self.p.dataset
        if ds.deals is None:
            return None, None
        start = self.p.period - pd.DateOffset(months=11)
        span = (start.strftime("%Y-%m-%d"), self.p.as_of.strftime("%Y-%m-%d"))
        cycle = self._run(sales_cycle, ds, period=span, as_of=self.p.as_of)
        days = cycle["cycle_days_median"].dropna() if len(cycle) else pd.Series()
        if days.empty:
            return None, None
        median = float(days.iloc[0])
        # the month's last lead must be older than the median cycle at as_of
        last_ok = self.p.as_of - pd.Timedelta(days=median)
        month = (last_ok + pd.Timedelta(days=1)).to_period("M") - 1
        month = min(month, self.p.period.to_period("M") - 1)
        first = ds.info["leads"].earliest if "leads" in ds.info else None
        if first is not None and month < pd.Timestamp(first).to_period("M"):
            return None, median
        return str(month), median

    def pipeline(self) -> None:
        """Leads of the month beside the latest mature cohort, to won deals."""
        ds = self.p.dataset
        if ds.leads is None:
            self.notes.append("The pipeline is left out: the data has no leads.")
            return
        from churnlab.plots.sales import pipeline_funnel as plot_funnel
        from churnlab.sales import pipeline_funnel

        frame = self._run(pipeline_funnel, ds, period=self.p.month, as_of=self.p.as_of)
        self.funnel_ = frame
        counts = frame["count"].to_numpy()
        self.checks["pipeline funnel counts never increase along the steps"] = bool(
            (np.diff(counts) <= 0).all()
        )
        rates = frame["conversion_from_previous"].dropna()
        self.checks["funnel conversions lie in [0, 1]"] = bool(
            ((rates >= 0) & (rates <= 1)).all()
        )
        mature, median = self.mature_month()
        panels = [(frame, f"Leads of {self.p.period:%B %Y} (too young to judge)")]
        if mature is not None:
            old = self._run(pipeline_funnel, ds, period=mature, as_of=self.p.as_of)
            self.mature_funnel_ = old
            label = pd.Timestamp(mature + "-01").strftime("%B %Y")
            panels.insert(0, (old, f"Leads of {label} (mature)"))
        for data, title in panels:
            ax = plot_funnel(data)
            ax.set_title(title)
            ax.figure.set_size_inches(7, 3.2)
            show_figure(ax)
        text = (
            f"The median sales cycle is {fmt(median, 'days')}: leads of "
            f"{self.p.period:%B} have had at most a month, so their later steps "
            "will still grow. "
        )
        if mature is not None:
            text += (
                f"The first chart follows the most recent cohort older than the "
                f"median cycle ({mature}), the fairer read of conversion."
            )
        elif median is None:
            text = ""
        still = int(frame["in_progress"].sum()) if "in_progress" in frame else 0
        if still:
            text += (
                f" {still:,} of this month's leads have deals still open at the "
                "report date: in progress (censored), not lost."
            )
        if text:
            markdown(text.strip())

    def owners(self) -> None:
        """Win rate and cycle length by owner, naive beside censoring-aware."""
        ds = self.p.dataset
        if ds.deals is None or "owner" not in ds.deals.columns:
            markdown("*Skipped: needs a deals table with an owner column.*")
            return
        from churnlab.sales import sales_cycle, win_rates

        start = self.p.period - pd.DateOffset(months=11)
        span = (start.strftime("%Y-%m-%d"), self.p.as_of.strftime("%Y-%m-%d"))
        wins = self._run(win_rates, ds, by="owner", period=span, as_of=self.p.as_of)
        cycle = self._run(sales_cycle, ds, by="owner", period=span, as_of=self.p.as_of)
        table = wins.merge(
            cycle[["owner", "cycle_days_median", "cycle_days_median_aj"]],
            on="owner",
            how="left",
        )
        rates = table[["win_rate", "win_rate_aj"]].stack().dropna()
        self.checks["win rates lie in [0, 1]"] = bool(
            ((rates >= 0) & (rates <= 1)).all()
        )
        from churnlab.plots.sales import sales_cycle as plot_cycle
        from churnlab.plots.sales import win_rates as plot_wins

        show_figure(plot_wins(wins, by="owner"))
        show_figure(plot_cycle(cycle, by="owner"))
        shown = pd.DataFrame(
            {
                "owner": table["owner"].astype(str),
                "deals created": table["deals"],
                "open": table["deals_open"],
                "won / closed": [
                    f"{w} / {c}"
                    for w, c in zip(
                        table["deals_won"], table["deals_closed"], strict=True
                    )
                ],
                "win rate, closed only": table["win_rate"],
                "win rate, open deals counted (Aalen–Johansen)": table["win_rate_aj"],
                "median cycle, won deals": table["cycle_days_median"],
                "median cycle, open deals counted": table["cycle_days_median_aj"],
            }
        )
        show_table(
            shown,
            kinds={
                "win rate, closed only": "pct",
                "win rate, open deals counted (Aalen–Johansen)": "pct",
                "median cycle, won deals": "days",
                "median cycle, open deals counted": "days",
            },
        )
        markdown(
            f"Deals created {span[0]} to {span[1]}. The *closed only* win rate ignores "
            "deals still open, which biases it toward quick outcomes; the "
            "Aalen–Johansen version treats won and lost as competing risks and counts "
            "open deals as censored, so young pipelines are not judged early."
        )

    def quota(self) -> None:
        """Quota attainment per owner for the month."""
        ds = self.p.dataset
        if ds.targets is None or ds.deals is None:
            markdown("*Skipped: quota attainment needs targets and deals tables.*")
            return
        from churnlab.plots.sales import quota_attainment as plot_quota
        from churnlab.sales import quota_attainment

        frame = self._run(quota_attainment, ds, period=self.p.month, as_of=self.p.as_of)
        self.quota_ = frame
        if frame.empty:
            markdown("No quota is set for this month.")
            return
        import seaborn as sns

        ax = plot_quota(frame)
        met, below = sns.color_palette("colorblind")[2], "0.7"
        for bar in ax.patches:  # reaching quota is good news: green, hatched
            bar.set_facecolor(met if bar.get_hatch() else below)
        show_figure(ax)
        if len(frame):
            met = int((frame["attainment"] >= 1).sum())
            markdown(f"{met} of {len(frame)} owners reached their quota this month.")

    def locations(self) -> None:
        """Revenue by location this month, with its share and growth."""
        ds = self.p.dataset
        if ds.orders is None:
            markdown("*Skipped: sales by location needs an orders table.*")
            return
        from churnlab.sales import sales_by_location

        frame = self._run(
            sales_by_location, ds, period=self.p.month, as_of=self.p.as_of
        )
        from churnlab.plots.sales import sales_by_location as plot_locations

        if frame.empty:
            markdown("No orders this month.")
            return
        show_figure(plot_locations(frame))
        shares = frame["revenue_share"].dropna()
        self.checks["location shares add up to 1"] = bool(
            len(shares) == 0 or abs(shares.sum() - 1) < 1e-9
        )
        shown = pd.DataFrame(
            {
                "location": frame["location"].astype(str),
                "customers": frame["customers"],
                "orders": frame["orders"],
                "revenue": frame["revenue"],
                "share of revenue": frame["revenue_share"],
                "vs last month": frame["growth"],
            }
        )
        show_table(
            shown,
            kinds={
                "revenue": "money",
                "share of revenue": "pct",
                "vs last month": "growth",
            },
            currency=self.cur,
        )

    def new_vs_existing(self) -> None:
        """Revenue from new versus existing customers over the last 12 months."""
        ds = self.p.dataset
        if ds.orders is None:
            markdown("*Skipped: needs an orders table.*")
            return
        from churnlab.plots.sales import revenue_new_vs_existing as plot_split
        from churnlab.sales import revenue_new_vs_existing

        frame = self._run(revenue_new_vs_existing, ds, as_of=self.p.as_of)
        frame = frame[frame["period"] > self.p.period - pd.DateOffset(months=12)]
        ax = plot_split(frame)
        from matplotlib.ticker import FuncFormatter

        from churnlab.reports._display import money

        ax.tick_params(axis="x", labelrotation=45)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _p: money(v, self.cur, compact=True))
        )
        if self.cur:
            ax.set_ylabel(f"Revenue, net of refunds ({self.cur})")
        show_figure(ax)

    # -------------------------------------------------------------- publishing

    def publish(self, *, output_dir: str | None, previous_metrics: str | None) -> None:
        """Check invariants, show data notes and restatements, write metrics.json.

        The written document is kept as ``metrics_doc_``.
        """
        rates = self.kpis[self.kpis["unit"] == "rate"]
        bounded = rates[
            ~rates["kpi"].isin(
                ["revenue_growth_qoq", "revenue_growth_yoy", "nrr", "average_margin"]
            )
        ]["value"].dropna()
        self.checks["KPI rates lie in [0, 1]"] = bool(
            ((bounded >= 0) & (bounded <= 1)).all()
        )
        notes = []
        missing = self.kpis[self.kpis["missing"].astype(bool)]
        if len(missing):
            notes.append(
                "**Inputs not in the data:** "
                + "; ".join(
                    f"{esc(kpi_label(r.kpi))} needs {esc(r.missing)}"
                    for r in missing.itertuples()
                )
                + ". Pass them as report parameters "
                "(e.g. `--param market_size=250000`)."
            )
        notes += self.notes
        doc = publish(
            self.p,
            self.metrics,
            self.checks,
            notes=notes,
            warned=self.warned,
            output_dir=output_dir,
            previous_metrics=previous_metrics,
        )
        self.metrics_doc_ = doc
