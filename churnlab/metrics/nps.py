"""Voice of the customer: NPS over time and churn reasons weighted by lost MRR.

Public names: ``nps``, ``churn_reasons``.
"""

from __future__ import annotations

import ibis
import pandas as pd
from ibis import _

from churnlab import engine, periods, states
from churnlab._docs import share_docs
from churnlab._frames import COUNT, attach, ratio
from churnlab._types import ByLike, DataLike, DateLike, Freq
from churnlab.errors import ParameterError
from churnlab.metrics.churn import _setup
from churnlab.metrics.revenue import _movement_rows

__all__ = ["nps", "churn_reasons"]

#: Label of churned customers who gave no reason near their churn.
NO_REASON = "(no reason given)"


@share_docs
def nps(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Net Promoter Score per period: promoters, passives, detractors and score.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        NPS responses with ``customer_id, at, score`` (0-10), or a Dataset
        holding them (and ``customers`` when ``by`` is given).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        One row per period (and ``by`` group) with responses:
        ``responses``, ``promoters``, ``passives``, ``detractors``,
        ``promoter_share``, ``passive_share``, ``detractor_share``, ``nps``.

    Notes
    -----
    **Definition.** Promoters answer 9-10, passives 7-8, detractors 0-6, on
    responses dated inside the period.

    **Formula.** ``promoter_share = promoters / responses`` (likewise for the
    others); ``nps = promoter_share - detractor_share``.

    **Convention.** Like every churnlab rate, ``nps`` is a fraction, here from
    -1 to 1; multiply by 100 for the points Bain's definition quotes (0.12 is an
    NPS of +12). Every response counts, as in Delighted and Qualtrics; a
    customer answering twice in a period counts twice. Periods without responses
    are absent.

    Examples
    --------
    >>> import churnlab as cl
    >>> n = cl.nps(cl.sample_dataset(), freq="Q")
    >>> bool(((n["nps"] >= -1) & (n["nps"] <= 1)).all())
    True
    """
    freq = periods.check_freq(freq)
    ds, by_cols, attrs, as_of = _setup(data, "nps", by=by, freq=freq, as_of=as_of)
    last = ibis.literal(periods.last_complete_period(as_of, freq), "timestamp")
    keys = ["period", *by_cols]
    rows = attach(ds.nps, attrs, by_cols).mutate(period=periods.truncate(_.at, freq))
    expr = (
        rows.filter(_.period <= last)
        .group_by(keys)
        .agg(
            responses=_.count(),
            promoters=(_.score >= 9).cast(COUNT).sum(),
            passives=((_.score >= 7) & (_.score <= 8)).cast(COUNT).sum(),
            detractors=(_.score <= 6).cast(COUNT).sum(),
        )
    )
    out = engine.execute(expr)
    out["period"] = out["period"].astype("datetime64[ns]")
    out = out.sort_values([*by_cols, "period"], kind="stable").reset_index(drop=True)
    for col in ("responses", "promoters", "passives", "detractors"):
        out[col] = out[col].astype("int64")
    out["promoter_share"] = ratio(out["promoters"], out["responses"])
    out["passive_share"] = ratio(out["passives"], out["responses"])
    out["detractor_share"] = ratio(out["detractors"], out["responses"])
    out["nps"] = out["promoter_share"] - out["detractor_share"]
    return out[
        [
            *keys,
            "responses",
            "promoters",
            "passives",
            "detractors",
            "promoter_share",
            "passive_share",
            "detractor_share",
            "nps",
        ]
    ]


@share_docs
def churn_reasons(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
    match_days: int = 31,
) -> pd.DataFrame:
    """Why customers leave: churned customers and churned MRR by reason.

    Parameters
    ----------
    data : Dataset
        Must hold ``subscriptions`` (for the churned MRR) and ``churn_reasons``
        (``customer_id, at, reason``), and ``customers`` when ``by`` is given.
    {by}
    {freq}
    {as_of}
    match_days : int, default 31
        A reason belongs to a churn when it is dated inside the churn's period or
        at most this many days before or after it.

    Returns
    -------
    pandas.DataFrame
        One row per period (and ``by`` group) and reason: ``reason``,
        ``customers_churned``, ``customers_churned_total``, ``customer_share``,
        ``churned_mrr``, ``churned_mrr_total``, ``mrr_share``. Churned customers
        without a matching reason appear as ``"(no reason given)"``, so the
        shares add up to 1 per period.

    Raises
    ------
    ContractError
        If either table is missing or breaks the contract.
    ParameterError
        For a bad ``freq``, ``as_of``, ``by`` or ``match_days``.

    Notes
    -----
    **Definition.** The churn events are those of :func:`churnlab.mrr_movements`
    (active at the period's start, not at its end), each weighted by the MRR it
    lost (the customer's MRR at the period's start). Each event takes the
    customer's reason dated closest to the period (inside it, else within
    ``match_days``; ties go to the later reason).

    **Formula.** ``customer_share = customers_churned /
    customers_churned_total``; ``mrr_share = churned_mrr / churned_mrr_total``
    (both per period and group).

    **Convention.** Weighting by MRR, as ChartMogul's churn analysis does, shows
    which reasons cost revenue: ten small accounts leaving over price can matter
    less than one large account leaving for a competitor. Reasons that match no
    churn event (a survey answered by a customer who stayed, or outside the
    reported periods) are not counted.

    Examples
    --------
    >>> import churnlab as cl
    >>> r = cl.churn_reasons(cl.sample_dataset(), freq="Y")
    >>> shares = r.groupby("period")["mrr_share"].sum()
    >>> bool(((shares - 1).abs() < 1e-9).all())
    True
    """
    freq = periods.check_freq(freq)
    if (
        isinstance(match_days, bool)
        or not isinstance(match_days, int)
        or match_days < 0
    ):
        raise ParameterError(f"match_days={match_days!r} must be a whole number >= 0.")
    ds, by_cols, attrs, as_of = _setup(
        data, "subscriptions", by=by, freq=freq, as_of=as_of
    )
    reasons = ds.table("churn_reasons")
    rows, _first = _movement_rows(
        ds.subscriptions,
        freq=freq,
        cutoff=periods.cutoff(as_of),
        attrs=attrs,
        by_cols=by_cols,
    )
    last = ibis.literal(periods.last_complete_period(as_of, freq), "timestamp")
    churns = rows.filter((_.movement == "churn") & (_.period <= last)).select(
        "customer_id",
        "period",
        *by_cols,
        mrr_cents=_.mrr_start_cents,
        p_end=_.boundary,
    )
    slack = ibis.interval(days=match_days)
    r = reasons.select(r_customer="customer_id", at="at", reason="reason")
    cand = churns.join(
        r,
        [
            churns.customer_id == r.r_customer,
            r.at >= churns.period - slack,
            r.at < churns.p_end + slack,
        ],
    )
    dist = ibis.greatest(
        cand.period.epoch_seconds() - cand.at.epoch_seconds(),
        cand.at.epoch_seconds() - cand.p_end.epoch_seconds() + 1,
        0,
    )
    ranked = cand.mutate(
        rank=ibis.row_number().over(
            ibis.window(
                group_by=["customer_id", "period"],
                order_by=[dist, ibis.desc(cand.at), cand.reason],
            )
        )
    ).filter(_.rank == 0)
    best = ranked.select(m_customer="customer_id", m_period="period", reason="reason")
    labelled = churns.left_join(
        best, [churns.customer_id == best.m_customer, churns.period == best.m_period]
    ).select(
        "period",
        *by_cols,
        "mrr_cents",
        reason=ibis.coalesce(_.reason, ibis.literal(NO_REASON)),
    )
    keys = ["period", *by_cols]
    expr = labelled.group_by([*keys, "reason"]).agg(
        customers_churned=_.count(), churned_mrr_cents=_.mrr_cents.sum()
    )
    out = engine.execute(expr)
    out["period"] = out["period"].astype("datetime64[ns]")
    out["customers_churned"] = out["customers_churned"].astype("int64")
    out["churned_mrr"] = out.pop("churned_mrr_cents").astype("int64") / states.CENTS
    if by_cols:
        grp = out.groupby(keys, dropna=False)
    else:
        grp = out.groupby("period")
    out["customers_churned_total"] = grp["customers_churned"].transform("sum")
    out["customer_share"] = ratio(
        out["customers_churned"], out["customers_churned_total"]
    )
    out["churned_mrr_total"] = grp["churned_mrr"].transform("sum")
    out["mrr_share"] = ratio(out["churned_mrr"], out["churned_mrr_total"])
    out = out.sort_values(
        [*by_cols, "period", "churned_mrr", "reason"],
        ascending=[*([True] * len(by_cols)), True, False, True],
        kind="stable",
    ).reset_index(drop=True)
    return out[
        [
            *keys,
            "reason",
            "customers_churned",
            "customers_churned_total",
            "customer_share",
            "churned_mrr",
            "churned_mrr_total",
            "mrr_share",
        ]
    ]
