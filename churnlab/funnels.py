"""Product funnels from events: ordered steps, a conversion window, censoring.

Public names: ``funnel``, ``funnel_users``, ``funnel_dropped``, ``funnel_times``,
``funnel_trend``, ``funnel_conversion_curve``.

**Semantics** (PostHog's, so analysts get the numbers they already trust):

* **Attempts.** Every occurrence of step 1 starts an attempt (``attempts="first"``:
  only the user's first one). Each attempt advances step by step; a user (or
  account, ``count_by="account"``) counts at the furthest step any of their
  attempts reached.
* **Window.** A step converts when it happens at most ``window`` after the
  attempt's step-1 event: the limit is inclusive (a step exactly 7 days later
  converts with ``window="7D"``, one second more does not).
* **Ties.** A user's events are ordered by time, and events at the same instant
  by the first step they match, so a next step at the same instant as the
  previous one counts. One event never serves two steps: with a repeated step
  (``["view", "view"]``) the second view must be another event (it may share
  the instant).
* **Loose order** (default): other events, including repeats of earlier steps,
  may happen between two steps. **Strict order**: any other event of the user
  between two steps breaks the attempt; events at the same instant are ordered
  by the step they match, so same-instant steps still count.
* **Censoring.** A user whose first step-1 event (their *entry*) lies less than
  one window before the as-of cutoff has not had the full window to convert:
  they are counted apart (``users_censored``), never as dropped. Conversion by
  time since entry, with every user included, is ``1 - Kaplan-Meier``
  (:func:`funnel_conversion_curve`).

**Implementation.** One Ibis expression, run once through the engine. Loose
order is a dynamic programme over per-user windows, one window pass per step
transition (no Python loop over users): for each step-k event, the latest
attempt start that reached step k-1 at or before it is a running maximum; the
event converts when it lies within the window of that start. The latest start is
optimal because only the start bounds the window. Strict order reads the next
``n - 1`` events of each step-1 event with ``lead``.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.common.deferred import Deferred

from churnlab import contract, engine, periods
from churnlab._docs import DOCS
from churnlab.errors import ChurnlabWarning, ParameterError

__all__ = [
    "funnel",
    "funnel_users",
    "funnel_dropped",
    "funnel_times",
    "funnel_trend",
    "funnel_conversion_curve",
]

_ORDERS = ("loose", "strict")
_ATTEMPTS = ("all", "first")
_COUNT_BY = {"user": "user_id", "account": "account_id"}
_FAR_FUTURE = pd.Timestamp("2200-01-01")

_FUNNEL_DOCS: dict[str, str] = {
    "events": """\
events : Dataset, DataFrame, path or ibis.Table
    Events with ``user_id, event, timestamp`` (``account_id`` for
    ``count_by="account"``; ``properties`` for property filters). A Dataset
    holding ``customers`` also allows ``by`` on a customer attribute.""",
    "steps": """\
steps : sequence of str or dict
    The ordered steps, at least two. A step is an event name, or a dict
    ``{{"event": "purchase", "where": {{"plan": "pro"}}, "name": "pro purchase"}}``:
    ``where`` maps event columns (or keys of a flat JSON object in
    ``properties``, compared as text) to a value or a list of values, or is an
    Ibis predicate (``_.properties.contains("pro")``) or a callable taking the
    table. ``name`` labels the step (default: the event name).""",
    "window": """\
window : str or timedelta, default "7D"
    Conversion window, measured from the attempt's step-1 event and inclusive
    at its limit (pandas Timedelta text: ``"7D"``, ``"24h"``, ``"30min"``).""",
    "fby": """\
by : str or list of str, optional
    Breakdown: a column of the events table or, given a Dataset with
    ``customers``, a customer attribute (joined on ``account_id``). A user's
    group is the value on their first step-1 event (first touch), so each user
    is in one group.""",
    "order": """\
order : {{"loose", "strict"}}, default "loose"
    Loose: other events may happen between steps. Strict: any other event of
    the user between two steps breaks the attempt.""",
    "count_by": """\
count_by : {{"user", "account"}}, default "user"
    Count users (``user_id``) or accounts (``account_id``: the account's
    events are merged into one sequence). Output columns are named after the
    unit (``users`` or ``accounts``).""",
    "attempts": """\
attempts : {{"all", "first"}}, default "all"
    ``"all"``: every step-1 event starts an attempt and the furthest counts.
    ``"first"``: only the first step-1 event in range starts one.""",
    "since": """\
since : date-like, optional
    Only step-1 events on or after this day start attempts (later steps may
    use any event up to the cutoff).""",
    "fas_of": """\
as_of : date-like, optional
    The day the events are known through, inclusive; events after it are
    ignored. Default: the day of the latest event. Users who entered less than
    one window before the end of this day are censored.""",
}


def _funnel_docs(func: Callable[..., Any]) -> Callable[..., Any]:
    """Fill shared parameter text (``{events}``, ``{window}``, ...) in a docstring."""
    if func.__doc__:
        import textwrap

        texts = {**DOCS, **_FUNNEL_DOCS}
        filled = {k: textwrap.indent(v, "    ").lstrip() for k, v in texts.items()}
        func.__doc__ = func.__doc__.format(**filled)
    return func


# --------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class _Step:
    name: str
    event: str
    where: Any = None


@dataclass(frozen=True)
class _Spec:
    steps: tuple[_Step, ...]
    window: pd.Timedelta
    order: str
    attempts: str
    actor: str
    unit: str
    by: tuple[str, ...]
    cutoff: pd.Timestamp
    as_of: pd.Timestamp
    since: pd.Timestamp | None
    base: int  # epoch seconds of the first events day (time origin for packing)


def _parse_steps(steps: Any) -> tuple[_Step, ...]:
    if isinstance(steps, str | Mapping) or not isinstance(steps, Sequence):
        raise ParameterError(
            f"steps={steps!r} must be a list of at least two steps, e.g. "
            "['signup', 'activate', 'purchase']."
        )
    out = []
    for i, step in enumerate(steps, 1):
        if isinstance(step, str) and step:
            out.append(_Step(step, step))
        elif isinstance(step, Mapping) and isinstance(step.get("event"), str):
            unknown = set(step) - {"event", "where", "name"}
            if unknown:
                raise ParameterError(
                    f"step {i} has unknown key(s) {', '.join(sorted(unknown))}; "
                    "use 'event', 'where' and 'name'."
                )
            out.append(
                _Step(
                    str(step.get("name") or step["event"]),
                    step["event"],
                    step.get("where"),
                )
            )
        else:
            raise ParameterError(
                f"step {i} ({step!r}) must be an event name or a dict with an "
                "'event' key, e.g. {'event': 'purchase', 'where': {'plan': 'pro'}}."
            )
    if len(out) < 2:
        raise ParameterError(f"A funnel needs at least two steps; got {len(out)}.")
    return tuple(out)


def _parse_window(window: Any) -> pd.Timedelta:
    if isinstance(window, bool) or not isinstance(
        window, str | _dt.timedelta | pd.Timedelta | np.timedelta64
    ):
        raise ParameterError(
            f"window={window!r} must be a duration such as '7D', '24h' or "
            "pd.Timedelta(days=7) (a bare number is ambiguous)."
        )
    try:
        td = pd.Timedelta(window)
    except (ValueError, TypeError) as err:
        raise ParameterError(
            f"window={window!r} is not a duration; use e.g. '7D', '24h', '30min'."
        ) from err
    if td is pd.NaT or td <= pd.Timedelta(0):
        raise ParameterError(f"window={window!r} must be positive, e.g. '7D'.")
    if td != td.floor("s"):
        raise ParameterError(f"window={window!r} must be a whole number of seconds.")
    return td


def _choice(value: Any, options: Sequence[str], name: str) -> str:
    if value not in options:
        raise ParameterError(
            f"{name}={value!r} is not valid; use one of "
            + ", ".join(repr(o) for o in options)
            + "."
        )
    return value


def _by_tuple(by: Any) -> tuple[str, ...]:
    if by is None:
        return ()
    cols = [by] if isinstance(by, str) else list(by)
    if not cols or not all(isinstance(c, str) and c for c in cols):
        raise ParameterError(f"by={by!r} must be a column name or a list of them.")
    return tuple(cols)


def _spec(
    ds: contract.Dataset,
    steps: Any,
    window: Any,
    by: Any,
    order: Any,
    count_by: Any,
    attempts: Any,
    since: Any,
    as_of: Any,
) -> _Spec:
    parsed = _parse_steps(steps)
    td = _parse_window(window)
    order = _choice(order, _ORDERS, "order")
    attempts = _choice(attempts, _ATTEMPTS, "attempts")
    count_by = _choice(count_by, tuple(_COUNT_BY), "count_by")
    actor = _COUNT_BY[count_by]
    events = ds.table("events")
    if actor not in events.columns:
        raise ParameterError(
            "count_by='account' needs an account_id column in events; this events "
            "table has none."
        )
    day = periods.resolve_as_of(as_of, latest=ds.latest("events"), freq="D")
    info = ds.info.get("events")
    earliest = info.earliest if info is not None else None
    if earliest is None or pd.isna(earliest):
        earliest = engine.scalar(events.timestamp.min())
    origin = pd.Timestamp(earliest if earliest is not None else day).normalize()
    start = None if since is None else periods.parse_date(since, name="since")
    return _Spec(
        steps=parsed,
        window=td,
        order=order,
        attempts=attempts,
        actor=actor,
        unit=f"{count_by}s",
        by=_by_tuple(by),
        cutoff=periods.cutoff(day),
        as_of=day,
        since=start,
        base=int((origin - pd.Timestamp(0)).total_seconds()),
    )


# ----------------------------------------------------------------------- builders


def _prop_value(table: ir.Table, key: str) -> ir.StringValue:
    """Text value of ``key`` in a flat JSON object held in ``properties``."""
    pattern = r'"' + re.escape(key) + r'"\s*:\s*"?([^",}]*)'
    return table.properties.re_extract(pattern, 1).nullif("")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _step_predicate(table: ir.Table, step: _Step, index: int) -> ir.BooleanValue:
    pred = table.event == step.event
    where = step.where
    if where is None:
        return pred
    if isinstance(where, Deferred):
        return pred & where.resolve(table)
    if isinstance(where, Mapping):
        for col, value in where.items():
            many = isinstance(value, list | tuple | set | frozenset)
            if col in table.columns:
                column = table[col]
                cond = column.isin(list(value)) if many else column == value
            elif "properties" in table.columns:
                column = _prop_value(table, col)
                if many:
                    cond = column.isin([_as_text(v) for v in value])
                else:
                    cond = column == _as_text(value)
            else:
                raise ParameterError(
                    f"step {index} filters on {col!r}, which is neither a column of "
                    f"events ({', '.join(table.columns)}) nor, without a properties "
                    "column, a property."
                )
            pred = pred & cond.fill_null(False)
        return pred
    if callable(where):
        return pred & where(table)
    raise ParameterError(
        f"step {index}: 'where' must be a mapping, an Ibis predicate or a callable; "
        f"got {type(where).__name__}."
    )


def _events_in_range(ds: contract.Dataset, spec: _Spec) -> tuple[ir.Table, list[str]]:
    """Events before the cutoff with the actor column ``actor_id``.

    Returns the table and the by-columns it carries (those of the events
    table); customer attributes are joined later, per actor.
    """
    events = ds.table("events")
    event_by = [c for c in spec.by if c in events.columns]
    missing = [c for c in spec.by if c not in events.columns]
    if missing:
        customers = ds.customers
        if customers is None or "account_id" not in events.columns:
            raise ParameterError(
                f"by={missing[0]!r} is not a column of events "
                f"({', '.join(events.columns)}); customer attributes need a Dataset "
                "with customers and an account_id column in events."
            )
        absent = [c for c in missing if c not in customers.columns]
        if absent:
            raise ParameterError(
                f"by={absent[0]!r} is neither an events column "
                f"({', '.join(events.columns)}) nor a customer attribute "
                f"({', '.join(c for c in customers.columns if c != 'customer_id')})."
            )
    cutoff = ibis.literal(spec.cutoff, "timestamp")
    keep = (events.timestamp < cutoff) & events[spec.actor].notnull()
    if spec.order == "loose":  # only step events matter (lets files skip the rest)
        keep = keep & events.event.isin(sorted({s.event for s in spec.steps}))
    t = events.filter(keep)
    return t.mutate(actor_id=t[spec.actor], ts=t.timestamp), event_by


def _slim(
    t: ir.Table, spec: _Spec, event_by: list[str], account: bool, **flags: Any
) -> ir.Table:
    """Only the columns the funnel uses, plus the step flags."""
    cols = ["actor_id", "ts", "event"]
    if "properties" in t.columns:
        cols.append("properties")
    cols += [c for c in event_by if c not in cols]
    if account and "account_id" not in cols:
        cols.append("account_id")
    return t.select(*cols, **flags)


def _needs_account(ds: contract.Dataset, spec: _Spec) -> bool:
    events = ds.table("events")
    return any(c not in events.columns for c in spec.by)


def _matches(t: ir.Table, spec: _Spec) -> list[ir.BooleanValue]:
    return [
        _step_predicate(t, step, i).fill_null(False)
        for i, step in enumerate(spec.steps, 1)
    ]


def _first_index(flags: list[ir.BooleanValue]) -> ir.IntegerValue:
    """1-based index of the first step a row matches (n + 1 when none)."""
    cases = [(flag, i) for i, flag in enumerate(flags, 1)]
    return ibis.cases(*cases, else_=len(flags) + 1)


def _tie_keys(t: ir.Table) -> list[Any]:
    keys: list[Any] = ["ts", "first_step", "event"]
    if "properties" in t.columns:
        keys.append("properties")
    return keys


def _carry(t: ir.Table, spec: _Spec, event_by: list[str], account: bool) -> dict:
    """Columns carried from step-1 rows to the per-actor table."""
    cols = {f"by_{c}": t[c] for c in event_by}
    if account:
        cols["acct"] = t.account_id
    return cols


_SHIFT = 2**31  # packs (time, gap) seconds into one int64: time * _SHIFT + gap


def _rel(ts: ir.TimestampValue, spec: _Spec) -> ir.IntegerValue:
    """Whole seconds since the first day of the events (exact on every backend)."""
    secs = ts.truncate("s").epoch_seconds().cast("int64")
    return secs - ibis.literal(spec.base, "int64")


def _loose_rows(
    t: ir.Table, spec: _Spec, event_by: list[str], account: bool
) -> ir.Table:
    """Valid step rows of loose-order attempts.

    Columns ``actor_id, k, ts, tr, g_first, g_prev`` (+ carried columns on
    ``k = 1`` rows): the event reached step ``k`` within some attempt that
    started at most one window before it; ``tr`` is its time in seconds,
    ``g_first`` / ``g_prev`` the seconds since that attempt's start and since
    the attempt's previous step. Every actor with a step-1 event has a ``k = 1``
    row.

    Pass k runs over the valid step-(k-1) rows and the step-k events of each
    actor in time order; a running maximum gives, at each step-k event, the
    latest start that reached step k-1 at or before it (``b``), and a second
    one over ``start * 2**31 + time`` gives that chain's step-(k-1) time.
    """
    flags = _matches(t, spec)
    n = len(spec.steps)
    window = ibis.interval(seconds=int(spec.window.total_seconds()))
    # a transition into a step whose event also matches an earlier step must
    # follow the total order of events (one event never serves two steps)
    names = [step.event for step in spec.steps]
    overlap = [names[k] in names[:k] for k in range(1, n)]
    base = _slim(
        t, spec, event_by, account, **{f"m{k}": f for k, f in enumerate(flags, 1)}
    )
    if any(s.where is not None for s in spec.steps):
        base = base.filter(ibis.or_(*[base[f"m{k}"] for k in range(1, n + 1)]))
    if any(overlap):
        base = base.mutate(
            first_step=_first_index([base[f"m{k}"] for k in range(1, n + 1)])
        )
        order = _tie_keys(base)
        base = base.mutate(
            rid=ibis.row_number().over(ibis.window(group_by="actor_id", order_by=order))
        )
    else:
        base = base.mutate(rid=ibis.literal(0, "int64"))
    ts_type = base.ts.type()
    carry = _carry(base, spec, event_by, account)
    shift = ibis.literal(_SHIFT, "int64")
    # step 1: every step-1 event is an attempt start (b = its own time)
    first = base.filter(base.m1)
    if spec.since is not None:
        first = first.filter(first.ts >= ibis.literal(spec.since, "timestamp"))
    if spec.attempts == "first":
        first = first.filter(first.ts == first.ts.min().over(group_by="actor_id"))
    first = first.mutate(tr=_rel(first.ts, spec))
    valid = first.select(
        "actor_id", "ts", "rid", b=first.ts, pk=first.tr * shift + first.tr
    )
    parts = [
        first.select(
            "actor_id",
            "ts",
            "tr",
            k=ibis.literal(1, "int64"),
            g_first=ibis.literal(0, "int64"),
            g_prev=ibis.null("int64"),
            **_carry(first, spec, event_by, account),
        )
    ]
    null_carry = {name: ibis.null(expr.type()) for name, expr in carry.items()}
    for k in range(2, n + 1):
        prev = valid.select(
            "actor_id", "ts", "rid", "b", "pk", kind=ibis.literal(0, "int8")
        )
        cur_rows = base.filter(base[f"m{k}"])
        cur = cur_rows.select(
            "actor_id",
            "ts",
            "rid",
            b=ibis.null(ts_type),
            pk=ibis.null("int64"),
            kind=ibis.literal(1, "int8"),
        )
        stream = prev.union(cur)
        if overlap[k - 2]:
            order = [stream.ts, stream.rid, ibis.desc(stream.kind)]
        else:
            order = [stream.ts, stream.kind]
        w = ibis.window(
            group_by="actor_id", order_by=order, preceding=None, following=0
        )
        ran = stream.mutate(r=stream.b.max().over(w), rk=stream.pk.max().over(w))
        hit = ran.filter((ran.kind == 1) & ran.r.notnull() & (ran.ts <= ran.r + window))
        hit = hit.mutate(tr=_rel(hit.ts, spec), start=hit.rk // shift)
        valid = hit.select(
            "actor_id", "ts", "rid", b=hit.r, pk=hit.start * shift + hit.tr
        )
        parts.append(
            hit.select(
                "actor_id",
                "ts",
                "tr",
                k=ibis.literal(k, "int64"),
                g_first=hit.tr - hit.start,
                g_prev=hit.tr - hit.rk % shift,
                **null_carry,
            )
        )
    return ibis.union(*parts)


def _packed_min(
    cond: ir.BooleanValue, tr: ir.IntegerValue, gap: ir.IntegerValue
) -> ir.IntegerValue:
    """The gap at the earliest row meeting ``cond`` (smallest gap among ties)."""
    shift = ibis.literal(_SHIFT, "int64")
    return ibis.cases((cond, tr * shift + gap)).min() % shift


def _per_actor_loose(rows: ir.Table, spec: _Spec, carry_names: list[str]) -> ir.Table:
    n = len(spec.steps)
    far = ibis.literal(_FAR_FUTURE, "timestamp")
    key = ibis.cases((rows.k == 1, rows.ts), else_=far)
    aggs: dict[str, Any] = {"level": rows.k.max()}
    for j in range(1, n + 1):
        aggs[f"at_{j}"] = ibis.cases((rows.k == j, rows.ts)).min()
    for j in range(2, n + 1):
        aggs[f"gf_{j}"] = _packed_min(rows.k == j, rows.tr, rows.g_first)
        if j > 2:  # at step 2 the previous step is the start
            aggs[f"gp_{j}"] = _packed_min(rows.k == j, rows.tr, rows.g_prev)
    for name in carry_names:
        aggs[name] = rows[name].argmin(key)
    return rows.group_by("actor_id").agg(**aggs)


def _per_actor_strict(
    t: ir.Table, spec: _Spec, event_by: list[str], account: bool
) -> ir.Table:
    flags = _matches(t, spec)
    n = len(spec.steps)
    window = ibis.interval(seconds=int(spec.window.total_seconds()))
    t = _slim(
        t,
        spec,
        event_by,
        account,
        first_step=_first_index(flags),
        **{f"m{k}": f for k, f in enumerate(flags, 1)},
    )
    w = ibis.window(group_by="actor_id", order_by=_tie_keys(t))
    leads: dict[str, Any] = {}
    for j in range(1, n):
        leads[f"lm{j}"] = t[f"m{j + 1}"].lead(j).over(w)
        leads[f"lt{j}"] = t.ts.lead(j).over(w)
    if spec.attempts == "first":
        leads["n1"] = (
            t.m1.cast("int64")
            .sum()
            .over(
                ibis.window(
                    group_by="actor_id",
                    order_by=_tie_keys(t),
                    preceding=None,
                    following=0,
                )
            )
        )
    t = t.mutate(**leads)
    starts = t.filter(t.m1)
    if spec.since is not None:
        starts = starts.filter(starts.ts >= ibis.literal(spec.since, "timestamp"))
    if spec.attempts == "first":
        if spec.since is None:
            starts = starts.filter(starts.n1 == 1)
        else:
            starts = starts.filter(
                starts.ts == starts.ts.min().over(group_by="actor_id")
            )
    ok: list[ir.BooleanValue] = []
    chain: ir.BooleanValue = ibis.literal(True)
    for j in range(1, n):
        chain = (
            chain
            & starts[f"lm{j}"].fill_null(False)
            & (starts[f"lt{j}"] <= starts.ts + window).fill_null(False)
        )
        ok.append(chain)
    level = ibis.literal(1, "int64")
    for cond in ok:
        level = level + cond.cast("int64")
    carry = _carry(starts, spec, event_by, account)
    aggs: dict[str, Any] = {"level": level.max(), "at_1": starts.ts.min()}
    rel = [_rel(starts.ts, spec)] + [_rel(starts[f"lt{j}"], spec) for j in range(1, n)]
    for j in range(1, n):
        aggs[f"at_{j + 1}"] = ibis.cases((ok[j - 1], starts[f"lt{j}"])).min()
        aggs[f"gf_{j + 1}"] = _packed_min(ok[j - 1], rel[j], rel[j] - rel[0])
        aggs[f"gp_{j + 1}"] = _packed_min(ok[j - 1], rel[j], rel[j] - rel[j - 1])
    for name, expr in carry.items():
        aggs[name] = expr.argmin(starts.ts)
    return starts.group_by("actor_id").agg(**aggs)


def _actor_table(ds: contract.Dataset, spec: _Spec) -> tuple[ir.Table, list[str]]:
    """One row per actor who started an attempt.

    Columns: ``actor_id``, group columns (``by`` names), ``level`` (furthest step),
    ``at_1`` (entry) ... ``at_n`` (first arrival at each step, null if never),
    ``censored``.
    """
    t, event_by = _events_in_range(ds, spec)
    account = _needs_account(ds, spec)
    carry_names = [f"by_{c}" for c in event_by] + (["acct"] if account else [])
    if spec.order == "loose":
        rows = _loose_rows(t, spec, event_by, account)
        per = _per_actor_loose(rows, spec, carry_names)
        per = per.mutate(gp_2=per.gf_2)
    else:
        per = _per_actor_strict(t, spec, event_by, account)
    window = ibis.interval(seconds=int(spec.window.total_seconds()))
    cutoff = ibis.literal(spec.cutoff, "timestamp")
    per = per.mutate(censored=per.at_1 + window >= cutoff)
    renames = {c: f"by_{c}" for c in event_by}
    if account:
        customers = ds.customers
        extra = [c for c in spec.by if c not in renames]
        cust = customers.select(
            customer_id=customers.customer_id,
            **{f"cby_{c}": customers[c] for c in extra},
        )
        per = per.left_join(cust, per.acct == cust.customer_id).drop("customer_id")
        renames.update({c: f"cby_{c}" for c in extra})
    n = len(spec.steps)
    cols = ["actor_id", *[per[renames[c]].name(c) for c in spec.by], "level"]
    cols += [f"at_{j}" for j in range(1, n + 1)]
    cols += [f"g{x}_{j}" for j in range(2, n + 1) for x in ("f", "p")] + ["censored"]
    return per.select(*cols), list(spec.by)


def _counts_expr(per: ir.Table, spec: _Spec) -> ir.Table:
    n = len(spec.steps)
    aggs: dict[str, Any] = {}
    live = ~per.censored
    for k in range(1, n + 1):
        reached = per.level >= k
        aggs[f"n_{k}"] = (live & reached).cast("int64").sum()
        aggs[f"c_{k}"] = (per.censored & reached).cast("int64").sum()
        if k > 1:
            prev = per[f"gp_{k}"].cast("float64")
            first = per[f"gf_{k}"].cast("float64")
            mask = live & reached
            aggs[f"med_prev_{k}"] = ibis.cases((mask, prev)).median()
            aggs[f"mean_prev_{k}"] = ibis.cases((mask, prev)).mean()
            aggs[f"med_first_{k}"] = ibis.cases((mask, first)).median()
    if spec.by:
        return per.group_by(list(spec.by)).agg(**aggs)
    return per.aggregate(**aggs)


# ------------------------------------------------------------------------ finish


def _ratio(num: Any, den: Any) -> Any:
    num = pd.to_numeric(num, errors="coerce")
    den = pd.to_numeric(den, errors="coerce")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return out


def _long_counts(wide: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    n = len(spec.steps)
    u = spec.unit
    by = list(spec.by)
    if wide.empty:
        wide = pd.DataFrame([{f"n_{k}": 0 for k in range(1, n + 1)}])
        if by:
            wide = wide.iloc[:0]
    frames = []
    for k, step in enumerate(spec.steps, 1):
        f = wide[by].copy() if by else pd.DataFrame(index=wide.index)
        f["step_index"] = k
        f["step"] = step.name
        f[u] = wide[f"n_{k}"].fillna(0).astype("int64")
        f[f"{u}_previous"] = wide[f"n_{max(k - 1, 1)}"].fillna(0).astype("int64")
        f[f"{u}_first"] = wide["n_1"].fillna(0).astype("int64")
        f[f"{u}_censored"] = (
            wide.get(f"c_{k}", pd.Series(0, index=wide.index)).fillna(0).astype("int64")
        )
        for col, src in (
            ("median_hours_from_previous", f"med_prev_{k}"),
            ("mean_hours_from_previous", f"mean_prev_{k}"),
            ("median_hours_from_first", f"med_first_{k}"),
        ):
            f[col] = (
                pd.to_numeric(wide[src], errors="coerce") / 3600.0
                if src in wide
                else np.nan
            )
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out["conversion_from_previous"] = _ratio(out[u], out[f"{u}_previous"])
    out["conversion_from_first"] = _ratio(out[u], out[f"{u}_first"])
    out[f"{u}_dropped"] = out[f"{u}_previous"] - out[u]
    out["drop_off_rate"] = _ratio(out[f"{u}_dropped"], out[f"{u}_previous"])
    cols = [
        *by,
        "step_index",
        "step",
        u,
        f"{u}_previous",
        "conversion_from_previous",
        f"{u}_first",
        "conversion_from_first",
        f"{u}_dropped",
        "drop_off_rate",
        f"{u}_censored",
        "median_hours_from_previous",
        "mean_hours_from_previous",
        "median_hours_from_first",
    ]
    out = out[cols].sort_values([*by, "step_index"], kind="stable", ignore_index=True)
    for col in by:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _window_text(td: pd.Timedelta) -> str:
    """``7 days``, ``36 hours``, ``30 minutes`` or ``90 seconds``."""
    secs = int(td.total_seconds())
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if secs % size == 0:
            n = secs // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{secs} seconds"


def _attrs(frame: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    frame.attrs.update(
        {
            "window": _window_text(spec.window),
            "as_of": spec.as_of,
            "order": spec.order,
            "attempts": spec.attempts,
            "unit": spec.unit,
            "by": list(spec.by),
            "steps": [s.name for s in spec.steps],
        }
    )
    return frame


def _prepare(
    events: Any,
    steps: Any,
    window: Any,
    by: Any,
    order: Any,
    count_by: Any,
    attempts: Any,
    since: Any,
    as_of: Any,
) -> tuple[contract.Dataset, _Spec]:
    if (
        isinstance(events, str | os.PathLike)
        and os.path.isdir(events)
        and any(p.name.split(".")[0] in contract.TABLES for p in Path(events).iterdir())
    ):
        ds = contract.load_dataset(events)  # a dataset folder: customers too
        ds.table("events")
    else:
        ds = contract.as_dataset(events, "events")
    spec = _spec(ds, steps, window, by, order, count_by, attempts, since, as_of)
    if spec.actor == "account_id":
        missing = engine.scalar(ds.events.account_id.isnull().cast("int64").sum())
        if missing:
            warnings.warn(
                f"events: {int(missing):,} rows without account_id excluded from an "
                "account funnel.",
                ChurnlabWarning,
                stacklevel=3,
            )
    return ds, spec


# -------------------------------------------------------------------------- public


@_funnel_docs
def funnel(
    events: Any,
    steps: Sequence[str | Mapping[str, Any]],
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: str = "loose",
    *,
    count_by: str = "user",
    attempts: str = "all",
    since: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Conversion funnel: users reaching each ordered step within a window.

    Parameters
    ----------
    {events}
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
    >>> f = cl.funnel(cl.sample_dataset(), ["login", "report_viewed", "export"])
    >>> f[["step", "users"]].to_dict("list")["step"]
    ['login', 'report_viewed', 'export']
    >>> bool(f["users"].is_monotonic_decreasing)
    True
    """
    ds, spec = _prepare(
        events, steps, window, by, order, count_by, attempts, since, as_of
    )
    per, _cols = _actor_table(ds, spec)
    wide = engine.execute(_counts_expr(per, spec))
    return _attrs(_long_counts(wide, spec), spec)


@_funnel_docs
def funnel_users(
    events: Any,
    steps: Sequence[str | Mapping[str, Any]],
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: str = "loose",
    *,
    count_by: str = "user",
    attempts: str = "all",
    since: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """The funnel per user: how far each user got, when, and whether censored.

    Parameters
    ----------
    {events}
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
    >>> u = cl.funnel_users(cl.sample_dataset(), ["login", "export"], "1D")
    >>> list(u.columns[:4])
    ['user_id', 'entered_at', 'steps_reached', 'last_step']
    """
    ds, spec = _prepare(
        events, steps, window, by, order, count_by, attempts, since, as_of
    )
    per, _cols = _actor_table(ds, spec)
    frame = engine.execute(per)
    return _attrs(_users_frame(frame, spec), spec)


def _users_frame(frame: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    n = len(spec.steps)
    names = np.array([s.name for s in spec.steps], dtype=object)
    out = pd.DataFrame({spec.actor: frame["actor_id"].astype(object)})
    for c in spec.by:
        out[c] = frame[c].astype(object).where(frame[c].notna(), None)
    out["entered_at"] = frame["at_1"]
    level = frame["level"].astype("int64")
    out["steps_reached"] = level
    out["last_step"] = names[level.to_numpy() - 1] if len(level) else []
    out["converted"] = level == n
    out["censored"] = frame["censored"].astype(bool)
    for k in range(1, n + 1):
        out[f"step_{k}_at"] = frame[f"at_{k}"]
    return out.sort_values(
        [*spec.by, "entered_at", spec.actor], kind="stable", ignore_index=True
    )


@_funnel_docs
def funnel_dropped(
    events: Any,
    steps: Sequence[str | Mapping[str, Any]],
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: str = "loose",
    *,
    step: int | str,
    count_by: str = "user",
    attempts: str = "all",
    since: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Users who dropped out at a step, for follow-up.

    Parameters
    ----------
    {events}
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
    >>> d = cl.funnel_dropped(cl.sample_dataset(), ["login", "export"], step=2)
    >>> bool((d["steps_reached"] == 1).all())
    True
    """
    names = [s.name for s in _parse_steps(steps)]
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
    users = funnel_users(
        events,
        steps,
        window,
        by,
        order,
        count_by=count_by,
        attempts=attempts,
        since=since,
        as_of=as_of,
    )
    out = users[(users["steps_reached"] == k - 1) & ~users["censored"]]
    return out.reset_index(drop=True)


@_funnel_docs
def funnel_times(
    events: Any,
    steps: Sequence[str | Mapping[str, Any]],
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: str = "loose",
    *,
    count_by: str = "user",
    attempts: str = "all",
    since: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Time to convert between steps, one row per user and step reached.

    Parameters
    ----------
    {events}
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
    >>> t = cl.funnel_times(cl.sample_dataset(), ["login", "export"], "1D")
    >>> bool((t["hours_from_previous"] <= 24).all())
    True
    """
    ds, spec = _prepare(
        events, steps, window, by, order, count_by, attempts, since, as_of
    )
    per, _cols = _actor_table(ds, spec)
    raw = engine.execute(per)
    raw = raw[~raw["censored"].astype(bool)]
    frames = []
    for k in range(2, len(spec.steps) + 1):
        reached = raw[raw["level"] >= k]
        f = pd.DataFrame({spec.actor: reached["actor_id"].astype(object)})
        for c in spec.by:
            f[c] = reached[c].astype(object).where(reached[c].notna(), None)
        f["step_index"] = k
        f["step"] = spec.steps[k - 1].name
        f["hours_from_previous"] = reached[f"gp_{k}"].astype(float) / 3600.0
        f["hours_from_first"] = reached[f"gf_{k}"].astype(float) / 3600.0
        frames.append(f)
    out = pd.concat(frames, ignore_index=True).sort_values(
        ["step_index", *spec.by, spec.actor], kind="stable", ignore_index=True
    )
    return _attrs(out, spec)


@_funnel_docs
def funnel_trend(
    events: Any,
    steps: Sequence[str | Mapping[str, Any]],
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: str = "loose",
    *,
    freq: str = "W",
    count_by: str = "user",
    attempts: str = "all",
    since: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Funnel conversion by entry period, to see whether conversion improves.

    Parameters
    ----------
    {events}
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
    >>> t = cl.funnel_trend(cl.sample_dataset(), ["login", "export"], freq="M")
    >>> str(t["period"].iloc[0].date())
    '2025-11-01'
    """
    freq = periods.check_freq(freq)
    ds, spec = _prepare(
        events, steps, window, by, order, count_by, attempts, since, as_of
    )
    per, _cols = _actor_table(ds, spec)
    n = len(spec.steps)
    u = spec.unit
    per = per.mutate(period=periods.truncate(per.at_1, freq))
    expr = per.group_by(["period", *spec.by]).agg(
        **{
            f"{u}_entered": (~per.censored).cast("int64").sum(),
            f"{u}_converted": ((~per.censored) & (per.level >= n)).cast("int64").sum(),
            f"{u}_censored": per.censored.cast("int64").sum(),
        }
    )
    frame = engine.execute(expr)
    end = periods.period_end(frame["period"], freq) if len(frame) else frame["period"]
    frame = frame[end <= spec.cutoff]
    frame.insert(
        frame.columns.get_loc(f"{u}_converted") + 1,
        "conversion_rate",
        _ratio(frame[f"{u}_converted"], frame[f"{u}_entered"]),
    )
    for col in spec.by:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame = frame.sort_values(["period", *spec.by], kind="stable", ignore_index=True)
    return _attrs(frame, spec)


@_funnel_docs
def funnel_conversion_curve(
    events: Any,
    steps: Sequence[str | Mapping[str, Any]],
    window: str | _dt.timedelta = "7D",
    by: str | Sequence[str] | None = None,
    order: str = "loose",
    *,
    step: int | str | None = None,
    count_by: str = "user",
    attempts: str = "all",
    since: Any = None,
    as_of: Any = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Conversion by time since entry, censoring-aware (1 - Kaplan-Meier).

    Parameters
    ----------
    {events}
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
    >>> c = cl.funnel_conversion_curve(cl.sample_dataset(), ["login", "export"])
    >>> bool(c["conversion"].is_monotonic_increasing)
    True
    """
    from lifelines import KaplanMeierFitter

    users = funnel_users(
        events,
        steps,
        window,
        by,
        order,
        count_by=count_by,
        attempts=attempts,
        since=since,
        as_of=as_of,
    )
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
