"""The funnel spec: the parameters every funnel function shares, checked once.

Public names: ``Funnel``.

A :class:`Funnel` carries the steps, window, breakdown, order, counting unit,
attempts, ``since`` and ``as_of``; every funnel function takes it as
``spec=`` (or the same parameters as keywords) and runs it on ``data``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
import pandas as pd

from churnlab import contract, engine, periods
from churnlab._docs import share_docs_with
from churnlab.errors import ChurnlabWarning, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from churnlab._types import DateLike

__all__ = ["Funnel"]

F = TypeVar("F", bound=Callable[..., Any])


_ORDERS = ("loose", "strict")
_ATTEMPTS = ("all", "first")
_COUNT_BY = {"user": "user_id", "account": "account_id"}
_FAR_FUTURE = pd.Timestamp("2200-01-01")

_FUNNEL_DOCS: dict[str, str] = {
    "spec": """\
spec : Funnel, optional
    A :class:`~churnlab.funnels.Funnel` holding the shared parameters below;
    keywords given beside it override its fields.""",
    "events": """\
data : Dataset, DataFrame, path or ibis.Table
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
    ignored. Default: the day of the latest event
    (:func:`churnlab.periods.as_of_for` at daily resolution, not the last
    complete month: a funnel counts attempts up to the last day seen). Users
    who entered less than one window before the end of this day are censored.""",
}


#: Fill shared parameter text (``{events}``, ``{window}``, ...) in a docstring.
_funnel_docs = share_docs_with(_FUNNEL_DOCS)


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
    day = periods.as_of_for(ds, "events", as_of=as_of, freq="D")
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


_FIELDS = ("steps", "window", "by", "order", "count_by", "attempts", "since", "as_of")


@dataclass(frozen=True)
class Funnel:
    """A funnel definition: ordered steps, conversion window and options.

    Every funnel function (:func:`~churnlab.funnel`, :func:`~churnlab.funnel_users`,
    ...) takes one as ``spec=``, so a funnel is defined once and read many ways.
    The fields are checked when the spec is made, before any data is read.

    Parameters
    ----------
    {steps}
    {window}
    {fby}
    {order}
    {count_by}
    {attempts}
    {since}
    {fas_of}

    Examples
    --------
    >>> import churnlab as cl
    >>> f = cl.Funnel(steps=["login", "report_viewed", "export"], window="1D")
    >>> counts = cl.funnel(cl.sample_dataset(), spec=f)
    >>> counts["step"].tolist()
    ['login', 'report_viewed', 'export']
    >>> cl.funnel(cl.sample_dataset(), spec=f, window="7D").attrs["window"]
    '7 days'
    """

    steps: Sequence[str | Mapping[str, Any]]
    window: str | _dt.timedelta = "7D"
    by: str | Sequence[str] | None = None
    order: Literal["loose", "strict"] = "loose"
    count_by: Literal["user", "account"] = "user"
    attempts: Literal["all", "first"] = "all"
    since: DateLike | None = None
    as_of: DateLike | None = None

    def __post_init__(self) -> None:
        _parse_steps(self.steps)
        _parse_window(self.window)
        _choice(self.order, _ORDERS, "order")
        _choice(self.attempts, _ATTEMPTS, "attempts")
        _choice(self.count_by, tuple(_COUNT_BY), "count_by")
        _by_tuple(self.by)
        if self.since is not None:
            periods.parse_date(self.since, name="since")
        if self.as_of is not None:
            periods.parse_date(self.as_of)

    @property
    def step_names(self) -> list[str]:
        """The steps' display names, in order."""
        return [s.name for s in _parse_steps(self.steps)]


_funnel_docs(Funnel)


def _resolve(spec: Funnel | None, **given: Any) -> Funnel:
    """One Funnel from ``spec=`` or the shared keywords.

    With ``spec``, the keywords given beside it were already merged into it by
    :func:`_takes_spec`; the defaults that reach here are ignored.
    """
    if spec is None:
        if given.get("steps") is None:
            raise ParameterError(
                "A funnel needs steps=[...] (at least two) or spec=cl.Funnel(...)."
            )
        return Funnel(**{k: v for k, v in given.items() if k in _FIELDS})
    if not isinstance(spec, Funnel):
        raise ParameterError(
            f"spec={spec!r} must be a cl.Funnel(steps=[...], window=...)."
        )
    return spec


def _takes_spec(func: F) -> F:
    """Merge the funnel keywords a caller gives beside ``spec=`` into the spec."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        spec = kwargs.get("spec")
        if isinstance(spec, Funnel):
            given = {k: kwargs.pop(k) for k in list(kwargs) if k in _FIELDS}
            if given:
                kwargs["spec"] = dataclasses.replace(spec, **given)
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _prepare(events: Any, f: Funnel) -> tuple[contract.Dataset, _Spec]:
    if (
        isinstance(events, str | os.PathLike)
        and os.path.isdir(events)
        and any(p.name.split(".")[0] in contract.TABLES for p in Path(events).iterdir())
    ):
        ds = contract.load_dataset(events)  # a dataset folder: customers too
        ds.table("events")
    else:
        ds = contract.as_dataset(events, "events")
    spec = _spec(
        ds, f.steps, f.window, f.by, f.order, f.count_by, f.attempts, f.since, f.as_of
    )
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
