"""Brute-force evaluations of the activity rule, written independently of churnlab.

Loops over customers and periods on purpose: slow, obvious, and sharing no code
with the engine implementation it checks.
"""

from __future__ import annotations

import pandas as pd

from churnlab import periods


def _paid(frame: pd.DataFrame) -> pd.DataFrame:
    """Paying rows only: a zero-MRR or trial row is not a paying customer."""
    keep = pd.Series(True, index=frame.index)
    if "mrr" in frame.columns:
        keep &= frame["mrr"] > 0
    if "is_trial" in frame.columns:
        keep &= ~frame["is_trial"].fillna(False).astype(bool)
    return frame[keep]


def _intervals(frame: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    frame = _paid(frame)
    live = frame[
        (frame["start"] < cutoff)
        & (frame["end"].isna() | (frame["end"] > frame["start"]))
    ]
    return live.reset_index(drop=True)


def _islands(rows: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp | None]]:
    """Union of (start, end] intervals, touching ones merged; end None = open."""
    out: list[list] = []
    for start, end in sorted(
        zip(rows["start"], rows["end"], strict=True), key=lambda r: r[0]
    ):
        end = None if pd.isna(end) else end
        if out and (out[-1][1] is None or start <= out[-1][1]):
            if out[-1][1] is not None and (end is None or end > out[-1][1]):
                out[-1][1] = end
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def _active(rows: pd.DataFrame, t: pd.Timestamp) -> bool:
    return bool(((rows["start"] < t) & (rows["end"].isna() | (rows["end"] >= t))).any())


def _mrr(rows: pd.DataFrame, t: pd.Timestamp) -> int:
    on = rows[(rows["start"] < t) & (rows["end"].isna() | (rows["end"] >= t))]
    return int(on["cents"].sum())


def logo(frame: pd.DataFrame, *, freq: str, as_of: str) -> pd.DataFrame:
    """Counts, exposure and churn events per period from ``customer_id, start, end``."""
    as_of = pd.Timestamp(as_of)
    cutoff = periods.cutoff(as_of)
    live = _intervals(frame, cutoff)
    if live.empty:
        return pd.DataFrame()
    spine = periods.spine(live["start"].min(), as_of, freq)
    by_customer = {c: g for c, g in live.groupby("customer_id")}
    rows = []
    for p, q in zip(spine["period"], spine["period_end"], strict=True):
        r = dict(
            period=p,
            customers_start=0,
            customers_new=0,
            customers_new_lost=0,
            customers_reactivated=0,
            customers_churned=0,
            customers_end=0,
            churn_events=0,
            exposure_seconds=0.0,
        )
        for g in by_customer.values():
            a0, a1 = _active(g, p), _active(g, q)
            first = g["start"].min()
            new = p <= first < q
            r["customers_start"] += a0
            r["customers_end"] += a1
            r["customers_new"] += new
            r["customers_new_lost"] += new and not a1
            r["customers_churned"] += a0 and not a1
            r["customers_reactivated"] += (not a0) and a1 and first < p
            for s, e in _islands(g):
                if e is not None and p <= e < q:
                    r["churn_events"] += 1
                hi = q if e is None else min(e, q)
                lo = max(s, p)
                if hi > lo:
                    r["exposure_seconds"] += (hi - lo).total_seconds()
        r["customer_periods_at_risk"] = (
            r.pop("exposure_seconds") / (q - p).total_seconds()
        )
        rows.append(r)
    return pd.DataFrame(rows)


def mrr(
    frame: pd.DataFrame, *, freq: str, as_of: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-period bridge in cents, per-customer movements) by the rule."""
    as_of = pd.Timestamp(as_of)
    cutoff = periods.cutoff(as_of)
    live = _intervals(frame, cutoff).assign(
        cents=lambda f: (f["mrr"] * 100).round().astype("int64")
    )
    if live.empty:
        return pd.DataFrame(), pd.DataFrame()
    spine = periods.spine(live["start"].min(), as_of, freq)
    per, moves = [], []
    for p, q in zip(spine["period"], spine["period_end"], strict=True):
        r = dict(
            period=p,
            mrr_start=0,
            mrr_new=0,
            mrr_expansion=0,
            mrr_contraction=0,
            mrr_churn=0,
            mrr_reactivation=0,
            mrr_end=0,
        )
        for c, g in live.groupby("customer_id"):
            a0, a1 = _active(g, p), _active(g, q)
            m0, m1 = _mrr(g, p), _mrr(g, q)
            first = g["start"].min()
            r["mrr_start"] += m0
            r["mrr_end"] += m1
            kind = None
            if not a0 and a1:
                kind = "new" if p <= first < q else "reactivation"
                r[f"mrr_{kind}"] += m1
            elif a0 and not a1:
                kind = "churn"
                r["mrr_churn"] += m0
            elif a0 and a1 and m1 > m0:
                kind = "expansion"
                r["mrr_expansion"] += m1 - m0
            elif a0 and a1 and m1 < m0:
                kind = "contraction"
                r["mrr_contraction"] += m0 - m1
            if kind:
                moves.append(
                    dict(
                        period=p,
                        customer_id=c,
                        movement=kind,
                        mrr_start=m0 / 100,
                        mrr_end=m1 / 100,
                    )
                )
        per.append(r)
    return pd.DataFrame(per), pd.DataFrame(moves)


def order_spans(orders: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Each purchase as the interval (ordered_at, ordered_at + W] it keeps active."""
    buys = orders[~orders.get("is_refund", pd.Series(False, index=orders.index))]
    return pd.DataFrame(
        {
            "customer_id": buys["customer_id"].to_numpy(),
            "start": buys["ordered_at"].to_numpy(),
            "end": (buys["ordered_at"] + pd.Timedelta(days=window_days)).to_numpy(),
        }
    )


# --------------------------------------------------------------------------------
# the helper every consumer's test can use: the rule, applied by brute force
# --------------------------------------------------------------------------------
def active_customers(frame: pd.DataFrame, t: pd.Timestamp) -> set:
    """Customers active at instant ``t``: some row has start < t <= end (or open).

    ``frame`` holds ``customer_id, start, end`` (subscriptions, or
    :func:`order_spans` of orders). Any consumer's customer count at a boundary
    (sales customer counts, lifetimes at risk, ...) can be checked against it.
    """
    frame = _paid(frame)
    on = frame[
        (frame["start"] < t)
        & (frame["end"].isna() | (frame["end"] >= t))
        & (frame["end"].isna() | (frame["end"] > frame["start"]))
    ]
    return set(on["customer_id"])


def active_in_period(frame: pd.DataFrame, p: pd.Timestamp, q: pd.Timestamp) -> set:
    """Customers active at some instant inside ``[p, q)``: the cohort rule.

    Some non-empty row overlaps the period: start < q and (end null or end > p).
    """
    frame = _paid(frame)
    on = frame[
        (frame["start"] < q)
        & (frame["end"].isna() | (frame["end"] > p))
        & (frame["end"].isna() | (frame["end"] > frame["start"]))
    ]
    return set(on["customer_id"])


def cohorts(frame: pd.DataFrame, *, freq: str, as_of: str) -> pd.DataFrame:
    """``cohort, period, customers_active`` by the rule (first-activity cohorts)."""
    as_of = pd.Timestamp(as_of)
    live = _intervals(frame, periods.cutoff(as_of))
    if live.empty:
        return pd.DataFrame(columns=["cohort", "period", "customers_active"])
    first = live.groupby("customer_id")["start"].min()
    cohort_of = periods.period_start(first, freq)
    spine = periods.spine(live["start"].min(), as_of, freq)
    rows = []
    for p, q in zip(spine["period"], spine["period_end"], strict=True):
        active = active_in_period(live, p, q)
        for c in sorted(set(cohort_of)):
            if c > p:
                continue
            members = set(cohort_of[cohort_of == c].index)
            rows.append(
                dict(cohort=c, period=p, customers_active=len(members & active))
            )
    return pd.DataFrame(rows)
