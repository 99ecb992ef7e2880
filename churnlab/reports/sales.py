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

import warnings
from typing import Any

import numpy as np
import pandas as pd

from churnlab.errors import ChurnlabWarning, ParameterError
from churnlab.reports._display import (
    TABLE_CSS,
    html_raw,
    markdown,
    num,
    pct,
    publish,
    show_figure,
    show_table,
)
from churnlab.reports.params import ReportParams

__all__ = ["SalesReport"]

_UNITS = {"rate": "pct", "ratio": "ratio", "count": "count", "days": "days"}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _fmt(value: Any, unit: str) -> str:
    if _missing(value):
        return "–"
    if unit in ("rate", "growth"):
        return pct(value)
    if unit == "ratio":
        return f"{value:.2f}×"
    if unit == "days":
        return f"{value:,.1f} days"
    return num(value)


def _change(row: pd.Series, which: str) -> str:
    """Change vs an earlier period: points for rates and ratios, % for amounts."""
    unit = row.get("unit", "")
    if unit in ("rate", "growth"):
        value = row.get(f"change_vs_{which}")
        return "–" if _missing(value) else f"{value * 100:+.1f} pp"
    if unit == "ratio":
        value = row.get(f"change_vs_{which}")
        return "–" if _missing(value) else f"{value:+.2f}"
    return _growth(row.get(f"growth_vs_{which}"))


def _growth(value: Any) -> str:
    if _missing(value):
        return "–"
    return f"{value:+.1%}"


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
        self.checks: dict[str, bool] = {}
        inputs = {
            k: v
            for k, v in params.extra.items()
            if k in ("market_size", "sales_expenses") and v is not None
        }
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ChurnlabWarning)
            self.kpis = sales_kpis(
                ds,
                params.month,
                as_of=params.as_of,
                gross_margin=params.gross_margin,
                inactivity_days=params.inactivity_days,
                **inputs,
            )
        self._collect(caught)
        self.metrics: dict[str, Any] = {}
        for _, row in self.kpis.iterrows():
            value = row["value"]
            self.metrics[row["kpi"]] = None if pd.isna(value) else float(value)

    def _collect(self, caught: list[warnings.WarningMessage]) -> None:
        for w in caught:
            if issubclass(w.category, ChurnlabWarning):
                text = str(w.message)
                if text not in self.notes:
                    self.notes.append(text)

    def _run(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ChurnlabWarning)
            out = func(*args, **kwargs)
        self._collect(caught)
        return out

    # ----------------------------------------------------------------- sections

    def summary(self) -> None:
        """Title line and the month's revenue, growth and win rate in a sentence."""
        p = self.p
        scope = f"segment **{p.segment}**" if p.segment else "all segments"
        markdown(
            f"### {p.period.strftime('%B %Y')} · {scope} · data known through "
            f"{p.as_of.strftime('%Y-%m-%d')}"
        )
        k = self.kpis.set_index("kpi")
        parts = []
        if "total_revenue" in k.index and pd.notna(k.loc["total_revenue", "value"]):
            r = k.loc["total_revenue"]
            parts.append(
                f"Revenue was **{num(r['value'])}** "
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
            unit = r.get("unit", "")
            value = _fmt(r["value"], unit)
            if r.get("missing"):
                value = (
                    f"needs {r['missing']}"
                    if _missing(r["value"])
                    else f"{value} ({r['missing']})"
                )
            top, bottom = r["numerator"], r["denominator"]
            parts = (
                "–"
                if _missing(top)
                else (num(top) if _missing(bottom) else f"{num(top)} / {num(bottom)}")
            )
            cells.append(
                "<tr>"
                f"<th>{html.escape(r['kpi'].replace('_', ' '))}</th>"
                f"<td>{html.escape(value)}</td><td>{parts}</td>"
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
            TABLE_CSS
            + '<div class="cl-table"><table>'
            + head
            + "".join(cells)
            + "</table></div>"
        )
        markdown("Rates and ratios change in points (pp); amounts and counts in %.")

    def pipeline(self) -> None:
        """Leads → opportunities → won for the month's leads, with deals in progress."""
        ds = self.p.dataset
        if ds.leads is None:
            markdown("*Skipped: the dataset has no leads table.*")
            return
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
        from churnlab.plots.sales import pipeline_funnel as plot_funnel

        show_figure(plot_funnel(frame))
        still = int(frame["in_progress"].sum()) if "in_progress" in frame else 0
        if still:
            markdown(
                f"{still:,} of these leads' deals are still open at the report "
                "date: they are in progress (censored), not lost, so the later "
                "steps will still grow."
            )

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
                "owner": table["owner"],
                "deals created": table["deals"],
                "open": table["deals_open"],
                "won / closed": [
                    f"{w} / {c}"
                    for w, c in zip(
                        table["deals_won"], table["deals_closed"], strict=True
                    )
                ],
                "win rate, closed only": table["win_rate"].map(pct),
                "win rate, open deals counted (Aalen–Johansen)": table[
                    "win_rate_aj"
                ].map(pct),
                "median cycle, won deals (days)": table["cycle_days_median"].map(
                    lambda v: "–" if pd.isna(v) else f"{v:.0f}"
                ),
                "median cycle, open deals counted (days)": table[
                    "cycle_days_median_aj"
                ].map(lambda v: "–" if pd.isna(v) else f"{v:.0f}"),
            }
        )
        show_table(shown)
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
        show_figure(plot_quota(frame))
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

        show_figure(plot_locations(frame))
        shares = frame["revenue_share"].dropna()
        self.checks["location shares add up to 1"] = bool(
            len(shares) == 0 or abs(shares.sum() - 1) < 1e-9
        )
        shown = pd.DataFrame(
            {
                "location": frame["location"],
                "customers": frame["customers"],
                "orders": frame["orders"],
                "revenue": frame["revenue"].map(num),
                "share of revenue": frame["revenue_share"].map(pct),
                "vs last month": frame["growth"].map(_growth),
            }
        )
        show_table(shown)

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
        show_figure(plot_split(frame))

    # -------------------------------------------------------------- publishing

    def publish(self, *, output_dir: str | None, previous_metrics: str | None) -> None:
        """Check invariants, show data notes and restatements, write metrics.json.

        The written document is kept as ``metrics_doc_``.
        """
        rates = self.kpis[self.kpis["unit"] == "rate"]
        bounded = rates[
            ~rates["kpi"].isin(["revenue_growth_qoq", "revenue_growth_yoy", "nrr"])
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
                    f"{r.kpi.replace('_', ' ')} needs {r.missing}"
                    for r in missing.itertuples()
                )
                + ". Pass them as report parameters "
                "(e.g. `--param market_size=250000`)."
            )
        notes += [f"**Excluded by rule:** {note}" for note in self.notes]
        doc = publish(
            self.p,
            self.metrics,
            self.checks,
            notes=notes,
            output_dir=output_dir,
            previous_metrics=previous_metrics,
        )
        self.metrics_doc_ = doc
