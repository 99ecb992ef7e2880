"""Benchmark: the RFM summary the CLV models read, from ~10M orders.

Data: orders of customers over two years, synthesised with numpy (seeded) and
written once to a parquet file (customer ids as text, timestamps with a time of
day, several lines per order instant, 1% refunds). Every implementation makes
the same per-customer table for a calibration period ending 2025-06-30 with a
holdout to 2025-12-31, in weeks: frequency (repeat purchase days), recency, T,
mean repeat spend and holdout purchase days.

Implementations, each run once in a fresh subprocess:

* ``churnlab``       ``load_dataset({"orders": path})`` (the validation,
                     timed apart) then ``rfm_summary(ds, calibration_end=...,
                     holdout_end=...)``: one Ibis aggregation on DuckDB;
* ``pandas_lifetimes`` the way the archived ``lifetimes`` package builds it
                     (``summary_data_from_transaction_data`` and
                     ``calibration_and_holdout_data``): the whole file into
                     pandas, ``to_period("D")``, group by customer and day, find
                     each customer's first transaction by a merge, then group
                     by customer, once for the calibration and once for the
                     holdout.

Wall time covers reading the parquet file through to the pandas result
(imports excluded). Peak
memory is the subprocess's peak RSS (``VmHWM``). The results are compared
before anything is reported.

Usage::

    python benchmarks/bench_rfm.py                      # ~10M orders
    python benchmarks/bench_rfm.py --customers 100000 --orders 1000000

This is a script; pytest does not collect it (testpaths = ["tests"]).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CAL_END = "2025-06-30"
HOLD_END = "2025-12-31"
IMPLS = ("churnlab", "pandas_lifetimes")


def make_orders(customers: int, orders: int, seed: int = 7) -> pd.DataFrame:
    """Orders of ``customers`` over 2024-2025; some share an instant or a day."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "s")
    span = 730 * 86400
    first = rng.integers(0, span // 2, customers)
    cust = rng.integers(0, customers, orders)
    offset = first[cust] + (
        rng.exponential(120 * 86400, orders).astype(np.int64) % (span - first[cust])
    )
    # 10% of rows are another line of an earlier row's order (same instant)
    dup = rng.random(orders) < 0.1
    src = rng.integers(0, orders, orders)
    cust = np.where(dup, cust[src], cust)
    offset = np.where(dup, offset[src], offset)
    amount = np.round(rng.gamma(2.0, 20.0, orders), 2)
    refund = rng.random(orders) < 0.01
    return pd.DataFrame(
        {
            "customer_id": np.char.add("C", cust.astype(str)),
            "ordered_at": (start + offset.astype("timedelta64[s]")).astype(
                "datetime64[us]"
            ),
            "amount": np.where(refund, -amount, amount),
            "is_refund": refund,
        }
    )


SPLIT: dict[str, float] = {}


def run_churnlab(path: str) -> pd.DataFrame:
    import churnlab as cl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        ds = cl.load_dataset({"orders": path})  # validates the file once
        t1 = time.perf_counter()
        out = cl.rfm_summary(ds, calibration_end=CAL_END, holdout_end=HOLD_END)
        SPLIT.update(validate=t1 - t0, summary=time.perf_counter() - t1)
    return out.rename(columns={"recency_weeks": "recency", "T_weeks": "T"})[
        ["customer_id", "frequency", "recency", "T", "monetary_value"]
        + ["frequency_holdout"]
    ]


def run_pandas_lifetimes(path: str) -> pd.DataFrame:
    tx = pd.read_parquet(path)
    tx = tx[~tx["is_refund"]]
    cal_end = pd.Period(CAL_END, "D")
    hold_end = pd.Period(HOLD_END, "D")
    tx = tx.assign(date=tx["ordered_at"].dt.to_period("D"))
    tx = tx[tx["date"] <= hold_end]
    cal = tx[tx["date"] <= cal_end]
    hold = tx[tx["date"] > cal_end]
    # summary_data_from_transaction_data: merge each day, mark first transaction
    daily = cal.groupby(["customer_id", "date"], sort=False)["amount"].sum()
    daily = daily.reset_index()
    first = daily.groupby("customer_id")["date"].min().rename("first")
    daily = daily.merge(first, left_on="customer_id", right_index=True)
    daily["first_tx"] = daily["date"] == daily["first"]
    customers = daily.groupby("customer_id").agg(
        first=("date", "min"), last=("date", "max"), count=("date", "count")
    )
    customers["frequency"] = customers["count"] - 1
    customers["T"] = (cal_end - customers["first"]).apply(lambda d: d.n) / 7
    customers["recency"] = (customers["last"] - customers["first"]).apply(
        lambda d: d.n
    ) / 7
    repeat = daily[~daily["first_tx"]]
    customers["monetary_value"] = repeat.groupby("customer_id")["amount"].mean()
    # calibration_and_holdout_data: holdout purchase days of calibration customers
    hold_days = hold.groupby(["customer_id", "date"], sort=False).size().reset_index()
    customers["frequency_holdout"] = (
        hold_days.groupby("customer_id").size().reindex(customers.index).fillna(0)
    )
    out = customers.reset_index()[
        ["customer_id", "frequency", "recency", "T", "monetary_value"]
        + ["frequency_holdout"]
    ]
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(impl: str, path: str, out: str) -> None:
    if impl == "churnlab":
        import churnlab  # noqa: F401  (imports are not timed, on either side)
    t0 = time.perf_counter()
    result = {"churnlab": run_churnlab, "pandas_lifetimes": run_pandas_lifetimes}[impl](
        path
    )
    seconds = time.perf_counter() - t0
    result.to_parquet(out)
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_rss_mb(), **SPLIT}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--only", nargs="*", choices=IMPLS, default=list(IMPLS))
    ap.add_argument("--child", nargs=3, metavar=("IMPL", "PATH", "OUT"))
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "orders.parquet")
        make_orders(args.customers, args.orders).to_parquet(path, index=False)
        print(f"{args.orders:,} orders, {args.customers:,} customers; weeks")
        results, frames = {}, {}
        for impl in args.only:
            out = str(Path(tmp) / f"{impl}.parquet")
            done = subprocess.run(
                [sys.executable, __file__, "--child", impl, path, out],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                print(f"{impl} failed:\n{done.stderr[-2000:]}")
                return 1
            results[impl] = json.loads(done.stdout.strip().splitlines()[-1])
            frames[impl] = pd.read_parquet(out)
        if len(frames) == 2:
            a, b = frames["churnlab"], frames["pandas_lifetimes"]
            pd.testing.assert_frame_equal(
                a.reset_index(drop=True), b, check_dtype=False, check_names=False
            )
            print(f"identical results: {len(a):,} customers")
        base = results.get("pandas_lifetimes", {}).get("seconds")
        for impl, r in results.items():
            ratio = f"  {base / r['seconds']:.1f}x faster than pandas" if base else ""
            print(
                f"{impl:18s} {r['seconds']:8.2f} s  peak RSS {r['peak_mb']:8.0f} MB"
                + (ratio if impl != "pandas_lifetimes" else "")
            )
            if "validate" in r:
                print(
                    f"{'':18s} = {r['validate']:.2f} s validating the file + "
                    f"{r['summary']:.2f} s for the summary query"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
