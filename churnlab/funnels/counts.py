"""Funnel counts per step, per user, drop-outs and times between steps.

Public names: ``funnel``, ``funnel_users``, ``funnel_dropped``, ``funnel_times``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from churnlab import engine
from churnlab._compat import keyword_only
from churnlab.errors import ParameterError
from churnlab.funnels._build import _actor_table, _counts_expr
from churnlab.funnels._finish import _attrs, _long_counts, _users_frame
from churnlab.funnels.spec import (
    Funnel,
    _funnel_docs,
    _prepare,
    _resolve,
    _takes_spec,
)

# -------------------------------------------------------------------------- public

if TYPE_CHECKING:  # pragma: no cover
    from churnlab._types import DataLike, DateLike

__all__ = ["funnel", "funnel_users", "funnel_dropped", "funnel_times"]


@keyword_only("steps", "window", "by", "order", renamed={"events": "data"})
@_takes_spec
@_funnel_docs
def funnel(
    data: DataLike,
    *,
    steps: Sequence[str | Mapping[str, Any]] | None = None,
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: Literal["loose", "strict"] = "loose",
    count_by: Literal["user", "account"] = "user",
    attempts: Literal["all", "first"] = "all",
    since: DateLike | None = None,
    as_of: DateLike | None = None,
    spec: Funnel | None = None,
) -> pd.DataFrame:
    """Conversion funnel: users reaching each ordered step within a window.

    Parameters
    ----------
    {events}
    {spec}
    {steps}
    {window}
    {fby}
    {order}
    {count_by}
    {attempts}
    {since}
    {fas_of}

    Returns
    -------
    pandas.DataFrame
        One row per step (and group): ``by`` columns, ``step_index`` (1-based),
        ``step``, ``users`` (uncensored users who reached the step),
        ``users_previous``, ``conversion_from_previous``, ``users_first``,
        ``conversion_from_first``, ``users_dropped`` (reached the previous step,
        not this one), ``drop_off_rate``, ``users_censored`` (entered less than
        one window before the cutoff; how far they got so far),
        ``median_hours_from_previous``, ``mean_hours_from_previous``,
        ``median_hours_from_first``. With ``count_by="account"`` the ``users``
        columns are named ``accounts``. ``frame.attrs`` holds the window,
        as-of day, order and attempts.

    Raises
    ------
    ParameterError
        For fewer than two steps, a bad window, order, attempts or count_by, or
        a ``by`` that is neither an events column nor a customer attribute.

    See Also
    --------
    funnel_users : the same computation, one row per user.
    funnel_conversion_curve : conversion by time since entry (1 - Kaplan-Meier).

    Notes
    -----
    **Definition.** A user reaches step k when, in some attempt (one per step-1
    event), steps 1..k happen in order with step k at most ``window`` after
    that attempt's step-1 event. Users are counted at the furthest step of any
    attempt.

    **Formula.** ``conversion_from_previous = users / users_previous``;
    ``conversion_from_first = users / users_first``; ``drop_off_rate =
    users_dropped / users_previous = 1 - conversion_from_previous``. Times are
    medians (and a mean) over the users reaching step k of the hours from the
    previous step and from step 1, in the attempt that first reached step k
    (see :func:`funnel_times`).

    **Convention.** Users who entered (first step-1 event) less than one window
    before the cutoff (the end of the as-of day) are censored: they are left
    out of every count and rate and reported in ``users_censored``, because
    counting them as dropped would understate conversion for recent traffic.
    The window is inclusive at its limit and same-instant steps count
    (PostHog's conventions); step 1 shows conversion 1.0.

    Examples
    --------
    >>> import churnlab as cl
    >>> f = cl.funnel(cl.sample_dataset(), steps=["login", "report_viewed", "export"])
    >>> f[["step", "users"]].to_dict("list")["step"]
    ['login', 'report_viewed', 'export']
    >>> bool(f["users"].is_monotonic_decreasing)
    True
    """
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
    wide = engine.execute(_counts_expr(per, sp))
    return _attrs(_long_counts(wide, sp), sp)


@keyword_only("steps", "window", "by", "order", renamed={"events": "data"})
@_takes_spec
@_funnel_docs
def funnel_users(
    data: DataLike,
    *,
    steps: Sequence[str | Mapping[str, Any]] | None = None,
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: Literal["loose", "strict"] = "loose",
    count_by: Literal["user", "account"] = "user",
    attempts: Literal["all", "first"] = "all",
    since: DateLike | None = None,
    as_of: DateLike | None = None,
    spec: Funnel | None = None,
) -> pd.DataFrame:
    """The funnel per user: how far each user got, when, and whether censored.

    Parameters
    ----------
    {events}
    {spec}
    {steps}
    {window}
    {fby}
    {order}
    {count_by}
    {attempts}
    {since}
    {fas_of}

    Returns
    -------
    pandas.DataFrame
        One row per user who started an attempt: ``user_id`` (or
        ``account_id``), ``by`` columns, ``entered_at`` (first step-1 event),
        ``steps_reached`` (furthest step index), ``last_step`` (its name),
        ``converted`` (reached the last step), ``censored``, and
        ``step_1_at`` ... ``step_n_at`` (first arrival at each step; NaT if
        never reached).

    Notes
    -----
    **Definition.** As in :func:`funnel`, per user.

    **Formula.** ``converted = steps_reached == len(steps)``; ``censored =
    entered_at + window >= cutoff``.

    **Convention.** ``step_k_at`` is the user's first arrival at step k in any
    valid attempt, so ``step_k_at - step_(k-1)_at`` may span two attempts
    when a later attempt got further.

    Examples
    --------
    >>> import churnlab as cl
    >>> u = cl.funnel_users(cl.sample_dataset(), steps=["login", "export"], window="1D")
    >>> list(u.columns[:4])
    ['user_id', 'entered_at', 'steps_reached', 'last_step']
    """
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
    frame = engine.execute(per)
    return _attrs(_users_frame(frame, sp), sp)


@keyword_only("steps", "window", "by", "order", renamed={"events": "data"})
@_takes_spec
@_funnel_docs
def funnel_dropped(
    data: DataLike,
    *,
    steps: Sequence[str | Mapping[str, Any]] | None = None,
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: Literal["loose", "strict"] = "loose",
    step: int | str,
    count_by: Literal["user", "account"] = "user",
    attempts: Literal["all", "first"] = "all",
    since: DateLike | None = None,
    as_of: DateLike | None = None,
    spec: Funnel | None = None,
) -> pd.DataFrame:
    """Users who dropped out at a step, for follow-up.

    Parameters
    ----------
    {events}
    {spec}
    {steps}
    {window}
    {fby}
    {order}
    step : int or str
        The step they failed to reach: a 1-based index (2 or more) or a step
        name (its first occurrence).
    {count_by}
    {attempts}
    {since}
    {fas_of}

    Returns
    -------
    pandas.DataFrame
        The :func:`funnel_users` rows of uncensored users whose furthest step
        is the one before ``step``.

    Notes
    -----
    **Definition.** A user drops at step k when they reached step k - 1 and not
    step k, and their window has fully passed.

    **Formula.** ``steps_reached == k - 1 and not censored``.

    **Convention.** Censored users (entered less than one window before the
    cutoff) may still convert and are never listed as dropped.

    Examples
    --------
    >>> import churnlab as cl
    >>> d = cl.funnel_dropped(cl.sample_dataset(), steps=["login", "export"], step=2)
    >>> bool((d["steps_reached"] == 1).all())
    True
    """
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
    names = f.step_names
    if isinstance(step, str):
        if step not in names:
            raise ParameterError(
                f"step={step!r} is not one of the steps ({', '.join(names)})."
            )
        k = names.index(step) + 1
    elif isinstance(step, int) and not isinstance(step, bool):
        k = step
    else:
        raise ParameterError(f"step={step!r} must be a step index or name.")
    if not 2 <= k <= len(names):
        raise ParameterError(
            f"step={step!r}: users drop at steps 2..{len(names)} (step 1 is entry)."
        )
    users = funnel_users(data, spec=f)
    out = users[(users["steps_reached"] == k - 1) & ~users["censored"]]
    return out.reset_index(drop=True)


@keyword_only("steps", "window", "by", "order", renamed={"events": "data"})
@_takes_spec
@_funnel_docs
def funnel_times(
    data: DataLike,
    *,
    steps: Sequence[str | Mapping[str, Any]] | None = None,
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: Literal["loose", "strict"] = "loose",
    count_by: Literal["user", "account"] = "user",
    attempts: Literal["all", "first"] = "all",
    since: DateLike | None = None,
    as_of: DateLike | None = None,
    spec: Funnel | None = None,
) -> pd.DataFrame:
    """Time to convert between steps, one row per user and step reached.

    Parameters
    ----------
    {events}
    {spec}
    {steps}
    {window}
    {fby}
    {order}
    {count_by}
    {attempts}
    {since}
    {fas_of}

    Returns
    -------
    pandas.DataFrame
        ``user_id`` (or ``account_id``), ``by`` columns, ``step_index``, ``step``,
        ``hours_from_previous``, ``hours_from_first``: for every uncensored user
        and every step from 2 that they reached. The distribution behind the
        medians of :func:`funnel`.

    Notes
    -----
    **Definition.** Time from the previous step (and from step 1) to this step,
    within the attempt that first reached it.

    **Formula.** For the attempt that first brought the user to step k (start
    ``s``, previous step at ``p``, step k at ``t``): ``hours_from_previous =
    (t - p) / 1 h``, ``hours_from_first = (t - s) / 1 h``, so both are at most
    the window. Times are read to the second.

    **Convention.** Censored users are left out, as in :func:`funnel`. Each
    step is measured in the attempt that reached it first; with several
    attempts, two steps of one user may come from different attempts. In loose
    order, when the previous step happened more than once in that attempt, ``p``
    is its last occurrence before step k (the time the step actually took, not
    the time since the first try).

    Examples
    --------
    >>> import churnlab as cl
    >>> t = cl.funnel_times(cl.sample_dataset(), steps=["login", "export"], window="1D")
    >>> bool((t["hours_from_previous"] <= 24).all())
    True
    """
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
    raw = engine.execute(per)
    raw = raw[~raw["censored"].astype(bool)]
    frames = []
    for k in range(2, len(sp.steps) + 1):
        reached = raw[raw["level"] >= k]
        f = pd.DataFrame({sp.actor: reached["actor_id"].astype(object)})
        for c in sp.by:
            f[c] = reached[c].astype(object).where(reached[c].notna(), None)
        f["step_index"] = k
        f["step"] = sp.steps[k - 1].name
        f["hours_from_previous"] = reached[f"gp_{k}"].astype(float) / 3600.0
        f["hours_from_first"] = reached[f"gf_{k}"].astype(float) / 3600.0
        frames.append(f)
    out = pd.concat(frames, ignore_index=True).sort_values(
        ["step_index", *sp.by, sp.actor], kind="stable", ignore_index=True
    )
    return _attrs(out, sp)
