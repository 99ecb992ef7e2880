"""The sales KPI table: every KPI of the source list, composed from public metrics.

A KPI row is the number a public function returns (``order_metrics``,
``customer_churn``/``order_churn``, ``nrr``, ``arpa``, ``ltv``,
``mrr_movements``, :func:`~churnlab.sales.deals.deal_flows`,
:func:`~churnlab.sales.pipeline.lead_conversion`, ``quota_attainment``,
``pipeline_coverage``, ``sales_activity``, ``sales_by_location``,
``sales_cycle``, ``sales_velocity``, ``sales_inputs``), never a re-derivation:
this module only picks the row of the period and divides the two figures the
function states.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from churnlab import contract, periods
from churnlab.errors import ChurnlabWarning, ParameterError
from churnlab.sales._common import (
    _calendar,
    _default_period,
    _ratio,
    _Window,
    _window,
)
from churnlab.sales.inputs import INPUTS, sales_inputs
from churnlab.sales.kpi_list import KPI_KINDS, KPI_TYPES, SALES_KPIS, KpiSpec

__all__ = ["sales_kpis", "SALES_KPIS", "KPI_TYPES", "KPI_KINDS"]

_PARAMS = {
    **INPUTS,
    "gross_margin": "gross margin as a fraction, e.g. 0.8 (average margin, SaaS "
    "LTV); an assumed input, labelled so",
    "inactivity_days": "inactivity window for order-only churn (default: the one "
    "of churnlab.order_churn)",
}
_CALENDAR = "a calendar month, quarter or year period"
# per-period metrics read from orders: a period before the orders begin (or cut
# by their first day) is not measured, never a partial figure
_ORDER_SERIES = ("order_metrics", "order_churn")


@dataclass
class _Row:
    """One KPI value in one window (``breakdown``: a location, new, existing)."""

    value: float = np.nan
    numerator: float = np.nan
    denominator: float = np.nan
    inputs: str = ""
    breakdown: str = ""
    assumed: str = ""
    missing: str = ""
    note: str = ""


def _rate(num: Any, den: Any, inputs: str, **kw: Any) -> _Row:
    num = float(num) if num is not None and not pd.isna(num) else np.nan
    den = float(den) if den is not None and not pd.isna(den) else np.nan
    return _Row(float(_ratio(num, den)), num, den, inputs, **kw)


def _value(value: Any, inputs: str, **kw: Any) -> _Row:
    v = float(value) if value is not None and not pd.isna(value) else np.nan
    return _Row(v, v, np.nan, inputs, **kw)


@dataclass
class _Ctx:
    """The dataset, parameters and a cache of the public calls of one KPI table."""

    ds: contract.Dataset
    params: dict[str, Any]
    as_of: pd.Timestamp  # the last day of the current window
    cache: dict[Any, Any] = field(default_factory=dict)
    caught: list[str] = field(default_factory=list)

    def call(self, key: Any, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """``fn(*args, **kw)`` once per key; warnings collected, errors kept."""
        if key not in self.cache:
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always", ChurnlabWarning)
                try:
                    self.cache[key] = fn(*args, **kw)
                except ParameterError as exc:
                    self.cache[key] = exc
            for w in seen:
                text = str(w.message)
                if issubclass(w.category, ChurnlabWarning) and text not in self.caught:
                    self.caught.append(text)
        return self.cache[key]

    def series_row(
        self, name: str, fn: Callable[..., Any], w: _Window, **kw: Any
    ) -> pd.Series | str:
        """The row of period ``w`` of a per-period metric, or why there is none."""
        freq = _calendar(w)
        if freq is None:
            return f"needs {_CALENDAR}"
        if name in _ORDER_SERIES and not _covered(self, w.start):
            return f"the orders do not cover all of {w.label}"
        frame = self.call((name, freq), fn, self.ds, freq=freq, as_of=self.as_of, **kw)
        if isinstance(frame, Exception):
            return str(frame)
        row = frame[frame["period"] == w.start]
        if row.empty:
            return f"period {w.label} is not complete in the data"
        return row.iloc[0]

    def snapshot(self, name: str, fn: Callable[..., Any], w: _Window, **kw: Any) -> Any:
        """A snapshot function of the window, judged as of its end."""
        period = w.label if w.months else (w.start, w.end - pd.Timedelta(days=1))
        end = w.end - pd.Timedelta(days=1)
        return self.call(
            (name, w.label, tuple(sorted(kw.items()))),
            fn,
            self.ds,
            period=period,
            as_of=end,
            **kw,
        )

    def inputs(self, w: _Window) -> pd.DataFrame:
        """:func:`sales_inputs` of the window, indexed by input."""
        given = {k: v for k, v in self.params.items() if k in INPUTS}
        period = w.label if w.months else (w.start, w.end - pd.Timedelta(days=1))
        f = self.call(
            ("inputs", w.label), sales_inputs, self.ds, period=period, **given
        )
        return f.set_index("input")


def _need(table: str) -> _Row:
    return _Row(missing=table)


def _orders_kpis(c: _Ctx, w: _Window, out: dict[str, list[_Row]]) -> None:
    from churnlab import order_metrics
    from churnlab.sales.revenue import sales_by_location

    ids = (
        "total_revenue", "revenue_growth_qoq", "revenue_growth_yoy",
        "repeat_customer_rate", "ltv", "revenue_share_new_existing",
        "sales_by_location", "sales_expense_ratio", "average_margin",
    )  # fmt: skip
    if c.ds.orders is None:
        for k in ids:
            out[k] = [_need("orders")]
        return
    kw = {}
    if "inactivity_days" in c.params:
        kw["inactivity_days"] = c.params["inactivity_days"]
    m = c.series_row("order_metrics", order_metrics, w, **kw)
    src = "order_metrics"
    if isinstance(m, str):
        for k in ("total_revenue", "repeat_customer_rate", "ltv"):
            out[k] = [_Row(inputs=src, note=m)]
        out["revenue_share_new_existing"] = [_Row(inputs=src, note=m)]
        revenue = np.nan
    else:
        revenue = float(m["revenue"])
        out["total_revenue"] = [_value(revenue, f"{src}: revenue")]
        out["repeat_customer_rate"] = [
            _rate(m["customers_repeat"], m["customers_ordering"],
                  f"{src}: customers_repeat / customers_ordering")
        ]  # fmt: skip
        per_customer = _ratio(m["revenue"], m["customers_ordering"])
        out["ltv"] = [
            _Row(
                float(m["ltv"]),
                float(per_customer),
                float(m["churn_rate"]),
                f"{src}: aov × purchase_frequency / churn_rate (per period, "
                f"inactivity {int(m['inactivity_days'])} days)",
            )
        ]
        out["revenue_share_new_existing"] = [
            _rate(m["revenue_existing"], m["revenue"],
                  f"{src}: revenue_existing / revenue", breakdown="existing"),
            _rate(m["revenue_new"], m["revenue"],
                  f"{src}: revenue_new / revenue", breakdown="new"),
        ]  # fmt: skip
    out["revenue_growth_qoq"] = [_qoq(c, w, kw)]
    out["revenue_growth_yoy"] = [_yoy(c, w, kw, revenue)]
    loc = c.snapshot("sales_by_location", sales_by_location, w)
    if isinstance(loc, Exception):
        out["sales_by_location"] = [
            _Row(missing="orders.location or customers.country")
        ]
    else:
        src = "sales_by_location: revenue / revenue_total"
        out["sales_by_location"] = [
            _rate(r.revenue, r.revenue_total, src, breakdown=str(r.location))
            for r in loc.itertuples()
        ] or [_Row(inputs="sales_by_location", note="no sales in the period")]
    inputs = c.inputs(w)
    exp = inputs.loc["sales_expenses"]
    if pd.isna(exp["value"]):
        out["sales_expense_ratio"] = [
            _Row(missing="sales_expenses (sales_inputs table or parameter)")
        ]
    else:
        out["sales_expense_ratio"] = [
            _rate(exp["value"], revenue,
                  f"sales_expenses ({exp['source']}) / order_metrics: revenue")
        ]  # fmt: skip
    cogs = inputs.loc["cost_of_sales"]
    gm = c.params.get("gross_margin")
    if not pd.isna(cogs["value"]):
        out["average_margin"] = [
            _rate(revenue - cogs["value"], revenue,
                  f"(order_metrics: revenue − cost_of_sales ({cogs['source']})) / "
                  "revenue")
        ]  # fmt: skip
    elif gm is not None:
        out["average_margin"] = [
            _Row(float(gm), inputs="gross_margin (parameter)",
                 assumed=f"gross_margin = {gm} (parameter)")
        ]  # fmt: skip
    else:
        out["average_margin"] = [
            _Row(missing="cost_of_sales (sales_inputs table or parameter) or "
                 "gross_margin (parameter)")
        ]  # fmt: skip


def _covered(c: _Ctx, start: pd.Timestamp) -> bool:
    first = c.ds.info["orders"].earliest
    return first is not None and pd.Timestamp(first) <= start


def _revenue_months(c: _Ctx, kw: dict[str, Any], first: pd.Timestamp, n: int) -> Any:
    from churnlab import order_metrics

    frame = c.call(("order_metrics", "M"), order_metrics, c.ds, freq="M",
                   as_of=c.as_of, **kw)  # fmt: skip
    if isinstance(frame, Exception) or not _covered(c, first):
        return np.nan
    starts = [first + pd.DateOffset(months=i) for i in range(n)]
    rows = frame[frame["period"].isin(starts)]
    if len(rows) < n or rows["revenue"].isna().any():
        return np.nan
    return float(rows["revenue"].sum())


def _qoq(c: _Ctx, w: _Window, kw: dict[str, Any]) -> _Row:
    """The 3 calendar months ending with the window's last month vs the 3 before."""
    if w.start is None:
        return _Row(note=f"needs {_CALENDAR}")
    last = periods.period_start((w.full_end or w.end) - pd.Timedelta(days=1), "M")
    this_q = last - pd.DateOffset(months=2)
    prev_q = this_q - pd.DateOffset(months=3)
    now = _revenue_months(c, kw, this_q, 3)
    before = _revenue_months(c, kw, prev_q, 3)
    note = "" if not pd.isna(before) else "needs 6 complete months of orders"
    return _rate(now - before, before,
                 f"order_metrics (monthly): revenue {this_q:%Y-%m}..{last:%Y-%m} vs "
                 f"the 3 months before", note=note)  # fmt: skip


def _yoy(c: _Ctx, w: _Window, kw: dict[str, Any], revenue: float) -> _Row:
    from churnlab import order_metrics

    if _calendar(w) is None:
        return _Row(note=f"needs {_CALENDAR}")
    ly = w.shift(months=12)
    m = c.series_row("order_metrics", order_metrics, ly, **kw)
    before = np.nan if isinstance(m, str) or not _covered(c, ly.start) else m["revenue"]
    row = _rate(revenue, before, f"order_metrics: revenue {w.label} / {ly.label} − 1")
    row.value = row.value - 1.0
    if pd.isna(before):
        row.note = f"no orders for all of {ly.label}"
    return row


def _customer_kpis(c: _Ctx, w: _Window, out: dict[str, list[_Row]]) -> None:
    import churnlab as cl

    has_subs = c.ds.subscriptions is not None
    if has_subs:
        ch = c.series_row("customer_churn", cl.customer_churn, w)
        src = "customer_churn"
    elif c.ds.orders is not None:
        kw = {}
        if "inactivity_days" in c.params:
            kw["inactivity_days"] = c.params["inactivity_days"]
        ch = c.series_row("order_churn", cl.order_churn, w, **kw)
        src = "order_churn"
    else:
        for k in ("churn_rate", "market_penetration"):
            out[k] = [_need("subscriptions or orders")]
        ch = None
    if ch is not None:
        if isinstance(ch, str):
            out["churn_rate"] = [_Row(inputs=src, note=ch)]
            customers = np.nan
        else:
            out["churn_rate"] = [
                _rate(ch["customers_churned"], ch["customers_start"],
                      f"{src}: customers_churned / customers_start")
            ]  # fmt: skip
            customers = ch["customers_end"]
        size = c.inputs(w).loc["market_size"]
        out["market_penetration"] = (
            [_Row(missing="market_size (sales_inputs table or parameter)")]
            if pd.isna(size["value"])
            else [
                _rate(customers, size["value"],
                      f"{src}: customers_end / market_size ({size['source']})")
            ]
        )  # fmt: skip
    if not has_subs:
        for k in ("nrr", "arpa", "ltv_saas", "acv_mrr"):
            out[k] = [_need("subscriptions (MRR)")]
        return
    n = c.series_row("nrr", cl.nrr, w)
    out["nrr"] = (
        [_Row(inputs="nrr", note=n)] if isinstance(n, str)
        else [_rate(n["mrr_retained"], n["mrr_start"],
                    "nrr: mrr_retained / mrr_start")]
    )  # fmt: skip
    a = c.series_row("arpa", cl.arpa, w)
    out["arpa"] = (
        [_Row(inputs="arpa", note=a)] if isinstance(a, str)
        else [_rate(a["mrr_end"], a["customers_end"], "arpa: mrr_end / customers_end")]
    )  # fmt: skip
    out["ltv_saas"] = [_ltv_saas(c, w)]
    mv = c.series_row("mrr_movements", cl.mrr_movements, w)
    if isinstance(mv, str) or isinstance(ch, str):
        out["acv_mrr"] = [_Row(inputs="mrr_movements", note=str(mv))]
    else:
        out["acv_mrr"] = [
            _rate(12.0 * mv["mrr_new"], ch["customers_new"],
                  "12 × mrr_movements: mrr_new / customer_churn: customers_new")
        ]  # fmt: skip


def _ltv_saas(c: _Ctx, w: _Window) -> _Row:
    import churnlab as cl

    sig = inspect.signature(cl.ltv).parameters
    name = "gross_margin" if "gross_margin" in sig else "margin"
    gm = c.params.get("gross_margin")
    if gm is None:
        default = sig[name].default
        if default is None:  # None = not applied: churnlab.metrics.revenue's default
            from churnlab.metrics.revenue import DEFAULT_GROSS_MARGIN as default
        assumed = f"{name} = {default} (the default of churnlab.ltv)"
        r = c.series_row("ltv", cl.ltv, w)
    else:
        assumed = f"gross_margin = {gm} (parameter)"
        r = c.series_row(("ltv", gm), cl.ltv, w, **{name: gm})
    if isinstance(r, str):
        return _Row(inputs="ltv", note=r, assumed=assumed)
    margin = r[name] if name in r.index else gm
    return _Row(
        float(r["ltv"]),
        float(r["arpa"]) * float(margin),
        float(_ratio(1.0, r["lifetime_months"])),
        "ltv: arpa × margin / monthly churn (1 / lifetime_months)",
        assumed=assumed,
    )


def _deal_kpis(c: _Ctx, w: _Window, out: dict[str, list[_Row]]) -> None:
    from churnlab.sales.deals import deal_flows, sales_cycle
    from churnlab.sales.pipeline import lead_conversion, sales_velocity
    from churnlab.sales.quota import pipeline_coverage, quota_attainment

    deal_ids = (
        "average_deal_size", "sales_cycle_length", "acv", "win_rate", "deal_slippage",
        "win_rate_closed", "deal_slippage_expected_close", "sales_velocity",
        "sales_cycle_length_censored", "sales_conversion_rate",
        "lead_to_opportunity_rate", "pipeline_coverage", "quota_attainment",
    )  # fmt: skip
    if c.ds.deals is None:
        for k in deal_ids:
            out[k] = [_need("deals")]
    else:
        f = c.snapshot("deal_flows", deal_flows, w).iloc[0]
        src = "deal_flows"
        out["average_deal_size"] = [
            _rate(f.revenue_won, f.deals_won, f"{src}: revenue_won / deals_won")
        ]
        out["sales_cycle_length"] = [
            _rate(f.cycle_days_total, f.deals_won,
                  f"{src}: cycle_days_total / deals_won (won deals)")
        ]  # fmt: skip
        out["acv"] = [
            _rate(f.acv_total, f.deals_with_contract,
                  f"{src}: acv_total / deals_with_contract")
            if not pd.isna(f.deals_with_contract)
            else _Row(missing="deals.contract_value and deals.contract_months")
        ]  # fmt: skip
        out["win_rate"] = [
            _rate(f.deals_won, f.deals_conducted, f"{src}: deals_won / deals_conducted")
        ]
        out["win_rate_closed"] = [
            _rate(f.deals_won, f.deals_closed, f"{src}: deals_won / deals_closed")
        ]
        out["deal_slippage"] = [
            _rate(f.deals_lost, f.deals_conducted,
                  f"{src}: deals_lost / deals_conducted")
        ]  # fmt: skip
        out["deal_slippage_expected_close"] = [
            _rate(f.deals_slipped, f.deals_due, f"{src}: deals_slipped / deals_due")
            if not pd.isna(f.deals_due)
            else _Row(missing="deals.expected_close_at")
        ]
        v = c.snapshot("sales_velocity", sales_velocity, w).iloc[0]
        out["sales_velocity"] = [
            _rate(v.opportunities * v.average_deal_size * v.win_rate,
                  v.cycle_days_mean,
                  "sales_velocity: opportunities × average_deal_size × win_rate / "
                  "cycle_days_mean")
        ]  # fmt: skip
        cyc = c.snapshot("sales_cycle", sales_cycle, w)
        out["sales_cycle_length_censored"] = [
            _value(cyc["cycle_days_median_aj"].iloc[0] if len(cyc) else np.nan,
                   "sales_cycle: cycle_days_median_aj (deals created in the "
                   "period, as of its end)")
        ]  # fmt: skip
        if c.ds.leads is None:
            out["sales_conversion_rate"] = [_need("leads")]
            out["lead_to_opportunity_rate"] = [_need("leads")]
        else:
            lc = c.snapshot("lead_conversion", lead_conversion, w, by=None)
            leads = lc["leads"].iloc[0] if len(lc) else 0
            out["sales_conversion_rate"] = [
                _rate(f.deals_won, leads,
                      f"{src}: deals_won / lead_conversion: leads (created in the "
                      "period)")
            ]  # fmt: skip
            out["lead_to_opportunity_rate"] = [
                _rate(f.deals_created, leads,
                      f"{src}: deals_created / lead_conversion: leads (created in "
                      "the period)")
            ]  # fmt: skip
        if c.ds.targets is None:
            out["pipeline_coverage"] = [_need("targets")]
            out["quota_attainment"] = [_need("targets")]
        else:
            q = c.snapshot("quota_attainment", quota_attainment, w, by=None,
                           freq=_calendar(w) or "M")  # fmt: skip
            out["quota_attainment"] = (
                [_rate(q["revenue_won"].sum(), q["quota"].sum(),
                       "quota_attainment: revenue_won / quota")]
                if not isinstance(q, Exception) and len(q)
                else [_Row(note="no quota for the period", inputs="quota_attainment")]
            )  # fmt: skip
            pc = c.snapshot("pipeline_coverage", pipeline_coverage, w, by=None)
            out["pipeline_coverage"] = (
                [_rate(pc["pipeline_open"].iloc[0], pc["target_remaining"].iloc[0],
                       "pipeline_coverage: pipeline_open / target_remaining (at the "
                       "period's start)")]
                if not isinstance(pc, Exception) and len(pc)
                else [_Row(note=str(pc), inputs="pipeline_coverage")]
            )  # fmt: skip
    if c.ds.leads is None:
        out["lead_conversion_rate"] = [_need("leads")]
    else:
        from churnlab.sales.pipeline import lead_conversion

        lc = c.snapshot("lead_conversion", lead_conversion, w, by=None)
        leads = lc["leads"].iloc[0] if len(lc) else 0
        vis = c.inputs(w).loc["visitors"]
        out["lead_conversion_rate"] = (
            [_Row(missing="visitors (sales_inputs table or parameter)")]
            if pd.isna(vis["value"])
            else [_rate(leads, vis["value"],
                        f"lead_conversion: leads / visitors ({vis['source']})")]
        )  # fmt: skip


def _activity_kpis(c: _Ctx, w: _Window, out: dict[str, list[_Row]]) -> None:
    from churnlab.sales.activity import sales_activity

    ids = ("meetings_booked", "meetings_booked_count", "sales_pitches",
           "sales_pitches_per_deal")  # fmt: skip
    if c.ds.activities is None:
        for k in ids:
            out[k] = [_need("activities")]
        return
    a = c.snapshot("sales_activity", sales_activity, w, by=None)
    tot = a[["meetings_booked", "responses", "demos", "calls", "emails",
             "deals_pitched", "deals_contacted"]].sum() if len(a) else None  # fmt: skip
    if tot is None:
        for k in ids:
            out[k] = [_Row(inputs="sales_activity", note="no activities")]
        return
    src = "sales_activity"
    out["meetings_booked"] = [
        _rate(tot.meetings_booked, tot.responses,
              f"{src}: meetings_booked / responses",
              note="" if tot.responses else "no prospect responses logged "
              "(activities of type response)")
    ]  # fmt: skip
    out["meetings_booked_count"] = [
        _value(tot.meetings_booked, f"{src}: meetings_booked")
    ]
    out["sales_pitches"] = [
        _rate(tot.demos, tot.calls + tot.emails, f"{src}: demos / (calls + emails)")
    ]
    out["sales_pitches_per_deal"] = [
        _rate(tot.deals_pitched, tot.deals_contacted,
              f"{src}: deals_pitched / deals_contacted")
    ]  # fmt: skip


def _evaluate(c: _Ctx, w: _Window) -> dict[str, list[_Row]]:
    out: dict[str, list[_Row]] = {}
    _orders_kpis(c, w, out)
    _customer_kpis(c, w, out)
    _deal_kpis(c, w, out)
    _activity_kpis(c, w, out)
    return out


def _check_params(params: dict[str, Any]) -> None:
    unknown = sorted(set(params) - set(_PARAMS))
    if unknown:
        listed = "; ".join(f"{k}: {v}" for k, v in _PARAMS.items())
        raise ParameterError(
            f"Unknown KPI parameter(s) {', '.join(unknown)}. Known: {listed}."
        )
    gm = params.get("gross_margin")
    if gm is not None and (
        isinstance(gm, bool) or not isinstance(gm, int | float) or not 0 < gm <= 1
    ):
        raise ParameterError(f"gross_margin={gm!r} must be a fraction in (0, 1].")


_COLUMNS = [
    "kpi", "variant", "practice_of", "types", "formula", "unit", "breakdown",
    "numerator", "denominator", "value", "inputs", "assumed", "missing", "note",
    "value_previous", "change_vs_previous", "growth_vs_previous",
    "value_last_year", "change_vs_last_year", "growth_vs_last_year",
]  # fmt: skip


def sales_kpis(
    data: Any,
    *args: Any,
    period: Any = None,
    as_of: Any = None,
    **params: Any,
) -> pd.DataFrame:
    """The sales KPIs of a period, as the source list defines them, with changes.

    Parameters
    ----------
    data : Dataset, path or mapping
        Anything :func:`churnlab.load_dataset` accepts. Uses whichever of
        orders, subscriptions, deals, leads, targets, activities and
        sales_inputs it holds; a KPI whose table or input is absent is NaN and
        ``missing`` names it.
    *args
        A period passed by position (the former call) still works, with a
        ``FutureWarning`` naming ``period=``.
    period : str or (date, date), optional
        ``"YYYY-MM"``, ``"YYYY-Qn"``, ``"YYYY"`` or a ``(first_day, last_day)``
        pair. Default: the data's last complete month. KPIs read from a
        per-period metric (revenue, churn, NRR, ARPA, LTV) need a calendar
        period.
    as_of : date-like, optional
        The day the data is known through. Default: the period's last day;
        each comparison period is read from the same calls.
    **params
        ``visitors``, ``sales_expenses``, ``cost_of_sales``, ``market_size``
        (a number for the period or a mapping of period label to number, e.g.
        ``{"2026-10": 120000}``; they override the ``sales_inputs`` table);
        ``gross_margin`` (a fraction: assumed, labelled so);
        ``inactivity_days`` (order-only churn).

    Returns
    -------
    pandas.DataFrame
        One row per KPI (and ``breakdown``: one per location for
        ``sales_by_location``, ``existing`` and ``new`` for
        ``revenue_share_new_existing``), in the order of :data:`SALES_KPIS`:
        ``kpi``, ``variant`` (``source`` or ``practice``), ``practice_of``
        (the source KPI a practice row stands beside), ``types`` (the source's
        types joined by ", ", in its order), ``formula``, ``unit``,
        ``breakdown``, ``numerator``, ``denominator``, ``value``, ``inputs``
        (the public function and columns the value comes from), ``assumed``
        (an assumed input, e.g. ``gross_margin = 0.8 (parameter)``),
        ``missing`` (the input the data lacks), ``note``, then
        ``value_previous``, ``change_vs_previous``, ``growth_vs_previous`` and
        the same ``*_last_year``, NaN for a KPI computed from an assumed input.
        ``kind`` repeats ``types`` (the former name).

    Raises
    ------
    ParameterError
        For an unknown parameter, a malformed period, or a period with no data.

    Notes
    -----
    **Definition.** The 25 KPIs of the product's source list (ids, types and
    formulas as in :data:`SALES_KPIS`), and beside them the variants sales
    practice uses, each its own row naming the KPI it varies
    (``practice_of``). Every value is the figure a public function returns for
    the period, named in ``inputs``.

    **Formula.** ``value = numerator / denominator`` for ratios (growth KPIs
    subtract 1); ``change_vs_previous = value - value_previous``;
    ``growth_vs_previous = change_vs_previous / |value_previous|``. Same for
    last year.

    **Convention.** Deal KPIs are flows of the period (:func:`deal_flows`:
    deals won, lost, created or conducted in it); the cohort views with
    censoring are :func:`win_rates`, :func:`lead_conversion` and
    :func:`pipeline_funnel`. A KPI never guesses an input: without it the
    value is NaN and ``missing`` names it; one computed from an assumed
    parameter says so in ``assumed`` and has no change columns.

    Examples
    --------
    >>> import churnlab as cl
    >>> k = cl.sales_kpis(cl.sample_dataset(), period="2026-10")
    >>> k["kpi"].drop_duplicates().head(3).tolist()
    ['total_revenue', 'nrr', 'arpa']
    >>> k.set_index("kpi").loc["win_rate", "types"]
    'growth, efficiency, output'
    """
    if args:
        if len(args) > 1 or period is not None:
            raise ParameterError("sales_kpis takes one dataset; pass period=...")
        warnings.warn(
            f"sales_kpis(data, {args[0]!r}) is deprecated; call "
            f"sales_kpis(data, period={args[0]!r}).",
            FutureWarning,
            stacklevel=2,
        )
        period = args[0]
    _check_params(params)
    ds = contract.load_dataset(data)
    if period is None:
        period = _default_period(ds, as_of)
    w = _window(period, as_of=as_of, data=ds)
    if w.start is None:
        raise ParameterError("sales_kpis needs a period, not all the data.")
    ctx = _Ctx(ds, dict(params), w.end - pd.Timedelta(days=1))
    wins = {"current": w}
    wins["previous"] = w.shift(months=w.months) if w.months else w.shift()
    wins["last_year"] = w.shift(months=12)
    per = {name: _evaluate(ctx, win) for name, win in wins.items()}
    for text in ctx.caught:
        warnings.warn(text, ChurnlabWarning, stacklevel=2)
    rows = []
    for spec in SALES_KPIS:
        rows.extend(_rows(spec, per))
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    frame["kind"] = frame["types"]
    frame.attrs.update(
        period=w.label,
        previous=wins["previous"].label,
        last_year=wins["last_year"].label,
        as_of=w.end - pd.Timedelta(days=1),
    )
    return frame


def _rows(spec: KpiSpec, per: dict[str, dict[str, list[_Row]]]) -> list[dict]:
    out = []
    for r in per["current"].get(spec.kpi, [_Row(note="not computed")]):
        rec = {
            "kpi": spec.kpi,
            "variant": spec.variant,
            "practice_of": spec.practice_of,
            "types": spec.types,
            "formula": spec.formula,
            "unit": spec.unit,
            "breakdown": r.breakdown,
            "numerator": r.numerator,
            "denominator": r.denominator,
            "value": r.value,
            "inputs": r.inputs,
            "assumed": r.assumed,
            "missing": r.missing,
            "note": r.note,
        }
        for tag in ("previous", "last_year"):
            before = {
                x.breakdown: x.value
                for x in per[tag].get(spec.kpi, [])
                if not x.assumed
            }
            v = np.nan if r.assumed else before.get(r.breakdown, np.nan)
            rec[f"value_{tag}"] = v
            rec[f"change_vs_{tag}"] = r.value - v
            rec[f"growth_vs_{tag}"] = float(_ratio(r.value - v, abs(v)))
        out.append(rec)
    return out
