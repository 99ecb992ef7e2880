"""Benchmark: monthly logo + revenue cohort matrices from ~10M orders.

Data: ~10M orders of ~500k customers over 36 months, synthesised with numpy
(seeded) and written once to a parquet file (customer ids as text, timestamps
in microseconds, 1% refunds). Every implementation produces the same two
matrices: logo retention (share of the cohort purchasing in month k) and
revenue retention (cohort revenue in month k over month 0), refunds excluded.

Implementations, each run once in a fresh subprocess:

* ``churnlab``       ``load_dataset(orders=path)`` (contract validation timed
                     too), then ``cohort_retention(kind="logo")`` and
                     ``cohort_retention(kind="revenue")``;
* ``churnlab_one``   the same data, one ``cohort_table(kind="revenue")`` (its
                     rows carry the customer counts too), pivoted twice:
                     ``cohort_matrix(values="logo")`` and ``cohort_matrix()``;
* ``sql_window``     hand-written DuckDB SQL on the parquet file: the cohort is
                     ``MIN(month) OVER (PARTITION BY customer_id)`` on the raw
                     orders, then one GROUP BY;
* ``sql_join``       the per-customer first month by GROUP BY, joined back to
                     (customer, month) aggregates;
* ``sql_join_int``   the same with integer month numbers (``YEAR * 12 +
                     MONTH``) instead of DATE_TRUNC/DATEDIFF;
* ``sql_agg_window`` (customer, month) aggregates first, then the window, then
                     the GROUP BY (the plan churnlab's builder produces);
* ``pandas_typical`` the groupby/transform recipe found in most tutorials
                     (``to_period("M")``, ``transform("min")``, period
                     differences via ``.apply(attrgetter("n"))``, nunique);
* ``pandas_tuned``   the same with integer month numbers and no ``apply``.

Wall time covers reading the parquet file through to the two pandas matrices.
By default each implementation runs once; ``--repeat N`` runs N rounds (every
implementation once per round, interleaved, so load from other processes hits
all of them alike) and reports the best time.
Peak memory is the subprocess's peak RSS (``VmHWM``: Python heap, Arrow and
DuckDB native memory) and its increase over the RSS after imports. Every
result is checked against ``sql_window`` before anything is reported.

Usage::

    python benchmarks/bench_cohorts.py                  # ~10M orders
    python benchmarks/bench_cohorts.py --customers 50000 --orders 1000000
    python benchmarks/bench_cohorts.py --only churnlab sql_window

This is a script; pytest does not collect it (testpaths = ["tests"]).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from operator import attrgetter
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MONTHS = 36
START = np.datetime64("2023-11-01", "M")
IMPLS = (
    "sql_window",
    "sql_join",
    "sql_join_int",
    "sql_agg_window",
    "churnlab",
    "churnlab_one",
    "pandas_tuned",
    "pandas_typical",
)

# ------------------------------------------------------------------------- data


def synthesise(path: Path, customers: int, orders: int, seed: int) -> dict:
    """Write the orders parquet once (seeded) and return what it holds."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    # customers arrive over 36 months, growing; each has a propensity to buy
    # and a lifetime in months after which they stop buying
    first = np.minimum(
        (rng.random(customers) ** 0.7 * MONTHS).astype(np.int64), MONTHS - 1
    )
    propensity = rng.lognormal(0.0, 0.8, customers)
    lifetime = rng.geometric(0.06, customers)
    extra = orders - customers
    weights = propensity / propensity.sum()
    per_customer = 1 + rng.multinomial(extra, weights)
    cid = np.repeat(np.arange(customers), per_customer)
    n = cid.size
    span = np.minimum(lifetime, MONTHS - first)[cid]
    offset = (rng.random(n) ** 1.5 * span).astype(np.int64)
    first_of = np.r_[0, np.cumsum(per_customer)[:-1]]
    offset[first_of] = 0  # every customer orders in their first month
    month = first[cid] + offset
    day = rng.integers(0, 28, n)
    seconds = rng.integers(0, 86_400, n)
    month_start = (START + month.astype("timedelta64[M]")).astype("datetime64[D]")
    ordered_at = (
        month_start.astype("datetime64[us]")
        + day.astype("timedelta64[D]")
        + seconds.astype("timedelta64[s]")
    )
    amount = np.round(rng.lognormal(3.5, 0.9, n), 2)
    refund = rng.random(n) < 0.01
    refund[first_of] = False
    amount = np.where(refund, -amount, amount)
    order = rng.permutation(n)  # files are not sorted by customer
    ids = pa.array([f"C{i:07d}" for i in range(customers)])
    table = pa.table(
        {
            "order_id": pa.array(np.arange(n)[order]),
            "customer_id": ids.take(pa.array(cid[order])),
            "ordered_at": pa.array(ordered_at[order]),
            "amount": pa.array(amount[order]),
            "is_refund": pa.array(refund[order]),
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)
    return {
        "orders": int(n),
        "customers": int(customers),
        "months": MONTHS,
        "refunds": int(refund.sum()),
        "bytes": path.stat().st_size,
    }


# -------------------------------------------------------------- implementations

# Orders fall on days 1-28 of each month, so the data ends 2026-10-28; the
# analyst knows October is complete and says so (churnlab's default as-of
# would stop at September, the last month the data visibly covers).
LAST_COMPLETE = "2026-11-01"
AS_OF = "2026-10-31"


def _pivot(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """cohort, period_number, customers, revenue -> (logo, revenue) matrices."""
    n = cells.pivot(index="cohort", columns="period_number", values="customers")
    r = cells.pivot(index="cohort", columns="period_number", values="revenue")
    return n.div(n[0], axis=0), r.div(r[0], axis=0)


STEPS: dict[str, float] = {}


def _step(name: str, t0: float) -> float:
    now = time.perf_counter()
    STEPS[name] = round(now - t0, 2)
    return now


def run_churnlab(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    import warnings

    import churnlab as cl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.ChurnlabWarning)
        t0 = time.perf_counter()
        ds = cl.load_dataset({"orders": path})
        t0 = _step("load_dataset (validation)", t0)
        logo = cl.cohort_retention(ds, kind="logo", as_of=AS_OF)
        t0 = _step("cohort_retention logo", t0)
        revenue = cl.cohort_retention(ds, kind="revenue", as_of=AS_OF)
        _step("cohort_retention revenue", t0)
    return logo, revenue


def run_churnlab_one(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    import warnings

    import churnlab as cl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.ChurnlabWarning)
        t0 = time.perf_counter()
        ds = cl.load_dataset({"orders": path})
        t0 = _step("load_dataset (validation)", t0)
        table = cl.cohort_table(ds, kind="revenue", as_of=AS_OF)
        _step("cohort_table revenue", t0)
    return cl.cohort_matrix(table, values="logo"), cl.cohort_matrix(table)


SQL_WINDOW = """
WITH o AS (
    SELECT customer_id, DATE_TRUNC('month', ordered_at) AS month, amount
    FROM read_parquet('{path}')
    WHERE NOT is_refund AND ordered_at < TIMESTAMP '{end}'
), c AS (
    SELECT customer_id, month, amount,
           MIN(month) OVER (PARTITION BY customer_id) AS cohort
    FROM o
)
SELECT cohort, DATEDIFF('month', cohort, month) AS period_number,
       COUNT(DISTINCT customer_id) AS customers, SUM(amount) AS revenue
FROM c GROUP BY 1, 2
"""

SQL_JOIN = """
WITH m AS (
    SELECT customer_id, DATE_TRUNC('month', ordered_at) AS month,
           SUM(amount) AS revenue
    FROM read_parquet('{path}')
    WHERE NOT is_refund AND ordered_at < TIMESTAMP '{end}'
    GROUP BY 1, 2
), f AS (
    SELECT customer_id, MIN(month) AS cohort FROM m GROUP BY 1
)
SELECT f.cohort, DATEDIFF('month', f.cohort, m.month) AS period_number,
       COUNT(*) AS customers, SUM(m.revenue) AS revenue
FROM m JOIN f USING (customer_id) GROUP BY 1, 2
"""

SQL_JOIN_INT = """
WITH m AS (
    SELECT customer_id,
           YEAR(ordered_at) * 12 + MONTH(ordered_at) - 1 AS month,
           SUM(amount) AS revenue
    FROM read_parquet('{path}')
    WHERE NOT is_refund AND ordered_at < TIMESTAMP '{end}'
    GROUP BY 1, 2
), f AS (
    SELECT customer_id, MIN(month) AS cohort FROM m GROUP BY 1
)
SELECT MAKE_DATE(CAST(f.cohort // 12 AS INT), CAST(f.cohort % 12 + 1 AS INT), 1)
           AS cohort,
       m.month - f.cohort AS period_number,
       COUNT(*) AS customers, SUM(m.revenue) AS revenue
FROM m JOIN f USING (customer_id) GROUP BY 1, 2
"""

SQL_AGG_WINDOW = """
WITH m AS (
    SELECT customer_id,
           YEAR(ordered_at) * 12 + MONTH(ordered_at) - 1 AS month,
           SUM(amount) AS revenue
    FROM read_parquet('{path}')
    WHERE NOT is_refund AND ordered_at < TIMESTAMP '{end}'
    GROUP BY 1, 2
), c AS (
    SELECT month, revenue, MIN(month) OVER (PARTITION BY customer_id) AS cohort
    FROM m
)
SELECT MAKE_DATE(CAST(cohort // 12 AS INT), CAST(cohort % 12 + 1 AS INT), 1)
           AS cohort,
       month - cohort AS period_number,
       COUNT(*) AS customers, SUM(revenue) AS revenue
FROM c GROUP BY 1, 2
"""


def _sql(query: str, path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    cells = con.execute(query.format(path=path, end=LAST_COMPLETE)).df()
    cells["cohort"] = pd.to_datetime(cells["cohort"]).astype("datetime64[ns]")
    return _pivot(cells)


def run_sql_window(path: str):
    return _sql(SQL_WINDOW, path)


def run_sql_join(path: str):
    return _sql(SQL_JOIN, path)


def run_sql_join_int(path: str):
    return _sql(SQL_JOIN_INT, path)


def run_sql_agg_window(path: str):
    return _sql(SQL_AGG_WINDOW, path)


def run_pandas_typical(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    df = pd.read_parquet(path)
    df = df[~df["is_refund"] & (df["ordered_at"] < LAST_COMPLETE)]
    df["order_month"] = df["ordered_at"].dt.to_period("M")
    df["cohort"] = df.groupby("customer_id")["order_month"].transform("min")
    df["period_number"] = (df["order_month"] - df["cohort"]).apply(attrgetter("n"))
    grouped = df.groupby(["cohort", "period_number"])
    cells = grouped.agg(
        customers=("customer_id", "nunique"), revenue=("amount", "sum")
    ).reset_index()
    cells["cohort"] = cells["cohort"].dt.to_timestamp()
    return _pivot(cells)


def run_pandas_tuned(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    df = pd.read_parquet(
        path, columns=["customer_id", "ordered_at", "amount", "is_refund"]
    )
    df = df[~df["is_refund"] & (df["ordered_at"] < LAST_COMPLETE)]
    ts = df["ordered_at"].dt
    df = pd.DataFrame(
        {
            "customer_id": df["customer_id"].astype("category"),
            "month": ts.year * 12 + ts.month - 1,
            "amount": df["amount"],
        }
    )
    per = df.groupby(["customer_id", "month"], observed=True)["amount"].sum()
    per = per.reset_index()
    per["cohort"] = per.groupby("customer_id", observed=True)["month"].transform("min")
    per["period_number"] = per["month"] - per["cohort"]
    cells = (
        per.groupby(["cohort", "period_number"])
        .agg(customers=("customer_id", "size"), revenue=("amount", "sum"))
        .reset_index()
    )
    cells["cohort"] = pd.to_datetime(
        {"year": cells["cohort"] // 12, "month": cells["cohort"] % 12 + 1, "day": 1}
    )
    return _pivot(cells)


# ---------------------------------------------------------------------- harness


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(impl: str, path: str, out: str) -> None:
    """Run one implementation once; write timings, memory and the matrices."""
    if impl.startswith("churnlab"):
        import churnlab  # noqa: F401  (imports are not timed)
    import duckdb  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    base = _rss_mb("VmRSS")
    func = globals()[f"run_{impl}"]
    t0 = time.perf_counter()
    logo, revenue = func(path)
    seconds = time.perf_counter() - t0
    peak = _rss_mb("VmHWM")
    logo.to_pickle(out + ".logo.pkl")
    revenue.to_pickle(out + ".revenue.pkl")
    Path(out).write_text(
        json.dumps(
            {
                "impl": impl,
                "seconds": seconds,
                "peak_mb": peak,
                "delta_mb": peak - base,
                "steps": STEPS,
            }
        )
    )


def _normalise(m: pd.DataFrame) -> pd.DataFrame:
    m = m.copy()
    m.index = pd.DatetimeIndex(m.index).astype("datetime64[ns]").rename("cohort")
    m.columns = pd.Index([int(c) for c in m.columns], name="period_number")
    return m.sort_index().astype("float64")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=20261031)
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="parquet path (default: a temp file, kept for reruns)",
    )
    parser.add_argument("--only", nargs="*", choices=IMPLS, default=list(IMPLS))
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds, each running every implementation once in turn; reports "
        "the best time (use >1 on a shared, noisy machine)",
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("IMPL", "PATH", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    path = args.data or Path(tempfile.gettempdir()) / (
        f"churnlab_bench_cohorts_{args.customers}_{args.orders}_{args.seed}.parquet"
    )
    meta_path = path.with_suffix(".json")
    if not path.exists() or not meta_path.exists():
        t0 = time.perf_counter()
        meta = synthesise(path, args.customers, args.orders, args.seed)
        meta_path.write_text(json.dumps(meta))
        print(f"wrote {path} in {time.perf_counter() - t0:.1f}s")
    meta = json.loads(meta_path.read_text())
    print(
        f"data: {meta['orders']:,} orders ({meta['refunds']:,} refunds), "
        f"{meta['customers']:,} customers, {meta['months']} months, "
        f"{meta['bytes'] / 1e6:.0f} MB parquet; machine: {os.cpu_count()} CPUs"
    )
    results = {}
    matrices = {}
    impls = [i for i in IMPLS if i in args.only]
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat):
            if args.repeat > 1:
                print(f"round {round_ + 1} of {args.repeat}", flush=True)
            for impl in impls:
                out = os.path.join(tmp, impl + ".json")
                subprocess.run(
                    [sys.executable, __file__, "--child", impl, str(path), out],
                    check=True,
                )
                r = json.loads(Path(out).read_text())
                print(
                    f"  {impl:15s} {r['seconds']:8.2f} s   peak RSS "
                    f"{r['peak_mb']:7.0f} MB  (+{r['delta_mb']:.0f} MB)",
                    flush=True,
                )
                for step, secs in r["steps"].items():
                    print(f"  {'':15s}   {secs:6.2f} s  {step}")
                best = results.get(impl)
                if best is None or r["seconds"] < best["seconds"]:
                    r["peak_mb"] = max(r["peak_mb"], best["peak_mb"] if best else 0)
                    results[impl] = r
                else:
                    best["peak_mb"] = max(best["peak_mb"], r["peak_mb"])
                matrices[impl] = (
                    _normalise(pd.read_pickle(out + ".logo.pkl")),
                    _normalise(pd.read_pickle(out + ".revenue.pkl")),
                )
    if args.repeat > 1:
        print(f"\nbest of {args.repeat} rounds (peak RSS: the largest seen):")
        for impl, r in results.items():
            print(
                f"  {impl:15s} {r['seconds']:8.2f} s   peak RSS {r['peak_mb']:7.0f} MB"
            )
    reference = next(iter(matrices))
    for logo, revenue in matrices.values():
        want_logo, want_rev = matrices[reference]
        pd.testing.assert_frame_equal(logo, want_logo, check_exact=False, rtol=1e-9)
        pd.testing.assert_frame_equal(revenue, want_rev, check_exact=False, rtol=1e-7)
    print(
        f"all {len(matrices)} implementations agree with {reference} "
        f"({want_logo.shape[0]} cohorts x {want_logo.shape[1]} months)"
    )
    sql = {k: v["seconds"] for k, v in results.items() if k.startswith("sql")}
    if sql:
        best_sql = min(sql, key=sql.get)
        print(f"\nratios to the fastest SQL ({best_sql}, {sql[best_sql]:.2f} s):")
        for impl, r in results.items():
            print(f"  {impl:15s} {r['seconds'] / sql[best_sql]:6.2f}x")
    for name in ("churnlab", "churnlab_one"):
        if name not in results:
            continue
        ours = results[name]["seconds"]
        if sql:
            ratio = ours / sql[best_sql]
            verdict = "met" if ratio <= 1.5 else f"missed by {ratio / 1.5:.2f}x"
            print(f"{name}: {ratio:.2f}x the fastest SQL (target <= 1.5x: {verdict})")
        for pandas_impl in ("pandas_typical", "pandas_tuned"):
            if pandas_impl in results:
                speedup = results[pandas_impl]["seconds"] / ours
                verdict = "met" if speedup >= 10 else f"missed by {10 / speedup:.1f}x"
                print(
                    f"{name}: {speedup:.1f}x faster than {pandas_impl} "
                    f"(target >= 10x: {verdict})"
                )


if __name__ == "__main__":
    main()
