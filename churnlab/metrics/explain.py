"""Each churn and revenue formula with one period's numbers substituted.

Public names: ``explain_churn``.

A teaching view over :func:`churnlab.customer_churn` and
:func:`churnlab.revenue_metrics`: it computes nothing of its own.
"""

from __future__ import annotations

import pandas as pd

from churnlab import periods
from churnlab._docs import share_docs
from churnlab._types import DataLike, Freq, PeriodLike
from churnlab.errors import ParameterError
from churnlab.metrics.churn import _setup, customer_churn
from churnlab.metrics.revenue import revenue_metrics

__all__ = ["explain_churn"]


@share_docs
def explain_churn(
    data: DataLike,
    *,
    period: PeriodLike | None = None,
    freq: Freq = "M",
    gross_margin: float | None = None,
    currency: str = "",
    margin: float | None = None,
) -> str:
    """Each churn and revenue metric's formula with a period's numbers substituted.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`mrr_movements`).
    {period}
    {freq}
    {gross_margin}
    currency : str, optional
        Currency label for money (e.g. ``"EUR"``).

    Returns
    -------
    str
        One block per metric: definition, formula, the formula with the numbers
        substituted, and the result. ``print()`` it.

    Raises
    ------
    ParameterError
        If the period is not complete in the data.

    Notes
    -----
    **Definition.** A teaching view: the same numbers as :func:`customer_churn`
    and :func:`revenue_metrics` for one period, laid out so a reader can redo
    the arithmetic.

    **Formula.** As in those functions.

    **Convention.** The as-of date is the period's last day, so the period is
    complete and later data is ignored.

    Examples
    --------
    >>> import churnlab as cl
    >>> text = cl.explain_churn(cl.sample_dataset(), period="2026-10")
    >>> print(text.splitlines()[0])
    Churn and revenue metrics for 2026-10 (freq="M"; as of 2026-10-31)
    """
    freq = periods.check_freq(freq)
    if period is None:
        ds = _setup(data, "subscriptions", by=None, freq=freq, as_of=None)[0]
        period = periods.last_complete_period(
            periods.as_of_for(ds, "subscriptions", freq=freq), freq
        )
        data = ds
    span = periods.parse_period(period, freq=freq)
    start, as_of = span.start, span.as_of
    logo = customer_churn(data, freq=freq, as_of=as_of)
    rev = revenue_metrics(
        data, freq=freq, as_of=as_of, gross_margin=gross_margin, margin=margin
    )
    lrow = logo[logo["period"] == start]
    rrow = rev[rev["period"] == start]
    if lrow.empty or rrow.empty:
        raise ParameterError(
            f"period={period!r} is not a complete period of the data; choose one "
            "between the first subscription and the last complete period."
        )
    return _explain_text(
        lrow.iloc[0],
        rrow.iloc[0],
        start=start,
        as_of=as_of,
        freq=freq,
        currency=currency,
    )


def _explain_text(
    c: pd.Series,
    r: pd.Series,
    *,
    start: pd.Timestamp,
    as_of: pd.Timestamp,
    freq: str,
    currency: str,
) -> str:
    def m(x: float) -> str:
        return f"{currency} {x:,.2f}".strip()

    def pct(x: float) -> str:
        return "n/a (denominator 0)" if pd.isna(x) else f"{x:.2%}"

    label = start.strftime("%Y-%m") if freq == "M" else start.strftime("%Y-%m-%d")
    s, n, e = int(c.customers_start), int(c.customers_new), int(c.customers_end)
    ch, nl, re = (
        int(c.customers_churned),
        int(c.customers_new_lost),
        int(c.customers_reactivated),
    )
    blocks = [
        f'Churn and revenue metrics for {label} (freq="{freq}"; as of '
        f"{as_of:%Y-%m-%d})",
        "",
        "Customer counts",
        f"  at start S = {s}; sign-ups N = {n} (of which {nl} left again inside the"
        f" period); reactivated = {re}; churned = {ch}; at end E = {e}",
        f"  check: E = S - churned + N - new_lost + reactivated = {s} - {ch} + {n}"
        f" - {nl} + {re} = {s - ch + n - nl + re}",
        f"  lost in the period = S + N - E = {s} + {n} - {e} = {s + n - e}; of them"
        f" {nl} were new sign-ups (only customer-level data tells)",
        "",
        "Customer churn rate = customers_churned / customers_start",
        f"  = {ch} / {s} = {pct(c.churn_rate)}",
        "Customer retention rate CRR = (E - N) / S",
        f"  = ({e} - {n}) / {s} = {pct(c.crr)}",
        "Churn per customer-period at risk = churn_events / customer_periods_at_risk",
        f"  = {int(c.churn_events)} / {c.customer_periods_at_risk:,.2f} = "
        f"{pct(c.churn_rate_at_risk)}",
        "",
        "MRR bridge: end = start + new + expansion + reactivation - contraction"
        " - churn",
        f"  {m(r.mrr_end)} = {m(r.mrr_start)} + {m(r.mrr_new)} + "
        f"{m(r.mrr_expansion)} + {m(r.mrr_reactivation)} - "
        f"{m(r.mrr_contraction)} - {m(r.mrr_churn)}",
        "Gross revenue churn = (churn + contraction) / mrr_start",
        f"  = ({m(r.mrr_churn)} + {m(r.mrr_contraction)}) / {m(r.mrr_start)} = "
        f"{pct(r.gross_revenue_churn_rate)}",
        "Net revenue churn = (churn + contraction - expansion) / mrr_start",
        f"  = ({m(r.mrr_churn)} + {m(r.mrr_contraction)} - {m(r.mrr_expansion)}) / "
        f"{m(r.mrr_start)} = {pct(r.net_revenue_churn_rate)}",
        "NRR = (mrr_start + expansion - contraction - churn) / mrr_start",
        f"  = ({m(r.mrr_start)} + {m(r.mrr_expansion)} - {m(r.mrr_contraction)} - "
        f"{m(r.mrr_churn)}) / {m(r.mrr_start)} = {pct(r.nrr)}",
        "GRR = (mrr_start - contraction - churn) / mrr_start",
        f"  = ({m(r.mrr_start)} - {m(r.mrr_contraction)} - {m(r.mrr_churn)}) / "
        f"{m(r.mrr_start)} = {pct(r.grr)}",
        "Quick ratio = (new + expansion + reactivation) / (contraction + churn)",
        f"  = ({m(r.mrr_new)} + {m(r.mrr_expansion)} + {m(r.mrr_reactivation)}) / "
        f"({m(r.mrr_contraction)} + {m(r.mrr_churn)}) = "
        + ("n/a (nothing lost)" if pd.isna(r.quick_ratio) else f"{r.quick_ratio:.2f}"),
        "ARPA = mrr_end / customers_end",
        f"  = {m(r.mrr_end)} / {int(r.customers_end)} = "
        + ("n/a" if pd.isna(r.arpa) else m(r.arpa)),
        "Average lifetime = 1 / churn_rate (periods)",
        "  = 1 / "
        + (
            "0 = n/a"
            if pd.isna(r.lifetime_periods)
            else f"{r.churn_rate:.4f} = {r.lifetime_periods:.1f} periods "
            f"= {r.lifetime_months:.1f} months"
        ),
        "LTV = ARPA x gross margin x lifetime (months)"
        + (" (margin not given: none applied)" if r.gross_margin_assumed else ""),
        "  = "
        + (
            "n/a"
            if pd.isna(r.ltv)
            else f"{m(r.arpa)} x {r.gross_margin:g} x {r.lifetime_months:.1f}"
            f" = {m(r.ltv)}"
        ),
    ]
    return "\n".join(blocks)
