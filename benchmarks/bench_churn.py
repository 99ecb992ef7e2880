"""Benchmark: churnlab vs pandas vs hand-written DuckDB SQL for churn metrics.

Three tasks on a generated company of 100k accounts (``churnlab.sample.generate``):

* ``mrr``    monthly MRR movements (start, new, expansion, contraction, churn,
             reactivation, end);
* ``logo``   monthly logo churn counts (start, new, new-and-lost, reactivated,
             churned, end);
* ``orders`` monthly non-contractual churn (90-day window) on the orders.

Implementations: ``churnlab`` (the public functions on a Dataset loaded and
validated once, as a notebook does) and ``churnlab_path`` (given the parquet
path, so the contract validation query runs inside every call); ``pandas``,
the straightforward way (for each month boundary, filter the active rows and
group by customer, then compare consecutive snapshots); ``pandas_grid``, a
tuned vectorised pandas/numpy version (each row expanded to the boundaries it
covers with ``searchsorted``: one customer x month grid); hand-written DuckDB
SQL, two formulations each: ``sql_range`` (range join against a month spine,
then compare consecutive boundaries) and ``sql_events`` (a running sum over
change events), plus churnlab's own formulations written by hand, so the best
SQL is not handicapped: for logo churn ``sql_edges`` (a running count over
exact start/end instants; the first and last switch inside a month give its
start and end state), for orders ``sql_thin`` (``sql_events`` on the first and
last purchase per customer and W-day bucket). pandas is timed after its
parquet is loaded. Every implementation's result is checked against churnlab's.

Each (task, implementation) runs in a fresh subprocess: best of ``--repeat``
wall times, then peak memory: the process's peak RSS increase over its
baseline after loading (VmHWM, covers DuckDB's native memory), and for pandas
also the tracemalloc peak of a separate run.

Usage::

    python benchmarks/bench_churn.py                 # 100k accounts
    python benchmarks/bench_churn.py --accounts 400000 --orders-copies 4

``--orders-copies k`` adds k-1 copies of every order, each shifted by a random
0-27 days (the sample invoices monthly or yearly, ~7 orders per account), to
reach the ~10M orders of the issue's target scale.
This is a script; pytest does not collect it (testpaths = ["tests"]).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TASKS = ("mrr", "logo", "orders")
IMPLS = (
    "churnlab",
    "churnlab_path",
    "sql_events",
    "sql_range",
    "sql_thin",
    "sql_edges",
    "pandas",
    "pandas_grid",
)
WINDOW = 90

# ------------------------------------------------------------------------- data


def prepare(folder: Path, accounts: int, copies: int) -> dict:
    """Generate the company once and write parquet files; returns metadata."""
    meta_path = folder / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta["accounts"] == accounts and meta["copies"] == copies:
            return meta
    import churnlab as cl

    t = time.perf_counter()
    tables = cl.sample.generate(accounts, events_months=1)
    subs = tables["subscriptions"][["customer_id", "start", "end", "mrr"]]
    orders = tables["orders"][["customer_id", "ordered_at", "amount", "is_refund"]]
    orders = orders[~orders["is_refund"]].drop(columns="is_refund")
    if copies > 1:
        rng = np.random.default_rng(0)
        extra = []
        for k in range(1, copies):
            shifted = orders.copy()
            shifted["ordered_at"] = shifted["ordered_at"] + pd.to_timedelta(
                rng.integers(0, 28, len(orders)), unit="D"
            )
            extra.append(shifted)
            del k
        orders = pd.concat([orders, *extra], ignore_index=True)
        end = pd.Timestamp(cl.sample.SAMPLE_END) + pd.Timedelta(days=1)
        orders = orders[orders["ordered_at"] < end]
    folder.mkdir(parents=True, exist_ok=True)
    subs.to_parquet(folder / "subscriptions.parquet", index=False)
    orders.to_parquet(folder / "orders.parquet", index=False)
    months = subs.assign(m=subs["start"].dt.to_period("M")).pipe(
        lambda s: (
            (s["end"].fillna(pd.Timestamp(cl.sample.SAMPLE_END)) - s["start"]).dt.days
            / 30.44
        ).sum()
    )
    meta = {
        "accounts": accounts,
        "copies": copies,
        "subscriptions": len(subs),
        "subscription_months": int(months),
        "orders": len(orders),
        "generate_seconds": round(time.perf_counter() - t, 1),
        "as_of": cl.sample.SAMPLE_END,
    }
    meta_path.write_text(json.dumps(meta))
    return meta


# ------------------------------------------------------------------- churnlab


def run_churnlab(task: str, source, as_of: str) -> pd.DataFrame:
    """``source``: a parquet path (validated on every call) or a loaded Dataset."""
    import churnlab as cl

    if task == "mrr":
        df = cl.mrr_movements(source, as_of=as_of)
        return df[
            [
                "period",
                "start_mrr",
                "new",
                "expansion",
                "contraction",
                "churn",
                "reactivation",
                "end_mrr",
            ]
        ]
    if task == "logo":
        df = cl.customer_churn(source, as_of=as_of)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = cl.order_churn(source, as_of=as_of, inactivity_days=WINDOW)
    return df[
        [
            "period",
            "customers_start",
            "customers_new",
            "customers_new_lost",
            "customers_reactivated",
            "customers_churned",
            "customers_end",
        ]
    ]


# ------------------------------------------------------------------------ SQL

_SPINE = """
spine AS (
    SELECT range AS p, range + INTERVAL 1 MONTH AS b
    FROM range(TIMESTAMP '{first}', TIMESTAMP '{cutoff}', INTERVAL 1 MONTH)
    WHERE range + INTERVAL 1 MONTH <= TIMESTAMP '{cutoff}'
)"""

# Change events at the first boundary after a start / end, running sum per customer.
_SUBS_EVENTS = (
    """
WITH subs AS (
    SELECT customer_id, start, "end", CAST(round(mrr * 100) AS BIGINT) AS c
    FROM read_parquet('{subs}')
    WHERE start < TIMESTAMP '{cutoff}' AND ("end" IS NULL OR "end" > start)
),
first AS (SELECT customer_id, min(start) AS first_start FROM subs GROUP BY 1),
"""
    + _SPINE.strip()
    + """,
ev AS (
    SELECT customer_id, date_trunc('month', start) + INTERVAL 1 MONTH AS b, 1 AS dn,
           c AS dm FROM subs
    UNION ALL
    SELECT customer_id, date_trunc('month', "end") + INTERVAL 1 MONTH, -1, -c
    FROM subs WHERE "end" IS NOT NULL
),
agg AS (
    SELECT customer_id, b, sum(dn) AS dn, sum(dm) AS dm FROM ev
    WHERE b <= TIMESTAMP '{cutoff}' GROUP BY 1, 2
),
run AS (
    SELECT customer_id, b, dn, dm,
           sum(dn) OVER w AS n_end, sum(dm) OVER w AS m_end
    FROM agg WINDOW w AS (PARTITION BY customer_id ORDER BY b
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
ch AS (
    SELECT r.customer_id, r.b - INTERVAL 1 MONTH AS p,
           (r.n_end - r.dn) > 0 AS a0, r.n_end > 0 AS a1,
           r.m_end - r.dm AS m0, r.m_end AS m1,
           date_trunc('month', f.first_start) = r.b - INTERVAL 1 MONTH AS is_first
    FROM run r JOIN first f USING (customer_id)
)"""
)

_MRR_EVENTS = (
    _SUBS_EVENTS
    + """,
per AS (
    SELECT p,
        sum(m1 - m0) AS d,
        sum(CASE WHEN NOT a0 AND a1 AND is_first THEN m1 ELSE 0 END) AS new,
        sum(CASE WHEN a0 AND a1 AND m1 > m0 THEN m1 - m0 ELSE 0 END) AS expansion,
        sum(CASE WHEN a0 AND a1 AND m1 < m0 THEN m0 - m1 ELSE 0 END) AS contraction,
        sum(CASE WHEN a0 AND NOT a1 THEN m0 ELSE 0 END) AS churn,
        sum(CASE WHEN NOT a0 AND a1 AND NOT is_first THEN m1 ELSE 0 END) AS reactivation
    FROM ch GROUP BY 1
)
SELECT p AS period,
       (sum(d) OVER (ORDER BY p) - d) / 100.0 AS start_mrr,
       new / 100.0 AS new, expansion / 100.0 AS expansion,
       contraction / 100.0 AS contraction, churn / 100.0 AS churn,
       reactivation / 100.0 AS reactivation,
       sum(d) OVER (ORDER BY p) / 100.0 AS end_mrr
FROM per ORDER BY p
"""
)

_LOGO_EVENTS = (
    _SUBS_EVENTS
    + """,
flows AS (
    SELECT p, sum(a1::INT - a0::INT) AS d,
           sum((a0 AND NOT a1)::INT) AS churned,
           sum((NOT a0 AND a1)::INT) AS activated,
           sum((NOT a0 AND a1 AND is_first)::INT) AS new_retained
    FROM ch GROUP BY 1
),
news AS (SELECT date_trunc('month', first_start) AS p, count(*) AS new
         FROM first GROUP BY 1)
SELECT s.p AS period,
       coalesce(sum(f.d) OVER (ORDER BY s.p), 0) - coalesce(f.d, 0) AS customers_start,
       coalesce(n.new, 0) AS customers_new,
       coalesce(n.new, 0) - coalesce(f.new_retained, 0) AS customers_new_lost,
       coalesce(f.activated, 0) - coalesce(f.new_retained, 0) AS customers_reactivated,
       coalesce(f.churned, 0) AS customers_churned,
       coalesce(sum(f.d) OVER (ORDER BY s.p), 0) AS customers_end
FROM spine s LEFT JOIN flows f ON f.p = s.p LEFT JOIN news n ON n.p = s.p
ORDER BY 1
"""
)

# Logo churn from exact-time edges (churnlab's formulation, by hand): a running
# count over start/end instants finds where each customer switches on or off; the
# first and last switch inside a month give the state at its start and end.
_LOGO_EDGES = (
    """
WITH subs AS (
    SELECT customer_id, start, "end" FROM read_parquet('{subs}')
    WHERE start < TIMESTAMP '{cutoff}' AND ("end" IS NULL OR "end" > start)
),
"""
    + _SPINE.strip()
    + """,
ev AS (
    SELECT customer_id, start AS t, 1 AS dn FROM subs
    UNION ALL SELECT customer_id, "end", -1 FROM subs WHERE "end" IS NOT NULL
),
run AS (
    SELECT customer_id, t, dn, sum(dn) OVER w AS n, min(t) OVER w AS first_t
    FROM ev WINDOW w AS (PARTITION BY customer_id ORDER BY t, dn DESC
                         ROWS UNBOUNDED PRECEDING)
),
edges AS (
    SELECT customer_id, t, n > 0 AS is_start, first_t FROM run
    WHERE (n - dn = 0 AND n > 0) OR (n - dn > 0 AND n = 0)
),
cp AS (
    SELECT date_trunc('month', t) AS p, arg_min(is_start, t) AS fs,
           arg_max(is_start, t) AS ls, date_trunc('month', min(first_t)) AS fp
    FROM edges WHERE t < TIMESTAMP '{cutoff}'
    GROUP BY customer_id, date_trunc('month', t)
),
flows AS (
    SELECT p, sum(ls::INT - (NOT fs)::INT) AS d,
           sum(((NOT fs) AND NOT ls)::INT) AS churned,
           sum((fs AND ls)::INT) AS activated,
           sum((fs AND ls AND p = fp)::INT) AS new_retained,
           sum((p = fp)::INT) AS new
    FROM cp GROUP BY 1
)
SELECT s.p AS period,
       coalesce(sum(f.d) OVER (ORDER BY s.p), 0) - coalesce(f.d, 0) AS customers_start,
       coalesce(f.new, 0) AS customers_new,
       coalesce(f.new, 0) - coalesce(f.new_retained, 0) AS customers_new_lost,
       coalesce(f.activated, 0) - coalesce(f.new_retained, 0) AS customers_reactivated,
       coalesce(f.churned, 0) AS customers_churned,
       coalesce(sum(f.d) OVER (ORDER BY s.p), 0) AS customers_end
FROM spine s LEFT JOIN flows f ON f.p = s.p
ORDER BY 1
"""
)

# Range join: state of every customer at every month boundary, then compare.
_SUBS_RANGE = (
    """
WITH subs AS (
    SELECT customer_id, start, "end", CAST(round(mrr * 100) AS BIGINT) AS c
    FROM read_parquet('{subs}')
    WHERE start < TIMESTAMP '{cutoff}' AND ("end" IS NULL OR "end" > start)
),
first AS (SELECT customer_id, min(start) AS first_start FROM subs GROUP BY 1),
"""
    + _SPINE.strip()
    + """,
snap AS (
    SELECT s.customer_id, sp.b, sum(s.c) AS m
    FROM subs s JOIN spine sp
      ON s.start < sp.b AND (s."end" IS NULL OR s."end" >= sp.b)
    GROUP BY 1, 2
),
pairs AS (
    SELECT coalesce(e.customer_id, st.customer_id) AS customer_id,
           coalesce(e.b, st.b + INTERVAL 1 MONTH) - INTERVAL 1 MONTH AS p,
           st.m IS NOT NULL AS a0, e.m IS NOT NULL AS a1,
           coalesce(st.m, 0) AS m0, coalesce(e.m, 0) AS m1
    FROM snap e FULL OUTER JOIN snap st
      ON e.customer_id = st.customer_id AND e.b = st.b + INTERVAL 1 MONTH
),
ch AS (
    SELECT x.*, date_trunc('month', f.first_start) = x.p AS is_first
    FROM pairs x JOIN first f USING (customer_id)
    WHERE x.p + INTERVAL 1 MONTH <= TIMESTAMP '{cutoff}'
)"""
)

_MRR_RANGE = (
    _SUBS_RANGE
    + """
SELECT s.p AS period,
    coalesce(sum(CASE WHEN a0 THEN m0 END), 0) / 100.0 AS start_mrr,
    coalesce(sum(CASE WHEN NOT a0 AND a1 AND is_first THEN m1 END), 0) / 100.0 AS new,
    coalesce(sum(CASE WHEN a0 AND a1 AND m1 > m0 THEN m1 - m0 END), 0) / 100.0
        AS expansion,
    coalesce(sum(CASE WHEN a0 AND a1 AND m1 < m0 THEN m0 - m1 END), 0) / 100.0
        AS contraction,
    coalesce(sum(CASE WHEN a0 AND NOT a1 THEN m0 END), 0) / 100.0 AS churn,
    coalesce(sum(CASE WHEN NOT a0 AND a1 AND NOT is_first THEN m1 END), 0) / 100.0
        AS reactivation,
    coalesce(sum(CASE WHEN a1 THEN m1 END), 0) / 100.0 AS end_mrr
FROM spine s LEFT JOIN ch ON ch.p = s.p
GROUP BY 1 ORDER BY 1
"""
)

_LOGO_RANGE = (
    _SUBS_RANGE
    + """,
news AS (SELECT date_trunc('month', first_start) AS p, count(*) AS new
         FROM first GROUP BY 1),
flows AS (
    SELECT p, sum(a0::INT) AS s0, sum(a1::INT) AS s1,
           sum((a0 AND NOT a1)::INT) AS churned,
           sum((NOT a0 AND a1)::INT) AS activated,
           sum((NOT a0 AND a1 AND is_first)::INT) AS new_retained
    FROM ch GROUP BY 1
)
SELECT s.p AS period, coalesce(f.s0, 0) AS customers_start,
       coalesce(n.new, 0) AS customers_new,
       coalesce(n.new, 0) - coalesce(f.new_retained, 0) AS customers_new_lost,
       coalesce(f.activated, 0) - coalesce(f.new_retained, 0) AS customers_reactivated,
       coalesce(f.churned, 0) AS customers_churned, coalesce(f.s1, 0) AS customers_end
FROM spine s LEFT JOIN flows f ON f.p = s.p LEFT JOIN news n ON n.p = s.p
ORDER BY 1
"""
)

# Orders: spells (gaps and islands) -> change events -> running sum.
_ORDERS_EVENTS = (
    """
WITH o AS (
    -- DISTINCT: with tied timestamps the lag and the running sum below could
    -- order the ties differently and split a spell wrongly
    SELECT DISTINCT customer_id, ordered_at FROM read_parquet('{orders}')
    WHERE ordered_at < TIMESTAMP '{cutoff}'
),
g AS (
    SELECT customer_id, ordered_at,
           CASE WHEN lag(ordered_at) OVER w IS NULL
                  OR ordered_at > lag(ordered_at) OVER w + INTERVAL {window} DAY
                THEN 1 ELSE 0 END AS fresh
    FROM o WINDOW w AS (PARTITION BY customer_id ORDER BY ordered_at)
),
isl AS (
    SELECT customer_id, ordered_at,
           sum(fresh) OVER (PARTITION BY customer_id ORDER BY ordered_at
                            ROWS UNBOUNDED PRECEDING) AS k
    FROM g
),
spells AS (
    SELECT customer_id, min(ordered_at) AS start,
           max(ordered_at) + INTERVAL {window} DAY AS "end"
    FROM isl GROUP BY customer_id, k
),
first AS (SELECT customer_id, min(start) AS first_start FROM spells GROUP BY 1),
ev AS (
    SELECT customer_id, date_trunc('month', start) + INTERVAL 1 MONTH AS b, 1 AS dn
    FROM spells
    UNION ALL
    SELECT customer_id, date_trunc('month', "end") + INTERVAL 1 MONTH, -1 FROM spells
),
agg AS (SELECT customer_id, b, sum(dn) AS dn FROM ev
        WHERE b <= TIMESTAMP '{cutoff}' GROUP BY 1, 2 HAVING sum(dn) <> 0),
run AS (
    SELECT customer_id, b, dn, sum(dn) OVER (PARTITION BY customer_id ORDER BY b
                                            ROWS UNBOUNDED PRECEDING) AS n_end
    FROM agg
),
ch AS (
    SELECT r.customer_id, r.b - INTERVAL 1 MONTH AS p, (r.n_end - r.dn) > 0 AS a0,
           r.n_end > 0 AS a1,
           date_trunc('month', f.first_start) = r.b - INTERVAL 1 MONTH AS is_first
    FROM run r JOIN first f USING (customer_id)
),
"""
    + _SPINE.strip()
    + """,
flows AS (
    SELECT p, sum(a1::INT - a0::INT) AS d, sum((a0 AND NOT a1)::INT) AS churned,
           sum((NOT a0 AND a1)::INT) AS activated,
           sum((NOT a0 AND a1 AND is_first)::INT) AS new_retained
    FROM ch GROUP BY 1
),
news AS (SELECT date_trunc('month', first_start) AS p, count(*) AS new
         FROM first GROUP BY 1)
SELECT s.p AS period,
       coalesce(sum(f.d) OVER (ORDER BY s.p), 0) - coalesce(f.d, 0) AS customers_start,
       coalesce(n.new, 0) AS customers_new,
       coalesce(n.new, 0) - coalesce(f.new_retained, 0) AS customers_new_lost,
       coalesce(f.activated, 0) - coalesce(f.new_retained, 0) AS customers_reactivated,
       coalesce(f.churned, 0) AS customers_churned,
       coalesce(sum(f.d) OVER (ORDER BY s.p), 0) AS customers_end
FROM spine s LEFT JOIN flows f ON f.p = s.p LEFT JOIN news n ON n.p = s.p
ORDER BY 1
"""
)

# Orders, spells on thinned purchases: only the first and last purchase of each
# customer in each W-day bucket can start or end a spell (the trick churnlab uses).
_ORDERS_THIN = _ORDERS_EVENTS.replace(
    """WITH o AS (
    -- DISTINCT: with tied timestamps the lag and the running sum below could
    -- order the ties differently and split a spell wrongly
    SELECT DISTINCT customer_id, ordered_at FROM read_parquet('{orders}')
    WHERE ordered_at < TIMESTAMP '{cutoff}'
),""",
    """WITH raw AS (
    SELECT customer_id, ordered_at FROM read_parquet('{orders}')
    WHERE ordered_at < TIMESTAMP '{cutoff}'
),
bk AS (
    SELECT customer_id, min(ordered_at) AS f, max(ordered_at) AS l FROM raw
    GROUP BY customer_id, floor(epoch(ordered_at) / (86400 * {window}))
),
o AS (
    SELECT customer_id, f AS ordered_at FROM bk
    UNION ALL SELECT customer_id, l FROM bk WHERE l > f
),""",
)
assert "bk AS" in _ORDERS_THIN

# Orders, range join: active at boundary b <=> an order in [b - W, b).
_ORDERS_RANGE = (
    """
WITH o AS (
    SELECT customer_id, ordered_at FROM read_parquet('{orders}')
    WHERE ordered_at < TIMESTAMP '{cutoff}'
),
first AS (SELECT customer_id, min(ordered_at) AS first_start FROM o GROUP BY 1),
"""
    + _SPINE.strip()
    + """,
snap AS (
    SELECT DISTINCT o.customer_id, sp.b
    FROM o JOIN spine sp
      ON o.ordered_at >= sp.b - INTERVAL {window} DAY AND o.ordered_at < sp.b
),
pairs AS (
    SELECT coalesce(e.customer_id, st.customer_id) AS customer_id,
           coalesce(e.b, st.b + INTERVAL 1 MONTH) - INTERVAL 1 MONTH AS p,
           st.b IS NOT NULL AS a0, e.b IS NOT NULL AS a1
    FROM snap e FULL OUTER JOIN snap st
      ON e.customer_id = st.customer_id AND e.b = st.b + INTERVAL 1 MONTH
),
ch AS (
    SELECT x.*, date_trunc('month', f.first_start) = x.p AS is_first
    FROM pairs x JOIN first f USING (customer_id)
    WHERE x.p + INTERVAL 1 MONTH <= TIMESTAMP '{cutoff}'
),
news AS (SELECT date_trunc('month', first_start) AS p, count(*) AS new
         FROM first GROUP BY 1),
flows AS (
    SELECT p, sum(a0::INT) AS s0, sum(a1::INT) AS s1,
           sum((a0 AND NOT a1)::INT) AS churned,
           sum((NOT a0 AND a1)::INT) AS activated,
           sum((NOT a0 AND a1 AND is_first)::INT) AS new_retained
    FROM ch GROUP BY 1
)
SELECT s.p AS period, coalesce(f.s0, 0) AS customers_start,
       coalesce(n.new, 0) AS customers_new,
       coalesce(n.new, 0) - coalesce(f.new_retained, 0) AS customers_new_lost,
       coalesce(f.activated, 0) - coalesce(f.new_retained, 0) AS customers_reactivated,
       coalesce(f.churned, 0) AS customers_churned, coalesce(f.s1, 0) AS customers_end
FROM spine s LEFT JOIN flows f ON f.p = s.p LEFT JOIN news n ON n.p = s.p
ORDER BY 1
"""
)

SQL = {
    ("mrr", "sql_events"): _MRR_EVENTS,
    ("mrr", "sql_range"): _MRR_RANGE,
    ("logo", "sql_events"): _LOGO_EVENTS,
    ("logo", "sql_range"): _LOGO_RANGE,
    ("logo", "sql_edges"): _LOGO_EDGES,
    ("orders", "sql_events"): _ORDERS_EVENTS,
    ("orders", "sql_range"): _ORDERS_RANGE,
    ("orders", "sql_thin"): _ORDERS_THIN,
}


def run_sql(
    task: str, impl: str, folder: Path, as_of: str, first: str, con
) -> pd.DataFrame:
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    query = SQL[(task, impl)].format(
        subs=folder / "subscriptions.parquet",
        orders=folder / "orders.parquet",
        cutoff=f"{cutoff:%Y-%m-%d}",
        first=first,
        window=WINDOW,
    )
    return con.sql(query).df()


# --------------------------------------------------------------------- pandas


def _months(first: pd.Timestamp, cutoff: pd.Timestamp) -> pd.DatetimeIndex:
    p = pd.date_range(first, cutoff, freq="MS")
    return p[p + pd.DateOffset(months=1) <= cutoff]


def _boundary_index(ts: pd.Series, months: pd.DatetimeIndex) -> np.ndarray:
    """Index of the first boundary (month end) strictly after each timestamp."""
    bounds = (months + pd.DateOffset(months=1)).values
    return np.searchsorted(bounds, ts.values, side="right")


def pandas_subs_grid(subs: pd.DataFrame, cutoff: pd.Timestamp) -> tuple:
    """Customer x boundary MRR grid: one row per subscription and month boundary."""
    subs = subs[
        (subs["start"] < cutoff) & (subs["end"].isna() | (subs["end"] > subs["start"]))
    ].copy()
    first = subs.groupby("customer_id")["start"].min()
    months = _months(first.min().to_period("M").to_timestamp(), cutoff)
    nb = len(months)
    lo = _boundary_index(subs["start"], months)  # first boundary after start
    # active at boundary b while end >= b: last boundary <= end
    bounds = (months + pd.DateOffset(months=1)).values
    hi = np.where(
        subs["end"].isna(),
        nb - 1,
        np.searchsorted(bounds, subs["end"].fillna(cutoff).values, side="right") - 1,
    )
    hi = np.minimum(hi, nb - 1)
    counts = np.clip(hi - lo + 1, 0, None)
    rows = np.repeat(np.arange(len(subs)), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    grid = pd.DataFrame(
        {
            "customer_id": subs["customer_id"].to_numpy()[rows],
            "k": lo[rows] + offs,
            "c": np.round(subs["mrr"].to_numpy()[rows] * 100).astype("int64"),
        }
    )
    snap = grid.groupby(["customer_id", "k"], as_index=False)["c"].sum()
    return snap, first, months


def pandas_pairs(snap: pd.DataFrame, first: pd.Series, months: pd.DatetimeIndex):
    """State at each period's start (k-1) and end (k) for every customer and period."""
    start = snap.assign(k=snap["k"] + 1).rename(columns={"c": "m0"})
    end = snap.rename(columns={"c": "m1"})
    pairs = end.merge(start, on=["customer_id", "k"], how="outer")
    pairs = pairs[pairs["k"] < len(months)]
    pairs["a0"] = pairs["m0"].notna()
    pairs["a1"] = pairs["m1"].notna()
    pairs[["m0", "m1"]] = pairs[["m0", "m1"]].fillna(0)
    fk = first.dt.to_period("M").dt.to_timestamp()
    first_k = pd.Series(months.get_indexer(fk), index=first.index)
    pairs["is_first"] = pairs["customer_id"].map(first_k).to_numpy() == pairs["k"]
    return pairs


def pandas_subs_loop(subs: pd.DataFrame, cutoff: pd.Timestamp) -> tuple:
    """The straightforward way: for each month boundary, who is active, at what MRR."""
    subs = subs[
        (subs["start"] < cutoff) & (subs["end"].isna() | (subs["end"] > subs["start"]))
    ]
    first = subs.groupby("customer_id")["start"].min()
    months = _months(first.min().to_period("M").to_timestamp(), cutoff)
    parts = []
    for k, p in enumerate(months):
        b = p + pd.DateOffset(months=1)
        on = subs[(subs["start"] < b) & (subs["end"].isna() | (subs["end"] >= b))]
        mrr = (on["mrr"] * 100).round().astype("int64").groupby(on["customer_id"]).sum()
        parts.append(pd.DataFrame({"customer_id": mrr.index, "k": k, "c": mrr.values}))
    return pd.concat(parts, ignore_index=True), first, months


def pandas_orders_loop(orders: pd.DataFrame, cutoff: pd.Timestamp) -> tuple:
    """For each month boundary b: customers with an order in [b - W, b)."""
    o = orders[orders["ordered_at"] < cutoff]
    first = o.groupby("customer_id")["ordered_at"].min()
    months = _months(first.min().to_period("M").to_timestamp(), cutoff)
    parts = []
    for k, p in enumerate(months):
        b = p + pd.DateOffset(months=1)
        mask = (o["ordered_at"] >= b - pd.Timedelta(days=WINDOW)) & (
            o["ordered_at"] < b
        )
        ids = o.loc[mask, "customer_id"].unique()
        parts.append(pd.DataFrame({"customer_id": ids, "k": k, "c": 0}))
    return pd.concat(parts, ignore_index=True), first, months


def pandas_orders_grid(orders: pd.DataFrame, cutoff: pd.Timestamp) -> tuple:
    """Vectorised: each order covers the boundaries b with o < b <= o + W."""
    o = orders[orders["ordered_at"] < cutoff]
    first = o.groupby("customer_id")["ordered_at"].min()
    months = _months(first.min().to_period("M").to_timestamp(), cutoff)
    bounds = (months + pd.DateOffset(months=1)).values
    lo = np.searchsorted(bounds, o["ordered_at"].values, side="right")
    until = (o["ordered_at"] + pd.Timedelta(days=WINDOW)).values
    hi = np.minimum(np.searchsorted(bounds, until, side="right") - 1, len(months) - 1)
    counts = np.clip(hi - lo + 1, 0, None)
    rows = np.repeat(np.arange(len(o)), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    snap = pd.DataFrame(
        {"customer_id": o["customer_id"].to_numpy()[rows], "k": lo[rows] + offs, "c": 0}
    ).drop_duplicates(["customer_id", "k"])
    return snap, first, months


def run_pandas(
    task: str, frames: dict, as_of: str, *, grid: bool = False
) -> pd.DataFrame:
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    if task in ("mrr", "logo"):
        build = pandas_subs_grid if grid else pandas_subs_loop
        snap, first, months = build(frames["subscriptions"], cutoff)
    else:
        build = pandas_orders_grid if grid else pandas_orders_loop
        snap, first, months = build(frames["orders"], cutoff)
    pairs = pandas_pairs(snap, first, months)
    a0, a1, m0, m1, f = (pairs[c] for c in ("a0", "a1", "m0", "m1", "is_first"))
    k = pairs["k"]
    out = pd.DataFrame({"period": months})
    if task == "mrr":
        cols = {
            "start_mrr": m0.where(a0, 0),
            "new": m1.where(~a0 & a1 & f, 0),
            "expansion": (m1 - m0).where(a0 & a1 & (m1 > m0), 0),
            "contraction": (m0 - m1).where(a0 & a1 & (m1 < m0), 0),
            "churn": m0.where(a0 & ~a1, 0),
            "reactivation": m1.where(~a0 & a1 & ~f, 0),
            "end_mrr": m1.where(a1, 0),
        }
        agg = pd.DataFrame(cols).groupby(k).sum() / 100
    else:
        agg = (
            pd.DataFrame(
                {
                    "customers_start": a0.astype(int),
                    "customers_churned": (a0 & ~a1).astype(int),
                    "activated": (~a0 & a1).astype(int),
                    "new_retained": (~a0 & a1 & f).astype(int),
                    "customers_end": a1.astype(int),
                }
            )
            .groupby(k)
            .sum()
        )
        fk = first.dt.to_period("M").dt.to_timestamp()
        new = pd.Series(months.get_indexer(fk)).value_counts()
        agg = agg.reindex(range(len(months)), fill_value=0)
        agg["customers_new"] = new.reindex(range(len(months)), fill_value=0).to_numpy()
        agg["customers_new_lost"] = agg["customers_new"] - agg["new_retained"]
        agg["customers_reactivated"] = agg["activated"] - agg["new_retained"]
    agg = agg.reindex(range(len(months)), fill_value=0)
    for c in agg.columns:
        out[c] = agg[c].to_numpy()
    if task != "mrr":
        out = out[
            [
                "period",
                "customers_start",
                "customers_new",
                "customers_new_lost",
                "customers_reactivated",
                "customers_churned",
                "customers_end",
            ]
        ]
    return out


# ---------------------------------------------------------------------- worker


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def _reset_hwm() -> None:
    try:  # Linux: writing 5 to clear_refs resets VmHWM to the current RSS
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def worker(task: str, impl: str, folder: Path, repeat: int, out: Path) -> None:
    meta = json.loads((folder / "meta.json").read_text())
    as_of = meta["as_of"]
    first = "2023-11-01"
    frames = {}
    con = None
    if impl.startswith("pandas"):
        name = "orders" if task == "orders" else "subscriptions"
        frames[name] = pd.read_parquet(folder / f"{name}.parquet")
    elif impl.startswith("sql"):
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
    else:
        import churnlab as cl

        name = "orders" if task == "orders" else "subscriptions"
        path = str(folder / f"{name}.parquet")
        # "churnlab": a Dataset loaded (and validated) once, as in a notebook;
        # "churnlab_path": the path, so every call validates the table again.
        source = cl.load_dataset({name: path}) if impl == "churnlab" else path

    def once() -> pd.DataFrame:
        if impl.startswith("churnlab"):
            return run_churnlab(task, source, as_of)
        if impl.startswith("pandas"):
            return run_pandas(task, frames, as_of, grid=impl == "pandas_grid")
        return run_sql(task, impl, folder, as_of, first, con)

    result = once()  # warm-up (imports, parquet metadata, JIT of nothing)
    _reset_hwm()
    base = _rss_kb("VmRSS:")
    times = []
    for _i in range(repeat):
        t = time.perf_counter()
        result = once()
        times.append(time.perf_counter() - t)
    peak_rss = max(_rss_kb("VmHWM:") - base, 0)
    traced = None
    if impl.startswith("pandas"):
        tracemalloc.start()
        once()
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    result.to_parquet(out.with_suffix(".parquet"), index=False)
    out.write_text(
        json.dumps(
            {
                "task": task,
                "impl": impl,
                "best": min(times),
                "times": times,
                "peak_rss_mb": peak_rss / 1024,
                "tracemalloc_mb": None if traced is None else traced / 2**20,
            }
        )
    )


# ------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--orders-copies", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=2, help="timed runs per worker (after a warm-up)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds over all implementations, interleaved so that every "
        "implementation sees the same machine load; the best time is kept",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder for the generated parquet files (reused)",
    )
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument(
        "--worker", nargs=2, metavar=("TASK", "IMPL"), help=argparse.SUPPRESS
    )
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = args.data or Path(tempfile.gettempdir()) / (
        f"churnlab_bench_{args.accounts}_{args.orders_copies}"
    )
    if args.worker:
        worker(*args.worker, folder, args.repeat, args.out)
        return
    meta = prepare(folder, args.accounts, args.orders_copies)
    print(f"data: {folder}")
    print(
        f"  {meta['accounts']:,} accounts, {meta['subscriptions']:,} subscription rows "
        f"(~{meta['subscription_months']:,} subscription-months), "
        f"{meta['orders']:,} orders; as of {meta['as_of']}"
    )
    print(
        f"  python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {args.rounds} "
        f"interleaved rounds x {args.repeat} timed runs (best time shown)\n"
    )
    results: dict[tuple[str, str], dict] = {}
    jobs = [
        (task, impl)
        for task in args.tasks.split(",")
        for impl in args.impls.split(",")
        if not (impl.startswith("sql") and (task, impl) not in SQL)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for _round, (task, impl) in itertools.product(range(args.rounds), jobs):
            out = Path(tmp) / f"{task}_{impl}.json"
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                task,
                impl,
                "--out",
                str(out),
                "--repeat",
                str(args.repeat),
                "--accounts",
                str(args.accounts),
                "--orders-copies",
                str(args.orders_copies),
            ]
            if args.data:
                cmd += ["--data", str(args.data)]
            subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            res = json.loads(out.read_text())
            res["frame"] = pd.read_parquet(out.with_suffix(".parquet"))
            old = results.get((task, impl))
            if old is not None:
                res["times"] = old["times"] + res["times"]
                res["best"] = min(old["best"], res["best"])
                res["peak_rss_mb"] = max(old["peak_rss_mb"], res["peak_rss_mb"])
                if old["tracemalloc_mb"] is not None:
                    res["tracemalloc_mb"] = max(
                        old["tracemalloc_mb"], res["tracemalloc_mb"]
                    )
            results[(task, impl)] = res
    header = (
        f"{'task':<7} {'implementation':<11} {'best s':>8} {'vs churnlab':>11} "
        f"{'peak RSS MB':>11} {'tracemalloc MB':>14}  same result"
    )
    print(header)
    print("-" * len(header))
    for task in args.tasks.split(","):
        ref = results.get((task, "churnlab"))
        for impl in args.impls.split(","):
            if (task, impl) not in results:
                continue
            r = results[(task, impl)]
            ratio = r["best"] / ref["best"] if ref else float("nan")
            same = _same(ref["frame"], r["frame"]) if ref else "-"
            tm = "" if r["tracemalloc_mb"] is None else f"{r['tracemalloc_mb']:.0f}"
            print(
                f"{task:<7} {impl:<11} {r['best']:>8.3f} {ratio:>10.2f}x "
                f"{r['peak_rss_mb']:>11.0f} {tm:>14}  {same}"
            )
        if ref:
            best_sql = min(
                results[(task, i)]["best"]
                for i in ("sql_events", "sql_range", "sql_thin", "sql_edges")
                if (task, i) in results
            )
            pandas_t = results.get((task, "pandas"), {}).get("best", float("nan"))
            grid_t = results.get((task, "pandas_grid"), {}).get("best", float("nan"))
            print(
                f"{'':<7} churnlab / best SQL = {ref['best'] / best_sql:.2f}x; "
                f"pandas / churnlab = {pandas_t / ref['best']:.1f}x; "
                f"pandas_grid / churnlab = {grid_t / ref['best']:.1f}x\n"
            )


def _same(a: pd.DataFrame, b: pd.DataFrame) -> str:
    a = a.sort_values("period").reset_index(drop=True)
    b = b.sort_values("period").reset_index(drop=True)
    b["period"] = pd.to_datetime(b["period"]).astype("datetime64[ns]")
    a["period"] = pd.to_datetime(a["period"]).astype("datetime64[ns]")
    try:
        pd.testing.assert_frame_equal(a, b[a.columns], check_dtype=False, atol=0.006)
    except (AssertionError, KeyError) as err:
        return "NO: " + str(err).splitlines()[0][:60]
    return "yes"


if __name__ == "__main__":
    main()
