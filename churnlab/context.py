"""Published ranges to read a company's own figures against: context, not verdicts.

Public names: ``benchmarks``, ``benchmark_context``.

A churn rate means little without a reference, and a reference from another kind
of business misleads. This module ships a small table of ranges that are widely
quoted, each with its source, year and caveats, and one function that puts a
company's own figure beside the matching range, only where the metric and the
segment match. Nothing here judges a figure: a range is what others reported,
measured their way, at their time.

Every range is stored as fractions, with its period (``annual`` or ``monthly``),
so it can be compared with churnlab's own output (also fractions).
"""

from __future__ import annotations

import math

import pandas as pd

from churnlab.errors import ParameterError

__all__ = ["benchmarks", "benchmark_context"]

_SOURCE_ESSAY = (
    "'Churn is misunderstood', an essay by a customer-messaging company, quoting a "
    "venture investor's data on SaaS churn by customer size"
)
_SOURCE_METRICS = (
    "a retention-metrics article among churnlab's source articles (CRR by industry)"
)
_SOURCE_SAAS_SURVEY = (
    "annual retention benchmarks of private B2B SaaS companies published by a "
    "SaaS lender's survey (median of respondents)"
)

# metric, segment, low, high, period, source, year, caveat
_ROWS: list[tuple[str, str, float, float, str, str, str, str]] = [
    (
        "customer_churn_rate",
        "SMB",
        0.31,
        0.58,
        "annual",
        _SOURCE_ESSAY,
        "not stated",
        "Small and medium business customers (about 3-7 % a month). Quoted "
        "figures, not a survey with a stated method; churn falls as a product "
        "matures; mileage varies.",
    ),
    (
        "customer_churn_rate",
        "Enterprise",
        0.06,
        0.10,
        "annual",
        _SOURCE_ESSAY,
        "not stated",
        "Enterprise customers (about 0.5-1 % a month). Same caveats as the SMB "
        "row; contracts are often annual, so monthly churn is lumpy.",
    ),
    (
        "crr",
        "IT services",
        0.80,
        0.80,
        "annual",
        _SOURCE_METRICS,
        "not stated",
        "About 80 %; compare only within the same industry. CRR suits a "
        "homogeneous customer base; with very different customer sizes weight "
        "by revenue too (NRR, GRR).",
    ),
    (
        "crr",
        "Media",
        0.80,
        0.80,
        "annual",
        _SOURCE_METRICS,
        "not stated",
        "About 80 %; compare only within the same industry.",
    ),
    (
        "crr",
        "Retail",
        0.60,
        0.60,
        "annual",
        _SOURCE_METRICS,
        "not stated",
        "60 % is already good in retail of goods and services; another sector's "
        "CRR misleads.",
    ),
    (
        "renewal_rate",
        "Subscriptions",
        0.80,
        1.00,
        "annual",
        _SOURCE_METRICS,
        "not stated",
        "Renewal above 80 % is called very favourable.",
    ),
    (
        "nrr",
        "B2B SaaS",
        1.00,
        1.04,
        "annual",
        _SOURCE_SAAS_SURVEY,
        "2021-2023",
        "Median net revenue retention of surveyed private companies; it rises "
        "with contract size and varies by year. A median, not a target.",
    ),
    (
        "grr",
        "B2B SaaS",
        0.90,
        0.92,
        "annual",
        _SOURCE_SAAS_SURVEY,
        "2021-2023",
        "Median gross revenue retention of surveyed private companies; lower for "
        "small-ticket products.",
    ),
    (
        "nps",
        "Any",
        0.80,
        1.00,
        "point in time",
        _SOURCE_METRICS,
        "not stated",
        "Above 80 (0.80 as a fraction) means nearly every respondent would "
        "recommend; NPS is comparable only between surveys asked the same way.",
    ),
]

_COLUMNS = ["metric", "segment", "low", "high", "period", "source", "year", "caveat"]


def benchmarks() -> pd.DataFrame:
    """Published ranges for churn and retention metrics, each with its source.

    Returns
    -------
    pandas.DataFrame
        One row per range: ``metric`` (churnlab's name for it), ``segment`` (the
        kind of business or customer it describes), ``low``, ``high`` (fractions),
        ``period`` (``annual``, ``monthly`` or ``point in time``), ``source``,
        ``year`` and ``caveat``.

    Notes
    -----
    Context, never a verdict: each range was measured by someone else, on other
    customers, their way. Compare only within the same metric, period and
    segment (:func:`benchmark_context` does that). Annual churn is not 12 times
    monthly churn: ``annual = 1 - (1 - monthly) ** 12``.

    Examples
    --------
    >>> import churnlab as cl
    >>> table = cl.benchmarks()
    >>> table.loc[table.metric == "customer_churn_rate", ["segment", "low", "high"]]
        segment   low  high
    0       SMB  0.31  0.58
    1  Enterprise  0.06  0.10
    >>> bool(table["source"].str.len().gt(0).all())
    True
    """
    return pd.DataFrame(_ROWS, columns=_COLUMNS)


def benchmark_context(
    metric: str,
    value: float,
    *,
    segment: str,
    period: str = "annual",
) -> pd.DataFrame:
    """Put a company's own figure beside the published range for the same segment.

    Parameters
    ----------
    metric : str
        churnlab's metric name, e.g. ``"customer_churn_rate"``, ``"nrr"``.
    value : float
        The company's own figure, a fraction, over ``period``.
    segment : str
        The segment the figure describes; matched case-insensitively against the
        table's ``segment``. No match, no row: a range from another kind of
        business is not shown.
    period : str
        ``"annual"`` or ``"monthly"``. A monthly churn rate is converted to
        annual (``1 - (1 - m) ** 12``) before comparing with an annual range;
        the conversion is stated in ``note``.

    Returns
    -------
    pandas.DataFrame
        The matching rows with ``value`` (annualised where needed), ``position``
        (``below``, ``within`` or ``above`` the range) and ``note``; empty when no
        range matches.

    Examples
    --------
    >>> import churnlab as cl
    >>> row = cl.benchmark_context("customer_churn_rate", 0.045, segment="smb",
    ...                            period="monthly")
    >>> row[["segment", "value", "position"]].round(3)
      segment  value position
    0     SMB  0.425   within
    >>> len(cl.benchmark_context("customer_churn_rate", 0.2, segment="Retail"))
    0
    """
    if period not in {"annual", "monthly"}:
        raise ParameterError(f"period={period!r} must be 'annual' or 'monthly'.")
    if not isinstance(value, int | float) or math.isnan(value):
        raise ParameterError(f"value={value!r} must be a number (a fraction).")
    table = benchmarks()
    known = sorted(table["metric"].unique())
    if metric not in known:
        raise ParameterError(
            f"metric={metric!r} has no published range here; ranges exist for "
            f"{', '.join(known)}."
        )
    rows = table[
        (table["metric"] == metric)
        & (table["segment"].str.casefold() == str(segment).casefold())
    ].copy()
    note = "context from a published range, not a verdict"
    if period == "monthly":
        if metric != "customer_churn_rate":
            raise ParameterError(
                f"Only customer_churn_rate converts from monthly to annual; give "
                f"{metric} as an annual figure."
            )
        value = 1 - (1 - value) ** 12
        note += "; monthly churn annualised as 1 - (1 - m)^12"
    rows = rows[rows["period"] == "annual"]
    rows.insert(2, "value", float(value))
    rows["position"] = [
        "below" if value < lo else "above" if value > hi else "within"
        for lo, hi in zip(rows["low"], rows["high"], strict=True)
    ]
    rows["note"] = note
    return rows.reset_index(drop=True)
