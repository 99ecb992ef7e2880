"""The pipeline: leads to opportunities to won, velocity, stage conversion."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnlab import contract, engine, periods
from churnlab.errors import ChurnlabWarning, ParameterError
from churnlab.sales._common import (
    _SECONDS_PER_DAY,
    _by_list,
    _check_by,
    _closed_at,
    _dataset,
    _days,
    _default_period,
    _docs,
    _groups,
    _in,
    _int,
    _is_dataset_folder,
    _lit,
    _lost_by,
    _open_at,
    _ratio,
    _tidy_keys,
    _Window,
    _window,
    _won_by,
)

__all__ = [
    "lead_conversion",
    "pipeline_funnel",
    "sales_velocity",
    "stage_conversion",
    "pipeline_by_stage",
]


@_docs
def lead_conversion(
    data: Any,
    *,
    by: str | Sequence[str] | None = "source",
    period: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Lead to opportunity and lead to won conversion, by lead source.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Leads with ``lead_id, created_at`` and ``converted_at``, ``deal_id``,
        ``source``; a Dataset with deals also gives the won step.
    by : str or list of str, optional, default "source"
        Lead columns to break down by; None for one row.
    {period}
        The cohort: leads *created* in it.
    {cas_of}

    Returns
    -------
    pandas.DataFrame
        One row per group: ``leads``, ``leads_converted``,
        ``lead_to_opportunity_rate``, ``leads_won``, ``lead_to_won_rate``,
        ``days_to_convert_median``, ``days_to_convert_mean``.

    Notes
    -----
    **Definition.** A lead converts when it becomes an opportunity (a deal):
    ``converted_at`` set before the cutoff. It is won when its deal is won
    before the cutoff.

    **Formula.** ``lead_to_opportunity_rate = leads_converted / leads``;
    ``lead_to_won_rate = leads_won / leads``; days to convert =
    ``converted_at - created_at`` over converted leads.

    **Convention.** Cohort rates: leads created in the period, followed to the
    as-of date. Leads created just before it have had little time and pull the
    rate down; compare mature cohorts, or use :func:`pipeline_funnel`, which
    reports the deals still open apart.

    Examples
    --------
    >>> import churnlab as cl
    >>> lc = cl.lead_conversion(cl.sample_dataset())
    >>> lc["source"].tolist()
    ['event', 'inbound', 'outbound', 'partner']
    >>> planted = [0.25, 0.35, 0.15, 0.50]  # data/README.md
    >>> bool((lc["lead_to_opportunity_rate"] - planted).abs().max() < 0.02)
    True
    """
    ds = _dataset(data, "leads")
    leads = ds.table("leads")
    by_cols = _by_list(by)
    _check_by(leads, "leads", by_cols)
    w = _window(period, as_of=as_of, data=ds, follow=True)
    expr = _lead_expr(ds, leads, w, by_cols)
    frame = engine.execute(expr)
    frame.insert(
        frame.columns.get_loc("leads_converted") + 1,
        "lead_to_opportunity_rate",
        _ratio(frame["leads_converted"], frame["leads"]),
    )
    frame.insert(
        frame.columns.get_loc("leads_won") + 1,
        "lead_to_won_rate",
        _ratio(frame["leads_won"], frame["leads"]),
    )
    frame = (
        frame.sort_values(by_cols, kind="stable", ignore_index=True)
        if by_cols
        else frame
    )
    frame.attrs.update(period=w.label, as_of=w.seen - pd.Timedelta(days=1))
    return _tidy_keys(frame, by_cols)


def _lead_flags(ds: contract.Dataset, leads: ir.Table, w: _Window) -> ir.Table:
    cohort = leads.filter(_in(leads.created_at, w))
    if "converted_at" in cohort.columns:
        converted = (cohort.converted_at < _lit(w.seen)).fill_null(False)
    else:
        converted = cohort.deal_id.notnull() if "deal_id" in cohort.columns else False
        converted = ibis.literal(False) if converted is False else converted
    cohort = cohort.mutate(converted=converted)
    deals = ds.deals
    if deals is not None and "deal_id" in cohort.columns:
        d = deals.select(d_id=deals.deal_id, d_won=_won_by(deals, w.seen))
        cohort = cohort.left_join(d, cohort.deal_id == d.d_id).drop("d_id")
        cohort = cohort.mutate(won=cohort.d_won.fill_null(False) & cohort.converted)
    else:
        cohort = cohort.mutate(won=ibis.null("boolean"))
    return cohort


def _lead_expr(
    ds: contract.Dataset, leads: ir.Table, w: _Window, by: list[str]
) -> ir.Table:
    cohort = _lead_flags(ds, leads, w)
    if "converted_at" in cohort.columns:
        days = ibis.cases(
            (cohort.converted, _days(cohort.converted_at, cohort.created_at))
        )
    else:
        days = ibis.null("float64")
    cohort = cohort.mutate(days=days)
    aggs = {
        "leads": cohort.count(),
        "leads_converted": _int(cohort.converted).sum(),
        "leads_won": _int(cohort.won).sum(),
        "days_to_convert_median": cohort.days.median(),
        "days_to_convert_mean": cohort.days.mean(),
    }
    if by:
        return cohort.group_by(by).agg(**aggs)
    return cohort.aggregate(**aggs)


@_docs
def pipeline_funnel(
    data: Any,
    *,
    period: Any = None,
    by: str | Sequence[str] | None = None,
    as_of: Any = None,
    visitors: int | None = None,
) -> pd.DataFrame:
    """The sales funnel: (visitors ->) leads -> opportunities -> won.

    Parameters
    ----------
    data : Dataset or path
        Holds ``leads`` (and ``deals`` for the won step); without leads the
        funnel starts at opportunities (deals).
    {period}
        The cohort: leads (or deals) *created* in it.
    by : str or list of str, optional
        Lead columns (e.g. ``"source"``), or deal columns when there are no leads.
    {cas_of}
    visitors : int, optional
        Site visitors in the period (no contract table holds them); adds a first
        step ``visitors``.

    Returns
    -------
    pandas.DataFrame
        One row per step (and group): ``step_index``, ``step``, ``count``,
        ``count_previous``, ``conversion_from_previous``, ``count_first``,
        ``conversion_from_first``, ``still_open``, ``lost``, ``in_progress``.

    Notes
    -----
    **Definition.** A cohort of leads created in the period, followed to the
    as-of date: ``opportunities`` are leads converted to a deal, ``won`` those
    whose deal was won.

    **Formula.** ``conversion_from_previous = count / count_previous``;
    ``conversion_from_first = count / count_first``.

    **Convention.** Every step says how many of its count are still open at
    the as-of date (``still_open``: leads not yet converted, opportunities
    whose deal is neither won nor lost) and how many dropped out (``lost``:
    opportunities whose deal was lost; NaN for leads and visitors, which hold
    no lost state), so a fresh cohort reads "still open", not "dead":
    ``count = still_open + lost + count of the next step`` for opportunities.
    ``in_progress`` on the ``won`` row counts opportunities
    still open at the as-of date: they are neither won nor lost yet (censored),
    so a young cohort's won conversion is a floor, not an estimate; see
    :func:`win_rates` for the censoring-aware rate. ``visitors`` is a parameter
    because no table holds them.

    Examples
    --------
    >>> import churnlab as cl
    >>> p = cl.pipeline_funnel(cl.sample_dataset(), period="2026-01")
    >>> p["step"].tolist()
    ['leads', 'opportunities', 'won']
    """
    if isinstance(data, contract.Dataset) or _is_dataset_folder(data):
        ds = contract.load_dataset(data)
    else:
        ds = _dataset(data, "leads")
    by_cols = _by_list(by)
    if visitors is not None and (
        isinstance(visitors, bool) or not isinstance(visitors, int | np.integer)
    ):
        raise ParameterError(f"visitors={visitors!r} must be a whole number.")
    if ds.leads is not None:
        leads = ds.leads
        _check_by(leads, "leads", by_cols)
        w = _window(period, as_of=as_of, data=ds, follow=True)
        cohort = _lead_flags(ds, leads, w)
        if ds.deals is not None and "deal_id" in cohort.columns:
            d = ds.deals
            opn = d.select(o_id=d.deal_id, o_open=_open_at(d, w.seen))
            cohort = cohort.left_join(opn, cohort.deal_id == opn.o_id).drop("o_id")
            still = cohort.converted & cohort.o_open.fill_null(False)
            gone = cohort.converted & ~still & ~cohort.won
        else:
            still = ibis.literal(False)
            gone = ibis.literal(False)
        aggs = {
            "n_leads": cohort.count(),
            "n_opportunities": _int(cohort.converted).sum(),
            "n_won": _int(cohort.won).sum(),
            "open_won": _int(still).sum(),
            "lost_opportunities": _int(gone).sum(),
        }
        steps = ["leads", "opportunities", "won"]
        has_won = ds.deals is not None
    else:
        deals = ds.table("deals")
        _check_by(deals, "deals", by_cols)
        w = _window(period, as_of=as_of, data=ds, follow=True)
        cohort = deals.filter(_in(deals.created_at, w))
        aggs = {
            "n_opportunities": cohort.count(),
            "n_won": _int(_won_by(cohort, w.seen)).sum(),
            "open_won": _int(_open_at(cohort, w.seen)).sum(),
            "lost_opportunities": _int(_lost_by(cohort, w.seen)).sum(),
        }
        steps = ["opportunities", "won"]
        has_won = True
    expr = cohort.group_by(by_cols).agg(**aggs) if by_cols else cohort.aggregate(**aggs)
    wide = engine.execute(expr)
    frames = []
    names = (["visitors"] if visitors is not None else []) + steps
    for i, step in enumerate(names, 1):
        f = wide[by_cols].copy()
        f["step_index"] = i
        f["step"] = step
        if step == "visitors":
            f["count"] = int(visitors)
        else:
            f["count"] = wide[f"n_{step}"].fillna(0).astype("int64")
        if step == "won" and not has_won:
            f["count"] = np.nan
        open_opps = wide["open_won"].fillna(0).astype("int64")
        f["in_progress"] = open_opps if step == "won" else 0
        if step == "leads":
            f["still_open"] = f["count"] - wide["n_opportunities"].fillna(0)
            f["lost"] = np.nan
        elif step == "opportunities":
            f["still_open"] = open_opps
            f["lost"] = wide["lost_opportunities"].fillna(0).astype("int64")
        elif step == "won":
            f["still_open"] = 0
            f["lost"] = 0
        else:
            f["still_open"] = np.nan
            f["lost"] = np.nan
        frames.append(f)
    out = pd.concat(frames, ignore_index=True).sort_values(
        [*by_cols, "step_index"], kind="stable", ignore_index=True
    )
    grp = out.groupby(by_cols, dropna=False, sort=False)["count"] if by_cols else None
    prev = grp.shift(1) if grp is not None else out["count"].shift(1)
    first = grp.transform("first") if grp is not None else out["count"].iloc[0]
    out["count_previous"] = prev.fillna(out["count"])
    out["count_first"] = first
    out["conversion_from_previous"] = _ratio(out["count"], out["count_previous"])
    out["conversion_from_first"] = _ratio(out["count"], out["count_first"])
    cols = [
        *by_cols,
        "step_index",
        "step",
        "count",
        "count_previous",
        "conversion_from_previous",
        "count_first",
        "conversion_from_first",
        "still_open",
        "lost",
        "in_progress",
    ]
    out = out[cols]
    out.attrs.update(period=w.label, as_of=w.seen - pd.Timedelta(days=1))
    return _tidy_keys(out, by_cols)


# ------------------------------------------------------------------ quotas etc.


@_docs
def sales_velocity(
    data: Any,
    *,
    period: Any = None,
    by: str | Sequence[str] | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Sales velocity: expected revenue per day from the current pipeline flow.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Deals.
    {period}
        Default: the data's last complete month.
    by : str or list of str, optional
        Deal columns to break down by.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per group: ``opportunities`` (deals created), ``deals_won``,
        ``deals_closed``, ``win_rate``, ``revenue_won``, ``average_deal_size``,
        ``cycle_days_total``, ``cycle_days_mean``, ``velocity_per_day``.

    Notes
    -----
    **Definition.** How much revenue the pipeline produces per day, from four
    levers: opportunities, deal size, win rate and cycle length.

    **Formula.** ``velocity_per_day = opportunities x average_deal_size x
    win_rate / cycle_days_mean`` with ``win_rate = deals_won / deals_closed``,
    ``average_deal_size = revenue_won / deals_won`` and ``cycle_days_mean =
    cycle_days_total / deals_won``.

    **Convention.** All inputs are flows in the period: deals created, and
    deals closed (won or lost) in it.

    Examples
    --------
    >>> import churnlab as cl
    >>> v = cl.sales_velocity(cl.sample_dataset(), period="2026-Q3")
    >>> bool(v["velocity_per_day"].iloc[0] > 0)
    True
    """
    ds = _dataset(data, "deals")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    if period is None:
        period = _default_period(ds, as_of)
    w = _window(period, as_of=as_of, data=ds)
    closed_in = _in(_closed_at(deals), w)
    won = _won_by(deals, w.end) & closed_in
    lost = _lost_by(deals, w.end) & closed_in
    aggs = {
        "opportunities": _int(_in(deals.created_at, w)).sum(),
        "deals_won": _int(won).sum(),
        "deals_closed": _int(won | lost).sum(),
        "revenue_won": ibis.cases((won, deals.amount), else_=0.0).sum(),
        "cycle_days_total": ibis.cases(
            (won, _days(_closed_at(deals), deals.created_at)), else_=0.0
        ).sum(),
    }
    expr = deals.group_by(by_cols).agg(**aggs) if by_cols else deals.aggregate(**aggs)
    f = engine.execute(expr)
    f["win_rate"] = _ratio(f["deals_won"], f["deals_closed"])
    f["average_deal_size"] = _ratio(f["revenue_won"], f["deals_won"])
    f["cycle_days_mean"] = _ratio(f["cycle_days_total"], f["deals_won"])
    f["velocity_per_day"] = _ratio(
        f["opportunities"] * f["average_deal_size"] * f["win_rate"],
        f["cycle_days_mean"],
    )
    cols = [
        *by_cols,
        "opportunities",
        "deals_won",
        "deals_closed",
        "win_rate",
        "revenue_won",
        "average_deal_size",
        "cycle_days_total",
        "cycle_days_mean",
        "velocity_per_day",
    ]
    f = f[cols]
    if by_cols:
        f = f.sort_values(by_cols, kind="stable", ignore_index=True)
    f.attrs.update(period=w.label)
    return _tidy_keys(f, by_cols)


# ------------------------------------------------------------------ stages


def _stage_chain(names: list[str], order: pd.Series) -> tuple[list[str], set[str]]:
    """Chain stages in order of their mean position, and the lost stages."""
    lost = {n for n in names if "lost" in n.lower()}
    chain = [n for n in order.sort_values(kind="stable").index if n not in lost]
    return chain, lost


@_docs
def stage_conversion(
    data: Any,
    *,
    stages: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Stage-to-stage conversion and time in stage, from the stage history.

    Parameters
    ----------
    data : Dataset or path
        Holds ``deal_stages`` (deal_id, stage, entered_at) and ``deals``.
    stages : list of str, optional
        The pipeline stages in order, won stage last (e.g. ``["qualified",
        "demo", "proposal", "negotiation", "closed_won"]``). Default: the stages
        in the order deals enter them on average, leaving out stages whose name
        contains "lost" (the lost outcome).
    by : str or list of str, optional
        Deal columns to break down by.
    {period}
        The cohort: deals *created* in it.
    {cas_of}

    Returns
    -------
    pandas.DataFrame
        One row per stage but the last (and group): ``stage_index``, ``stage``,
        ``next_stage``, ``deals_entered``, ``deals_in_stage`` (still there at
        as-of: censored), ``deals_lost`` (lost from here), ``deals_advanced``,
        ``conversion_rate``, ``days_in_stage_median``, ``days_in_stage_mean``.

    Notes
    -----
    **Definition.** A deal that entered a stage advances when it later enters
    any later stage of the chain (or is won); it is lost from the stage when it
    is lost without advancing; otherwise it is still in the stage.

    **Formula.** ``conversion_rate = deals_advanced / (deals_advanced +
    deals_lost)``; days in stage = first entry of the next stage reached minus
    entry of this one, over advancing deals.

    **Convention.** Deals still in a stage are censored, not failures: they
    are left out of the rate's denominator and reported in
    ``deals_in_stage``. Skipped stages count as passed through: entering a
    later stage advances every earlier stage the deal entered.

    Examples
    --------
    >>> import churnlab as cl
    >>> s = cl.stage_conversion(cl.sample_dataset())
    >>> s["stage"].tolist()
    ['qualified', 'demo', 'proposal', 'negotiation']
    """
    ds = data if isinstance(data, contract.Dataset) else contract.load_dataset(data)
    hist = ds.table("deal_stages")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    w = _window(
        period,
        as_of=as_of,
        data=ds,
        follow=True,
    )
    cohort = deals.filter(_in(deals.created_at, w))
    d = cohort.select(
        *by_cols,
        d_id=cohort.deal_id,
        d_won=_won_by(cohort, w.seen),
        d_lost=_lost_by(cohort, w.seen),
    )
    h = hist.filter(hist.entered_at < _lit(w.seen))
    h = h.group_by(["deal_id", "stage"]).agg(entered_at=h.entered_at.min())
    h = h.join(d, h.deal_id == d.d_id).drop("d_id")
    rows = engine.execute(h)
    if stages is None:
        rank = rows.groupby("deal_id")["entered_at"].rank(method="average")
        order = rank.groupby(rows["stage"]).mean()
        chain, _lost = _stage_chain(sorted(rows["stage"].unique()), order)
    else:
        chain = [str(s) for s in stages]
        if len(chain) < 2:
            raise ParameterError("stages= needs at least two stages.")
        unknown = set(chain) - set(rows["stage"].unique())
        if unknown and not rows.empty:
            warnings.warn(
                f"deal_stages: stage(s) {', '.join(sorted(unknown))} never entered.",
                ChurnlabWarning,
                stacklevel=2,
            )
    pos = {s: i for i, s in enumerate(chain)}
    rows = rows[rows["stage"].isin(chain)].copy()
    rows["idx"] = rows["stage"].map(pos)
    wide = rows.pivot_table(
        index="deal_id", columns="idx", values="entered_at", aggfunc="min"
    )
    meta = rows.drop_duplicates("deal_id").set_index("deal_id")[
        [*by_cols, "d_won", "d_lost"]
    ]
    meta = meta.reindex(wide.index)
    out = []
    n = len(chain)
    for i in range(n - 1):
        if i not in wide.columns:
            continue
        entered = wide[i].notna()
        later = [j for j in range(i + 1, n) if j in wide.columns]
        nxt = wide[later].min(axis=1) if later else pd.Series(pd.NaT, index=wide.index)
        advanced = entered & (nxt.notna() | meta["d_won"].astype(bool))
        lost = entered & ~advanced & meta["d_lost"].astype(bool)
        days = (nxt - wide[i]).dt.total_seconds() / _SECONDS_PER_DAY
        f = pd.DataFrame(
            {
                "entered": entered,
                "advanced": advanced,
                "lost": lost,
                "days": days.where(advanced & nxt.notna()),
            }
        )
        for c in by_cols:
            f[c] = meta[c]
        for key, g in _groups(f[f["entered"]], by_cols):
            rec: dict[str, Any] = dict(zip(by_cols, key, strict=True))
            adv, lst = int(g["advanced"].sum()), int(g["lost"].sum())
            rec.update(
                stage_index=i + 1,
                stage=chain[i],
                next_stage=chain[i + 1],
                deals_entered=len(g),
                deals_in_stage=len(g) - adv - lst,
                deals_lost=lst,
                deals_advanced=adv,
                conversion_rate=_ratio(adv, adv + lst),
                days_in_stage_median=float(g["days"].median()),
                days_in_stage_mean=float(g["days"].mean()),
            )
            out.append(rec)
    frame = pd.DataFrame(out)
    if by_cols and not frame.empty:
        frame = frame.sort_values([*by_cols, "stage_index"], ignore_index=True)
    frame.attrs.update(period=w.label, stages=chain)
    return _tidy_keys(frame, by_cols)


@_docs
def pipeline_by_stage(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Open pipeline by current stage at the as-of date.

    Parameters
    ----------
    data : Dataset or path
        Holds ``deals`` (and ``deal_stages`` to read past stages).
    by : str or list of str, optional
        Deal columns to break down by.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per stage (and group): ``stage``, ``deals_open``,
        ``pipeline_open``, ``age_days_mean``.

    Notes
    -----
    **Definition.** Deals open at the cutoff (created before it, not closed
    before it), by the latest stage entered before the cutoff.

    **Formula.** ``pipeline_open = sum(amount)``; ``age_days_mean =
    mean(cutoff - created_at)``.

    **Convention.** With ``deal_stages`` the stage is read from the history,
    so a past as-of date shows the pipeline as it was; without it, the
    deal's current ``stage`` column is used.

    Examples
    --------
    >>> import churnlab as cl
    >>> p = cl.pipeline_by_stage(cl.sample_dataset())
    >>> p["stage"].tolist()
    ['qualified', 'demo', 'proposal', 'negotiation']
    """
    ds = _dataset(data, "deals")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    day = periods.as_of_for(ds, as_of=as_of, freq="D")
    cut = periods.cutoff(day)
    live = deals.filter(_open_at(deals, cut))
    live = live.mutate(age=_days(_lit(cut), live.created_at))
    if ds.deal_stages is not None:
        h = ds.deal_stages
        h = h.filter(h.entered_at < _lit(cut))
        h = h.mutate(
            rn=ibis.row_number().over(
                ibis.window(
                    group_by="deal_id", order_by=[ibis.desc(h.entered_at), h.stage]
                )
            )
        )
        cur = h.filter(h.rn == 0).select(s_id=h.deal_id, cur_stage=h.stage)
        live = live.left_join(cur, live.deal_id == cur.s_id)
        stage = live.cur_stage
        if "stage" in deals.columns:
            stage = stage.fill_null(live.stage)
    elif "stage" in deals.columns:
        stage = live.stage
    else:
        raise ParameterError("pipeline_by_stage needs deals.stage or deal_stages.")
    live = live.mutate(stage_now=stage.fill_null("(none)"))
    expr = live.group_by([*by_cols, "stage_now"]).agg(
        deals_open=live.count(),
        pipeline_open=live.amount.sum(),
        age_days_mean=live.age.mean(),
    )
    f = engine.execute(expr).rename(columns={"stage_now": "stage"})
    if ds.deal_stages is not None:
        ranks = _stage_rank(ds, cut)
        f["_r"] = f["stage"].map(ranks).fillna(len(ranks))
    else:
        f["_r"] = 0
    f = f.sort_values([*by_cols, "_r", "stage"], ignore_index=True).drop(columns="_r")
    f = f[[*by_cols, "stage", "deals_open", "pipeline_open", "age_days_mean"]]
    f.attrs.update(as_of=day)
    return _tidy_keys(f, by_cols)


def _stage_rank(ds: contract.Dataset, cut: pd.Timestamp) -> dict[str, float]:
    """Average position of each stage within its deals (the chain order)."""
    h = ds.table("deal_stages")
    h = h.filter(h.entered_at < _lit(cut))
    r = h.mutate(
        pos=ibis.rank().over(ibis.window(group_by="deal_id", order_by=h.entered_at))
    )
    f = engine.execute(r.group_by("stage").agg(pos=r.pos.mean()))
    return dict(zip(f["stage"], f["pos"], strict=True))


# ---------------------------------------------------------------- activities
