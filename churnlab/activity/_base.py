"""Shared builders for activity churn: account keys, day tables, paying state.

Nothing here is public; :mod:`churnlab.activity` re-exports the public names.
Every builder takes Ibis tables and returns a table (nothing is executed).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis import _

from churnlab import periods, states
from churnlab.contract import Dataset, as_dataset, load_dataset
from churnlab.errors import ParameterError

#: Nothing here is public; the helpers are shared by the activity modules.
__all__: list[str] = []

DAY_SECONDS = 86400


def dataset(data: Any) -> Dataset:
    """A Dataset holding ``events`` (a bare events frame, path or table is wrapped).

    A folder holding contract tables (``events.parquet``, ``subscriptions.csv``,
    ...) is loaded as a whole dataset.
    """
    if isinstance(data, str | os.PathLike) and os.path.isdir(data):
        folder = Path(data)
        if any(folder.glob("events.*")) or (folder / "events").is_dir():
            return as_dataset(load_dataset(folder), "events")
    return as_dataset(data, "events")


def check_count_by(count_by: str) -> str:
    """Return ``count_by`` if it is ``"user"`` or ``"account"``."""
    if count_by not in ("user", "account"):
        raise ParameterError(
            f"count_by={count_by!r} must be 'user' (each user counts) or 'account' "
            "(users rolled up to their account)."
        )
    return count_by


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """Return ``value`` if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ParameterError(f"{name}={value!r} must be a whole number >= {minimum}.")
    if value < minimum:
        raise ParameterError(f"{name}={value!r} must be a whole number >= {minimum}.")
    return int(value)


def with_account(events: ir.Table) -> ir.Table:
    """Events with ``account_id`` filled: the user's account, else the user id.

    A user without an account is a customer of their own (consumer products),
    so their ``user_id`` is their account (and customer) id.
    """
    if "account_id" in events.columns:
        return events.mutate(account_id=ibis.coalesce(_.account_id, _.user_id))
    return events.mutate(account_id=_.user_id)


def filter_events(
    events: ir.Table, *, cutoff: pd.Timestamp, event: str | Sequence[str] | None
) -> ir.Table:
    """Events strictly before ``cutoff`` (and of the named kinds when given)."""
    out = with_account(events).filter(_.timestamp < ibis.literal(cutoff, "timestamp"))
    if event is not None:
        names = [event] if isinstance(event, str) else list(event)
        if not names or not all(isinstance(n, str) for n in names):
            raise ParameterError(
                f"event={event!r} must be an event name or a list of names."
            )
        out = out.filter(_.event.isin(names))
    return out


def user_days(events: ir.Table) -> ir.Table:
    """``account_id, user_id, day, events``: one row per user and active day."""
    return events.group_by(
        ["account_id", "user_id", _.timestamp.truncate("D").name("day")]
    ).agg(events=_.count())


def account_days(events: ir.Table) -> ir.Table:
    """``account_id, day, active_users, events``: one row per account and day."""
    return (
        user_days(events)
        .group_by(["account_id", "day"])
        .agg(active_users=_.user_id.count(), events=_.events.sum())
    )


def epoch_day(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Whole days since 1970-01-01 of a timestamp at midnight."""
    return (ts.epoch_seconds() // DAY_SECONDS).cast("int64")


# The period numbering is the one in churnlab.periods (shared with cohorts).
period_index = periods.period_index
index_of = periods.index_of
starts = periods.index_starts


def dates_table(dates: Sequence[pd.Timestamp]) -> ir.Table:
    """A one-column table ``t`` of evaluation instants (midnights)."""
    frame = pd.DataFrame({"t": pd.to_datetime(list(dates)).astype("datetime64[ns]")})
    return ibis.memtable(frame)


def _spans(subscriptions: ir.Table) -> ir.Table:
    """Subscription intervals; a missing ``end`` column means all still running."""
    if "end" not in subscriptions.columns:
        subscriptions = subscriptions.mutate(end=ibis.null("timestamp"))
    return states.subscription_intervals(subscriptions)


def mrr_at(
    subscriptions: ir.Table, dates: ir.Table, *, cutoff: pd.Timestamp
) -> ir.Table:
    """``t, customer_id, mrr_cents, ever_paid``: the state at each instant ``t``.

    The state comes from :func:`churnlab.states.changes` at daily boundaries
    (the package's one "active at t" rule): a customer's MRR at a midnight
    ``t`` is ``mrr_end_cents`` of their latest change with ``boundary <= t``.
    ``ever_paid`` says whether MRR was above zero at some boundary up to ``t``.
    Customers whose state never changed by ``t`` have no row.
    """
    spans = _spans(subscriptions)
    ch = states.changes(spans, freq="D", cutoff=cutoff)
    joined = dates.join(ch, ch.boundary <= dates.t)
    w = ibis.window(group_by=["t", "customer_id"], order_by="boundary")
    ranked = joined.mutate(
        last=_.boundary.max().over(ibis.window(group_by=["t", "customer_id"])),
        paid_so_far=(_.mrr_end_cents > 0).cast("int64").max().over(w),
    )
    return ranked.filter(_.boundary == _.last).select(
        "t",
        "customer_id",
        mrr_cents="mrr_end_cents",
        ever_paid=_.paid_so_far > 0,
    )


def churn_after(
    subscriptions: ir.Table,
    dates: ir.Table,
    *,
    horizon_days: int,
    cutoff: pd.Timestamp,
) -> ir.Table:
    """``t, customer_id, churned_at``: first loss of all MRR in ``(t, t + h]``.

    A loss is a :func:`churnlab.states.changes` row whose MRR goes from above
    zero to zero (paying at ``boundary - 1 day``, not paying at ``boundary``).
    """
    spans = _spans(subscriptions)
    ch = states.changes(spans, freq="D", cutoff=cutoff)
    lost = ch.filter((_.mrr_start_cents > 0) & (_.mrr_end_cents == 0))
    joined = dates.join(
        lost,
        (lost.boundary > dates.t)
        & (lost.boundary <= dates.t + ibis.interval(days=horizon_days)),
    )
    return joined.group_by(["t", "customer_id"]).agg(churned_at=_.boundary.min())


def attach_attributes(
    frame: ir.Table, ds: Dataset, by: str | Sequence[str] | None, *, key: str
) -> tuple[ir.Table, list[str]]:
    """Left-join customer attributes ``by`` onto ``frame`` by its column ``key``."""
    cols, attrs = states.attributes(ds, by)
    if attrs is None:
        return frame, []
    attrs = attrs.rename({"_cust": "customer_id"})
    joined = frame.left_join(attrs, frame[key] == attrs._cust)
    return joined.drop("_cust"), cols


def resolve_as_of(ds: Dataset, as_of: Any, freq: str) -> pd.Timestamp:
    """The as-of day for events-based metrics (default: last complete period)."""
    return periods.resolve_as_of(as_of, latest=ds.latest("events"), freq=freq)
