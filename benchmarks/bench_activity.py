"""Benchmark: activity signals and weekly lifecycle from events.

Data: events of ``--users`` users in ``--users / 4`` accounts over 26 weeks
(numpy, seeded; written once to parquet with text ids and microsecond
timestamps), one subscription per account (10% ended before the as-of day, 5%
with zero MRR). Every implementation produces the same two frames:

* signals at the end of the as-of day, per paying account: ``baseline``,
  ``weeks_slipping``, ``slipping``, ``dormant`` (the defaults: threshold 0.4,
  N = 2 weeks, B = 8 baseline weeks, min baseline 1, 14 dormant days);
* weekly lifecycle of users: ``new, returning, resurrecting, dormant`` per week.

Implementations, each run once in a fresh subprocess:

* ``churnlab``       ``load_dataset`` (validation timed too), then
                     ``activity_signals`` and ``lifecycle(freq="W")``;
* ``sql_days``       DuckDB SQL: (account, day) user counts, joined to the
                     evaluation instant, conditional sums per rolling week
                     (the plan churnlab's builder produces); lifecycle by
                     LAG/LEAD over distinct (user, week);
* ``sql_weeks``      DuckDB SQL: (account, rolling week) user-days in one
                     GROUP BY with COUNT(DISTINCT), pivoted with FILTER;
                     lifecycle by self-joins on (user, week - 1) / (user, week + 1)
                     and a first-week GROUP BY;
* ``pandas``         groupby/pivot for signals; sort/shift for lifecycle.

Peak memory is the subprocess's peak RSS (``VmHWM``) and its increase over the
RSS after imports. All results are checked against ``sql_days``.

Usage::

    python benchmarks/bench_activity.py                      # 1M events, 50k users
    python benchmarks/bench_activity.py --events 20000000 --users 1000000

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
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = "2026-10-25"  # a Sunday: the last complete week ends here
T = pd.Timestamp("2026-10-26")
FIRST = T - pd.Timedelta(weeks=26)
THR, N, B, MINB, DORM = 0.4, 2, 8, 1.0, 14
IMPLS = ("sql_days", "sql_weeks", "churnlab", "pandas")


def synthesise(folder: Path, users: int, events: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    accounts = max(1, users // 4)
    uid = rng.integers(0, users, events)
    acc = uid % accounts
    # each account fades out from a random week for 20% of accounts
    fade = np.where(rng.random(accounts) < 0.2, rng.integers(0, 26, accounts), 99)
    seconds = rng.integers(0, 26 * 7 * 86400, events)
    week = seconds // (7 * 86400)
    keep = (week < fade[acc]) | (rng.random(events) < 0.3)
    uid, acc, seconds = uid[keep], acc[keep], seconds[keep]
    ts = FIRST.to_datetime64() + seconds.astype("timedelta64[s]")
    frame = pd.DataFrame(
        {
            "user_id": pd.Series(uid).map("U{:07d}".format),
            "account_id": pd.Series(acc).map("A{:07d}".format),
            "event": "login",
            "timestamp": pd.to_datetime(ts).astype("datetime64[us]"),
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / "events.parquet", index=False)
    ids = pd.Series(np.arange(accounts)).map("A{:07d}".format)
    ended = rng.random(accounts) < 0.1
    end = pd.Series(pd.NaT, index=range(accounts), dtype="datetime64[us]")
    end[ended] = (T - pd.to_timedelta(rng.integers(1, 120, ended.sum()), "D")).astype(
        "datetime64[us]"
    )
    subs = pd.DataFrame(
        {
            "customer_id": ids,
            "start": pd.Timestamp("2025-01-01"),
            "end": end,
            "mrr": np.where(rng.random(accounts) < 0.05, 0.0, 50.0),
        }
    )
    subs["start"] = subs["start"].astype("datetime64[us]")
    subs.to_parquet(folder / "subscriptions.parquet", index=False)
    return {"events": len(frame), "users": users, "accounts": accounts}


STEPS: dict[str, float] = {}


def _step(name: str, t0: float) -> float:
    now = time.perf_counter()
    STEPS[name] = now - t0
    return now


# ---------------------------------------------------------------- churnlab


def run_churnlab(folder: str):
    import churnlab as cl

    t0 = time.perf_counter()
    ds = cl.load_dataset(folder)
    t0 = _step("load_dataset (validation)", t0)
    sig = cl.activity_signals(ds, as_of=AS_OF)
    t0 = _step("activity_signals", t0)
    lc = cl.lifecycle(ds, freq="W", as_of=AS_OF)
    _step("lifecycle", t0)
    return sig, lc


# ---------------------------------------------------------------- SQL


def _paying_sql(folder: str) -> str:
    return f"""
    paying AS (
      SELECT customer_id AS account_id FROM '{folder}/subscriptions.parquet'
      WHERE start < TIMESTAMP '{T}' AND ("end" IS NULL OR "end" >= TIMESTAMP '{T}')
      GROUP BY customer_id HAVING SUM(mrr) > 0)"""


def _flags_sql(weeks_cte: str) -> str:
    low = [f"w{k} < (1 - {THR}) * baseline" for k in range(N + B)]
    run = " + ".join(
        "(CASE WHEN " + " AND ".join(low[: k + 1]) + " THEN 1 ELSE 0 END)"
        for k in range(N + B)
    )
    return f"""
    SELECT p.account_id, COALESCE(s.baseline, 0) AS baseline,
      CASE WHEN COALESCE(s.baseline, 0) >= {MINB} THEN {run} ELSE 0 END
        AS weeks_slipping,
      s.last_active
    FROM paying p LEFT JOIN (
      SELECT *, base_sum / {B} AS baseline FROM {weeks_cte}) s USING (account_id)"""


def _finish_signals(df: pd.DataFrame) -> pd.DataFrame:
    df["baseline"] = df["baseline"].fillna(0.0)
    df["weeks_slipping"] = df["weeks_slipping"].fillna(0).astype("int64")
    df["slipping"] = (df["baseline"] >= MINB) & (df["weeks_slipping"] >= N)
    inactive = (T - pd.to_datetime(df["last_active"])).dt.days - 1
    df["dormant"] = df["last_active"].isna() | (inactive >= DORM)
    return df[["account_id", "baseline", "weeks_slipping", "slipping", "dormant"]]


def run_sql_days(folder: str):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    t0 = time.perf_counter()
    ws = ", ".join(
        f"COALESCE(SUM(n) FILTER (WHERE k = {k}), 0) AS w{k}" for k in range(N + B)
    )
    sig = con.sql(
        f"""
        WITH days AS (
          SELECT account_id, date_trunc('day', timestamp) AS day,
                 COUNT(DISTINCT user_id) AS n
          FROM '{folder}/events.parquet' WHERE timestamp < TIMESTAMP '{T}'
          GROUP BY ALL),
        win AS (
          SELECT account_id, {ws},
            COALESCE(SUM(n) FILTER (WHERE k >= {N} AND k < {N + B}), 0) AS base_sum,
            MAX(day) AS last_active
          FROM (SELECT *, (date_diff('day', day, TIMESTAMP '{T}') - 1) // 7 AS k
                FROM days) GROUP BY account_id),
        {_paying_sql(folder)}
        {_flags_sql("win")}"""
    ).df()
    t0 = _step("signals", t0)
    lc = con.sql(
        f"""
        WITH a AS (
          SELECT DISTINCT user_id, date_trunc('week', timestamp) AS wk
          FROM '{folder}/events.parquet' WHERE timestamp < TIMESTAMP '{T}'),
        m AS (
          SELECT wk, LAG(wk) OVER w AS prev, LEAD(wk) OVER w AS nxt FROM a
          WINDOW w AS (PARTITION BY user_id ORDER BY wk)),
        s AS (
          SELECT wk AS period, CASE WHEN prev IS NULL THEN 'new'
            WHEN prev = wk - INTERVAL 7 DAY THEN 'returning'
            ELSE 'resurrecting' END AS status FROM m
          UNION ALL
          SELECT wk + INTERVAL 7 DAY, 'dormant' FROM m
          WHERE nxt IS NULL OR nxt > wk + INTERVAL 7 DAY)
        SELECT period, status, COUNT(*) AS n FROM s
        WHERE period < TIMESTAMP '{T}' GROUP BY ALL"""
    ).df()
    _step("lifecycle", t0)
    return _finish_signals(sig), _lc_wide(lc)


def run_sql_weeks(folder: str):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    t0 = time.perf_counter()
    ws = ", ".join(
        f"COALESCE(SUM(n) FILTER (WHERE k = {k}), 0) AS w{k}" for k in range(N + B)
    )
    sig = con.sql(
        f"""
        WITH wk AS (
          SELECT account_id,
            (date_diff('day', date_trunc('day', timestamp), TIMESTAMP '{T}') - 1) // 7
              AS k,
            COUNT(DISTINCT (user_id, date_trunc('day', timestamp))) AS n,
            MAX(date_trunc('day', timestamp)) AS last_day
          FROM '{folder}/events.parquet' WHERE timestamp < TIMESTAMP '{T}'
          GROUP BY ALL),
        win AS (
          SELECT account_id, {ws},
            COALESCE(SUM(n) FILTER (WHERE k >= {N} AND k < {N + B}), 0) AS base_sum,
            MAX(last_day) AS last_active
          FROM wk GROUP BY account_id),
        {_paying_sql(folder)}
        {_flags_sql("win")}"""
    ).df()
    t0 = _step("signals", t0)
    lc = con.sql(
        f"""
        WITH a AS (
          SELECT DISTINCT user_id,
            (date_diff('day', DATE '1969-12-29', timestamp::DATE)) // 7 AS i
          FROM '{folder}/events.parquet' WHERE timestamp < TIMESTAMP '{T}'),
        f AS (SELECT user_id, MIN(i) AS first FROM a GROUP BY user_id),
        s AS (
          SELECT a.i, CASE WHEN a.i = f.first THEN 'new'
            WHEN p.user_id IS NOT NULL THEN 'returning' ELSE 'resurrecting' END
            AS status
          FROM a JOIN f USING (user_id)
          LEFT JOIN a p ON p.user_id = a.user_id AND p.i = a.i - 1
          UNION ALL
          SELECT a.i + 1, 'dormant' FROM a
          LEFT JOIN a n ON n.user_id = a.user_id AND n.i = a.i + 1
          WHERE n.user_id IS NULL)
        SELECT DATE '1969-12-29' + INTERVAL 7 DAY * i AS period, status,
               COUNT(*) AS n
        FROM s GROUP BY ALL"""
    ).df()
    lc = lc[lc["period"] < T]
    _step("lifecycle", t0)
    return _finish_signals(sig), _lc_wide(lc)


def _lc_wide(long: pd.DataFrame) -> pd.DataFrame:
    wide = long.pivot_table(index="period", columns="status", values="n", aggfunc="sum")
    wide = wide.reindex(columns=["new", "returning", "resurrecting", "dormant"])
    wide = wide.fillna(0).astype("int64")
    wide.index = pd.DatetimeIndex(wide.index).astype("datetime64[ns]")
    wide.columns.name = None
    return wide.rename_axis("period").reset_index()


# ---------------------------------------------------------------- pandas


def run_pandas(folder: str):
    t0 = time.perf_counter()
    ev = pd.read_parquet(f"{folder}/events.parquet")
    subs = pd.read_parquet(f"{folder}/subscriptions.parquet")
    t0 = _step("read parquet", t0)
    ev = ev[ev["timestamp"] < T]
    ev["day"] = ev["timestamp"].dt.floor("D")
    ud = ev[["account_id", "user_id", "day"]].drop_duplicates()
    ud["k"] = ((T - ud["day"]).dt.days - 1) // 7
    weekly = ud.groupby(["account_id", "k"]).size().unstack(fill_value=0)
    weekly = weekly.reindex(columns=range(N + B), fill_value=0)
    last = ud.groupby("account_id")["day"].max()
    live = subs[(subs["start"] < T) & (subs["end"].isna() | (subs["end"] >= T))]
    mrr = live.groupby("customer_id")["mrr"].sum()
    paying = mrr[mrr > 0].index
    w = weekly.reindex(paying, fill_value=0)
    baseline = w[list(range(N, N + B))].sum(axis=1) / B
    low = w[list(range(N + B))].lt((1 - THR) * baseline, axis=0)
    run = low.cumprod(axis=1).sum(axis=1).where(baseline >= MINB, 0)
    sig = pd.DataFrame(
        {
            "account_id": paying,
            "baseline": baseline.to_numpy(),
            "weeks_slipping": run.to_numpy(),
            "last_active": last.reindex(paying).to_numpy(),
        }
    )
    t0 = _step("signals", t0)
    a = ev[["user_id"]].assign(
        i=((ev["day"] - pd.Timestamp("1969-12-29")).dt.days // 7)
    )
    a = a.drop_duplicates().sort_values(["user_id", "i"])
    prev = a.groupby("user_id")["i"].shift(1)
    nxt = a.groupby("user_id")["i"].shift(-1)
    status = np.where(
        prev.isna(), "new", np.where(prev == a["i"] - 1, "returning", "resurrecting")
    )
    act = pd.DataFrame({"i": a["i"].to_numpy(), "status": status})
    gone = a.loc[nxt.isna() | (nxt > a["i"] + 1), ["i"]] + 1
    gone["status"] = "dormant"
    both = pd.concat([act, gone], ignore_index=True)
    counts = both.groupby(["i", "status"]).size().rename("n").reset_index()
    counts["period"] = pd.Timestamp("1969-12-29") + pd.to_timedelta(
        counts["i"] * 7, "D"
    )
    counts = counts[counts["period"] < T]
    _step("lifecycle", t0)
    return _finish_signals(sig), _lc_wide(counts[["period", "status", "n"]])


# ---------------------------------------------------------------- harness


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _normalise(sig: pd.DataFrame, lc: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    sig = sig[["account_id", "baseline", "weeks_slipping", "slipping", "dormant"]]
    sig = sig.sort_values("account_id", ignore_index=True).astype(
        {
            "baseline": "float64",
            "weeks_slipping": "int64",
            "slipping": bool,
            "dormant": bool,
        }
    )
    lc = lc[["period", "new", "returning", "resurrecting", "dormant"]]
    lc = lc[lc[["new", "returning", "resurrecting", "dormant"]].sum(axis=1) > 0]
    lc = lc.sort_values("period", ignore_index=True).astype(
        {c: "int64" for c in ("new", "returning", "resurrecting", "dormant")}
    )
    lc["period"] = lc["period"].astype("datetime64[ns]")
    return sig, lc


def child(impl: str, folder: str, out: str) -> None:
    if impl == "churnlab":
        import churnlab  # noqa: F401
    import duckdb  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    base = _rss_mb("VmRSS")
    t0 = time.perf_counter()
    sig, lc = globals()[f"run_{impl}"](folder)
    seconds = time.perf_counter() - t0
    peak = _rss_mb("VmHWM")
    sig, lc = _normalise(sig, lc)
    sig.to_pickle(out + ".sig.pkl")
    lc.to_pickle(out + ".lc.pkl")
    Path(out).write_text(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak,
                "delta_mb": peak - base,
                "steps": STEPS,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20261025)
    parser.add_argument("--only", nargs="*", choices=IMPLS, default=list(IMPLS))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = Path(tempfile.gettempdir()) / (
        f"churnlab_bench_activity_{args.users}_{args.events}_{args.seed}"
    )
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        t0 = time.perf_counter()
        meta = synthesise(folder, args.users, args.events, args.seed)
        meta_path.write_text(json.dumps(meta))
        print(f"wrote {folder} in {time.perf_counter() - t0:.1f}s")
    meta = json.loads(meta_path.read_text())
    print(
        f"data: {meta['events']:,} events, {meta['users']:,} users, "
        f"{meta['accounts']:,} accounts, 26 weeks; machine: {os.cpu_count()} CPUs"
    )
    results, frames = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for impl in [i for i in IMPLS if i in args.only]:
            out = os.path.join(tmp, impl + ".json")
            subprocess.run(
                [sys.executable, __file__, "--child", impl, str(folder), out],
                check=True,
            )
            r = json.loads(Path(out).read_text())
            results[impl] = r
            frames[impl] = (
                pd.read_pickle(out + ".sig.pkl"),
                pd.read_pickle(out + ".lc.pkl"),
            )
            print(
                f"  {impl:10s} {r['seconds']:8.2f} s   peak RSS {r['peak_mb']:7.0f} MB"
                f"  (+{r['delta_mb']:.0f} MB)",
                flush=True,
            )
            for step, secs in r["steps"].items():
                print(f"  {'':10s}   {secs:6.2f} s  {step}")
    ref = next(iter(frames))
    for sig, lc in frames.values():
        pd.testing.assert_frame_equal(sig, frames[ref][0], check_exact=False)
        pd.testing.assert_frame_equal(lc, frames[ref][1])
    sig = frames[ref][0]
    print(
        f"all {len(frames)} implementations agree with {ref}: {len(sig):,} paying "
        f"accounts, {int(sig.slipping.sum()):,} slipping, {int(sig.dormant.sum()):,} "
        f"dormant; {len(frames[ref][1])} lifecycle weeks"
    )
    sql = {k: v["seconds"] for k, v in results.items() if k.startswith("sql")}
    if sql:
        best = min(sql, key=sql.get)
        print(f"ratios to the fastest SQL ({best}, {sql[best]:.2f} s):")
        for impl, r in results.items():
            print(f"  {impl:10s} {r['seconds'] / sql[best]:6.2f}x")


if __name__ == "__main__":
    main()
