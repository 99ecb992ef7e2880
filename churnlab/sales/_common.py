"""Shared machinery of the sales modules.

Periods as windows, deal status at a time, ratios, groups and the
competing-risks helpers.

Private: the public functions live in the concept modules of :mod:`churnlab.sales`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnlab import contract, periods
from churnlab._docs import share_docs_with
from churnlab._frames import by_list, ratio
from churnlab.errors import ChurnlabWarning, ParameterError

__all__: list[str] = []  # private helpers of the sales modules

_SECONDS_PER_DAY = 86_400.0

_PERIOD_DOC = """\
period : str or (date, date), optional
    ``"2026-10"`` (month), ``"2026-Q4"``, ``"2026"`` or a ``(first_day,
    last_day)`` pair (inclusive). None: all the data up to ``as_of``."""

_COHORT_AS_OF_DOC = """\
as_of : date-like, optional
    The day statuses are read at, inclusive (deals won, lost or open; leads
    converted). Default: the data's last day, so the cohort is followed as far
    as the data goes."""

_AS_OF_DOC = """\
as_of : date-like, optional
    The day the data is known through, inclusive. Default: the period's last
    day (capped at the data's last day); with ``period=None``, the data's last
    day. Deal statuses are read at the end of this day."""


#: Fill ``{period}``, ``{sas_of}``, ``{cas_of}`` (and the shared texts) in a docstring.
_docs = share_docs_with(
    {"period": _PERIOD_DOC, "sas_of": _AS_OF_DOC, "cas_of": _COHORT_AS_OF_DOC}
)


# ------------------------------------------------------------------------ periods


@dataclass(frozen=True)
class _Window:
    """A half-open time window ``[start, end)``; ``start`` None = from the start."""

    start: pd.Timestamp | None
    end: pd.Timestamp
    label: str
    months: int | None = None  # calendar length, None for custom or all data
    full_end: pd.Timestamp | None = None  # end of the calendar period
    observe: pd.Timestamp | None = None  # when statuses are read (default: end)

    @property
    def seen(self) -> pd.Timestamp:
        """The instant statuses are read at: ``observe``, else ``end``."""
        return self.observe if self.observe is not None else self.end

    def shift(self, *, months: int | None = None) -> _Window:
        """The same window ``months`` earlier (or one length earlier)."""
        if self.start is None:
            raise ParameterError("A window over all the data has no previous period.")
        if months is not None:
            off = pd.DateOffset(months=months)
            start, end = self.start - off, self.end - off
        else:
            length = self.end - self.start
            start, end = self.start - length, self.start
        if self.months:
            label = _label(start, self.months)
        else:
            label = f"{start:%Y-%m-%d}..{end - pd.Timedelta(days=1):%Y-%m-%d}"
        return _Window(start, end, label, self.months)


_SPANS = {"M": 1, "Q": 3, "Y": 12}
_COMPACT_QUARTER = re.compile(r"^(\d{4})(Q[1-4])$", re.IGNORECASE)
_LABEL = re.compile(r"^\d{4}(-\d{2}|-Q[1-4])?$", re.IGNORECASE)


def _label(start: pd.Timestamp, months: int | None) -> str:
    if months == 1:
        return f"{start:%Y-%m}"
    if months == 3:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if months == 12:
        return f"{start.year}"
    return f"{start:%Y-%m-%d}"


def _parse_period(period: Any) -> tuple[pd.Timestamp, pd.Timestamp, int | None, str]:
    """:func:`churnlab.periods.parse_period` plus the period's calendar length.

    Sales periods are labels (``"2026-10"``, ``"2026-Q4"`` or ``"2026Q4"``,
    ``"2026"``) or a ``(first, last)`` pair. A single day is refused on purpose:
    free text such as ``"Jan 2026"`` would parse as 1 January and silently pick
    a month. The length (1, 3 or 12 months; None for a pair) lets a window step
    back to the previous period.
    """
    if isinstance(period, tuple | list) and len(period) == 2:
        p = periods.parse_period(period, name="period")
        return p.start, p.end, None, p.label
    if isinstance(period, str):
        text = _COMPACT_QUARTER.sub(r"\1-\2", period.strip())
        if _LABEL.match(text):
            p = periods.parse_period(text, name="period")
            months = next(
                n for f, n in _SPANS.items() if p.end == periods.period_end(p.start, f)
            )
            return p.start, p.end, months, p.label
    raise ParameterError(
        f"period={period!r} is not a period; use 'YYYY-MM' (e.g. '2026-10'), "
        "'YYYY-Qn', 'YYYY' or a (first_day, last_day) pair."
    )


def _window(
    period: Any,
    *,
    as_of: Any,
    data: contract.Dataset | None,
    follow: bool = False,
) -> _Window:
    """The period as a window.

    ``follow=False`` (flows): the window is judged as of its own end (or
    ``as_of``). ``follow=True`` (cohorts): the period only selects who enters;
    statuses are read at the end of ``as_of``. A missing ``as_of`` is
    :func:`churnlab.periods.as_of_for` at daily resolution: the data's last day
    (sales reads a period to date, not only complete months).
    """
    latest = data.latest() if data is not None else None
    if period is None:
        day = _as_of_day(data, as_of)
        return _Window(None, periods.cutoff(day), "all data")
    start, end, months, label = _parse_period(period)
    full_end = end
    observe = None
    if follow:
        observe = periods.cutoff(_as_of_day(data, as_of))
        if observe <= start:
            raise ParameterError(
                f"period {label} starts after the as-of date "
                f"({observe - pd.Timedelta(days=1):%Y-%m-%d}); nothing to follow."
            )
        if observe < end:
            warnings.warn(
                f"period {label} runs past the as-of date; the cohort holds only "
                "what entered by then.",
                ChurnlabWarning,
                stacklevel=3,
            )
            end = observe
        return _Window(start, end, label, months, full_end, observe)
    if as_of is not None:
        cap = periods.cutoff(periods.parse_date(as_of))
        if cap <= start:
            raise ParameterError(
                f"as_of={as_of!r} is before period {label} starts ({start:%Y-%m-%d})."
            )
        end = min(end, cap)
    elif latest is not None and not pd.isna(latest):
        cap = periods.cutoff(pd.Timestamp(latest).normalize())
        if cap <= start:
            raise ParameterError(
                f"period {label} has no data: the data ends on {latest:%Y-%m-%d}."
            )
        if cap < end:
            warnings.warn(
                f"period {label} runs past the data (last day {latest:%Y-%m-%d}); "
                "its figures are to date.",
                ChurnlabWarning,
                stacklevel=3,
            )
            end = cap
    return _Window(start, end, label, months, full_end)


def _as_of_day(data: contract.Dataset | None, as_of: Any) -> pd.Timestamp:
    """The as-of day: given, else the data's last day (``as_of_for``, daily)."""
    if data is None:
        return periods.resolve_as_of(as_of, latest=None, freq="D")
    return periods.as_of_for(data, as_of=as_of, freq="D")


def _lit(ts: pd.Timestamp) -> ir.TimestampScalar:
    return ibis.literal(pd.Timestamp(ts), "timestamp")


def _in(col: ir.TimestampValue, w: _Window) -> ir.BooleanValue:
    cond = col < _lit(w.end)
    if w.start is not None:
        cond = cond & (col >= _lit(w.start))
    return cond.fill_null(False)


# ------------------------------------------------------------------------ helpers


def _ratio(num: Any, den: Any) -> Any:
    """:func:`churnlab._frames.ratio` over a positive denominator only.

    Kept apart on purpose: sales rates divide by counts and by money, and a
    denominator below zero (revenue netted negative by refunds, a negative
    previous period in a growth rate) gives NaN rather than a sign-flipped rate.
    Non-numeric input is read as NaN.
    """
    num = pd.to_numeric(num, errors="coerce")
    den = pd.to_numeric(den, errors="coerce")
    if isinstance(den, pd.Series):
        den = den.astype("float64").where(den > 0)
    elif np.ndim(den):
        den = np.where(np.asarray(den, dtype=float) > 0, den, np.nan)
    elif pd.isna(den) or den <= 0:
        den = np.nan
    return ratio(num, den)


def _by_list(by: Any) -> list[str]:
    """:func:`churnlab._frames.by_list`, also rejecting non-string entries.

    Kept apart on purpose: sales ``by`` names columns of its own tables (deals,
    leads), so a non-string or empty entry is a clear ParameterError here.
    """
    cols = by_list(by)
    if not all(isinstance(c, str) and c for c in cols):
        raise ParameterError(f"by={by!r} must be a column name or a list of them.")
    return cols


def _check_by(table: ir.Table, name: str, by: list[str]) -> None:
    for col in by:
        if col not in table.columns:
            raise ParameterError(
                f"by={col!r} is not a column of {name} ({', '.join(table.columns)})."
            )


def _is_dataset_folder(data: Any) -> bool:
    """A folder holding contract tables (``deals.csv``, ``orders/``...)."""
    if not isinstance(data, str | os.PathLike) or not os.path.isdir(data):
        return False
    return any(p.name.split(".")[0] in contract.TABLES for p in Path(data).iterdir())


def _dataset(data: Any, name: str) -> contract.Dataset:
    """A Dataset holding table ``name`` from any accepted input.

    A Dataset, a mapping of tables or a dataset folder is loaded as a whole (so
    other tables, e.g. deals for leads, are used when present); a DataFrame,
    file path or Ibis table is validated as table ``name``.
    """
    if isinstance(data, contract.Dataset):
        data.table(name)
        return data
    if isinstance(data, Mapping) or _is_dataset_folder(data):
        ds = contract.load_dataset(data)
        ds.table(name)
        return ds
    return contract.as_dataset(data, name)


def _tidy_keys(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    for col in by:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _days(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.NumericValue:
    seconds = later.epoch_seconds() - earlier.epoch_seconds()
    return seconds.cast("float64") / _SECONDS_PER_DAY


def _closed_at(deals: ir.Table) -> ir.TimestampValue:
    """When a won/lost deal closed (``created_at`` if ``closed_at`` is missing)."""
    if "closed_at" in deals.columns:
        return deals.closed_at.fill_null(deals.created_at)
    return deals.created_at


def _won_by(deals: ir.Table, cut: pd.Timestamp) -> ir.BooleanValue:
    return ((deals.status == "won") & (_closed_at(deals) < _lit(cut))).fill_null(False)


def _lost_by(deals: ir.Table, cut: pd.Timestamp) -> ir.BooleanValue:
    return ((deals.status == "lost") & (_closed_at(deals) < _lit(cut))).fill_null(False)


def _open_at(deals: ir.Table, t: pd.Timestamp) -> ir.BooleanValue:
    """Created before ``t`` and not closed before it."""
    created = deals.created_at < _lit(t)
    return (created & ~_won_by(deals, t) & ~_lost_by(deals, t)).fill_null(False)


def _net_amount(orders: ir.Table) -> ir.NumericValue:
    return ibis.cases((orders.is_refund, -orders.amount.abs()), else_=orders.amount)


def _int(expr: ir.BooleanValue) -> ir.IntegerValue:
    return expr.cast("int64")


# --------------------------------------------------------------------- per deal


def _deal_rows(deals: ir.Table, w: _Window, by: list[str]) -> ir.Table:
    """Deals created in ``w`` with their outcome and age at ``w.end``.

    ``outcome`` is 1 = won, 2 = lost, 0 = still open (censored) at ``w.end``;
    ``duration_days`` runs from ``created_at`` to the close, or to ``w.end`` for
    open deals.
    """
    cohort = deals.filter(_in(deals.created_at, w))
    won = _won_by(cohort, w.seen)
    lost = _lost_by(cohort, w.seen)
    end = ibis.cases((won | lost, _closed_at(cohort)), else_=_lit(w.seen))
    return cohort.select(
        *by,
        "deal_id",
        "amount",
        outcome=ibis.cases((won, 1), (lost, 2), else_=0),
        duration_days=_days(end, cohort.created_at),
    )


_TIE = 1e-6  # days (~0.09 s): separates tied won / lost / censored times


def _untied(g: pd.DataFrame) -> pd.Series:
    """Deal ages with ties split deterministically: won, then lost, then censored.

    lifelines' Aalen-Johansen jitters tied event times of different types at
    random. Shifting lost deals ``_TIE`` and censored ones ``2 * _TIE`` after
    the won deals of the same age gives the exact Aalen-Johansen values once a
    tie is passed (censored at t stay at risk at t, as in Kaplan-Meier), with
    no randomness. Distinct ages in the data are seconds apart (>= 1.1e-5 days).
    """
    order = g["outcome"].map({1: 0, 2: 1, 0: 2}).astype(float)
    return g["duration_days"].clip(lower=0.0) + order * _TIE


def _fit_aj(durations: pd.Series, outcome: pd.Series, event: int) -> Any:
    """Fit lifelines' Aalen-Johansen estimator for one competing event."""
    from lifelines import AalenJohansenFitter

    ajf = AalenJohansenFitter(calculate_variance=True, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ajf.fit(durations, outcome, event_of_interest=event)
    return ajf


def _collapse(series: pd.Series) -> pd.Series:
    """Index rounded back to whole ages (4 decimals), last value per age."""
    idx = np.round(series.index.to_numpy(dtype=float), 4)
    out = pd.Series(series.to_numpy(), index=idx)
    return out[~out.index.duplicated(keep="last")]


def _cif_at(ajf: Any, t: float) -> float:
    cif = _collapse(ajf.cumulative_density_.iloc[:, 0])
    upto = cif[cif.index <= t + 1e-9]
    return float(upto.iloc[-1]) if len(upto) else 0.0


def _competing(g: pd.DataFrame, horizon: float | None) -> dict[str, float]:
    """Cumulative incidence of won and lost at the horizon, and the AJ median."""
    out = {
        "horizon_days": np.nan,
        "won_by_horizon": np.nan,
        "lost_by_horizon": np.nan,
        "cycle_days_median_aj": np.nan,
    }
    if g.empty or not (g["outcome"] > 0).any():
        return out
    dur = _untied(g)
    h = float(horizon) if horizon is not None else float(g["duration_days"].max())
    won = _fit_aj(dur, g["outcome"], 1)
    lost = _fit_aj(dur, g["outcome"], 2)
    cw, cl = _cif_at(won, h), _cif_at(lost, h)
    out.update(horizon_days=h, won_by_horizon=cw, lost_by_horizon=cl)
    if cw > 0:
        cif = _collapse(won.cumulative_density_.iloc[:, 0])
        cif = cif[cif.index <= h + 1e-9]
        hit = cif[cif >= cw / 2.0 - 1e-12]
        if len(hit):
            out["cycle_days_median_aj"] = float(hit.index[0])
    return out


def _groups(frame: pd.DataFrame, by: list[str]) -> list[tuple[tuple, pd.DataFrame]]:
    if not by:
        return [((), frame)]
    return [
        (k if isinstance(k, tuple) else (k,), g)
        for k, g in frame.groupby(by, dropna=False, sort=True)
    ]


# ------------------------------------------------------------------------ public


def _complete(frame: pd.DataFrame, freq: str, cut: pd.Timestamp) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[periods.period_end(frame["period"], freq) <= cut]


def _calendar(w: _Window) -> str | None:
    """The freq (``"M"``, ``"Q"``, ``"Y"``) of a calendar-period window, else None."""
    if w.start is None or w.months not in (1, 3, 12):
        return None
    return {1: "M", 3: "Q", 12: "Y"}[w.months]


def _default_period(ds: contract.Dataset, as_of: Any) -> str:
    """The data's last complete month as a period label (the snapshot default).

    With ``as_of`` given, the month holding it (read to date).
    """
    day = periods.as_of_for(ds, as_of=as_of, freq="M")
    return f"{day:%Y-%m}"
