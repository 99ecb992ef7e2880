"""Periods, frequencies and as-of dates: one rule for the whole package.

Public names: ``FREQS``, ``check_freq``, ``truncate``, ``period_start``,
``period_end``, ``parse_date``, ``parse_month``, ``resolve_as_of``, ``cutoff``,
``spine``.

A period P is the half-open interval ``[P.start, P.end)``; ``P.end`` is the next
period's start. A period is identified by its start, a tz-naive timestamp
(``2026-10-01`` is October 2026). Weeks start on Monday, as ``date_trunc('week')``
does on DuckDB and Spark.

An as-of date names a day and covers it whole: ``as_of="2026-10-31"`` means the
data is known through the end of 31 October, so the instant up to which events
count (the *cutoff*) is ``2026-11-01 00:00`` and October is complete. By default
the as-of date is the last day of the data's last complete period; the data is
taken to be complete through the end of the day of its latest timestamp.
"""

from __future__ import annotations

import datetime as _dt
import re

import ibis
import pandas as pd

from churnlab.errors import ParameterError

__all__ = [
    "FREQS",
    "check_freq",
    "truncate",
    "period_start",
    "period_end",
    "parse_date",
    "parse_month",
    "resolve_as_of",
    "cutoff",
    "spine",
]

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
