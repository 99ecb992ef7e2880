"""Quotas: attainment per owner or team, and pipeline coverage of the quota."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from churnlab import contract, engine, periods
from churnlab.errors import ParameterError
from churnlab.sales._common import (
    _closed_at,
    _default_period,
    _docs,
    _in,
    _int,
    _lit,
    _open_at,
    _ratio,
    _tidy_keys,
    _Window,
    _window,
    _won_by,
)

__all__ = ["quota_attainment", "pipeline_coverage"]


def _targets_per_period(
    ds: contract.Dataset, freq: str, w: _Window, by: str | None
) -> tuple[ir.Table, str | None]:
    targets = ds.table("targets")
    key = None
    if by is not None:
        if by not in targets.columns:
            raise ParameterError(
                f"by={by!r}: targets has no {by!r} column "
                f"({', '.join(targets.columns)})."
            )
        key = by
    t = targets.filter(_in(targets.period, w)) if w.start is not None else targets
    t = t.filter(t.period < _lit(w.end))
    t = t.mutate(p=periods.truncate(t.period, freq))
    keys = ["p", key] if key else ["p"]
    return t.group_by(keys).agg(quota=t.quota.sum()), key


@_docs
def quota_attainment(
    data: Any,
    *,
    period: Any = None,
    freq: str = "M",
    by: str | None = "owner",
    as_of: Any = None,
) -> pd.DataFrame:
    """Quota attainment per owner (or team) and period: won revenue / quota.

    Parameters
    ----------
    data : Dataset or path
        Holds ``targets`` (owner or team, period, quota) and ``deals``.
    {period}
    freq : {{"M", "Q", "Y"}}, default "M"
        Period unit of the rows (monthly quotas are summed per quarter or year).
    by : str or None, default "owner"
        ``"owner"``, or ``"team"`` when targets are set per team (deals then
        match a team through a deals column of the same name); None for the
        whole team's total.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per period (and owner): ``period``, ``owner``, ``quota``,
        ``revenue_won``, ``deals_won``, ``attainment``.

    Notes
    -----
    **Definition.** Won revenue is the ``amount`` of deals won (``closed_at``)
    in the period, credited to the deal's owner.

    **Formula.** ``attainment = revenue_won / quota``.

    **Convention.** Only periods that have a quota are shown; a period cut by
    the as-of date compares revenue to date with the full quota. Deals of an
    owner without a quota are left out of per-owner rows but kept in the
    ``by=None`` total.

    Examples
    --------
    >>> import churnlab as cl
    >>> q = cl.quota_attainment(cl.sample_dataset(), period="2026-10")
    >>> len(q), bool(q["attainment"].between(0, 5).all())
    (12, True)
    """
    ds = data if isinstance(data, contract.Dataset) else contract.load_dataset(data)
    freq = periods.check_freq(freq)
    w = _window(period, as_of=as_of, data=ds)
    quotas, key = _targets_per_period(ds, freq, w, by)
    deals = ds.table("deals")
    if key is not None and key not in deals.columns:
        raise ParameterError(
            f"by={key!r}: deals have no {key!r} column to credit wins to."
        )
    won = deals.filter(_won_by(deals, w.end) & _in(_closed_at(deals), w))
    won = won.mutate(p=periods.truncate(_closed_at(won), freq))
    keys = ["p", key] if key else ["p"]
    wins = won.group_by(keys).agg(revenue_won=won.amount.sum(), deals_won=won.count())
    joined = quotas.left_join(wins, [quotas[k] == wins[k] for k in keys]).select(
        *[quotas[k] for k in keys], "quota", "revenue_won", "deals_won"
    )
    frame = engine.execute(joined).rename(columns={"p": "period"})
    frame["revenue_won"] = frame["revenue_won"].fillna(0.0)
    frame["deals_won"] = frame["deals_won"].fillna(0).astype("int64")
    frame["attainment"] = _ratio(frame["revenue_won"], frame["quota"])
    keys_out = ["period", key] if key else ["period"]
    frame = frame.sort_values(keys_out, kind="stable", ignore_index=True)
    frame = frame[[*keys_out, "quota", "revenue_won", "deals_won", "attainment"]]
    frame.attrs.update(period=w.label, as_of=w.end - pd.Timedelta(days=1))
    return _tidy_keys(frame, [key] if key else [])


@_docs
def pipeline_coverage(
    data: Any,
    *,
    period: Any = None,
    by: str | None = "owner",
    at: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Pipeline coverage: open pipeline / quota still to win in the period.

    Parameters
    ----------
    data : Dataset or path
        Holds ``deals`` and ``targets``.
    {period}
        Default: the data's last complete month (or the month of ``as_of``).
    by : str or None, default "owner"
        Per owner (``"owner"``) or one total row (None).
    at : date-like, optional
        When the pipeline is measured (its start of day). Default: the period's
        first day.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per owner (or one): ``owner``, ``deals_open``,
        ``pipeline_open``, ``quota``, ``revenue_won_to_date``,
        ``target_remaining``, ``coverage``.

    Notes
    -----
    **Definition.** Open pipeline at ``at`` is the amount of deals created
    before ``at`` and not closed before it; the target remaining is the
    period's quota less the revenue won from the period's start to ``at``.

    **Formula.** ``target_remaining = quota - revenue_won_to_date``;
    ``coverage = pipeline_open / target_remaining`` (NaN when nothing remains).

    **Convention.** Measured at the period's start by default, where the whole
    quota remains; 3x is a common rule of thumb. Open deals are counted at
    their full amount (not weighted by stage).

    Examples
    --------
    >>> import churnlab as cl
    >>> c = cl.pipeline_coverage(cl.sample_dataset(), period="2026-10", by=None)
    >>> bool(c["coverage"].iloc[0] > 1)
    True
    """
    ds = data if isinstance(data, contract.Dataset) else contract.load_dataset(data)
    if period is None:
        period = _default_period(ds, as_of)
    w = _window(period, as_of=as_of, data=ds)
    when = w.start if at is None else periods.parse_date(at, name="at")
    if not w.start <= when < (w.full_end or w.end):
        raise ParameterError(f"at={at!r} is not inside period {w.label}.")
    deals = ds.table("deals")
    quotas, key = _targets_per_period(
        ds, "M", _Window(w.start, w.full_end or w.end, w.label), by
    )
    keys = [key] if key else []
    q = (
        quotas.group_by(keys).agg(quota=quotas.quota.sum())
        if keys
        else quotas.aggregate(quota=quotas.quota.sum())
    )
    is_open = _open_at(deals, when)
    won_td = _won_by(deals, when) & (_closed_at(deals) >= _lit(w.start))
    aggs = {
        "deals_open": _int(is_open).sum(),
        "pipeline_open": ibis.cases((is_open, deals.amount), else_=0.0).sum(),
        "revenue_won_to_date": ibis.cases((won_td, deals.amount), else_=0.0).sum(),
    }
    if key is not None and key not in deals.columns:
        raise ParameterError(f"by={key!r}: deals have no {key!r} column.")
    d = deals.group_by(keys).agg(**aggs) if keys else deals.aggregate(**aggs)
    if keys:
        joined = q.left_join(d, [q[k] == d[k] for k in keys]).select(
            *[q[k] for k in keys], *aggs, "quota"
        )
    else:
        joined = q.cross_join(d)
    frame = engine.execute(joined)
    for col in ("deals_open",):
        frame[col] = frame[col].fillna(0).astype("int64")
    for col in ("pipeline_open", "revenue_won_to_date"):
        frame[col] = frame[col].fillna(0.0)
    frame["target_remaining"] = frame["quota"] - frame["revenue_won_to_date"]
    frame["coverage"] = _ratio(frame["pipeline_open"], frame["target_remaining"])
    cols = [
        *keys,
        "deals_open",
        "pipeline_open",
        "quota",
        "revenue_won_to_date",
        "target_remaining",
        "coverage",
    ]
    frame = frame[cols]
    if keys:
        frame = frame.sort_values(keys, ignore_index=True)
    frame.attrs.update(period=w.label, at=when)
    return _tidy_keys(frame, keys)
