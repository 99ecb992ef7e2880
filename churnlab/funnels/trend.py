"""Funnel conversion over time: by entry period and by time since entry.

Public names: ``funnel_trend``, ``funnel_conversion_curve``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from churnlab import engine, periods
from churnlab._compat import keyword_only
from churnlab.errors import ParameterError
from churnlab.funnels._build import _actor_table
from churnlab.funnels._finish import _attrs, _ratio
from churnlab.funnels.counts import funnel_users
from churnlab.funnels.spec import (
    Funnel,
    _funnel_docs,
    _prepare,
    _resolve,
    _takes_spec,
)

if TYPE_CHECKING:  # pragma: no cover
    from churnlab._types import DataLike, DateLike, Freq

__all__ = ["funnel_trend", "funnel_conversion_curve"]


@keyword_only("steps", "window", "by", "order", renamed={"events": "data"})
@_takes_spec
@_funnel_docs
def funnel_trend(
    data: DataLike,
    *,
    steps: Sequence[str | Mapping[str, Any]] | None = None,
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: Literal["loose", "strict"] = "loose",
    freq: Freq = "W",
    count_by: Literal["user", "account"] = "user",
    attempts: Literal["all", "first"] = "all",
    since: DateLike | None = None,
    as_of: DateLike | None = None,
    spec: Funnel | None = None,
) -> pd.DataFrame:
    """Funnel conversion by entry period, to see whether conversion improves.

    Parameters
    ----------
    {events}
    {spec}
    {steps}
    {window}
    {fby}
    {order}
    {freq}
    {count_by}
    {attempts}
    {since}
    {fas_of}

    Returns
    -------
    pandas.DataFrame
        One row per entry period (and group), complete periods only:
        ``period``, ``by`` columns, ``users_entered`` (uncensored),
        ``users_converted`` (reached the last step), ``conversion_rate``,
        ``users_censored``.

    Notes
    -----
    **Definition.** A user's entry period is the period of their first step-1
    event; they convert when they reach the last step (see :func:`funnel`).

    **Formula.** ``conversion_rate = users_converted / users_entered``.

    **Convention.** Users who entered less than one window before the cutoff
    are censored: counted in ``users_censored``, not in the rate, so the last
    periods are not dragged down by users who have not had the chance to
    convert. A period whose users are all censored has a NaN rate.

    Examples
    --------
    >>> import churnlab as cl
    >>> t = cl.funnel_trend(cl.sample_dataset(), steps=["login", "export"], freq="M")
    >>> str(t["period"].iloc[0].date())
    '2025-11-01'
    """
    freq = periods.check_freq(freq)
    f = _resolve(
        spec,
        steps=steps,
        window=window,
        by=by,
        order=order,
        count_by=count_by,
        attempts=attempts,
        since=since,
        as_of=as_of,
    )
    ds, sp = _prepare(data, f)
    per, _cols = _actor_table(ds, sp)
    n = len(sp.steps)
    u = sp.unit
    per = per.mutate(period=periods.truncate(per.at_1, freq))
    expr = per.group_by(["period", *sp.by]).agg(
        **{
            f"{u}_entered": (~per.censored).cast("int64").sum(),
            f"{u}_converted": ((~per.censored) & (per.level >= n)).cast("int64").sum(),
            f"{u}_censored": per.censored.cast("int64").sum(),
        }
    )
    frame = engine.execute(expr)
    end = periods.period_end(frame["period"], freq) if len(frame) else frame["period"]
    frame = frame[end <= sp.cutoff]
    frame.insert(
        frame.columns.get_loc(f"{u}_converted") + 1,
        "conversion_rate",
        _ratio(frame[f"{u}_converted"], frame[f"{u}_entered"]),
    )
    for col in sp.by:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame = frame.sort_values(["period", *sp.by], kind="stable", ignore_index=True)
    return _attrs(frame, sp)


@keyword_only("steps", "window", "by", "order", renamed={"events": "data"})
@_takes_spec
@_funnel_docs
def funnel_conversion_curve(
    data: DataLike,
    *,
    steps: Sequence[str | Mapping[str, Any]] | None = None,
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: Literal["loose", "strict"] = "loose",
    step: int | str | None = None,
    count_by: Literal["user", "account"] = "user",
    attempts: Literal["all", "first"] = "all",
    since: DateLike | None = None,
    as_of: DateLike | None = None,
    alpha: float = 0.05,
    spec: Funnel | None = None,
) -> pd.DataFrame:
    """Conversion by time since entry, censoring-aware (1 - Kaplan-Meier).

    Parameters
    ----------
    {events}
    {spec}
    {steps}
    {window}
    {fby}
    {order}
    step : int or str, optional
        The step whose reaching counts as converting (index or name); default
        the last.
    {count_by}
    {attempts}
    {since}
    {fas_of}
    alpha : float, default 0.05
        The confidence band is ``1 - alpha`` (lifelines' exponential Greenwood).

    Returns
    -------
    pandas.DataFrame
        One row per distinct time (and group): ``by`` columns,
        ``hours_since_entry``, ``users_at_risk``, ``users_converted``,
        ``users_censored``, ``conversion``, ``ci_lower``, ``ci_upper``.

    Notes
    -----
    **Definition.** ``conversion(t)`` is the share of users who reach the
    target step within ``t`` of their entry (first step-1 event), estimated
    with every user, including those who entered too recently to have been
    seen for ``t``.

    **Formula.** Durations ``T = step_k_at - entered_at`` for users who reached
    step k, else censored at ``cutoff - entered_at``;
    ``conversion(t) = 1 - S(t)`` with ``S`` the Kaplan-Meier estimate
    (lifelines ``KaplanMeierFitter``), ``ci_lower = 1 - S_upper``.

    **Convention.** Recent users enter the estimate while observed instead of
    being counted as non-converters (which biases plain rates down) or being
    dropped (which wastes data). A user still inside the window may convert
    later, so they are censored, not failures. Time runs from the first entry:
    with ``attempts="first"``, ``conversion`` at the window estimates
    :func:`funnel`'s ``conversion_from_first``; with every attempt counting,
    later attempts convert later and the curve keeps rising past the window.

    Examples
    --------
    >>> import churnlab as cl
    >>> c = cl.funnel_conversion_curve(cl.sample_dataset(), steps=["login", "export"])
    >>> bool(c["conversion"].is_monotonic_increasing)
    True
    """
    from lifelines import KaplanMeierFitter

    f = _resolve(
        spec,
        steps=steps,
        window=window,
        by=by,
        order=order,
        count_by=count_by,
        attempts=attempts,
        since=since,
        as_of=as_of,
    )
    users = funnel_users(data, spec=f)
    names = users.attrs["steps"]
    if step is None:
        k = len(names)
    elif isinstance(step, str):
        if step not in names:
            raise ParameterError(f"step={step!r} is not one of the steps.")
        k = names.index(step) + 1
    else:
        k = int(step)
    if not 2 <= k <= len(names):
        raise ParameterError(f"step={step!r} must be one of steps 2..{len(names)}.")
    cutoff = periods.cutoff(users.attrs["as_of"])
    by_cols = list(users.attrs["by"])
    done = users["steps_reached"] >= k
    end = users[f"step_{k}_at"].where(done, cutoff)
    hours = (end - users["entered_at"]).dt.total_seconds() / 3600.0
    data = pd.DataFrame({"T": hours.clip(lower=0.0), "E": done.astype(bool)})
    for c in by_cols:
        data[c] = users[c]
    groups = data.groupby(by_cols, dropna=False, sort=True) if by_cols else [((), data)]
    frames = []
    for key, g in groups:
        if g.empty:
            continue
        kmf = KaplanMeierFitter(alpha=alpha).fit(g["T"], event_observed=g["E"])
        table = kmf.event_table
        ci = kmf.confidence_interval_survival_function_
        f = pd.DataFrame(
            {
                "hours_since_entry": table.index.to_numpy(dtype=float),
                "users_at_risk": table["at_risk"].to_numpy(dtype="int64"),
                "users_converted": table["observed"].to_numpy(dtype="int64"),
                "users_censored": table["censored"].to_numpy(dtype="int64"),
                "conversion": 1.0 - kmf.survival_function_.iloc[:, 0].to_numpy(),
                "ci_lower": 1.0 - ci.iloc[:, 1].to_numpy(),
                "ci_upper": 1.0 - ci.iloc[:, 0].to_numpy(),
            }
        )
        keys = key if isinstance(key, tuple) else (key,)
        for c, v in zip(by_cols, keys, strict=True):
            f.insert(by_cols.index(c), c, v)
        frames.append(f)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    out.attrs = dict(users.attrs)
    out.attrs["target_step"] = names[k - 1]
    return out
