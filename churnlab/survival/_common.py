"""Shared pieces of the survival package (private).

Tenure units, parameter checks, the lifetimes-table check, groups and
Kaplan–Meier helpers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from churnlab._frames import by_list
from churnlab.errors import ParameterError

#: Tenure units and their length in days. A month is the average Gregorian
#: month, 365.25 / 12 = 30.4375 days, so tenures in months are comparable
#: whatever calendar months a customer lived through.
UNITS: dict[str, float] = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}

_PER_YEAR = {unit: 365.25 / days for unit, days in UNITS.items()}
_SOURCES = ("subscriptions", "orders", "durations")
_REACTIVATION = ("span", "first", "spells")
#: Columns lifetimes() adds; attributes may not reuse them.
_OWN = ("customer_id", "spell", "tenure", "churned", "start", "churned_at", "spells")

__all__: list[str] = []


def _check_choice(name: str, value: object, options: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ParameterError(f"{name}={value!r} is not valid; use one of {listed}.")
    return value


# ------------------------------------------------------------- checks and groups


def _check_lifetimes(
    lifetimes_df: Any, by: str | Sequence[str] | None, *, caller: str
) -> tuple[pd.DataFrame, list[str]]:
    """Validate a lifetimes table; return it (churned as bool) and the by list.

    A Dataset, path or Ibis table (or a frame without ``tenure``/``churned``
    that :func:`~churnlab.lifetimes` can read) is first turned into one with
    :func:`~churnlab.lifetimes` and its defaults.
    """
    if not isinstance(lifetimes_df, pd.DataFrame) or not {
        "tenure",
        "churned",
    } <= set(lifetimes_df.columns):
        from churnlab.contract import Dataset

        if isinstance(lifetimes_df, Dataset | str | os.PathLike) or hasattr(
            lifetimes_df, "schema"
        ):
            from churnlab.survival.table import lifetimes

            lifetimes_df = lifetimes(lifetimes_df)
    if not isinstance(lifetimes_df, pd.DataFrame) or not {"tenure", "churned"} <= set(
        lifetimes_df.columns
    ):
        what = (
            f"a DataFrame with columns {', '.join(map(str, lifetimes_df.columns))}"
            if isinstance(lifetimes_df, pd.DataFrame)
            else f"a {type(lifetimes_df).__name__}"
        )
        raise ParameterError(
            f"{caller} takes the table churnlab.lifetimes() returns (columns tenure "
            f"and churned), not {what}. Build it first: "
            "lt = cl.lifetimes(data, as_of=...)."
        )
    cols = by_list(by)
    missing = [c for c in cols if c not in lifetimes_df.columns]
    if missing:
        options = [c for c in lifetimes_df.columns if c not in _OWN]
        raise ParameterError(
            f"by={missing[0]!r} is not a column of the lifetimes table; attributes "
            f"are {', '.join(map(str, options)) or 'none'}."
        )
    tenure = pd.to_numeric(lifetimes_df["tenure"], errors="coerce")
    bad = tenure.isna() | (tenure < 0) | ~np.isfinite(tenure.fillna(0))
    if bad.any():
        raise ParameterError(
            f"tenure must be a number >= 0 in every row; {int(bad.sum()):,} rows are "
            "not (missing, negative or infinite)."
        )
    churned = lifetimes_df["churned"]
    if churned.dtype != bool:
        if churned.isna().any() or not churned.isin([0, 1, True, False]).all():
            raise ParameterError(
                "churned must be True/False (or 1/0) in every row; map it first, "
                "e.g. df['churned'] = df['Churn'].eq('Yes')."
            )
    frame = lifetimes_df.assign(
        tenure=tenure.astype(float), churned=churned.astype(bool)
    )
    frame.attrs = dict(lifetimes_df.attrs)
    return frame, cols


def _unit_of(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("unit") or "units")


def _groups(
    frame: pd.DataFrame, cols: list[str]
) -> Iterator[tuple[Any, tuple[Any, ...], pd.DataFrame]]:
    """(fitter key, key values, rows) per group; key "all" without groups."""
    if not cols:
        yield "all", (), frame
        return
    grouped = frame.groupby(cols, dropna=False, sort=True, observed=True)
    for values, rows in grouped:
        values = values if isinstance(values, tuple) else (values,)
        key = values[0] if len(cols) == 1 else values
        yield key, values, rows


def _label(values: tuple[Any, ...]) -> str:
    if not values:
        return "all customers"
    return " / ".join("(missing)" if pd.isna(v) else str(v) for v in values)


def _km(rows: pd.DataFrame, label: str, alpha: float) -> KaplanMeierFitter:
    return KaplanMeierFitter(alpha=alpha, label=label).fit(
        rows["tenure"].to_numpy(), rows["churned"].to_numpy(), label=label
    )


def _nan_if_inf(x: float) -> float:
    return float("nan") if not np.isfinite(x) else float(x)


def _check_alpha(alpha: float) -> float:
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r} must be between 0 and 1, e.g. 0.05.")
    return float(alpha)


def _check_horizons(horizons: Any) -> list[float]:
    values = [horizons] if isinstance(horizons, int | float) else list(horizons)
    if not values or any(
        isinstance(h, bool) or not isinstance(h, int | float) or h <= 0 for h in values
    ):
        raise ParameterError(
            f"horizons={horizons!r} must be positive tenures in the lifetimes' unit, "
            "e.g. (12, 24)."
        )
    return values


def _horizon_name(h: float) -> str:
    return f"{h:g}".replace(".", "_")


def _known_until(kmf: KaplanMeierFitter, tenure: np.ndarray) -> float:
    """Largest tenure at which the KM curve is defined (inf once it reaches 0)."""
    last = float(kmf.survival_function_.iloc[-1, 0])
    return math.inf if last == 0 else float(tenure.max())


def _at(series_or_frame: pd.Series | pd.DataFrame, t: float) -> Any:
    """Value of a right-continuous step function (indexed by time) at ``t``."""
    return series_or_frame.loc[series_or_frame.index <= t].iloc[-1]


def _continue(model: Any, s_end: float, until: float, t: np.ndarray) -> np.ndarray:
    """Kaplan–Meier's S(T) carried past T by a model: ``S(T) * S_m(t) / S_m(T)``."""
    m_end = float(model.survival_function_at_times(until).iloc[0])
    if m_end <= 0:
        return np.zeros(len(t))
    return s_end * model.survival_function_at_times(t).to_numpy() / m_end


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
