"""Sales performance: the pipeline, win rates, cycle length, quotas and the KPIs.

Public names: ``sales_kpis``, ``KPI_KINDS``, ``pipeline_funnel``,
``lead_conversion``, ``win_rates``, ``sales_cycle``, ``deal_outcomes_by_age``,
``quota_attainment``, ``pipeline_coverage``, ``pipeline_by_stage``,
``sales_velocity``, ``stage_conversion``, ``sales_activity``,
``sales_by_location``, ``revenue_new_vs_existing``.

Tables (see ``data/README.md``): ``deals``, ``deal_stages``, ``leads``,
``activities``, ``targets``, and ``orders`` (revenue, locations, new vs
existing), ``subscriptions`` (NRR, ARPA, LTV, churn in :func:`sales_kpis`).

**Periods.** ``period`` is ``"2026-10"`` (a month), ``"2026-Q4"``, ``"2026"``,
a ``(first_day, last_day)`` pair (both inclusive) or None for all the data. A
period is half-open, ``[start, end)``. Unless ``as_of`` says otherwise, a period
is judged as of its own end, so re-running October's numbers after more data
arrives gives the same answer; a period that runs past the data is cut at the
data's last day, with a warning.

**Deal status at a time.** A deal is won (lost) at instant t when its status
is won (lost) and ``closed_at < t``; otherwise it is open at t (if created
before t). So past states are reconstructed from ``closed_at``, and a deal
closed after the as-of date counts as open, as it was then.

**Censoring.** Open deals have not finished: the censoring-aware win rate and
cycle length treat won and lost as competing risks and estimate their
cumulative incidence by deal age with lifelines' ``AalenJohansenFitter``, so
deals still open count for as long as they have been observed instead of being
dropped (which is what the plain "won / closed" does).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis import _

from churnlab import contract, engine, periods, states
from churnlab.errors import ChurnlabWarning, ParameterError

__all__ = [
    "KPI_KINDS",
    "sales_kpis",
    "pipeline_funnel",
    "lead_conversion",
    "win_rates",
    "sales_cycle",
    "deal_outcomes_by_age",
    "quota_attainment",
    "pipeline_coverage",
    "pipeline_by_stage",
    "sales_velocity",
    "stage_conversion",
    "sales_activity",
    "sales_by_location",
    "revenue_new_vs_existing",
]

#: The kinds of KPI, as sales practice classifies them.
KPI_KINDS: dict[str, str] = {
    "input": "effort the team controls (meetings, pitches, pipeline built)",
    "output": "what the effort produces (deals, deal size, revenue lines)",
    "result": "business outcomes (revenue, quota attainment, lifetime value)",
    "quality": "how good the outcomes are (win rate, slippage, churn, margin)",
    "efficiency": "outcome per effort or time (conversion, cycle, expense ratio)",
    "growth": "change over time (growth rates, new-customer share, NRR)",
}

_SECONDS_PER_DAY = 86_400.0

_PERIOD_DOC = """\
period : str or (date, date), optional
    ``"2026-10"`` (month), ``"2026-Q4"``, ``"2026"`` or a ``(first_day,
    last_day)`` pair (inclusive). None: all the data up to ``as_of``."""

_COHORT_AS_OF_DOC = """\
as_of : date-like, optional
    The day statuses are read at, inclusive (deals won, lost or open; leads
    converted). Default: the data's last day, so the cohort is followed as far
    as the data goes."""

_AS_OF_DOC = """\
as_of : date-like, optional
    The day the data is known through, inclusive. Default: the period's last
    day (capped at the data's last day); with ``period=None``, the data's last
    day. Deal statuses are read at the end of this day."""


def _docs(func: Any) -> Any:
    if func.__doc__:
        import textwrap

        texts = {
            "period": _PERIOD_DOC,
            "sas_of": _AS_OF_DOC,
            "cas_of": _COHORT_AS_OF_DOC,
        }
        filled = {k: textwrap.indent(v, "    ").lstrip() for k, v in texts.items()}
        func.__doc__ = func.__doc__.format(**filled)
    return func


# ------------------------------------------------------------------------ periods


@dataclass(frozen=True)
class _Window:
    """A half-open time window ``[start, end)``; ``start`` None = from the start."""

    start: pd.Timestamp | None
    end: pd.Timestamp
    label: str
    months: int | None = None  # calendar length, None for custom or all data
    full_end: pd.Timestamp | None = None  # end of the calendar period
    observe: pd.Timestamp | None = None  # when statuses are read (default: end)

    @property
    def seen(self) -> pd.Timestamp:
        """The instant statuses are read at: ``observe``, else ``end``."""
        return self.observe if self.observe is not None else self.end

    def shift(self, *, months: int | None = None) -> _Window:
        """The same window ``months`` earlier (or one length earlier)."""
        if self.start is None:
            raise ParameterError("A window over all the data has no previous period.")
        if months is not None:
            off = pd.DateOffset(months=months)
            start, end = self.start - off, self.end - off
        else:
            length = self.end - self.start
            start, end = self.start - length, self.start
        if self.months:
            label = _label(start, self.months)
        else:
            label = f"{start:%Y-%m-%d}..{end - pd.Timedelta(days=1):%Y-%m-%d}"
        return _Window(start, end, label, self.months)


_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_YEAR_RE = re.compile(r"^(\d{4})$")


def _label(start: pd.Timestamp, months: int | None) -> str:
    if months == 1:
        return f"{start:%Y-%m}"
    if months == 3:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if months == 12:
        return f"{start.year}"
    return f"{start:%Y-%m-%d}"


def _parse_period(period: Any) -> tuple[pd.Timestamp, pd.Timestamp, int | None, str]:
    if isinstance(period, tuple | list) and len(period) == 2:
        first = periods.parse_date(period[0], name="period start")
        last = periods.parse_date(period[1], name="period end")
        if last < first:
            raise ParameterError(f"period={period!r} ends before it starts.")
        label = f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"
        return first, periods.cutoff(last), None, label
    if isinstance(period, str):
        text = period.strip()
        if _MONTH_RE.match(text):
            start = periods.parse_month(text, name="period")
            return start, start + pd.DateOffset(months=1), 1, text
        m = _QUARTER_RE.match(text)
        if m:
            start = pd.Timestamp(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
            return start, start + pd.DateOffset(months=3), 3, _label(start, 3)
        if _YEAR_RE.match(text):
            start = pd.Timestamp(int(text), 1, 1)
            return start, start + pd.DateOffset(years=1), 12, text
    raise ParameterError(
        f"period={period!r} is not a period; use 'YYYY-MM' (e.g. '2026-10'), "
        "'YYYY-Qn', 'YYYY' or a (first_day, last_day) pair."
    )


def _window(
    period: Any,
    *,
    as_of: Any,
    latest: pd.Timestamp | None,
    follow: bool = False,
) -> _Window:
    """The period as a window.

    ``follow=False`` (flows): the window is judged as of its own end (or
    ``as_of``). ``follow=True`` (cohorts): the period only selects who enters;
    statuses are read at the end of ``as_of``, by default the data's last day.
    """
    if period is None:
        day = periods.resolve_as_of(as_of, latest=latest, freq="D")
        return _Window(None, periods.cutoff(day), "all data")
    start, end, months, label = _parse_period(period)
    full_end = end
    observe = None
    if follow:
        observe = periods.cutoff(periods.resolve_as_of(as_of, latest=latest, freq="D"))
        if observe <= start:
            raise ParameterError(
                f"period {label} starts after the as-of date "
                f"({observe - pd.Timedelta(days=1):%Y-%m-%d}); nothing to follow."
            )
        if observe < end:
            warnings.warn(
                f"period {label} runs past the as-of date; the cohort holds only "
                "what entered by then.",
                ChurnlabWarning,
                stacklevel=3,
            )
            end = observe
        return _Window(start, end, label, months, full_end, observe)
    if as_of is not None:
        cap = periods.cutoff(periods.parse_date(as_of))
        if cap <= start:
            raise ParameterError(
                f"as_of={as_of!r} is before period {label} starts ({start:%Y-%m-%d})."
            )
        end = min(end, cap)
    elif latest is not None and not pd.isna(latest):
        cap = periods.cutoff(pd.Timestamp(latest).normalize())
        if cap <= start:
            raise ParameterError(
                f"period {label} has no data: the data ends on {latest:%Y-%m-%d}."
            )
        if cap < end:
            warnings.warn(
                f"period {label} runs past the data (last day {latest:%Y-%m-%d}); "
                "its figures are to date.",
                ChurnlabWarning,
                stacklevel=3,
            )
            end = cap
    return _Window(start, end, label, months, full_end)


def _lit(ts: pd.Timestamp) -> ir.TimestampScalar:
    return ibis.literal(pd.Timestamp(ts), "timestamp")


def _in(col: ir.TimestampValue, w: _Window) -> ir.BooleanValue:
    cond = col < _lit(w.end)
    if w.start is not None:
        cond = cond & (col >= _lit(w.start))
    return cond.fill_null(False)


# ------------------------------------------------------------------------ helpers


def _ratio(num: Any, den: Any) -> Any:
    num = np.asarray(pd.to_numeric(num, errors="coerce"), dtype=float)
    den = np.asarray(pd.to_numeric(den, errors="coerce"), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out if out.ndim else float(out)


def _by_list(by: Any) -> list[str]:
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    if not all(isinstance(c, str) and c for c in cols):
        raise ParameterError(f"by={by!r} must be a column name or a list of them.")
    return cols


def _check_by(table: ir.Table, name: str, by: list[str]) -> None:
    for col in by:
        if col not in table.columns:
            raise ParameterError(
                f"by={col!r} is not a column of {name} ({', '.join(table.columns)})."
            )


def _is_dataset_folder(data: Any) -> bool:
    """A folder holding contract tables (``deals.csv``, ``orders/``...)."""
    if not isinstance(data, str | os.PathLike) or not os.path.isdir(data):
        return False
    return any(p.name.split(".")[0] in contract.TABLES for p in Path(data).iterdir())


def _dataset(data: Any, name: str) -> contract.Dataset:
    """A Dataset holding table ``name`` from any accepted input.

    A Dataset, a mapping of tables or a dataset folder is loaded as a whole (so
    other tables, e.g. deals for leads, are used when present); a DataFrame,
    file path or Ibis table is validated as table ``name``.
    """
    if isinstance(data, contract.Dataset):
        data.table(name)
        return data
    if isinstance(data, Mapping) or _is_dataset_folder(data):
        ds = contract.load_dataset(data)
        ds.table(name)
        return ds
    return contract.as_dataset(data, name)


def _latest(ds: contract.Dataset, *names: str) -> pd.Timestamp | None:
    """Latest timestamp of the whole dataset (``names``: the tables used).

    The data is known through the last day of any table: a table with no row
    on that day (no deal closed on 31 October) is complete, not cut short.
    """
    del names
    return ds.latest()


def _tidy_keys(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    for col in by:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _days(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.NumericValue:
    seconds = later.epoch_seconds() - earlier.epoch_seconds()
    return seconds.cast("float64") / _SECONDS_PER_DAY


def _closed_at(deals: ir.Table) -> ir.TimestampValue:
    """When a won/lost deal closed (``created_at`` if ``closed_at`` is missing)."""
    if "closed_at" in deals.columns:
        return deals.closed_at.fill_null(deals.created_at)
    return deals.created_at


def _won_by(deals: ir.Table, cut: pd.Timestamp) -> ir.BooleanValue:
    return ((deals.status == "won") & (_closed_at(deals) < _lit(cut))).fill_null(False)


def _lost_by(deals: ir.Table, cut: pd.Timestamp) -> ir.BooleanValue:
    return ((deals.status == "lost") & (_closed_at(deals) < _lit(cut))).fill_null(False)


def _open_at(deals: ir.Table, t: pd.Timestamp) -> ir.BooleanValue:
    """Created before ``t`` and not closed before it."""
    created = deals.created_at < _lit(t)
    return (created & ~_won_by(deals, t) & ~_lost_by(deals, t)).fill_null(False)


def _net_amount(orders: ir.Table) -> ir.NumericValue:
    return ibis.cases((orders.is_refund, -orders.amount.abs()), else_=orders.amount)


def _int(expr: ir.BooleanValue) -> ir.IntegerValue:
    return expr.cast("int64")


# --------------------------------------------------------------------- per deal


def _deal_rows(deals: ir.Table, w: _Window, by: list[str]) -> ir.Table:
    """Deals created in ``w`` with their outcome and age at ``w.end``.

    ``outcome`` is 1 = won, 2 = lost, 0 = still open (censored) at ``w.end``;
    ``duration_days`` runs from ``created_at`` to the close, or to ``w.end`` for
    open deals.
    """
    cohort = deals.filter(_in(deals.created_at, w))
    won = _won_by(cohort, w.seen)
    lost = _lost_by(cohort, w.seen)
    end = ibis.cases((won | lost, _closed_at(cohort)), else_=_lit(w.seen))
    return cohort.select(
        *by,
        "deal_id",
        "amount",
        outcome=ibis.cases((won, 1), (lost, 2), else_=0),
        duration_days=_days(end, cohort.created_at),
    )


_TIE = 1e-6  # days (~0.09 s): separates tied won / lost / censored times


def _untied(g: pd.DataFrame) -> pd.Series:
    """Deal ages with ties split deterministically: won, then lost, then censored.

    lifelines' Aalen-Johansen jitters tied event times of different types at
    random. Shifting lost deals ``_TIE`` and censored ones ``2 * _TIE`` after
    the won deals of the same age gives the exact Aalen-Johansen values once a
    tie is passed (censored at t stay at risk at t, as in Kaplan-Meier), with
    no randomness. Distinct ages in the data are seconds apart (>= 1.1e-5 days).
    """
    order = g["outcome"].map({1: 0, 2: 1, 0: 2}).astype(float)
    return g["duration_days"].clip(lower=0.0) + order * _TIE


def _fit_aj(durations: pd.Series, outcome: pd.Series, event: int) -> Any:
    """Fit lifelines' Aalen-Johansen estimator for one competing event."""
    from lifelines import AalenJohansenFitter

    ajf = AalenJohansenFitter(calculate_variance=True, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ajf.fit(durations, outcome, event_of_interest=event)
    return ajf


def _collapse(series: pd.Series) -> pd.Series:
    """Index rounded back to whole ages (4 decimals), last value per age."""
    idx = np.round(series.index.to_numpy(dtype=float), 4)
    out = pd.Series(series.to_numpy(), index=idx)
    return out[~out.index.duplicated(keep="last")]


def _cif_at(ajf: Any, t: float) -> float:
    cif = _collapse(ajf.cumulative_density_.iloc[:, 0])
    upto = cif[cif.index <= t + 1e-9]
    return float(upto.iloc[-1]) if len(upto) else 0.0


def _competing(g: pd.DataFrame, horizon: float | None) -> dict[str, float]:
    """Cumulative incidence of won and lost at the horizon, and the AJ median."""
    out = {
        "horizon_days": np.nan,
        "won_by_horizon": np.nan,
        "lost_by_horizon": np.nan,
        "cycle_days_median_aj": np.nan,
    }
    if g.empty or not (g["outcome"] > 0).any():
        return out
    dur = _untied(g)
    h = float(horizon) if horizon is not None else float(g["duration_days"].max())
    won = _fit_aj(dur, g["outcome"], 1)
    lost = _fit_aj(dur, g["outcome"], 2)
    cw, cl = _cif_at(won, h), _cif_at(lost, h)
    out.update(horizon_days=h, won_by_horizon=cw, lost_by_horizon=cl)
    if cw > 0:
        cif = _collapse(won.cumulative_density_.iloc[:, 0])
        cif = cif[cif.index <= h + 1e-9]
        hit = cif[cif >= cw / 2.0 - 1e-12]
        if len(hit):
            out["cycle_days_median_aj"] = float(hit.index[0])
    return out


def _groups(frame: pd.DataFrame, by: list[str]) -> list[tuple[tuple, pd.DataFrame]]:
    if not by:
        return [((), frame)]
    return [
        (k if isinstance(k, tuple) else (k,), g)
        for k, g in frame.groupby(by, dropna=False, sort=True)
    ]


# ------------------------------------------------------------------------ public


@_docs
def win_rates(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    as_of: Any = None,
    horizon_days: float | None = None,
) -> pd.DataFrame:
    """Win rate and slippage of a cohort of deals, plain and censoring-aware.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Deals with ``deal_id, created_at, status, amount`` and ``closed_at``.
    by : str or list of str, optional
        Deal columns to break down by (``"owner"``, ``"segment"``, ``"source"``).
    {period}
        The cohort: deals *created* in it.
    {cas_of}
    horizon_days : float, optional
        Deal age at which the cumulative incidences are read. Default: the
        oldest age observed in the group (the eventual outcome).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``deals`` (created), ``deals_open`` (at as-of),
        ``deals_won``, ``deals_lost``, ``deals_closed``, ``win_rate``,
        ``slippage_rate``, ``horizon_days``, ``won_by_horizon``,
        ``lost_by_horizon``, ``win_rate_aj``.

    Notes
    -----
    **Definition.** Of the deals created in the period, the share of those that
    closed which were won; and the same share estimated with the deals still
    open, treating won and lost as competing risks by deal age.

    **Formula.** ``win_rate = deals_won / deals_closed``; ``slippage_rate =
    deals_lost / deals_closed``; ``win_rate_aj = won_by_horizon /
    (won_by_horizon + lost_by_horizon)`` where ``won_by_horizon`` is the
    Aalen-Johansen cumulative incidence of a win by age ``horizon_days``
    (lifelines ``AalenJohansenFitter``; tied times jittered with a fixed seed).

    **Convention.** ``win_rate`` uses closed deals only. When lost deals close
    faster than won ones (they usually do), a young cohort has closed mostly
    its losses, so the plain rate reads low; ``win_rate_aj`` keeps the open
    deals in the risk set for as long as they were observed. For old cohorts
    the two agree. Slippage here is the share of closed deals that were lost.

    Examples
    --------
    >>> import churnlab as cl
    >>> w = cl.win_rates(cl.sample_dataset(), by="segment")
    >>> w["segment"].tolist()
    ['Enterprise', 'Mid-Market']
    >>> bool((w["win_rate"] < 0.35).all())
    True
    """
    ds = _dataset(data, "deals")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    w = _window(period, as_of=as_of, latest=_latest(ds, "deals"), follow=True)
    rows = engine.execute(_deal_rows(deals, w, by_cols))
    out = []
    for key, g in _groups(rows, by_cols):
        won = int((g["outcome"] == 1).sum())
        lost = int((g["outcome"] == 2).sum())
        rec: dict[str, Any] = dict(zip(by_cols, key, strict=True))
        rec.update(
            deals=len(g),
            deals_open=int((g["outcome"] == 0).sum()),
            deals_won=won,
            deals_lost=lost,
            deals_closed=won + lost,
        )
        rec["win_rate"] = _ratio(won, won + lost)
        rec["slippage_rate"] = _ratio(lost, won + lost)
        aj = _competing(g, horizon_days)
        rec.update(
            {k: aj[k] for k in ("horizon_days", "won_by_horizon", "lost_by_horizon")}
        )
        rec["win_rate_aj"] = _ratio(
            aj["won_by_horizon"], aj["won_by_horizon"] + aj["lost_by_horizon"]
        )
        out.append(rec)
    frame = pd.DataFrame(out)
    frame.attrs.update(period=w.label, as_of=w.seen - pd.Timedelta(days=1))
    return _tidy_keys(frame, by_cols)


@_docs
def sales_cycle(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    as_of: Any = None,
    horizon_days: float | None = None,
) -> pd.DataFrame:
    """Sales cycle length of won deals, plain and censoring-aware.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Deals with ``created_at``, ``status`` and ``closed_at``.
    by : str or list of str, optional
        Deal columns to break down by (``"owner"``, ``"segment"``).
    {period}
        The cohort: deals *created* in it.
    {cas_of}
    horizon_days : float, optional
        Age up to which wins are counted for the censoring-aware median.
        Default: the oldest age observed in the group.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``deals``, ``deals_open``, ``deals_won``,
        ``cycle_days_total``, ``cycle_days_mean``, ``cycle_days_median``,
        ``horizon_days``, ``cycle_days_median_aj``.

    Notes
    -----
    **Definition.** The cycle of a won deal is the time from ``created_at`` to
    ``closed_at``, in days.

    **Formula.** ``cycle_days_mean = cycle_days_total / deals_won``;
    ``cycle_days_median`` = median over won deals; ``cycle_days_median_aj`` =
    the age ``t`` at which the Aalen-Johansen cumulative incidence of a win
    reaches half its value at the horizon, i.e. the median cycle of the deals
    that win by then, open deals included.

    **Convention.** The plain figures only see deals already won, so a recent
    cohort shows its quick wins and reads short; the competing-risks median
    keeps the open deals (some will still be won, later) and lost deals (which
    leave the risk set) in the estimate.

    Examples
    --------
    >>> import churnlab as cl
    >>> c = cl.sales_cycle(cl.sample_dataset(), by="segment")
    >>> c["segment"].tolist()
    ['Enterprise', 'Mid-Market']
    >>> c["cycle_days_median"].round(-1).tolist()
    [100.0, 50.0]
    """
    ds = _dataset(data, "deals")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    w = _window(period, as_of=as_of, latest=_latest(ds, "deals"), follow=True)
    rows = engine.execute(_deal_rows(deals, w, by_cols))
    out = []
    for key, g in _groups(rows, by_cols):
        won = g.loc[g["outcome"] == 1, "duration_days"]
        rec: dict[str, Any] = dict(zip(by_cols, key, strict=True))
        rec.update(
            deals=len(g),
            deals_open=int((g["outcome"] == 0).sum()),
            deals_won=len(won),
            cycle_days_total=float(won.sum()),
            cycle_days_mean=_ratio(float(won.sum()), len(won)),
            cycle_days_median=float(won.median()) if len(won) else np.nan,
        )
        aj = _competing(g, horizon_days)
        rec["horizon_days"] = aj["horizon_days"]
        rec["cycle_days_median_aj"] = aj["cycle_days_median_aj"]
        out.append(rec)
    frame = pd.DataFrame(out)
    frame.attrs.update(period=w.label, as_of=w.seen - pd.Timedelta(days=1))
    return _tidy_keys(frame, by_cols)


@_docs
def deal_outcomes_by_age(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Share of deals won, lost and still open by deal age (Aalen-Johansen).

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Deals with ``created_at``, ``status`` and ``closed_at``.
    by : str or list of str, optional
        Deal columns to break down by.
    {period}
        The cohort: deals *created* in it.
    {cas_of}

    Returns
    -------
    pandas.DataFrame
        One row per distinct age (and group): ``age_days``, ``deals_at_risk``,
        ``won``, ``won_ci_lower``, ``won_ci_upper``, ``lost``, ``lost_ci_lower``,
        ``lost_ci_upper``, ``open``.

    Notes
    -----
    **Definition.** ``won(t)``: the probability that a new deal is won by age
    ``t``; ``lost(t)`` likewise; ``open(t)``: still open at ``t``.

    **Formula.** Aalen-Johansen cumulative incidence functions for the two
    competing events (lifelines ``AalenJohansenFitter``, 95% intervals);
    ``open = 1 - won - lost``.

    **Convention.** Deals open at the as-of date are censored at their age
    then. Age is measured in days from ``created_at``.

    Examples
    --------
    >>> import churnlab as cl
    >>> a = cl.deal_outcomes_by_age(cl.sample_dataset())
    >>> bool(a["won"].is_monotonic_increasing)
    True
    """
    ds = _dataset(data, "deals")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    w = _window(period, as_of=as_of, latest=_latest(ds, "deals"), follow=True)
    rows = engine.execute(_deal_rows(deals, w, by_cols))
    frames = []
    for key, g in _groups(rows, by_cols):
        if g.empty or not (g["outcome"] > 0).any():
            continue
        dur = _untied(g)
        won = _fit_aj(dur, g["outcome"], 1)
        lost = _fit_aj(dur, g["outcome"], 2)
        cw = _collapse(won.cumulative_density_.iloc[:, 0])
        ages = cw.index.to_numpy(dtype=float)
        cl_ = _collapse(lost.cumulative_density_.iloc[:, 0]).reindex(ages)
        ciw = won.confidence_interval_cumulative_density_
        cil = lost.confidence_interval_cumulative_density_
        ciw = pd.DataFrame({c: _collapse(ciw[c]) for c in ciw.columns}).reindex(ages)
        cil = pd.DataFrame({c: _collapse(cil[c]) for c in cil.columns}).reindex(ages)
        raw = g["duration_days"].to_numpy(dtype=float)
        at_risk = (raw[None, :] >= ages[:, None] - 1e-9).sum(axis=1)
        f = pd.DataFrame(
            {
                "age_days": ages,
                "deals_at_risk": at_risk.astype("int64"),
                "won": cw.to_numpy(),
                "won_ci_lower": ciw.iloc[:, 0].to_numpy(),
                "won_ci_upper": ciw.iloc[:, 1].to_numpy(),
                "lost": cl_.fillna(0.0).to_numpy(),
                "lost_ci_lower": cil.iloc[:, 0].to_numpy(),
                "lost_ci_upper": cil.iloc[:, 1].to_numpy(),
            }
        )
        f["open"] = 1.0 - f["won"] - f["lost"]
        for i, col in enumerate(by_cols):
            f.insert(i, col, key[i])
        frames.append(f)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    frame.attrs.update(period=w.label, as_of=w.seen - pd.Timedelta(days=1))
    return _tidy_keys(frame, by_cols)


@_docs
def lead_conversion(
    data: Any,
    *,
    by: str | Sequence[str] | None = "source",
    period: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Lead to opportunity and lead to won conversion, by lead source.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Leads with ``lead_id, created_at`` and ``converted_at``, ``deal_id``,
        ``source``; a Dataset with deals also gives the won step.
    by : str or list of str, optional, default "source"
        Lead columns to break down by; None for one row.
    {period}
        The cohort: leads *created* in it.
    {cas_of}

    Returns
    -------
    pandas.DataFrame
        One row per group: ``leads``, ``leads_converted``,
        ``lead_to_opportunity_rate``, ``leads_won``, ``lead_to_won_rate``,
        ``days_to_convert_median``, ``days_to_convert_mean``.

    Notes
    -----
    **Definition.** A lead converts when it becomes an opportunity (a deal):
    ``converted_at`` set before the cutoff. It is won when its deal is won
    before the cutoff.

    **Formula.** ``lead_to_opportunity_rate = leads_converted / leads``;
    ``lead_to_won_rate = leads_won / leads``; days to convert =
    ``converted_at - created_at`` over converted leads.

    **Convention.** Cohort rates: leads created in the period, followed to the
    as-of date. Leads created just before it have had little time and pull the
    rate down; compare mature cohorts, or use :func:`pipeline_funnel`, which
    reports the deals still open apart.

    Examples
    --------
    >>> import churnlab as cl
    >>> lc = cl.lead_conversion(cl.sample_dataset())
    >>> lc["source"].tolist()
    ['event', 'inbound', 'outbound', 'partner']
    >>> planted = [0.25, 0.35, 0.15, 0.50]  # data/README.md
    >>> bool((lc["lead_to_opportunity_rate"] - planted).abs().max() < 0.02)
    True
    """
    ds = _dataset(data, "leads")
    leads = ds.table("leads")
    by_cols = _by_list(by)
    _check_by(leads, "leads", by_cols)
    w = _window(period, as_of=as_of, latest=_latest(ds, "leads", "deals"), follow=True)
    expr = _lead_expr(ds, leads, w, by_cols)
    frame = engine.execute(expr)
    frame.insert(
        frame.columns.get_loc("leads_converted") + 1,
        "lead_to_opportunity_rate",
        _ratio(frame["leads_converted"], frame["leads"]),
    )
    frame.insert(
        frame.columns.get_loc("leads_won") + 1,
        "lead_to_won_rate",
        _ratio(frame["leads_won"], frame["leads"]),
    )
    frame = (
        frame.sort_values(by_cols, kind="stable", ignore_index=True)
        if by_cols
        else frame
    )
    frame.attrs.update(period=w.label, as_of=w.seen - pd.Timedelta(days=1))
    return _tidy_keys(frame, by_cols)


def _lead_flags(ds: contract.Dataset, leads: ir.Table, w: _Window) -> ir.Table:
    cohort = leads.filter(_in(leads.created_at, w))
    if "converted_at" in cohort.columns:
        converted = (cohort.converted_at < _lit(w.seen)).fill_null(False)
    else:
        converted = cohort.deal_id.notnull() if "deal_id" in cohort.columns else False
        converted = ibis.literal(False) if converted is False else converted
    cohort = cohort.mutate(converted=converted)
    deals = ds.deals
    if deals is not None and "deal_id" in cohort.columns:
        d = deals.select(d_id=deals.deal_id, d_won=_won_by(deals, w.seen))
        cohort = cohort.left_join(d, cohort.deal_id == d.d_id).drop("d_id")
        cohort = cohort.mutate(won=cohort.d_won.fill_null(False) & cohort.converted)
    else:
        cohort = cohort.mutate(won=ibis.null("boolean"))
    return cohort


def _lead_expr(
    ds: contract.Dataset, leads: ir.Table, w: _Window, by: list[str]
) -> ir.Table:
    cohort = _lead_flags(ds, leads, w)
    if "converted_at" in cohort.columns:
        days = ibis.cases(
            (cohort.converted, _days(cohort.converted_at, cohort.created_at))
        )
    else:
        days = ibis.null("float64")
    cohort = cohort.mutate(days=days)
    aggs = {
        "leads": cohort.count(),
        "leads_converted": _int(cohort.converted).sum(),
        "leads_won": _int(cohort.won).sum(),
        "days_to_convert_median": cohort.days.median(),
        "days_to_convert_mean": cohort.days.mean(),
    }
    if by:
        return cohort.group_by(by).agg(**aggs)
    return cohort.aggregate(**aggs)


@_docs
def pipeline_funnel(
    data: Any,
    *,
    period: Any = None,
    by: str | Sequence[str] | None = None,
    as_of: Any = None,
    visitors: int | None = None,
) -> pd.DataFrame:
    """The sales funnel: (visitors ->) leads -> opportunities -> won.

    Parameters
    ----------
    data : Dataset or path
        Holds ``leads`` (and ``deals`` for the won step); without leads the
        funnel starts at opportunities (deals).
    {period}
        The cohort: leads (or deals) *created* in it.
    by : str or list of str, optional
        Lead columns (e.g. ``"source"``), or deal columns when there are no leads.
    {cas_of}
    visitors : int, optional
        Site visitors in the period (no contract table holds them); adds a first
        step ``visitors``.

    Returns
    -------
    pandas.DataFrame
        One row per step (and group): ``step_index``, ``step``, ``count``,
        ``count_previous``, ``conversion_from_previous``, ``count_first``,
        ``conversion_from_first``, ``in_progress``.

    Notes
    -----
    **Definition.** A cohort of leads created in the period, followed to the
    as-of date: ``opportunities`` are leads converted to a deal, ``won`` those
    whose deal was won.

    **Formula.** ``conversion_from_previous = count / count_previous``;
    ``conversion_from_first = count / count_first``.

    **Convention.** ``in_progress`` on the ``won`` row counts opportunities
    still open at the as-of date: they are neither won nor lost yet (censored),
    so a young cohort's won conversion is a floor, not an estimate; see
    :func:`win_rates` for the censoring-aware rate. ``visitors`` is a parameter
    because no table holds them.

    Examples
    --------
    >>> import churnlab as cl
    >>> p = cl.pipeline_funnel(cl.sample_dataset(), period="2026-01")
    >>> p["step"].tolist()
    ['leads', 'opportunities', 'won']
    """
    if isinstance(data, contract.Dataset) or _is_dataset_folder(data):
        ds = contract.load_dataset(data)
    else:
        ds = _dataset(data, "leads")
    by_cols = _by_list(by)
    if visitors is not None and (
        isinstance(visitors, bool) or not isinstance(visitors, int | np.integer)
    ):
        raise ParameterError(f"visitors={visitors!r} must be a whole number.")
    if ds.leads is not None:
        leads = ds.leads
        _check_by(leads, "leads", by_cols)
        w = _window(
            period, as_of=as_of, latest=_latest(ds, "leads", "deals"), follow=True
        )
        cohort = _lead_flags(ds, leads, w)
        if ds.deals is not None and "deal_id" in cohort.columns:
            d = ds.deals
            opn = d.select(o_id=d.deal_id, o_open=_open_at(d, w.seen))
            cohort = cohort.left_join(opn, cohort.deal_id == opn.o_id).drop("o_id")
            still = cohort.converted & cohort.o_open.fill_null(False)
        else:
            still = ibis.literal(False)
        aggs = {
            "n_leads": cohort.count(),
            "n_opportunities": _int(cohort.converted).sum(),
            "n_won": _int(cohort.won).sum(),
            "open_won": _int(still).sum(),
        }
        steps = ["leads", "opportunities", "won"]
        has_won = ds.deals is not None
    else:
        deals = ds.table("deals")
        _check_by(deals, "deals", by_cols)
        w = _window(period, as_of=as_of, latest=_latest(ds, "deals"), follow=True)
        cohort = deals.filter(_in(deals.created_at, w))
        aggs = {
            "n_opportunities": cohort.count(),
            "n_won": _int(_won_by(cohort, w.seen)).sum(),
            "open_won": _int(_open_at(cohort, w.seen)).sum(),
        }
        steps = ["opportunities", "won"]
        has_won = True
    expr = cohort.group_by(by_cols).agg(**aggs) if by_cols else cohort.aggregate(**aggs)
    wide = engine.execute(expr)
    frames = []
    names = (["visitors"] if visitors is not None else []) + steps
    for i, step in enumerate(names, 1):
        f = wide[by_cols].copy()
        f["step_index"] = i
        f["step"] = step
        if step == "visitors":
            f["count"] = int(visitors)
        else:
            f["count"] = wide[f"n_{step}"].fillna(0).astype("int64")
        if step == "won" and not has_won:
            f["count"] = np.nan
        f["in_progress"] = (
            wide["open_won"].fillna(0).astype("int64") if step == "won" else 0
        )
        frames.append(f)
    out = pd.concat(frames, ignore_index=True).sort_values(
        [*by_cols, "step_index"], kind="stable", ignore_index=True
    )
    grp = out.groupby(by_cols, dropna=False, sort=False)["count"] if by_cols else None
    prev = grp.shift(1) if grp is not None else out["count"].shift(1)
    first = grp.transform("first") if grp is not None else out["count"].iloc[0]
    out["count_previous"] = prev.fillna(out["count"])
    out["count_first"] = first
    out["conversion_from_previous"] = _ratio(out["count"], out["count_previous"])
    out["conversion_from_first"] = _ratio(out["count"], out["count_first"])
    cols = [
        *by_cols,
        "step_index",
        "step",
        "count",
        "count_previous",
        "conversion_from_previous",
        "count_first",
        "conversion_from_first",
        "in_progress",
    ]
    out = out[cols]
    out.attrs.update(period=w.label, as_of=w.seen - pd.Timedelta(days=1))
    return _tidy_keys(out, by_cols)


# ------------------------------------------------------------------ quotas etc.


def _targets_per_period(
    ds: contract.Dataset, freq: str, w: _Window, by: str | None
) -> tuple[ir.Table, str | None]:
    targets = ds.table("targets")
    key = None
    if by is not None:
        if by not in targets.columns:
            raise ParameterError(
                f"by={by!r}: targets has no {by!r} column "
                f"({', '.join(targets.columns)})."
            )
        key = by
    t = targets.filter(_in(targets.period, w)) if w.start is not None else targets
    t = t.filter(t.period < _lit(w.end))
    t = t.mutate(p=periods.truncate(t.period, freq))
    keys = ["p", key] if key else ["p"]
    return t.group_by(keys).agg(quota=t.quota.sum()), key


@_docs
def quota_attainment(
    data: Any,
    *,
    period: Any = None,
    freq: str = "M",
    by: str | None = "owner",
    as_of: Any = None,
) -> pd.DataFrame:
    """Quota attainment per owner (or team) and period: won revenue / quota.

    Parameters
    ----------
    data : Dataset or path
        Holds ``targets`` (owner or team, period, quota) and ``deals``.
    {period}
    freq : {{"M", "Q", "Y"}}, default "M"
        Period unit of the rows (monthly quotas are summed per quarter or year).
    by : str or None, default "owner"
        ``"owner"``, or ``"team"`` when targets are set per team (deals then
        match a team through a deals column of the same name); None for the
        whole team's total.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per period (and owner): ``period``, ``owner``, ``quota``,
        ``revenue_won``, ``deals_won``, ``attainment``.

    Notes
    -----
    **Definition.** Won revenue is the ``amount`` of deals won (``closed_at``)
    in the period, credited to the deal's owner.

    **Formula.** ``attainment = revenue_won / quota``.

    **Convention.** Only periods that have a quota are shown; a period cut by
    the as-of date compares revenue to date with the full quota. Deals of an
    owner without a quota are left out of per-owner rows but kept in the
    ``by=None`` total.

    Examples
    --------
    >>> import churnlab as cl
    >>> q = cl.quota_attainment(cl.sample_dataset(), period="2026-10")
    >>> len(q), bool(q["attainment"].between(0, 5).all())
    (12, True)
    """
    ds = data if isinstance(data, contract.Dataset) else contract.load_dataset(data)
    freq = periods.check_freq(freq)
    w = _window(period, as_of=as_of, latest=_latest(ds, "deals", "targets"))
    quotas, key = _targets_per_period(ds, freq, w, by)
    deals = ds.table("deals")
    if key is not None and key not in deals.columns:
        raise ParameterError(
            f"by={key!r}: deals have no {key!r} column to credit wins to."
        )
    won = deals.filter(_won_by(deals, w.end) & _in(_closed_at(deals), w))
    won = won.mutate(p=periods.truncate(_closed_at(won), freq))
    keys = ["p", key] if key else ["p"]
    wins = won.group_by(keys).agg(revenue_won=won.amount.sum(), deals_won=won.count())
    joined = quotas.left_join(wins, [quotas[k] == wins[k] for k in keys]).select(
        *[quotas[k] for k in keys], "quota", "revenue_won", "deals_won"
    )
    frame = engine.execute(joined).rename(columns={"p": "period"})
    frame["revenue_won"] = frame["revenue_won"].fillna(0.0)
    frame["deals_won"] = frame["deals_won"].fillna(0).astype("int64")
    frame["attainment"] = _ratio(frame["revenue_won"], frame["quota"])
    keys_out = ["period", key] if key else ["period"]
    frame = frame.sort_values(keys_out, kind="stable", ignore_index=True)
    frame = frame[[*keys_out, "quota", "revenue_won", "deals_won", "attainment"]]
    frame.attrs.update(period=w.label, as_of=w.end - pd.Timedelta(days=1))
    return _tidy_keys(frame, [key] if key else [])


@_docs
def pipeline_coverage(
    data: Any,
    *,
    period: Any = None,
    by: str | None = "owner",
    at: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Pipeline coverage: open pipeline / quota still to win in the period.

    Parameters
    ----------
    data : Dataset or path
        Holds ``deals`` and ``targets``.
    {period}
        Default: the month holding the data's last day.
    by : str or None, default "owner"
        Per owner (``"owner"``) or one total row (None).
    at : date-like, optional
        When the pipeline is measured (its start of day). Default: the period's
        first day.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per owner (or one): ``owner``, ``deals_open``,
        ``pipeline_open``, ``quota``, ``revenue_won_to_date``,
        ``target_remaining``, ``coverage``.

    Notes
    -----
    **Definition.** Open pipeline at ``at`` is the amount of deals created
    before ``at`` and not closed before it; the target remaining is the
    period's quota less the revenue won from the period's start to ``at``.

    **Formula.** ``target_remaining = quota - revenue_won_to_date``;
    ``coverage = pipeline_open / target_remaining`` (NaN when nothing remains).

    **Convention.** Measured at the period's start by default, where the whole
    quota remains; 3x is a common rule of thumb. Open deals are counted at
    their full amount (not weighted by stage).

    Examples
    --------
    >>> import churnlab as cl
    >>> c = cl.pipeline_coverage(cl.sample_dataset(), period="2026-10", by=None)
    >>> bool(c["coverage"].iloc[0] > 1)
    True
    """
    ds = data if isinstance(data, contract.Dataset) else contract.load_dataset(data)
    latest = _latest(ds, "deals", "targets")
    if period is None:
        day = periods.resolve_as_of(as_of, latest=latest, freq="D")
        period = f"{day:%Y-%m}"
    w = _window(period, as_of=as_of, latest=latest)
    when = w.start if at is None else periods.parse_date(at, name="at")
    if not w.start <= when < (w.full_end or w.end):
        raise ParameterError(f"at={at!r} is not inside period {w.label}.")
    deals = ds.table("deals")
    quotas, key = _targets_per_period(
        ds, "M", _Window(w.start, w.full_end or w.end, w.label), by
    )
    keys = [key] if key else []
    q = (
        quotas.group_by(keys).agg(quota=quotas.quota.sum())
        if keys
        else quotas.aggregate(quota=quotas.quota.sum())
    )
    is_open = _open_at(deals, when)
    won_td = _won_by(deals, when) & (_closed_at(deals) >= _lit(w.start))
    aggs = {
        "deals_open": _int(is_open).sum(),
        "pipeline_open": ibis.cases((is_open, deals.amount), else_=0.0).sum(),
        "revenue_won_to_date": ibis.cases((won_td, deals.amount), else_=0.0).sum(),
    }
    if key is not None and key not in deals.columns:
        raise ParameterError(f"by={key!r}: deals have no {key!r} column.")
    d = deals.group_by(keys).agg(**aggs) if keys else deals.aggregate(**aggs)
    if keys:
        joined = q.left_join(d, [q[k] == d[k] for k in keys]).select(
            *[q[k] for k in keys], *aggs, "quota"
        )
    else:
        joined = q.cross_join(d)
    frame = engine.execute(joined)
    for col in ("deals_open",):
        frame[col] = frame[col].fillna(0).astype("int64")
    for col in ("pipeline_open", "revenue_won_to_date"):
        frame[col] = frame[col].fillna(0.0)
    frame["target_remaining"] = frame["quota"] - frame["revenue_won_to_date"]
    frame["coverage"] = _ratio(frame["pipeline_open"], frame["target_remaining"])
    cols = [
        *keys,
        "deals_open",
        "pipeline_open",
        "quota",
        "revenue_won_to_date",
        "target_remaining",
        "coverage",
    ]
    frame = frame[cols]
    if keys:
        frame = frame.sort_values(keys, ignore_index=True)
    frame.attrs.update(period=w.label, at=when)
    return _tidy_keys(frame, keys)


@_docs
def sales_velocity(
    data: Any,
    *,
    period: Any = None,
    by: str | Sequence[str] | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Sales velocity: expected revenue per day from the current pipeline flow.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Deals.
    {period}
    by : str or list of str, optional
        Deal columns to break down by.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per group: ``opportunities`` (deals created), ``deals_won``,
        ``deals_closed``, ``win_rate``, ``revenue_won``, ``average_deal_size``,
        ``cycle_days_total``, ``cycle_days_mean``, ``velocity_per_day``.

    Notes
    -----
    **Definition.** How much revenue the pipeline produces per day, from four
    levers: opportunities, deal size, win rate and cycle length.

    **Formula.** ``velocity_per_day = opportunities x average_deal_size x
    win_rate / cycle_days_mean`` with ``win_rate = deals_won / deals_closed``,
    ``average_deal_size = revenue_won / deals_won`` and ``cycle_days_mean =
    cycle_days_total / deals_won``.

    **Convention.** All inputs are flows in the period: deals created, and
    deals closed (won or lost) in it.

    Examples
    --------
    >>> import churnlab as cl
    >>> v = cl.sales_velocity(cl.sample_dataset(), period="2026-Q3")
    >>> bool(v["velocity_per_day"].iloc[0] > 0)
    True
    """
    ds = _dataset(data, "deals")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    w = _window(period, as_of=as_of, latest=_latest(ds, "deals"))
    closed_in = _in(_closed_at(deals), w)
    won = _won_by(deals, w.end) & closed_in
    lost = _lost_by(deals, w.end) & closed_in
    aggs = {
        "opportunities": _int(_in(deals.created_at, w)).sum(),
        "deals_won": _int(won).sum(),
        "deals_closed": _int(won | lost).sum(),
        "revenue_won": ibis.cases((won, deals.amount), else_=0.0).sum(),
        "cycle_days_total": ibis.cases(
            (won, _days(_closed_at(deals), deals.created_at)), else_=0.0
        ).sum(),
    }
    expr = deals.group_by(by_cols).agg(**aggs) if by_cols else deals.aggregate(**aggs)
    f = engine.execute(expr)
    f["win_rate"] = _ratio(f["deals_won"], f["deals_closed"])
    f["average_deal_size"] = _ratio(f["revenue_won"], f["deals_won"])
    f["cycle_days_mean"] = _ratio(f["cycle_days_total"], f["deals_won"])
    f["velocity_per_day"] = _ratio(
        f["opportunities"] * f["average_deal_size"] * f["win_rate"],
        f["cycle_days_mean"],
    )
    cols = [
        *by_cols,
        "opportunities",
        "deals_won",
        "deals_closed",
        "win_rate",
        "revenue_won",
        "average_deal_size",
        "cycle_days_total",
        "cycle_days_mean",
        "velocity_per_day",
    ]
    f = f[cols]
    if by_cols:
        f = f.sort_values(by_cols, kind="stable", ignore_index=True)
    f.attrs.update(period=w.label)
    return _tidy_keys(f, by_cols)


# ------------------------------------------------------------------ stages


def _stage_chain(names: list[str], order: pd.Series) -> tuple[list[str], set[str]]:
    """Chain stages in order of their mean position, and the lost stages."""
    lost = {n for n in names if "lost" in n.lower()}
    chain = [n for n in order.sort_values(kind="stable").index if n not in lost]
    return chain, lost


@_docs
def stage_conversion(
    data: Any,
    *,
    stages: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Stage-to-stage conversion and time in stage, from the stage history.

    Parameters
    ----------
    data : Dataset or path
        Holds ``deal_stages`` (deal_id, stage, entered_at) and ``deals``.
    stages : list of str, optional
        The pipeline stages in order, won stage last (e.g. ``["qualified",
        "demo", "proposal", "negotiation", "closed_won"]``). Default: the stages
        in the order deals enter them on average, leaving out stages whose name
        contains "lost" (the lost outcome).
    by : str or list of str, optional
        Deal columns to break down by.
    {period}
        The cohort: deals *created* in it.
    {cas_of}

    Returns
    -------
    pandas.DataFrame
        One row per stage but the last (and group): ``stage_index``, ``stage``,
        ``next_stage``, ``deals_entered``, ``deals_in_stage`` (still there at
        as-of: censored), ``deals_lost`` (lost from here), ``deals_advanced``,
        ``conversion_rate``, ``days_in_stage_median``, ``days_in_stage_mean``.

    Notes
    -----
    **Definition.** A deal that entered a stage advances when it later enters
    any later stage of the chain (or is won); it is lost from the stage when it
    is lost without advancing; otherwise it is still in the stage.

    **Formula.** ``conversion_rate = deals_advanced / (deals_advanced +
    deals_lost)``; days in stage = first entry of the next stage reached minus
    entry of this one, over advancing deals.

    **Convention.** Deals still in a stage are censored, not failures: they
    are left out of the rate's denominator and reported in
    ``deals_in_stage``. Skipped stages count as passed through: entering a
    later stage advances every earlier stage the deal entered.

    Examples
    --------
    >>> import churnlab as cl
    >>> s = cl.stage_conversion(cl.sample_dataset())
    >>> s["stage"].tolist()
    ['qualified', 'demo', 'proposal', 'negotiation']
    """
    ds = data if isinstance(data, contract.Dataset) else contract.load_dataset(data)
    hist = ds.table("deal_stages")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    w = _window(
        period,
        as_of=as_of,
        latest=_latest(ds, "deals", "deal_stages"),
        follow=True,
    )
    cohort = deals.filter(_in(deals.created_at, w))
    d = cohort.select(
        *by_cols,
        d_id=cohort.deal_id,
        d_won=_won_by(cohort, w.seen),
        d_lost=_lost_by(cohort, w.seen),
    )
    h = hist.filter(hist.entered_at < _lit(w.seen))
    h = h.group_by(["deal_id", "stage"]).agg(entered_at=h.entered_at.min())
    h = h.join(d, h.deal_id == d.d_id).drop("d_id")
    rows = engine.execute(h)
    if stages is None:
        rank = rows.groupby("deal_id")["entered_at"].rank(method="average")
        order = rank.groupby(rows["stage"]).mean()
        chain, _lost = _stage_chain(sorted(rows["stage"].unique()), order)
    else:
        chain = [str(s) for s in stages]
        if len(chain) < 2:
            raise ParameterError("stages= needs at least two stages.")
        unknown = set(chain) - set(rows["stage"].unique())
        if unknown and not rows.empty:
            warnings.warn(
                f"deal_stages: stage(s) {', '.join(sorted(unknown))} never entered.",
                ChurnlabWarning,
                stacklevel=2,
            )
    pos = {s: i for i, s in enumerate(chain)}
    rows = rows[rows["stage"].isin(chain)].copy()
    rows["idx"] = rows["stage"].map(pos)
    wide = rows.pivot_table(
        index="deal_id", columns="idx", values="entered_at", aggfunc="min"
    )
    meta = rows.drop_duplicates("deal_id").set_index("deal_id")[
        [*by_cols, "d_won", "d_lost"]
    ]
    meta = meta.reindex(wide.index)
    out = []
    n = len(chain)
    for i in range(n - 1):
        if i not in wide.columns:
            continue
        entered = wide[i].notna()
        later = [j for j in range(i + 1, n) if j in wide.columns]
        nxt = wide[later].min(axis=1) if later else pd.Series(pd.NaT, index=wide.index)
        advanced = entered & (nxt.notna() | meta["d_won"].astype(bool))
        lost = entered & ~advanced & meta["d_lost"].astype(bool)
        days = (nxt - wide[i]).dt.total_seconds() / _SECONDS_PER_DAY
        f = pd.DataFrame(
            {
                "entered": entered,
                "advanced": advanced,
                "lost": lost,
                "days": days.where(advanced & nxt.notna()),
            }
        )
        for c in by_cols:
            f[c] = meta[c]
        for key, g in _groups(f[f["entered"]], by_cols):
            rec: dict[str, Any] = dict(zip(by_cols, key, strict=True))
            adv, lst = int(g["advanced"].sum()), int(g["lost"].sum())
            rec.update(
                stage_index=i + 1,
                stage=chain[i],
                next_stage=chain[i + 1],
                deals_entered=len(g),
                deals_in_stage=len(g) - adv - lst,
                deals_lost=lst,
                deals_advanced=adv,
                conversion_rate=_ratio(adv, adv + lst),
                days_in_stage_median=float(g["days"].median()),
                days_in_stage_mean=float(g["days"].mean()),
            )
            out.append(rec)
    frame = pd.DataFrame(out)
    if by_cols and not frame.empty:
        frame = frame.sort_values([*by_cols, "stage_index"], ignore_index=True)
    frame.attrs.update(period=w.label, stages=chain)
    return _tidy_keys(frame, by_cols)


@_docs
def pipeline_by_stage(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Open pipeline by current stage at the as-of date.

    Parameters
    ----------
    data : Dataset or path
        Holds ``deals`` (and ``deal_stages`` to read past stages).
    by : str or list of str, optional
        Deal columns to break down by.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per stage (and group): ``stage``, ``deals_open``,
        ``pipeline_open``, ``age_days_mean``.

    Notes
    -----
    **Definition.** Deals open at the cutoff (created before it, not closed
    before it), by the latest stage entered before the cutoff.

    **Formula.** ``pipeline_open = sum(amount)``; ``age_days_mean =
    mean(cutoff - created_at)``.

    **Convention.** With ``deal_stages`` the stage is read from the history,
    so a past as-of date shows the pipeline as it was; without it, the
    deal's current ``stage`` column is used.

    Examples
    --------
    >>> import churnlab as cl
    >>> p = cl.pipeline_by_stage(cl.sample_dataset())
    >>> p["stage"].tolist()
    ['qualified', 'demo', 'proposal', 'negotiation']
    """
    ds = _dataset(data, "deals")
    deals = ds.table("deals")
    by_cols = _by_list(by)
    _check_by(deals, "deals", by_cols)
    day = periods.resolve_as_of(
        as_of, latest=_latest(ds, "deals", "deal_stages"), freq="D"
    )
    cut = periods.cutoff(day)
    live = deals.filter(_open_at(deals, cut))
    live = live.mutate(age=_days(_lit(cut), live.created_at))
    if ds.deal_stages is not None:
        h = ds.deal_stages
        h = h.filter(h.entered_at < _lit(cut))
        h = h.mutate(
            rn=ibis.row_number().over(
                ibis.window(
                    group_by="deal_id", order_by=[ibis.desc(h.entered_at), h.stage]
                )
            )
        )
        cur = h.filter(h.rn == 0).select(s_id=h.deal_id, cur_stage=h.stage)
        live = live.left_join(cur, live.deal_id == cur.s_id)
        stage = live.cur_stage
        if "stage" in deals.columns:
            stage = stage.fill_null(live.stage)
    elif "stage" in deals.columns:
        stage = live.stage
    else:
        raise ParameterError("pipeline_by_stage needs deals.stage or deal_stages.")
    live = live.mutate(stage_now=stage.fill_null("(none)"))
    expr = live.group_by([*by_cols, "stage_now"]).agg(
        deals_open=live.count(),
        pipeline_open=live.amount.sum(),
        age_days_mean=live.age.mean(),
    )
    f = engine.execute(expr).rename(columns={"stage_now": "stage"})
    if ds.deal_stages is not None:
        ranks = _stage_rank(ds, cut)
        f["_r"] = f["stage"].map(ranks).fillna(len(ranks))
    else:
        f["_r"] = 0
    f = f.sort_values([*by_cols, "_r", "stage"], ignore_index=True).drop(columns="_r")
    f = f[[*by_cols, "stage", "deals_open", "pipeline_open", "age_days_mean"]]
    f.attrs.update(as_of=day)
    return _tidy_keys(f, by_cols)


def _stage_rank(ds: contract.Dataset, cut: pd.Timestamp) -> dict[str, float]:
    """Average position of each stage within its deals (the chain order)."""
    h = ds.table("deal_stages")
    h = h.filter(h.entered_at < _lit(cut))
    r = h.mutate(
        pos=ibis.rank().over(ibis.window(group_by="deal_id", order_by=h.entered_at))
    )
    f = engine.execute(r.group_by("stage").agg(pos=r.pos.mean()))
    return dict(zip(f["stage"], f["pos"], strict=True))


# ---------------------------------------------------------------- activities


_NOT_HELD = ("no_show", "no-show", "noshow", "cancelled", "canceled", "rescheduled")


def _complete(frame: pd.DataFrame, freq: str, cut: pd.Timestamp) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[periods.period_end(frame["period"], freq) <= cut]


@_docs
def sales_activity(
    data: Any,
    *,
    by: str | Sequence[str] | None = "owner",
    period: Any = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """Meetings booked, demos and pitch rate per owner and period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Activities with ``owner, type, at`` and ``deal_id``, ``outcome``.
    by : str or list of str, optional, default "owner"
        Activity columns to break down by; None for the team.
    {period}
        Default: every complete period up to ``as_of``.
    freq : {{"D", "W", "M", "Q", "Y"}}, default "M"
        Period unit of the rows.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per period (and owner): ``period``, ``calls``, ``emails``,
        ``meetings_booked``, ``meetings_held``, ``demos``, ``deals_pitched``,
        ``deals_contacted``, ``pitch_rate``.

    Notes
    -----
    **Definition.** A meeting is booked when a ``meeting`` activity is logged;
    it is held unless its outcome says no-show, cancelled or rescheduled. A
    deal is pitched in a period when it has a ``demo`` activity then, and
    contacted when it has any activity then.

    **Formula.** ``pitch_rate = deals_pitched / deals_contacted``.

    **Convention.** Activities without a ``deal_id`` (prospecting touches) count
    as calls and emails but not as contacted deals, so the pitch rate is
    measured on opportunities. Rows are complete periods only.

    Examples
    --------
    >>> import churnlab as cl
    >>> a = cl.sales_activity(cl.sample_dataset(), period="2026-10")
    >>> len(a), bool(a["pitch_rate"].between(0, 1).all())
    (12, True)
    """
    ds = _dataset(data, "activities")
    acts = ds.table("activities")
    by_cols = _by_list(by)
    _check_by(acts, "activities", by_cols)
    freq = periods.check_freq(freq)
    w = _window(period, as_of=as_of, latest=_latest(ds, "activities"))
    a = acts.filter(_in(acts.at, w))
    if period is not None:
        key = _lit(w.start)
    else:
        key = periods.truncate(a.at, freq)
    a = a.mutate(period=key)
    typ = a.type
    outcome = a.outcome.lower() if "outcome" in a.columns else ibis.null("string")
    deal = a.deal_id if "deal_id" in a.columns else ibis.null("string")
    held = (typ == "meeting") & ~outcome.isin(list(_NOT_HELD)).fill_null(False)
    expr = a.group_by(["period", *by_cols]).agg(
        calls=_int(typ == "call").sum(),
        emails=_int(typ == "email").sum(),
        meetings_booked=_int(typ == "meeting").sum(),
        meetings_held=_int(held).sum(),
        demos=_int(typ == "demo").sum(),
        deals_pitched=ibis.cases((typ == "demo", deal)).nunique(),
        deals_contacted=deal.nunique(),
    )
    f = engine.execute(expr)
    if period is None:
        f = _complete(f, freq, w.end)
    f = f.copy()
    f["pitch_rate"] = _ratio(f["deals_pitched"], f["deals_contacted"])
    f = f.sort_values(["period", *by_cols], kind="stable", ignore_index=True)
    f.attrs.update(period=w.label, freq=freq)
    return _tidy_keys(f, by_cols)


# ------------------------------------------------------------------- revenue


def _location(ds: contract.Dataset, orders: ir.Table) -> ir.Table:
    if "location" in orders.columns:
        return orders.mutate(loc=orders.location)
    customers = ds.customers
    if customers is not None and "country" in customers.columns:
        c = customers.select(c_id=customers.customer_id, loc=customers.country)
        return orders.left_join(c, orders.customer_id == c.c_id).drop("c_id")
    raise ParameterError(
        "Sales by location needs orders.location or customers.country; "
        "this dataset has neither."
    )


@_docs
def sales_by_location(
    data: Any,
    *,
    period: Any = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Revenue by location, with its share and growth.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders (``location`` column, or a Dataset whose customers have a
        ``country``).
    {period}
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per location, largest first: ``location``, ``orders``,
        ``customers``, ``revenue``, ``revenue_total``, ``revenue_share``,
        ``revenue_previous``, ``growth``.

    Notes
    -----
    **Definition.** Revenue is the sum of order amounts in the period with
    refunds subtracted, by the order's location (else the customer's country).

    **Formula.** ``revenue_share = revenue / revenue_total``; ``growth =
    (revenue - revenue_previous) / revenue_previous``, against the previous
    period of the same length.

    **Convention.** ``orders`` and ``customers`` count purchases (refund rows
    excluded); missing locations show as ``None``.

    Examples
    --------
    >>> import churnlab as cl
    >>> s = cl.sales_by_location(cl.sample_dataset(), period="2026-10")
    >>> s["location"].iloc[0]
    'US'
    """
    ds = _dataset(data, "orders")
    orders = _location(ds, ds.table("orders"))
    w = _window(period, as_of=as_of, latest=_latest(ds, "orders"))
    prev = w.shift(months=w.months) if w.start is not None and w.months else None
    if w.start is not None and prev is None:
        prev = w.shift()
    net = _net_amount(orders)
    cur = _in(orders.ordered_at, w)
    buy = cur & ~orders.is_refund
    aggs = {
        "orders": _int(buy).sum(),
        "customers": ibis.cases((buy, orders.customer_id)).nunique(),
        "revenue": ibis.cases((cur, net), else_=0.0).sum(),
    }
    if prev is not None:
        aggs["revenue_previous"] = ibis.cases(
            (_in(orders.ordered_at, prev), net), else_=0.0
        ).sum()
    f = engine.execute(orders.group_by("loc").agg(**aggs)).rename(
        columns={"loc": "location"}
    )
    if "revenue_previous" not in f:
        f["revenue_previous"] = np.nan
    f = f[
        (f["orders"] > 0) | (f["revenue"] != 0) | (f["revenue_previous"].fillna(0) != 0)
    ]
    f = f.copy()
    f["revenue_total"] = f["revenue"].sum()
    f["revenue_share"] = _ratio(f["revenue"], f["revenue_total"])
    f["growth"] = _ratio(f["revenue"] - f["revenue_previous"], f["revenue_previous"])
    cols = [
        "location",
        "orders",
        "customers",
        "revenue",
        "revenue_total",
        "revenue_share",
        "revenue_previous",
        "growth",
    ]
    f = f[cols].sort_values(["revenue", "location"], ascending=[False, True])
    f = f.reset_index(drop=True)
    f.attrs.update(period=w.label)
    return _tidy_keys(f, ["location"])


@_docs
def revenue_new_vs_existing(
    data: Any,
    *,
    period: Any = None,
    freq: str = "M",
    as_of: Any = None,
) -> pd.DataFrame:
    """Revenue from new customers vs existing ones, per period.

    Parameters
    ----------
    data : Dataset, DataFrame, path or ibis.Table
        Orders.
    {period}
        One row for this period; default: every complete period.
    freq : {{"D", "W", "M", "Q", "Y"}}, default "M"
        Period unit of the rows when ``period`` is None.
    {sas_of}

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period``, ``customers_new``,
        ``customers_existing``, ``revenue_new``, ``revenue_existing``,
        ``revenue``, ``revenue_share_new``, ``revenue_share_existing``.

    Notes
    -----
    **Definition.** A customer is new in the period of their first purchase
    (first ever, not first in the period) and existing afterwards.

    **Formula.** ``revenue_share_new = revenue_new / revenue``;
    ``revenue_share_existing = revenue_existing / revenue``.

    **Convention.** Revenue nets refunds; a refund is attributed to the
    customer's status in the period the refund is dated. Customers are
    counted when they purchase in the period.

    Examples
    --------
    >>> import churnlab as cl
    >>> r = cl.revenue_new_vs_existing(cl.sample_dataset(), period="2026-10")
    >>> r[["customers_new", "customers_existing"]].iloc[0].tolist()
    [189, 1818]
    """
    ds = _dataset(data, "orders")
    orders = ds.table("orders")
    freq = periods.check_freq(freq)
    w = _window(period, as_of=as_of, latest=_latest(ds, "orders"))
    first = (
        orders.filter(~orders.is_refund)
        .group_by("customer_id")
        .agg(first_at=_.ordered_at.min())
        .rename(f_id="customer_id")
    )
    o = orders.filter(_in(orders.ordered_at, w))
    o = o.left_join(first, o.customer_id == first.f_id).drop("f_id")
    if period is not None:
        p = _lit(w.start)
        first_p = ibis.cases((_in(o.first_at, w), p))
    else:
        p = periods.truncate(o.ordered_at, freq)
        first_p = periods.truncate(o.first_at, freq)
    o = o.mutate(period=p, is_new=(first_p == p).fill_null(False), net=_net_amount(o))
    buy = ~o.is_refund
    expr = o.group_by("period").agg(
        customers_new=ibis.cases((buy & o.is_new, o.customer_id)).nunique(),
        customers_existing=ibis.cases((buy & ~o.is_new, o.customer_id)).nunique(),
        revenue_new=ibis.cases((o.is_new, o.net), else_=0.0).sum(),
        revenue_existing=ibis.cases((~o.is_new, o.net), else_=0.0).sum(),
    )
    f = engine.execute(expr)
    if period is None:
        f = _complete(f, freq, w.end)
    f = f.copy()
    f["revenue"] = f["revenue_new"] + f["revenue_existing"]
    f["revenue_share_new"] = _ratio(f["revenue_new"], f["revenue"])
    f["revenue_share_existing"] = _ratio(f["revenue_existing"], f["revenue"])
    f = f.sort_values("period", ignore_index=True)
    f.attrs.update(period=w.label, freq=freq)
    return f


# ------------------------------------------------------------------------ KPIs

_PARAMS = {
    "market_size": "number of potential customers in the market (market penetration)",
    "sales_expenses": "sales and marketing expenses of the period (sales expense "
    "ratio); a number, or a mapping of period label to number",
    "gross_margin": "gross margin as a fraction, e.g. 0.8 (average margin, LTV)",
    "cost_of_sales": "cost of goods sold in the period (average margin); a number "
    "or a mapping of period label to number",
    "inactivity_days": "inactivity window for order-only churn (default 90)",
}


@dataclass
class _K:
    """One KPI's value in one window."""

    value: float = np.nan
    numerator: float = np.nan
    denominator: float = np.nan
    missing: tuple[str, ...] = ()
    detail: str = ""


_KPIS: list[tuple[str, str, str, str]] = [
    # name, kind, unit, formula
    ("total_revenue", "output, result", "money",
     "sum(order amount) in the period, refunds subtracted"),
    ("revenue_growth_qoq", "growth, result", "growth",
     "(revenue of the 3 months ending with the period - the 3 months before) / "
     "the 3 months before"),
    ("revenue_growth_yoy", "growth, result", "growth",
     "(revenue - revenue of the same period a year earlier) / the latter"),
    ("repeat_customer_rate", "quality, result", "rate",
     "customers buying in the period who had bought before it / customers buying "
     "in the period"),
    ("average_deal_size", "output", "money",
     "amount of deals won in the period / deals won"),
    ("win_rate", "quality, efficiency", "rate",
     "deals won in the period / deals closed (won + lost) in the period"),
    ("deal_slippage", "quality", "rate",
     "deals lost in the period / deals closed in the period"),
    ("sales_cycle_length", "efficiency", "days",
     "sum of (closed_at - created_at) of deals won in the period / deals won"),
    ("lead_conversion_rate", "efficiency, output", "rate",
     "deals won in the period / leads created in the period"),
    ("lead_to_opportunity_rate", "efficiency", "rate",
     "leads converted to a deal in the period / leads created in the period"),
    ("sales_conversion_rate", "efficiency", "rate",
     "deals won in the period / deals (opportunities) created in the period"),
    ("pipeline_coverage", "input", "ratio",
     "amount of deals open at the period start / quota of the period"),
    ("quota_attainment", "result", "ratio",
     "amount of deals won in the period / quota of the period"),
    ("acv", "output", "money per year",
     "12 x starting MRR of customers new in the period / new customers"),
    ("sales_expense_ratio", "efficiency", "ratio",
     "sales_expenses / total revenue"),
    ("average_margin", "quality, result", "rate",
     "(total revenue - cost_of_sales) / total revenue, or gross_margin"),
    ("market_penetration", "growth, result", "rate",
     "customers active at the period end / market_size"),
    ("meetings_booked", "input", "count", "meeting activities in the period"),
    ("pitch_rate", "input, efficiency", "rate",
     "deals with a demo in the period / deals with any activity in the period"),
    ("sales_by_location", "output", "rate",
     "revenue of the largest location / total revenue (see sales_by_location)"),
    ("revenue_share_new", "growth", "rate",
     "revenue from customers whose first purchase is in the period / total "
     "revenue (existing = 1 - new)"),
    ("nrr", "growth, quality", "ratio",
     "MRR at the period end of customers active at its start / MRR at the start"),
    ("arpa", "output", "money per month",
     "MRR at the period end / customers active at the period end"),
    ("ltv", "result", "money",
     "ARPA x gross margin / monthly churn rate (monthly churn = churn_rate / "
     "months in the period)"),
    ("churn_rate", "quality", "rate",
     "customers active at the period start and not at its end / active at the "
     "start"),
    ("sales_velocity", "efficiency, output", "money per day",
     "deals created x average deal size x win rate / sales cycle length"),
]  # fmt: skip


_ORDER_KPIS = (
    "total_revenue",
    "revenue_growth_qoq",
    "revenue_growth_yoy",
    "repeat_customer_rate",
    "revenue_share_new",
    "sales_by_location",
    "sales_expense_ratio",
    "average_margin",
)
_DEAL_KPIS = (
    "average_deal_size",
    "win_rate",
    "deal_slippage",
    "sales_cycle_length",
    "sales_conversion_rate",
    "sales_velocity",
)


def _months(w: _Window) -> float:
    if w.months:
        return float(w.months)
    if w.start is None:
        return np.nan
    return (w.end - w.start).total_seconds() / _SECONDS_PER_DAY / 30.4375


def _param_for(params: Mapping[str, Any], name: str, w: _Window, current: bool) -> Any:
    value = params.get(name)
    if isinstance(value, Mapping):
        return value.get(w.label)
    return value if current else None


def _check_params(params: Mapping[str, Any]) -> None:
    unknown = sorted(set(params) - set(_PARAMS))
    if unknown:
        listed = "; ".join(f"{k}: {v}" for k, v in _PARAMS.items())
        raise ParameterError(
            f"Unknown KPI parameter(s) {', '.join(unknown)}. Known: {listed}."
        )
    for name in ("market_size", "gross_margin"):
        v = params.get(name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            raise ParameterError(f"{name}={v!r} must be a number.")
    gm = params.get("gross_margin")
    if gm is not None and not 0 < gm <= 1:
        raise ParameterError(f"gross_margin={gm!r} must be a fraction in (0, 1].")
    ms = params.get("market_size")
    if ms is not None and ms <= 0:
        raise ParameterError(f"market_size={ms!r} must be positive.")


def _revenue_daily(ds: contract.Dataset) -> pd.Series:
    o = ds.orders
    expr = o.group_by(day=o.ordered_at.truncate("D")).agg(revenue=_net_amount(o).sum())
    f = engine.execute(expr)
    return f.set_index("day")["revenue"].sort_index()


def _sum_between(s: pd.Series, start: pd.Timestamp | None, end: pd.Timestamp) -> float:
    idx = s.index
    mask = idx < end if start is None else (idx >= start) & (idx < end)
    return float(s[mask].sum())


def _order_stats(ds: contract.Dataset, wins: dict[str, _Window]) -> dict[str, dict]:
    o = ds.orders
    net = _net_amount(o)
    per = {
        "first_at": ibis.cases((~o.is_refund, o.ordered_at)).min(),
        "n_buys": _int(~o.is_refund).sum(),
    }
    for i, w in enumerate(wins.values()):
        per[f"b{i}"] = _int(_in(o.ordered_at, w) & ~o.is_refund).max()
        per[f"r{i}"] = ibis.cases((_in(o.ordered_at, w), net), else_=0.0).sum()
    c = o.group_by("customer_id").agg(**per)
    aggs = {}
    for i, w in enumerate(wins.values()):
        bought = c[f"b{i}"] == 1
        before = (
            (c.first_at < _lit(w.start)) if w.start is not None else (c.n_buys >= 2)
        ).fill_null(False)
        aggs[f"buyers{i}"] = _int(bought).sum()
        aggs[f"repeat{i}"] = _int(bought & before).sum()
        aggs[f"rev_new{i}"] = ibis.cases(
            (_in(c.first_at, w), c[f"r{i}"]), else_=0.0
        ).sum()
    row = engine.execute(c.aggregate(**aggs)).iloc[0]
    daily = _revenue_daily(ds)
    has_loc = "location" in o.columns or (
        ds.customers is not None and "country" in ds.customers.columns
    )
    loc_rows = _location_stats(ds, wins) if has_loc else None
    out: dict[str, dict] = {}
    for i, (name, w) in enumerate(wins.items()):
        rev = _sum_between(daily, w.start, w.end)
        q_end = w.end
        q_start = q_end - pd.DateOffset(months=3)
        q_prev = q_start - pd.DateOffset(months=3)
        rq = _sum_between(daily, q_start, q_end)
        rqp = _sum_between(daily, q_prev, q_start)
        ly = None
        if w.start is not None:
            ly = _sum_between(
                daily, w.start - pd.DateOffset(years=1), w.end - pd.DateOffset(years=1)
            )
        first_day = daily.index.min() if len(daily) else None
        out[name] = {
            "revenue": rev,
            "rev_q": rq,
            "rev_q_prev": rqp
            if first_day is not None and first_day <= q_prev
            else np.nan,
            "rev_ly": (
                ly
                if ly is not None
                and first_day is not None
                and first_day <= w.start - pd.DateOffset(years=1)
                else np.nan
            ),
            "buyers": float(row[f"buyers{i}"] or 0),
            "repeat": float(row[f"repeat{i}"] or 0),
            "rev_new": float(row[f"rev_new{i}"] or 0.0),
            "locations": loc_rows[name] if loc_rows is not None else None,
        }
    return out


def _location_stats(ds: contract.Dataset, wins: dict[str, _Window]) -> dict[str, Any]:
    o = _location(ds, ds.orders)
    net = _net_amount(o)
    aggs = {
        f"r{i}": ibis.cases((_in(o.ordered_at, w), net), else_=0.0).sum()
        for i, w in enumerate(wins.values())
    }
    f = engine.execute(o.group_by("loc").agg(**aggs))
    return {
        name: f.set_index("loc")[f"r{i}"].sort_values(ascending=False)
        for i, name in enumerate(wins)
    }


def _deal_stats(ds: contract.Dataset, wins: dict[str, _Window]) -> dict[str, dict]:
    d = ds.deals
    aggs: dict[str, Any] = {}
    for i, w in enumerate(wins.values()):
        closed_in = _in(_closed_at(d), w)
        won = _won_by(d, w.end) & closed_in
        lost = _lost_by(d, w.end) & closed_in
        aggs[f"won{i}"] = _int(won).sum()
        aggs[f"won_amount{i}"] = ibis.cases((won, d.amount), else_=0.0).sum()
        aggs[f"lost{i}"] = _int(lost).sum()
        aggs[f"created{i}"] = _int(_in(d.created_at, w)).sum()
        aggs[f"cycle{i}"] = ibis.cases(
            (won, _days(_closed_at(d), d.created_at)), else_=0.0
        ).sum()
        if w.start is not None:
            is_open = _open_at(d, w.start)
            aggs[f"pipe{i}"] = ibis.cases((is_open, d.amount), else_=0.0).sum()
    row = engine.execute(d.aggregate(**aggs)).iloc[0]
    out = {}
    for i, (name, w) in enumerate(wins.items()):
        out[name] = {
            "won": float(row[f"won{i}"] or 0),
            "won_amount": float(row[f"won_amount{i}"] or 0.0),
            "lost": float(row[f"lost{i}"] or 0),
            "created": float(row[f"created{i}"] or 0),
            "cycle": float(row[f"cycle{i}"] or 0.0),
            "pipeline": float(row[f"pipe{i}"] or 0.0)
            if w.start is not None
            else np.nan,
        }
    return out


def _lead_stats(ds: contract.Dataset, wins: dict[str, _Window]) -> dict[str, dict]:
    leads = ds.leads
    aggs: dict[str, Any] = {}
    for i, w in enumerate(wins.values()):
        aggs[f"created{i}"] = _int(_in(leads.created_at, w)).sum()
        if "converted_at" in leads.columns:
            aggs[f"conv{i}"] = _int(_in(leads.converted_at, w)).sum()
    row = engine.execute(leads.aggregate(**aggs)).iloc[0]
    return {
        name: {
            "leads": float(row[f"created{i}"] or 0),
            "converted": float(row[f"conv{i}"] or 0) if f"conv{i}" in row else np.nan,
        }
        for i, name in enumerate(wins)
    }


def _target_stats(ds: contract.Dataset, wins: dict[str, _Window]) -> dict[str, float]:
    t = ds.targets
    aggs = {
        f"q{i}": ibis.cases((_in(t.period, w), t.quota), else_=0.0).sum()
        for i, w in enumerate(wins.values())
    }
    row = engine.execute(t.aggregate(**aggs)).iloc[0]
    return {
        name: (float(row[f"q{i}"]) if row[f"q{i}"] else np.nan)
        for i, name in enumerate(wins)
    }


def _activity_stats(ds: contract.Dataset, wins: dict[str, _Window]) -> dict[str, dict]:
    a = ds.activities
    deal = a.deal_id if "deal_id" in a.columns else ibis.null("string")
    aggs: dict[str, Any] = {}
    for i, w in enumerate(wins.values()):
        inw = _in(a.at, w)
        aggs[f"meet{i}"] = _int(inw & (a.type == "meeting")).sum()
        aggs[f"contact{i}"] = ibis.cases((inw, deal)).nunique()
        aggs[f"pitch{i}"] = ibis.cases((inw & (a.type == "demo"), deal)).nunique()
    row = engine.execute(a.aggregate(**aggs)).iloc[0]
    return {
        name: {
            "meetings": float(row[f"meet{i}"] or 0),
            "contacted": float(row[f"contact{i}"] or 0),
            "pitched": float(row[f"pitch{i}"] or 0),
        }
        for i, name in enumerate(wins)
    }


def _customer_stats(
    ds: contract.Dataset, wins: dict[str, _Window], inactivity_days: int | None
) -> dict[str, dict]:
    spans = states.intervals(
        ds, inactivity_days=None if ds.subscriptions is not None else inactivity_days
    )
    spans = spans.mutate(fs=spans.start.min().over(group_by="customer_id"))

    def active(b: pd.Timestamp) -> ir.BooleanValue:
        return (spans.start < _lit(b)) & (spans.end.isnull() | (spans.end >= _lit(b)))

    per: dict[str, Any] = {
        "fs": spans.fs.min(),
        "first_mrr": ibis.cases(
            (spans.start == spans.fs, spans.mrr_cents), else_=0
        ).sum(),
    }
    bounds: dict[str, pd.Timestamp] = {}
    for w in wins.values():
        for b in (w.start, w.end):
            if b is not None:
                bounds[f"{b:%Y%m%d%H%M%S}"] = b
    for key, b in bounds.items():
        per[f"a{key}"] = _int(active(b)).max()
        per[f"m{key}"] = ibis.cases((active(b), spans.mrr_cents), else_=0).sum()
    c = spans.group_by("customer_id").agg(**per)
    aggs: dict[str, Any] = {}
    for key in bounds:
        aggs[f"n{key}"] = c[f"a{key}"].sum()
        aggs[f"mrr{key}"] = c[f"m{key}"].sum()
    for i, w in enumerate(wins.values()):
        e = f"{w.end:%Y%m%d%H%M%S}"
        aggs[f"new{i}"] = _int(_in(c.fs, w)).sum()
        aggs[f"new_mrr{i}"] = ibis.cases((_in(c.fs, w), c.first_mrr), else_=0).sum()
        if w.start is not None:
            s = f"{w.start:%Y%m%d%H%M%S}"
            was = c[f"a{s}"] == 1
            aggs[f"churned{i}"] = _int(was & (c[f"a{e}"] == 0)).sum()
            aggs[f"kept_mrr{i}"] = ibis.cases((was, c[f"m{e}"]), else_=0).sum()
    row = engine.execute(c.aggregate(**aggs)).iloc[0]
    cents = float(states.CENTS)
    out = {}
    for i, (name, w) in enumerate(wins.items()):
        e = f"{w.end:%Y%m%d%H%M%S}"
        s = f"{w.start:%Y%m%d%H%M%S}" if w.start is not None else None
        out[name] = {
            "active_end": float(row[f"n{e}"] or 0),
            "mrr_end": float(row[f"mrr{e}"] or 0) / cents,
            "active_start": float(row[f"n{s}"] or 0) if s else np.nan,
            "mrr_start": float(row[f"mrr{s}"] or 0) / cents if s else np.nan,
            "churned": float(row[f"churned{i}"] or 0) if s else np.nan,
            "kept_mrr": float(row[f"kept_mrr{i}"] or 0) / cents if s else np.nan,
            "new": float(row[f"new{i}"] or 0),
            "new_mrr": float(row[f"new_mrr{i}"] or 0) / cents,
        }
    return out


def _kpis_for(
    name: str,
    w: _Window,
    stats: dict[str, Any],
    params: Mapping[str, Any],
    has_mrr: bool,
) -> dict[str, _K]:
    cur = name == "current"
    k: dict[str, _K] = {}
    o = stats["orders"][name] if stats["orders"] else None
    d = stats["deals"][name] if stats["deals"] else None
    ld = stats["leads"][name] if stats["leads"] else None
    q = stats["targets"][name] if stats["targets"] else None
    a = stats["activities"][name] if stats["activities"] else None
    c = stats["customers"][name] if stats["customers"] else None

    def rate(num: float, den: float, missing: tuple[str, ...] = ()) -> _K:
        return _K(_ratio(num, den), num, den, missing)

    miss_o, miss_d, miss_l = ("orders",), ("deals",), ("leads",)
    miss_t, miss_a, miss_c = ("targets",), ("activities",), ("subscriptions or orders",)
    if o is not None:
        rev = o["revenue"]
        k["total_revenue"] = _K(rev, rev, np.nan)
        k["revenue_growth_qoq"] = rate(o["rev_q"] - o["rev_q_prev"], o["rev_q_prev"])
        k["revenue_growth_yoy"] = rate(rev - o["rev_ly"], o["rev_ly"])
        k["repeat_customer_rate"] = rate(o["repeat"], o["buyers"])
        k["revenue_share_new"] = rate(o["rev_new"], rev)
        locs = o["locations"]
        if locs is not None and len(locs) and rev:
            top = locs.index[0]
            k["sales_by_location"] = rate(float(locs.iloc[0]), rev)
            shares = ", ".join(
                f"{loc}: {v / rev:.1%}" for loc, v in locs.head(5).items() if v
            )
            k["sales_by_location"].detail = f"largest {top}; {shares}"
        else:
            k["sales_by_location"] = _K(missing=("location",))
        expenses = _param_for(params, "sales_expenses", w, cur)
        k["sales_expense_ratio"] = (
            rate(float(expenses), rev)
            if expenses is not None
            else _K(missing=("sales_expenses",))
        )
        cogs = _param_for(params, "cost_of_sales", w, cur)
        gm = params.get("gross_margin")
        if cogs is not None:
            k["average_margin"] = rate(rev - float(cogs), rev)
        elif gm is not None:
            k["average_margin"] = _K(float(gm), rev * float(gm), rev)
        else:
            k["average_margin"] = _K(missing=("gross_margin or cost_of_sales",))
    else:
        for kpi in _ORDER_KPIS:
            k[kpi] = _K(missing=miss_o)
    if d is not None:
        closed = d["won"] + d["lost"]
        k["average_deal_size"] = rate(d["won_amount"], d["won"])
        k["win_rate"] = rate(d["won"], closed)
        k["deal_slippage"] = rate(d["lost"], closed)
        k["sales_cycle_length"] = rate(d["cycle"], d["won"])
        k["sales_conversion_rate"] = rate(d["won"], d["created"])
        ads = _ratio(d["won_amount"], d["won"])
        wr = _ratio(d["won"], closed)
        cyc = _ratio(d["cycle"], d["won"])
        k["sales_velocity"] = rate(d["created"] * ads * wr, cyc)
    else:
        for kpi in _DEAL_KPIS:
            k[kpi] = _K(missing=miss_d)
    if ld is not None:
        k["lead_to_opportunity_rate"] = rate(ld["converted"], ld["leads"])
        k["lead_conversion_rate"] = (
            rate(d["won"], ld["leads"]) if d is not None else _K(missing=miss_d)
        )
    else:
        k["lead_to_opportunity_rate"] = _K(missing=miss_l)
        k["lead_conversion_rate"] = _K(missing=miss_l)
    if q is not None and d is not None:
        k["quota_attainment"] = rate(d["won_amount"], q)
        k["pipeline_coverage"] = rate(d["pipeline"], q)
    else:
        miss = (miss_t if q is None else ()) + (miss_d if d is None else ())
        k["quota_attainment"] = _K(missing=miss)
        k["pipeline_coverage"] = _K(missing=miss)
    if a is not None:
        m = a["meetings"]
        k["meetings_booked"] = _K(m, m, np.nan)
        k["pitch_rate"] = rate(a["pitched"], a["contacted"])
    else:
        k["meetings_booked"] = _K(missing=miss_a)
        k["pitch_rate"] = _K(missing=miss_a)
    if c is not None:
        k["churn_rate"] = rate(c["churned"], c["active_start"])
        size = params.get("market_size")
        k["market_penetration"] = (
            rate(c["active_end"], float(size))
            if size is not None
            else _K(missing=("market_size",))
        )
        if has_mrr:
            k["nrr"] = rate(c["kept_mrr"], c["mrr_start"])
            k["arpa"] = rate(c["mrr_end"], c["active_end"])
            k["acv"] = rate(12.0 * c["new_mrr"], c["new"])
            arpa = _ratio(c["mrr_end"], c["active_end"])
            monthly = _ratio(c["churned"], c["active_start"]) / _months(w)
            gm = params.get("gross_margin")
            margin = float(gm) if gm is not None else 1.0
            k["ltv"] = rate(arpa * margin, monthly)
            if gm is None:
                k["ltv"].missing = ("gross_margin (revenue LTV shown)",)
        else:
            for kpi in ("nrr", "arpa", "ltv"):
                k[kpi] = _K(missing=("subscriptions (MRR)",))
            if d is not None:
                k["acv"] = rate(d["won_amount"], d["won"])
                k["acv"].missing = ("subscriptions (ACV from deal amounts)",)
            else:
                k["acv"] = _K(missing=("subscriptions or deals",))
    else:
        for kpi in ("churn_rate", "market_penetration", "nrr", "arpa", "acv", "ltv"):
            k[kpi] = _K(missing=miss_c)
    return k


def sales_kpis(
    dataset: Any,
    period: Any = "2026-10",
    *,
    as_of: Any = None,
    **params: Any,
) -> pd.DataFrame:
    """The sales KPIs of a period, with growth vs the previous period and last year.

    Parameters
    ----------
    dataset : Dataset, path or mapping
        Anything :func:`churnlab.load_dataset` accepts. Uses whichever of
        orders, deals, leads, targets, activities, subscriptions it holds; a KPI
        whose table is absent is NaN with the table named in ``missing``.
    period : str or (date, date) or None, default "2026-10"
        ``"YYYY-MM"``, ``"YYYY-Qn"``, ``"YYYY"`` or a ``(first_day, last_day)``
        pair. None: all the data (no growth columns).
    as_of : date-like, optional
        The day the data is known through. Default: the period's last day
        (each comparison period is likewise read as of its own end).
    **params
        Inputs no table holds: ``market_size`` (potential customers),
        ``sales_expenses`` (of the period; or a mapping of period label to
        amount, e.g. ``{{"2026-10": 120000, "2026-09": 110000}}``),
        ``gross_margin`` (fraction), ``cost_of_sales`` (of the period, or a
        mapping), ``inactivity_days`` (order-only churn, default 90).

    Returns
    -------
    pandas.DataFrame
        One row per KPI: ``kpi``, ``kind`` (comma-separated: input, output,
        result, quality, efficiency, growth; see :data:`KPI_KINDS`), ``unit``
        (``rate``: a share in [0, 1]; ``ratio``: unbounded, e.g. NRR or
        attainment; ``growth``: a relative change; ``money``, ``money per
        month``/``year``/``day``, ``days``, ``count``), ``value``,
        ``numerator``, ``denominator``, ``formula``, ``value_previous``,
        ``change_vs_previous``, ``growth_vs_previous``, ``value_last_year``,
        ``change_vs_last_year``, ``growth_vs_last_year``, ``missing`` (inputs
        the KPI lacks; empty when complete), ``detail``. ``attrs`` holds the
        period labels.

    Raises
    ------
    ParameterError
        For an unknown parameter, a malformed period, or a period with no data.

    Notes
    -----
    **Definition.** Twenty-five KPIs of sales practice (see DESIGN.md, "Sales
    KPIs") plus sales velocity; each row's ``formula`` says how it is computed
    from ``numerator`` and ``denominator``. Deal KPIs use deals *closed* in
    the period (won or lost by ``closed_at``); flows (leads, deals created)
    are counted in the period.

    **Formula.** ``value = numerator / denominator`` for rates;
    ``change_vs_previous = value - value_previous``; ``growth_vs_previous =
    change_vs_previous / |value_previous|`` (a relative change: a win rate
    going from 20% to 25% is +0.05 change and +25% growth). Same for last year.

    **Convention.** A comparison period needs data covering it: when the
    orders start after its first day, revenue growth against it is NaN rather
    than measured against a partial period. Conversion rates here are flow
    ratios within the period
    (what a monthly dashboard shows); the cohort versions, with the deals still
    open reported apart, are :func:`lead_conversion`, :func:`pipeline_funnel`
    and :func:`win_rates`. NRR, ARPA, churn and LTV follow the package's
    activity rule (``churnlab.states``), so they match the churn report. A KPI
    never guesses a missing input: market size, expenses and margin are
    parameters, and without them the value is NaN and ``missing`` names them
    (LTV then shows revenue LTV, margin 100%, and says so).

    Examples
    --------
    >>> import churnlab as cl
    >>> k = cl.sales_kpis(cl.sample_dataset(), period="2026-10")
    >>> len(k), k["kpi"].iloc[0]
    (26, 'total_revenue')
    >>> k.set_index("kpi").loc["market_penetration", "missing"]
    'market_size'
    """
    _check_params(params)
    ds = contract.load_dataset(dataset)
    names = ("orders", "deals", "leads", "activities", "targets", "subscriptions")
    w = _window(period, as_of=as_of, latest=_latest(ds, *names))
    wins = {"current": w}
    if w.start is not None:
        wins["previous"] = w.shift(months=w.months) if w.months else w.shift()
        wins["last_year"] = w.shift(months=12)
    inactivity = params.get("inactivity_days", 90)
    stats: dict[str, Any] = {
        "orders": _order_stats(ds, wins) if ds.orders is not None else None,
        "deals": _deal_stats(ds, wins) if ds.deals is not None else None,
        "leads": _lead_stats(ds, wins) if ds.leads is not None else None,
        "targets": _target_stats(ds, wins) if ds.targets is not None else None,
        "activities": _activity_stats(ds, wins) if ds.activities is not None else None,
        "customers": (
            _customer_stats(ds, wins, inactivity)
            if ds.subscriptions is not None or ds.orders is not None
            else None
        ),
    }
    has_mrr = ds.subscriptions is not None
    per = {n: _kpis_for(n, wn, stats, params, has_mrr) for n, wn in wins.items()}
    rows = []
    for kpi, kind, unit, formula in _KPIS:
        cur = per["current"][kpi]
        rec = {
            "kpi": kpi,
            "kind": kind,
            "unit": unit,
            "value": float(cur.value),
            "numerator": float(cur.numerator),
            "denominator": float(cur.denominator),
            "formula": formula,
        }
        for tag, key in (("previous", "previous"), ("last_year", "last_year")):
            v = float(per[key][kpi].value) if key in per else np.nan
            rec[f"value_{tag}"] = v
            rec[f"change_vs_{tag}"] = rec["value"] - v
            rec[f"growth_vs_{tag}"] = _ratio(rec["value"] - v, abs(v))
        rec["missing"] = ", ".join(cur.missing)
        rec["detail"] = cur.detail
        rows.append(rec)
    frame = pd.DataFrame(rows)
    frame.attrs.update(
        period=w.label,
        previous=wins["previous"].label if "previous" in wins else None,
        last_year=wins["last_year"].label if "last_year" in wins else None,
        as_of=w.end - pd.Timedelta(days=1),
    )
    return frame
