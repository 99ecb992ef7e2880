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
from typing import Any

import numpy as np
import pandas as pd

from churnlab import engine
from churnlab.errors import ParameterError
from churnlab.reports._charts import style_names
from churnlab.reports._display import (
    CSS,
    capture_warnings,
    esc,
    fmt,
    heading,
    html_raw,
    label,
    markdown,
    num,
    pct,
    pp,
    publish,
    route_warnings,
    show_figure,
    show_table,
)
from churnlab.reports.params import ReportParams

__all__ = ["ChurnReport", "HEADLINE_KEYS", "readable"]


def readable(code: Any) -> str:
    """A code such as ``too_expensive`` as words ("Too expensive"), capped."""
    text = label(str(code).replace("_", " ").strip())
    return text[:1].upper() + text[1:] if text else text


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
    "gross_margin": "the margin LTV used (1.0 = none applied unless given)",
    "gross_margin_assumed": "true when gross_margin is not a measurement",
    "rmst_months": "restricted mean lifetime from Kaplan-Meier, up to 24 months",
    "median_lifetime_months": "Kaplan-Meier median lifetime (null if not reached)",
    "nps": "% promoters - % detractors over the last quarter",
    "order_churn_rate": "orders only: churned / active at start, inactivity window",
    "repeat_rate": "orders only: customers ordering again / customers ordering",
    "accounts_at_risk": "paying accounts slipping or dormant at the as-of date",
    "mrr_at_risk": "MRR of the accounts at risk",
    "trials_not_converted": "trials that ended without a paid plan (listed apart)",
    "backtest_period": "latest month whose 90-day backtest horizon is over",
    "backtest_precision": "of the accounts flagged then, share churned in 90 days",
    "backtest_lift": "backtest_precision / churn rate of the accounts not flagged",
    "mau": "users active in the month (events)",
    "dau_mau": "average daily active users / mau",
    "clv_52w_total": "orders only: BG/NBD + Gamma-Gamma CLV, next 52 weeks, 10% a year",
    "clv_52w_per_customer": "clv_52w_total / customers in the RFM summary",
    "prob_alive_share": "customers with probability alive > 0.5 / customers",
    "bgnbd_r": "BG/NBD r (purchase-rate shape), weekly time unit",
    "bgnbd_alpha": "BG/NBD alpha (purchase-rate scale, weeks)",
    "bgnbd_a": "BG/NBD a (dropout-probability beta a)",
    "bgnbd_b": "BG/NBD b (dropout-probability beta b)",
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

    def __init__(self, params: ReportParams, *, output_dir: str | None = None) -> None:
        from churnlab.metrics.churn import customer_churn, order_churn
        from churnlab.metrics.orders import order_metrics
        from churnlab.metrics.revenue import revenue_metrics

        self.p = params
        self.output_dir = output_dir
        ds = params.dataset
        self.notes: list[str] = []
        #: every warning raised while the report runs, shown under "Data notes"
        self.warned: list[str] = []
        route_warnings(self.warned)
        self.cur = params.currency
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
        with capture_warnings(self.warned):
            if self.mode == "subscriptions":
                self.counts = customer_churn(ds, as_of=as_of)
                rev = revenue_metrics(ds, as_of=as_of, gross_margin=params.gross_margin)
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
                        ds,
                        by=self.segment_col,
                        as_of=as_of,
                        gross_margin=params.gross_margin,
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
        self.monthly = style_names(self.monthly)
        if getattr(self, "rev_seg", None) is not None:
            self.rev_seg = style_names(self.rev_seg)
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
                mrr_start=r["mrr_start"],
                mrr_new=r["mrr_new"],
                mrr_expansion=r["mrr_expansion"],
                mrr_reactivation=r["mrr_reactivation"],
                mrr_contraction=r["mrr_contraction"],
                mrr_churn=r["mrr_churn"],
                mrr_end=r["mrr_end"],
                gross_revenue_churn_rate=r["gross_revenue_churn_rate"],
                net_revenue_churn_rate=r["net_revenue_churn_rate"],
                nrr=r["nrr"],
                grr=r["grr"],
                quick_ratio=r["quick_ratio"],
                arpa=r["arpa"],
                lifetime_months_simple=r["lifetime_months"],
                ltv=r["ltv"],
            )
            if "gross_margin" in r:
                m["gross_margin"] = float(r["gross_margin"])
                m["gross_margin_assumed"] = bool(r.get("gross_margin_assumed", True))
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
        scope = "segment **{segment}**" if p.segment else "all customers"
        month = p.period.strftime("%B %Y")
        markdown(
            f"### {month} · {scope} · data known through "
            f"{p.as_of.strftime('%Y-%m-%d')}",
            segment=p.segment,
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
                f" MRR went from {fmt(r['mrr_start'], 'money', self.cur)} to "
                f"{fmt(r['mrr_end'], 'money', self.cur)}; net "
                f"revenue retention was **{pct(r['nrr'])}**."
            )
        else:
            text += " " + self.window_note
        markdown(text)

    def _margin_text(self) -> str:
        """How the gross margin behind LTV was set: measured never, given or not."""
        if self.p.gross_margin is None:
            return (
                "assumed: no margin applied (gross_margin = 1.0); pass "
                "--param gross_margin=0.8 to apply yours"
            )
        return f"assumed: gross_margin = {self.p.gross_margin:g} (parameter)"

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
                    "mrr_start",
                    "(churned + contraction MRR) ÷ start MRR",
                ),
                (
                    "Net revenue retention (NRR)",
                    "nrr",
                    "pct",
                    "mrr_retained",
                    "mrr_start",
                    "(start + expansion − contraction − churn) ÷ start MRR",
                ),
                (
                    "Gross revenue retention (GRR)",
                    "grr",
                    "pct",
                    "mrr_retained_gross",
                    "mrr_start",
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
                    "mrr_end",
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
                ("MRR", "mrr_end", "money", None, None, "MRR at month end"),
                (
                    "Lifetime value (LTV)",
                    "ltv",
                    "money",
                    None,
                    None,
                    "ARPA × gross margin ÷ logo churn rate; " + self._margin_text(),
                ),
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
        return fmt(value, kind, self.cur)

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
        for name, key, kind, num_col, den_col, formula in self._headline_rows():
            if key not in self.row:
                continue
            value = self.row[key]
            prefix = {"crr": "crr", "churn_rate": "warm-up"}.get(key)
            note = "; ".join(
                n
                for n in str(self.row.get("note") or "").split("; ")
                if prefix and n.startswith(prefix)
            )
            if note:
                formula = f"{formula}; note: {note}"
                name = f"{name} (see note)"
            parts = "–"
            small = False
            if num_col and den_col and num_col in self.row and den_col in self.row:
                top_unit = "money" if "mrr" in num_col else "count"
                bottom_unit = "money" if "mrr" in den_col else "count"
                parts = (
                    f"{fmt(self.row[num_col], top_unit, self.cur)} / "
                    f"{fmt(self.row[den_col], bottom_unit, self.cur)}"
                )
                small = kind == "pct" and self.row[den_col] < SMALL_N
            elif den_col and den_col in self.row:
                parts = f"n = {num(self.row[den_col])}"
            prev = None if self.prev is None else self.prev.get(key)
            ly = None if self.last_year is None else self.last_year.get(key)
            hover = f"{formula}: {parts} = {self._fmt(value, kind)}"
            flag = " ⚠ small n" if small else ""
            rows.append(
                "<tr>"
                f"<th>{html.escape(name)}</th>"
                f'<td title="{html.escape(hover)}"><b>{self._fmt(value, kind)}</b>'
                f"{flag}</td>"
                f"<td>{html.escape(parts)}</td>"
                f"<td>{self._fmt(prev, kind)}</td>"
                f"<td>{self._delta(value, prev, kind)}</td>"
                f"<td>{self._fmt(ly, kind)}</td><td>{self._delta(value, ly, kind)}</td>"
                f'<td class="formula">{html.escape(formula)}</td>'
                "</tr>"
            )
            out.append(
                {
                    "metric": name,
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
            CSS
            + '<div class="cl-table"><table>'
            + head
            + "".join(rows)
            + "</table></div>"
        )
        if self.window_note:
            markdown(f"*{self.window_note}*")
        self.headline_ = pd.DataFrame(out)

    def mrr_bridge(self) -> None:
        """The month's MRR movements from zero, start and end stated once."""
        if self.mode != "subscriptions":
            self.notes.append(
                "The MRR sections are left out: the data has no subscriptions table."
            )
            return
        from churnlab.reports._charts import mrr_movements_bars

        heading("MRR bridge")
        r = self.row
        change = r["mrr_end"] - r["mrr_start"]
        rel = change / r["mrr_start"] if r["mrr_start"] else float("nan")
        c = self.cur
        markdown(
            f"MRR went from **{fmt(r['mrr_start'], 'money', c)}** at the start of "
            f"{self.p.period:%B} to **{fmt(r['mrr_end'], 'money', c)}** at its end "
            f"({'+' if change >= 0 else '−'}{fmt(abs(change), 'money', c)}, "
            f"{fmt(rel, 'growth')}). The bars show the moves in between, drawn from "
            "zero: new, expansion and reactivation add MRR (solid), contraction and "
            "churn remove it (hatched). Start plus the moves equals the end; the "
            "report checks this before it is published."
        )
        show_figure(mrr_movements_bars(self.monthly, period=self.p.period, currency=c))

    def mrr_over_time(self, months: int = 24) -> None:
        """MRR over time with the movements stacked per month."""
        if self.mode != "subscriptions":
            return
        from churnlab.reports._charts import mrr_over_time

        recent = self.monthly.tail(months)
        heading("MRR over time")
        markdown(
            f"MRR at each month's end over the last {len(recent)} months, and below "
            "it the month's movements stacked: gains above zero, losses below, a "
            "dot for the net change."
        )
        show_figure(mrr_over_time(recent, currency=self.cur))

    def accounts_lost(self, movements: pd.DataFrame | None = None, top: int = 20):
        """The month's churned and contracted accounts by MRR lost, plus a CSV.

        ``movements`` is :func:`churnlab.customer_mrr_movements` (computed here
        when None). The full list goes to ``lost_mrr_accounts.csv`` beside the
        report.
        """
        if self.mode != "subscriptions":
            return
        from churnlab.metrics.revenue import customer_mrr_movements

        if movements is None:
            with capture_warnings(self.warned):
                movements = customer_mrr_movements(self.p.dataset, as_of=self.p.as_of)
        month = movements[
            (pd.to_datetime(movements["period"]) == self.p.period)
            & movements["movement"].isin(["churn", "contraction"])
        ]
        lost = month.assign(mrr_lost=-month["mrr_change"]).sort_values(
            ["mrr_lost", "customer_id"], ascending=[False, True]
        )
        seg = self.p.dataset.customers
        if seg is not None and "segment" in seg.columns and "segment" not in lost:
            names = engine.execute(seg.select("customer_id", "segment"))
            lost = lost.merge(names, on="customer_id", how="left")
        cols = [
            c
            for c in (
                "customer_id",
                "segment",
                "movement",
                "mrr_start",
                "mrr_end",
                "mrr_lost",
            )
            if c in lost.columns
        ]
        lost = lost[cols].reset_index(drop=True)
        self.accounts_lost_ = lost
        heading("Accounts lost and shrunk this month")
        if lost.empty:
            markdown("No account churned or contracted this month.")
            return
        total = lost["mrr_lost"].sum()
        markdown(
            f"{len(lost):,} accounts churned or contracted in {self.p.period:%B %Y}, "
            f"taking {fmt(total, 'money', self.cur)} of MRR. The {min(top, len(lost))} "
            "largest by MRR lost:"
        )
        shown = lost.head(top).assign(
            movement=lost["movement"]
            .head(top)
            .map({"churn": "churned", "contraction": "contracted"})
        )
        show_table(
            shown,
            kinds={c: "money" for c in ("mrr_start", "mrr_end", "mrr_lost")},
            labels={"mrr_lost": "MRR lost"},
            currency=self.cur,
        )
        if self.output_dir:
            from pathlib import Path

            lost.to_csv(Path(self.output_dir) / "lost_mrr_accounts.csv", index=False)
            html_raw(
                '<p><a href="lost_mrr_accounts.csv">The full list as CSV</a> '
                f"({len(lost):,} accounts).</p>"
            )

    def trend(self, months: int = 24) -> None:
        """Churn rate with a 95% Wilson band, and NRR/GRR, over recent months."""
        from churnlab.metrics.churn import wilson_interval
        from churnlab.plots.churn import churn_rate
        from churnlab.plots.revenue import revenue_retention

        recent = self.monthly.tail(months)
        kind = "logo" if self.mode == "subscriptions" else "order"
        heading("Churn and retention over time")
        text = (
            f"Monthly {kind} churn (churned ÷ active at month start) over the last "
            f"{len(recent)} months"
        )
        if self.mode == "subscriptions":
            text += ", and revenue retention (NRR, GRR) below it"
        markdown(
            text + ". A single month's move is often noise: the shaded band is a "
            "95% interval for the churn rate."
        )
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
        else:
            cols = ["period", "customers_start", "customers_churned", "churn_rate"]
            table = recent[cols + (["note"] if "note" in recent else [])].copy()
            table["period"] = table["period"].dt.strftime("%Y-%m")
            show_table(
                table,
                kinds={"churn_rate": "pct"},
                labels={"customers_start": "customers at risk"},
            )

    def by_segment(self) -> None:
        """Show the month's churn per segment, small segments flagged, and its trend."""
        if self.by_seg is None:
            why = (
                "the report is filtered to one segment"
                if self.p.segment
                else "the dataset has no customers.segment column"
            )
            self.notes.append(f"Churn by segment is left out: {why}.")
            return
        from churnlab.plots.churn import churn_rate

        heading("Churn by segment")
        markdown(
            "Churn rate per customer segment this month. Segments with fewer than "
            f"{SMALL_N} customers at the start are flagged: their rate moves a lot "
            "by chance."
        )

        seg = self.segment_col
        month = self.by_seg[self.by_seg["period"] == self.p.period]
        cols = [seg, "customers_start", "customers_churned", "churn_rate"]
        table = month[cols].copy()
        table["note"] = np.where(
            table["customers_start"] < SMALL_N, f"⚠ fewer than {SMALL_N} at start", ""
        )
        self._segment_table = table
        show_table(table, kinds={"churn_rate": "pct"})
        recent = self.by_seg[
            self.by_seg["period"] > self.p.period - pd.DateOffset(months=12)
        ]
        show_figure(churn_rate(recent, by=seg))

    def what_changed(self) -> None:
        """Month-over-month change in churn (and NRR) split into mix and rate."""
        from churnlab.metrics.mix import rate_change_decomposition

        if self.by_seg is None or self.prev is None:
            self.notes.append(
                "What changed since last month is left out: it needs segments and "
                "a previous month."
            )
            return
        heading("What changed since last month")
        markdown(
            "The change in overall churn"
            + (" and NRR" if self.mode == "subscriptions" else "")
            + " split into **mix** (the customer base shifted toward segments that "
            "churn more or less) and **rate** (segments themselves churned more or "
            "less). The two parts add up to the total change."
        )
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
                        rev, by=seg, numerator="mrr_retained", denominator="mrr_start"
                    ),
                )
            )
        out = []
        for title, frame in frames:
            t = frame.loc["total"]
            driver = (
                "mix"
                if abs(t["mix_effect"]) > abs(t["rate_effect"])
                else ("within-segment rates")
            )
            markdown(
                f"**{title}** moved from {pct(t['rate_before'])} to "
                f"{pct(t['rate_after'])} ({pp(t['change'])}): {pp(t['mix_effect'])} "
                f"from the segment mix and {pp(t['rate_effect'])} from within-segment "
                f"rates. Mostly **{driver}**."
            )
            shown = frame.reset_index()
            kinds = dict.fromkeys(
                ("weight_before", "weight_after", "rate_before", "rate_after"), "pct"
            )
            kinds.update(dict.fromkeys(("mix_effect", "rate_effect", "change"), "pp"))
            keep = [shown.columns[0], *[c for c in shown.columns if c in kinds]]
            show_table(shown[keep], kinds=kinds)
            out.append(frame.assign(metric=title))
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
        show_figure(ax, scroll=True)

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
        show_table(
            shown,
            kinds={
                "survival_12": "pct",
                "survival_24": "pct",
                "rmst": "months",
                "simple_lifetime": "months",
            },
            labels={k: v for k, v in cols.items() if k},
        )
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

    def accounts_at_risk(self) -> None:
        """Accounts slipping or dormant, trials not converted, and the backtest.

        Composed of :func:`churnlab.at_risk`, :func:`churnlab.activity_backtest`
        and :func:`churnlab.dau_mau` (see :mod:`churnlab.reports.at_risk`).
        """
        from churnlab.reports.at_risk import accounts_at_risk

        self.metrics.update(accounts_at_risk(self))

    def clv(self) -> None:
        """Customer lifetime value (orders) or sBG expected lifetime (subscriptions).

        Composed of :func:`churnlab.rfm_summary`, :func:`churnlab.clv_bgnbd`,
        :func:`churnlab.clv_gamma_gamma`, :func:`churnlab.clv_predict` and the
        sBG calls (see :mod:`churnlab.reports.clv`); one line without the
        ``churnlab[clv]`` extra.
        """
        from churnlab.reports.clv import clv

        self.metrics.update(clv(self))

    def churn_reasons(self) -> None:
        """Churn reasons this month and over the last 12 months, weighted by MRR."""
        ds = self.p.dataset
        if ds.churn_reasons is None:
            return
        if ds.subscriptions is None:
            self.notes.append(
                "Churn reasons are left out: weighting them by MRR needs subscriptions."
            )
            return
        heading("Why customers leave")
        markdown(
            "Churn reasons from exit surveys over the last 12 months, counted and "
            "weighted by the MRR the churned customers were paying."
        )
        from churnlab.metrics.nps import churn_reasons
        from churnlab.plots.churn import churn_reasons as plot_reasons

        with capture_warnings(self.warned):
            frame = churn_reasons(ds, as_of=self.p.as_of)
        window = frame[frame["period"] > self.p.period - pd.DateOffset(months=12)]
        window = window.assign(reason=window["reason"].map(readable))
        if window.empty:
            markdown("No churn reasons recorded over the last 12 months.")
            return
        ax = plot_reasons(window, currency=self.cur)
        show_figure(ax)
        year = window.groupby("reason")[["customers_churned", "churned_mrr"]].sum()
        top = year.sort_values("churned_mrr", ascending=False).iloc[0]
        share = top["churned_mrr"] / year["churned_mrr"].sum()
        markdown(
            "Top reason over the last 12 months: **{reason}**, "
            f"{pct(share)} of churned MRR ({int(top['customers_churned']):,} "
            "customers).",
            reason=top.name,
        )
        from churnlab.winback import exit_reasons

        with capture_warnings(self.warned):
            adds = exit_reasons(ds, as_of=self.p.as_of)
        shown = adds.assign(line=adds["line"].map(readable))[
            ["line", "rows", "customers", "customer_share", "churned_mrr", "mrr_share"]
        ]
        markdown(
            f"Every exit-survey answer, all time, by customers and by MRR side by "
            f"side: {int(adds['rows'].sum()):,} answers, each matched to the "
            f"customer's churn within {int(adds['tolerance_days'].iloc[0])} days "
            "or counted on a *not matched* line with the reason "
            "(`cl.exit_reasons`)."
        )
        show_table(
            shown,
            kinds={
                "customer_share": "pct",
                "mrr_share": "pct",
                "churned_mrr": "money",
            },
            labels={
                "line": "Reason",
                "rows": "Answers",
                "customers": "Customers",
                "customer_share": "Share of customers",
                "churned_mrr": "Churned MRR",
                "mrr_share": "Share of MRR",
            },
            currency=self.cur,
        )

    def nps(self) -> None:
        """NPS by quarter."""
        ds = self.p.dataset
        if ds.nps is None:
            return
        heading("Net Promoter Score")
        markdown("NPS = % promoters (9–10) − % detractors (0–6), by quarter.")
        from churnlab.metrics.nps import nps
        from churnlab.plots.nps import nps_trend

        quarter_end = self.p.period + pd.offsets.QuarterEnd(0)
        with capture_warnings(self.warned):
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
            f"**{fmt(last['nps'], 'nps')}** from {int(last['responses']):,} responses "
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
                m["mrr_start"]
                + m["mrr_new"]
                + m["mrr_expansion"]
                + m["mrr_reactivation"]
                - m["mrr_contraction"]
                - m["mrr_churn"]
            )
            checks[
                "MRR bridge holds (end = start + new + expansion + reactivation − "
                "contraction − churn)"
            ] = bool(np.allclose(bridge, m["mrr_end"], atol=0.005, rtol=0))
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
                    f"{esc(r[self.segment_col])} churn rate "
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
        notes += self.notes
        if self.window_note:
            notes.append(f"**Window:** {self.window_note}")
        doc = publish(
            self.p,
            self.metrics,
            self.invariants(),
            notes=notes,
            warned=self.warned,
            output_dir=output_dir,
            previous_metrics=previous_metrics,
        )
        self.metrics_doc_ = doc
