"""Account activity series: active users, active days and events per period.

Public names: ``activity_series``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from ibis import _

from churnlab import engine, periods
from churnlab._docs import share_docs
from churnlab.activity import _base

__all__ = ["activity_series"]


def _series_expr(events: Any, *, freq: str) -> Any:
    ud = _base.user_days(events)
    return (
        ud.mutate(period=_.day.truncate(freq))
        .group_by(["account_id", "period"])
        .agg(
            active_users=_.user_id.nunique(),
            active_days=_.day.nunique(),
            user_days=_.count(),
            events=_.events.sum(),
        )
    )


@share_docs
def activity_series(
    data: Any,
    *,
    freq: str = "W",
    as_of: Any = None,
    event: str | Sequence[str] | None = None,
    accounts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Activity per account and period, computed in one query on the backend.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Events (``user_id, event, timestamp`` and optional ``account_id``) or a
        Dataset holding them.
    freq : {{"D", "W", "M", "Q", "Y"}}, default "W"
        Period unit; weeks start on Monday.
    {as_of}
    event : str or list of str, optional
        Only these event names count as activity (default: every event).
    accounts : list of str, optional
        Keep only these accounts (e.g. one account to plot).

    Returns
    -------
    pandas.DataFrame
        ``account_id, period, active_users, active_days, user_days, events``,
        one row per account and complete period with any activity (periods
        without activity are absent, not zero rows), sorted.

    Notes
    -----
    **Definition.** A user's activity belongs to their ``account_id``; a user
    without one is their own account (their ``user_id``). ``active_users`` is
    the number of distinct users with an event in the period, ``active_days``
    the number of distinct days on which anyone in the account was active,
    ``user_days`` the number of (user, day) pairs with an event and ``events``
    the number of events.

    **Convention.** Only events strictly before the end of the as-of day count;
    periods ending after it are not reported.

    Examples
    --------
    >>> import churnlab as cl
    >>> s = cl.activity_series(cl.sample_dataset(), freq="M", as_of="2026-10-31")
    >>> list(s.columns)
    ['account_id', 'period', 'active_users', 'active_days', 'user_days', 'events']
    >>> bool((s.user_days >= s.active_days).all())
    True
    """
    freq = periods.check_freq(freq)
    ds = _base.dataset(data)
    as_of = _base.resolve_as_of(ds, as_of, freq)
    cutoff = periods.cutoff(as_of)
    events = _base.filter_events(ds.events, cutoff=cutoff, event=event)
    if accounts is not None:
        events = events.filter(_.account_id.isin(list(accounts)))
    out = engine.execute(_series_expr(events, freq=freq))
    last = periods.period_start(cutoff, freq)  # first period not complete
    out = out[out["period"] < last]
    for col in ("active_users", "active_days", "user_days", "events"):
        out[col] = out[col].astype("int64")
    return out.sort_values(["account_id", "period"], ignore_index=True)[
        ["account_id", "period", "active_users", "active_days", "user_days", "events"]
    ]
