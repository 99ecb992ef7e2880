"""Early-warning signals for paying accounts, the at-risk list and its backtest.

Public names: ``SIGNAL_DEFAULTS``, ``activity_signals``, ``at_risk``,
``activity_backtest``, ``account_activity``.

All signals are judged per account (users rolled up to ``account_id``), at an
instant ``t`` (a midnight), from the events strictly before ``t``, for every
account in one query; paying state comes from :mod:`churnlab.states`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis import _

from churnlab import engine, periods, states
from churnlab._docs import share_docs
from churnlab.activity import _base
from churnlab.contract import Dataset
from churnlab.errors import ParameterError

__all__ = [
    "SIGNAL_DEFAULTS",
    "activity_signals",
    "at_risk",
    "activity_backtest",
    "account_activity",
]

#: Default signal parameters, chosen from the backtest on the sample company
#: (see :func:`activity_backtest`): an account is *slipping* when its weekly
#: user-days stayed below 60% of its own 8-week baseline (a fall of 40%) in
#: each of the last 2 weeks; *dormant* after 14 days without activity.
SIGNAL_DEFAULTS: dict[str, Any] = {
    "threshold": 0.4,
    "weeks": 2,
    "baseline_weeks": 8,
    "min_baseline": 1.0,
    "dormant_days": 14,
    "trial_days": 14,
    "trial_lookback_days": 30,
}

_SIGNAL_DOC = """\
threshold : float, default 0.4
    Fall that counts as slipping: a week is *low* when its user-days are below
    ``(1 - threshold) * baseline``.
weeks : int, default 2
    N: an account is slipping when each of its last N weeks is low.
baseline_weeks : int, default 8
    B: the account's own baseline is its mean weekly user-days over the B weeks
    before those N weeks.
min_baseline : float, default 1.0
    Accounts whose baseline is below this many user-days a week are not judged
    for slipping (too little usage to tell a slide from noise).
dormant_days : int, default 14
    D: a paying account is dormant after D whole days without any activity.
trial_days : int, default 14
    Length of a trial, counted from ``customers.signup_at`` (or the account's
    first event when there is no sign-up date).
trial_lookback_days : int, default 30
    Trials that ended within this many days before ``t`` without a paid start
    are reported as not converted."""


def _params(**kwargs: Any) -> dict[str, Any]:
    p = dict(SIGNAL_DEFAULTS)
    for key, value in kwargs.items():
        if value is not None:
            p[key] = value
    thr = p["threshold"]
    if isinstance(thr, bool) or not isinstance(thr, int | float) or not 0 < thr < 1:
        raise ParameterError(
            f"threshold={thr!r} must be a fraction between 0 and 1 (e.g. 0.4 for a "
            "40% fall against the baseline)."
        )
    p["weeks"] = _base.check_positive_int(p["weeks"], "weeks")
    p["baseline_weeks"] = _base.check_positive_int(
        p["baseline_weeks"], "baseline_weeks"
    )
    p["dormant_days"] = _base.check_positive_int(p["dormant_days"], "dormant_days")
    p["trial_days"] = _base.check_positive_int(p["trial_days"], "trial_days", 0)
    p["trial_lookback_days"] = _base.check_positive_int(
        p["trial_lookback_days"], "trial_lookback_days"
    )
    if not isinstance(p["min_baseline"], int | float) or p["min_baseline"] < 0:
        raise ParameterError(f"min_baseline={p['min_baseline']!r} must be >= 0.")
    return p


def _needs_subscriptions(ds: Dataset) -> ir.Table:
    if ds.subscriptions is None:
        raise ParameterError(
            "Activity signals need to know who is paying: pass a Dataset holding "
            "both events and subscriptions (load_dataset(folder) or "
            "load_dataset({'events': ..., 'subscriptions': ...}))."
        )
    return ds.subscriptions


def _signals_expr(
    ds: Dataset,
    dates: ir.Table,
    *,
    p: dict[str, Any],
    cutoff: pd.Timestamp,
    event: str | Sequence[str] | None = None,
    paying_only: bool = True,
) -> ir.Table:
    """Per instant ``t`` and paying account, the activity statistics and flags."""
    n, b = p["weeks"], p["baseline_weeks"]
    events = _base.filter_events(ds.events, cutoff=cutoff, event=event)
    days = _base.account_days(events)
    joined = dates.join(days, days.day < dates.t)
    back = (_base.epoch_day(joined.t) - _base.epoch_day(joined.day) - 1) // 7
    joined = joined.mutate(back=back)
    aggs: dict[str, Any] = {
        f"w{k}": _.active_users.sum(where=_.back == k) for k in range(n + b)
    }
    aggs.update(
        base_sum=_.active_users.sum(where=(_.back >= n) & (_.back < n + b)),
        recent_sum=_.active_users.sum(where=_.back < n),
        last_active=_.day.max(),
        first_recent=_.day.min(where=_.back == 0),
        prev_active=_.day.max(where=_.back >= 1),
    )
    stats = joined.group_by(["t", "account_id"]).agg(**aggs)
    state = _base.mrr_at(_needs_subscriptions(ds), dates, cutoff=cutoff)
    if paying_only:
        state = state.filter(_.mrr_cents > 0)
    s = state.left_join(
        stats.rename(_t="t"),
        (state.t == stats.t) & (state.customer_id == stats.account_id),
    ).drop("_t", "account_id")
    s = s.rename(account_id="customer_id")
    w = [ibis.coalesce(s[f"w{k}"], 0) for k in range(n + b)]
    baseline = ibis.coalesce(s.base_sum, 0) / b
    limit = baseline * (1 - p["threshold"])
    low = [wk < limit for wk in w]
    run = low[0].cast("int64")
    streak = low[0]
    for k in range(1, n + b):
        streak = streak & low[k]
        run = run + streak.cast("int64")
    slipping = (baseline >= p["min_baseline"]) & (run >= n)
    days_inactive = _base.epoch_day(s.t) - _base.epoch_day(s.last_active) - 1
    gap = _base.epoch_day(s.first_recent) - _base.epoch_day(s.prev_active) - 1
    recent = ibis.coalesce(s.recent_sum, 0) / n
    out = s.select(
        "t",
        "account_id",
        mrr=s.mrr_cents.cast("float64") / states.CENTS,
        baseline=baseline.cast("float64"),
        recent=recent.cast("float64"),
        activity_ratio=ibis.ifelse(baseline > 0, recent / baseline, ibis.null()),
        weeks_slipping=ibis.ifelse(baseline >= p["min_baseline"], run, 0),
        last_active="last_active",
        days_inactive=days_inactive,
        slipping=slipping,
        dormant=s.last_active.isnull() | (days_inactive >= p["dormant_days"]),
        reactivated=(
            s.first_recent.notnull()
            & s.prev_active.notnull()
            & (gap >= p["dormant_days"])
        ),
    )
    return out


def _trials_expr(
    ds: Dataset, dates: ir.Table, *, p: dict[str, Any], cutoff: pd.Timestamp
) -> ir.Table:
    """Accounts whose trial ended in ``[t - lookback, t)`` with no paid start."""
    cut = ibis.literal(cutoff, "timestamp")
    events = _base.with_account(ds.events).filter(_.timestamp < cut)
    seen = events.select("account_id", seen=_.timestamp)
    if ds.customers is not None and "signup_at" in ds.customers.columns:
        signups = ds.customers.filter(
            _.signup_at.notnull() & (_.signup_at < cut)
        ).select(account_id=_.customer_id, seen=_.signup_at)
        seen = seen.union(signups)
    first = seen.group_by("account_id").agg(seen=_.seen.min())
    first = first.mutate(trial_end=_.seen + ibis.interval(days=p["trial_days"]))
    cand = dates.join(
        first,
        (first.trial_end < dates.t)
        & (first.trial_end >= dates.t - ibis.interval(days=p["trial_lookback_days"])),
    )
    state = _base.mrr_at(_needs_subscriptions(ds), dates, cutoff=cutoff)
    paid = state.filter(_.ever_paid | (_.mrr_cents > 0)).select(
        _t="t", _cid="customer_id"
    )
    out = cand.anti_join(paid, (cand.t == paid._t) & (cand.account_id == paid._cid))
    return out.select(
        "t",
        "account_id",
        trial_start="seen",
        trial_end="trial_end",
        days_since_trial=_base.epoch_day(_.t)
        - _base.epoch_day(_.trial_end.truncate("D")),
    )


def _owners(ds: Dataset) -> ir.Table | None:
    deals = ds.deals
    if (
        deals is None
        or "owner" not in deals.columns
        or "customer_id" not in deals.columns
    ):
        return None
    won = deals.filter(
        (_.status == "won") & _.customer_id.notnull() & _.owner.notnull()
    )
    when = ibis.coalesce(won.closed_at, won.created_at)
    return won.group_by("customer_id").agg(owner=won.owner.argmax(when))


def _evaluate_at(ds: Dataset, as_of: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    as_of = _base.resolve_as_of(ds, as_of, "D")
    return as_of, periods.cutoff(as_of)


def _coverage_note(ds: Dataset, t: pd.Timestamp, p: dict[str, Any]) -> str | None:
    first = ds.info["events"].earliest if "events" in ds.info else None
    span = pd.Timedelta(days=(p["weeks"] + p["baseline_weeks"]) * 7)
    if first is None or pd.isna(first):
        return "no events"
    if pd.Timestamp(first).normalize() > t - span:
        return (
            f"events start {pd.Timestamp(first).date()}, later than the "
            f"{p['weeks'] + p['baseline_weeks']}-week window before {t.date()}"
        )
    return None


@share_docs
def activity_signals(
    data: Any,
    *,
    as_of: Any = None,
    event: str | Sequence[str] | None = None,
    threshold: float | None = None,
    weeks: int | None = None,
    baseline_weeks: int | None = None,
    min_baseline: float | None = None,
    dormant_days: int | None = None,
) -> pd.DataFrame:
    """Activity signals for every paying account at the end of the as-of day.

    Parameters
    ----------
    data : Dataset
        Events and subscriptions (and optionally customers).
    as_of : date-like, optional
        Signals are judged at the end of this day (``t`` = the next midnight),
        from the events before ``t``. Default: the day of the latest event.
    event : str or list of str, optional
        Only these event names count as activity.
    threshold, weeks, baseline_weeks, min_baseline, dormant_days
        See :data:`SIGNAL_DEFAULTS` and :func:`at_risk`; None keeps the default.

    Returns
    -------
    pandas.DataFrame
        One row per account paying at ``t``: ``account_id, mrr, baseline,
        recent, activity_ratio, weeks_slipping, last_active, days_inactive,
        slipping, dormant, reactivated``; sorted by ``mrr`` descending.

    Notes
    -----
    **Definition.** Week ``k`` (k = 0, 1, ...) is the 7 days
    ``[t - 7(k+1), t - 7k)``, so weeks are rolling and always complete.
    Activity is *user-days*: the number of (user, day) pairs with an event, so
    a team's usage counts users and days alike. ``baseline`` is the mean
    weekly user-days over weeks N .. N+B-1, ``recent`` the mean over weeks
    0 .. N-1, ``activity_ratio = recent / baseline``. ``weeks_slipping`` counts
    the consecutive low weeks ending at week 0 (a low week has user-days below
    ``(1 - threshold) * baseline``). *Slipping*: ``weeks_slipping >= N`` and
    ``baseline >= min_baseline``. *Dormant*: ``days_inactive >= D`` (no
    activity in the D days before ``t``; never active counts as dormant).
    *Reactivated*: active in week 0 after a gap of at least D days.

    **Convention.** Paying is the package's rule (:mod:`churnlab.states`): MRR
    above zero at ``t``. One user's week off moves one week only, so it cannot
    make N >= 2 consecutive low weeks; a whole team's slide does.

    Examples
    --------
    >>> import churnlab as cl
    >>> s = cl.activity_signals(cl.sample_dataset(), as_of="2026-10-31")
    >>> bool(s.mrr.gt(0).all()), int(s.slipping.sum()) > 0
    (True, True)
    """
    ds = _base.dataset(data)
    p = _params(
        threshold=threshold,
        weeks=weeks,
        baseline_weeks=baseline_weeks,
        min_baseline=min_baseline,
        dormant_days=dormant_days,
    )
    as_of, cutoff = _evaluate_at(ds, as_of)
    expr = _signals_expr(
        ds, _base.dates_table([cutoff]), p=p, cutoff=cutoff, event=event
    )
    out = engine.execute(expr.drop("t"))
    if _coverage_note(ds, cutoff, p):
        out["slipping"] = False
    out["weeks_slipping"] = out["weeks_slipping"].astype("int64")
    out["days_inactive"] = out["days_inactive"].astype("Int64")
    out.attrs["as_of"] = as_of
    out.attrs["note"] = _coverage_note(ds, cutoff, p)
    return out.sort_values(
        ["mrr", "account_id"], ascending=[False, True], ignore_index=True
    )


_AT_RISK_COLUMNS = [
    "group",
    "account_id",
    "signal",
    "mrr",
    "size",
    "size_unit",
    "segment",
    "owner",
    "users",
    "weeks_slipping",
    "activity_ratio",
    "baseline",
    "recent",
    "last_active",
    "days_inactive",
]


@share_docs
def at_risk(
    data: Any,
    *,
    as_of: Any = None,
    event: str | Sequence[str] | None = None,
    threshold: float | None = None,
    weeks: int | None = None,
    baseline_weeks: int | None = None,
    min_baseline: float | None = None,
    dormant_days: int | None = None,
    trial_days: int | None = None,
    trial_lookback_days: int | None = None,
) -> pd.DataFrame:
    """Accounts to call: slipping or dormant payers, and trials that did not convert.

    Parameters
    ----------
    data : Dataset
        Events and subscriptions; customers (segment, signup_at) and deals
        (owner of the won deal) are used when present.
    as_of : date-like, optional
        Judged at the end of this day. Default: the day of the latest event.
    event : str or list of str, optional
        Only these event names count as activity.
    {{signals}}

    Returns
    -------
    pandas.DataFrame
        One row per flagged account: ``group`` (``"recovery"`` for paying
        accounts that are slipping or dormant, ``"conversion"`` for trials that
        ended without a paid start), ``account_id``, ``signal`` (``"dormant"``,
        ``"slipping"`` or ``"trial_not_converted"``), ``mrr`` (MRR at stake at
        ``t``; 0 for trials), ``size`` and ``size_unit`` (activity ratio for
        slipping, days inactive for dormant, days since the trial ended),
        ``segment``, ``owner`` (won deal's owner; None when unknown),
        ``users`` (distinct active users in the last N + B weeks),
        ``weeks_slipping``, ``activity_ratio``, ``baseline``, ``recent``,
        ``last_active``, ``days_inactive``. Recovery rows come first, each
        group sorted by ``mrr`` descending. ``to_csv``-ready.

    Notes
    -----
    **Definition.** See :func:`activity_signals`; an account both dormant and
    slipping is listed once, as dormant. A trial did not convert when
    ``trial_end = signup + trial_days`` lies in ``[t - lookback, t)`` and the
    account has never had MRR above zero up to ``t``.

    **Convention.** Trial non-converters need conversion work, slipping
    customers recovery work, so they are kept apart by ``group``. The
    defaults come from :func:`activity_backtest` on the sample company.

    Examples
    --------
    >>> import churnlab as cl
    >>> r = cl.at_risk(cl.sample_dataset(), as_of="2026-10-31")
    >>> sorted(r.group.unique())
    ['conversion', 'recovery']
    >>> bool(r[r.group == "recovery"].mrr.is_monotonic_decreasing)
    True
    """
    ds = _base.dataset(data)
    p = _params(
        threshold=threshold,
        weeks=weeks,
        baseline_weeks=baseline_weeks,
        min_baseline=min_baseline,
        dormant_days=dormant_days,
        trial_days=trial_days,
        trial_lookback_days=trial_lookback_days,
    )
    as_of, cutoff = _evaluate_at(ds, as_of)
    dates = _base.dates_table([cutoff])
    note = _coverage_note(ds, cutoff, p)
    sig = _signals_expr(ds, dates, p=p, cutoff=cutoff, event=event)
    if note:
        sig = sig.mutate(slipping=False)
    sig = sig.filter(_.slipping | _.dormant)
    span = (p["weeks"] + p["baseline_weeks"]) * 7
    ev = _base.filter_events(ds.events, cutoff=cutoff, event=event).filter(
        _.timestamp >= ibis.literal(cutoff - pd.Timedelta(days=span), "timestamp")
    )
    users = ev.group_by("account_id").agg(users=_.user_id.nunique())
    users = users.rename(_acc="account_id")
    sig = sig.left_join(users, sig.account_id == users._acc).drop("_acc")
    sig = _attach(sig, ds)
    rec = engine.execute(sig.drop("t"))
    trials = _attach(_trials_expr(ds, dates, p=p, cutoff=cutoff), ds)
    tri = engine.execute(trials.drop("t"))
    rec["group"] = "recovery"
    rec["signal"] = np.where(rec["dormant"], "dormant", "slipping")
    rec["size"] = np.where(
        rec["dormant"],
        rec["days_inactive"].astype("float64"),
        rec["activity_ratio"].astype("float64"),
    )
    rec["size_unit"] = np.where(
        rec["dormant"], "days without activity", "recent / baseline user-days"
    )
    tri["group"] = "conversion"
    tri["signal"] = "trial_not_converted"
    tri["mrr"] = 0.0
    tri["size"] = tri["days_since_trial"].astype("float64")
    tri["size_unit"] = "days since trial ended"
    out = pd.concat([rec, tri], ignore_index=True)
    for col in _AT_RISK_COLUMNS:
        if col not in out.columns:
            out[col] = None
    out = out[_AT_RISK_COLUMNS]
    out["weeks_slipping"] = out["weeks_slipping"].astype("Int64")
    out["days_inactive"] = out["days_inactive"].astype("Int64")
    out["users"] = out["users"].astype("Int64")
    out["group"] = pd.Categorical(out["group"], ["recovery", "conversion"])
    out = out.sort_values(
        ["group", "mrr", "account_id"], ascending=[True, False, True], ignore_index=True
    )
    out["group"] = out["group"].astype(str)
    out.attrs["as_of"] = as_of
    out.attrs["parameters"] = p
    out.attrs["note"] = note
    return out


at_risk.__doc__ = at_risk.__doc__.replace(  # type: ignore[union-attr]
    "{signals}", _SIGNAL_DOC.replace("\n", "\n    ")
)


def _attach(frame: ir.Table, ds: Dataset) -> ir.Table:
    if ds.customers is not None and "segment" in ds.customers.columns:
        seg = ds.customers.select(_cid="customer_id", segment="segment")
        frame = frame.left_join(seg, frame.account_id == seg._cid).drop("_cid")
    owners = _owners(ds)
    if owners is not None:
        owners = owners.rename(_oid="customer_id")
        frame = frame.left_join(owners, frame.account_id == owners._oid).drop("_oid")
    return frame


@share_docs
def activity_backtest(
    data: Any,
    *,
    horizon_days: int = 90,
    freq: str = "M",
    by: str | Sequence[str] | None = None,
    as_of: Any = None,
    signals: Sequence[str] = ("slipping", "dormant"),
    event: str | Sequence[str] | None = None,
    threshold: float | None = None,
    weeks: int | None = None,
    baseline_weeks: int | None = None,
    min_baseline: float | None = None,
    dormant_days: int | None = None,
) -> pd.DataFrame:
    """How well the activity signals foretold churn, month by month.

    Parameters
    ----------
    data : Dataset
        Events and subscriptions (customers for ``by``).
    horizon_days : int, default 90
        A flagged account counts as a hit when it churns within this many days
        after the flag date.
    freq : {{"W", "M", "Q"}}, default "M"
        Flags are evaluated at the start of each period.
    {by}
    {as_of}
    signals : sequence of str, default ("slipping", "dormant")
        Which signals make an account flagged.
    event : str or list of str, optional
        Only these event names count as activity.
    threshold, weeks, baseline_weeks, min_baseline, dormant_days
        Signal parameters (see :func:`at_risk`); None keeps the default.

    Returns
    -------
    pandas.DataFrame
        One row per period start ``period`` (and ``by`` group), then rows with
        ``scope="overall"`` pooling every period whose horizon is over:
        ``scope, period, horizon_end, horizon_complete, paying, flagged,
        churned_flagged, unflagged, churned_unflagged, churned, precision,
        base_rate, lift, recall``. Periods whose window of events before the
        flag date is incomplete are not reported.

    Notes
    -----
    **Definition.** At each flag date ``t`` (a period start), the accounts
    paying at ``t`` are split into flagged and unflagged. An account *churned*
    when its MRR fell to zero at a boundary in ``(t, t + horizon]`` (the
    :mod:`churnlab.states` rule).

    **Formula.** ``precision = churned_flagged / flagged``; ``base_rate =
    churned_unflagged / unflagged``; ``lift = precision / base_rate``;
    ``recall = churned_flagged / churned`` with ``churned = churned_flagged +
    churned_unflagged``.

    **Convention.** Censoring is honest: when ``t + horizon`` is after the end
    of the as-of day, ``horizon_complete`` is False and every churn count and
    rate is NaN (not "did not churn"); such periods are left out of the
    overall rows. On the bundled sample (defaults, horizon 90 days) the
    planted decline gives a precision of about 0.16 and a recall of about 0.13
    (flag dates February to August 2026), a lift of about 2 over the base
    rate of 8%;
    ``tests/test_activity.py`` asserts these with margins.

    Examples
    --------
    >>> import churnlab as cl
    >>> bt = cl.activity_backtest(cl.sample_dataset(), as_of="2026-10-31")
    >>> overall = bt[bt.scope == "overall"].iloc[0]
    >>> bool(overall.lift > 1.5)
    True
    """
    freq = periods.check_freq(freq)
    if freq not in ("W", "M", "Q"):
        raise ParameterError(f'freq={freq!r}: use "W", "M" or "Q" for flag dates.')
    horizon_days = _base.check_positive_int(horizon_days, "horizon_days")
    bad = [s for s in signals if s not in ("slipping", "dormant")]
    if bad or not signals:
        raise ParameterError(
            f"signals={list(signals)!r}: choose from 'slipping' and 'dormant'."
        )
    ds = _base.dataset(data)
    p = _params(
        threshold=threshold,
        weeks=weeks,
        baseline_weeks=baseline_weeks,
        min_baseline=min_baseline,
        dormant_days=dormant_days,
    )
    as_of = _base.resolve_as_of(ds, as_of, "D")
    cutoff = periods.cutoff(as_of)
    first = ds.info["events"].earliest
    if first is None:
        raise ParameterError("The events table is empty; nothing to backtest.")
    span = pd.Timedelta(days=(p["weeks"] + p["baseline_weeks"]) * 7)
    earliest_t = pd.Timestamp(first).normalize() + span
    t = periods.period_start(earliest_t, freq)
    if t < earliest_t:
        t = periods.period_end(t, freq)
    dates = []
    while t <= cutoff:
        dates.append(t)
        t = periods.period_end(t, freq)
    if not dates:
        raise ParameterError(
            f"No flag date has {span.days} days of events before it up to as_of="
            f"{as_of.date()}; events start {pd.Timestamp(first).date()}."
        )
    dt = _base.dates_table(dates)
    sig = _signals_expr(ds, dt, p=p, cutoff=cutoff, event=event)
    flag = ibis.literal(False)
    for name in signals:
        flag = flag | sig[name]
    sig = sig.mutate(flagged=flag)
    churn = _base.churn_after(
        _needs_subscriptions(ds), dt, horizon_days=horizon_days, cutoff=cutoff
    ).rename(_t="t", _cid="customer_id")
    j = sig.left_join(churn, (sig.t == churn._t) & (sig.account_id == churn._cid))
    j = j.mutate(churned=j.churned_at.notnull())
    j, cols = _base.attach_attributes(j, ds, by, key="account_id")
    agg = j.group_by(["t", *cols]).agg(
        paying=_.count(),
        flagged=_.flagged.cast("int64").sum(),
        churned_flagged=(_.flagged & _.churned).cast("int64").sum(),
        churned_unflagged=(~_.flagged & _.churned).cast("int64").sum(),
    )
    raw = engine.execute(agg).rename(columns={"t": "period"})
    grid = pd.DataFrame({"period": pd.to_datetime(dates).astype("datetime64[ns]")})
    if cols:
        raw = grid.merge(raw, on="period", how="left").dropna(subset=cols)
    else:
        raw = grid.merge(raw, on="period", how="left")
    for c in ("paying", "flagged", "churned_flagged", "churned_unflagged"):
        raw[c] = raw[c].fillna(0).astype("float64")
    raw["horizon_end"] = raw["period"] + pd.Timedelta(days=horizon_days)
    raw["horizon_complete"] = raw["horizon_end"] <= cutoff
    raw["scope"] = "period"
    done = raw[raw["horizon_complete"]]
    overall = (
        done.groupby(cols, dropna=False)[
            ["paying", "flagged", "churned_flagged", "churned_unflagged"]
        ].sum()
        if cols
        else done[["paying", "flagged", "churned_flagged", "churned_unflagged"]]
        .sum()
        .to_frame()
        .T
    )
    overall = overall.reset_index(drop=not cols)
    overall["scope"] = "overall"
    overall["period"] = pd.NaT
    overall["horizon_end"] = pd.NaT
    overall["horizon_complete"] = True
    out = pd.concat([raw, overall], ignore_index=True)
    out["unflagged"] = out["paying"] - out["flagged"]
    out["churned"] = out["churned_flagged"] + out["churned_unflagged"]
    censored = ~out["horizon_complete"].astype(bool)
    for c in ("churned_flagged", "churned_unflagged", "churned"):
        out.loc[censored, c] = np.nan
    out["precision"] = _ratio(out["churned_flagged"], out["flagged"])
    out["base_rate"] = _ratio(out["churned_unflagged"], out["unflagged"])
    out["lift"] = _ratio(out["precision"], out["base_rate"])
    out["recall"] = _ratio(out["churned_flagged"], out["churned"])
    out["period"] = out["period"].astype("datetime64[ns]")
    out["horizon_end"] = out["horizon_end"].astype("datetime64[ns]")
    out["horizon_complete"] = out["horizon_complete"].astype(bool)
    columns = [
        "scope",
        *cols,
        "period",
        "horizon_end",
        "horizon_complete",
        "paying",
        "flagged",
        "churned_flagged",
        "unflagged",
        "churned_unflagged",
        "churned",
        "precision",
        "base_rate",
        "lift",
        "recall",
    ]
    out = out[columns].sort_values(
        ["scope", *cols, "period"], key=_scope_key, ignore_index=True
    )
    out.attrs.update(as_of=as_of, horizon_days=horizon_days, parameters=p)
    return out


def _scope_key(s: pd.Series) -> pd.Series:
    return s.map({"period": 0, "overall": 1}) if s.name == "scope" else s


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype("float64")
    return num.astype("float64") / den.where(den != 0)


@share_docs
def account_activity(
    data: Any,
    account_id: str,
    *,
    as_of: Any = None,
    history_weeks: int = 26,
    event: str | Sequence[str] | None = None,
    threshold: float | None = None,
    weeks: int | None = None,
    baseline_weeks: int | None = None,
    min_baseline: float | None = None,
    dormant_days: int | None = None,
) -> pd.DataFrame:
    """One account's rolling weeks, with the baseline and limit its signal used.

    Parameters
    ----------
    data : Dataset
        Events and subscriptions.
    account_id : str
        The account.
    as_of : date-like, optional
        Judged at the end of this day. Default: the day of the latest event.
    history_weeks : int, default 26
        How many rolling weeks before ``t`` to return.
    event, threshold, weeks, baseline_weeks, min_baseline, dormant_days
        As for :func:`at_risk`.

    Returns
    -------
    pandas.DataFrame
        One row per rolling week ``k`` (0 = the 7 days before ``t``):
        ``k, week_start, week_end, user_days, window`` (``"recent"``,
        ``"baseline"`` or ``"earlier"``), ``baseline``, ``limit``, ``low``.
        ``attrs["signal"]`` holds the account's row of
        :func:`activity_signals` (empty when it is not paying at ``t``).

    Notes
    -----
    **Definition.** As in :func:`activity_signals`: ``limit = (1 - threshold)
    * baseline``; a week is ``low`` when its user-days are below the limit.

    Examples
    --------
    >>> import churnlab as cl
    >>> a = cl.account_activity(cl.sample_dataset(), "C01919", as_of="2026-10-31")
    >>> a.window.value_counts().to_dict()
    {{'earlier': 16, 'baseline': 8, 'recent': 2}}
    """
    ds = _base.dataset(data)
    history_weeks = _base.check_positive_int(history_weeks, "history_weeks")
    p = _params(
        threshold=threshold,
        weeks=weeks,
        baseline_weeks=baseline_weeks,
        min_baseline=min_baseline,
        dormant_days=dormant_days,
    )
    as_of, cutoff = _evaluate_at(ds, as_of)
    n, b = p["weeks"], p["baseline_weeks"]
    history_weeks = max(history_weeks, n + b)
    events = _base.filter_events(ds.events, cutoff=cutoff, event=event).filter(
        _.account_id == account_id
    )
    days = engine.execute(_base.account_days(events))
    diff = (cutoff - days["day"]).dt.days
    days["k"] = (diff - 1) // 7
    per_week = days.groupby("k")["active_users"].sum()
    k = np.arange(history_weeks)
    out = pd.DataFrame({"k": k})
    out["week_end"] = cutoff - pd.to_timedelta(7 * k, unit="D")
    out["week_start"] = out["week_end"] - pd.Timedelta(days=7)
    out["user_days"] = per_week.reindex(k, fill_value=0).to_numpy().astype("int64")
    out["window"] = np.select([k < n, k < n + b], ["recent", "baseline"], "earlier")
    sig = _signals_expr(
        ds, _base.dates_table([cutoff]), p=p, cutoff=cutoff, event=event
    ).filter(_.account_id == account_id)
    row = engine.execute(sig.drop("t"))
    baseline = out.loc[out["window"] == "baseline", "user_days"].sum() / b
    out["baseline"] = float(baseline)
    out["limit"] = float(baseline * (1 - p["threshold"]))
    out["low"] = out["user_days"] < out["limit"]
    out.attrs.update(
        account_id=account_id,
        as_of=as_of,
        parameters=p,
        signal=row.iloc[0].to_dict() if len(row) else {},
    )
    return out[
        [
            "k",
            "week_start",
            "week_end",
            "user_days",
            "window",
            "baseline",
            "limit",
            "low",
        ]
    ]
