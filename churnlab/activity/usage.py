"""Product usage from events: lifecycle, stickiness, DAU/MAU, recurring retention.

Public names: ``lifecycle``, ``stickiness``, ``dau_mau``, ``recurring_retention``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis import _

from churnlab import engine, periods
from churnlab._docs import share_docs
from churnlab.activity import _base
from churnlab.contract import Dataset, as_dataset, load_dataset, purchases
from churnlab.errors import ParameterError

__all__ = ["lifecycle", "stickiness", "dau_mau", "recurring_retention"]

_STATUSES = ["new", "returning", "resurrecting", "dormant"]


def _entity_events(
    ds: Dataset,
    *,
    count_by: str,
    cutoff: pd.Timestamp,
    event: str | Sequence[str] | None,
    by: str | Sequence[str] | None,
) -> tuple[ir.Table, list[str]]:
    """Events with ``entity`` (user or account) and the ``by`` attributes."""
    ev = _base.filter_events(ds.events, cutoff=cutoff, event=event)
    ev = ev.mutate(entity=_.user_id if count_by == "user" else _.account_id)
    ev, cols = _base.attach_attributes(ev, ds, by, key="account_id")
    return ev, cols


def _last_index(as_of: pd.Timestamp, freq: str) -> int:
    """Index of the last period complete at ``as_of``."""
    return _base.index_of(periods.cutoff(as_of), freq) - 1


@share_docs
def lifecycle(
    data: Any,
    *,
    freq: str = "W",
    by: str | Sequence[str] | None = None,
    count_by: str = "user",
    as_of: Any = None,
    event: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """New, returning, resurrecting and dormant users (or accounts) per period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Events, or a Dataset holding them (and customers for ``by``).
    freq : {{"D", "W", "M", "Q", "Y"}}, default "W"
        Period unit.
    {by}
    count_by : {{"user", "account"}}, default "user"
        Count users, or accounts (users rolled up to ``account_id``).
    {as_of}
    event : str or list of str, optional
        Only these event names count as activity.

    Returns
    -------
    pandas.DataFrame
        One row per complete period (and ``by`` group), periods without
        activity included: ``period, active, new, returning, resurrecting,
        dormant, active_previous, left_censored``.

    Notes
    -----
    **Definition** (PostHog's and Amplitude's lifecycle). In period ``t`` an
    active entity is *new* when ``t`` holds its first ever activity,
    *returning* when it was also active in ``t - 1``, *resurrecting* when it
    was not active in ``t - 1`` but was at some time before. *Dormant* counts
    entities active in ``t - 1`` and not in ``t``.

    **Formula.** ``active = new + returning + resurrecting`` and
    ``active_previous = returning + dormant`` (``active_previous`` is
    ``active`` of the previous period).

    **Convention.** ``dormant`` is a count, positive like the others; charts
    draw it below zero (:func:`churnlab.plots.lifecycle`). "First ever" means
    first in the data: the data's first period has every entity new and is
    marked ``left_censored``; entities active before the data began may look
    new in the periods after it too. Only events before the end of the as-of
    day count; periods not complete by then are not reported.

    Examples
    --------
    >>> import churnlab as cl
    >>> lc = cl.lifecycle(cl.sample_dataset(), freq="M", as_of="2026-10-31")
    >>> row = lc.iloc[-1]
    >>> int(row.active) == int(row.new + row.returning + row.resurrecting)
    True
    """
    freq = periods.check_freq(freq)
    count_by = _base.check_count_by(count_by)
    ds = _base.dataset(data)
    as_of = _base.resolve_as_of(ds, as_of, freq)
    cutoff = periods.cutoff(as_of)
    ev, cols = _entity_events(ds, count_by=count_by, cutoff=cutoff, event=event, by=by)
    keys = ["entity", *cols]
    act = ev.select(*keys, idx=_base.period_index(ev.timestamp, freq)).distinct()
    w = ibis.window(group_by=keys, order_by="idx")
    marked = act.mutate(prev=_.idx.lag().over(w), nxt=_.idx.lead().over(w))
    status = ibis.cases(
        (marked.prev.isnull(), "new"),
        (marked.prev == marked.idx - 1, "returning"),
        else_="resurrecting",
    )
    active = marked.select(*cols, idx="idx", status=status)
    gone = marked.filter(_.nxt.isnull() | (_.nxt > _.idx + 1)).select(
        *cols, idx=_.idx + 1, status=ibis.literal("dormant")
    )
    counts = (
        active.union(gone, distinct=False)
        .group_by(["idx", *cols, "status"])
        .agg(n=_.count())
    )
    raw = engine.execute(counts)
    last = _last_index(as_of, freq)
    raw = raw[raw["idx"] <= last]
    if raw.empty:
        raise ParameterError(
            f"No complete {periods.FREQS[freq]} with activity up to as_of="
            f"{as_of.date()}."
        )
    wide = raw.pivot_table(
        index=["idx", *cols], columns="status", values="n", aggfunc="sum"
    ).reindex(columns=_STATUSES)
    first = int(raw["idx"].min())
    grid_idx = np.arange(first, last + 1)
    if cols:
        groups = raw[cols].drop_duplicates()
        grid = groups.merge(pd.DataFrame({"idx": grid_idx}), how="cross")
        wide = wide.reset_index().merge(grid, on=["idx", *cols], how="right")
    else:
        wide = wide.reindex(pd.Index(grid_idx, name="idx")).reset_index()
    wide.columns.name = None
    wide[_STATUSES] = wide[_STATUSES].fillna(0).astype("int64")
    wide["active"] = wide["new"] + wide["returning"] + wide["resurrecting"]
    wide = wide.sort_values([*cols, "idx"], ignore_index=True)
    wide["active_previous"] = wide["returning"] + wide["dormant"]
    wide["left_censored"] = wide["idx"] == first
    wide["period"] = _base.starts(wide["idx"].to_numpy(), freq)
    out = wide[
        [
            "period",
            *cols,
            "active",
            "new",
            "returning",
            "resurrecting",
            "dormant",
            "active_previous",
            "left_censored",
        ]
    ]
    out.attrs.update(as_of=as_of, freq=freq, count_by=count_by)
    return out


def _check_sticky_freq(freq: str) -> str:
    freq = periods.check_freq(freq)
    if freq not in ("W", "M"):
        raise ParameterError(
            f'freq={freq!r}: stickiness is per week ("W") or month ("M").'
        )
    return freq


@share_docs
def stickiness(
    data: Any,
    *,
    freq: str = "M",
    by: str | Sequence[str] | None = None,
    count_by: str = "user",
    as_of: Any = None,
    event: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """How many users were active on exactly 1, 2, ... days of each period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Events, or a Dataset holding them (and customers for ``by``).
    freq : {{"W", "M"}}, default "M"
        Period unit.
    {by}
    count_by : {{"user", "account"}}, default "user"
        Count users, or accounts (an account is active on a day when any of its
        users is).
    {as_of}
    event : str or list of str, optional
        Only these event names count as activity.

    Returns
    -------
    pandas.DataFrame
        One row per complete period (and ``by`` group) and ``days_active`` from
        1 to the period's length in days: ``period, days_active, users,
        active_users, share`` (``share = users / active_users``).

    Notes
    -----
    **Definition** (PostHog's stickiness). ``users`` in row (P, d) is the number
    of users with an event on exactly ``d`` distinct days of period P;
    ``active_users`` is the number active on at least one day of P.

    **Formula.** ``share = users / active_users``; the buckets of a period sum
    to its active users.

    Examples
    --------
    >>> import churnlab as cl
    >>> st = cl.stickiness(cl.sample_dataset(), freq="W", as_of="2026-10-31")
    >>> g = st.groupby("period")
    >>> bool((g.users.sum() == g.active_users.first()).all())
    True
    """
    freq = _check_sticky_freq(freq)
    count_by = _base.check_count_by(count_by)
    ds = _base.dataset(data)
    as_of = _base.resolve_as_of(ds, as_of, freq)
    cutoff = periods.cutoff(as_of)
    ev, cols = _entity_events(ds, count_by=count_by, cutoff=cutoff, event=event, by=by)
    days = ev.select("entity", *cols, day=_.timestamp.truncate("D")).distinct()
    per = days.group_by(["entity", *cols, _.day.truncate(freq).name("period")]).agg(
        days_active=_.count()
    )
    hist = per.group_by(["period", *cols, "days_active"]).agg(users=_.count())
    raw = engine.execute(hist)
    last = periods.period_start(cutoff, freq)
    raw = raw[raw["period"] < last]
    if raw.empty:
        raise ParameterError(f"No complete period with activity up to {as_of.date()}.")
    frames = []
    for key, grp in raw.groupby(["period", *cols], sort=True):
        period = key[0] if isinstance(key, tuple) else key
        length = (periods.period_end(period, freq) - period).days
        full = pd.DataFrame({"days_active": np.arange(1, length + 1)})
        g = full.merge(grp.drop(columns=["period", *cols]), how="left")
        g["users"] = g["users"].fillna(0).astype("int64")
        g.insert(0, "period", period)
        for i, c in enumerate(cols):
            g.insert(1 + i, c, key[1 + i])
        frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    out["active_users"] = out.groupby(["period", *cols])["users"].transform("sum")
    out["share"] = out["users"] / out["active_users"]
    out["period"] = out["period"].astype("datetime64[ns]")
    out["days_active"] = out["days_active"].astype("int64")
    out.attrs.update(as_of=as_of, freq=freq, count_by=count_by)
    return out[["period", *cols, "days_active", "users", "active_users", "share"]]


@share_docs
def dau_mau(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    count_by: str = "user",
    as_of: Any = None,
    event: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Average DAU and WAU against MAU, per calendar month.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Events, or a Dataset holding them (and customers for ``by``).
    {by}
    count_by : {{"user", "account"}}, default "user"
        Count users, or accounts.
    {as_of}
    event : str or list of str, optional
        Only these event names count as activity.

    Returns
    -------
    pandas.DataFrame
        One row per complete month (and ``by`` group): ``period, days, dau,
        wau, mau, dau_mau, wau_mau``.

    Notes
    -----
    **Definition.** For each day ``d`` of month M, DAU(d) is the number of users
    with an event on ``d`` and WAU(d) the number with an event in the 7 days
    ``[d - 6, d]``. ``dau`` and ``wau`` are their means over the days of M
    (days without activity count as 0); ``mau`` is the number of users active
    on some day of M.

    **Formula.** ``dau_mau = dau / mau``; ``wau_mau = wau / mau``.

    **Convention.** WAU on a month's first six days looks back into the
    previous month; for the data's first month that history is missing, so
    its ``wau`` and ``wau_mau`` are NaN.

    Examples
    --------
    >>> import churnlab as cl
    >>> m = cl.dau_mau(cl.sample_dataset(), as_of="2026-10-31")
    >>> bool(((m.dau_mau > 0) & (m.dau_mau <= m.wau_mau)).iloc[1:].all())
    True
    """
    count_by = _base.check_count_by(count_by)
    ds = _base.dataset(data)
    as_of = _base.resolve_as_of(ds, as_of, "M")
    cutoff = periods.cutoff(as_of)
    ev, cols = _entity_events(ds, count_by=count_by, cutoff=cutoff, event=event, by=by)
    days = ev.select("entity", *cols, day=_.timestamp.truncate("D")).distinct()
    daily = days.group_by([_.day.truncate("M").name("period"), *cols]).agg(
        user_days=_.count()
    )
    monthly = days.group_by([_.day.truncate("M").name("period"), *cols]).agg(
        mau=_.entity.nunique()
    )
    offsets = ibis.memtable(pd.DataFrame({"off": np.arange(7, dtype="int64")}))
    spread = days.cross_join(offsets).mutate(d=_.day + _.off.as_interval("D"))
    weekly = (
        spread.select("entity", *cols, "d")
        .distinct()
        .group_by([_.d.truncate("M").name("period"), *cols])
        .agg(wau_days=_.count())
    )
    m = engine.execute(monthly)
    dd = engine.execute(daily)
    ww = engine.execute(weekly)
    out = m.merge(dd, on=["period", *cols], how="left").merge(
        ww, on=["period", *cols], how="left"
    )
    last = periods.period_start(cutoff, "M")
    out = out[out["period"] < last].sort_values([*cols, "period"], ignore_index=True)
    out["days"] = (periods.period_end(out["period"], "M") - out["period"]).dt.days
    out["dau"] = out["user_days"].fillna(0) / out["days"]
    out["wau"] = out["wau_days"].fillna(0) / out["days"]
    first = ds.info["events"].earliest
    if first is not None:
        short = out["period"] - pd.Timedelta(days=6) < pd.Timestamp(first).normalize()
        out.loc[short, "wau"] = np.nan
    out["mau"] = out["mau"].astype("int64")
    out["dau_mau"] = out["dau"] / out["mau"]
    out["wau_mau"] = out["wau"] / out["mau"]
    out["period"] = out["period"].astype("datetime64[ns]")
    out.attrs.update(as_of=as_of, count_by=count_by)
    return out[["period", *cols, "days", "dau", "wau", "mau", "dau_mau", "wau_mau"]]


def _activity_source(
    data: Any, source: str | None, event: str | Sequence[str] | None
) -> tuple[Dataset, str]:
    if isinstance(data, Dataset):
        ds = data
    elif isinstance(data, str | os.PathLike) and os.path.isdir(data):
        ds = load_dataset(data)
    else:
        tbl = engine.to_table(data)
        name = "orders" if "ordered_at" in tbl.columns else "events"
        ds = as_dataset(tbl, name)
    if source is None:
        source = "events" if ds.events is not None else "orders"
    if source not in ("events", "orders"):
        raise ParameterError(f"source={source!r} must be 'events' or 'orders'.")
    ds.table(source)
    if event is not None and source != "events":
        raise ParameterError("event= filters events; it does not apply to orders.")
    return ds, source


@share_docs
def recurring_retention(
    data: Any,
    *,
    freq: str = "M",
    bounded: bool = True,
    by: str | Sequence[str] | None = None,
    source: str | None = None,
    event: str | Sequence[str] | None = None,
    count_by: str = "user",
    as_of: Any = None,
) -> pd.DataFrame:
    """Recurring retention: each period's cohort is everyone active in it.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Events or orders, or a Dataset holding them (customers for ``by``).
    {freq}
    bounded : bool, default True
        True: cell k counts cohort members active in period ``c + k``. False:
        active in ``c + k`` or any later observed period.
    {by}
    source : {{"events", "orders"}}, optional
        Which table defines activity; default events when present, else orders
        (purchases; refunds never count).
    event : str or list of str, optional
        Only these event names count as activity (events only).
    count_by : {{"user", "account"}}, default "user"
        For events: count users or accounts. Orders always count customers.
    {as_of}

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`churnlab.cohort_table`: the ``by`` columns,
        ``cohort, period_number, period, cohort_size, customers_active,
        retention``; only observed cells are rows (cells whose period ends
        after the as-of day are absent, and NaN in a matrix).

    Notes
    -----
    **Definition** (PostHog's default "recurring" retention). The cohort of
    period ``c`` is everyone active in ``c``, whether or not it was their first
    activity; first-time retention keeps each one in the cohort of their first
    period only. ``customers_active`` in cell ``(c, k)`` is the number of them
    active in ``c + k`` (bounded) or in ``c + k`` or later (unbounded).

    **Formula.** ``retention = customers_active / cohort_size``; cell 0 is 1.

    **Convention.** Periods are half-open; only complete periods up to the
    as-of day are cohorts or cells. An entity is counted once per cohort.

    Examples
    --------
    >>> import churnlab as cl
    >>> r = cl.recurring_retention(cl.sample_dataset(), as_of="2026-10-31")
    >>> bool((r[r.period_number == 0].retention == 1).all())
    True
    """
    freq = periods.check_freq(freq)
    if not isinstance(bounded, bool):
        raise ParameterError(f"bounded={bounded!r} must be True or False.")
    count_by = _base.check_count_by(count_by)
    ds, source = _activity_source(data, source, event)
    if source == "events":
        as_of = _base.resolve_as_of(ds, as_of, freq)
        cutoff = periods.cutoff(as_of)
        ev, cols = _entity_events(
            ds, count_by=count_by, cutoff=cutoff, event=event, by=by
        )
        act = ev.select("entity", *cols, idx=_base.period_index(ev.timestamp, freq))
    else:
        as_of = periods.resolve_as_of(as_of, latest=ds.latest("orders"), freq=freq)
        cutoff = periods.cutoff(as_of)
        orders = purchases(ds).filter(_.ordered_at < ibis.literal(cutoff, "timestamp"))
        orders = orders.mutate(entity=_.customer_id)
        orders, cols = _base.attach_attributes(orders, ds, by, key="customer_id")
        act = orders.select(
            "entity", *cols, idx=_base.period_index(orders.ordered_at, freq)
        )
    last = _last_index(as_of, freq)
    act = act.filter(_.idx <= last).distinct()
    keys = ["entity", *cols]
    if bounded:
        later = act.rename(_e="entity", _idx="idx", **{f"_{c}": c for c in cols})
        cond = [act.entity == later._e, later._idx >= act.idx]
        cond += [act[c] == later[f"_{c}"] for c in cols]
        pairs = act.join(later, cond).select(
            *cols, cohort_idx=act.idx, k=later._idx - act.idx
        )
        cells = pairs.group_by(["cohort_idx", *cols, "k"]).agg(active=_.count())
        raw = engine.execute(cells)
    else:
        last_seen = act.mutate(
            last=_.idx.max().over(ibis.window(group_by=keys))
        ).select(*cols, cohort_idx="idx", kmax=_.last - _.idx)
        hist = last_seen.group_by(["cohort_idx", *cols, "kmax"]).agg(n=_.count())
        h = engine.execute(hist)
        rows = []
        for key, grp in h.groupby(["cohort_idx", *cols], sort=True):
            key = key if isinstance(key, tuple) else (key,)
            cohort = int(key[0])
            counts = np.zeros(last - cohort + 1, dtype="int64")
            np.add.at(counts, grp["kmax"].to_numpy(dtype="int64"), grp["n"].to_numpy())
            active = counts[::-1].cumsum()[::-1]  # on or after k
            frame = pd.DataFrame(
                {"cohort_idx": cohort, "k": np.arange(len(active)), "active": active}
            )
            for i, c in enumerate(cols):
                frame[c] = key[1 + i]
            rows.append(frame)
        raw = (
            pd.concat(rows, ignore_index=True)
            if rows
            else pd.DataFrame(columns=["cohort_idx", *cols, "k", "active"])
        )
    return _finish_cells(raw, cols=cols, freq=freq, last=last, as_of=as_of)


def _finish_cells(
    raw: pd.DataFrame, *, cols: list[str], freq: str, last: int, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Fill the observed grid (zeros where nobody was active) and add rates."""
    if raw.empty:
        columns = [*cols, "cohort", "period_number", "period", "cohort_size"]
        return pd.DataFrame(columns=[*columns, "customers_active", "retention"])
    raw["cohort_idx"] = raw["cohort_idx"].astype("int64")
    raw["k"] = raw["k"].astype("int64")
    sizes = raw[raw["k"] == 0][["cohort_idx", *cols, "active"]].rename(
        columns={"active": "cohort_size"}
    )
    grid = []
    for row in sizes.itertuples(index=False):
        n = last - row.cohort_idx + 1
        g = pd.DataFrame({"cohort_idx": row.cohort_idx, "k": np.arange(n)})
        for c in cols:
            g[c] = getattr(row, c)
        grid.append(g)
    full = pd.concat(grid, ignore_index=True).merge(
        raw, on=["cohort_idx", *cols, "k"], how="left"
    )
    full = full.merge(sizes, on=["cohort_idx", *cols], how="left")
    full["active"] = full["active"].fillna(0).astype("int64")
    full["cohort"] = _base.starts(full["cohort_idx"].to_numpy(), freq)
    full["period"] = _base.starts((full["cohort_idx"] + full["k"]).to_numpy(), freq)
    out = pd.DataFrame(
        {
            **{c: full[c] for c in cols},
            "cohort": full["cohort"],
            "period_number": full["k"].astype("int64"),
            "period": full["period"],
            "cohort_size": full["cohort_size"].astype("int64"),
            "customers_active": full["active"],
        }
    )
    out["retention"] = out["customers_active"] / out["cohort_size"]
    out.attrs.update(as_of=as_of, freq=freq, retention="recurring")
    return out.sort_values([*cols, "cohort", "period_number"], ignore_index=True)
