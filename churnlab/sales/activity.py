"""Sales activity: calls, emails, meetings, demos and prospect responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd

from churnlab import engine, periods
from churnlab.sales._common import (
    _by_list,
    _check_by,
    _complete,
    _dataset,
    _docs,
    _in,
    _int,
    _lit,
    _ratio,
    _tidy_keys,
    _window,
)

__all__ = ["sales_activity"]


_NOT_HELD = ("no_show", "no-show", "noshow", "cancelled", "canceled", "rescheduled")


@_docs
def sales_activity(
    data: Any,
    *,
    by: str | Sequence[str] | None = "owner",
    period: Any = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """Meetings booked, demos and pitch rate per owner and period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Activities with ``owner, type, at`` and ``deal_id``, ``outcome``.
    by : str or list of str, optional, default "owner"
        Activity columns to break down by; None for the team.
    {period}
        Default: every complete period up to ``as_of``.
    freq : {{"D", "W", "M", "Q", "Y"}}, default "M"
        Period unit of the rows.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per period (and owner): ``period``, ``calls``, ``emails``,
        ``meetings_booked``, ``meetings_held``, ``demos``, ``responses``,
        ``deals_pitched``, ``deals_contacted``, ``pitch_rate``,
        ``meetings_per_response``, ``demos_per_call_email``.

    Notes
    -----
    **Definition.** A meeting is booked when a ``meeting`` activity is logged;
    it is held unless its outcome says no-show, cancelled or rescheduled. A
    deal is pitched in a period when it has a ``demo`` activity then, and
    contacted when it has any activity then. A ``response`` activity is a
    prospect's reply (to a call, email or sequence).

    **Formula.** ``meetings_per_response = meetings_booked / responses`` (the
    source list's "meetings booked"); ``demos_per_call_email = demos / (calls +
    emails)`` (its "sales pitches"); ``pitch_rate = deals_pitched /
    deals_contacted`` (pitches per opportunity, a practice variant).

    **Convention.** Activities without a ``deal_id`` (prospecting touches) count
    as calls and emails but not as contacted deals, so the pitch rate is
    measured on opportunities. Rows are complete periods only.

    Examples
    --------
    >>> import churnlab as cl
    >>> a = cl.sales_activity(cl.sample_dataset(), period="2026-10")
    >>> len(a), bool(a["pitch_rate"].between(0, 1).all())
    (12, True)
    """
    ds = _dataset(data, "activities")
    acts = ds.table("activities")
    by_cols = _by_list(by)
    _check_by(acts, "activities", by_cols)
    freq = periods.check_freq(freq)
    w = _window(period, as_of=as_of, data=ds)
    a = acts.filter(_in(acts.at, w))
    if period is not None:
        key = _lit(w.start)
    else:
        key = periods.truncate(a.at, freq)
    a = a.mutate(period=key)
    typ = a.type
    outcome = a.outcome.lower() if "outcome" in a.columns else ibis.null("string")
    deal = a.deal_id if "deal_id" in a.columns else ibis.null("string")
    held = (typ == "meeting") & ~outcome.isin(list(_NOT_HELD)).fill_null(False)
    expr = a.group_by(["period", *by_cols]).agg(
        calls=_int(typ == "call").sum(),
        emails=_int(typ == "email").sum(),
        meetings_booked=_int(typ == "meeting").sum(),
        meetings_held=_int(held).sum(),
        demos=_int(typ == "demo").sum(),
        responses=_int(typ == "response").sum(),
        deals_pitched=ibis.cases((typ == "demo", deal)).nunique(),
        deals_contacted=deal.nunique(),
    )
    f = engine.execute(expr)
    if period is None:
        f = _complete(f, freq, w.end)
    f = f.copy()
    f["pitch_rate"] = _ratio(f["deals_pitched"], f["deals_contacted"])
    f["meetings_per_response"] = _ratio(f["meetings_booked"], f["responses"])
    f["demos_per_call_email"] = _ratio(f["demos"], f["calls"] + f["emails"])
    f = f.sort_values(["period", *by_cols], kind="stable", ignore_index=True)
    f.attrs.update(period=w.label, freq=freq)
    return _tidy_keys(f, by_cols)


# ------------------------------------------------------------------- revenue
