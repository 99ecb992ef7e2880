"""Tidy-frame helpers every module shares: ratios, by-lists, period grids.

Public names (for the package's modules, not for analysts): ``COUNT``,
``MONTHS_PER_PERIOD``, ``ratio``, ``by_list``, ``grid``, ``cumsum``, ``attach``,
``flag``, ``stack``.

One place for the small rules every metric repeats: a rate is NaN, never 0 or
inf, when its denominator is 0 (:func:`ratio`); ``by`` may be a string, a list
or None (:func:`by_list`); a per-period aggregate is reported on every period of
the spine and every group, 0 where nothing happened (:func:`grid`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnlab import periods

__all__ = [
    "COUNT",
    "MONTHS_PER_PERIOD",
    "ratio",
    "by_list",
    "grid",
    "cumsum",
    "attach",
    "flag",
    "stack",
]

#: Integer type of every count the engine returns.
COUNT = "int64"

#: Nominal months per period, to turn a per-period quantity into months.
MONTHS_PER_PERIOD: dict[str, float] = {
    "D": 12 / 365.25,
    "W": 7 * 12 / 365.25,
    "M": 1.0,
    "Q": 3.0,
    "Y": 12.0,
}


def ratio(num: Any, den: Any) -> Any:
    """``num / den`` as float, NaN where ``den`` is 0 or missing (never inf).

    Works on scalars, numpy arrays and pandas Series (aligned on the index).

    Examples
    --------
    >>> ratio(1, 0)
    nan
    >>> ratio(pd.Series([1, 2]), pd.Series([2, 0])).tolist()
    [0.5, nan]
    """
    if isinstance(num, pd.Series) or isinstance(den, pd.Series):
        index = num.index if isinstance(num, pd.Series) else den.index
        n = num if isinstance(num, pd.Series) else pd.Series(num, index=index)
        d = den if isinstance(den, pd.Series) else pd.Series(den, index=index)
        d = d.astype("float64")
        return n.astype("float64") / d.where(d != 0)
    if np.ndim(num) or np.ndim(den):
        n = np.asarray(num, dtype="float64")
        d = np.asarray(den, dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(d != 0, n / np.where(d != 0, d, 1.0), np.nan)
    if den is None or num is None or pd.isna(den) or pd.isna(num) or den == 0:
        return float("nan")
    return float(num) / float(den)


def by_list(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of column names (``[]`` for None)."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def grid(
    agg: pd.DataFrame,
    by_cols: list[str],
    freq: str,
    as_of: pd.Timestamp,
    metrics: Mapping[str, str],
) -> pd.DataFrame:
    """Period spine x groups with per-period aggregates merged in (0 where none).

    Parameters
    ----------
    agg : pandas.DataFrame
        ``period``, by-columns and the metric columns, one row per period and
        group that had something.
    by_cols : list of str
        Group columns.
    freq : str
        Period unit.
    as_of : Timestamp
        The as-of day; the spine ends with the last complete period.
    metrics : mapping
        Metric column -> dtype; missing cells become 0 of that dtype.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``period_end``, by-columns, metrics; sorted by group and
        period, from the first period in ``agg``.
    """
    agg = agg.copy()
    agg["period"] = pd.to_datetime(agg["period"]).astype("datetime64[ns]")
    if agg.empty:
        spine = pd.DataFrame(
            {
                "period": pd.Series([], dtype="datetime64[ns]"),
                "period_end": pd.Series([], dtype="datetime64[ns]"),
            }
        )
    else:
        spine = periods.spine(agg["period"].min(), as_of, freq)
    full = (
        spine.merge(agg[by_cols].drop_duplicates(), how="cross") if by_cols else spine
    )
    out = full.merge(agg, on=["period", *by_cols], how="left")
    for m, dtype in metrics.items():
        out[m] = out[m].fillna(0).astype(dtype)
    return out.sort_values([*by_cols, "period"], kind="stable").reset_index(drop=True)


def cumsum(frame: pd.DataFrame, col: str, by_cols: list[str]) -> pd.Series:
    """Running sum of ``col`` over periods, per group."""
    if by_cols:
        return frame.groupby(by_cols, dropna=False, sort=False)[col].cumsum()
    return frame[col].cumsum()


def attach(rows: ir.Table, attrs: ir.Table | None, by_cols: list[str]) -> ir.Table:
    """Left-join customer attributes onto rows keyed by ``customer_id``."""
    if attrs is None:
        return rows
    joined = rows.left_join(attrs, "customer_id")
    return joined.select(*rows.columns, *by_cols)


def flag(cond: ir.BooleanValue) -> ir.IntegerValue:
    """A boolean as a 0/1 count."""
    return cond.cast(COUNT)


def stack(
    parts: Sequence[ir.Table], keys: list[str], metrics: Mapping[str, str]
) -> ir.Table:
    """Union per-part aggregates (missing metrics as 0) and sum them by ``keys``."""
    filled = [
        part.select(
            *keys,
            **{
                m: (part[m].cast(t) if m in part.columns else ibis.literal(0, t))
                for m, t in metrics.items()
            },
        )
        for part in parts
    ]
    stacked = filled[0]
    for part in filled[1:]:
        stacked = stacked.union(part)
    return stacked.group_by(keys).agg(**{m: stacked[m].sum() for m in metrics})
