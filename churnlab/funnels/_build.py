"""Funnel Ibis builders (private): tables in, a table out, nothing executed.

Loose order is a dynamic programme over each actor's instants, one window pass
per step transition (no Python loop over users): for each instant holding a
step-k event, the latest attempt start that reached step k-1 at an earlier
instant is a running maximum; events at the same instant then carry the
attempt on through consecutive steps as far as they can, each event serving
one step. The latest start is optimal because only the start bounds the
window. Strict order reads the next ``n - 1`` events of each step-1 event with
``lead``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _
from ibis.common.deferred import Deferred

from churnlab import contract
from churnlab.errors import ParameterError
from churnlab.funnels.spec import _FAR_FUTURE, _Spec, _Step

# ----------------------------------------------------------------------- builders

__all__: list[str] = []


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


def _step_classes(spec: _Spec) -> list[int]:
    """Per step, the index of the first step with the same definition.

    Steps with one definition (a repeated step, ``["view", "view"]``) draw on
    the same events; different definitions on different events, unless
    ``where`` filters let one event match several (then a total is checked too).
    """
    keys: list[Any] = []
    out = []
    for step in spec.steps:
        where = step.where
        if where is None:
            wkey: Any = None
        elif isinstance(where, Mapping):
            wkey = repr(sorted((str(k), repr(v)) for k, v in where.items()))
        else:
            wkey = id(where)
        key = (step.event, wkey)
        if key not in keys:
            keys.append(key)
        out.append(keys.index(key))
    return out


def _distinct_loose_rows(
    t: ir.Table, spec: _Spec, event_by: list[str], account: bool
) -> ir.Table:
    """Valid step rows of loose-order attempts whose steps name distinct events.

    The fast path of :func:`_loose_per_actor`: when no event name serves two
    steps, one event can only ever serve one step, and ordering a pass's rows
    by time with the previous step's rows first at one instant lets steps at
    the same instant count, however many there are.

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


def _loose_per_actor(
    t: ir.Table, spec: _Spec, event_by: list[str], account: bool
) -> ir.Table:
    """Valid step rows of loose-order attempts.

    Columns ``actor_id, k, ts, tr, g_first, g_prev`` (+ carried columns on
    ``k = 1`` rows): step ``k`` was reached at instant ``ts`` within some attempt
    that started at most one window before it; ``tr`` is that time in seconds,
    ``g_first`` / ``g_prev`` the seconds since that attempt's start and since
    the attempt's previous step. Every actor with a step-1 event has a ``k = 1``
    row.

    The events of an actor are first counted per instant and step definition.
    Pass k reads, at each instant holding a step-k event, the latest start that
    reached step k-1 at an earlier instant (a running maximum, lagged one
    instant: ``a_k``). At one instant, an attempt that arrives at step k0 goes
    on through steps k0..k when the instant's events cover them, each event
    serving one step (``ok(k0, k)``), so steps at the same instant count however
    many there are. A second running maximum over ``start * 2**31 + time``
    carries the chain's previous-step time.
    """
    names = [step.event for step in spec.steps]
    if len(set(names)) == len(names):  # no event serves two steps: fast path
        rows = _distinct_loose_rows(t, spec, event_by, account)
        carry_names = list(_carry(t, spec, event_by, account))
        per = _per_actor_loose(rows, spec, carry_names)
        return per.mutate(gp_2=per.gf_2)
    flags = _matches(t, spec)
    n = len(spec.steps)
    window = ibis.interval(seconds=int(spec.window.total_seconds()))
    base = _slim(
        t, spec, event_by, account, **{f"m{k}": f for k, f in enumerate(flags, 1)}
    )
    filtered = any(s.where is not None for s in spec.steps)
    if filtered:
        base = base.filter(ibis.or_(*[base[f"m{k}"] for k in range(1, n + 1)]))
    shift = ibis.literal(_SHIFT, "int64")
    # step 1: every step-1 event is an attempt start (kept per event for carry)
    first = base.filter(base.m1)
    if spec.since is not None:
        first = first.filter(first.ts >= ibis.literal(spec.since, "timestamp"))
    if spec.attempts == "first":
        first = first.filter(first.ts == first.ts.min().over(group_by="actor_id"))
    first = first.mutate(tr=_rel(first.ts, spec))
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
    carry = _carry(base, spec, event_by, account)
    # one row per actor and instant: events per step definition, attempt starts
    cls = _step_classes(spec)
    mixed = filtered and len(set(cls)) > 1
    aggs: dict[str, Any] = {
        f"c{c}": base[f"m{cls.index(c) + 1}"].cast("int64").sum()
        for c in sorted(set(cls))
    }
    if mixed:  # events matching any of steps i..j, for runs i < j
        for i in range(1, n + 1):
            for j in range(i + 1, n + 1):
                any_of = ibis.or_(*[base[f"m{x}"] for x in range(i, j + 1)])
                aggs[f"t{i}_{j}"] = any_of.cast("int64").sum()
    inst = base.group_by(["actor_id", "ts"]).agg(**aggs)
    start_ok = inst[f"c{cls[0]}"] > 0
    if spec.since is not None:
        start_ok = start_ok & (inst.ts >= ibis.literal(spec.since, "timestamp"))
    inst = inst.mutate(tr=_rel(inst.ts, spec), s1=start_ok)
    if spec.attempts == "first":
        first_start = ibis.cases((inst.s1, inst.ts)).min().over(group_by="actor_id")
        inst = inst.mutate(s1=inst.s1 & (inst.ts == first_start))

    def ok(k0: int, k: int) -> ir.BooleanValue:
        """The instant's events cover steps k0..k, one event per step."""
        conds = []
        for j in range(k0, k + 1):
            need = sum(1 for x in range(k0, j + 1) if cls[x - 1] == cls[j - 1])
            conds.append(inst[f"c{cls[j - 1]}"] >= need)
            if mixed and j > k0:
                conds.append(inst[f"t{k0}_{j}"] >= j - k0 + 1)
        return ibis.and_(*conds)

    # every earlier instant of the actor (one row per instant, so rows = instants)
    prior = ibis.window(group_by="actor_id", order_by="ts", rows=(None, -1))
    ts_type = inst.ts.type()
    low_ts = ibis.literal(pd.Timestamp("1900-01-01"), "timestamp")
    # arrivals at step 1 are the attempt starts: start = this instant
    inst = inst.mutate(
        a1=ibis.cases((inst.s1, inst.ts), else_=ibis.null(ts_type)),
        qa1=ibis.cases((inst.s1, inst.tr * shift + inst.tr), else_=ibis.null("int64")),
    )
    inst = inst.mutate(b1=inst.a1, p1=inst.qa1)
    for k in range(2, n + 1):
        # latest start that reached step k-1 at an earlier instant
        inst = inst.mutate(
            _lb=inst[f"b{k - 1}"].max().over(prior),
            _lp=inst[f"p{k - 1}"].max().over(prior),
        )
        arrive = ok(k, k) & inst._lb.notnull() & (inst.ts <= inst._lb + window)
        inst = inst.mutate(
            **{
                f"a{k}": ibis.cases((arrive, inst._lb), else_=ibis.null(ts_type)),
                f"qa{k}": ibis.cases((arrive, inst._lp), else_=ibis.null("int64")),
            }
        ).drop("_lb", "_lp")
        # reached at this instant: arrived here, or arrived at k0 < k and went on
        starts = [inst[f"a{k}"]]
        packed = [inst[f"qa{k}"]]
        for k0 in range(1, k):
            cont = ok(k0, k) & inst[f"a{k0}"].notnull()
            starts.append(ibis.cases((cont, inst[f"a{k0}"]), else_=ibis.null(ts_type)))
            start_rel = inst[f"qa{k0}"] // shift
            packed.append(
                ibis.cases(
                    (cont, start_rel * shift + inst.tr), else_=ibis.null("int64")
                )
            )
        b_k = ibis.greatest(*[x.fill_null(low_ts) for x in starts]).nullif(low_ts)
        q_k = ibis.greatest(*[x.fill_null(-1) for x in packed]).nullif(-1)
        inst = inst.mutate(**{f"b{k}": b_k, f"q{k}": q_k})
        inst = inst.mutate(
            **{
                f"p{k}": ibis.cases(
                    (
                        inst[f"b{k}"].notnull(),
                        (inst[f"q{k}"] // shift) * shift + inst.tr,
                    ),
                    else_=ibis.null("int64"),
                )
            }
        )
    # per actor: furthest step, first arrival at each step, and the gaps of
    # the earliest arrival
    level = ibis.literal(0, "int64")
    for k in range(1, n + 1):
        level = ibis.cases((inst[f"b{k}"].notnull(), k), else_=level)
    aggs = {"level": level.max()}
    for k in range(1, n + 1):
        aggs[f"at_{k}"] = ibis.cases((inst[f"b{k}"].notnull(), inst.ts)).min()
    for k in range(2, n + 1):
        reached = inst[f"b{k}"].notnull()
        q = inst[f"q{k}"]
        aggs[f"gf_{k}"] = _packed_min(reached, inst.tr, inst.tr - q // shift)
        aggs[f"gp_{k}"] = _packed_min(reached, inst.tr, inst.tr - q % shift)
    per = inst.group_by("actor_id").agg(**aggs).filter(_.at_1.notnull())
    if carry:
        firsts = parts[0]
        key = firsts.ts
        carried = firsts.group_by("actor_id").agg(
            **{name: firsts[name].argmin(key) for name in carry}
        )
        per = per.join(carried, "actor_id")
    return per


def _packed_min(
    cond: ir.BooleanValue, tr: ir.IntegerValue, gap: ir.IntegerValue
) -> ir.IntegerValue:
    """The gap at the earliest row meeting ``cond`` (smallest gap among ties)."""
    shift = ibis.literal(_SHIFT, "int64")
    return ibis.cases((cond, tr * shift + gap)).min() % shift


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
    if spec.order == "loose":
        per = _loose_per_actor(t, spec, event_by, account)
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
