"""The RFM summary the CLV models read: one row per customer, built by the engine.

Public names: ``rfm_summary``, ``UNITS``.

The summary is one Ibis aggregation over the orders (DuckDB, PySpark or any
backend), so 10M+ orders never come into pandas: only the one row per customer
comes back. Units travel with the table, in its column names
(``recency_weeks``, ``T_weeks``) and in ``attrs``, so a horizon in the wrong
unit cannot be read silently.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis import _

from churnlab import contract, engine, periods
from churnlab.errors import ContractError, ParameterError

__all__ = ["rfm_summary", "UNITS"]

#: Time units the CLV summary accepts: code -> (days per unit, name in columns).
#: Months and years are not a fixed number of days, so they are not offered.
UNITS: dict[str, tuple[int, str]] = {"D": (1, "days"), "W": (7, "weeks")}


def check_unit(unit: str) -> tuple[int, str]:
    """Days per unit and the unit's column-name word; ParameterError otherwise."""
    if unit not in UNITS:
        raise ParameterError(
            f"unit={unit!r} is not supported for the RFM summary; use 'W' (weeks) "
            "or 'D' (days). Months and years have no fixed length, and the models "
            "measure time in one fixed unit."
        )
    return UNITS[unit]


def _day_table(orders: ir.Table, *, until: pd.Timestamp) -> ir.Table:
    """Purchases merged to one row per customer and day, before ``until``."""
    return (
        orders.filter(orders.ordered_at < until)
        .group_by(["customer_id", orders.ordered_at.truncate("D").name("day")])
        .agg(amount=_.amount.sum())
    )


def _rfm_expr(
    orders: ir.Table,
    *,
    calibration_cut: pd.Timestamp,
    holdout_cut: pd.Timestamp | None,
) -> ir.Table:
    """One aggregation: first day, calibration and holdout counts and spend."""
    days = _day_table(orders, until=holdout_cut or calibration_cut)
    cal = days.day < ibis.timestamp(calibration_cut)
    aggs: dict[str, Any] = {
        "first_purchase": days.day.min(),
        "last_purchase": days.day.max(where=cal),
        "purchase_days": days.day.count(where=cal),
        "spend": days.amount.sum(where=cal),
        "first_spend": days.amount.argmin(days.day),
    }
    if holdout_cut is not None:
        aggs["frequency_holdout"] = days.day.count(where=~cal)
        aggs["spend_holdout"] = days.amount.sum(where=~cal)
    per = days.group_by("customer_id").aggregate(**aggs)
    return per.filter(per.first_purchase < ibis.timestamp(calibration_cut))


def rfm_summary(
    orders: Any,
    *,
    calibration_end: Any = None,
    holdout_end: Any = None,
    unit: str = "W",
) -> pd.DataFrame:
    """Frequency, recency, age and spend per customer: the input of the CLV models.

    Parameters
    ----------
    orders : Dataset, DataFrame, path or ibis.Table
        Orders with customer_id, ordered_at and amount (refunds are excluded, see
        :func:`churnlab.contract.purchases`).
    calibration_end : date-like, optional
        Last day of the calibration period, inclusive (``"1997-09-30"`` covers
        that whole day). Default: the day of the latest order.
    holdout_end : date-like, optional
        Last day of a holdout period that starts the day after
        ``calibration_end``; adds the holdout columns.
    unit : {"W", "D"}, default "W"
        Time unit of recency, T and the holdout duration (weeks or days).

    Returns
    -------
    pandas.DataFrame
        One row per customer whose first purchase is on or before
        ``calibration_end``, sorted by customer_id: ``customer_id``,
        ``first_purchase`` (day), ``frequency``, ``recency_<unit>``,
        ``T_<unit>``, ``monetary_value``, and with a holdout
        ``frequency_holdout``, ``monetary_value_holdout``,
        ``duration_holdout_<unit>``. ``attrs`` holds ``unit``, ``unit_days``,
        ``unit_name``, ``calibration_end``, ``holdout_end`` (ISO dates, so the
        frame saves to parquet) and ``refunds_excluded``.

    Raises
    ------
    ParameterError
        For an unknown unit, unparseable dates, a holdout ending before the
        calibration, or no customer with a purchase by ``calibration_end``.

    Notes
    -----
    **Definition.** Purchases are merged to one transaction per customer and
    calendar day, as Fader, Hardie & Lee (2005) do on CDNOW (which also merges
    order lines at the same instant). ``frequency`` is the number of *repeat*
    purchase days in the calibration period (purchase days minus the first);
    ``recency`` is the time from the first to the last calibration purchase day
    (0 when ``frequency`` is 0); ``T`` is the time from the first purchase day
    to ``calibration_end``.

    **Formula.** ``recency = (last_day - first_day) / unit``;
    ``T = (calibration_end - first_day) / unit``; ``monetary_value`` is the
    mean spend per *repeat* purchase day in the calibration period
    (``(spend - spend on the first day) / frequency``), the input of the
    Gamma-Gamma spend model. ``frequency_holdout`` counts purchase days in
    ``(calibration_end, holdout_end]``; ``duration_holdout`` is that period's
    length.

    **Convention.** ``monetary_value`` is NaN, not 0, for customers with no
    repeat purchase: their repeat spend is unknown. Times are measured in whole
    days between purchase days and divided by the unit (7 for weeks), so a
    customer whose first purchase is on 1997-01-01 has ``T = 272 / 7 = 38.86``
    weeks at a calibration end of 1997-09-30, as in Hardie's CDNOW summary.
    Refunds are not purchases (counted in a warning).

    Examples
    --------
    >>> import churnlab as cl
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     rfm = cl.rfm_summary(cl.sample_dataset(), calibration_end="2025-12-31")
    >>> rfm.attrs["unit_name"], list(rfm.columns[2:5])
    ('weeks', ['frequency', 'recency_weeks', 'T_weeks'])
    >>> bool((rfm["recency_weeks"] <= rfm["T_weeks"]).all())
    True
    """
    unit_days, unit_name = check_unit(unit)
    ds = contract.as_dataset(orders, "orders")
    if calibration_end is None:
        latest = ds.latest("orders")
        if latest is None:
            raise ParameterError(
                "calibration_end cannot be inferred from orders with no "
                "timestamps; pass calibration_end='YYYY-MM-DD'."
            )
        cal_end = pd.Timestamp(latest).normalize()
    else:
        cal_end = periods.parse_date(calibration_end, name="calibration_end")
    hold_end = (
        None
        if holdout_end is None
        else periods.parse_date(holdout_end, name="holdout_end")
    )
    if hold_end is not None and hold_end <= cal_end:
        raise ParameterError(
            f"holdout_end={hold_end.date()} must be after calibration_end="
            f"{cal_end.date()}; the holdout starts the day after the calibration."
        )
    purchases = contract.purchases(ds)
    expr = _rfm_expr(
        purchases,
        calibration_cut=periods.cutoff(cal_end),
        holdout_cut=None if hold_end is None else periods.cutoff(hold_end),
    )
    raw = engine.execute(expr)
    if raw.empty:
        raise ContractError(
            "orders",
            "ordered_at",
            f"no customer has a purchase on or before calibration_end={cal_end.date()}",
            fix="Pick a later calibration_end, or check the orders' dates.",
        )
    return _finish(
        raw,
        cal_end=cal_end,
        hold_end=hold_end,
        unit=unit,
        unit_days=unit_days,
        unit_name=unit_name,
        refunds=ds.info["orders"].excluded.get("refunds", 0),
    )


def _finish(
    raw: pd.DataFrame,
    *,
    cal_end: pd.Timestamp,
    hold_end: pd.Timestamp | None,
    unit: str,
    unit_days: int,
    unit_name: str,
    refunds: int,
) -> pd.DataFrame:
    """Turn the per-customer aggregates into the RFM frame (pandas, one row each)."""
    raw = raw.sort_values("customer_id", kind="stable").reset_index(drop=True)
    first = pd.to_datetime(raw["first_purchase"]).dt.normalize()
    last = pd.to_datetime(raw["last_purchase"]).dt.normalize()
    frequency = raw["purchase_days"].astype("int64") - 1
    repeat_spend = raw["spend"].astype(float) - raw["first_spend"].astype(float)
    out = pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype(str),
            "first_purchase": first,
            "frequency": frequency,
            f"recency_{unit_name}": (last - first).dt.days / unit_days,
            f"T_{unit_name}": (cal_end - first).dt.days / unit_days,
            "monetary_value": np.where(
                frequency > 0, repeat_spend / frequency.where(frequency > 0), np.nan
            ),
        }
    )
    if hold_end is not None:
        n_hold = raw["frequency_holdout"].fillna(0).astype("int64")
        out["frequency_holdout"] = n_hold
        out["monetary_value_holdout"] = np.where(
            n_hold > 0,
            raw["spend_holdout"].astype(float) / n_hold.where(n_hold > 0),
            np.nan,
        )
        out[f"duration_holdout_{unit_name}"] = (hold_end - cal_end).days / unit_days
    out.attrs.update(
        unit=unit,
        unit_days=unit_days,
        unit_name=unit_name,
        calibration_end=f"{cal_end:%Y-%m-%d}",
        holdout_end=None if hold_end is None else f"{hold_end:%Y-%m-%d}",
        refunds_excluded=int(refunds),
    )
    return out
