"""MRR movements and revenue metrics: NRR, GRR, revenue churn, quick ratio, ARPA, LTV.

Public names: ``mrr_movements``, ``customer_mrr_movements``, ``revenue_metrics``,
``revenue_churn``, ``nrr``, ``grr``, ``quick_ratio``, ``arpa``, ``ltv``,
``explain_churn``.

MRR is read off :func:`churnlab.states.changes`: one row per customer and period
in which the customer's activity or MRR at the period's end differs from its
start, built by a running sum over subscription start and end events. Each such
row is one movement (new, expansion, contraction, churn or reactivation); MRR at
every boundary is the cumulative sum of the movements, joined to a period spine
in pandas. All sums are in integer cents, so the bridge
``end_mrr = start_mrr + new + expansion + reactivation - contraction - churn``
holds exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _

from churnlab import engine, periods, states
from churnlab._docs import share_docs
from churnlab.errors import ParameterError
from churnlab.metrics.churn import (
    _COUNT,
    _attach,
    _by_list,
    _cumsum,
    _flag,
    _grid,
    _last_period,
    _live,
    _parse_period,
    _ratio,
    _setup,
    _stack,
    customer_churn,
)

__all__ = [
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
]

#: Nominal months per period, to turn a per-period lifetime into months.
_MONTHS_PER_PERIOD = {
    "D": 12 / 365.25,
    "W": 7 * 12 / 365.25,
    "M": 1.0,
    "Q": 3.0,
    "Y": 12.0,
}

_MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
_FLOW_METRICS = {
    m: _COUNT
    for m in (
        "d_mrr",
        "new",
        "expansion",
        "contraction",
        "churn",
        "reactivation",
        "d_active",
        "churned",
        "activated",
        "new_retained",
        "new_customers",
    )
}


def _movement_rows(
    subscriptions: ir.Table,
    *,
    freq: str,
    cutoff: pd.Timestamp,
    attrs: ir.Table | None,
    by_cols: list[str],
) -> tuple[ir.Table, ir.Table]:
    """Change rows labelled with their movement (one per customer and period)."""
    spans = _live(states.subscription_intervals(subscriptions), cutoff)
    first = states.first_activity(spans)
    ch = states.changes(spans, freq=freq, cutoff=cutoff).join(first, "customer_id")
    ch = _attach(ch, attrs, by_cols).mutate(
        is_first=periods.truncate(_.first_start, freq) == _.period
    )
    on, off = ch.active_start, ch.active_end
    movement = ibis.cases(
        (~on & off & ch.is_first, "new"),
        (~on & off, "reactivation"),
        (on & ~off, "churn"),
        (ch.mrr_end_cents > ch.mrr_start_cents, "expansion"),
        (ch.mrr_end_cents < ch.mrr_start_cents, "contraction"),
        else_="none",
    )
    return ch.mutate(movement=movement), first


def _flows(
    subscriptions: ir.Table,
    *,
    freq: str,
    as_of: pd.Timestamp,
    attrs: ir.Table | None,
    by_cols: list[str],
) -> ir.Table:
    """One query: per period (and group) MRR movements in cents and logo flows."""
    cutoff = periods.cutoff(as_of)
    last = ibis.literal(_last_period(as_of, freq), "timestamp")
    rows, first = _movement_rows(
        subscriptions, freq=freq, cutoff=cutoff, attrs=attrs, by_cols=by_cols
    )
    keys = ["period", *by_cols]
    # The same classification as ``movement``, as booleans (cheaper to sum).
    m0, m1 = rows.mrr_start_cents, rows.mrr_end_cents
    diff = m1 - m0
    on, off = rows.active_start, rows.active_end
    stay = on & off
    is_new = ~on & off & rows.is_first
    is_back = ~on & off & ~rows.is_first
    is_churn = on & ~off

    def cents(cond: ir.BooleanValue, value: ir.IntegerValue) -> ir.IntegerScalar:
        return ibis.ifelse(cond, value, 0).sum()

    flows = rows.group_by(keys).agg(
        d_mrr=diff.sum(),
        new=cents(is_new, m1),
        expansion=cents(stay & (diff > 0), diff),
        contraction=cents(stay & (diff < 0), -diff),
        churn=cents(is_churn, m0),
        reactivation=cents(is_back, m1),
        d_active=(_flag(off) - _flag(on)).sum(),
        churned=_flag(is_churn).sum(),
        activated=_flag(~on & off).sum(),
        new_retained=_flag(is_new).sum(),
    )
    new = (
        _attach(first, attrs, by_cols)
        .mutate(period=periods.truncate(_.first_start, freq))
        .filter(_.period <= last)
        .group_by(keys)
        .agg(new_customers=_.count())
    )
    return _stack([flows, new], keys, _FLOW_METRICS)


def _flow_table(
    data: Any, *, by: Any, freq: str, as_of: Any
) -> tuple[pd.DataFrame, list[str], str]:
    """Per-period MRR bridge (money) and logo counts, as one pandas frame."""
    freq = periods.check_freq(freq)
    ds, by_cols, attrs, as_of = _setup(
        data, "subscriptions", by=by, freq=freq, as_of=as_of
    )
    agg = engine.execute(
        _flows(ds.subscriptions, freq=freq, as_of=as_of, attrs=attrs, by_cols=by_cols)
    )
    g = _grid(agg, by_cols, freq, as_of, _FLOW_METRICS)
    end_cents = _cumsum(g, "d_mrr", by_cols)
    start_cents = end_cents - g["d_mrr"]
    out = g[["period", *by_cols]].copy()
    out["start_mrr"] = start_cents / states.CENTS
    for m in _MOVEMENTS:
        out[m] = g[m] / states.CENTS
    out["end_mrr"] = end_cents / states.CENTS
    out["net_new_mrr"] = g["d_mrr"] / states.CENTS
    customers_end = _cumsum(g, "d_active", by_cols)
    out["customers_start"] = (customers_end - g["d_active"]).astype("int64")
    out["customers_new"] = g["new_customers"].astype("int64")
    out["customers_churned"] = g["churned"].astype("int64")
    out["customers_end"] = customers_end.astype("int64")
    return out, by_cols, freq


@share_docs
def mrr_movements(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
    per: str = "period",
) -> pd.DataFrame:
    """MRR bridge per period: new, expansion, contraction, churn, reactivation.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions with ``customer_id, start, mrr`` and optional ``end``, or a
        Dataset holding them (and ``customers`` when ``by`` is given).
    {by}
    {freq}
    {as_of}
    per : {{"period", "customer"}}, default "period"
        ``"customer"`` returns one row per customer and movement instead
        (:func:`customer_mrr_movements`).

    Returns
    -------
    pandas.DataFrame
        One row per period (and ``by`` group): ``start_mrr``, ``new``,
        ``expansion``, ``contraction``, ``churn``, ``reactivation``,
        ``end_mrr``, ``net_new_mrr`` (money, in the data's currency; movements
        are positive amounts).

    Raises
    ------
    ContractError
        If the subscriptions break the data contract.
    ParameterError
        For a bad ``freq``, ``as_of``, ``by`` or ``per``.

    Notes
    -----
    **Definition.** MRR at instant ``t`` is the sum of ``mrr`` over the
    subscriptions with ``start < t <= end``. For each customer and period P,
    compare MRR at P.start and at P.end: *new* = not active at P.start, first
    ever subscription inside P; *reactivation* = not active at P.start, active
    before; *churn* = active at P.start, not at P.end (the MRR at P.start is
    lost); *expansion* / *contraction* = active at both, MRR up / down.

    **Formula.** ``end_mrr = start_mrr + new + expansion + reactivation -
    contraction - churn``, exactly (sums in integer cents);
    ``net_new_mrr = end_mrr - start_mrr``.

    **Convention.** As ChartMogul and Baremetrics do: a customer's movements
    within a period are netted to one (a plan change and back is no movement;
    an upgrade then cancellation is churn of the MRR at the start), churn is
    dated at the end of the paid term (``end``, the first day not paid for), a
    second subscription of an active customer is expansion and the end of one
    of several is contraction. A customer who subscribes and cancels inside the
    same period never holds MRR at a boundary and adds nothing here; see
    ``customers_new_lost`` in :func:`customer_churn`. A move from a zero-MRR
    subscription to a paid one is expansion (the customer was active), unlike
    ChartMogul, which does not count free plans as customers.

    Examples
    --------
    >>> import churnlab as cl
    >>> m = cl.mrr_movements(cl.sample_dataset())
    >>> list(m.columns[:8])  # doctest: +NORMALIZE_WHITESPACE
    ['period', 'start_mrr', 'new', 'expansion', 'contraction', 'churn',
     'reactivation', 'end_mrr']
    >>> last = m.iloc[-1]
    >>> bridge = (last.start_mrr + last.new + last.expansion + last.reactivation
    ...           - last.contraction - last.churn)
    >>> bool(abs(bridge - last.end_mrr) < 0.005)
    True
    """
    if per == "customer":
        return customer_mrr_movements(data, by=by, freq=freq, as_of=as_of)
    if per != "period":
        raise ParameterError(f"per={per!r} must be 'period' or 'customer'.")
    out, by_cols, _freq = _flow_table(data, by=by, freq=freq, as_of=as_of)
    cols = ["period", *by_cols, "start_mrr", *_MOVEMENTS, "end_mrr", "net_new_mrr"]
    return out[cols]


@share_docs
def customer_mrr_movements(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """MRR movements per customer: one row per customer and period with a movement.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        ``period``, ``customer_id``, by-columns, ``movement`` (new, expansion,
        contraction, churn or reactivation), ``mrr_start`` and ``mrr_end`` (MRR
        at the period's start and end) and ``mrr_change = mrr_end - mrr_start``,
        sorted by period and customer.

    Notes
    -----
    **Definition.** The rows behind :func:`mrr_movements`: each customer whose
    activity or MRR differs between P.start and P.end has one row for P.

    **Formula.** Per period, the sum of ``mrr_change`` over a movement equals
    that movement in :func:`mrr_movements` (negative for contraction and churn).

    **Convention.** See :func:`mrr_movements`; customers acquired and lost inside
    one period have no row.

    Examples
    --------
    >>> import churnlab as cl
    >>> rows = cl.customer_mrr_movements(cl.sample_dataset(), as_of="2024-06-30")
    >>> sorted(rows["movement"].unique())
    ['churn', 'contraction', 'expansion', 'new', 'reactivation']
    """
    freq = periods.check_freq(freq)
    ds, by_cols, attrs, as_of = _setup(
        data, "subscriptions", by=by, freq=freq, as_of=as_of
    )
    rows, _first = _movement_rows(
        ds.subscriptions,
        freq=freq,
        cutoff=periods.cutoff(as_of),
        attrs=attrs,
        by_cols=by_cols,
    )
    expr = rows.filter(_.movement != "none").select(
        "period",
        "customer_id",
        *by_cols,
        "movement",
        mrr_start=_.mrr_start_cents.cast("float64") / states.CENTS,
        mrr_end=_.mrr_end_cents.cast("float64") / states.CENTS,
        mrr_change=(_.mrr_end_cents - _.mrr_start_cents).cast("float64") / states.CENTS,
    )
    out = engine.execute(expr)
    out = out[out["period"] <= _last_period(as_of, freq)]
    return out.sort_values(["period", "customer_id"], kind="stable").reset_index(
        drop=True
    )


@share_docs
def revenue_metrics(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
    margin: float = 1.0,
) -> pd.DataFrame:
    """Every revenue metric per period: bridge, revenue churn, NRR, GRR, ARPA, LTV.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}
    margin : float, default 1.0
        Gross margin (0 < margin <= 1) applied in ``ltv``; 1.0 gives revenue LTV.

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, the bridge (``start_mrr, new, expansion,
        contraction, churn, reactivation, end_mrr, net_new_mrr``), then each rate
        after its numerator and denominator: ``mrr_lost_gross,
        gross_revenue_churn_rate, mrr_lost_net, net_revenue_churn_rate,
        mrr_retained, nrr, mrr_retained_gross, grr, mrr_gained, quick_ratio,
        customers_start, customers_churned, churn_rate, customers_end, arpa,
        lifetime_periods, lifetime_months, margin, ltv``.

    Raises
    ------
    ParameterError
        For a bad ``freq``, ``as_of``, ``by`` or ``margin``.

    Notes
    -----
    **Definition.** All MRR figures are those of :func:`mrr_movements`; logo
    counts those of :func:`customer_churn`. NRR and GRR are on the customers
    active at the period's start (their expansion, contraction and churn; new and
    reactivated MRR are not in them).

    **Formula.**
    ``gross_revenue_churn_rate = (churn + contraction) / start_mrr``;
    ``net_revenue_churn_rate = (churn + contraction - expansion) / start_mrr``;
    ``nrr = (start_mrr + expansion - contraction - churn) / start_mrr``;
    ``grr = (start_mrr - contraction - churn) / start_mrr``;
    ``quick_ratio = (new + expansion + reactivation) / (contraction + churn)``;
    ``arpa = end_mrr / customers_end``;
    ``lifetime_periods = 1 / churn_rate``;
    ``ltv = arpa * margin * lifetime_months``, i.e. ARPA x margin / monthly
    churn rate when ``freq="M"``.

    **Convention.** Gross revenue churn and ``churn_rate`` use the start of the
    period as denominator (ChartMogul's standard formula, Baremetrics' revenue
    churn). Net revenue churn is ``1 - nrr``: expansion offsets losses, but
    reactivated MRR does not (ChartMogul also offsets reactivation; add it back
    from the ``reactivation`` column to compare). The quick ratio counts
    reactivation as growth, as in the original Social Capital definition.
    ARPA is read at the period's end, over all active accounts. The simple
    lifetime and LTV assume the period's churn rate holds forever; use
    ``freq="Q"`` or ``"Y"`` to steady them, and the survival module for a
    censoring-aware lifetime. Rates are NaN when their denominator is 0, LTV too
    when nobody churned.

    Examples
    --------
    >>> import churnlab as cl
    >>> r = cl.revenue_metrics(cl.sample_dataset(), margin=0.8)
    >>> last = r.iloc[-1]
    >>> bool(last.grr <= last.nrr)
    True
    >>> bool(abs(last.ltv - last.arpa * 0.8 / last.churn_rate) < 1e-6)
    True
    """
    if not (isinstance(margin, int | float) and 0 < margin <= 1):
        raise ParameterError(
            f"margin={margin!r} must be a fraction in (0, 1], e.g. 0.8."
        )
    out, by_cols, freq = _flow_table(data, by=by, freq=freq, as_of=as_of)
    s = out["start_mrr"]
    out["mrr_lost_gross"] = out["churn"] + out["contraction"]
    out["gross_revenue_churn_rate"] = _ratio(out["mrr_lost_gross"], s)
    out["mrr_lost_net"] = out["mrr_lost_gross"] - out["expansion"]
    out["net_revenue_churn_rate"] = _ratio(out["mrr_lost_net"], s)
    out["mrr_retained"] = s + out["expansion"] - out["contraction"] - out["churn"]
    out["nrr"] = _ratio(out["mrr_retained"], s)
    out["mrr_retained_gross"] = s - out["contraction"] - out["churn"]
    out["grr"] = _ratio(out["mrr_retained_gross"], s)
    out["mrr_gained"] = out["new"] + out["expansion"] + out["reactivation"]
    out["quick_ratio"] = _ratio(out["mrr_gained"], out["mrr_lost_gross"])
    out["churn_rate"] = _ratio(out["customers_churned"], out["customers_start"])
    out["arpa"] = _ratio(out["end_mrr"], out["customers_end"])
    out["lifetime_periods"] = _ratio(pd.Series(1.0, index=out.index), out["churn_rate"])
    out["lifetime_months"] = out["lifetime_periods"] * _MONTHS_PER_PERIOD[freq]
    out["margin"] = float(margin)
    out["ltv"] = out["arpa"] * out["margin"] * out["lifetime_months"]
    cols = [
        "period",
        *by_cols,
        "start_mrr",
        *_MOVEMENTS,
        "end_mrr",
        "net_new_mrr",
        "mrr_lost_gross",
        "gross_revenue_churn_rate",
        "mrr_lost_net",
        "net_revenue_churn_rate",
        "mrr_retained",
        "nrr",
        "mrr_retained_gross",
        "grr",
        "mrr_gained",
        "quick_ratio",
        "customers_start",
        "customers_churned",
        "churn_rate",
        "customers_end",
        "arpa",
        "lifetime_periods",
        "lifetime_months",
        "margin",
        "ltv",
    ]
    return out[cols]


def _subset(data: Any, cols: list[str], **kwargs: Any) -> pd.DataFrame:
    full = revenue_metrics(data, **kwargs)
    return full[["period", *_by_list(kwargs.get("by")), *cols]]


@share_docs
def revenue_churn(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """Gross and net revenue (MRR) churn rate per period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``start_mrr, churn, contraction, expansion,
        mrr_lost_gross, gross_revenue_churn_rate, mrr_lost_net,
        net_revenue_churn_rate``.

    Notes
    -----
    **Definition.** The share of the MRR held at the period's start that was
    lost to cancellations and downgrades (gross), net of upgrades (net).

    **Formula.** ``gross_revenue_churn_rate = (churn + contraction) /
    start_mrr``; ``net_revenue_churn_rate = (churn + contraction - expansion) /
    start_mrr``, negative when expansion exceeds the losses.

    **Convention.** See :func:`revenue_metrics`: net revenue churn is
    ``1 - nrr`` (reactivation not offset).

    Examples
    --------
    >>> import churnlab as cl
    >>> r = cl.revenue_churn(cl.sample_dataset()).dropna()
    >>> bool((r["net_revenue_churn_rate"] <= r["gross_revenue_churn_rate"]).all())
    True
    """
    return _subset(
        data,
        [
            "start_mrr",
            "churn",
            "contraction",
            "expansion",
            "mrr_lost_gross",
            "gross_revenue_churn_rate",
            "mrr_lost_net",
            "net_revenue_churn_rate",
        ],
        by=by,
        freq=freq,
        as_of=as_of,
    )


@share_docs
def nrr(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """Net revenue retention per period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``start_mrr, expansion, contraction, churn,
        mrr_retained, nrr``.

    Notes
    -----
    **Definition.** MRR at the period's end from the customers active at its
    start, over their MRR at the start.

    **Formula.** ``nrr = (start_mrr + expansion - contraction - churn) /
    start_mrr``; above 1 when expansion beats the losses.

    **Convention.** Reactivated and new customers are excluded (they were not
    active at the start). ``freq="Y"`` gives the calendar-year NRR investors
    quote (customers active on 1 January, their MRR on 31 December).

    Examples
    --------
    >>> import churnlab as cl
    >>> n = cl.nrr(cl.sample_dataset(), freq="Y", as_of="2025-12-31")
    >>> n["period"].dt.year.tolist()
    [2023, 2024, 2025]
    """
    return _subset(
        data,
        ["start_mrr", "expansion", "contraction", "churn", "mrr_retained", "nrr"],
        by=by,
        freq=freq,
        as_of=as_of,
    )


@share_docs
def grr(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """Gross revenue retention per period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``start_mrr, contraction, churn,
        mrr_retained_gross, grr``.

    Notes
    -----
    **Definition.** The share of the start-of-period MRR kept, ignoring
    expansion.

    **Formula.** ``grr = (start_mrr - contraction - churn) / start_mrr``; never
    above 1 and never above ``nrr``.

    **Convention.** Contraction and churn are netted per customer and period
    (see :func:`mrr_movements`), so a downgrade later recovered inside the same
    period is not a loss.

    Examples
    --------
    >>> import churnlab as cl
    >>> g = cl.grr(cl.sample_dataset())
    >>> bool((g["grr"].dropna() <= 1).all())
    True
    """
    return _subset(
        data,
        ["start_mrr", "contraction", "churn", "mrr_retained_gross", "grr"],
        by=by,
        freq=freq,
        as_of=as_of,
    )


@share_docs
def quick_ratio(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """SaaS quick ratio per period: MRR gained over MRR lost.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``new, expansion, reactivation, mrr_gained,
        contraction, churn, mrr_lost_gross, quick_ratio``.

    Notes
    -----
    **Definition.** How many units of MRR are added for each unit lost.

    **Formula.** ``quick_ratio = (new + expansion + reactivation) /
    (contraction + churn)``; NaN when nothing was lost.

    **Convention.** Reactivation counts as growth (Social Capital's original
    definition; Baremetrics leaves it out).

    Examples
    --------
    >>> import churnlab as cl
    >>> q = cl.quick_ratio(cl.sample_dataset())
    >>> bool((q["quick_ratio"].dropna() >= 0).all())
    True
    """
    return _subset(
        data,
        [
            "new",
            "expansion",
            "reactivation",
            "mrr_gained",
            "contraction",
            "churn",
            "mrr_lost_gross",
            "quick_ratio",
        ],
        by=by,
        freq=freq,
        as_of=as_of,
    )


@share_docs
def arpa(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """Average revenue per account (MRR per active customer) at each period's end.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``end_mrr, customers_end, arpa``.

    Notes
    -----
    **Definition.** MRR divided by the number of active accounts, read at the
    period's end.

    **Formula.** ``arpa = end_mrr / customers_end``.

    **Convention.** Every active account counts, including any on a zero-MRR
    subscription (ChartMogul counts paying customers only).

    Examples
    --------
    >>> import churnlab as cl
    >>> a = cl.arpa(cl.sample_dataset(), by="segment")
    >>> sorted(a["segment"].unique())
    ['Enterprise', 'Mid-Market', 'SMB']
    """
    return _subset(
        data, ["end_mrr", "customers_end", "arpa"], by=by, freq=freq, as_of=as_of
    )


@share_docs
def ltv(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    as_of: Any = None,
    margin: float = 1.0,
) -> pd.DataFrame:
    """Simple customer lifetime value: ARPA x margin / churn rate.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}
    margin : float, default 1.0
        Gross margin in (0, 1]; 1.0 gives revenue LTV.

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``end_mrr, customers_end, arpa, customers_start,
        customers_churned, churn_rate, lifetime_periods, lifetime_months,
        margin, ltv``.

    Notes
    -----
    **Definition.** The gross profit an average account brings over an average
    lifetime, if the period's ARPA and churn rate held forever.

    **Formula.** ``lifetime_periods = 1 / churn_rate``; ``lifetime_months =
    lifetime_periods x months per period``; ``ltv = arpa x margin x
    lifetime_months`` (= ARPA x margin / churn rate for monthly periods).

    **Convention.** ChartMogul's LTV (ARPA / customer churn rate) with a margin
    factor. The simple lifetime ignores censoring and tenure effects; the
    survival module's restricted mean survival time is the censoring-aware
    alternative. NaN when nobody churned in the period.

    Examples
    --------
    >>> import churnlab as cl
    >>> v = cl.ltv(cl.sample_dataset(), freq="Q", margin=0.8, as_of="2026-09-30")
    >>> last = v.iloc[-1]
    >>> int(last.customers_churned), int(last.customers_start)
    (197, 2350)
    >>> print(f"{{last.churn_rate:.4f}} {{last.lifetime_months:.1f}} {{last.ltv:,.0f}}")
    0.0838 35.8 50,127
    """
    return _subset(
        data,
        [
            "end_mrr",
            "customers_end",
            "arpa",
            "customers_start",
            "customers_churned",
            "churn_rate",
            "lifetime_periods",
            "lifetime_months",
            "margin",
            "ltv",
        ],
        by=by,
        freq=freq,
        as_of=as_of,
        margin=margin,
    )


def explain_churn(
    data: Any,
    *,
    period: Any,
    freq: str = "M",
    margin: float = 1.0,
    currency: str = "",
) -> str:
    """Each churn and revenue metric's formula with a period's numbers substituted.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    period : str or date-like
        The period to explain: ``"2026-10"`` or any day inside it.
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        Period unit.
    margin : float, default 1.0
        Gross margin used in LTV.
    currency : str, optional
        Currency label for money (e.g. ``"EUR"``).

    Returns
    -------
    str
        One block per metric: definition, formula, the formula with the numbers
        substituted, and the result. ``print()`` it.

    Raises
    ------
    ParameterError
        If the period is not complete in the data.

    Notes
    -----
    **Definition.** A teaching view: the same numbers as :func:`customer_churn`
    and :func:`revenue_metrics` for one period, laid out so a reader can redo
    the arithmetic.

    **Formula.** As in those functions.

    **Convention.** The as-of date is the period's last day, so the period is
    complete and later data is ignored.

    Examples
    --------
    >>> import churnlab as cl
    >>> text = cl.explain_churn(cl.sample_dataset(), period="2026-10")
    >>> print(text.splitlines()[0])
    Churn and revenue metrics for 2026-10 (freq="M"; as of 2026-10-31)
    """
    freq = periods.check_freq(freq)
    start = _parse_period(period, freq)
    as_of = periods.period_end(start, freq) - pd.Timedelta(days=1)
    logo = customer_churn(data, freq=freq, as_of=as_of)
    rev = revenue_metrics(data, freq=freq, as_of=as_of, margin=margin)
    lrow = logo[logo["period"] == start]
    rrow = rev[rev["period"] == start]
    if lrow.empty or rrow.empty:
        raise ParameterError(
            f"period={period!r} is not a complete period of the data; choose one "
            "between the first subscription and the last complete period."
        )
    return _explain_text(
        lrow.iloc[0],
        rrow.iloc[0],
        start=start,
        as_of=as_of,
        freq=freq,
        currency=currency,
    )


def _explain_text(
    c: pd.Series,
    r: pd.Series,
    *,
    start: pd.Timestamp,
    as_of: pd.Timestamp,
    freq: str,
    currency: str,
) -> str:
    def m(x: float) -> str:
        return f"{currency} {x:,.2f}".strip()

    def pct(x: float) -> str:
        return "n/a (denominator 0)" if pd.isna(x) else f"{x:.2%}"

    label = start.strftime("%Y-%m") if freq == "M" else start.strftime("%Y-%m-%d")
    s, n, e = int(c.customers_start), int(c.customers_new), int(c.customers_end)
    ch, nl, re = (
        int(c.customers_churned),
        int(c.customers_new_lost),
        int(c.customers_reactivated),
    )
    blocks = [
        f'Churn and revenue metrics for {label} (freq="{freq}"; as of '
        f"{as_of:%Y-%m-%d})",
        "",
        "Customer counts",
        f"  at start S = {s}; sign-ups N = {n} (of which {nl} left again inside the"
        f" period); reactivated = {re}; churned = {ch}; at end E = {e}",
        f"  check: E = S - churned + N - new_lost + reactivated = {s} - {ch} + {n}"
        f" - {nl} + {re} = {s - ch + n - nl + re}",
        f"  lost in the period = S + N - E = {s} + {n} - {e} = {s + n - e}; of them"
        f" {nl} were new sign-ups (only customer-level data tells)",
        "",
        "Customer churn rate = customers_churned / customers_start",
        f"  = {ch} / {s} = {pct(c.churn_rate)}",
        "Customer retention rate CRR = (E - N) / S",
        f"  = ({e} - {n}) / {s} = {pct(c.crr)}",
        "Churn per customer-period at risk = churn_events / customer_periods_at_risk",
        f"  = {int(c.churn_events)} / {c.customer_periods_at_risk:,.2f} = "
        f"{pct(c.churn_rate_at_risk)}",
        "",
        "MRR bridge: end = start + new + expansion + reactivation - contraction"
        " - churn",
        f"  {m(r.end_mrr)} = {m(r.start_mrr)} + {m(r.new)} + {m(r.expansion)} + "
        f"{m(r.reactivation)} - {m(r.contraction)} - {m(r.churn)}",
        "Gross revenue churn = (churn + contraction) / start_mrr",
        f"  = ({m(r.churn)} + {m(r.contraction)}) / {m(r.start_mrr)} = "
        f"{pct(r.gross_revenue_churn_rate)}",
        "Net revenue churn = (churn + contraction - expansion) / start_mrr",
        f"  = ({m(r.churn)} + {m(r.contraction)} - {m(r.expansion)}) / "
        f"{m(r.start_mrr)} = {pct(r.net_revenue_churn_rate)}",
        "NRR = (start_mrr + expansion - contraction - churn) / start_mrr",
        f"  = ({m(r.start_mrr)} + {m(r.expansion)} - {m(r.contraction)} - "
        f"{m(r.churn)}) / {m(r.start_mrr)} = {pct(r.nrr)}",
        "GRR = (start_mrr - contraction - churn) / start_mrr",
        f"  = ({m(r.start_mrr)} - {m(r.contraction)} - {m(r.churn)}) / "
        f"{m(r.start_mrr)} = {pct(r.grr)}",
        "Quick ratio = (new + expansion + reactivation) / (contraction + churn)",
        f"  = ({m(r.new)} + {m(r.expansion)} + {m(r.reactivation)}) / "
        f"({m(r.contraction)} + {m(r.churn)}) = "
        + ("n/a (nothing lost)" if pd.isna(r.quick_ratio) else f"{r.quick_ratio:.2f}"),
        "ARPA = end_mrr / customers_end",
        f"  = {m(r.end_mrr)} / {int(r.customers_end)} = "
        + ("n/a" if pd.isna(r.arpa) else m(r.arpa)),
        "Average lifetime = 1 / churn_rate (periods)",
        "  = 1 / "
        + (
            "0 = n/a"
            if pd.isna(r.lifetime_periods)
            else f"{r.churn_rate:.4f} = {r.lifetime_periods:.1f} periods "
            f"= {r.lifetime_months:.1f} months"
        ),
        "LTV = ARPA x margin x lifetime (months)",
        "  = "
        + (
            "n/a"
            if pd.isna(r.ltv)
            else f"{m(r.arpa)} x {r.margin:g} x {r.lifetime_months:.1f} = {m(r.ltv)}"
        ),
    ]
    return "\n".join(blocks)
