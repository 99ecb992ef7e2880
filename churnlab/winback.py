"""Exit reasons that add up, win-back of churned customers, retention-offer readouts.

Public names: ``lapses``, ``exit_reason_matches``, ``exit_reasons``, ``winback``,
``winback_curve``, ``offer_readout``, ``EXIT_UNMATCHED``, ``NO_REASON``.

Churn and return events come from :func:`churnlab.states.changes` (the same rows
:func:`churnlab.mrr_movements` labels), so every return seen here is one of the
reactivations counted there, and the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd
from ibis import _

from churnlab import contract, engine, periods, states
from churnlab._frames import ratio
from churnlab._types import ByLike, DataLike, DateLike, Freq  # noqa: F401
from churnlab.errors import ParameterError
from churnlab.metrics.churn import _setup

__all__ = [
    "EXIT_UNMATCHED",
    "lapses",
    "exit_reason_matches",
    "exit_reasons",
    "winback",
    "NO_REASON",
    "offer_readout",
    "winback_curve",
]

#: Why an exit-reason row matched no churn, by status code.
EXIT_UNMATCHED = {
    "no_churn": "not matched: no churn for that customer",
    "outside_window": "not matched: churn outside the window",
    "unknown_customer": "not matched: customer unknown",
}


def _check_days(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{name}={value!r} must be a whole number of days >= 0.")
    if value < 0:
        raise ParameterError(f"{name}={value!r} must be a whole number of days >= 0.")
    return int(value)


def _check_horizons(horizons_days: Sequence[int]) -> list[int]:
    if isinstance(horizons_days, (int, np.integer)):
        horizons_days = [horizons_days]
    out = [_check_days(h, "horizons_days") for h in horizons_days]
    if not out or any(h <= 0 for h in out):
        raise ParameterError(
            f"horizons_days={horizons_days!r} must be one or more whole numbers > 0."
        )
    return sorted(set(out))


def _lapse_frame(ds: contract.Dataset, freq: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Executed lapse and return events (see :func:`lapses`)."""
    cutoff = periods.cutoff(as_of)
    last = periods.last_complete_period(as_of, freq)
    obs_end = periods.period_end(last, freq)
    spans = states.live(states.subscription_intervals(ds.subscriptions), cutoff)
    first = states.first_activity(spans)
    ch = states.changes(spans, freq=freq, cutoff=cutoff).filter(
        (_.active_start != _.active_end) & (_.period <= ibis.literal(last, "timestamp"))
    )
    rows = engine.execute(
        ch.select(
            "customer_id", "period", "active_end", "mrr_start_cents", "mrr_end_cents"
        )
    )
    ed = engine.execute(states.edges(spans).select("customer_id", "t", "is_start"))
    firsts = engine.execute(first)
    for f in (rows, ed, firsts):
        for c in f.columns:
            if c in ("period", "t", "first_start"):
                f[c] = f[c].astype("datetime64[ns]")
    ed = ed[ed["t"] < obs_end]
    ed["period"] = periods.period_start(ed["t"], freq)
    # exact instants: the last switch off / on inside each period
    off_t = (
        ed[~ed["is_start"]].groupby(["customer_id", "period"])["t"].max().rename("t")
    )
    on_t = ed[ed["is_start"]].groupby(["customer_id", "period"])["t"].max().rename("t")
    firsts["first_period"] = periods.period_start(firsts["first_start"], freq)
    firsts = firsts[firsts["first_period"] <= last]
    rows = rows.sort_values(["customer_id", "period"], kind="stable")
    fp = firsts.set_index("customer_id")["first_period"]
    out = []
    for cid, g in rows.groupby("customer_id", sort=False):
        pending = None
        recs = list(g.itertuples(index=False))
        first_period = fp.get(cid)
        if first_period is not None and not (
            recs and recs[0].period == first_period and recs[0].active_end
        ):
            # new and lost inside its first period: a lapse there, MRR unknown
            pending = {
                "customer_id": cid,
                "churn_period": first_period,
                "churned_at": off_t.get((cid, first_period), pd.NaT),
                "kind": "new_lost",
                "mrr_lost": np.nan,
            }
        for r in recs:
            if not r.active_end:
                pending = {
                    "customer_id": cid,
                    "churn_period": r.period,
                    "churned_at": off_t.get((cid, r.period), pd.NaT),
                    "kind": "churn",
                    "mrr_lost": r.mrr_start_cents / states.CENTS,
                }
            elif pending is not None:
                pending.update(
                    return_period=r.period,
                    returned_at=on_t.get((cid, r.period), pd.NaT),
                    mrr_returned=r.mrr_end_cents / states.CENTS,
                )
                out.append(pending)
                pending = None
        if pending is not None:
            out.append(pending)
    # customers new and lost in their first period with no row at all
    seen = set(rows["customer_id"])
    for cid, first_period in fp.items():
        if cid not in seen:
            out.append(
                {
                    "customer_id": cid,
                    "churn_period": first_period,
                    "churned_at": off_t.get((cid, first_period), pd.NaT),
                    "kind": "new_lost",
                    "mrr_lost": np.nan,
                }
            )
    cols = [
        "customer_id",
        "churn_period",
        "churned_at",
        "kind",
        "mrr_lost",
        "return_period",
        "returned_at",
        "mrr_returned",
    ]
    frame = pd.DataFrame(out, columns=cols)
    for c in ("churn_period", "churned_at", "return_period", "returned_at"):
        frame[c] = pd.to_datetime(frame[c]).astype("datetime64[ns]")
    frame["mrr_lost"] = frame["mrr_lost"].astype(float)
    frame["mrr_returned"] = frame["mrr_returned"].astype(float)
    frame["days_to_return"] = (
        frame["returned_at"] - frame["churned_at"]
    ).dt.total_seconds() / 86400
    frame["observed_until"] = obs_end
    return frame.sort_values(
        ["churn_period", "customer_id"], kind="stable"
    ).reset_index(drop=True)


def lapses(
    data: DataLike, *, freq: Freq = "M", as_of: DateLike | None = None
) -> pd.DataFrame:
    """Every churn (lapse) of a customer and the return that followed, if any.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Must hold ``subscriptions``.
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        Period unit the activity rule is read at.
    as_of : date-like, optional
        Day the data is read as of; periods after the last complete one are not
        read.

    Returns
    -------
    pandas.DataFrame
        One row per lapse: ``customer_id``, ``churn_period``, ``churned_at``,
        ``kind`` (``"churn"``: active at the period's start, not at its end;
        ``"new_lost"``: first active and lost inside the same period),
        ``mrr_lost`` (NaN for ``new_lost``: no period boundary saw their MRR),
        ``return_period``, ``returned_at``, ``mrr_returned`` and
        ``days_to_return`` (NaN/NaT when not returned by ``observed_until``),
        ``observed_until`` (end of the last complete period).

    Notes
    -----
    **Definition.** A lapse is a period P at whose end a customer is inactive
    while active at its start (or first active inside it), per
    :func:`churnlab.states.changes`. Its return is the customer's next period Q
    at whose end they are active again: exactly a ``reactivation`` of
    :func:`churnlab.mrr_movements` in Q, and each reactivation is the return of
    exactly one lapse. ``churned_at`` is the last instant in P the customer
    switched off and ``returned_at`` the last instant in Q they switched on
    (:func:`churnlab.states.edges`); ``days_to_return`` is their difference. A
    gap opened and closed inside one period is not a lapse (the customer was
    active at every boundary).

    Examples
    --------
    >>> import churnlab as cl
    >>> lp = cl.lapses(cl.sample_dataset())
    >>> bool((lp["days_to_return"].dropna() > 0).all())
    True
    """
    freq = periods.check_freq(freq)
    ds, _by, _attrs, as_of = _setup(
        data, "subscriptions", by=None, freq=freq, as_of=as_of
    )
    return _lapse_frame(ds, freq, as_of)


def _label(reason: object) -> str:
    text = str(reason).strip().replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def exit_reason_matches(
    data: DataLike,
    *,
    tolerance_days: int = 30,
    freq: Freq = "M",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Every exit-reason row, matched to a churn or labelled with why it is not.

    Parameters
    ----------
    data : Dataset
        Must hold ``subscriptions`` and ``churn_reasons``; ``customers`` is used,
        when present, to tell unknown customers.
    tolerance_days : int, default 30
        A reason matches a churn of the same customer when its date is at most
        this many days before or after the churn instant.
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        Period unit of the churns (:func:`lapses`).
    as_of : date-like, optional
        Day the data is read as of.

    Returns
    -------
    pandas.DataFrame
        One row per ``churn_reasons`` row, in input order: ``customer_id``,
        ``at``, ``reason``, ``label``, ``status`` (``"matched"``, ``"no_churn"``,
        ``"outside_window"`` or ``"unknown_customer"``), ``churned_at``,
        ``days_from_churn`` (reason date minus churn instant), ``mrr_lost`` and
        ``mrr_weight`` (the churn's lost MRR divided among the reason rows
        matched to it, so MRR adds up; NaN when unmatched or unknown).

    Notes
    -----
    **Definition.** Churns are the lapses of :func:`lapses`. Each reason row
    takes the same customer's churn nearest in time (ties go to the earlier
    churn); within ``tolerance_days`` it is matched, else ``outside_window``.
    A customer with no churn gives ``no_churn``; a customer in neither
    ``customers`` nor ``subscriptions`` gives ``unknown_customer``. Every row
    gets exactly one status.
    """
    tol = _check_days(tolerance_days, "tolerance_days")
    freq = periods.check_freq(freq)
    ds, _by, _attrs, as_of = _setup(
        data, "subscriptions", by=None, freq=freq, as_of=as_of
    )
    raw = engine.execute(
        ds.table("churn_reasons").select("customer_id", "at", "reason")
    )
    raw["at"] = raw["at"].astype("datetime64[ns]")
    lp = _lapse_frame(ds, freq, as_of)
    lp = lp.dropna(subset=["churned_at"])
    known = set(
        engine.execute(ds.subscriptions.select("customer_id").distinct())["customer_id"]
    )
    if ds.customers is not None:
        known |= set(engine.execute(ds.customers.select("customer_id"))["customer_id"])
    raw = raw.reset_index(drop=True)
    raw["row"] = np.arange(len(raw))
    cand = raw.merge(
        lp[["customer_id", "churned_at", "churn_period", "mrr_lost"]],
        on="customer_id",
        how="left",
    )
    cand["days_from_churn"] = (
        cand["at"] - cand["churned_at"]
    ).dt.total_seconds() / 86400
    cand["dist"] = cand["days_from_churn"].abs()
    best = (
        cand.sort_values(
            ["row", "dist", "churned_at"], kind="stable", na_position="last"
        )
        .drop_duplicates("row")
        .sort_values("row")
        .reset_index(drop=True)
    )
    has_churn = best["churned_at"].notna()
    within = has_churn & (best["dist"] <= tol)
    best["status"] = np.select(
        [within, has_churn, best["customer_id"].isin(known)],
        ["matched", "outside_window", "no_churn"],
        "unknown_customer",
    )
    for c in ("churned_at", "days_from_churn", "mrr_lost"):
        best.loc[~within, c] = np.nan if c != "churned_at" else pd.NaT
    n_per_churn = (
        best[within].groupby(["customer_id", "churned_at"])["row"].transform("size")
    )
    best["mrr_weight"] = np.nan
    best.loc[within, "mrr_weight"] = best.loc[within, "mrr_lost"] / n_per_churn
    best["label"] = best["reason"].map(_label)
    return best[
        [
            "customer_id",
            "at",
            "reason",
            "label",
            "status",
            "churned_at",
            "days_from_churn",
            "mrr_lost",
            "mrr_weight",
        ]
    ]


def exit_reasons(
    data: DataLike,
    *,
    tolerance_days: int = 30,
    freq: Freq = "M",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Exit reasons by customers and by MRR, with every unmatched row accounted.

    Parameters
    ----------
    data : Dataset
        Must hold ``subscriptions`` and ``churn_reasons``.
    tolerance_days : int, default 30
        Matching window around the churn instant (:func:`exit_reason_matches`).
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        Period unit of the churns.
    as_of : date-like, optional
        Day the data is read as of.

    Returns
    -------
    pandas.DataFrame
        One line per matched reason, then one per "not matched" cause:
        ``line``, ``reason``, ``status``, ``rows``, ``customers``,
        ``customers_total``, ``customer_share``, ``customer_rank``,
        ``churned_mrr``, ``churned_mrr_total``, ``mrr_share``, ``mrr_rank``,
        ``tolerance_days``. ``rows`` sums to the number of reason rows.

    Notes
    -----
    **Definition.** Matched lines count distinct customers with a matched
    reason row and the churned MRR of the matched churns, each churn's MRR split
    evenly among the reason rows matched to it (so MRR adds up to the matched
    churns' lost MRR; a new-and-lost churn, whose MRR no boundary saw, counts
    as a customer and adds no MRR). Unmatched lines carry rows and
    customers only; their shares and MRR are NaN (no churn to weigh).

    **Formula.** ``customer_share = customers / customers_total`` and
    ``mrr_share = churned_mrr / churned_mrr_total`` over matched lines.

    Examples
    --------
    >>> import churnlab as cl
    >>> ds = cl.sample_dataset()
    >>> t = cl.exit_reasons(ds)
    >>> n = cl.engine.execute(ds.churn_reasons.count())
    >>> int(t["rows"].sum()) == int(n)
    True
    """
    m = exit_reason_matches(data, tolerance_days=tolerance_days, freq=freq, as_of=as_of)
    hit = m[m["status"] == "matched"]
    lines = (
        hit.groupby("reason")
        .agg(
            line=("label", "first"),
            rows=("customer_id", "size"),
            customers=("customer_id", "nunique"),
            churned_mrr=("mrr_weight", lambda s: s.fillna(0).sum()),
        )
        .reset_index()
    )
    lines["status"] = "matched"
    lines["customers_total"] = hit["customer_id"].nunique()
    lines["customer_share"] = ratio(lines["customers"], lines["customers_total"])
    lines["churned_mrr_total"] = lines["churned_mrr"].sum()
    lines["mrr_share"] = ratio(lines["churned_mrr"], lines["churned_mrr_total"])
    lines["customer_rank"] = (
        lines["customers"].rank(ascending=False, method="min").astype("Int64")
    )
    lines["mrr_rank"] = (
        lines["churned_mrr"].rank(ascending=False, method="min").astype("Int64")
    )
    lines = lines.sort_values(["customers", "reason"], ascending=[False, True])
    miss = []
    for code, text in EXIT_UNMATCHED.items():
        g = m[m["status"] == code]
        miss.append(
            {
                "line": text,
                "reason": None,
                "status": code,
                "rows": len(g),
                "customers": g["customer_id"].nunique(),
            }
        )
    out = pd.concat([lines, pd.DataFrame(miss)], ignore_index=True)
    out["rows"] = out["rows"].astype("int64")
    out["customers"] = out["customers"].astype("int64")
    out["tolerance_days"] = int(tolerance_days)
    return out[
        [
            "line",
            "reason",
            "status",
            "rows",
            "customers",
            "customers_total",
            "customer_share",
            "customer_rank",
            "churned_mrr",
            "churned_mrr_total",
            "mrr_share",
            "mrr_rank",
            "tolerance_days",
        ]
    ]


#: Label of churns without a matched exit reason when ``by="reason"``.
NO_REASON = "(no reason matched)"


def _reason_of_lapse(
    data: contract.Dataset, lp: pd.DataFrame, freq: str, as_of: pd.Timestamp
) -> pd.Series:
    """Per lapse, the label of its nearest matched exit reason."""
    if data.churn_reasons is None:
        raise ParameterError(
            'by="reason" needs a churn_reasons table; this dataset has none.'
        )
    m = exit_reason_matches(data, freq=freq, as_of=as_of)
    m = m[m["status"] == "matched"].copy()
    m["dist"] = m["days_from_churn"].abs()
    best = m.sort_values(["dist", "at"], kind="stable").drop_duplicates(
        ["customer_id", "churned_at"]
    )
    key = best.set_index(["customer_id", "churned_at"])["label"]
    idx = pd.MultiIndex.from_frame(lp[["customer_id", "churned_at"]])
    return pd.Series(key.reindex(idx).to_numpy(), index=lp.index).fillna(NO_REASON)


def winback(
    data: DataLike,
    *,
    freq: Freq = "M",
    horizons_days: Sequence[int] = (30, 60, 90, 180),
    by: ByLike = None,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Share of each period's churned customers who came back within each horizon.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Must hold ``subscriptions``; ``customers`` when ``by`` names customer
        attributes, ``churn_reasons`` when ``by`` includes ``"reason"``.
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        Period unit: churns are grouped by the period they happened in.
    horizons_days : sequence of int, default (30, 60, 90, 180)
        Days after the churn instant within which a return counts.
    by : str or list of str, optional
        Customer attributes (segment, plan, ...) and/or ``"reason"`` (the exit
        reason matched to the churn by :func:`exit_reason_matches`, else
        ``"(no reason matched)"``).
    as_of : date-like, optional
        Day the data is read as of.

    Returns
    -------
    pandas.DataFrame
        One row per churn period (and ``by`` group): ``churned``,
        ``mrr_lost``, then per horizon ``h``: ``eligible_{h}d``,
        ``censored_{h}d``, ``returned_{h}d``, ``winback_rate_{h}d``,
        ``mrr_returned_{h}d``; then ``returned_total`` and
        ``median_days_to_return`` (over all returns seen so far).

    Notes
    -----
    **Definition.** Churns and returns are the lapses of :func:`lapses` (the
    activity rule of :mod:`churnlab.states`; each return is a reactivation of
    :func:`churnlab.mrr_movements`). A churn has *returned within h* when its
    return came at most ``h`` days after the churn instant. ``freq`` is also the
    granularity of the activity rule, as in :func:`churnlab.mrr_movements`: with
    ``"Y"`` a customer away from March to June was active at both year
    boundaries and is no lapse; use ``"M"`` for win-back within months.

    **Estimator.** Fixed-horizon cumulative incidence among churns whose
    horizon is over: a churn whose ``h``-day window has not ended by the end of
    the last complete period and has not returned yet is *censored* (left out
    of numerator and denominator, never counted as lost).
    ``winback_rate_{h}d = returned_{h}d / eligible_{h}d``, with
    ``eligible_{h}d = churned - censored_{h}d``. NaN when nothing is eligible.

    **MRR.** ``mrr_lost`` is the MRR at the start of the churn period (new-and-
    lost churns add none: no boundary saw it); ``mrr_returned_{h}d`` is the
    MRR at the end of the return period of the returns within ``h``.

    Examples
    --------
    >>> import churnlab as cl
    >>> w = cl.winback(cl.sample_dataset(), freq="Q")
    >>> bool((w["returned_30d"] <= w["returned_90d"]).all())
    True
    """
    freq = periods.check_freq(freq)
    hs = _check_horizons(horizons_days)
    cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    attr_cols = [c for c in cols if c != "reason"]
    ds, by_cols, attrs, as_of = _setup(
        data, "subscriptions", by=attr_cols or None, freq=freq, as_of=as_of
    )
    lp = _lapse_frame(ds, freq, as_of)
    if attrs is not None:
        lp = lp.merge(engine.execute(attrs), on="customer_id", how="left")
    if "reason" in cols:
        lp["reason"] = _reason_of_lapse(ds, lp, freq, as_of)
    keys = ["churn_period", *cols]
    end = lp["observed_until"]
    days_left = (end - lp["churned_at"]).dt.total_seconds() / 86400
    parts = {"churned": lp.groupby(keys, dropna=False).size()}
    g = lp.groupby(keys, dropna=False)
    parts["mrr_lost"] = g["mrr_lost"].sum(min_count=0)
    out = pd.DataFrame(parts)
    for h in hs:
        ret = lp["days_to_return"] <= h
        over = ret | (days_left >= h)
        tmp = pd.DataFrame(
            {
                "eligible": over.astype(int),
                "returned": ret.astype(int),
                "mrr": lp["mrr_returned"].where(ret, 0.0),
            }
        )
        tg = tmp.groupby([lp[k] for k in keys], dropna=False)
        out[f"eligible_{h}d"] = tg["eligible"].sum()
        out[f"censored_{h}d"] = out["churned"] - out[f"eligible_{h}d"]
        out[f"returned_{h}d"] = tg["returned"].sum()
        out[f"winback_rate_{h}d"] = ratio(out[f"returned_{h}d"], out[f"eligible_{h}d"])
        out[f"mrr_returned_{h}d"] = tg["mrr"].sum()
    out["returned_total"] = g["return_period"].count()
    out["median_days_to_return"] = g["days_to_return"].median()
    out = out.reset_index().rename(columns={"churn_period": "period"})
    return out.sort_values([*cols, "period"], kind="stable").reset_index(drop=True)


#: z for a two-sided 95 % interval and for 80 % power.
_Z95 = 1.959963984540054
_Z80 = 0.8416212335729143


def _km_at(durations: np.ndarray, events: np.ndarray, h: float) -> tuple[float, float]:
    """Kaplan-Meier retention at ``h`` (lifelines) and its Greenwood variance."""
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(durations, events)
    s = float(kmf.survival_function_at_times(h).iloc[0])
    et = kmf.event_table
    et = et[(et.index <= h) & (et["observed"] > 0)]
    n, d = et["at_risk"].to_numpy(float), et["observed"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > d, d / (n * (n - d)), np.inf)
    var = s * s * float(terms.sum()) if len(terms) else 0.0
    return s, var


def _mrr_at_assignment(ds: contract.Dataset, exp: pd.DataFrame) -> pd.Series:
    """Per assigned customer, MRR at ``assigned_at`` under :func:`states.is_active`."""
    spans = states.subscription_intervals(ds.subscriptions)
    parts = []
    for t, g in exp.groupby("assigned_at"):
        keep = spans.filter(
            spans.customer_id.isin(list(g["customer_id"])) & states.is_active(spans, t)
        )
        parts.append(
            keep.group_by("customer_id")
            .agg(mrr_cents=_.mrr_cents.sum())
            .mutate(assigned_at=ibis.literal(pd.Timestamp(t), "timestamp"))
        )
    if not parts:
        return pd.Series(dtype=float)
    got = engine.execute(ibis.union(*parts))
    got["assigned_at"] = got["assigned_at"].astype("datetime64[ns]")
    key = got.set_index(["customer_id", "assigned_at"])["mrr_cents"] / states.CENTS
    idx = pd.MultiIndex.from_frame(exp[["customer_id", "assigned_at"]])
    return pd.Series(key.reindex(idx).fillna(0.0).to_numpy(), index=exp.index)


def offer_readout(
    data: DataLike,
    experiment: object = None,
    *,
    horizons_days: Sequence[int] = (30, 60, 90),
    min_effect: float = 0.05,
    freq: Freq = "M",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Did a retention offer work: retention after assignment, treatment vs control.

    Parameters
    ----------
    data : Dataset
        Must hold ``subscriptions``.
    experiment : DataFrame, ibis.Table or path, optional
        The ``experiments`` table (``customer_id``, ``group`` treatment/control,
        ``assigned_at``); default: the dataset's own ``experiments`` table.
    horizons_days : sequence of int, default (30, 60, 90)
        Days after assignment at which retention is compared.
    min_effect : float, default 0.05
        Smallest difference in retention (a fraction) worth acting on; when the
        sample could not detect it at 80 % power and the interval holds 0, the
        verdict says the sample is too small to tell.
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        Period unit of the activity rule (:func:`lapses`).
    as_of : date-like, optional
        Day the data is read as of.

    Returns
    -------
    pandas.DataFrame
        One row per horizon: ``horizon_days``, ``n_treatment``, ``n_control``,
        ``churned_treatment``, ``churned_control`` (by the horizon),
        ``retention_treatment``, ``retention_control``, ``difference``,
        ``ci_low``, ``ci_high``, ``mde_80``, ``logrank_p``, ``mrr_treatment``,
        ``mrr_saved``, ``mrr_saved_low``, ``mrr_saved_high``, ``verdict``.

    Notes
    -----
    **Definition.** For each assigned customer, time from ``assigned_at`` to
    their first churn after it (:func:`lapses`: the activity rule of
    :mod:`churnlab.states`); customers with no churn by the end of the last
    complete period are censored there. Kaplan-Meier per group (lifelines) and
    the log-rank test over the whole follow-up (``logrank_p``, same on every
    row).

    **Formula.** ``difference = retention_treatment - retention_control`` at
    the horizon; 95 % interval ``difference +- 1.96 se`` with Greenwood
    variances; ``mde_80 = (1.96 + 0.84) se``, the smallest true difference this
    sample would detect with 80 % power at the 5 % level. ``mrr_saved =
    difference * mrr_treatment`` (treatment MRR at assignment), with the same
    interval.

    **Verdict.** Interval excluding 0: the offer changed retention. Interval
    holding 0: "too small to tell" when ``mde_80 > min_effect``, else "no
    effect of ``min_effect`` or more".
    """
    hs = _check_horizons(horizons_days)
    if not isinstance(min_effect, (int, float)) or not 0 < min_effect < 1:
        raise ParameterError(f"min_effect={min_effect!r} must be a fraction in (0, 1).")
    freq = periods.check_freq(freq)
    ds, _by, _attrs, as_of = _setup(
        data, "subscriptions", by=None, freq=freq, as_of=as_of
    )
    table = (
        ds.table("experiments")
        if experiment is None
        else contract.table(experiment, "experiments")
    )
    exp = engine.execute(table.select("customer_id", "group", "assigned_at"))
    exp["assigned_at"] = exp["assigned_at"].astype("datetime64[ns]")
    lp = _lapse_frame(ds, freq, as_of)
    obs_end = periods.period_end(periods.last_complete_period(as_of, freq), freq)
    exp = exp[exp["assigned_at"] < obs_end].reset_index(drop=True)
    cand = exp.reset_index().merge(
        lp[["customer_id", "churned_at"]], on="customer_id", how="left"
    )
    cand = cand[cand["churned_at"] > cand["assigned_at"]]
    first = cand.groupby("index")["churned_at"].min()
    exp["churned_at"] = first.reindex(exp.index)
    exp["event"] = exp["churned_at"].notna()
    stop = exp["churned_at"].fillna(obs_end)
    exp["days"] = (stop - exp["assigned_at"]).dt.total_seconds() / 86400
    exp["mrr"] = _mrr_at_assignment(ds, exp)
    t, c = exp[exp["group"] == "treatment"], exp[exp["group"] == "control"]
    if len(t) == 0 or len(c) == 0:
        raise ParameterError(
            "experiments: both groups need customers; found "
            f"{len(t)} treatment and {len(c)} control."
        )
    from lifelines.statistics import logrank_test

    p = float(logrank_test(t["days"], c["days"], t["event"], c["event"]).p_value)
    rows = []
    for h in hs:
        st, vt = _km_at(t["days"].to_numpy(), t["event"].to_numpy(), h)
        sc, vc = _km_at(c["days"].to_numpy(), c["event"].to_numpy(), h)
        diff, se = st - sc, float(np.sqrt(vt + vc))
        lo, hi = diff - _Z95 * se, diff + _Z95 * se
        mde = (_Z95 + _Z80) * se
        mrr_t = float(t["mrr"].sum())
        if lo > 0 or hi < 0:
            word = "more" if diff > 0 else "fewer"
            verdict = (
                f"At {h} days the offer kept {abs(diff) * 100:.1f} percentage "
                f"points {word} customers (95% CI {lo:+.1%} to {hi:+.1%})."
            )
        elif mde > min_effect:
            verdict = (
                f"Too small to tell at {h} days: difference {diff:+.1%} "
                f"(95% CI {lo:+.1%} to {hi:+.1%}); this sample could detect only "
                f"a difference of {mde:.1%} or more at 80% power."
            )
        else:
            verdict = (
                f"No effect of {min_effect:.0%} or more at {h} days: difference "
                f"{diff:+.1%} (95% CI {lo:+.1%} to {hi:+.1%}); a difference of "
                f"{mde:.1%} would have been detected with 80% power."
            )
        rows.append(
            {
                "horizon_days": h,
                "n_treatment": len(t),
                "n_control": len(c),
                "churned_treatment": int((t["event"] & (t["days"] <= h)).sum()),
                "churned_control": int((c["event"] & (c["days"] <= h)).sum()),
                "retention_treatment": st,
                "retention_control": sc,
                "difference": diff,
                "ci_low": lo,
                "ci_high": hi,
                "mde_80": mde,
                "logrank_p": p,
                "mrr_treatment": mrr_t,
                "mrr_saved": diff * mrr_t,
                "mrr_saved_low": lo * mrr_t,
                "mrr_saved_high": hi * mrr_t,
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)


def winback_curve(
    data: DataLike,
    *,
    horizons_days: Sequence[int] = (30, 60, 90, 180),
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Kaplan-Meier cumulative share of churned customers back by each horizon.

    Parameters
    ----------
    data : Dataset
        Must hold ``subscriptions`` (``customers`` or ``churn_reasons`` as for
        :func:`winback`).
    horizons_days : sequence of int, default (30, 60, 90, 180)
        Days after the churn at which the curve is read.
    by : str or list of str, optional
        Customer attributes and/or ``"reason"``, as in :func:`winback`.
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        Period unit of the activity rule.
    as_of : date-like, optional
        Day the data is read as of.

    Returns
    -------
    pandas.DataFrame
        One row per group and horizon: ``horizon_days``, ``churned``,
        ``returned`` (by the horizon), ``winback_share``, ``ci_low``,
        ``ci_high``.

    Notes
    -----
    **Estimator.** Time to return from every lapse of :func:`lapses`, pooled
    over churn periods; lapses without a return are censored at the end of the
    last complete period. ``winback_share = 1 - S(h)`` with ``S`` the
    Kaplan-Meier survival (still away) of lifelines, and its 95 % interval.

    Examples
    --------
    >>> import churnlab as cl
    >>> c = cl.winback_curve(cl.sample_dataset())
    >>> bool(c["winback_share"].is_monotonic_increasing)
    True
    """
    from lifelines import KaplanMeierFitter

    hs = _check_horizons(horizons_days)
    freq = periods.check_freq(freq)
    cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    attr_cols = [c for c in cols if c != "reason"]
    ds, _by, attrs, as_of = _setup(
        data, "subscriptions", by=attr_cols or None, freq=freq, as_of=as_of
    )
    lp = _lapse_frame(ds, freq, as_of).dropna(subset=["churned_at"])
    if attrs is not None:
        lp = lp.merge(engine.execute(attrs), on="customer_id", how="left")
    if "reason" in cols:
        lp["reason"] = _reason_of_lapse(ds, lp, freq, as_of)
    stop = lp["returned_at"].fillna(lp["observed_until"])
    lp["days"] = (stop - lp["churned_at"]).dt.total_seconds() / 86400
    lp["back"] = lp["returned_at"].notna()
    groups = lp.groupby(cols, dropna=False) if cols else [((), lp)]
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        kmf = KaplanMeierFitter().fit(g["days"], g["back"])
        ci = kmf.confidence_interval_survival_function_
        for h in hs:
            s = float(kmf.survival_function_at_times(h).iloc[0])
            upto = ci[ci.index <= h]
            lo_s, hi_s = (
                (float(upto.iloc[-1, 0]), float(upto.iloc[-1, 1]))
                if len(upto)
                else (1.0, 1.0)
            )
            rows.append(
                {
                    **dict(zip(cols, key, strict=True)),
                    "horizon_days": h,
                    "churned": len(g),
                    "returned": int((g["back"] & (g["days"] <= h)).sum()),
                    "winback_share": 1 - s,
                    "ci_low": 1 - hi_s,
                    "ci_high": 1 - lo_s,
                }
            )
    return pd.DataFrame(rows)
