"""Periods, frequencies and as-of dates: one rule for the whole package.

Public names: ``FREQS``, ``DEFAULT_INACTIVITY_DAYS``, ``Period``, ``check_freq``,
``check_days``, ``truncate``, ``period_start``, ``period_end``, ``parse_date``,
``parse_month``, ``parse_period``, ``resolve_as_of``, ``as_of_for``,
``last_complete_period``, ``cutoff``, ``spine``, ``period_index``, ``index_of``,
``index_starts``.

A period P is the half-open interval ``[P.start, P.end)``; ``P.end`` is the next
period's start. A period is identified by its start, a tz-naive timestamp
(``2026-10-01`` is October 2026). Weeks start on Monday, as ``date_trunc('week')``
does on DuckDB and Spark.

An as-of date names a day and covers it whole: ``as_of="2026-10-31"`` means the
data is known through the end of 31 October, so the instant up to which events
count (the *cutoff*) is ``2026-11-01 00:00`` and October is complete. By default
the as-of date is the last day of the data's last complete period; the data is
taken to be complete through the end of the day of its latest timestamp.
That is the one ``as_of`` rule (:func:`resolve_as_of`, :func:`as_of_for`); a
snapshot function's ``period=None`` means the period that ends on that as-of day
(:func:`last_complete_period`).

**The period grammar** (:func:`parse_period`), for every ``period=`` argument:
``"2026-10"`` (a month), ``"2026-Q3"`` (a quarter), ``"2026"`` (a year), a day
inside a period of ``freq`` (``"2026-10-15"``), or a ``(first, last)`` pair of
days, both inclusive.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import TYPE_CHECKING, NamedTuple

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnlab.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from churnlab.contract import Dataset

__all__ = [
    "FREQS",
    "DEFAULT_INACTIVITY_DAYS",
    "Period",
    "check_freq",
    "check_days",
    "truncate",
    "period_start",
    "period_end",
    "parse_date",
    "parse_month",
    "parse_period",
    "resolve_as_of",
    "as_of_for",
    "last_complete_period",
    "cutoff",
    "spine",
    "period_index",
    "index_of",
    "index_starts",
]

#: The default inactivity window W (days) for customers who order without a
#: contract: common in retail, and printed with every figure that uses it.
DEFAULT_INACTIVITY_DAYS = 90

#: Period units, as Ibis's ``truncate`` spells them.
FREQS: dict[str, str] = {
    "D": "day",
    "W": "week (starting Monday)",
    "M": "month",
    "Q": "quarter",
    "Y": "year",
}

_OFFSETS = {
    "D": pd.DateOffset(days=1),
    "W": pd.DateOffset(weeks=1),
    "M": pd.DateOffset(months=1),
    "Q": pd.DateOffset(months=3),
    "Y": pd.DateOffset(years=1),
}

_PANDAS_ALIASES = {
    "MS": "M",
    "ME": "M",
    "QS": "Q",
    "QE": "Q",
    "YS": "Y",
    "YE": "Y",
    "A": "Y",
    "AS": "Y",
    "W-MON": "W",
}


def check_freq(freq: str) -> str:
    """Return ``freq`` if it is one of ``"D" "W" "M" "Q" "Y"``, else raise.

    Parameters
    ----------
    freq : str
        Period unit.

    Raises
    ------
    ParameterError
        For anything else; pandas aliases such as ``"MS"`` get a hint.
    """
    if isinstance(freq, str) and freq in FREQS:
        return freq
    hint = ""
    if isinstance(freq, str) and freq.upper() in _PANDAS_ALIASES:
        hint = f' (pandas alias; churnlab spells it "{_PANDAS_ALIASES[freq.upper()]}")'
    elif isinstance(freq, str) and freq.upper() in FREQS:
        hint = f' (units are upper case: "{freq.upper()}")'
    units = ", ".join(f'"{k}" {v}' for k, v in FREQS.items())
    raise ParameterError(
        f"freq={freq!r} is not a period unit{hint}; use one of {units}."
    )


def truncate(column: ibis.Value, freq: str) -> ibis.Value:
    """Ibis expression for the start of the period that contains ``column``."""
    return column.truncate(check_freq(freq))


def period_start(ts: pd.Timestamp | pd.Series, freq: str) -> pd.Timestamp | pd.Series:
    """Start of the period containing ``ts`` (a Timestamp or a datetime Series)."""
    freq = check_freq(freq)
    if isinstance(ts, pd.Series):
        day = ts.dt.normalize()
        if freq == "D":
            return day
        if freq == "W":
            return day - pd.to_timedelta(day.dt.weekday, unit="D")
        month = day.dt.month
        if freq == "Q":
            month = (month - 1) // 3 * 3 + 1
        elif freq == "Y":
            month = month * 0 + 1
        return pd.to_datetime({"year": day.dt.year, "month": month, "day": 1}).astype(
            ts.dtype if ts.dt.tz is None else "datetime64[ns]"
        )
    day = pd.Timestamp(ts).normalize()
    if freq == "D":
        return day
    if freq == "W":
        return day - pd.Timedelta(days=day.weekday())
    if freq == "M":
        return day.replace(day=1)
    if freq == "Q":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def period_end(start: pd.Timestamp | pd.Series, freq: str) -> pd.Timestamp | pd.Series:
    """Exclusive end of the period starting at ``start`` (the next period's start)."""
    return start + _OFFSETS[check_freq(freq)]


def parse_date(value: object, *, name: str = "as_of") -> pd.Timestamp:
    """Parse a date-like parameter into a tz-naive day (midnight).

    Raises
    ------
    ParameterError
        If ``value`` is not a date, or is a timestamp with a time of day (an
        as-of date names a whole day).
    """
    if isinstance(value, _dt.date | pd.Timestamp | str):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError) as err:
            raise ParameterError(
                f"{name}={value!r} is not a date; use YYYY-MM-DD, e.g. '2026-10-31'."
            ) from err
    else:
        raise ParameterError(
            f"{name}={value!r} is not a date; use YYYY-MM-DD, e.g. '2026-10-31'."
        )
    if ts is pd.NaT:
        raise ParameterError(f"{name} is missing; use YYYY-MM-DD, e.g. '2026-10-31'.")
    if ts.tz is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    if ts != ts.normalize():
        raise ParameterError(
            f"{name}={value!r} has a time of day; an as-of date names a whole day "
            "(known through its end). Pass the date only, e.g. '2026-10-31'."
        )
    return ts


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: object, *, name: str = "month") -> pd.Timestamp:
    """Parse ``"YYYY-MM"`` into the month's first day.

    Raises
    ------
    ParameterError
        If ``value`` is not a string of the form ``YYYY-MM`` with a month 01-12.
    """
    m = _MONTH.match(value) if isinstance(value, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ParameterError(
            f"{name}={value!r} is not a month; use YYYY-MM, e.g. '2026-10'."
        )
    return pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)


def cutoff(as_of: pd.Timestamp) -> pd.Timestamp:
    """The exclusive instant an as-of day stands for: midnight after it."""
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)


def resolve_as_of(
    as_of: object | None, *, latest: pd.Timestamp | None, freq: str = "M"
) -> pd.Timestamp:
    """Return the as-of day: the one given, or the end of the last complete period.

    Parameters
    ----------
    as_of : date-like or None
        The day the data is known through (inclusive). None picks the last day of
        the last period that ends on or before the end of the day of ``latest``.
    latest : Timestamp or None
        The latest timestamp in the data (computed by the caller's query).
    freq : str
        Period unit used to find the last complete period.

    Raises
    ------
    ParameterError
        If ``as_of`` is not a date, or the data holds no timestamps and no
        ``as_of`` was given.
    """
    freq = check_freq(freq)
    if as_of is not None:
        return parse_date(as_of)
    if latest is None or pd.isna(latest):
        raise ParameterError(
            "as_of cannot be inferred from data with no timestamps; "
            "pass as_of='YYYY-MM-DD'."
        )
    known_until = cutoff(pd.Timestamp(latest))
    start = period_start(known_until, freq)
    # ``start`` is the period containing the first unknown instant; if the data
    # ends exactly on a period boundary that period has not begun, so the last
    # complete period ends at ``start``.
    return start - pd.Timedelta(days=1)


def spine(first: pd.Timestamp, as_of: pd.Timestamp, freq: str) -> pd.DataFrame:
    """Periods from the one containing ``first`` to the last complete at ``as_of``.

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (start) and ``period_end`` (exclusive end), one row
        per period, in order. Empty when no period is complete.
    """
    freq = check_freq(freq)
    end = cutoff(as_of)
    starts = []
    p = period_start(pd.Timestamp(first), freq)
    while period_end(p, freq) <= end:
        starts.append(p)
        p = period_end(p, freq)
    frame = pd.DataFrame({"period": pd.to_datetime(starts, unit="ns")})
    frame["period"] = frame["period"].astype("datetime64[ns]")
    frame["period_end"] = period_end(frame["period"], freq)
    return frame


def check_days(value: object, *, name: str = "inactivity_days") -> int:
    """Return a window length in whole days (>= 1), else raise ParameterError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ParameterError(
            f"{name}={value!r} must be a whole number of days >= 1 "
            f"(e.g. {DEFAULT_INACTIVITY_DAYS})."
        )
    return int(value)


class Period(NamedTuple):
    """A half-open period ``[start, end)`` with its display label."""

    start: pd.Timestamp
    end: pd.Timestamp
    label: str

    @property
    def as_of(self) -> pd.Timestamp:
        """The period's last day: the as-of day that makes it complete."""
        return self.end - pd.Timedelta(days=1)


_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


def parse_period(value: object, *, freq: str = "M", name: str = "period") -> Period:
    """Parse a period argument: the one grammar every ``period=`` accepts.

    Parameters
    ----------
    value : str, date-like or (date-like, date-like)
        ``"2026-10"`` (a month), ``"2026-Q3"`` (a quarter), ``"2026"`` (a
        year), a day (``"2026-10-15"``: the period of ``freq`` holding it), or a
        ``(first, last)`` pair of days, both inclusive.
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        Unit used only when ``value`` is a single day.
    name : str
        Parameter name for error messages.

    Returns
    -------
    Period
        ``start``, exclusive ``end`` and ``label``.

    Raises
    ------
    ParameterError
        If ``value`` matches none of the forms, or ``last < first``.

    Examples
    --------
    >>> parse_period("2026-Q3")
    Period(start=Timestamp('2026-07-01 00:00:00'), end=Timestamp('2026-10-01 00:00:00'), label='2026-Q3')
    >>> parse_period("2026-10-15").label
    '2026-10'
    >>> parse_period(("2026-10-01", "2026-10-14")).end
    Timestamp('2026-10-15 00:00:00')
    """  # noqa: E501
    freq = check_freq(freq)
    if isinstance(value, tuple | list) and len(value) == 2:
        first = parse_date(value[0], name=name)
        last = parse_date(value[1], name=name)
        if last < first:
            raise ParameterError(
                f"{name}={tuple(value)!r}: the last day is before the first; pass "
                "(first, last), both inclusive."
            )
        return Period(
            first, last + pd.Timedelta(days=1), f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"
        )
    if isinstance(value, str):
        text = value.strip()
        if _MONTH.match(text):
            start = parse_month(text, name=name)
            return Period(start, period_end(start, "M"), f"{start:%Y-%m}")
        m = _QUARTER.match(text)
        if m:
            start = pd.Timestamp(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
            return Period(start, period_end(start, "Q"), f"{m.group(1)}-Q{m.group(2)}")
        if _YEAR.match(text):
            start = pd.Timestamp(int(text), 1, 1)
            return Period(start, period_end(start, "Y"), text)
    try:
        day = parse_date(value, name=name)
    except ParameterError as err:
        raise ParameterError(
            f"{name}={value!r} is not a period; use '2026-10' (month), '2026-Q3' "
            "(quarter), '2026' (year), a day inside the period ('2026-10-15') or a "
            "(first, last) pair of days."
        ) from err
    start = period_start(day, freq)
    return Period(start, period_end(start, freq), _label(start, freq))


def _label(start: pd.Timestamp, freq: str) -> str:
    if freq == "M":
        return f"{start:%Y-%m}"
    if freq == "Q":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if freq == "Y":
        return f"{start.year}"
    return f"{start:%Y-%m-%d}"


def last_complete_period(as_of: pd.Timestamp, freq: str) -> pd.Timestamp:
    """Start of the last period of ``freq`` that is complete at ``as_of``."""
    p = period_start(pd.Timestamp(as_of), freq)
    if period_end(p, freq) <= cutoff(as_of):
        return p
    return period_start(p - pd.Timedelta(days=1), freq)


def as_of_for(
    data: Dataset, *tables: str, as_of: object | None = None, freq: str = "M"
) -> pd.Timestamp:
    """The as-of day for a dataset: :func:`resolve_as_of` on its latest timestamp.

    Parameters
    ----------
    data : Dataset
        The dataset.
    *tables : str
        Tables whose latest timestamp counts (all tables when none given).
    as_of : date-like, optional
        Given as-of day (returned parsed).
    freq : str
        Period unit of the last complete period.
    """
    if as_of is not None:
        return parse_date(as_of)
    return resolve_as_of(None, latest=data.latest(*tables), freq=freq)


def period_index(ts: ir.TimestampValue, freq: str) -> ir.IntegerValue:
    """Ibis: integer index of the period holding ``ts`` (consecutive differ by 1).

    Months are ``year * 12 + month - 1``, quarters ``year * 4 + quarter - 1``;
    days count from 1970-01-01 and weeks from Monday 1969-12-29. Ibis's
    ``delta(unit="month")`` is not used: DuckDB and Spark disagree on it.
    """
    freq = check_freq(freq)
    if freq == "M":
        return ts.year().cast("int64") * 12 + ts.month().cast("int64") - 1
    if freq == "Q":
        return ts.year().cast("int64") * 4 + ts.quarter().cast("int64") - 1
    if freq == "Y":
        return ts.year().cast("int64")
    day = (truncate(ts, "D").epoch_seconds() // 86400).cast("int64")
    if freq == "D":
        return day
    return (day + 3) // 7  # 1970-01-01 was a Thursday, so day -3 is a Monday


def index_of(ts: pd.Timestamp, freq: str) -> int:
    """:func:`period_index` for one pandas Timestamp."""
    ts = pd.Timestamp(ts)
    if freq == "M":
        return ts.year * 12 + ts.month - 1
    if freq == "Q":
        return ts.year * 4 + (ts.month - 1) // 3
    if freq == "Y":
        return ts.year
    day = (ts.normalize() - pd.Timestamp("1970-01-01")).days
    return day if freq == "D" else (day + 3) // 7


def index_starts(index: np.ndarray, freq: str) -> np.ndarray:
    """Period starts (datetime64[ns]) of integer period indices."""
    index = np.asarray(index, dtype="int64")
    if freq == "M":
        out = (index - 1970 * 12).astype("datetime64[M]")
    elif freq == "Q":
        out = ((index - 1970 * 4) * 3).astype("datetime64[M]")
    elif freq == "Y":
        out = (index - 1970).astype("datetime64[Y]")
    elif freq == "D":
        out = index.astype("datetime64[D]")
    else:
        out = (index * 7 - 3).astype("datetime64[D]")
    return out.astype("datetime64[ns]")
