"""Deals: win rates, slippage, cycle length and outcomes by deal age.

A cohort of deals (created in a period) followed to the as-of date, plain and
censoring-aware (won and lost as competing risks, lifelines' Aalen-Johansen).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd

from churnlab import engine
from churnlab.sales._common import (
    _by_list,
    _check_by,
    _closed_at,
    _collapse,
    _competing,
    _dataset,
    _days,
    _deal_rows,
    _default_period,
    _docs,
    _fit_aj,
    _groups,
    _in,
    _int,
    _lit,
    _lost_by,
    _ratio,
    _tidy_keys,
    _untied,
    _Window,
    _window,
    _won_by,
)

__all__ = ["win_rates", "sales_cycle", "deal_outcomes_by_age", "deal_flows"]


def _cohort(
    data: Any, by: Any, period: Any, as_of: Any
) -> tuple[pd.DataFrame, list[str], _Window]:
    """One row per deal created in ``period``: outcome and age at ``as_of``."""
    ds = _dataset(data, "deals")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    w = _window(period, as_of=as_of, data=ds, follow=True)
    return engine.execute(_deal_rows(deals, w, by_cols)), by_cols, w


@_docs
def win_rates(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    as_of: Any = None,
    horizon_days: float | None = None,
) -> pd.DataFrame:
    """Win rate and slippage of a cohort of deals, plain and censoring-aware.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Deals with ``deal_id, created_at, status, amount`` and ``closed_at``.
    by : str or list of str, optional
        Deal columns to break down by (``"owner"``, ``"segment"``, ``"source"``).
    {period}
        The cohort: deals *created* in it.
    {cas_of}
    horizon_days : float, optional
        Deal age at which the cumulative incidences are read. Default: the
        oldest age observed in the group (the eventual outcome).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``deals`` (created), ``deals_open`` (at as-of),
        ``deals_won``, ``deals_lost``, ``deals_closed``, ``win_rate``,
        ``slippage_rate``, ``horizon_days``, ``won_by_horizon``,
        ``lost_by_horizon``, ``win_rate_aj``.

    Notes
    -----
    **Definition.** Of the deals created in the period, the share of those that
    closed which were won; and the same share estimated with the deals still
    open, treating won and lost as competing risks by deal age.

    **Formula.** ``win_rate = deals_won / deals_closed``; ``slippage_rate =
    deals_lost / deals_closed``; ``win_rate_aj = won_by_horizon /
    (won_by_horizon + lost_by_horizon)`` where ``won_by_horizon`` is the
    Aalen-Johansen cumulative incidence of a win by age ``horizon_days``
    (lifelines ``AalenJohansenFitter``; tied times jittered with a fixed seed).

    **Convention.** ``win_rate`` uses closed deals only. When lost deals close
    faster than won ones (they usually do), a young cohort has closed mostly
    its losses, so the plain rate reads low; ``win_rate_aj`` keeps the open
    deals in the risk set for as long as they were observed. For old cohorts
    the two agree. Slippage here is the share of closed deals that were lost.

    Examples
    --------
    >>> import churnlab as cl
    >>> w = cl.win_rates(cl.sample_dataset(), by="segment")
    >>> w["segment"].tolist()
    ['Enterprise', 'Mid-Market']
    >>> bool((w["win_rate"] < 0.35).all())
    True
    """
    rows, by_cols, w = _cohort(data, by, period, as_of)
    out = []
    for key, g in _groups(rows, by_cols):
        won = int((g["outcome"] == 1).sum())
        lost = int((g["outcome"] == 2).sum())
        rec: dict[str, Any] = dict(zip(by_cols, key, strict=True))
        rec.update(
            deals=len(g),
            deals_open=int((g["outcome"] == 0).sum()),
            deals_won=won,
            deals_lost=lost,
            deals_closed=won + lost,
        )
        rec["win_rate"] = _ratio(won, won + lost)
        rec["slippage_rate"] = _ratio(lost, won + lost)
        aj = _competing(g, horizon_days)
        rec.update(
            {k: aj[k] for k in ("horizon_days", "won_by_horizon", "lost_by_horizon")}
        )
        rec["win_rate_aj"] = _ratio(
            aj["won_by_horizon"], aj["won_by_horizon"] + aj["lost_by_horizon"]
        )
        out.append(rec)
    frame = pd.DataFrame(out)
    frame.attrs.update(period=w.label, as_of=w.seen - pd.Timedelta(days=1))
    return _tidy_keys(frame, by_cols)


@_docs
def sales_cycle(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    as_of: Any = None,
    horizon_days: float | None = None,
) -> pd.DataFrame:
    """Sales cycle length of won deals, plain and censoring-aware.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Deals with ``created_at``, ``status`` and ``closed_at``.
    by : str or list of str, optional
        Deal columns to break down by (``"owner"``, ``"segment"``).
    {period}
        The cohort: deals *created* in it.
    {cas_of}
    horizon_days : float, optional
        Age up to which wins are counted for the censoring-aware median.
        Default: the oldest age observed in the group.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``deals``, ``deals_open``, ``deals_won``,
        ``cycle_days_total``, ``cycle_days_mean``, ``cycle_days_median``,
        ``horizon_days``, ``cycle_days_median_aj``.

    Notes
    -----
    **Definition.** The cycle of a won deal is the time from ``created_at`` to
    ``closed_at``, in days.

    **Formula.** ``cycle_days_mean = cycle_days_total / deals_won``;
    ``cycle_days_median`` = median over won deals; ``cycle_days_median_aj`` =
    the age ``t`` at which the Aalen-Johansen cumulative incidence of a win
    reaches half its value at the horizon, i.e. the median cycle of the deals
    that win by then, open deals included.

    **Convention.** The plain figures only see deals already won, so a recent
    cohort shows its quick wins and reads short; the competing-risks median
    keeps the open deals (some will still be won, later) and lost deals (which
    leave the risk set) in the estimate.

    Examples
    --------
    >>> import churnlab as cl
    >>> c = cl.sales_cycle(cl.sample_dataset(), by="segment")
    >>> c["segment"].tolist()
    ['Enterprise', 'Mid-Market']
    >>> c["cycle_days_median"].round(-1).tolist()
    [100.0, 50.0]
    """
    rows, by_cols, w = _cohort(data, by, period, as_of)
    out = []
    for key, g in _groups(rows, by_cols):
        won = g.loc[g["outcome"] == 1, "duration_days"]
        rec: dict[str, Any] = dict(zip(by_cols, key, strict=True))
        rec.update(
            deals=len(g),
            deals_open=int((g["outcome"] == 0).sum()),
            deals_won=len(won),
            cycle_days_total=float(won.sum()),
            cycle_days_mean=_ratio(float(won.sum()), len(won)),
            cycle_days_median=float(won.median()) if len(won) else np.nan,
        )
        aj = _competing(g, horizon_days)
        rec["horizon_days"] = aj["horizon_days"]
        rec["cycle_days_median_aj"] = aj["cycle_days_median_aj"]
        out.append(rec)
    frame = pd.DataFrame(out)
    frame.attrs.update(period=w.label, as_of=w.seen - pd.Timedelta(days=1))
    return _tidy_keys(frame, by_cols)


@_docs
def deal_outcomes_by_age(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Share of deals won, lost and still open by deal age (Aalen-Johansen).

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Deals with ``created_at``, ``status`` and ``closed_at``.
    by : str or list of str, optional
        Deal columns to break down by.
    {period}
        The cohort: deals *created* in it.
    {cas_of}

    Returns
    -------
    pandas.DataFrame
        One row per distinct age (and group): ``age_days``, ``deals_at_risk``,
        ``won``, ``won_ci_lower``, ``won_ci_upper``, ``lost``, ``lost_ci_lower``,
        ``lost_ci_upper``, ``open``.

    Notes
    -----
    **Definition.** ``won(t)``: the probability that a new deal is won by age
    ``t``; ``lost(t)`` likewise; ``open(t)``: still open at ``t``.

    **Formula.** Aalen-Johansen cumulative incidence functions for the two
    competing events (lifelines ``AalenJohansenFitter``, 95% intervals);
    ``open = 1 - won - lost``.

    **Convention.** Deals open at the as-of date are censored at their age
    then. Age is measured in days from ``created_at``.

    Examples
    --------
    >>> import churnlab as cl
    >>> a = cl.deal_outcomes_by_age(cl.sample_dataset())
    >>> bool(a["won"].is_monotonic_increasing)
    True
    """
    rows, by_cols, w = _cohort(data, by, period, as_of)
    frames = []
    for key, g in _groups(rows, by_cols):
        if g.empty or not (g["outcome"] > 0).any():
            continue
        dur = _untied(g)
        won = _fit_aj(dur, g["outcome"], 1)
        lost = _fit_aj(dur, g["outcome"], 2)
        cw = _collapse(won.cumulative_density_.iloc[:, 0])
        ages = cw.index.to_numpy(dtype=float)
        cl_ = _collapse(lost.cumulative_density_.iloc[:, 0]).reindex(ages)
        ciw = won.confidence_interval_cumulative_density_
        cil = lost.confidence_interval_cumulative_density_
        ciw = pd.DataFrame({c: _collapse(ciw[c]) for c in ciw.columns}).reindex(ages)
        cil = pd.DataFrame({c: _collapse(cil[c]) for c in cil.columns}).reindex(ages)
        raw = g["duration_days"].to_numpy(dtype=float)
        at_risk = (raw[None, :] >= ages[:, None] - 1e-9).sum(axis=1)
        f = pd.DataFrame(
            {
                "age_days": ages,
                "deals_at_risk": at_risk.astype("int64"),
                "won": cw.to_numpy(),
                "won_ci_lower": ciw.iloc[:, 0].to_numpy(),
                "won_ci_upper": ciw.iloc[:, 1].to_numpy(),
                "lost": cl_.fillna(0.0).to_numpy(),
                "lost_ci_lower": cil.iloc[:, 0].to_numpy(),
                "lost_ci_upper": cil.iloc[:, 1].to_numpy(),
            }
        )
        f["open"] = 1.0 - f["won"] - f["lost"]
        for i, col in enumerate(by_cols):
            f.insert(i, col, key[i])
        frames.append(f)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    frame.attrs.update(period=w.label, as_of=w.seen - pd.Timedelta(days=1))
    return _tidy_keys(frame, by_cols)


@_docs
def deal_flows(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Deals worked, won and lost in a period: win rate, slippage, size, ACV.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Deals with ``deal_id, created_at, status, amount`` and ``closed_at``;
        optional ``expected_close_at`` (slipped deals) and ``contract_value``,
        ``contract_months``, ``one_time_fees`` (ACV).
    by : str or list of str, optional
        Deal columns to break down by (``"owner"``, ``"segment"``).
    {period}
        Default: the data's last complete month.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per group: ``deals_conducted``, ``deals_created``,
        ``deals_won``, ``deals_lost``, ``deals_closed``, ``revenue_won``,
        ``average_deal_size``, ``win_rate``, ``win_rate_closed``,
        ``deal_slippage``, ``cycle_days_total``, ``sales_cycle_length``,
        ``deals_with_contract``, ``acv_total``, ``acv``, ``deals_due``,
        ``deals_slipped``, ``slippage_past_expected_close``.

    Notes
    -----
    **Definition.** The deals *conducted* in the period are those open at some
    instant of it: created before its end and not closed before its start.
    Won (lost) in the period: closed in it with status won (lost). A deal is
    *due* in the period when its ``expected_close_at`` falls in it, and has
    *slipped* when it was not closed by the end of its expected close day
    (read at the period's end).

    **Formula.** ``win_rate = deals_won / deals_conducted`` (the source list's
    "won deals / total deals"); ``win_rate_closed = deals_won / deals_closed``
    (sales practice: won over won + lost); ``deal_slippage = deals_lost /
    deals_conducted``; ``average_deal_size = revenue_won / deals_won``;
    ``sales_cycle_length = cycle_days_total / deals_won`` with a deal's cycle
    = ``closed_at - created_at`` in days; ``acv = acv_total /
    deals_with_contract`` where a won deal's ACV is ``(contract_value -
    one_time_fees) / (contract_months / 12)``; ``slippage_past_expected_close
    = deals_slipped / deals_due``.

    **Convention.** "Closed" in the average deal size and the cycle means won.
    ``win_rate`` counts the deals still open at the period's end in its
    denominator, so it is lower than ``win_rate_closed``; :func:`win_rates`
    gives the cohort view with censoring. Without ``expected_close_at`` the
    slipped-deal columns are NaN; without contract columns, ACV is NaN.

    Examples
    --------
    >>> import churnlab as cl
    >>> f = cl.deal_flows(cl.sample_dataset(), period="2026-10")
    >>> bool(f["win_rate"].iloc[0] < f["win_rate_closed"].iloc[0])
    True
    """
    ds = _dataset(data, "deals")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    if period is None:
        period = _default_period(ds, as_of)
    w = _window(period, as_of=as_of, data=ds)
    closed = _closed_at(deals)
    closed_in = _in(closed, w)
    won = _won_by(deals, w.end) & closed_in
    lost = _lost_by(deals, w.end) & closed_in
    before_start = (
        (_won_by(deals, w.start) | _lost_by(deals, w.start))
        if w.start is not None
        else ibis.literal(False)
    )
    conducted = (deals.created_at < _lit(w.end)) & ~before_start
    aggs: dict[str, Any] = {
        "deals_conducted": _int(conducted.fill_null(False)).sum(),
        "deals_created": _int(_in(deals.created_at, w)).sum(),
        "deals_won": _int(won).sum(),
        "deals_lost": _int(lost).sum(),
        "revenue_won": ibis.cases((won, deals.amount), else_=0.0).sum(),
        "cycle_days_total": ibis.cases(
            (won, _days(closed, deals.created_at)), else_=0.0
        ).sum(),
    }
    has_contract = {"contract_value", "contract_months"} <= set(deals.columns)
    if has_contract:
        fees = (
            deals.one_time_fees.fill_null(0.0)
            if "one_time_fees" in deals.columns
            else ibis.literal(0.0)
        )
        ok = won & deals.contract_value.notnull() & (deals.contract_months > 0)
        ok = ok.fill_null(False)
        per_deal = (deals.contract_value - fees) / (deals.contract_months / 12.0)
        aggs["deals_with_contract"] = _int(ok).sum()
        aggs["acv_total"] = ibis.cases((ok, per_deal), else_=0.0).sum()
    has_expected = "expected_close_at" in deals.columns
    if has_expected:
        due = _in(deals.expected_close_at, w)
        limit = deals.expected_close_at.truncate("D") + ibis.interval(days=1)
        on_time = (
            (deals.status != "open")
            & deals.closed_at.notnull()
            & (closed < limit)
            & (closed < _lit(w.end))
        ).fill_null(False)
        aggs["deals_due"] = _int(due).sum()
        aggs["deals_slipped"] = _int(due & ~on_time).sum()
    expr = deals.group_by(by_cols).agg(**aggs) if by_cols else deals.aggregate(**aggs)
    f = engine.execute(expr)
    for col in ("deals_conducted", "deals_created", "deals_won", "deals_lost"):
        f[col] = f[col].fillna(0).astype("int64")
    f["deals_closed"] = f["deals_won"] + f["deals_lost"]
    f["average_deal_size"] = _ratio(f["revenue_won"], f["deals_won"])
    f["win_rate"] = _ratio(f["deals_won"], f["deals_conducted"])
    f["win_rate_closed"] = _ratio(f["deals_won"], f["deals_closed"])
    f["deal_slippage"] = _ratio(f["deals_lost"], f["deals_conducted"])
    f["sales_cycle_length"] = _ratio(f["cycle_days_total"], f["deals_won"])
    if not has_contract:
        f["deals_with_contract"] = np.nan
        f["acv_total"] = np.nan
    f["acv"] = _ratio(f["acv_total"], f["deals_with_contract"])
    if not has_expected:
        f["deals_due"] = np.nan
        f["deals_slipped"] = np.nan
    f["slippage_past_expected_close"] = _ratio(f["deals_slipped"], f["deals_due"])
    cols = [
        *by_cols,
        "deals_conducted",
        "deals_created",
        "deals_won",
        "deals_lost",
        "deals_closed",
        "revenue_won",
        "average_deal_size",
        "win_rate",
        "win_rate_closed",
        "deal_slippage",
        "cycle_days_total",
        "sales_cycle_length",
        "deals_with_contract",
        "acv_total",
        "acv",
        "deals_due",
        "deals_slipped",
        "slippage_past_expected_close",
    ]
    f = f[cols]
    if by_cols:
        f = f.sort_values(by_cols, kind="stable", ignore_index=True)
    missing = []
    if not has_contract:
        missing.append("deals.contract_value and deals.contract_months (ACV)")
    if not has_expected:
        missing.append("deals.expected_close_at (slipped deals)")
    f.attrs.update(period=w.label, as_of=w.end - pd.Timedelta(days=1), missing=missing)
    return _tidy_keys(f, by_cols)
