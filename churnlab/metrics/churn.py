"""Customer (logo) churn for subscriptions and orders, every convention side by side.

Public names: ``customer_churn``, ``order_churn``, ``crr``, ``churn_conventions``,
``wilson_interval``.

Everything here applies the package's one activity rule (:mod:`churnlab.states`:
active at ``t`` iff some interval has ``start < t <= end``) to the intervals
:mod:`churnlab.states` builds: subscriptions as they stand, orders as spells
under an inactivity window. The counts come from the package's one logo-flow
computation, :func:`churnlab.states.logo_flows` (finished by
:func:`churnlab.states.logo_counts`), which MRR movements and order metrics
call too; this module only chooses the intervals and lays out the conventions.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy.stats import norm

from churnlab import contract, engine, periods, states
from churnlab._docs import share_docs
from churnlab._frames import attach, by_list, grid, ratio
from churnlab._types import ByLike, DataLike, DateLike, Freq, PeriodLike
from churnlab.errors import ParameterError

__all__ = [
    "customer_churn",
    "order_churn",
    "crr",
    "churn_conventions",
    "wilson_interval",
]


def _setup(
    data: DataLike, table: str, *, by: ByLike, freq: str, as_of: DateLike | None
) -> tuple[contract.Dataset, list[str], ir.Table | None, pd.Timestamp]:
    """Validate inputs and resolve ``by`` and ``as_of`` (parameters first).

    Shared by every metric module: the one place a metric turns ``data``, ``by``
    and ``as_of`` into a Dataset, attribute columns and the as-of day
    (:func:`churnlab.periods.as_of_for`).
    """
    if as_of is not None:
        periods.parse_date(as_of)
    ds = contract.as_dataset(data, table)
    by_cols, attrs = states.attributes(ds, by)
    as_of = periods.as_of_for(ds, table, as_of=as_of, freq=freq)
    return ds, by_cols, attrs, as_of


def _logo_frame(
    agg: pd.DataFrame, by_cols: list[str], freq: str, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Logo counts from executed :func:`churnlab.states.logo_flows` aggregates."""
    return states.logo_counts(
        grid(agg, by_cols, freq, as_of, states.LOGO_FLOWS), by_cols
    )


def _logo_table(
    spans: ir.Table,
    *,
    disjoint: bool,
    freq: str,
    as_of: pd.Timestamp,
    attrs: ir.Table | None,
    by_cols: list[str],
) -> pd.DataFrame:
    flows = states.logo_flows(
        states.edges(spans, disjoint=disjoint),
        freq=freq,
        last=periods.last_complete_period(as_of, freq),
        attrs=attrs,
        by_cols=by_cols,
    )
    return _logo_frame(engine.execute(flows), by_cols, freq, as_of)


def _first_order(ds: contract.Dataset, as_of: pd.Timestamp) -> pd.Timestamp | None:
    """The first purchase before the cutoff (None when there is none)."""
    bought = contract.purchases(ds)
    cut = ibis.literal(periods.cutoff(as_of), "timestamp")
    first = engine.execute(bought.filter(bought.ordered_at < cut).ordered_at.min())
    return None if first is None or pd.isna(first) else pd.Timestamp(first)


#: Share of the customers at risk above which one first-order cohort dominates.
COHORT_SPIKE_SHARE = 0.5


def _flag_cohort_spikes(
    out: pd.DataFrame,
    spells: ir.Table,
    *,
    freq: str,
    attrs: ir.Table | None,
    by_cols: list[str],
) -> None:
    """Add ``top_cohort``, ``top_cohort_share``, ``cohort_spike`` (in place).

    For each period P, the customers at risk are those active at P.start
    (``customers_start``); ``top_cohort`` is the period of first order that most
    of them share and ``top_cohort_share`` its share. Above
    :data:`COHORT_SPIKE_SHARE` the period's rate mostly measures one cohort's
    window expiring: ``cohort_spike`` is True and ``note`` says so.
    """
    out["top_cohort"] = pd.NaT
    out["top_cohort_share"] = np.nan
    out["cohort_spike"] = False
    if out.empty:
        return
    bounds = ibis.memtable(
        pd.DataFrame({"b": pd.to_datetime(out["period"].unique()).astype("M8[ns]")})
    )
    first = states.first_activity(spells)
    cohort_of = first.select(
        "customer_id", top_cohort=periods.truncate(first.first_start, freq)
    )
    at_risk = spells.join(
        bounds, [spells.start < bounds.b, spells.end >= bounds.b]
    ).select("customer_id", period=bounds.b)
    at_risk = at_risk.distinct().join(cohort_of, "customer_id")
    at_risk = attach(at_risk, attrs, by_cols)
    counts = engine.execute(
        at_risk.group_by(["period", *by_cols, "top_cohort"]).agg(
            n=at_risk.customer_id.count()
        )
    )
    if counts.empty:
        return
    for c in ("period", "top_cohort"):
        counts[c] = pd.to_datetime(counts[c]).astype("M8[ns]")
    keys = ["period", *by_cols]
    top = counts.sort_values(
        [*keys, "n", "top_cohort"], ascending=[True] * len(keys) + [False, True]
    ).drop_duplicates(keys)
    merged = out[keys].merge(top, on=keys, how="left")
    share = ratio(
        merged["n"].to_numpy(dtype="float64"),
        out["customers_start"].to_numpy(dtype="float64"),
    )
    out["top_cohort"] = merged["top_cohort"].to_numpy()
    out["top_cohort_share"] = share
    spike = pd.Series(share > COHORT_SPIKE_SHARE, index=out.index)
    spike &= out["churn_rate"].notna()
    out["cohort_spike"] = spike
    for i in out.index[spike]:
        states.add_note(
            out,
            pd.Series(out.index == i, index=out.index),
            f"cohort spike: {out.at[i, 'top_cohort_share']:.0%} of the customers "
            f"at risk first ordered in {pd.Timestamp(out.at[i, 'top_cohort']):%Y-%m}"
            ", so the rate mostly reflects that cohort's window expiring",
        )


# --------------------------------------------------------------------------------
# public
# --------------------------------------------------------------------------------
@share_docs
def customer_churn(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
    paying_only: bool = True,
) -> pd.DataFrame:
    """Customer (logo) churn per period, from subscriptions.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions with ``customer_id, start, mrr`` and optional ``end``
        (exclusive: the first day not paid for), or a Dataset holding them (and
        ``customers`` when ``by`` is given).
    {by}
    {freq}
    {as_of}
    paying_only : bool, default True
        Count only paid subscription rows (MRR above zero, ``is_trial`` not
        true): trials and free plans are not customers
        (:func:`churnlab.states.paying`; see :func:`trials`). False counts free
        and trial users as customers.

    Returns
    -------
    pandas.DataFrame
        One row per period (and ``by`` group), ``period`` = the period's start:
        ``customers_start``, ``customers_new``, ``customers_new_lost``,
        ``customers_reactivated``, ``customers_churned``, ``customers_end``,
        ``churn_rate``, ``crr``, ``churn_events``, ``customer_periods_at_risk``,
        ``churn_rate_at_risk``, ``note`` (why a rate is NaN or out of [0, 1];
        empty otherwise).

    Raises
    ------
    ContractError
        If the subscriptions break the data contract.
    ParameterError
        For a bad ``freq``, ``as_of`` or ``by``.

    See Also
    --------
    churn_conventions : the same period under every published churn formula.
    order_churn : the same counts for customers who order without a contract.

    Notes
    -----
    **Definition.** A customer is active at instant ``t`` when one of their
    paid subscriptions has ``start < t <= end`` (open when ``end`` is null). A
    row is paid when ``mrr > 0`` and ``is_trial`` (optional) is not true, as in
    ChartMogul and Baremetrics: zero-MRR and trial spells are counted by
    :func:`trials`, never here (unless ``paying_only=False``). For the
    half-open period P = [P.start, P.end): *churned* = active at P.start and not
    at P.end; *new* = first ever subscription starts inside P (every sign-up);
    *new-and-lost* = new and not active at P.end; *reactivated* = not active at
    P.start, subscribed before, active at P.end.

    **Formula.** ``churn_rate = customers_churned / customers_start``;
    ``crr = (customers_end - customers_new) / customers_start``;
    ``churn_rate_at_risk = churn_events / customer_periods_at_risk``, where
    ``churn_events`` counts every end of a customer's activity inside P
    (``customers_churned + customers_new_lost`` plus any reactivated customer who
    left again inside P) and ``customer_periods_at_risk`` is the time customers
    were active inside P, in periods (a customer active for half of P counts
    0.5). The counts reconcile exactly: ``customers_end = customers_start -
    customers_churned + customers_new - customers_new_lost +
    customers_reactivated``.

    **Convention.** ``churn_rate`` is ChartMogul's standard (B2B) customer churn
    rate: the denominator is the count at the period's start, so customers who
    sign up and leave inside P are in neither term. They are not hidden: they
    are ``customers_new_lost``. With 100 customers at the start, 30 sign-ups and
    110 at the end, 20 were lost; only customer-level data says how many of
    those were new (see :func:`churn_conventions`). ``crr`` is the textbook
    ``(E - N) / S`` with N = every sign-up, so it also charges the new-and-lost
    against retention and can differ from ``1 - churn_rate``; it can even
    leave [0, 1] (yearly periods with many sign-ups lost in the year give a
    negative ``crr``), and such rows say so in ``note`` (empty otherwise): read
    it as a convention's value, not as a retention rate.
    ``churn_rate_at_risk`` is the exposure-based rate (events per
    customer-period at risk) that handles mid-period sign-ups. A customer with
    several overlapping subscriptions is one customer: it churns only when the
    last one ends (ChartMogul and Baremetrics count a partial cancellation as
    contraction, not churn). Subscriptions with ``end == start`` never make a
    customer active and are ignored.

    Examples
    --------
    >>> import churnlab as cl
    >>> df = cl.customer_churn(cl.sample_dataset(), as_of="2025-06-30")
    >>> row = df.iloc[-1]
    >>> row["period"].strftime("%Y-%m")
    '2025-06'
    >>> cols = ["customers_start", "customers_churned", "customers_new"]
    >>> row[cols].astype(int).tolist()
    [1289, 33, 118]
    >>> bool((df["customers_end"] == df["customers_start"] - df["customers_churned"]
    ...       + df["customers_new"] - df["customers_new_lost"]
    ...       + df["customers_reactivated"]).all())
    True
    """
    freq = periods.check_freq(freq)
    ds, by_cols, attrs, as_of = _setup(
        data, "subscriptions", by=by, freq=freq, as_of=as_of
    )
    spans = states.live(
        states.subscription_intervals(ds.subscriptions, paying_only=paying_only),
        periods.cutoff(as_of),
    )
    return _logo_table(
        spans, disjoint=False, freq=freq, as_of=as_of, attrs=attrs, by_cols=by_cols
    )


@share_docs
def order_churn(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
    inactivity_days: int = periods.DEFAULT_INACTIVITY_DAYS,
) -> pd.DataFrame:
    """Non-contractual customer churn per period, from orders.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders with ``customer_id, ordered_at, amount`` (refunds are excluded with
        a :class:`~churnlab.ChurnlabWarning` giving their count), or a Dataset
        holding them.
    {by}
    {freq}
    {as_of}
    {inactivity_days}

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`customer_churn` (``customers_start``,
        ``customers_new``, ``customers_new_lost``, ``customers_reactivated``,
        ``customers_churned``, ``customers_end``, ``churn_rate``, ``crr``,
        ``churn_events``, ``customer_periods_at_risk``, ``churn_rate_at_risk``)
        with ``note``, ``top_cohort``, ``top_cohort_share`` and
        ``cohort_spike``, followed by ``inactivity_days``, the window every
        figure depends on.

    Raises
    ------
    ContractError
        If the orders break the data contract.
    ParameterError
        For a bad ``freq``, ``as_of``, ``by`` or ``inactivity_days``.

    See Also
    --------
    customer_churn : the contractual version.

    Notes
    -----
    **Definition.** A customer is active at instant ``t`` when they have a
    purchase with ``t - W <= ordered_at < t`` (W = ``inactivity_days``): active
    from the first order until W days after the last one. Churned in P = active
    at P.start, not at P.end, i.e. their W days of grace ran out inside P.

    **Formula.** ``churn_rate = customers_churned / customers_start``; the other
    columns as in :func:`customer_churn` (``customers_end = customers_start -
    customers_churned + customers_new - customers_new_lost +
    customers_reactivated``).

    **Convention.** A churn is dated when the window runs out, not at the last
    order: a customer whose last purchase is 10 March churns in June under
    W = 90 days (8 June), so the last W days of data cannot yet show churn of
    recent buyers. The window is a modelling choice (a 90-day default is common
    in retail); pick one longer than the usual gap between orders and report it
    with every figure (the ``inactivity_days`` column does).

    **Warm-up.** Nobody can have churned before one window W has passed since
    the first order in the data, so a period ending at or before
    ``first order + W`` has ``churn_rate``, ``crr`` and ``churn_rate_at_risk``
    NaN (unknown, not 0) and a ``note`` saying so
    (:func:`churnlab.states.warm_up`); its counts stay.

    **Cohort spikes.** ``top_cohort`` is the period of first order most of the
    customers at risk (``customers_start``) share and ``top_cohort_share`` its
    share; above one half, ``cohort_spike`` is True and ``note`` says the rate
    mostly reflects that cohort's window expiring (a business whose customers
    all joined in one quarter shows one large churn month W later).

    Examples
    --------
    >>> import churnlab as cl
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     df = cl.order_churn(cl.sample_dataset(), inactivity_days=90)
    >>> last = df.iloc[-1]
    >>> int(last.customers_start), int(last.customers_churned)
    (2182, 131)
    >>> print(f"{{last.churn_rate:.4f}}")
    0.0600
    >>> int(df["inactivity_days"].iloc[0])
    90
    """
    freq = periods.check_freq(freq)
    days = periods.check_days(inactivity_days)
    ds, by_cols, attrs, as_of = _setup(data, "orders", by=by, freq=freq, as_of=as_of)
    spells = states.live(
        states.activity_spells(contract.purchases(ds), inactivity_days=days),
        periods.cutoff(as_of),
    )
    out = _logo_table(
        spells,
        disjoint=True,
        freq=freq,
        as_of=as_of,
        attrs=attrs,
        by_cols=by_cols,
    )
    states.warm_up(
        out,
        first_order=_first_order(ds, as_of),
        inactivity_days=days,
        freq=freq,
    )
    _flag_cohort_spikes(out, spells, freq=freq, attrs=attrs, by_cols=by_cols)
    out["inactivity_days"] = days
    out.attrs["inactivity_days"] = days
    return out


@share_docs
def crr(
    data: DataLike,
    *,
    by: ByLike = None,
    freq: Freq = "M",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Customer retention rate CRR = (E - N) / S per period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`customer_churn`).
    {by}
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        ``period``, by-columns, ``customers_start`` (S), ``customers_new`` (N),
        ``customers_end`` (E), ``crr``.

    Notes
    -----
    **Definition.** The share of the customers present at the start of P who
    are still present at its end, estimated from three head counts.

    **Formula.** ``crr = (customers_end - customers_new) / customers_start``.

    **Convention.** N counts every sign-up inside P, so a customer who signs up
    and leaves inside P lowers CRR although they were not there at the start;
    ``1 - crr = (customers_churned + customers_new_lost -
    customers_reactivated) / customers_start``. The exact share retained is
    ``1 - churn_rate`` from :func:`customer_churn`.

    Examples
    --------
    >>> import churnlab as cl
    >>> df = cl.crr(cl.sample_dataset())
    >>> list(df.columns)
    ['period', 'customers_start', 'customers_new', 'customers_end', 'crr']
    """
    df = customer_churn(data, by=by, freq=freq, as_of=as_of)
    cols = [
        "period",
        *by_list(by),
        "customers_start",
        "customers_new",
        "customers_end",
        "crr",
    ]
    return df[cols]


def wilson_interval(
    successes: float | np.ndarray | pd.Series,
    trials: float | np.ndarray | pd.Series,
    *,
    alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``successes / trials``.

    Parameters
    ----------
    successes, trials : float or array-like
        Counts (``trials`` may be fractional, e.g. customer-periods at risk).
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds; NaN where ``trials <= 0`` or the proportion is
        outside [0, 1].

    Notes
    -----
    **Formula.** With ``p = x / n`` and ``z`` the ``1 - alpha/2`` normal quantile:
    ``(p + z^2/(2n) -+ z * sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n)``.
    Unlike the normal (Wald) interval it never leaves [0, 1] and stays sensible
    for small counts and rates near 0, which churn rates are.

    Examples
    --------
    >>> lo, hi = wilson_interval(15, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0931, 0.2328)
    """
    x = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    z = float(norm.ppf(1 - alpha / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1 + z**2 / n
        center = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        bad = ~(n > 0) | ~(p >= 0) | ~(p <= 1)
        lo = np.where(x == 0, 0.0, np.clip(center - half, 0, 1))
        hi = np.where(x == n, 1.0, np.clip(center + half, 0, 1))
        lo = np.where(bad, np.nan, lo)
        hi = np.where(bad, np.nan, hi)
    return lo, hi


_CONVENTIONS = [
    (
        "churned / start",
        "customers_churned / customers_start",
        "ChartMogul's standard (B2B) formula: customers at the start; sign-ups "
        "who leave in the same period are excluded",
    ),
    (
        "all lost / start",
        "(customers_churned + customers_new_lost) / customers_start",
        "sign-ups who leave in the same period count too, over the start base "
        "(as Baremetrics counts sign-ups cancelled within its 30-day window); "
        "can exceed 100%",
    ),
    (
        "all lost / all exposed",
        "(customers_churned + customers_new_lost) / (customers_start + customers_new)",
        "everyone who could have churned in the denominator",
    ),
    (
        "churned / average base",
        "customers_churned / ((customers_start + customers_end) / 2)",
        "average of the start and end counts as the base",
    ),
    (
        "per customer-period at risk",
        "churn_events / customer_periods_at_risk",
        "exposure-based: events per customer-period active (handles mid-period "
        "sign-ups)",
    ),
    (
        "sum of daily churn",
        "sum over days d in P of churned_d / start_d",
        "ChartMogul Shopify (B2C) formula: daily rates added up",
    ),
    (
        "1 - CRR",
        "(customers_start + customers_new - customers_end) / customers_start",
        "net head-count loss: start + sign-ups - end = customers lost, minus "
        "reactivations",
    ),
]


def churn_conventions(
    data: DataLike,
    *,
    period: PeriodLike | None = None,
    freq: Freq = "M",
    by: ByLike = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One period's customer churn under every published convention, side by side.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions (see :func:`customer_churn`).
    {period}
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        Period unit.
    by : str or list of str, optional
        Customer attribute(s) to break the table down by.
    alpha : float, default 0.05
        1 - confidence level of the Wilson intervals.

    Returns
    -------
    pandas.DataFrame
        One row per convention (and ``by`` group): ``period``, by-columns,
        ``convention``, ``formula``, ``substituted`` (the formula with this
        period's numbers), ``numerator``, ``denominator``, ``rate``,
        ``ci_lower``, ``ci_upper``, ``note``, then the period's counts
        ``customers_start``, ``customers_new``, ``customers_end``,
        ``customers_lost`` (= start + new - end), ``customers_churned``,
        ``customers_new_lost``, ``customers_reactivated``.

    Raises
    ------
    ParameterError
        If ``period`` is not a period, or lies outside the data.

    Notes
    -----
    **Definition.** The counts are those of :func:`customer_churn` for the
    period; each row divides a different numerator by a different denominator,
    as SaaS tools publish them.

    **Formula.** ``rate = numerator / denominator``; the Wilson interval
    (:func:`wilson_interval`) treats the numerator as binomial out of the
    denominator. For the exposure-based rows the "trials" are customer-periods
    (or customer-days) at risk, so their interval is an approximation.

    **Convention.** The seed puzzle: 100 customers at the start of a month, 30
    sign-ups and 110 at the end means 20 customers were lost
    (``customers_lost``), but head counts cannot say how many of the 20 were
    among the 30 new ones. The customer-level data can: ``customers_new_lost``
    of them were new, ``customers_churned`` were there at the start (less any
    reactivations), and the rates below differ accordingly. Overlapping Wilson
    intervals of two months mean the move between them may be noise.

    Examples
    --------
    >>> import churnlab as cl
    >>> t = cl.churn_conventions(cl.sample_dataset(), period="2026-10")
    >>> t.set_index("convention")["rate"].round(4).head(2).to_dict()
    {'churned / start': 0.0317, 'all lost / start': 0.0328}
    >>> int(t["customers_lost"].iloc[0]), int(t["customers_new_lost"].iloc[0])
    (79, 3)
    >>> bool((t["ci_lower"] <= t["rate"]).all())
    True
    """
    freq = periods.check_freq(freq)
    ds = contract.as_dataset(data, "subscriptions")
    if period is None:
        period = periods.last_complete_period(
            periods.as_of_for(ds, "subscriptions", freq=freq), freq
        )
    span = periods.parse_period(period, freq=freq)
    start, end = span.start, span.end
    as_of = span.as_of
    latest = ds.latest("subscriptions")
    if latest is None or pd.Timestamp(latest) < start:
        raise ParameterError(
            f"period={period!r} begins after the data ends (latest timestamp "
            f"{latest}); choose a period the data covers."
        )
    monthly = customer_churn(ds, by=by, freq=freq, as_of=as_of)
    by_cols = by_list(by)
    row = monthly[monthly["period"] == start]
    if row.empty:
        raise ParameterError(
            f"period={period!r} is before the first subscription; choose a period "
            "the data covers."
        )
    daily = customer_churn(ds, by=by, freq="D", as_of=as_of)
    daily = daily[(daily["period"] >= start) & (daily["period"] < end)]
    daily_rate = daily.assign(r=daily["churn_rate"].fillna(0.0))
    if by_cols:
        sums = (
            daily_rate.groupby(by_cols, dropna=False)
            .agg(d_num=("customers_churned", "sum"), d_rate=("r", "sum"))
            .reset_index()
        )
        row = row.merge(sums, on=by_cols, how="left")
    else:
        row = row.assign(
            d_num=daily_rate["customers_churned"].sum(), d_rate=daily_rate["r"].sum()
        )
    frames = []
    for name, formula, note in _CONVENTIONS:
        frames.append(_convention_rows(row, name, formula, note, by_cols, alpha))
    out = pd.concat(frames, ignore_index=True)
    order = {name: i for i, (name, _f, _n) in enumerate(_CONVENTIONS)}
    out["_o"] = out["convention"].map(order)
    out = out.sort_values([*by_cols, "_o"], kind="stable").drop(columns="_o")
    return out.reset_index(drop=True)


def _convention_rows(
    row: pd.DataFrame,
    name: str,
    formula: str,
    note: str,
    by_cols: list[str],
    alpha: float,
) -> pd.DataFrame:
    s = row["customers_start"].astype("float64")
    n = row["customers_new"].astype("float64")
    e = row["customers_end"].astype("float64")
    c = row["customers_churned"].astype("float64")
    nl = row["customers_new_lost"].astype("float64")
    if name == "churned / start":
        num, den, sub = c, s, [f"{a:g} / {b:g}" for a, b in zip(c, s, strict=True)]
    elif name == "all lost / start":
        num, den = c + nl, s
        sub = [f"({a:g} + {b:g}) / {d:g}" for a, b, d in zip(c, nl, s, strict=True)]
    elif name == "all lost / all exposed":
        num, den = c + nl, s + n
        sub = [
            f"({a:g} + {b:g}) / ({d:g} + {f:g})"
            for a, b, d, f in zip(c, nl, s, n, strict=True)
        ]
    elif name == "churned / average base":
        num, den = c, (s + e) / 2
        sub = [
            f"{a:g} / (({d:g} + {f:g}) / 2)" for a, d, f in zip(c, s, e, strict=True)
        ]
    elif name == "per customer-period at risk":
        num = row["churn_events"].astype("float64")
        den = row["customer_periods_at_risk"].astype("float64")
        sub = [f"{a:g} / {b:.2f}" for a, b in zip(num, den, strict=True)]
    elif name == "sum of daily churn":
        num = row["d_num"].astype("float64")
        rate = row["d_rate"].astype("float64")
        den = num / rate.where(rate > 0)
        sub = [
            f"sum of {len_:g} daily churned / daily start = {r:.4f}"
            for len_, r in zip(num, rate, strict=True)
        ]
    else:  # 1 - CRR
        num, den = s + n - e, s
        sub = [
            f"({a:g} + {b:g} - {d:g}) / {a:g}" for a, b, d in zip(s, n, e, strict=True)
        ]
    if name == "sum of daily churn":
        rate_v = row["d_rate"].astype("float64").where(s > 0)
    else:
        rate_v = ratio(num.reset_index(drop=True), den.reset_index(drop=True))
        rate_v.index = row.index
    lo, hi = wilson_interval(num, den, alpha=alpha)
    frame = row[["period", *by_cols]].copy()
    frame["convention"] = name
    frame["formula"] = formula
    frame["substituted"] = sub
    frame["numerator"] = num.to_numpy()
    frame["denominator"] = den.to_numpy()
    frame["rate"] = rate_v.to_numpy()
    frame["ci_lower"] = lo
    frame["ci_upper"] = hi
    frame["note"] = note
    frame["customers_start"] = row["customers_start"].to_numpy()
    frame["customers_new"] = row["customers_new"].to_numpy()
    frame["customers_end"] = row["customers_end"].to_numpy()
    frame["customers_lost"] = (s + n - e).astype("int64").to_numpy()
    frame["customers_churned"] = row["customers_churned"].to_numpy()
    frame["customers_new_lost"] = row["customers_new_lost"].to_numpy()
    frame["customers_reactivated"] = row["customers_reactivated"].to_numpy()
    return frame


@share_docs
def trials(
    data: DataLike,
    *,
    freq: Freq = "M",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Trial and free-use starts, conversions and non-converters per period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Subscriptions with ``customer_id, start, mrr``, optional ``end`` and
        ``is_trial``, or a Dataset holding them.
    {freq}
    {as_of}

    Returns
    -------
    pandas.DataFrame
        One row per period: ``trial_starts``, ``trial_conversions``,
        ``trial_non_converters``, ``trial_conversion_rate``.

    Notes
    -----
    **Definition.** A subscription row is a trial (or free use) when it is not
    paid (:func:`churnlab.states.paying`: ``mrr`` zero or ``is_trial`` true).
    Per customer with a trial row starting before the cutoff: the trial start
    is the first trial row's start; the customer *converts* in the period of
    their first paid row's start, if that is at or after the trial start; a
    *non-converter* is counted in the period their last trial row ends when
    they never paid before the cutoff. Trial users are never in
    :func:`customer_churn`, NRR or ARPA.

    **Formula.** ``trial_conversion_rate = trial_conversions / trial_starts`` of
    the same period (a cohort-free flow ratio; NaN without starts).

    Examples
    --------
    >>> import churnlab as cl
    >>> int(cl.trials(cl.sample_dataset())["trial_starts"].sum())
    0
    """
    freq = periods.check_freq(freq)
    ds, _by_cols, _attrs, as_of = _setup(
        data, "subscriptions", by=None, freq=freq, as_of=as_of
    )
    subs = ds.subscriptions
    if "end" not in subs.columns:
        subs = subs.mutate(end=ibis.null("timestamp"))
    cut = ibis.literal(periods.cutoff(as_of), "timestamp")
    subs = subs.filter(subs.start < cut)
    is_paid = states.paying(subs)
    trial_rows = subs.filter(~is_paid)
    per = trial_rows.group_by("customer_id").agg(
        trial_start=trial_rows.start.min(),
        trial_end=trial_rows.end.max(),
        open_trials=trial_rows.end.isnull().sum(),
    )
    paid_rows = subs.filter(is_paid)
    first_paid = paid_rows.group_by("customer_id").agg(first_paid=paid_rows.start.min())
    frame = engine.execute(per.left_join(first_paid, "customer_id"))
    cols = ["trial_starts", "trial_conversions", "trial_non_converters"]
    if frame.empty:
        out = periods.spine(periods.cutoff(as_of), as_of, freq)[["period"]]
        for c in cols:
            out[c] = pd.Series([], dtype="int64")
        out["trial_conversion_rate"] = pd.Series([], dtype="float64")
        return out
    for c in ("trial_start", "trial_end", "first_paid"):
        frame[c] = pd.to_datetime(frame[c]).astype("datetime64[ns]")
    converted = frame["first_paid"].notna() & (
        frame["first_paid"] >= frame["trial_start"]
    )
    lost = (
        frame["first_paid"].isna()
        & (frame["open_trials"] == 0)
        & (frame["trial_end"] < periods.cutoff(as_of))
    )
    parts = [
        periods.period_start(frame["trial_start"], freq).rename("period").to_frame(),
        periods.period_start(frame.loc[converted, "first_paid"], freq)
        .rename("period")
        .to_frame(),
        periods.period_start(frame.loc[lost, "trial_end"], freq)
        .rename("period")
        .to_frame(),
    ]
    counts = [
        p.value_counts("period").rename(c) for p, c in zip(parts, cols, strict=True)
    ]
    agg = pd.concat(counts, axis=1).reset_index()
    g = grid(agg, [], freq, as_of, dict.fromkeys(cols, "int64"))
    out = g[["period", *cols]].copy()
    out["trial_conversion_rate"] = ratio(out["trial_conversions"], out["trial_starts"])
    return out
