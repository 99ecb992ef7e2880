"""MRR movements and revenue metrics: NRR, GRR, revenue churn, quick ratio, ARPA, LTV.

Public names: ``mrr_movements``, ``customer_mrr_movements``, ``revenue_metrics``,
``revenue_churn``, ``nrr``, ``grr``, ``quick_ratio``, ``arpa``, ``ltv``
(``explain_churn`` lives in :mod:`churnlab.metrics.explain`).

MRR is read off :func:`churnlab.states.changes`: one row per customer and period
in which the customer's activity or MRR at the period's end differs from its
start, built by a running sum over subscription start and end events. Each such
row is one movement (new, expansion, contraction, churn or reactivation); MRR at
every boundary is the cumulative sum of the movements, joined to a period spine
in pandas. All sums are in integer cents, so the bridge
``end_mrr = start_mrr + mrr_new + mrr_expansion + mrr_reactivation - mrr_contraction
- mrr_churn``
holds exactly.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _

from churnlab import engine, periods, states
from churnlab._docs import share_docs
from churnlab._frames import (
    MONTHS_PER_PERIOD,
    attach,
    by_list,
    cumsum,
    grid,
    ratio,
    stack,
)
from churnlab._types import ByLike, DataLike, DateLike, Freq
from churnlab.errors import ParameterError
from churnlab.metrics.churn import _setup

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
]

#: The gross margin LTV uses when none is given: none applied (revenue LTV, as
#: ChartMogul's ARPA / churn rate). Frames say ``gross_margin_assumed=True``.
DEFAULT_GROSS_MARGIN = 1.0

#: The MRR bridge columns, in order (STYLE.md).
MRR_COLUMNS = (
    "mrr_start",
    "mrr_new",
    "mrr_expansion",
    "mrr_contraction",
    "mrr_churn",
    "mrr_reactivation",
    "mrr_end",
)
_MOVEMENTS = MRR_COLUMNS[1:-1]
_MRR_FLOWS = {m: "int64" for m in ("d_mrr", *_MOVEMENTS)}
_FLOW_METRICS = {**_MRR_FLOWS, **states.LOGO_FLOWS}

#: Columns renamed in 0.2 (old -> new), for callers of the old names.
RENAMED_COLUMNS = {
    "start_mrr": "mrr_start",
    "new": "mrr_new",
    "expansion": "mrr_expansion",
    "contraction": "mrr_contraction",
    "churn": "mrr_churn",
    "reactivation": "mrr_reactivation",
    "end_mrr": "mrr_end",
    "net_new_mrr": "mrr_net_new",
    "margin": "gross_margin",
}


def _gross_margin(
    gross_margin: float | None, margin: float | None
) -> tuple[float, bool]:
    """Resolve ``gross_margin`` (and the deprecated ``margin``): (value, assumed)."""
    if margin is not None:
        warnings.warn(
            "margin= is deprecated; pass gross_margin= (same meaning).",
            DeprecationWarning,
            stacklevel=3,
        )
        if gross_margin is None:
            gross_margin = margin
    if gross_margin is None:
        return DEFAULT_GROSS_MARGIN, True
    if isinstance(gross_margin, bool) or not (
        isinstance(gross_margin, int | float) and 0 < gross_margin <= 1
    ):
        raise ParameterError(
            f"gross_margin={gross_margin!r} must be a fraction in (0, 1], e.g. 0.8."
        )
    return float(gross_margin), False


def _movement_rows(
    subscriptions: ir.Table,
    *,
    freq: str,
    cutoff: pd.Timestamp,
    attrs: ir.Table | None,
    by_cols: list[str],
) -> tuple[ir.Table, ir.Table]:
    """Change rows labelled with their movement (one per customer and period)."""
    spans = states.live(states.subscription_intervals(subscriptions), cutoff)
    first = states.first_activity(spans)
    ch = states.changes(spans, freq=freq, cutoff=cutoff).join(first, "customer_id")
    ch = attach(ch, attrs, by_cols).mutate(
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
    """One query: per period (and group) MRR movements in cents and logo flows.

    MRR movements come from :func:`churnlab.states.changes`; customer counts
    from :func:`churnlab.states.logo_flows`, the computation behind
    :func:`customer_churn`, so the two functions' counts are the same numbers.
    """
    cutoff = periods.cutoff(as_of)
    last = periods.last_complete_period(as_of, freq)
    rows, _first = _movement_rows(
        subscriptions, freq=freq, cutoff=cutoff, attrs=attrs, by_cols=by_cols
    )
    rows = rows.filter(_.period <= ibis.literal(last, "timestamp"))
    keys = ["period", *by_cols]
    m0, m1 = rows.mrr_start_cents, rows.mrr_end_cents
    mv = rows.movement

    def cents(name: str, value: ir.IntegerValue) -> ir.IntegerScalar:
        return ibis.ifelse(mv == name, value, 0).sum()

    money = rows.group_by(keys).agg(
        d_mrr=(m1 - m0).sum(),
        mrr_new=cents("new", m1),
        mrr_expansion=cents("expansion", m1 - m0),
        mrr_contraction=cents("contraction", m0 - m1),
        mrr_churn=cents("churn", m0),
        mrr_reactivation=cents("reactivation", m1),
    )
    spans = states.live(states.subscription_intervals(subscriptions), cutoff)
    logo = states.logo_flows(
        states.edges(spans), freq=freq, last=last, attrs=attrs, by_cols=by_cols
    )
    return stack([money, logo], keys, _FLOW_METRICS)


def _flow_table(
    data: DataLike, *, by: ByLike, freq: str, as_of: DateLike | None
) -> tuple[pd.DataFrame, list[str], str]:
    """Per-period MRR bridge (money) and logo counts, as one pandas frame."""
    freq = periods.check_freq(freq)
    ds, by_cols, attrs, as_of = _setup(
        data, "subscriptions", by=by, freq=freq, as_of=as_of
    )
    agg = engine.execute(
        _flows(ds.subscriptions, freq=freq, as_of=as_of, attrs=attrs, by_cols=by_cols)
    )
    g = grid(agg, by_cols, freq, as_of, _FLOW_METRICS)
    end_cents = cumsum(g, "d_mrr", by_cols)
    out = g[["period", *by_cols]].copy()
    out["mrr_start"] = (end_cents - g["d_mrr"]) / states.CENTS
    for m in _MOVEMENTS:
        out[m] = g[m] / states.CENTS
    out["mrr_end"] = end_cents / states.CENTS
    out["mrr_net_new"] = g["d_mrr"] / states.CENTS
    logo = states.logo_counts(g, by_cols)
    for col in (
        "customers_start",
        "customers_new",
        "customers_churned",
        "customers_end",
    ):
        out[col] = logo[col]
    return out, by_cols, freq


@share_docs
def mrr_movements(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
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
        One row per period (and ``by`` group): ``mrr_start``, ``mrr_new``,
        ``mrr_expansion``, ``mrr_contraction``, ``mrr_churn``, ``mrr_reactivation``,
        ``mrr_end``, ``mrr_net_new`` (money, in the data's currency; movements
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

    **Formula.** ``mrr_end = mrr_start + mrr_new + mrr_expansion + mrr_reactivation -
    mrr_contraction - mrr_churn``, exactly (sums in integer cents);
    ``mrr_net_new = mrr_end - mrr_start``.

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
    ['period', 'mrr_start', 'mrr_new', 'mrr_expansion', 'mrr_contraction',
     'mrr_churn', 'mrr_reactivation', 'mrr_end']
    >>> last = m.iloc[-1]
    >>> bridge = (last.mrr_start + last.mrr_new + last.mrr_expansion
    ...           + last.mrr_reactivation - last.mrr_contraction - last.mrr_churn)
    >>> bool(abs(bridge - last.mrr_end) < 0.005)
    True
    """
    if per == "customer":
        return customer_mrr_movements(data, by=by, freq=freq, as_of=as_of)
    if per != "period":
        raise ParameterError(f"per={per!r} must be 'period' or 'customer'.")
    out, by_cols, _freq = _flow_table(data, by=by, freq=freq, as_of=as_of)
    cols = ["period", *by_cols, "mrr_start", *_MOVEMENTS, "mrr_end", "mrr_net_new"]
    return out[cols]


@share_docs
def customer_mrr_movements(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
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
    out = out[out["period"] <= periods.last_complete_period(as_of, freq)]
    return out.sort_values(["period", "customer_id"], kind="stable").reset_index(
        drop=True
    )


@share_docs
def revenue_metrics(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
    gross_margin: float | None = None,
    margin: float | None = None,
) -> pd.DataFrame:
    """Every revenue metric per period: bridge, revenue churn, NRR, GRR, ARPA, LTV.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}
    {gross_margin}
    margin : float, optional
        Deprecated alias of ``gross_margin``.

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, the bridge (``mrr_start, mrr_new, mrr_expansion,
        mrr_contraction, mrr_churn, mrr_reactivation, mrr_end, mrr_net_new``), then
        each rate
        after its numerator and denominator: ``mrr_lost_gross,
        gross_revenue_churn_rate, mrr_lost_net, net_revenue_churn_rate,
        mrr_retained, nrr, mrr_retained_gross, grr, mrr_gained, quick_ratio,
        customers_start, customers_churned, churn_rate, customers_end, arpa,
        lifetime_periods, lifetime_months, gross_margin, gross_margin_assumed,
        ltv``.

    Raises
    ------
    ParameterError
        For a bad ``freq``, ``as_of``, ``by`` or ``gross_margin``.

    Notes
    -----
    **Definition.** All MRR figures are those of :func:`mrr_movements`; logo
    counts those of :func:`customer_churn`. NRR and GRR are on the customers
    active at the period's start (their expansion, contraction and churn; new and
    reactivated MRR are not in them).

    **Formula.**
    ``gross_revenue_churn_rate = (mrr_churn + mrr_contraction) / mrr_start``;
    ``net_revenue_churn_rate = (mrr_churn + mrr_contraction - mrr_expansion) /
    mrr_start``;
    ``nrr = (mrr_start + mrr_expansion - mrr_contraction - mrr_churn) / mrr_start``;
    ``grr = (mrr_start - mrr_contraction - mrr_churn) / mrr_start``;
    ``quick_ratio = (mrr_new + mrr_expansion + mrr_reactivation) / (mrr_contraction +
    mrr_churn)``;
    ``arpa = mrr_end / customers_end``;
    ``lifetime_periods = 1 / churn_rate``;
    ``ltv = arpa * gross_margin * lifetime_months``, i.e. ARPA x margin /
    monthly churn rate when ``freq="M"``.

    **Convention.** Gross revenue churn and ``churn_rate`` use the start of the
    period as denominator (ChartMogul's standard formula, Baremetrics' revenue
    churn). Net revenue churn is ``1 - nrr``: expansion offsets losses, but
    reactivated MRR does not (ChartMogul also offsets reactivation; add it back
    from the ``mrr_reactivation`` column to compare). The quick ratio counts
    reactivation as growth, as in the original Social Capital definition.
    ARPA is read at the period's end, over all active accounts. The simple
    lifetime and LTV assume the period's churn rate holds forever; use
    ``freq="Q"`` or ``"Y"`` to steady them, and the survival module for a
    censoring-aware lifetime. Rates are NaN when their denominator is 0, LTV too
    when nobody churned.

    Examples
    --------
    >>> import churnlab as cl
    >>> r = cl.revenue_metrics(cl.sample_dataset(), gross_margin=0.8)
    >>> last = r.iloc[-1]
    >>> bool(last.grr <= last.nrr)
    True
    >>> bool(abs(last.ltv - last.arpa * 0.8 / last.churn_rate) < 1e-6)
    True
    """
    gm, assumed = _gross_margin(gross_margin, margin)
    out, by_cols, freq = _flow_table(data, by=by, freq=freq, as_of=as_of)
    s = out["mrr_start"]
    out["mrr_lost_gross"] = out["mrr_churn"] + out["mrr_contraction"]
    out["gross_revenue_churn_rate"] = ratio(out["mrr_lost_gross"], s)
    out["mrr_lost_net"] = out["mrr_lost_gross"] - out["mrr_expansion"]
    out["net_revenue_churn_rate"] = ratio(out["mrr_lost_net"], s)
    out["mrr_retained"] = (
        s + out["mrr_expansion"] - out["mrr_contraction"] - out["mrr_churn"]
    )
    out["nrr"] = ratio(out["mrr_retained"], s)
    out["mrr_retained_gross"] = s - out["mrr_contraction"] - out["mrr_churn"]
    out["grr"] = ratio(out["mrr_retained_gross"], s)
    out["mrr_gained"] = out["mrr_new"] + out["mrr_expansion"] + out["mrr_reactivation"]
    out["quick_ratio"] = ratio(out["mrr_gained"], out["mrr_lost_gross"])
    out["churn_rate"] = ratio(out["customers_churned"], out["customers_start"])
    out["arpa"] = ratio(out["mrr_end"], out["customers_end"])
    out["lifetime_periods"] = ratio(pd.Series(1.0, index=out.index), out["churn_rate"])
    out["lifetime_months"] = out["lifetime_periods"] * MONTHS_PER_PERIOD[freq]
    out["gross_margin"] = gm
    out["gross_margin_assumed"] = assumed
    out["ltv"] = out["arpa"] * out["gross_margin"] * out["lifetime_months"]
    cols = [
        "period",
        *by_cols,
        "mrr_start",
        *_MOVEMENTS,
        "mrr_end",
        "mrr_net_new",
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
        "gross_margin",
        "gross_margin_assumed",
        "ltv",
    ]
    return out[cols]


def _subset(data: DataLike, cols: list[str], **kwargs: object) -> pd.DataFrame:
    full = revenue_metrics(data, **kwargs)
    return full[["period", *by_list(kwargs.get("by")), *cols]]


def _view(name: str, cols: list[str], doc: str) -> Callable[..., pd.DataFrame]:
    """A thin public view of :func:`revenue_metrics`: the same numbers, fewer columns.

    The shared parameter text is written once, here; ``doc`` holds the summary,
    ``Returns`` and ``Notes`` of the view.
    """

    def view(
        data: DataLike,
        *,
        by: ByLike = None,
        freq: Freq = "M",
        as_of: DateLike | None = None,
    ) -> pd.DataFrame:
        return _subset(data, cols, by=by, freq=freq, as_of=as_of)

    summary, rest = doc.split("\n\n", 1)
    view.__doc__ = (
        summary
        + """

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}

"""
        + rest
    )
    view.__name__ = view.__qualname__ = name
    return share_docs(view)


revenue_churn = _view(
    "revenue_churn",
    [
        "mrr_start",
        "mrr_churn",
        "mrr_contraction",
        "mrr_expansion",
        "mrr_lost_gross",
        "gross_revenue_churn_rate",
        "mrr_lost_net",
        "net_revenue_churn_rate",
    ],
    """Gross and net revenue (MRR) churn rate per period.

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``mrr_start, mrr_churn, mrr_contraction, mrr_expansion,
        mrr_lost_gross, gross_revenue_churn_rate, mrr_lost_net,
        net_revenue_churn_rate``.

    Notes
    -----
    **Definition.** The share of the MRR held at the period's start that was
    lost to cancellations and downgrades (gross), net of upgrades (net).

    **Formula.** ``gross_revenue_churn_rate = (mrr_churn + mrr_contraction) /
    mrr_start``; ``net_revenue_churn_rate = (mrr_churn + mrr_contraction -
    mrr_expansion) /
    mrr_start``, negative when expansion exceeds the losses.

    **Convention.** See :func:`revenue_metrics`: net revenue churn is
    ``1 - nrr`` (reactivation not offset).

    Examples
    --------
    >>> import churnlab as cl
    >>> r = cl.revenue_churn(cl.sample_dataset()).dropna()
    >>> bool((r["net_revenue_churn_rate"] <= r["gross_revenue_churn_rate"]).all())
    True
    """,
)


nrr = _view(
    "nrr",
    [
        "mrr_start",
        "mrr_expansion",
        "mrr_contraction",
        "mrr_churn",
        "mrr_retained",
        "nrr",
    ],
    """Net revenue retention per period.

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``mrr_start, mrr_expansion, mrr_contraction, mrr_churn,
        mrr_retained, nrr``.

    Notes
    -----
    **Definition.** MRR at the period's end from the customers active at its
    start, over their MRR at the start.

    **Formula.** ``nrr = (mrr_start + mrr_expansion - mrr_contraction - mrr_churn) /
    mrr_start``; above 1 when expansion beats the losses.

    **Convention.** Reactivated and new customers are excluded (they were not
    active at the start). ``freq="Y"`` gives the calendar-year NRR investors
    quote (customers active on 1 January, their MRR on 31 December).

    Examples
    --------
    >>> import churnlab as cl
    >>> n = cl.nrr(cl.sample_dataset(), freq="Y", as_of="2025-12-31")
    >>> n["period"].dt.year.tolist()
    [2023, 2024, 2025]
    """,
)


grr = _view(
    "grr",
    ["mrr_start", "mrr_contraction", "mrr_churn", "mrr_retained_gross", "grr"],
    """Gross revenue retention per period.

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``mrr_start, mrr_contraction, mrr_churn,
        mrr_retained_gross, grr``.

    Notes
    -----
    **Definition.** The share of the start-of-period MRR kept, ignoring
    expansion.

    **Formula.** ``grr = (mrr_start - mrr_contraction - mrr_churn) / mrr_start``; never
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
    """,
)


quick_ratio = _view(
    "quick_ratio",
    [
        "mrr_new",
        "mrr_expansion",
        "mrr_reactivation",
        "mrr_gained",
        "mrr_contraction",
        "mrr_churn",
        "mrr_lost_gross",
        "quick_ratio",
    ],
    """SaaS quick ratio per period: MRR gained over MRR lost.

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``mrr_new, mrr_expansion, mrr_reactivation, mrr_gained,
        mrr_contraction, mrr_churn, mrr_lost_gross, quick_ratio``.

    Notes
    -----
    **Definition.** How many units of MRR are added for each unit lost.

    **Formula.** ``quick_ratio = (mrr_new + mrr_expansion + mrr_reactivation) /
    (mrr_contraction + mrr_churn)``; NaN when nothing was lost.

    **Convention.** Reactivation counts as growth (Social Capital's original
    definition; Baremetrics leaves it out).

    Examples
    --------
    >>> import churnlab as cl
    >>> q = cl.quick_ratio(cl.sample_dataset())
    >>> bool((q["quick_ratio"].dropna() >= 0).all())
    True
    """,
)


arpa = _view(
    "arpa",
    ["mrr_end", "customers_end", "arpa"],
    """Average revenue per account (MRR per active customer) at each period's end.

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``mrr_end, customers_end, arpa``.

    Notes
    -----
    **Definition.** MRR divided by the number of active accounts, read at the
    period's end.

    **Formula.** ``arpa = mrr_end / customers_end``.

    **Convention.** Every active account counts, including any on a zero-MRR
    subscription (ChartMogul counts paying customers only).

    Examples
    --------
    >>> import churnlab as cl
    >>> a = cl.arpa(cl.sample_dataset(), by="segment")
    >>> sorted(a["segment"].unique())
    ['Enterprise', 'Mid-Market', 'SMB']
    """,
)


@share_docs
def ltv(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
    gross_margin: float | None = None,
    margin: float | None = None,
) -> pd.DataFrame:
    """Simple customer lifetime value: ARPA x gross margin / churn rate.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {by}
    {freq}
    {as_of}
    {gross_margin}
    margin : float, optional
        Deprecated alias of ``gross_margin``.

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``mrr_end, customers_end, arpa, customers_start,
        customers_churned, churn_rate, lifetime_periods, lifetime_months,
        gross_margin, gross_margin_assumed, ltv``: the margin used sits beside
        the LTV it produced, flagged when it was not given.

    Notes
    -----
    **Definition.** The gross profit an average account brings over an average
    lifetime, if the period's ARPA and churn rate held forever.

    **Formula.** ``lifetime_periods = 1 / churn_rate``; ``lifetime_months =
    lifetime_periods x months per period``; ``ltv = arpa x gross_margin x
    lifetime_months`` (= ARPA x margin / churn rate for monthly periods).

    **Convention.** ChartMogul's LTV (ARPA / customer churn rate) with a margin
    factor that is 1 unless given (an unknown margin is not guessed; the
    ``gross_margin_assumed`` column says when none was given).
    factor. The simple lifetime ignores censoring and tenure effects; the
    survival module's restricted mean survival time is the censoring-aware
    alternative. NaN when nobody churned in the period.

    Examples
    --------
    >>> import churnlab as cl
    >>> v = cl.ltv(cl.sample_dataset(), freq="Q", gross_margin=0.8,
    ...            as_of="2026-09-30")
    >>> last = v.iloc[-1]
    >>> int(last.customers_churned), int(last.customers_start)
    (197, 2350)
    >>> print(f"{{last.churn_rate:.4f}} {{last.lifetime_months:.1f}} {{last.ltv:,.0f}}")
    0.0838 35.8 50,127
    """
    return _subset(
        data,
        [
            "mrr_end",
            "customers_end",
            "arpa",
            "customers_start",
            "customers_churned",
            "churn_rate",
            "lifetime_periods",
            "lifetime_months",
            "gross_margin",
            "gross_margin_assumed",
            "ltv",
        ],
        by=by,
        freq=freq,
        as_of=as_of,
        gross_margin=gross_margin,
        margin=margin,
    )
