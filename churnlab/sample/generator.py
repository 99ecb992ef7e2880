"""Deterministic generator of the sample company, a fictional B2B SaaS with sales.

Public names: ``SAMPLE_START``, ``SAMPLE_END``, ``TABLES``, ``generate``,
``ground_truth``, ``write``.

The company sells a seat-priced product on four plans to three segments (SMB,
Mid-Market, Enterprise) in eight countries. SMB customers buy self-serve after a
14-day trial; Mid-Market and Enterprise customers are won by a sales team of
twelve reps, so every such customer has a won deal (and the lead it came from).
A share of sign-ups are trials that never convert. Churn is planted as a
constant per-segment hazard in continuous time, so the monthly logo churn rate
read off the subscriptions with churnlab's time rules is the planted rate (the
count churned in a month among customers active at its start is binomial).
Everything else the package measures (expansion, contraction, reactivation,
refunds, win rates, sales cycles, lead conversion, NPS, the usage decline before
churn) is planted too, and :func:`ground_truth` returns the parameters together
with realised counts so tests and teaching notebooks can check recovery.

The generator is vectorised with numpy: it loops only over months, segments,
spell generations, plan-change ranks and fixed-size chunks of the event grid,
never over customers or rows. The same ``seed`` always gives identical frames,
and :func:`write` identical files.

It is one module, though long, because it is one simulation. Reproducibility
does not need it: each table family draws from its own child of
``numpy.random.SeedSequence(seed)``, assigned by position in ``_simulate``, so
changing one table's draws leaves every other table's stream as it was; but the
tables are built from each other (subscriptions from customers; orders, churn
reasons, NPS and events from subscription spells; leads and activities from
deals) and share the planted parameters that :func:`ground_truth` reports, so
they are read together.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SAMPLE_START",
    "SAMPLE_END",
    "TABLES",
    "generate",
    "ground_truth",
    "write",
]

#: First day of the sample company's data (a month start).
SAMPLE_START = "2023-11-01"
#: Last day of the sample company's data: 36 complete months end here.
SAMPLE_END = "2026-10-31"

#: Names of the tables :func:`generate` returns, in this order.
TABLES = (
    "customers",
    "subscriptions",
    "orders",
    "events",
    "leads",
    "deals",
    "deal_stages",
    "activities",
    "targets",
    "sales_inputs",
    "churn_reasons",
    "nps",
)

# --------------------------------------------------------------------------------
# Planted parameters. Every number here is reported by ground_truth().
# --------------------------------------------------------------------------------
_CURRENCY = "EUR"
_SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
_SEGMENT_SHARE = np.array([0.60, 0.28, 0.12])
_MONTHLY_CHURN = np.array([0.045, 0.020, 0.007])
_HAZARD = -np.log1p(-_MONTHLY_CHURN)  # per month, continuous time
_TRIAL_SHARE = np.array([0.25, 0.15, 0.08])  # sign-ups that never convert
_TRIAL_DAYS = 14
_MONTHLY_GROWTH = 0.025
# Acquisition seasonality by calendar month (January first).
_SEASON = np.array(
    [1.15, 1.05, 1.10, 1.00, 1.00, 0.95, 0.85, 0.80, 1.10, 1.10, 1.00, 0.75]
)

_PLANS = ("Starter", "Growth", "Pro", "Enterprise")
_SEAT_PRICE = np.array([15.0, 35.0, 60.0, 90.0])  # per seat and month, monthly billing
_ANNUAL_DISCOUNT = 0.15
_PLAN_MIX = np.array(
    [[0.60, 0.40, 0.00, 0.00], [0.00, 0.45, 0.55, 0.00], [0.00, 0.00, 0.35, 0.65]]
)
_SEATS_MEDIAN = np.array([4.0, 20.0, 80.0])
_SEATS_SIGMA = np.array([0.5, 0.5, 0.6])
_SEATS_MIN = np.array([1, 5, 20])
_ANNUAL_SHARE = np.array([0.15, 0.35, 0.65])

# Plan changes: Poisson processes in continuous time, rate per month at risk.
_EXPANSION_RATE = np.array([0.015, 0.025, 0.030])
_CONTRACTION_RATE = np.array([0.010, 0.010, 0.008])
_PLAN_MOVE_SHARE = 0.30  # share of changes that move one plan tier (else seats)
_EXPANSION_SEATS = (1.10, 1.50)  # seat multiplier, uniform; at least +1 seat
_CONTRACTION_SEATS = (0.60, 0.90)  # seat multiplier, uniform; at least -1 seat

_REACTIVATION_SHARE = 0.15  # of churn events
_REACTIVATION_GAP_MIN_DAYS = 45
_REACTIVATION_GAP_MEAN_EXTRA_DAYS = 90.0  # gap = 45 days + exponential(mean 90)

_REFUND_SHARE = 0.02  # of invoices, refunded in full
_REFUND_LAG_DAYS = (1, 21)

_COUNTRIES = ("US", "CA", "GB", "DE", "FR", "NL", "AU", "SG")
_COUNTRY_SHARE = np.array([0.36, 0.08, 0.13, 0.12, 0.08, 0.06, 0.10, 0.07])
_REGIONS = ("NA", "EMEA", "APAC")
_COUNTRY_REGION = np.array([0, 0, 1, 1, 1, 1, 2, 2])
_REPS = tuple(f"rep_{i:02d}" for i in range(1, 13))
_REGION_REPS = (np.arange(0, 5), np.arange(5, 10), np.arange(10, 12))

_CHANNELS = ("organic", "paid", "partner", "outbound", "event")
_SELF_SERVE_CHANNEL_MIX = np.array([0.50, 0.35, 0.15, 0.0, 0.0])

# Sales (Mid-Market and Enterprise only).
_SOURCES = ("inbound", "outbound", "partner", "event")
_WON_SOURCE_MIX = np.array([[0.50, 0.20, 0.20, 0.10], [0.30, 0.35, 0.20, 0.15]])
_WIN_RATE = np.array([[0.35, 0.20, 0.40, 0.25], [0.28, 0.16, 0.33, 0.20]])
_CYCLE_MEDIAN_DAYS = np.array([45.0, 95.0])  # won deals, lognormal
_CYCLE_SIGMA = 0.5
_LOST_CYCLE_FACTOR = 0.7  # lost deals' median cycle = 0.7 x the won median
_LOST_AT_STAGE_MIX = np.array([0.35, 0.30, 0.20, 0.15])
_STAGES = ("qualified", "demo", "proposal", "negotiation")
_LEAD_CONVERSION = np.array([0.35, 0.15, 0.50, 0.25])  # lead -> deal, by source
_LEAD_LAG_MEAN_DAYS = 10.0
_QUOTA_FACTOR = 1.2
_CALLS_PER_DEAL = 1.0  # Poisson means, per deal
_EMAILS_PER_DEAL = 1.0
# sales inputs and contract terms (drawn from their own random stream, so every
# other table is the same with or without them)
_EXPECTED_CLOSE_FACTOR = (-0.15, 0.35)  # lognormal (mu, sigma) x the true cycle
_CONTRACT_MONTHS = (
    np.array([12, 24, 36]),
    np.array([[0.70, 0.25, 0.05], [0.45, 0.35, 0.20]]),
)
_SETUP_FEE = np.array([1_500.0, 5_000.0])  # one-time fee by deal segment, if any
_SETUP_FEE_SHARE = 0.5
_RESPONSE_OUTCOMES = {"call": "connected", "email": "replied"}
_RESPONSE_LAG_HOURS = 20.0  # exponential mean
_VISIT_TO_LEAD = 0.025  # leads per site visitor
_GROSS_MARGIN = 0.78  # cost of sales = revenue x (1 - margin), noisy per month
_GROSS_MARGIN_SD = 0.02
_SALES_COST_PER_REP = 9_000.0  # per month
_MARKETING_PER_LEAD = 120.0
_MARKET_SIZE = 250_000.0

_REASONS = (
    "price",
    "missing_feature",
    "switched_competitor",
    "business_closed",
    "poor_support",
    "no_longer_needed",
)
_REASON_MIX = np.array(
    [
        [0.30, 0.12, 0.13, 0.20, 0.08, 0.17],
        [0.20, 0.22, 0.20, 0.08, 0.12, 0.18],
        [0.10, 0.25, 0.28, 0.05, 0.17, 0.15],
    ]
)
_REASON_RESPONSE = 0.85
_COMMENT_SHARE = 0.4
_COMMENTS = {
    "price": ("Too expensive for our team size", "Budget cuts", "Found it cheaper"),
    "missing_feature": ("No SSO on our plan", "Needed a Salesforce sync", "No API"),
    "switched_competitor": ("Moved to a competitor", "Consolidated tools"),
    "business_closed": ("Company shut down", "Acquired, tools merged"),
    "poor_support": ("Tickets took days", "Onboarding was poor"),
    "no_longer_needed": ("Project ended", "Team reorganised"),
}

# NPS: quarterly waves (Jan, Apr, Jul, Oct) to a sample of active customers.
_NPS_SAMPLE = 0.30
_NPS_MONTHS = (1, 4, 7, 10)
_NPS_GROUPS = np.array([[0.30, 0.30, 0.40], [0.20, 0.30, 0.50], [0.15, 0.30, 0.55]])
_NPS_PRE_CHURN = np.array([0.55, 0.30, 0.15])  # detractor, passive, promoter
_NPS_PRE_CHURN_DAYS = 120
_DETRACTOR_SCORES = np.array([0.03, 0.03, 0.05, 0.09, 0.15, 0.25, 0.40])  # 0..6
_PASSIVE_SCORES = np.array([0.45, 0.55])  # 7, 8
_PROMOTER_SCORES = np.array([0.60, 0.40])  # 9, 10

# Product events.
_EVENT_MONTHS = 12
_EVENTS = ("login", "report_viewed", "export", "dashboard_created", "invite_sent")
_EVENT_MIX = np.array([0.72, 0.12, 0.07, 0.05, 0.04])
_WEEKLY_EVENTS = np.array([2.0, 5.0, 12.0])  # per paying account, by segment
_TRIAL_NC_BOOST = 2.0  # non-converting trials start at 2x and fade
_TRIAL_NC_DECAY_DAYS = 4.0
_DECLINE_SHARE = 0.60  # of churn events
_DECLINE_WEEKS = (4, 8)  # inclusive, uniform integer
_DECLINE_FLOOR = 0.10
_HOUR_WEIGHT = np.array(
    [0.05] * 7 + [0.3, 0.7, 1, 1, 1, 0.8, 1, 1, 1, 1, 0.7, 0.4, 0.2, 0.2, 0.2, 0.2, 0.1]
)
_DOW_WEIGHT = np.array([1, 1, 1, 1, 1, 0.2, 0.2])  # Monday first
_ACCEPT_MEAN = float(_HOUR_WEIGHT.mean() * _DOW_WEIGHT.mean())

_DAY = 86_400
_WEEK = 7 * _DAY
_EVENT_CHUNK = 250_000  # account-weeks per chunk of the event grid
_BIG = np.int64(1) << 40


# --------------------------------------------------------------------------------
# Calendar: dates as int64 days since 1970-01-01; "u" = continuous month index.
# --------------------------------------------------------------------------------
class _Calendar:
    """Month grid of the sample window, with day <-> month-index conversion.

    A date's continuous month index is ``k + (day - month_start) / days_in_month``
    for calendar month ``k`` (0 = first month), so each calendar month is one
    unit long. Lifetimes drawn in these units give every month the same churn
    probability whatever its length.
    """

    def __init__(self, start: str, months: int, extra: int = 36) -> None:
        ts = pd.Timestamp(start)
        m0 = np.datetime64(ts.strftime("%Y-%m"), "M")
        self.m0 = m0
        ms = (m0 + np.arange(months + extra + 1)).astype("datetime64[D]")
        self.ms = ms.astype(np.int64)
        self.dim = np.diff(self.ms)
        self.months = months
        self.start = int(self.ms[0])
        self.end = int(self.ms[months])  # exclusive: first day after the data
        self.kmax = months + extra - 1
        self.far = int(self.ms[-1]) + 100_000
        self.moy = ((m0 + np.arange(months + extra)).astype(int) % 12) + 1

    def u2day(self, u: np.ndarray) -> np.ndarray:
        k = np.floor(u).astype(np.int64)
        over = k > self.kmax
        k = np.clip(k, 0, self.kmax)
        frac = np.clip(u - k, 0.0, 1.0)
        off = np.minimum(np.floor(frac * self.dim[k]).astype(np.int64), self.dim[k] - 1)
        day = self.ms[k] + off
        day[over] = self.far
        return day

    def day2u(self, day: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self.ms, day, side="right") - 1
        return k + (day - self.ms[k]) / self.dim[k]


def _day_of_month_add(day: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    d = day.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + months
    first = target.astype("datetime64[D]")
    dim = ((target + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first.astype(np.int64) + np.minimum(dom, dim - 1)


# --------------------------------------------------------------------------------
# Small vectorised helpers
# --------------------------------------------------------------------------------
def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows sum to 1)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))
    return np.minimum((u[:, None] >= cdf).sum(axis=1), probs.shape[1] - 1)


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    width = max(width, len(str(n)))
    if n == 0:
        return np.zeros(0, dtype=object)
    nums = np.char.zfill(np.arange(1, n + 1).astype(str), width)
    return np.char.add(prefix, nums).astype(object)


def _business_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight, weighted towards business hours."""
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHT / _HOUR_WEIGHT.sum())
    return hour * 3600 + rng.integers(0, 3600, size=n)


def _group_rank(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal sorted ``keys``."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.arange(n)
    first = np.r_[True, keys[1:] != keys[:-1]]
    return idx - np.maximum.accumulate(np.where(first, idx, 0))


def _repeat_ranges(counts: np.ndarray) -> np.ndarray:
    """``concat(arange(c) for c in counts)``, vectorised."""
    total = int(counts.sum())
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - offsets


def _days(d: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    out = pd.Series(np.asarray(d, dtype=np.int64).astype("datetime64[D]")).astype(
        "datetime64[ns]"
    )
    if missing is not None:
        out[missing] = pd.NaT
    return out


def _seconds(s: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(s, dtype=np.int64).astype("datetime64[s]")).astype(
        "datetime64[ns]"
    )


def _labels(values: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=object)[codes]


def _mrr(seats: np.ndarray, tier: np.ndarray, annual: np.ndarray) -> np.ndarray:
    price = _SEAT_PRICE[tier] * np.where(annual, 1 - _ANNUAL_DISCOUNT, 1.0)
    return np.round(seats * price, 2)


def _draw_plan(rng: np.random.Generator, seg: np.ndarray):
    tier = _choice_rows(rng, _PLAN_MIX[seg])
    seats = np.exp(
        np.log(_SEATS_MEDIAN[seg]) + _SEATS_SIGMA[seg] * rng.standard_normal(len(seg))
    )
    seats = np.maximum(np.round(seats).astype(np.int64), _SEATS_MIN[seg])
    annual = rng.random(len(seg)) < _ANNUAL_SHARE[seg]
    return tier, seats, annual


class _Progress:
    def __init__(self, enabled: bool, total: int) -> None:
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="churnlab sample", unit="step")

    def step(self, label: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(label)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------------
# The simulation
# --------------------------------------------------------------------------------
def _check_args(n_accounts: int, start: Any, months: int, events_months: int) -> None:
    if not isinstance(n_accounts, (int, np.integer)) or n_accounts < 1:
        raise ValueError(f"n_accounts must be a positive integer, got {n_accounts!r}.")
    if not isinstance(months, (int, np.integer)) or months < 1:
        raise ValueError(f"months must be a positive integer, got {months!r}.")
    if (
        not isinstance(events_months, (int, np.integer))
        or not 1 <= events_months <= months
    ):
        raise ValueError(
            f"events_months must be an integer between 1 and months={months}, "
            f"got {events_months!r}."
        )
    ts = pd.Timestamp(start)
    if ts != ts.normalize() or ts.day != 1:
        raise ValueError(f"start must be the first day of a month, got {start!r}.")


def _simulate(
    n_accounts: int,
    seed: int,
    start: Any,
    months: int,
    events_months: int,
    progress: bool,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    _check_args(n_accounts, start, months, events_months)
    cal = _Calendar(start, months)
    streams = np.random.SeedSequence(seed).spawn(10)
    r_acq, r_sub, r_ord, r_rsn, r_deal, r_lead, r_act, r_nps = (
        np.random.default_rng(s) for s in streams[:8]
    )
    bar = _Progress(progress, 10)
    p: dict[str, Any] = {}
    try:
        p["cust"] = cust = _customers(r_acq, cal, n_accounts)
        bar.step("customers")
        p["spells"], p["rows"] = _subscriptions(r_sub, cal, cust)
        bar.step("subscriptions")
        p["orders"] = _orders(r_ord, cal, p["spells"], p["rows"])
        bar.step("orders")
        p["reasons"] = _churn_reasons(r_rsn, p["spells"])
        bar.step("churn reasons")
        p["sales"] = _sales(r_deal, cal, cust)
        bar.step("deals")
        p["leads"] = _leads(r_lead, cal, p["sales"])
        bar.step("leads")
        p["acts"], p["targets"] = _activities_targets(
            r_act, cal, p["sales"], p["leads"]
        )
        bar.step("activities")
        p["extra"] = _sales_extras(
            np.random.default_rng(streams[9]), cal, p["sales"], p["leads"], p["acts"]
        )
        p["nps"] = _nps(r_nps, cal, p["spells"])
        bar.step("nps")
        p["events"] = _events(streams[8], cal, cust, p["spells"], events_months, bar)
        bar.step("events")
        tables = _assemble(cal, p)
        truth = _truth(n_accounts, seed, cal, events_months, p, tables)
        bar.step("tables")
    finally:
        bar.close()
    return tables, truth


def _customers(rng: np.random.Generator, cal: _Calendar, n: int) -> dict[str, Any]:
    k = np.arange(cal.months)
    weight = (1 + _MONTHLY_GROWTH) ** k * _SEASON[cal.moy[: cal.months] - 1]
    counts = rng.multinomial(n, weight / weight.sum())
    month = np.repeat(k, counts)
    day = cal.ms[month] + np.floor(rng.random(n) * cal.dim[month]).astype(np.int64)
    seg = rng.choice(3, size=n, p=_SEGMENT_SHARE)
    country = rng.choice(len(_COUNTRIES), size=n, p=_COUNTRY_SHARE)
    trial_nc = rng.random(n) < _TRIAL_SHARE[seg]
    sales_led = (seg > 0) & ~trial_nc
    tod = _business_seconds(rng, n)
    channel = rng.choice(len(_CHANNELS), size=n, p=_SELF_SERVE_CHANNEL_MIX)
    signup = day * _DAY + np.where(sales_led, 0, tod)
    order = np.argsort(signup, kind="stable")
    cust = {
        "seg": seg[order],
        "country": country[order],
        "trial_nc": trial_nc[order],
        "sales_led": sales_led[order],
        "signup": signup[order],
        "day": day[order],
        "channel": channel[order],
        "n": n,
    }
    cust["id"] = _ids("C", n, 5)
    return cust


def _subscriptions(
    rng: np.random.Generator, cal: _Calendar, cust: dict[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Spells (one per paying stretch) and rows (one per spell and price)."""
    n = cust["n"]
    seg_all = cust["seg"]
    tier0, seats0, annual0 = _draw_plan(rng, seg_all)
    cust["seats0"] = seats0
    paying = ~cust["trial_nc"]
    start0 = cust["day"] + np.where(cust["sales_led"], 0, _TRIAL_DAYS)
    cust["pending"] = paying & (start0 >= cal.end)  # still in trial at the end
    first = paying & (start0 < cal.end)
    cur = {
        "cust": np.flatnonzero(first),
        "start": start0[first],
        "tier": tier0[first],
        "seats": seats0[first],
        "annual": annual0[first],
    }
    spell_parts: list[dict[str, np.ndarray]] = []
    row_parts: list[dict[str, np.ndarray]] = []
    n_spells = 0
    gen = 0
    while len(cur["cust"]):
        m = len(cur["cust"])
        seg = seg_all[cur["cust"]]
        sid = n_spells + np.arange(m)
        u0 = cal.day2u(cur["start"])
        u1 = u0 + rng.exponential(1.0, m) / _HAZARD[seg]
        end = np.maximum(cal.u2day(u1), cur["start"] + 1)  # hidden end, may be future
        churned = end < cal.end
        obs_end = np.where(churned, end, cal.end)
        # plan changes: Poisson processes over the observed part of the spell
        span = np.clip(np.minimum(u1, cal.months) - u0, 0.0, None)
        n_exp = rng.poisson(_EXPANSION_RATE[seg] * span)
        n_con = rng.poisson(_CONTRACTION_RATE[seg] * span)
        ch_sp = np.r_[np.repeat(np.arange(m), n_exp), np.repeat(np.arange(m), n_con)]
        ch_exp = np.r_[np.ones(n_exp.sum(), bool), np.zeros(n_con.sum(), bool)]
        ch_day = cal.u2day(u0[ch_sp] + rng.random(len(ch_sp)) * span[ch_sp])
        ch_move = rng.random(len(ch_sp)) < _PLAN_MOVE_SHARE
        ch_f = np.where(
            ch_exp,
            rng.uniform(*_EXPANSION_SEATS, len(ch_sp)),
            rng.uniform(*_CONTRACTION_SEATS, len(ch_sp)),
        )
        ok = (ch_day > cur["start"][ch_sp]) & (ch_day < obs_end[ch_sp])
        o = np.lexsort((ch_day, ch_sp))
        o = o[ok[o]]
        ch_sp, ch_exp, ch_day, ch_move, ch_f = (
            a[o] for a in (ch_sp, ch_exp, ch_day, ch_move, ch_f)
        )
        key = ch_sp.astype(np.int64) * _BIG + ch_day
        keep = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
        ch_sp, ch_exp, ch_day, ch_move, ch_f = (
            a[keep] for a in (ch_sp, ch_exp, ch_day, ch_move, ch_f)
        )
        rank = _group_rank(ch_sp)
        st_seats = cur["seats"].copy()
        st_tier = cur["tier"].copy()
        new_seats = np.zeros(len(ch_sp), np.int64)
        new_tier = np.zeros(len(ch_sp), np.int64)
        noop = np.zeros(len(ch_sp), bool)
        for j in range(int(rank.max()) + 1 if len(rank) else 0):
            idx = np.flatnonzero(rank == j)
            s = ch_sp[idx]
            seats, tier = st_seats[s].copy(), st_tier[s].copy()
            e, mv, f = ch_exp[idx], ch_move[idx], ch_f[idx]
            up = e & mv & (tier < 3)
            seat_up = e & ~up
            con = ~e
            down = con & mv & (tier > 0)
            seat_down = con & ~down & (seats > 1)
            down2 = con & ~down & ~seat_down & (tier > 0)
            r_seats = np.round(seats * f).astype(np.int64)
            seats = np.where(seat_up, np.maximum(seats + 1, r_seats), seats)
            seats = np.where(
                seat_down, np.maximum(1, np.minimum(seats - 1, r_seats)), seats
            )
            tier = tier + up - down - down2
            noop[idx] = con & ~down & ~seat_down & ~down2
            st_seats[s], st_tier[s] = seats, tier
            new_seats[idx], new_tier[idx] = seats, tier
        keep = ~noop
        r_sp = np.r_[np.arange(m), ch_sp[keep]]
        r_start = np.r_[cur["start"], ch_day[keep]]
        r_seats = np.r_[cur["seats"], new_seats[keep]]
        r_tier = np.r_[cur["tier"], new_tier[keep]]
        r_kind = np.r_[
            np.zeros(m, np.int8), np.where(ch_exp[keep], 1, -1).astype(np.int8)
        ]
        o = np.lexsort((r_start, r_sp))
        r_sp, r_start, r_seats, r_tier, r_kind = (
            a[o] for a in (r_sp, r_start, r_seats, r_tier, r_kind)
        )
        last = np.r_[r_sp[1:] != r_sp[:-1], True]
        r_end = np.where(last, obs_end[r_sp], np.r_[r_start[1:], 0])
        r_open = last & ~churned[r_sp]
        row_parts.append(
            {
                "spell": r_sp + n_spells,
                "cust": cur["cust"][r_sp],
                "start": r_start,
                "end": r_end,
                "open": r_open,
                "seats": r_seats,
                "tier": r_tier,
                "annual": cur["annual"][r_sp],
                "kind": r_kind,
            }
        )
        final_seats = r_seats[last]
        final_tier = r_tier[last]
        react = churned & (rng.random(m) < _REACTIVATION_SHARE)
        gap = _REACTIVATION_GAP_MIN_DAYS + np.floor(
            rng.exponential(_REACTIVATION_GAP_MEAN_EXTRA_DAYS, m)
        ).astype(np.int64)
        new_start = end + gap
        react_in = react & (new_start < cal.end)
        spell_parts.append(
            {
                "id": sid,
                "cust": cur["cust"],
                "start": cur["start"],
                "end": end,
                "churned": churned,
                "gen": np.full(m, gen),
                "annual": cur["annual"],
                "reactivated": react_in,
            }
        )
        cur = {
            "cust": cur["cust"][react_in],
            "start": new_start[react_in],
            "tier": final_tier[react_in],
            "seats": final_seats[react_in],
            "annual": cur["annual"][react_in],
        }
        n_spells += m
        gen += 1
    if not spell_parts:  # nobody pays (tiny runs)
        i64, flag = np.zeros(0, np.int64), np.zeros(0, bool)
        spell_parts.append(
            dict.fromkeys(("id", "cust", "start", "end", "gen"), i64)
            | dict.fromkeys(("churned", "annual", "reactivated"), flag)
        )
        row_parts.append(
            dict.fromkeys(("spell", "cust", "start", "end", "seats", "tier"), i64)
            | {"open": flag, "annual": flag, "kind": np.zeros(0, np.int8)}
        )
    spells = {k: np.concatenate([p[k] for p in spell_parts]) for k in spell_parts[0]}
    rows = {k: np.concatenate([p[k] for p in row_parts]) for k in row_parts[0]}
    o = np.lexsort((rows["start"], rows["cust"]))
    rows = {k: v[o] for k, v in rows.items()}
    rows["mrr"] = _mrr(rows["seats"], rows["tier"], rows["annual"])
    spells["seg"] = seg_all[spells["cust"]]
    # declining usage before churn: planted on every spell end (seen or not)
    ns = len(spells["id"])
    spells["decline"] = rng.random(ns) < _DECLINE_SHARE
    spells["decline_weeks"] = rng.integers(_DECLINE_WEEKS[0], _DECLINE_WEEKS[1] + 1, ns)
    # the plan at first subscription, for customers
    first_row = np.r_[True, rows["cust"][1:] != rows["cust"][:-1]]
    plan = np.full(n, -1)
    plan[rows["cust"][first_row]] = rows["tier"][first_row]
    cust["plan"] = plan
    first_mrr = np.full(n, np.nan)
    first_mrr[rows["cust"][first_row]] = rows["mrr"][first_row]
    cust["first_mrr"] = first_mrr
    return spells, rows


def _orders(rng, cal, spells, rows) -> dict[str, np.ndarray]:
    """Invoices (monthly or yearly on the spell's anniversaries) and refunds."""
    step = np.where(spells["annual"], 12, 1)
    obs_end = np.where(spells["churned"], spells["end"], cal.end)
    s_m = spells["start"].astype("datetime64[D]").astype("datetime64[M]")
    e_m = (obs_end - 1).astype("datetime64[D]").astype("datetime64[M]")
    span = (e_m - s_m).astype(np.int64)
    counts = span // step + 1
    sp = np.repeat(np.arange(len(step)), counts)
    j = _repeat_ranges(counts) * step[sp]
    day = _day_of_month_add(spells["start"][sp], j)
    keep = day < obs_end[sp]
    sp, day = sp[keep], day[keep]
    # price: the row of this spell that is current on the invoice day
    row_key = rows["spell"].astype(np.int64) * _BIG + rows["start"]
    o = np.argsort(row_key, kind="stable")
    pos = np.searchsorted(
        row_key[o], spells["id"][sp].astype(np.int64) * _BIG + day, "right"
    )
    r = o[pos - 1]
    amount = np.round(rows["mrr"][r] * step[sp], 2)
    c = spells["cust"][sp]
    refund = rng.random(len(sp)) < _REFUND_SHARE
    lag = rng.integers(_REFUND_LAG_DAYS[0], _REFUND_LAG_DAYS[1] + 1, len(sp))
    rf = refund & (day + lag < cal.end)
    return {
        "cust": np.r_[c, c[rf]],
        "day": np.r_[day, day[rf] + lag[rf]],
        "amount": np.r_[amount, -amount[rf]],
        "is_refund": np.r_[np.zeros(len(c), bool), np.ones(int(rf.sum()), bool)],
    }


def _churn_reasons(rng, spells) -> dict[str, np.ndarray]:
    ch = np.flatnonzero(spells["churned"])
    answered = ch[rng.random(len(ch)) < _REASON_RESPONSE]
    seg = spells["seg"][answered]
    reason = _choice_rows(rng, _REASON_MIX[seg])
    with_comment = rng.random(len(answered)) < _COMMENT_SHARE
    pick = rng.random(len(answered))
    comment = np.full(len(answered), "", dtype=object)
    for i, name in enumerate(_REASONS):
        texts = np.asarray(_COMMENTS[name], dtype=object)
        sel = with_comment & (reason == i)
        comment[sel] = texts[np.floor(pick[sel] * len(texts)).astype(int)]
    return {
        "cust": spells["cust"][answered],
        "day": spells["end"][answered],
        "reason": reason,
        "comment": comment,
    }


def _lognormal_days(rng, median: np.ndarray, sigma: float) -> np.ndarray:
    x = np.exp(np.log(median) + sigma * rng.standard_normal(len(median)))
    return np.maximum(1, np.round(x)).astype(np.int64)


def _sales(rng, cal, cust) -> dict[str, Any]:
    """Deals (won = the sales-led customers, plus lost and open) and stage paths."""
    won_c = np.flatnonzero(cust["sales_led"])
    wseg = cust["seg"][won_c] - 1  # 0 = Mid-Market, 1 = Enterprise
    wsrc = _choice_rows(rng, _WON_SOURCE_MIX[wseg])
    # customer channel follows the deal source (inbound -> organic 60% / paid 40%)
    inbound_channel = np.where(rng.random(len(won_c)) < 0.6, 0, 1)
    cust["channel"][won_c] = np.choose(wsrc, [inbound_channel, 3, 2, 4])
    w_close = cust["day"][won_c]
    w_cycle = _lognormal_days(rng, _CYCLE_MEDIAN_DAYS[wseg], _CYCLE_SIGMA)
    w_created = w_close - w_cycle
    w_amount = np.round(12 * cust["first_mrr"][won_c], 2)
    w_country = cust["country"][won_c]
    # lost deals: NegBin failures before the observed wins, per segment and source
    l_seg, l_src = [], []
    for s in range(2):
        for src in range(len(_SOURCES)):
            wins = int(((wseg == s) & (wsrc == src)).sum())
            lost = int(rng.negative_binomial(wins, _WIN_RATE[s, src])) if wins else 0
            l_seg.append(np.full(lost, s))
            l_src.append(np.full(lost, src))
    l_seg, l_src = np.concatenate(l_seg), np.concatenate(l_src)
    nl = len(l_seg)
    l_close = np.zeros(nl, np.int64)
    for s in range(2):
        sel = np.flatnonzero(l_seg == s)
        pool = w_close[wseg == s]
        if len(pool):
            base = pool[rng.integers(0, len(pool), len(sel))]
        else:
            base = rng.integers(cal.start, cal.end, len(sel))
        l_close[sel] = np.clip(
            base + rng.integers(-20, 21, len(sel)), cal.start, cal.end - 1
        )
    l_cycle = _lognormal_days(
        rng, _CYCLE_MEDIAN_DAYS[l_seg] * _LOST_CYCLE_FACTOR, _CYCLE_SIGMA
    )
    l_created = l_close - l_cycle
    l_reached = _choice_rows(rng, np.tile(_LOST_AT_STAGE_MIX, (nl, 1)))
    # open deals at the end: a stationary pipeline with the recent close rate
    recent = cal.end - 90
    o_seg, o_src = [], []
    for s in range(2):
        for src in range(len(_SOURCES)):
            p = _WIN_RATE[s, src]
            closed = int(
                (((wseg == s) & (wsrc == src)) & (w_close >= recent)).sum()
                + (((l_seg == s) & (l_src == src)) & (l_close >= recent)).sum()
            )
            mean_w = _CYCLE_MEDIAN_DAYS[s] * math.exp(_CYCLE_SIGMA**2 / 2)
            mean_l = mean_w * _LOST_CYCLE_FACTOR
            k = int(rng.poisson(closed / 90 * (p * mean_w + (1 - p) * mean_l)))
            o_seg.append(np.full(k, s))
            o_src.append(np.full(k, src))
    o_seg, o_src = np.concatenate(o_seg), np.concatenate(o_src)
    no = len(o_seg)
    p = _WIN_RATE[o_seg, o_src]
    p_won = p / (p + (1 - p) * _LOST_CYCLE_FACTOR)  # length-biased outcome
    o_won = rng.random(no) < p_won
    med = _CYCLE_MEDIAN_DAYS[o_seg] * np.where(o_won, 1.0, _LOST_CYCLE_FACTOR)
    # length-biased lognormal: mu + sigma^2
    o_cycle = _lognormal_days(rng, med * math.exp(_CYCLE_SIGMA**2), _CYCLE_SIGMA)
    age = np.floor(rng.random(no) * o_cycle).astype(np.int64)
    o_created = (cal.end - 1) - age
    o_close = np.maximum(o_created + o_cycle, cal.end)  # hypothetical, after the end
    o_reached = np.where(
        o_won, 3, _choice_rows(rng, np.tile(_LOST_AT_STAGE_MIX, (no, 1)))
    )
    o_tier, o_seats, o_annual = _draw_plan(rng, o_seg + 1)
    l_tier, l_seats, l_annual = _draw_plan(rng, l_seg + 1)
    o_country = rng.choice(len(_COUNTRIES), size=no, p=_COUNTRY_SHARE)
    l_country = rng.choice(len(_COUNTRIES), size=nl, p=_COUNTRY_SHARE)
    nw = len(won_c)
    d = {
        "seg": np.r_[wseg, l_seg, o_seg],
        "src": np.r_[wsrc, l_src, o_src],
        "created": np.r_[w_created, l_created, o_created],
        "close": np.r_[w_close, l_close, o_close],
        "status": np.r_[np.zeros(nw, int), np.ones(nl, int), np.full(no, 2)],
        "reached": np.r_[np.full(nw, 3), l_reached, o_reached],
        "amount": np.r_[
            w_amount,
            np.round(12 * _mrr(l_seats, l_tier, l_annual), 2),
            np.round(12 * _mrr(o_seats, o_tier, o_annual), 2),
        ],
        "country": np.r_[w_country, l_country, o_country],
        "cust": np.r_[won_c, np.full(nl + no, -1)],
    }
    nd = len(d["seg"])
    region = _COUNTRY_REGION[d["country"]]
    owner = np.zeros(nd, np.int64)
    u = rng.random(nd)
    for r, reps in enumerate(_REGION_REPS):
        sel = region == r
        owner[sel] = reps[np.floor(u[sel] * len(reps)).astype(int)]
    d["region"], d["owner"] = region, owner
    # stage entry days: gamma gaps between stages, scaled to the cycle
    g = rng.gamma(2.0, size=(nd, 5))
    cg = np.concatenate([np.zeros((nd, 1)), np.cumsum(g, axis=1)], axis=1)
    denom = cg[np.arange(nd), d["reached"] + 1]
    cycle = d["close"] - d["created"]
    entry = d["created"][:, None] + np.floor(
        cycle[:, None] * cg[:, :4] / denom[:, None]
    )
    entry = entry.astype(np.int64)
    reached_ok = np.arange(4)[None, :] <= d["reached"][:, None]
    is_open = d["status"] == 2
    visible = reached_ok & (~is_open[:, None] | (entry < cal.end))
    d["entry"], d["visible"] = entry, visible
    d["current"] = visible.sum(axis=1) - 1
    order = np.lexsort((d["close"], d["created"]))
    d = {k: v[order] for k, v in d.items()}
    d["id"] = _ids("D", nd, 5)
    d["n"] = nd
    return d


def _leads(rng, cal, sales) -> dict[str, np.ndarray]:
    """One lead per deal (converted when the deal was created) plus the rest."""
    conv = sales["created"]
    lag = np.floor(rng.exponential(_LEAD_LAG_MEAN_DAYS, sales["n"])).astype(np.int64)
    c_created = conv - lag
    parts_created, parts_src = [c_created], [sales["src"]]
    for src in range(len(_SOURCES)):
        pool = c_created[sales["src"] == src]
        k = (
            int(rng.negative_binomial(len(pool), _LEAD_CONVERSION[src]))
            if len(pool)
            else 0
        )
        base = pool[rng.integers(0, len(pool), k)] if k else np.zeros(0, np.int64)
        parts_created.append(np.minimum(base + rng.integers(-15, 16, k), cal.end - 1))
        parts_src.append(np.full(k, src))
    created = np.concatenate(parts_created)
    src = np.concatenate(parts_src)
    deal = np.r_[np.arange(sales["n"]), np.full(len(created) - sales["n"], -1)]
    order = np.lexsort((deal < 0, created))
    out = {"created": created[order], "src": src[order], "deal": deal[order]}
    out["id"] = _ids("L", len(created), 6)
    return out


_OUTCOMES = {
    "call": (("connected", "no_answer", "voicemail"), np.array([0.45, 0.35, 0.20])),
    "email": (("replied", "no_reply"), np.array([0.30, 0.70])),
    "meeting": (("held", "no_show", "rescheduled"), np.array([0.80, 0.10, 0.10])),
    "demo": (("completed", "no_show"), np.array([0.90, 0.10])),
}
_ACTIVITY_TYPES = ("call", "email", "meeting", "demo")


def _activities_targets(rng, cal, sales, leads):
    nd = sales["n"]
    last = np.where(sales["status"] == 2, cal.end - 1, sales["close"])
    n_call = rng.poisson(_CALLS_PER_DEAL, nd)
    n_mail = rng.poisson(_EMAILS_PER_DEAL, nd)
    reached_demo = sales["visible"][:, 1]
    n_meet = np.where(reached_demo, 1 + rng.poisson(0.3, nd), 0)
    n_demo = reached_demo.astype(np.int64)
    deal = np.r_[
        np.repeat(np.arange(nd), n_call),
        np.repeat(np.arange(nd), n_mail),
        np.repeat(np.arange(nd), n_meet),
        np.repeat(np.arange(nd), n_demo),
    ]
    typ = np.r_[
        np.zeros(n_call.sum(), int),
        np.ones(n_mail.sum(), int),
        np.full(n_meet.sum(), 2),
        np.full(n_demo.sum(), 3),
    ]
    lo = sales["created"][deal]
    span = last[deal] - lo + 1
    day = lo + np.floor(rng.random(len(deal)) * span).astype(np.int64)
    is_demo = typ == 3
    day[is_demo] = sales["entry"][deal[is_demo], 1]
    owner = sales["owner"][deal]
    # prospecting touches on outbound leads, not tied to a deal
    pro = np.flatnonzero(leads["src"] == 1)
    p_typ = np.where(rng.random(len(pro)) < 0.6, 0, 1)
    p_owner = rng.integers(0, len(_REPS), len(pro))
    p_day = leads["created"][pro]
    typ = np.r_[typ, p_typ]
    deal = np.r_[deal, np.full(len(pro), -1)]
    day = np.r_[day, p_day]
    owner = np.r_[owner, p_owner]
    sec = day * _DAY + _business_seconds(rng, len(day))
    outcome = np.empty(len(typ), dtype=object)
    u = rng.random(len(typ))
    for t, name in enumerate(_ACTIVITY_TYPES):
        labels, probs = _OUTCOMES[name]
        sel = typ == t
        idx = np.minimum(
            (u[sel, None] >= np.cumsum(probs)[None, :]).sum(1), len(probs) - 1
        )
        outcome[sel] = np.asarray(labels, dtype=object)[idx]
    keep = sec < cal.end * _DAY
    order = np.lexsort((typ[keep], owner[keep], sec[keep]))
    acts = {
        k: v[keep][order]
        for k, v in {
            "owner": owner,
            "type": typ,
            "sec": sec,
            "deal": deal,
            "outcome": outcome,
        }.items()
    }
    # monthly quotas: 1.2 x the rep's average won ACV, shaped by the acquisition curve
    k = np.arange(cal.months)
    shape = (1 + _MONTHLY_GROWTH) ** k * _SEASON[cal.moy[: cal.months] - 1]
    shape = shape / shape.mean()
    won = sales["status"] == 0
    in_window = won & (sales["close"] >= cal.start)
    per_rep = (
        np.bincount(
            sales["owner"][in_window],
            weights=sales["amount"][in_window],
            minlength=len(_REPS),
        )
        / cal.months
    )
    fallback = per_rep[per_rep > 0].mean() if (per_rep > 0).any() else 10_000.0
    per_rep = np.where(per_rep > 0, per_rep, fallback)
    quota = np.round(_QUOTA_FACTOR * per_rep[:, None] * shape[None, :], -2)
    targets = {
        "owner": np.repeat(np.arange(len(_REPS)), cal.months),
        "period": np.tile(cal.ms[: cal.months], len(_REPS)),
        "quota": np.maximum(quota.ravel(), 100.0),
    }
    return acts, targets


def _sales_extras(rng, cal, sales, leads, acts) -> dict[str, Any]:
    """Expected close dates, contract terms, prospect responses, monthly inputs."""
    nd = sales["n"]
    cycle = np.maximum(sales["close"] - sales["created"], 1)
    mu, sigma = _EXPECTED_CLOSE_FACTOR
    factor = np.exp(mu + sigma * rng.standard_normal(nd))
    expected = sales["created"] + np.maximum(np.round(cycle * factor), 1)
    months, mix = _CONTRACT_MONTHS
    c_months = months[_choice_rows(rng, mix[sales["seg"]])]
    fee = np.where(rng.random(nd) < _SETUP_FEE_SHARE, _SETUP_FEE[sales["seg"]], 0.0)
    # a prospect's response follows a connected call or a replied email
    typ_names = np.asarray(_ACTIVITY_TYPES, dtype=object)[acts["type"]]
    answered = np.zeros(len(typ_names), bool)
    for name, outcome in _RESPONSE_OUTCOMES.items():
        answered |= (typ_names == name) & (acts["outcome"] == outcome)
    idx = np.flatnonzero(answered)
    lag = np.round(rng.exponential(_RESPONSE_LAG_HOURS * 3600, len(idx)))
    r_sec = acts["sec"][idx] + lag.astype(np.int64)
    keep = r_sec < cal.end * _DAY
    resp = {"src": idx[keep], "sec": r_sec[keep]}
    # monthly inputs
    k = np.arange(cal.months)
    lead_month = np.searchsorted(cal.ms, leads["created"], "right") - 1
    in_data = (lead_month >= 0) & (lead_month < cal.months)
    n_leads = np.bincount(lead_month[in_data], minlength=cal.months)[: cal.months]
    visitors = np.round(n_leads / _VISIT_TO_LEAD * rng.uniform(0.9, 1.1, cal.months))
    margin = _GROSS_MARGIN + _GROSS_MARGIN_SD * rng.standard_normal(cal.months)
    expenses = np.round(
        len(_REPS) * _SALES_COST_PER_REP * rng.uniform(0.95, 1.05, cal.months)
        + _MARKETING_PER_LEAD * n_leads,
        -2,
    )
    market = _MARKET_SIZE * (1.004**k)
    return {
        "expected": expected,
        "contract_months": c_months,
        "fee": fee,
        "responses": resp,
        "inputs": {
            "visitors": visitors,
            "margin": margin,
            "sales_expenses": expenses,
            "market_size": np.round(market, -2),
        },
    }


def _active_spells(spells, day: int) -> np.ndarray:
    obs_end = np.where(spells["churned"], spells["end"], np.iinfo(np.int64).max)
    return np.flatnonzero((spells["start"] < day) & (obs_end >= day))


def _nps(rng, cal, spells) -> dict[str, np.ndarray]:
    parts = []
    for k in range(cal.months):
        if cal.moy[k] not in _NPS_MONTHS or k == 0:
            continue
        t = int(cal.ms[k])
        act = _active_spells(spells, t)
        act = act[rng.random(len(act)) < _NPS_SAMPLE]
        seg = spells["seg"][act]
        pre = spells["end"][act] - t <= _NPS_PRE_CHURN_DAYS
        probs = np.where(pre[:, None], _NPS_PRE_CHURN[None, :], _NPS_GROUPS[seg])
        grp = _choice_rows(rng, probs)
        det = _choice_rows(rng, np.tile(_DETRACTOR_SCORES, (len(act), 1)))
        pas = 7 + _choice_rows(rng, np.tile(_PASSIVE_SCORES, (len(act), 1)))
        pro = 9 + _choice_rows(rng, np.tile(_PROMOTER_SCORES, (len(act), 1)))
        score = np.choose(grp, [det, pas, pro])
        sec = (t + rng.integers(0, 14, len(act))) * _DAY + _business_seconds(
            rng, len(act)
        )
        parts.append(
            {
                "cust": spells["cust"][act],
                "sec": sec,
                "score": score,
                "pre": pre,
                "seg": seg,
            }
        )
    if not parts:
        return {
            "cust": np.zeros(0, int),
            "sec": np.zeros(0, np.int64),
            "score": np.zeros(0, int),
            "pre": np.zeros(0, bool),
            "seg": np.zeros(0, int),
        }
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    keep = out["sec"] < cal.end * _DAY
    out = {k: v[keep] for k, v in out.items()}
    order = np.lexsort((out["cust"], out["sec"]))
    return {k: v[order] for k, v in out.items()}


def _events(seq, cal, cust, spells, events_months, bar):
    """Product events for the last ``events_months`` months (thinned Poisson)."""
    w0 = int(cal.ms[cal.months - events_months]) * _DAY
    w1 = cal.end * _DAY
    seg = cust["seg"]
    n_users = np.ceil(1.5 * np.sqrt(cust["seats0"])).astype(np.int64)
    user_off = np.cumsum(n_users) - n_users
    # trial intervals: every self-serve sign-up and every non-converting trial
    tr = np.flatnonzero(~cust["sales_led"])
    t_lo = cust["signup"][tr]
    t_hi = np.where(
        cust["trial_nc"][tr],
        t_lo + _TRIAL_DAYS * _DAY,
        (cust["day"][tr] + _TRIAL_DAYS) * _DAY,
    )
    # paying intervals: spells
    p_lo = spells["start"] * _DAY
    p_hi = np.where(spells["churned"], spells["end"], cal.end) * _DAY
    iv = {
        "acct": np.r_[tr, spells["cust"]],
        "lo": np.r_[t_lo, p_lo],
        "hi": np.r_[t_hi, p_hi],
        "kind": np.r_[np.where(cust["trial_nc"][tr], 2, 1), np.zeros(len(p_lo), int)],
        "dec_end": np.r_[np.zeros(len(tr), np.int64), spells["end"] * _DAY],
        "dec_len": np.r_[np.ones(len(tr), np.int64), spells["decline_weeks"] * _WEEK],
        "dec": np.r_[np.zeros(len(tr), bool), spells["decline"]],
    }
    iv["lo"] = np.maximum(iv["lo"], w0)
    iv["hi"] = np.minimum(iv["hi"], w1)
    ok = iv["hi"] > iv["lo"]
    iv = {k: v[ok] for k, v in iv.items()}
    iv["rate"] = _WEEKLY_EVENTS[seg[iv["acct"]]] * np.where(
        iv["kind"] == 2, _TRIAL_NC_BOOST, 1
    )
    wf = (iv["lo"] - w0) // _WEEK
    wl = (iv["hi"] - 1 - w0) // _WEEK
    nweeks = wl - wf + 1
    cum = np.cumsum(nweeks)
    bounds = np.searchsorted(
        cum,
        np.arange(_EVENT_CHUNK, int(cum[-1]) if len(cum) else 0, _EVENT_CHUNK),
        "right",
    )
    bounds = np.r_[0, bounds, len(nweeks)]
    chunks = [
        (int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a
    ]
    seeds = seq.spawn(max(len(chunks), 1))
    parts = []
    iterator = chunks
    if bar.bar is not None and len(chunks) > 1:
        from tqdm.auto import tqdm

        iterator = tqdm(chunks, desc="events", unit="chunk", leave=False)
    for ci, (a, b) in enumerate(iterator):
        crng = np.random.default_rng(seeds[ci])
        sub = slice(a, b)
        rep = np.repeat(np.arange(a, b), nweeks[sub])
        wk = wf[rep] + _repeat_ranges(nweeks[sub])
        ws = w0 + wk * _WEEK
        lo = np.maximum(iv["lo"][rep], ws)
        hi = np.minimum(iv["hi"][rep], ws + _WEEK)
        lam = iv["rate"][rep] * (hi - lo) / _WEEK / _ACCEPT_MEAN
        cnt = crng.poisson(lam)
        e_iv = np.repeat(rep, cnt)
        t = np.repeat(lo, cnt) + np.floor(
            crng.random(len(e_iv)) * np.repeat(hi - lo, cnt)
        ).astype(np.int64)
        acc = _HOUR_WEIGHT[(t % _DAY) // 3600] * _DOW_WEIGHT[(t // _DAY + 3) % 7]
        kind = iv["kind"][e_iv]
        trial_nc = kind == 2
        acc[trial_nc] *= np.exp(
            -(t[trial_nc] - iv["lo"][e_iv][trial_nc]) / (_TRIAL_NC_DECAY_DAYS * _DAY)
        )
        dec = iv["dec"][e_iv]
        if dec.any():
            left = (iv["dec_end"][e_iv] - t) / iv["dec_len"][e_iv]
            m = np.where(
                dec & (left < 1), _DECLINE_FLOOR + (1 - _DECLINE_FLOOR) * left, 1.0
            )
            acc *= m
        keep = crng.random(len(t)) < acc
        e_iv, t = e_iv[keep], t[keep]
        acct = iv["acct"][e_iv]
        nu = n_users[acct]
        user = user_off[acct] + np.floor(nu * crng.random(len(t)) ** 2).astype(np.int64)
        ev = crng.choice(len(_EVENTS), size=len(t), p=_EVENT_MIX).astype(np.int8)
        parts.append((user, ev, t))
    if parts:
        user, ev, t = (np.concatenate(x) for x in zip(*parts, strict=True))
    else:
        user, t, ev = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8)
    del parts
    # sort by (timestamp, user, event); one int64 key is much faster than lexsort
    n_tot = max(int(n_users.sum()), 1)
    if (w1 - w0 + 1) * n_tot * len(_EVENTS) < 2**62:
        order = np.argsort(((t - w0) * n_tot + user) * len(_EVENTS) + ev, kind="stable")
    else:  # pragma: no cover - only for absurdly large runs
        order = np.lexsort((ev, user, t))
    user, ev, t = user[order], ev[order], t[order]
    del order
    user_acct = np.repeat(np.arange(len(n_users)), n_users)
    return {
        "acct": user_acct[user],
        "user": user,
        "ev": ev,
        "sec": t,
        "user_total": int(n_users.sum()),
        "w0": w0 // _DAY,
    }


def _strings_from_codes(
    codes: np.ndarray, n: int, prefix: str, width: int
) -> np.ndarray:
    """Id strings for integer codes without formatting one string per row."""
    used = np.flatnonzero(np.bincount(codes, minlength=n))
    labels = np.full(n, None, dtype=object)
    labels[used] = _ids(prefix, n, width)[used]
    return labels[codes]


def _assemble(cal: _Calendar, p: dict[str, Any]) -> dict[str, pd.DataFrame]:
    cust, rows, orders, reasons = p["cust"], p["rows"], p["orders"], p["reasons"]
    sales, leads, acts, targets = p["sales"], p["leads"], p["acts"], p["targets"]
    extra = p["extra"]
    nps, events = p["nps"], p["events"]
    cid = cust["id"]
    plan = np.where(cust["plan"] >= 0, cust["plan"], 0)
    plan_lbl = _labels(_PLANS, plan)
    plan_lbl[cust["plan"] < 0] = None
    customers = pd.DataFrame(
        {
            "customer_id": cid,
            "signup_at": _seconds(cust["signup"]),
            "segment": _labels(_SEGMENTS, cust["seg"]),
            "country": _labels(_COUNTRIES, cust["country"]),
            "channel": _labels(_CHANNELS, cust["channel"]),
            "plan": plan_lbl,
        }
    )
    subscriptions = pd.DataFrame(
        {
            "customer_id": cid[rows["cust"]],
            "start": _days(rows["start"]),
            "end": _days(rows["end"], rows["open"]),
            "mrr": rows["mrr"],
            "plan": _labels(_PLANS, rows["tier"]),
            "billing": np.where(rows["annual"], "annual", "monthly").astype(object),
        }
    )
    o = np.lexsort((orders["is_refund"], orders["cust"], orders["day"]))
    orders = {k: v[o] for k, v in orders.items()}
    orders_df = pd.DataFrame(
        {
            "order_id": _ids("O", len(o), 7),
            "customer_id": cid[orders["cust"]],
            "ordered_at": _days(orders["day"]),
            "amount": orders["amount"],
            "is_refund": orders["is_refund"],
            "location": _labels(_COUNTRIES, cust["country"][orders["cust"]]),
        }
    )
    ev_names = np.asarray(_EVENTS, dtype=object)
    events_df = pd.DataFrame(
        {
            "user_id": _strings_from_codes(
                events["user"], events["user_total"], "U", 6
            ),
            "account_id": cid[events["acct"]],
            "event": ev_names[events["ev"]],
            "timestamp": _seconds(events["sec"]),
        }
    )
    deal_ids = sales["id"]
    has_deal = leads["deal"] >= 0
    lead_deal = np.full(len(has_deal), None, dtype=object)
    lead_deal[has_deal] = deal_ids[leads["deal"][has_deal]]
    leads_df = pd.DataFrame(
        {
            "lead_id": leads["id"],
            "created_at": _days(leads["created"]),
            "source": _labels(_SOURCES, leads["src"]),
            "converted_at": _days(
                np.where(has_deal, sales["created"][np.maximum(leads["deal"], 0)], 0),
                ~has_deal,
            ),
            "deal_id": lead_deal,
        }
    )
    status = sales["status"]
    is_open = status == 2
    stage_now = _labels(_STAGES, sales["current"])
    stage_now[status == 0] = "closed_won"
    stage_now[status == 1] = "closed_lost"
    deal_cust = np.full(sales["n"], None, dtype=object)
    won = sales["cust"] >= 0
    deal_cust[won] = cid[sales["cust"][won]]
    deals = pd.DataFrame(
        {
            "deal_id": deal_ids,
            "created_at": _days(sales["created"]),
            "closed_at": _days(np.where(is_open, 0, sales["close"]), is_open),
            "status": _labels(("won", "lost", "open"), status),
            "amount": sales["amount"],
            "owner": _labels(_REPS, sales["owner"]),
            "source": _labels(_SOURCES, sales["src"]),
            "region": _labels(_REGIONS, sales["region"]),
            "segment": _labels(_SEGMENTS[1:], sales["seg"]),
            "stage": stage_now,
            "customer_id": deal_cust,
            "expected_close_at": _days(extra["expected"]),
            "contract_value": np.round(
                sales["amount"] * extra["contract_months"] / 12 + extra["fee"], 2
            ),
            "contract_months": extra["contract_months"].astype(float),
            "one_time_fees": extra["fee"],
        }
    )
    vis = sales["visible"]
    d_idx, s_idx = np.nonzero(vis)
    closed = np.flatnonzero(~is_open)
    st_deal = np.r_[d_idx, closed]
    st_stage = np.r_[s_idx, np.where(status[closed] == 0, 4, 5)]
    st_day = np.r_[sales["entry"][d_idx, s_idx], sales["close"][closed]]
    o = np.lexsort((st_stage, st_deal))
    deal_stages = pd.DataFrame(
        {
            "deal_id": deal_ids[st_deal[o]],
            "stage": _labels(_STAGES + ("closed_won", "closed_lost"), st_stage[o]),
            "entered_at": _days(st_day[o]),
        }
    )
    resp = extra["responses"]
    a_owner = np.r_[acts["owner"], acts["owner"][resp["src"]]]
    a_type = np.r_[acts["type"], np.full(len(resp["src"]), len(_ACTIVITY_TYPES))]
    a_sec = np.r_[acts["sec"], resp["sec"]]
    a_src = np.r_[acts["deal"], acts["deal"][resp["src"]]]
    a_out = np.r_[acts["outcome"], np.full(len(resp["src"]), None, dtype=object)]
    o = np.lexsort((a_type, a_owner, a_sec))
    a_deal = np.full(len(a_src), None, dtype=object)
    has = a_src >= 0
    a_deal[has] = deal_ids[a_src[has]]
    activities = pd.DataFrame(
        {
            "owner": _labels(_REPS, a_owner[o]),
            "type": _labels((*_ACTIVITY_TYPES, "response"), a_type[o]),
            "at": _seconds(a_sec[o]),
            "deal_id": a_deal[o],
            "outcome": a_out[o],
        }
    )
    targets_df = pd.DataFrame(
        {
            "owner": _labels(_REPS, targets["owner"]),
            "period": _days(targets["period"]),
            "quota": targets["quota"],
        }
    )
    inp = extra["inputs"]
    buys = orders_df[~orders_df["is_refund"]]
    month_rev = (
        buys.groupby(buys["ordered_at"].dt.to_period("M"))["amount"]
        .sum()
        .reindex(pd.period_range(str(cal.m0), periods=cal.months, freq="M"))
        .fillna(0.0)
        .to_numpy()
    )
    sales_inputs = pd.DataFrame(
        {
            "period": _days(cal.ms[: cal.months]),
            "visitors": inp["visitors"],
            "sales_expenses": inp["sales_expenses"],
            "cost_of_sales": np.round(month_rev * (1 - inp["margin"]), 2),
            "market_size": inp["market_size"],
        }
    )
    churn_reasons = pd.DataFrame(
        {
            "customer_id": cid[reasons["cust"]],
            "at": _days(reasons["day"]),
            "reason": _labels(_REASONS, reasons["reason"]),
            "comment": reasons["comment"],
        }
    )
    o = np.lexsort((reasons["cust"], reasons["day"]))
    churn_reasons = churn_reasons.iloc[o].reset_index(drop=True)
    nps_df = pd.DataFrame(
        {
            "customer_id": cid[nps["cust"]],
            "at": _seconds(nps["sec"]),
            "score": nps["score"].astype(np.int64),
        }
    )
    return {
        "customers": customers,
        "subscriptions": subscriptions,
        "orders": orders_df,
        "events": events_df,
        "leads": leads_df,
        "deals": deals,
        "deal_stages": deal_stages,
        "activities": activities,
        "targets": targets_df,
        "sales_inputs": sales_inputs,
        "churn_reasons": churn_reasons,
        "nps": nps_df,
    }


def _day_str(d) -> str:
    return str(np.datetime64(int(d), "D"))


def _truth(n_accounts, seed, cal, events_months, p, tables) -> dict[str, Any]:
    cust, spells, rows, sales = p["cust"], p["spells"], p["rows"], p["sales"]
    seg_names = list(_SEGMENTS)
    per_seg = lambda a: {s: float(v) for s, v in zip(seg_names, a, strict=True)}  # noqa: E731
    lam = _HAZARD
    w0 = p["events"]["w0"]
    cid = cust["id"]
    sp = spells
    # churns whose whole decline (up to 8 weeks) lies inside the events window
    seen = sp["churned"] & (sp["end"] >= w0 + 7 * _DECLINE_WEEKS[1])
    dec_seen = np.flatnonzero(seen & sp["decline"])
    at_risk = np.flatnonzero(
        ~sp["churned"] & sp["decline"] & (sp["end"] - 7 * sp["decline_weeks"] < cal.end)
    )

    def pairs(idx):
        o = idx[np.lexsort((sp["cust"][idx], sp["end"][idx]))]
        return [
            [str(cid[c]), _day_str(e), int(w)]
            for c, e, w in zip(
                sp["cust"][o], sp["end"][o], sp["decline_weeks"][o], strict=True
            )
        ]

    won_deals = sales["status"] == 0
    lost_deals = sales["status"] == 1
    sales_truth = {
        "inputs": {
            "visit_to_lead": _VISIT_TO_LEAD,
            "gross_margin": _GROSS_MARGIN,
            "gross_margin_sd": _GROSS_MARGIN_SD,
            "sales_cost_per_rep": _SALES_COST_PER_REP,
            "marketing_per_lead": _MARKETING_PER_LEAD,
            "market_size_start": _MARKET_SIZE,
            "contract_months": [int(m) for m in _CONTRACT_MONTHS[0]],
            "setup_fee": dict(zip(_SEGMENTS[1:], map(float, _SETUP_FEE), strict=True)),
            "setup_fee_share": _SETUP_FEE_SHARE,
        },
        "segments": list(_SEGMENTS[1:]),
        "sources": list(_SOURCES),
        "win_rate": {
            _SEGMENTS[s + 1]: {
                src: float(_WIN_RATE[s, i]) for i, src in enumerate(_SOURCES)
            }
            for s in range(2)
        },
        "won_source_mix": {
            _SEGMENTS[s + 1]: {
                src: float(_WON_SOURCE_MIX[s, i]) for i, src in enumerate(_SOURCES)
            }
            for s in range(2)
        },
        "cycle_days": {
            _SEGMENTS[s + 1]: {
                "distribution": "lognormal",
                "won_median": float(_CYCLE_MEDIAN_DAYS[s]),
                "lost_median": float(_CYCLE_MEDIAN_DAYS[s] * _LOST_CYCLE_FACTOR),
                "sigma": _CYCLE_SIGMA,
                "won_mean": float(
                    _CYCLE_MEDIAN_DAYS[s] * math.exp(_CYCLE_SIGMA**2 / 2)
                ),
            }
            for s in range(2)
        },
        "lost_at_stage_mix": dict(
            zip(_STAGES, map(float, _LOST_AT_STAGE_MIX), strict=True)
        ),
        "stages": list(_STAGES) + ["closed_won", "closed_lost"],
        "lead_conversion": dict(
            zip(_SOURCES, map(float, _LEAD_CONVERSION), strict=True)
        ),
        "lead_lag_mean_days": _LEAD_LAG_MEAN_DAYS,
        "reps": {
            r: [_REPS[i] for i in _REGION_REPS[k]] for k, r in enumerate(_REGIONS)
        },
        "quota_factor": _QUOTA_FACTOR,
        "n_deals": int(sales["n"]),
        "n_won": int(won_deals.sum()),
        "n_lost": int(lost_deals.sum()),
        "n_open": int((sales["status"] == 2).sum()),
    }
    n_churn = int(sp["churned"].sum())
    return {
        "seed": int(seed),
        "n_accounts": int(n_accounts),
        "start": _day_str(cal.start),
        "end": _day_str(cal.end - 1),
        "months": int(cal.months),
        "currency": _CURRENCY,
        "segments": seg_names,
        "acquisition": {
            "segment_share": per_seg(_SEGMENT_SHARE),
            "monthly_growth": _MONTHLY_GROWTH,
            "seasonality": {str(m + 1): float(v) for m, v in enumerate(_SEASON)},
            "country_share": dict(
                zip(_COUNTRIES, map(float, _COUNTRY_SHARE), strict=True)
            ),
            "self_serve_channel_mix": {
                c: float(v)
                for c, v in zip(_CHANNELS, _SELF_SERVE_CHANNEL_MIX, strict=True)
                if v
            },
            "sales_led_segments": list(_SEGMENTS[1:]),
        },
        "trials": {
            "trial_days": _TRIAL_DAYS,
            "never_convert_share": per_seg(_TRIAL_SHARE),
            "never_convert_share_overall": float(_TRIAL_SHARE @ _SEGMENT_SHARE),
            "n_never_converted": int(cust["trial_nc"].sum()),
            "n_still_in_trial_at_end": int(cust["pending"].sum()),
        },
        "churn": {
            "monthly_rate": per_seg(_MONTHLY_CHURN),
            "hazard_per_month": per_seg(lam),
            "annual_rate": per_seg(1 - (1 - _MONTHLY_CHURN) ** 12),
            "survival_12m": per_seg((1 - _MONTHLY_CHURN) ** 12),
            "median_lifetime_months": per_seg(np.log(2) / lam),
            "mean_lifetime_months": per_seg(1 / lam),
            "n_churn_events": n_churn,
        },
        "plans": {
            "names": list(_PLANS),
            "seat_price_monthly": dict(
                zip(_PLANS, map(float, _SEAT_PRICE), strict=True)
            ),
            "annual_discount": _ANNUAL_DISCOUNT,
            "plan_mix": {
                s: {p: float(v) for p, v in zip(_PLANS, _PLAN_MIX[i], strict=True) if v}
                for i, s in enumerate(seg_names)
            },
            "seats": {
                s: {
                    "distribution": "lognormal",
                    "median": float(_SEATS_MEDIAN[i]),
                    "sigma": float(_SEATS_SIGMA[i]),
                    "min": int(_SEATS_MIN[i]),
                }
                for i, s in enumerate(seg_names)
            },
            "annual_billing_share": per_seg(_ANNUAL_SHARE),
        },
        "expansion": {
            "rate_per_month": per_seg(_EXPANSION_RATE),
            "monthly_prob": per_seg(1 - np.exp(-_EXPANSION_RATE)),
            "plan_upgrade_share": _PLAN_MOVE_SHARE,
            "seat_multiplier": list(_EXPANSION_SEATS),
            "n_rows": int((rows["kind"] == 1).sum()),
        },
        "contraction": {
            "rate_per_month": per_seg(_CONTRACTION_RATE),
            "monthly_prob": per_seg(1 - np.exp(-_CONTRACTION_RATE)),
            "plan_downgrade_share": _PLAN_MOVE_SHARE,
            "seat_multiplier": list(_CONTRACTION_SEATS),
            "n_rows": int((rows["kind"] == -1).sum()),
        },
        "reactivation": {
            "share_of_churns": _REACTIVATION_SHARE,
            "gap_days": {
                "min": _REACTIVATION_GAP_MIN_DAYS,
                "extra": "exponential",
                "extra_mean": _REACTIVATION_GAP_MEAN_EXTRA_DAYS,
            },
            "n_reactivations": int((sp["gen"] > 0).sum()),
        },
        "orders": {
            "refund_share": _REFUND_SHARE,
            "refund_lag_days": list(_REFUND_LAG_DAYS),
            "n_refunds": int(tables["orders"]["is_refund"].sum()),
        },
        "activity": {
            "events_start": _day_str(w0),
            "events_months": int(events_months),
            "weekly_events_per_account": per_seg(_WEEKLY_EVENTS),
            "event_mix": dict(zip(_EVENTS, map(float, _EVENT_MIX), strict=True)),
            "users_per_account": "ceil(1.5 * sqrt(seats at first subscription))",
            "trial_non_converter_boost": _TRIAL_NC_BOOST,
            "trial_non_converter_decay_days": _TRIAL_NC_DECAY_DAYS,
            "decline_share_of_churns": _DECLINE_SHARE,
            "decline_weeks": list(_DECLINE_WEEKS),
            "decline_floor": _DECLINE_FLOOR,
            "decline_shape": (
                "linear: the event rate falls from 100% of baseline at "
                "(churn date - decline_weeks) to decline_floor at the churn date"
            ),
            "declining_churns_from": _day_str(w0 + 7 * _DECLINE_WEEKS[1]),
            "n_declining_churns": len(dec_seen),
            "n_churns_in_events_window": int(seen.sum()),
            "declining_churns": pairs(dec_seen),
            "n_at_risk_at_end": len(at_risk),
            "at_risk_at_end": pairs(at_risk),
        },
        "sales": sales_truth,
        "churn_reasons": {
            "response_share": _REASON_RESPONSE,
            "comment_share": _COMMENT_SHARE,
            "mix": {
                s: dict(zip(_REASONS, map(float, _REASON_MIX[i]), strict=True))
                for i, s in enumerate(seg_names)
            },
        },
        "nps": {
            "sample_share": _NPS_SAMPLE,
            "survey_months": list(_NPS_MONTHS),
            "detractor_share": per_seg(_NPS_GROUPS[:, 0]),
            "passive_share": per_seg(_NPS_GROUPS[:, 1]),
            "promoter_share": per_seg(_NPS_GROUPS[:, 2]),
            "nps": per_seg(100 * (_NPS_GROUPS[:, 2] - _NPS_GROUPS[:, 0])),
            "pre_churn_days": _NPS_PRE_CHURN_DAYS,
            "pre_churn_shares": dict(
                zip(
                    ("detractor", "passive", "promoter"),
                    map(float, _NPS_PRE_CHURN),
                    strict=True,
                )
            ),
        },
        "rows": {name: len(df) for name, df in tables.items()},
    }


# --------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------
def generate(
    n_accounts: int = 5000,
    *,
    seed: int = 42,
    start: str = SAMPLE_START,
    months: int = 36,
    events_months: int = _EVENT_MONTHS,
    progress: bool = False,
) -> dict[str, pd.DataFrame]:
    """Generate the sample company's tables.

    Parameters
    ----------
    n_accounts : int, default 5000
        Number of sign-ups (rows of ``customers``), trials included.
    seed : int, default 42
        Seed of the random streams; the same seed gives identical frames.
    start : str, default SAMPLE_START
        First day of the data; must be the first day of a month.
    months : int, default 36
        Number of complete months. Nothing is dated on or after
        ``start + months``.
    events_months : int, default 12
        Product ``events`` cover only the last ``events_months`` months, to keep
        the table small; pass ``months`` for the full history.
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    dict of str to DataFrame
        One frame per table, keyed ``customers``, ``subscriptions``, ``orders``,
        ``events``, ``leads``, ``deals``, ``deal_stages``, ``activities``,
        ``targets``, ``churn_reasons`` and ``nps``, with the contract's
        canonical column names (see ``data/README.md``).

    Raises
    ------
    ValueError
        If an argument is out of range or ``start`` is not a month start.

    See Also
    --------
    ground_truth : the planted parameters of the same run.
    write : generate and write the tables to a folder.

    Notes
    -----
    **Churn.** Each paying stretch ("spell") lasts an exponential time with
    per-segment hazard ``lambda = -ln(1 - p)`` per month, measured in a month
    index where every calendar month has length one. The probability that a
    customer active at a month's start churns in that month is therefore exactly
    ``p``, which churnlab's time rules recover.

    Examples
    --------
    >>> tables = generate(200, seed=1)
    >>> sorted(tables) == sorted(TABLES)
    True
    >>> tables["customers"].shape[0]
    200
    """
    tables, _ = _simulate(n_accounts, seed, start, months, events_months, progress)
    return tables


def ground_truth(
    n_accounts: int = 5000,
    *,
    seed: int = 42,
    start: str = SAMPLE_START,
    months: int = 36,
    events_months: int = _EVENT_MONTHS,
) -> dict[str, Any]:
    """Return the planted parameters and realised counts of a sample run.

    Parameters
    ----------
    n_accounts, seed, start, months, events_months
        As for :func:`generate`; the same arguments describe the same data.

    Returns
    -------
    dict
        A JSON-able dict. Keys: ``seed``, ``n_accounts``, ``start``, ``end``,
        ``months``, ``currency``, ``segments``, ``acquisition``, ``trials``,
        ``churn`` (monthly rate, hazard, annual rate, 12-month survival, median
        and mean lifetime per segment), ``plans``, ``expansion``,
        ``contraction``, ``reactivation``, ``orders``, ``activity`` (the usage
        decline before churn, with the affected churns and the accounts at risk
        at the end), ``sales`` (win rates, cycle lengths, lead conversion),
        ``churn_reasons``, ``nps`` and ``rows`` (row count per table).

    Examples
    --------
    >>> truth = ground_truth(200, seed=1)
    >>> truth["churn"]["monthly_rate"]["SMB"]
    0.045
    """
    _, truth = _simulate(n_accounts, seed, start, months, events_months, False)
    return truth


def write(
    out_dir: str | Path,
    tables: Mapping[str, pd.DataFrame] | None = None,
    *,
    fmt: str = "csv",
    events_fmt: str = "parquet",
    **generate_kwargs: Any,
) -> Path:
    """Write the sample tables and ``ground_truth.json`` to a folder.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write to; created if missing.
    tables : mapping of str to DataFrame, optional
        Tables to write. By default they are generated with
        ``generate_kwargs``. When given, ``ground_truth.json`` is still computed
        from ``generate_kwargs``, so pass the arguments that made ``tables``.
    fmt : {"csv", "parquet"}, default "csv"
        File format of every table except ``events``.
    events_fmt : {"csv", "parquet"}, default "parquet"
        File format of the ``events`` table.
    **generate_kwargs
        Passed to :func:`generate` (``n_accounts``, ``seed``, ``start``,
        ``months``, ``events_months``, ``progress``).

    Returns
    -------
    Path
        The folder written.

    Notes
    -----
    One file per table, ``<table>.csv`` or ``<table>.parquet``; a file of the
    same table in the other format is removed so a folder never holds two
    versions. CSV dates without a time of day are written as ``YYYY-MM-DD`` and
    money with two decimals; Parquet uses zstd compression. Same arguments,
    same bytes.
    """
    for name, value in (("fmt", fmt), ("events_fmt", events_fmt)):
        if value not in ("csv", "parquet"):
            raise ValueError(f"{name} must be 'csv' or 'parquet', got {value!r}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    progress = bool(generate_kwargs.pop("progress", False))
    kwargs = {
        "n_accounts": generate_kwargs.pop("n_accounts", 5000),
        "seed": generate_kwargs.pop("seed", 42),
        "start": generate_kwargs.pop("start", SAMPLE_START),
        "months": generate_kwargs.pop("months", 36),
        "events_months": generate_kwargs.pop("events_months", _EVENT_MONTHS),
    }
    if generate_kwargs:
        raise TypeError(f"write() got unexpected arguments: {sorted(generate_kwargs)}")
    if tables is None:
        tables, truth = _simulate(progress=progress, **kwargs)
    else:
        truth = ground_truth(**kwargs)
    items = list(tables.items())
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(items, desc="writing", unit="table")
    for name, df in items:
        kind = events_fmt if name == "events" else fmt
        other = "csv" if kind == "parquet" else "parquet"
        stale = out / f"{name}.{other}"
        if stale.exists():
            stale.unlink()
        path = out / f"{name}.{kind}"
        if kind == "csv":
            df.to_csv(path, index=False, float_format="%.2f", lineterminator="\n")
        else:
            df.to_parquet(
                path,
                index=False,
                engine="pyarrow",
                compression="zstd",
                coerce_timestamps="ms",
                allow_truncated_timestamps=False,
            )
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return out
