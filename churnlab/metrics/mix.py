"""Mix versus rate: why an overall rate moved between two periods.

Public names: ``rate_change_decomposition``.

An overall rate is a weighted mean of segment rates, ``R = sum_i w_i r_i`` with
``w_i = d_i / D`` (segment i's share of the denominator). When R moves between
periods a and b, part of the move is *mix* (the base shifted toward segments
with higher or lower rates) and part is *rate* (segments themselves got better
or worse). This module splits the change exactly, with the symmetric
(midpoint) shift-share formula, so neither period is privileged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.errors import ParameterError

__all__ = ["rate_change_decomposition"]


def rate_change_decomposition(
    data: pd.DataFrame,
    *,
    by: str,
    numerator: str,
    denominator: str,
    period: str = "period",
    before: object | None = None,
    after: object | None = None,
) -> pd.DataFrame:
    """Split the change in an overall rate into segment-mix and within-segment parts.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy per-period, per-segment counts, e.g. the output of
        ``customer_churn(..., by="segment")``.
    by : str
        Segment column.
    numerator, denominator : str
        Columns whose ratio is the rate (``customers_churned`` over
        ``customers_start``; for NRR, retained MRR over ``mrr_start``).
    period : str
        Period column.
    before, after : period values, optional
        The two periods compared; default the last two in ``data``.

    Returns
    -------
    pandas.DataFrame
        One row per segment plus a ``"total"`` row: ``weight_before,
        weight_after, rate_before, rate_after, mix_effect, rate_effect,
        change``. On the total row, ``change = rate_after - rate_before`` of the
        overall rate and equals ``mix_effect + rate_effect`` exactly.

    Notes
    -----
    **Definition.** The overall rate is ``R = sum_i w_i r_i`` with
    ``w_i = d_i / sum_j d_j`` and ``r_i = n_i / d_i``.

    **Formula.** With midpoint weights and rates,
    ``mix_effect_i = (w_i^b - w_i^a) (r_i^a + r_i^b) / 2`` and
    ``rate_effect_i = (r_i^b - r_i^a) (w_i^a + w_i^b) / 2``; their sums add up to
    ``R^b - R^a``.

    **Convention.** A segment absent from one period (denominator 0) has no rate
    there; its rate in the other period stands in, so its appearance or
    disappearance is counted as mix, not as a change of rate.

    Examples
    --------
    SMB churn rose from 5% to 6% and SMB grew from half to 60% of the base;
    Enterprise stayed at 1%. Overall churn went from 3% to 4%:

    >>> df = pd.DataFrame({"period": [1, 1, 2, 2], "segment": ["SMB", "Ent"] * 2,
    ...                    "lost": [5, 1, 9, 1], "start": [100, 100, 150, 100]})
    >>> out = rate_change_decomposition(df, by="segment", numerator="lost",
    ...                                 denominator="start")
    >>> out.loc["total", ["mix_effect", "rate_effect", "change"]].round(4).tolist()
    [0.0045, 0.0055, 0.01]
    """
    for col in (by, numerator, denominator, period):
        if col not in data.columns:
            raise ParameterError(
                f"rate_change_decomposition: no column {col!r} in data."
            )
    periods_seen = sorted(data[period].dropna().unique())
    if before is None or after is None:
        if len(periods_seen) < 2:
            raise ParameterError("rate_change_decomposition needs two periods of data.")
        before, after = periods_seen[-2], periods_seen[-1]
    sums = data.groupby([period, by], observed=True)[[numerator, denominator]].sum()
    try:
        a = sums.loc[before]
        b = sums.loc[after]
    except KeyError as err:
        raise ParameterError(
            f"rate_change_decomposition: period {err} not in data."
        ) from err
    seg = a.index.union(b.index)
    a, b = a.reindex(seg, fill_value=0), b.reindex(seg, fill_value=0)
    wa = a[denominator] / a[denominator].sum()
    wb = b[denominator] / b[denominator].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        ra = (a[numerator] / a[denominator]).where(a[denominator] > 0)
        rb = (b[numerator] / b[denominator]).where(b[denominator] > 0)
    ra_f, rb_f = ra.fillna(rb).fillna(0.0), rb.fillna(ra).fillna(0.0)
    out = pd.DataFrame(
        {
            "weight_before": wa,
            "weight_after": wb,
            "rate_before": ra,
            "rate_after": rb,
            "mix_effect": (wb - wa) * (ra_f + rb_f) / 2,
            "rate_effect": (rb_f - ra_f) * (wa + wb) / 2,
        }
    )
    out["change"] = out["mix_effect"] + out["rate_effect"]
    total_a = a[numerator].sum() / a[denominator].sum()
    total_b = b[numerator].sum() / b[denominator].sum()
    out.loc["total"] = {
        "weight_before": 1.0,
        "weight_after": 1.0,
        "rate_before": total_a,
        "rate_after": total_b,
        "mix_effect": out["mix_effect"].sum(),
        "rate_effect": out["rate_effect"].sum(),
        "change": total_b - total_a,
    }
    out.index.name = by
    return out
