"""The monthly churn report's content: every section the notebook shows.

Public names: ``ChurnReport``, ``HEADLINE_KEYS``.

``notebooks/reports/churn.ipynb`` builds one :class:`ChurnReport` from validated
parameters and calls one method per section; the computations are the package's
public metric functions, run once here, so the notebook holds prose and calls
only. A section whose tables are absent from the dataset says so in one line.

Subscriptions give the contractual report (logo churn, MRR bridge, NRR/GRR);
a dataset with orders and no subscriptions gives the non-contractual one, with
the inactivity window printed next to every figure.
"""

from __future__ import annotations

import html
import warnings
from typing import Any

import numpy as np
import pandas as pd

from churnlab import engine
from churnlab.errors import ChurnlabWarning, ParameterError
from churnlab.reports._display import (
    TABLE_CSS,
    html_raw,
    markdown,
    num,
    pct,
    pp,
    publish,
    show_figure,
    show_table,
)
from churnlab.reports.params import ReportParams

__all__ = ["ChurnReport", "HEADLINE_KEYS"]

#: Small denominators (fewer cases than this) are flagged next to the figure.
SMALL_N = 30

#: metrics.json keys of the headline numbers, with their meaning (README lists them).
HEADLINE_KEYS: dict[str, str] = {
    "customers_start": "customers active at the start of the month",
    "customers_new": "customers whose first ever activity is in the month",
    "customers_new_lost": "new in the month and not active at its end",
    "customers_reactivated": "inactive at the start, active before, active at the end",
    "customers_churned": "active at the start and not at the end",
    "customers_end": "customers active at the end of the month",
    "customer_churn_rate": "customers_churned / customers_start",
    "crr": "(customers_end - customers_new) / customers_start",
    "mrr_start": "MRR at the start of the month",
    "mrr_new": "MRR from new customers",
    "mrr_expansion": "MRR added by customers active at both ends",
    "mrr_reactivation": "MRR from reactivated customers",
    "mrr_contraction": "MRR lost by customers active at both ends",
    "mrr_churn": "MRR of churned customers at the start",
    "mrr_end": "MRR at the end of the month",
    "gross_revenue_churn_rate": "(mrr_churn + mrr_contraction) / mrr_start",
    "nrr": "(mrr_start + expansion - contraction - churn) / mrr_start",
    "grr": "(mrr_start - contraction - churn) / mrr_start",
    "quick_ratio": "(new + expansion + reactivation) / (contraction + churn)",
    "arpa": "mrr_end / customers_end",
    "lifetime_months_simple": "1 / monthly churn rate",
    "ltv": "arpa * gross_margin / customer_churn_rate",
    "rmst_months": "restricted mean lifetime from Kaplan-Meier, up to 24 months",
    "median_lifetime_months": "Kaplan-Meier median lifetime (null if not reached)",
    "nps": "% promoters - % detractors over the last quarter",
    "order_churn_rate": "orders only: churned / active at start, inactivity window",
    "repeat_rate": "orders only: customers ordering again / customers ordering",
}


class ChurnReport:
    """Compute the churn report's numbers once and show them section by section.

    Parameters
    ----------
    params : ReportParams
        From :func:`churnlab.reports.check_params`.

    Attributes
    ----------
    mode : {"subscriptions", "orders"}
        Which kind of churn the report is about.
    monthly : pandas.DataFrame
        One row per month up to the report month: counts, MRR bridge and rates.
    metrics : dict
        The flat headline numbers that go into ``metrics.json``.
    notes : list of str
        Documented exclusions and skipped sections, shown at the end.
    """

    def __init__(self, params: ReportParams) -> None:
        from churnlab.metrics.churn import customer_churn, order_churn
        from churnlab.metrics.orders import order_metrics
        from churnlab.metrics.revenue import revenue_metrics

        self.p = params
        ds = params.dataset
        self.notes: list[str] = []
        self.checks: dict[str, bool] = {}
        if ds.subscriptions is not None:
            self.mode = "subscriptions"
        elif ds.orders is not None:
            self.mode = "orders"
        else:
            raise ParameterError(
                "The churn report needs a subscriptions or an orders table; the "
                "dataset "
                f"has {', '.join(ds.tables) or 'none'}."
            )
        self.segment_col = (
            "segment"
            if ds.customers is not None
            and "segment" in ds.customers.columns
            and params.segment is None
            else None
        )
        as_of = params.as_of
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ChurnlabWarning)
            if self.mode == "subscriptions":
                self.counts = customer_churn(ds, as_of=as_of)
                rev = revenue_metrics(ds, as_of=as_of, margin=params.gross_margin)
                self.monthly = self.counts.merge(
                    rev.drop(
                        columns=[
                            c
                            for c in rev.columns
                            if c in self.counts.columns and c != "period"
                        ]
                    ),
                    on="period",
                    how="left",
                )
                self.by_seg = None
                if self.segment_col:
                    self.by_seg = customer_churn(ds, by=self.segment_col, as_of=as_of)
                    self.rev_seg = revenue_metrics(
                        ds, by=self.segment_col, as_of=as_of, margin=params.gross_margin
                    )
            else:
                days = params.inactivity_days
                self.counts = order_churn(ds, as_of=as_of, inactivity_days=days)
                om = order_metrics(ds, as_of=as_of, inactivity_days=days)
                self.monthly = self.counts.merge(
                    om.drop(
                        columns=[
                            c
                            for c in om.columns
                            if c in self.counts.columns and c != "period"
                        ]
                    ),
                    on="period",
                    how="left",
                )
                self.by_seg = None
                if self.segment_col:
                    self.by_seg = order_churn(
                        ds, by=self.segment_col, as_of=as_of, inactivity_days=days
                    )
        self.notes += sorted(
            {str(w.message) for w in caught if issubclass(w.category, ChurnlabWarning)}
        )
        self.monthly = self.monthly[self.monthly["period"] <= params.period]
        if self.monthly.empty or self.monthly["period"].iloc[-1] != params.period:
            raise ParameterError(f"No churn figures for {params.month} in this data.")
        self.row = self.monthly.iloc[-1]
        self.prev = self._at(params.period - pd.DateOffset(months=1))
        self.last_year = self._at(params.period - pd.DateOffset(years=1))
        self.metrics: dict[str, Any] = self._headline_metrics()
        self._lifetime: Any = None

    # ------------------------------------------------------------------ helpers

    def _at(self, period: pd.Timestamp) -> pd.Series | None:
        hit = self.monthly[self.monthly["period"] == period]
        return None if hit.empty else hit.iloc[0]

    @property
    def window_note(self) -> str:
        """The inactivity-window sentence for orders-only figures ('' otherwise)."""
        if self.mode == "orders":
            return (
                f"Inactivity window: {self.p.inactivity_days} days without an "
                "order = churned."
            )
        return ""

    def _headline_metrics(self) -> dict[str, Any]:
        r = self.row
        m: dict[str, Any] = {}
        for key in (
            "customers_start",
            "customers_new",
            "customers_new_lost",
            "customers_reactivated",
            "customers_churned",
            "customers_end",
        ):
            if key in r:
                m[key] = int(r[key])
        if self.mode == "subscriptions":
            m["customer_churn_rate"] = r["churn_rate"]
            m["crr"] = r.get("crr")
            m.update(
                mrr_start=r["start_mrr"],
                mrr_new=r["new"],
                mrr_expansion=r["expansion"],
                mrr_reactivation=r["reactivation"],
                mrr_contraction=r["contraction"],
                mrr_churn=r["churn"],
                mrr_end=r["end_mrr"],
                gross_revenue_churn_rate=r["gross_revenue_churn_rate"],
                net_revenue_churn_rate=r["net_revenue_churn_rate"],
                nrr=r["nrr"],
                grr=r["grr"],
                quick_ratio=r["quick_ratio"],
                arpa=r["arpa"],
                lifetime_months_simple=r["lifetime_months"],
                ltv=r["ltv"],
            )
        else:
            m["order_churn_rate"] = r["churn_rate"]
            m["customer_churn_rate"] = r["churn_rate"]
            for key in (
                "orders",
                "revenue",
                "customers_ordering",
                "repeat_rate",
                "aov",
                "purchase_frequency",
                "revenue_new_share",
                "ltv",
            ):
                if key in r:
                    m[key] = r[key]
            m["inactivity_days"] = self.p.inactivity_days
        return {
            k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
            for k, v in m.items()
        }

    # ----------------------------------------------------------------- sections

    def summary(self) -> None:
        """Title line and a two-sentence summary with the month's key numbers."""
        p, r = self.p, self.row
        scope = f"segment **{p.segment}**" if p.segment else "all customers"
        month = p.period.strftime("%B %Y")
        markdown(
            f"### {month} · {scope} · data known through {p.as_of.strftime('%Y-%m-%d')}"
        )
        churned, start = int(r["customers_churned"]), int(r["customers_start"])
        text = (
            f"{churned:,} of the {start:,} customers active on "
            f"{p.period.strftime('%d %B')} had left by the month's end: a logo churn "
            f"rate of **{pct(r['churn_rate'], 2)}**"
        )
        if self.prev is not None:
            text += f" ({pp(r['churn_rate'] - self.prev['churn_rate'])} vs last month)"
        text += "."
        if "customers_new_lost" in r:
            text += (
                f" A further {int(r['customers_new_lost']):,} customers signed up and "
                "left within the month; they are in neither term of the rate."
            )
        if self.mode == "subscriptions":
            text += (
                f" MRR went from {num(r['start_mrr'])} to {num(r['end_mrr'])}; net "
                f"revenue retention was **{pct(r['nrr'])}**."
            )
        else:
            text += " " + self.window_note
        markdown(text)

    def _headline_rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """(label, key, kind, numerator column, denominator column, formula)."""
        if self.mode == "subscriptions":
            return [
                (
                    "Logo churn rate",
                    "churn_rate",
                    "pct",
                    "customers_churned",
                    "customers_start",
                    "churned ÷ active at month start",
                ),
                (
                    "Customer retention (CRR)",
                    "crr",
                    "pct",
                    None,
                    "customers_start",
                    "(end − new) ÷ start",
                ),
                (
                    "Gross revenue churn",
                    "gross_revenue_churn_rate",
                    "pct",
                    "mrr_lost_gross",
                    "start_mrr",
                    "(churned + contraction MRR) ÷ start MRR",
                ),
                (
                    "Net revenue retention (NRR)",
                    "nrr",
                    "pct",
                    "mrr_retained",
                    "start_mrr",
                    "(start + expansion − contraction − churn) ÷ start MRR",
                ),
                (
                    "Gross revenue retention (GRR)",
                    "grr",
                    "pct",
                    "mrr_retained_gross",
                    "start_mrr",
                    "(start − contraction − churn) ÷ start MRR",
                ),
                (
                    "Quick ratio",
                    "quick_ratio",
                    "ratio",
                    "mrr_gained",
                    "mrr_lost_gross",
                    "(new + expansion + reactivation) ÷ (contraction + churn)",
                ),
                (
                    "ARPA",
                    "arpa",
                    "money",
                    "end_mrr",
                    "customers_end",
                    "MRR ÷ active accounts at month end",
                ),
                (
                    "Active customers",
                    "customers_end",
                    "count",
                    None,
                    None,
                    "active at month end",
                ),
                ("MRR", "end_mrr", "money", None, None, "MRR at month end"),
            ]
        return [
            (
                "Order churn rate",
                "churn_rate",
                "pct",
                "customers_churned",
                "customers_start",
                f"churned ÷ active at month start "
                f"({self.p.inactivity_days}-day window)",
            ),
            (
                "Repeat-customer rate",
                "repeat_rate",
                "pct",
                "customers_repeat",
                "customers_ordering",
                "ordering customers with an earlier order ÷ ordering",
            ),
            (
                "Average order value",
                "aov",
                "money",
                "revenue",
                "orders",
                "revenue ÷ orders",
            ),
            (
                "Revenue from new customers",
                "revenue_new_share",
                "pct",
                "revenue_new",
                "revenue",
                "first-order customers' revenue ÷ revenue",
            ),
            (
                "Active customers",
                "customers_end",
                "count",
                None,
                None,
                f"ordered within {self.p.inactivity_days} days of month end",
            ),
            ("Revenue", "revenue", "money", None, None, "purchases in the month"),
        ]

    def _fmt(self, value: Any, kind: str) -> str:
        if kind == "pct":
            return pct(value)
        if kind == "ratio":
            return "–" if value is None or pd.isna(value) else f"{value:.2f}"
        return num(value)

    def _delta(self, now: Any, then: Any, kind: str) -> str:
        if then is None or pd.isna(then) or now is None or pd.isna(now):
            return "–"
        if kind == "pct":
            return pp(now - then)
        if kind == "ratio":
            return f"{now - then:+.2f}"
        return "–" if then == 0 else f"{(now - then) / abs(then):+.1%}"

    def headline(self) -> None:
        """The headline table: value, numerator / denominator, vs last month and year.

        Hovering a value shows its formula with the numbers substituted. A
        denominator under 30 is flagged.
        """
        rows, out = [], []
        for label, key, kind, num_col, den_col, formula in self._headline_rows():
            if key not in self.row:
                continue
            value = self.row[key]
            parts = "–"
            small = False
            if num_col and den_col and num_col in self.row and den_col in self.row:
                parts = f"{num(self.row[num_col])} / {num(self.row[den_col])}"
                small = kind == "pct" and self.row[den_col] < SMALL_N
            elif den_col and den_col in self.row:
                parts = f"n = {num(self.row[den_col])}"
            prev = None if self.prev is None else self.prev.get(key)
            ly = None if self.last_year is None else self.last_year.get(key)
            hover = f"{formula}: {parts} = {self._fmt(value, kind)}"
            flag = " ⚠ small n" if small else ""
            rows.append(
                "<tr>"
                f"<th>{html.escape(label)}</th>"
                f'<td title="{html.escape(hover)}"><b>{self._fmt(value, kind)}</b>'
                f"{flag}</td>"
                f"<td>{parts}</td>"
                f"<td>{self._fmt(prev, kind)}</td>"
                f"<td>{self._delta(value, prev, kind)}</td>"
                f"<td>{self._fmt(ly, kind)}</td><td>{self._delta(value, ly, kind)}</td>"
                f'<td class="formula">{html.escape(formula)}</td>'
                "</tr>"
            )
            out.append(
                {
                    "metric": label,
                    "value": value,
                    "numerator/denominator": parts,
                    "previous_month": prev,
                    "same_month_last_year": ly,
                    "formula": formula,
                }
            )
        month = self.p.period
        head = (
            "<tr><th>Metric</th><th>" + month.strftime("%b %Y") + "</th>"
            "<th>Numerator / denominator</th>"
            "<th>"
            + (month - pd.DateOffset(months=1)).strftime("%b %Y")
            + "</th><th>Δ</th>"
            "<th>"
            + (month - pd.DateOffset(years=1)).strftime("%b %Y")
            + "</th><th>Δ</th>"
            '<th class="formula">Formula</th></tr>'
        )
        html_raw(
            TABLE_CSS
            + '<div class="cl-table"><table>'
            + head
            + "".join(rows)
            + "</table></div>"
        )
        if self.window_note:
            markdown(f"*{self.window_note}*")
        self.headline_ = pd.DataFrame(out)

    def mrr_bridge(self) -> None:
        """Waterfall from start to end MRR for the month."""
        if self.mode != "subscriptions":
            markdown("*Skipped: the MRR bridge needs a subscriptions table.*")
            return
        from churnlab.plots.revenue import mrr_bridge

        ax = mrr_bridge(self.monthly, period=self.p.period)
        r = self.row
        peak = r["start_mrr"] + r["new"] + r["expansion"] + r["reactivation"]
        low = min(r["start_mrr"], r["end_mrr"])
        high = max(peak, r["start_mrr"], r["end_mrr"])
        pad = 0.15 * max(high - low, 1.0)
        if low - pad > 0:
            # Movements are a few percent of MRR: start the axis near the totals so
            # they can be read, and say so.
            ax.set_ylim(low - pad, high + pad)
            ax.annotate(
                f"Axis starts at {low - pad:,.0f}, not 0",
                xy=(0, 1),
                xycoords="axes fraction",
                xytext=(4, -4),
                va="top",
                textcoords="offset points",
                fontsize="small",
                color="0.35",
            )
        show_figure(ax)

    def trend(self, months: int = 24) -> None:
        """Churn rate with a 95% Wilson band, and NRR/GRR, over recent months."""
        from churnlab.metrics.churn import wilson_interval
        from churnlab.plots.churn import churn_rate
        from churnlab.plots.revenue import revenue_retention

        recent = self.monthly.tail(months)
        ax = churn_rate(recent)
        low, high = wilson_interval(
            recent["customers_churned"], recent["customers_start"]
        )
        ax.fill_between(
            recent["period"],
            low,
            high,
            alpha=0.2,
            linewidth=0,
            label="95% interval (Wilson)",
        )
        ax.set_ylim(0, max(float(np.nanmax(high)), ax.get_ylim()[1]) * 1.05)
        ax.legend(loc="lower left", fontsize="small")
        if self.window_note:
            ax.set_title(ax.get_title() + f" ({self.p.inactivity_days}-day window)")
        show_figure(ax)
        if self.mode == "subscriptions":
            show_figure(revenue_retention(recent))

    def by_segment(self) -> None:
        """Show the month's churn per segment, small segments flagged, and its trend."""
        if self.by_seg is None:
            why = (
                "the report is filtered to one segment"
                if self.p.segment
                else "the dataset has no customers.segment column"
            )
            markdown(f"*Skipped: {why}.*")
            return
        from churnlab.plots.churn import churn_rate

        seg = self.segment_col
        month = self.by_seg[self.by_seg["period"] == self.p.period]
        cols = [seg, "customers_start", "customers_churned", "churn_rate"]
        table = month[cols].copy()
        table["note"] = np.where(
            table["customers_start"] < SMALL_N, f"⚠ fewer than {SMALL_N} at start", ""
        )
        self._segment_table = table
        shown = table.assign(churn_rate=table["churn_rate"].map(pct)).rename(
            columns={
                seg: seg.replace("_", " "),
                "customers_start": "active at start",
                "customers_churned": "churned",
                "churn_rate": "churn rate",
            }
        )
        show_table(shown)
        recent = self.by_seg[
            self.by_seg["period"] > self.p.period - pd.DateOffset(months=12)
        ]
        show_figure(churn_rate(recent, by=seg))

    def what_changed(self) -> None:
        """Month-over-month change in churn (and NRR) split into mix and rate."""
        from churnlab.metrics.mix import rate_change_decomposition

        if self.by_seg is None or self.prev is None:
            markdown("*Skipped: needs segments and a previous month.*")
            return
        seg = self.segment_col
        pair = [self.p.period - pd.DateOffset(months=1), self.p.period]
        frames = []
        churn = rate_change_decomposition(
            self.by_seg[self.by_seg["period"].isin(pair)],
            by=seg,
            numerator="customers_churned",
            denominator="customers_start",
        )
        frames.append(("Logo churn rate", churn))
        if self.mode == "subscriptions":
            rev = self.rev_seg[self.rev_seg["period"].isin(pair)]
            frames.append(
                (
                    "NRR",
                    rate_change_decomposition(
                        rev, by=seg, numerator="mrr_retained", denominator="start_mrr"
                    ),
                )
            )
        out = []
        for label, frame in frames:
            t = frame.loc["total"]
            driver = (
                "mix"
                if abs(t["mix_effect"]) > abs(t["rate_effect"])
                else ("within-segment rates")
            )
            markdown(
                f"**{label}** moved from {pct(t['rate_before'])} to "
                f"{pct(t['rate_after'])} ({pp(t['change'])}): {pp(t['mix_effect'])} "
                f"from the segment mix and {pp(t['rate_effect'])} from within-segment "
                f"rates. Mostly **{driver}**."
            )
            shown = frame.reset_index()
            for c in ("weight_before", "weight_after", "rate_before", "rate_after"):
                shown[c] = shown[c].map(pct)
            for c in ("mix_effect", "rate_effect", "change"):
                shown[c] = shown[c].map(pp)
            show_table(shown)
            out.append(frame.assign(metric=label))
        self.what_changed_ = pd.concat(out)

    def cohorts(self, last: int = 24) -> None:
        """Logo retention heatmap for the last ``last`` monthly cohorts."""
        from churnlab.cohorts import cohort_table
        from churnlab.plots.cohorts import cohort_heatmap

        kind = "logo" if self.mode == "subscriptions" else "orders"
        table = cohort_table(self.p.dataset, freq="M", kind=kind, as_of=self.p.as_of)
        self._cohort_table = table
        recent = sorted(table["cohort"].unique())[-last:]
        table = table[table["cohort"].isin(recent)]
        ax = cohort_heatmap(table)
        if self.window_note:
            ax.set_title(ax.get_title() + " (share of the cohort ordering each month)")
        ax.figure.set_size_inches(11, 8)
        show_figure(ax)

    def lifetime(self) -> None:
        """Kaplan–Meier by segment, median and restricted mean, and simple lifetime."""
        from churnlab.survival import CustomerLifetime

        ds = self.p.dataset
        kwargs: dict[str, Any] = {}
        if self.mode == "orders":
            kwargs["inactivity_days"] = self.p.inactivity_days
        lt = CustomerLifetime(horizons=(12, 24)).fit(
            ds, by=self.segment_col, as_of=self.p.as_of, unit="months", **kwargs
        )
        self._lifetime = lt
        show_figure(lt.plot())
        summary = lt.summary_
        horizon = int(summary["rmst_horizon"].iloc[0]) if len(summary) else 24
        weights = summary["customers"] / summary["customers"].sum()
        rmst = float((summary["rmst"] * weights).sum(min_count=1))
        self.metrics["rmst_months"] = None if np.isnan(rmst) else rmst
        if self.segment_col is None and len(summary):
            median = summary["median_lifetime"].iloc[0]
            self.metrics["median_lifetime_months"] = (
                None if pd.isna(median) else float(median)
            )
        cols = {
            self.segment_col: self.segment_col,
            "customers": "customers",
            "churned": "churned",
            "median_lifetime_text": "median lifetime",
            "survival_12": "still customers at 12 months",
            "survival_24": "still customers at 24 months",
            "rmst": f"average lifetime to {horizon} months, RMST",
            "simple_lifetime": "average lifetime, simple (1 ÷ churn rate)",
        }
        shown = summary[[c for c in cols if c in summary.columns]].copy()
        for c in ("survival_12", "survival_24"):
            shown[c] = shown[c].map(pct)
        for c in ("rmst", "simple_lifetime"):
            shown[c] = shown[c].map(lambda v: "–" if pd.isna(v) else f"{v:.1f} months")
        shown = shown.rename(columns=cols)
        show_table(shown)
        markdown(
            "**Two averages, labelled.** *Simple*: 1 ÷ the monthly churn rate over the "
            "customers' observed months; it assumes that rate holds forever, so it is "
            "long for segments that rarely churn. *RMST*: the area under the survival "
            f"curve up to {horizon} months; it counts still-active customers as "
            "censored instead of pretending they churned, and it is capped at the "
            "horizon, so it "
            "can never exceed it. A median that is not reached is reported as such, "
            "never as a number."
        )

    def churn_reasons(self) -> None:
        """Churn reasons this month and over the last 12 months, weighted by MRR."""
        ds = self.p.dataset
        if ds.churn_reasons is None:
            markdown("*Skipped: the dataset has no churn_reasons table.*")
            return
        if ds.subscriptions is None:
            markdown("*Skipped: weighting reasons by MRR needs subscriptions.*")
            return
        from churnlab.metrics.nps import churn_reasons
        from churnlab.plots.churn import churn_reasons as plot_reasons

        frame = churn_reasons(ds, as_of=self.p.as_of)
        window = frame[frame["period"] > self.p.period - pd.DateOffset(months=12)]
        ax = plot_reasons(window)
        show_figure(ax)
        year = window.groupby("reason")[["customers_churned", "churned_mrr"]].sum()
        top = year.sort_values("churned_mrr", ascending=False).iloc[0]
        share = top["churned_mrr"] / year["churned_mrr"].sum()
        markdown(
            f"Top reason over the last 12 months: **{top.name}**, {pct(share)} "
            f"of churned MRR ({int(top['customers_churned'])} customers)."
        )

    def nps(self) -> None:
        """NPS by quarter."""
        ds = self.p.dataset
        if ds.nps is None:
            markdown("*Skipped: the dataset has no nps table.*")
            return
        from churnlab.metrics.nps import nps
        from churnlab.plots.nps import nps_trend

        quarter_end = self.p.period + pd.offsets.QuarterEnd(0)
        frame = nps(ds, freq="Q", as_of=min(quarter_end, self.p.as_of))
        if frame.empty:
            markdown("*No complete quarter of NPS responses yet.*")
            return
        last = frame.iloc[-1]
        self.metrics["nps"] = float(last["nps"])
        self.metrics["nps_responses"] = int(last["responses"])
        show_figure(nps_trend(frame))
        markdown(
            f"Last complete quarter ({last['period'].year} "
            f"Q{last['period'].quarter}): NPS "
            f"**{last['nps'] * 100:+.0f}** from {int(last['responses']):,} responses "
            f"({pct(last['promoter_share'])} promoters, "
            f"{pct(last['detractor_share'])} detractors)."
        )

    # -------------------------------------------------------------- publishing

    def invariants(self) -> dict[str, bool]:
        """The checks that gate publication."""
        m = self.monthly
        checks: dict[str, bool] = {}
        recon = (
            m["customers_start"]
            - m["customers_churned"]
            + m["customers_new"]
            - m["customers_new_lost"]
            + m["customers_reactivated"]
        )
        checks[
            "customer counts reconcile (end = start − churned + new − new_lost + "
            "reactivated)"
        ] = bool((recon == m["customers_end"]).all())
        checks["customer counts chain (start = previous end)"] = bool(
            (
                m["customers_start"].iloc[1:].to_numpy()
                == m["customers_end"].iloc[:-1].to_numpy()
            ).all()
        )
        rates = m["churn_rate"].dropna()
        checks["churn rates lie in [0, 1]"] = bool(((rates >= 0) & (rates <= 1)).all())
        if self.mode == "subscriptions":
            bridge = (
                m["start_mrr"]
                + m["new"]
                + m["expansion"]
                + m["reactivation"]
                - m["contraction"]
                - m["churn"]
            )
            checks[
                "MRR bridge holds (end = start + new + expansion + reactivation − "
                "contraction − churn)"
            ] = bool(np.allclose(bridge, m["end_mrr"], atol=0.005, rtol=0))
            for col in ("grr", "gross_revenue_churn_rate"):
                v = m[col].dropna()
                checks[f"{col} lies in [0, 1]"] = bool(((v >= 0) & (v <= 1)).all())
            both = m[["grr", "nrr"]].dropna()
            checks["grr <= nrr"] = bool((both["grr"] <= both["nrr"] + 1e-12).all())
        if self.by_seg is not None:
            month = self.by_seg[self.by_seg["period"] == self.p.period]
            checks["segment counts add up to the total"] = bool(
                month["customers_start"].sum() == self.row["customers_start"]
                and month["customers_churned"].sum() == self.row["customers_churned"]
            )
        table = getattr(self, "_cohort_table", None)
        if table is not None and "cohort_size" in table:
            sizes = table.drop_duplicates("cohort")["cohort_size"].sum()
            first = self.p.dataset
            n_customers = self._customers_with_activity(first)
            checks["cohort sizes add up to customers"] = bool(sizes == n_customers)
            rates = table["retention"].dropna() if "retention" in table else pd.Series()
            checks["cohort retention lies in [0, 1]"] = bool(
                ((rates >= 0) & (rates <= 1)).all()
            )
        return checks

    def _customers_with_activity(self, ds: Any) -> int:
        from churnlab import states
        from churnlab.periods import cutoff

        spans = (
            states.intervals(ds)
            if self.mode == "subscriptions"
            else states.intervals(ds, inactivity_days=self.p.inactivity_days)
        )
        first = states.first_activity(spans)
        n = first.filter(first.first_start < cutoff(self.p.as_of)).count()
        return int(engine.scalar(n))

    def small_denominators(self) -> list[str]:
        """Figures whose denominator is under 30, for the data notes."""
        out = []
        if self.row["customers_start"] < SMALL_N:
            out.append(
                f"overall churn rate ({int(self.row['customers_start'])} at start)"
            )
        table = getattr(self, "_segment_table", None)
        if table is not None:
            for _, r in table[table["customers_start"] < SMALL_N].iterrows():
                out.append(
                    f"{r[self.segment_col]} churn rate "
                    f"({int(r['customers_start'])} at start)"
                )
        return out

    def publish(self, *, output_dir: str | None, previous_metrics: str | None) -> None:
        """Check invariants, show data notes and restatements, write metrics.json.

        The written document is kept as ``metrics_doc_``.

        Raises
        ------
        ReportError
            If an invariant fails; the runner then keeps the last good report.
        """
        notes = []
        small = self.small_denominators()
        if small:
            notes.append(
                "**Small denominators** (under 30; read with care): "
                + "; ".join(small)
                + "."
            )
        notes += [f"**Excluded by rule:** {note}" for note in self.notes]
        if self.window_note:
            notes.append(f"**Window:** {self.window_note}")
        doc = publish(
            self.p,
            self.metrics,
            self.invariants(),
            notes=notes,
            output_dir=output_dir,
            previous_metrics=previous_metrics,
        )
        self.metrics_doc_ = doc
