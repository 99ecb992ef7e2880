"""Benchmark: a 5-step, 7-day funnel over ~20M events (~1M users).

churnlab (``cl.funnel`` on the parquet path, contract validation included) vs
hand-written DuckDB SQL (three formulations) vs pandas (two), one run each.

Data: synthesised with numpy (seed 42), written once to a parquet file in a
temporary folder (``--data DIR`` to keep it between runs): 1M users with
Poisson(20) events each, 10 event names of which ``s1``..``s5`` are the funnel
steps, timestamps to the second over ~10 weeks (each user active for a few
days to weeks, so attempts repeat and steps come out of order).

Implementations:

* ``churnlab``     ``cl.funnel(path, ["s1".."s5"], "7D", as_of=...)``: users per
                   step plus drop-off, censoring and median times between steps.
* ``sql_dp``       the same dynamic programme by hand: one running ``max`` window
                   per step transition (counts only).
* ``sql_asof``     greedy attempts with DuckDB ``ASOF JOIN`` per step (counts).
* ``sql_follow``   greedy attempts with a "next step-k event" window (``min``
                   over the following rows) per step (counts).
* ``pandas_asof``  tuned pandas: ``merge_asof(direction="forward")`` per step on
                   integer user codes, whole data.
* ``pandas_loop``  the straightforward pandas way: group by user and walk each
                   user's events in Python. Run on a 1-in-``--loop-every``
                   subsample of users and extrapolated linearly (per-user cost is
                   independent; the script says so in its output), because the
                   full run takes far too long on this 2-core box.

The as-of date is set after the data ends, so no user is censored and every
implementation counts the same users; each result is checked against
``sql_dp`` (``pandas_loop`` against ``sql_dp`` run on its subsample).

Each implementation runs in a fresh subprocess: wall and CPU seconds of the one
run, and peak memory as the increase of the process's peak RSS (VmHWM, which
covers DuckDB's native memory; reset through /proc/self/clear_refs just before
the run) over its RSS before the run. pandas reads its parquet before the
clock starts; the RSS after loading is reported as ``loaded_mb``.

Usage::

    python benchmarks/bench_funnels.py                   # 1M users, ~20M events
    python benchmarks/bench_funnels.py --users 100000    # quick look
    python benchmarks/bench_funnels.py --only churnlab sql_dp

This is a script; pytest does not collect it (testpaths = ["tests"]).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STEPS = ["s1", "s2", "s3", "s4", "s5"]
OTHERS = ["o1", "o2", "o3", "o4", "o5"]
SHARES = np.array([0.25, 0.17, 0.12, 0.08, 0.06, 0.08, 0.08, 0.06, 0.05, 0.05])
WINDOW_DAYS = 7
AS_OF = "2026-12-31"  # after the data: nobody is censored
IMPLS = (
    "churnlab",
    "sql_dp",
    "sql_asof",
    "sql_follow",
    "pandas_asof",
    "pandas_loop",
)

# ------------------------------------------------------------------------- data


def prepare(folder: Path, users: int, seed: int = 42) -> Path:
    """Write the events once (``events.parquet`` in ``folder``); return its path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / f"events_{users}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    counts = rng.poisson(20, users)
    n = int(counts.sum())
    user = np.repeat(np.arange(users), counts)
    names = np.array(STEPS + OTHERS)
    event = rng.choice(len(names), size=n, p=SHARES / SHARES.sum())
    start = np.datetime64("2026-01-01T00:00:00", "s").astype(np.int64)
    first_seen = rng.integers(0, 60 * 86_400, users)
    ts = start + first_seen[user] + rng.exponential(3 * 86_400, n).astype(np.int64)
    table = pa.table(
        {
            "user_id": pa.array(np.char.add("u", user.astype(str))),
            "event": pa.array(names[event]),
            "timestamp": pa.array(ts.astype("datetime64[s]").astype("datetime64[us]")),
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)
    return path


# ---------------------------------------------------------------------- helpers


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _duck(path: Path):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW ev AS SELECT * FROM read_parquet('{path}')")
    return con


# -------------------------------------------------------------- SQL formulations

_W = f"INTERVAL {WINDOW_DAYS} DAY"


def sql_dp(source: str = "ev") -> str:
    """Running max of the latest attempt start, one window per transition."""
    ctes = [
        f"b1 AS (SELECT user_id, timestamp AS ts, timestamp AS b FROM {source} "
        "WHERE event = 's1')"
    ]
    for k in range(2, 6):
        ctes.append(
            f"""u{k} AS (
  SELECT user_id, ts, b, 0 AS kind FROM b{k - 1}
  UNION ALL
  SELECT user_id, timestamp, NULL::TIMESTAMP, 1 FROM {source} WHERE event = 's{k}'),
r{k} AS (
  SELECT user_id, ts, kind, max(b) OVER (PARTITION BY user_id ORDER BY ts, kind
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS r FROM u{k}),
b{k} AS (
  SELECT user_id, ts, r AS b FROM r{k}
  WHERE kind = 1 AND r IS NOT NULL AND ts <= r + {_W})"""
        )
    counts = " UNION ALL ".join(
        f"SELECT {k} AS step, count(DISTINCT user_id) AS users FROM b{k}"
        for k in range(1, 6)
    )
    return "WITH " + ",\n".join(ctes) + "\n" + counts


def sql_asof(source: str = "ev") -> str:
    """Greedy attempts: the next step-k event of each attempt by ASOF JOIN."""
    q = f"WITH a1 AS (SELECT user_id, timestamp AS t1 FROM {source} WHERE event = 's1')"
    prev = "a1"
    for k in range(2, 6):
        q += f""",
e{k} AS (SELECT user_id, timestamp AS ts FROM {source} WHERE event = 's{k}'),
a{k} AS (
  SELECT a.*, e.ts AS t{k} FROM {prev} a ASOF JOIN e{k} e
    ON a.user_id = e.user_id AND a.t{k - 1} <= e.ts
  WHERE e.ts <= a.t1 + {_W})"""
        prev = f"a{k}"
    counts = " UNION ALL ".join(
        f"SELECT {k} AS step, count(DISTINCT user_id) AS users FROM a{k}"
        for k in range(1, 6)
    )
    return q + "\n" + counts


def sql_follow(source: str = "ev") -> str:
    """Greedy attempts: min over the following rows of step-k times."""
    q = (
        "WITH a1 AS (SELECT user_id, timestamp AS t1, timestamp AS tp "
        f"FROM {source} WHERE event = 's1')"
    )
    for k in range(2, 6):
        q += f""",
u{k} AS (
  SELECT user_id, t1, tp AS ts, 0 AS kind FROM a{k - 1}
  UNION ALL
  SELECT user_id, NULL, timestamp, 1 FROM {source} WHERE event = 's{k}'),
n{k} AS (
  SELECT user_id, t1, kind, min(CASE WHEN kind = 1 THEN ts END) OVER (
    PARTITION BY user_id ORDER BY ts DESC, kind DESC
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS nx FROM u{k}),
a{k} AS (
  SELECT user_id, t1, nx AS tp FROM n{k}
  WHERE kind = 0 AND nx IS NOT NULL AND nx <= t1 + {_W})"""
    counts = " UNION ALL ".join(
        f"SELECT {k} AS step, count(DISTINCT user_id) AS users FROM a{k}"
        for k in range(1, 6)
    )
    return q + "\n" + counts


# ------------------------------------------------------------- pandas versions


def pandas_asof(df: pd.DataFrame) -> dict[int, int]:
    """merge_asof(direction="forward") per step, on integer user codes."""
    df = df[df["event"].isin(STEPS)]
    codes = pd.factorize(df["user_id"])[0]
    df = pd.DataFrame(
        {"u": codes, "event": df["event"].to_numpy(), "t": df["timestamp"]}
    )
    window = pd.Timedelta(days=WINDOW_DAYS)
    att = df.loc[df["event"] == "s1", ["u", "t"]].rename(columns={"t": "t1"})
    att["tp"] = att["t1"]
    counts = {1: int(att["u"].nunique())}
    for k in range(2, 6):
        ev = df.loc[df["event"] == f"s{k}", ["u", "t"]].rename(columns={"t": "tk"})
        m = pd.merge_asof(
            att.sort_values("tp"),
            ev.sort_values("tk"),
            left_on="tp",
            right_on="tk",
            by="u",
            direction="forward",
            allow_exact_matches=True,
        )
        m = m[m["tk"].notna() & (m["tk"] <= m["t1"] + window)]
        att = pd.DataFrame({"u": m["u"], "t1": m["t1"], "tp": m["tk"]})
        counts[k] = int(att["u"].nunique())
    return counts


def _user_level(times: list, events: list, window: pd.Timedelta) -> int:
    """Furthest step any attempt of one user reached (plain Python)."""
    best = 0
    n = len(events)
    for i in range(n):
        if events[i] != "s1":
            continue
        level, start, j = 1, times[i], i
        for step in STEPS[1:]:
            found = None
            for m in range(j, n):
                if times[m] > start + window:
                    break
                if events[m] == step and m != j:
                    found = m
                    break
            if found is None:
                break
            level, j = level + 1, found
        best = max(best, level)
    return best


def pandas_loop(df: pd.DataFrame) -> dict[int, int]:
    """The straightforward way: group by user, walk their sorted events."""
    window = pd.Timedelta(days=WINDOW_DAYS)
    df = df[df["event"].isin(STEPS)].sort_values(["user_id", "timestamp", "event"])
    levels = df.groupby("user_id", sort=False).apply(
        lambda g: _user_level(list(g["timestamp"]), list(g["event"]), window),
        include_groups=False,
    )
    return {k: int((levels >= k).sum()) for k in range(1, 6)}


# ---------------------------------------------------------------------- workers


def worker(impl: str, path: Path, loop_every: int) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    import duckdb  # noqa: F401  (imported before the baseline RSS is read)

    import churnlab as cl

    info: dict = {"impl": impl}
    df = None
    if impl.startswith("pandas"):
        df = pd.read_parquet(path, columns=["user_id", "event", "timestamp"])
        if impl == "pandas_loop":
            keep = df["user_id"].str[1:].astype(np.int64) % loop_every == 0
            df = df[keep].reset_index(drop=True)
            info["sample_users"] = int(df["user_id"].nunique())
            info["sample_events"] = len(df)
    info["loaded_mb"] = _rss_kb("VmRSS") / 1024
    with open("/proc/self/clear_refs", "w") as fh:  # reset VmHWM to VmRSS
        fh.write("5")
    rss0 = _rss_kb("VmRSS")
    c0, t0 = _cpu(), time.perf_counter()
    if impl == "churnlab":
        f = cl.funnel(str(path), steps=STEPS, window=f"{WINDOW_DAYS}D", as_of=AS_OF)
        counts = dict(zip(f["step_index"], f["users"], strict=True))
        info["censored"] = int(f["users_censored"].sum())
        info["median_hours_from_previous"] = [
            None if pd.isna(v) else round(float(v), 3)
            for v in f["median_hours_from_previous"]
        ]
    elif impl.startswith("sql_"):
        con = _duck(path)
        rows = con.execute(globals()[impl]()).fetchall()
        counts = {int(k): int(v) for k, v in rows}
    elif impl == "pandas_asof":
        counts = pandas_asof(df)
    elif impl == "pandas_loop":
        counts = pandas_loop(df)
    else:
        raise SystemExit(f"unknown implementation {impl}")
    info["wall_s"] = time.perf_counter() - t0
    info["cpu_s"] = _cpu() - c0
    info["peak_mb"] = max(0, _rss_kb("VmHWM") - rss0) / 1024
    info["users"] = {str(int(k)): int(v) for k, v in counts.items()}
    if impl == "pandas_loop":
        con = _duck(path)
        con.execute(
            "CREATE VIEW sub AS SELECT * FROM ev "
            f"WHERE CAST(substr(user_id, 2) AS BIGINT) % {loop_every} = 0"
        )
        rows = con.execute(sql_dp("sub")).fetchall()
        info["check_sql_dp_on_sample"] = {str(int(k)): int(v) for k, v in rows}
        total_users = con.execute("SELECT count(DISTINCT user_id) FROM ev").fetchone()
        info["total_users"] = int(total_users[0])
    return info


def run(impl: str, path: Path, loop_every: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        impl,
        "--path",
        str(path),
        "--loop-every",
        str(loop_every),
        "--out",
        str(out),
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode:
        return {"impl": impl, "error": proc.stderr[-2000:]}
    info = json.loads(out.read_text())
    out.unlink()
    return info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--data", type=Path, default=None, help="folder for the parquet")
    p.add_argument("--only", nargs="*", default=list(IMPLS), choices=IMPLS)
    p.add_argument("--loop-every", type=int, default=20)
    p.add_argument("--json", type=Path, default=None, help="write results here")
    p.add_argument("--worker", choices=IMPLS)
    p.add_argument("--path", type=Path)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    if args.worker:
        info = worker(args.worker, args.path, args.loop_every)
        args.out.write_text(json.dumps(info))
        return
    folder = args.data or Path(tempfile.gettempdir()) / "churnlab_bench_funnels"
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    path = prepare(folder, args.users)
    size = path.stat().st_size / 1e6
    print(f"data: {path} ({size:.0f} MB, {time.perf_counter() - t:.0f}s)")
    results = {}
    for impl in args.only:
        info = run(impl, path, args.loop_every)
        results[impl] = info
        if "error" in info:
            print(f"{impl:12s} FAILED\n{info['error']}")
            continue
        extra = ""
        if impl == "pandas_loop":
            factor = info["total_users"] / info["sample_users"]
            info["extrapolated_wall_s"] = info["wall_s"] * factor
            info["extrapolated_cpu_s"] = info["cpu_s"] * factor
            ok = info["users"] == info["check_sql_dp_on_sample"]
            extra = (
                f"  (1 in {args.loop_every} users: {info['sample_users']:,}; "
                f"x{factor:.1f} -> {info['extrapolated_wall_s']:.0f}s; check {ok})"
            )
        print(
            f"{impl:12s} wall {info['wall_s']:8.1f}s  cpu {info['cpu_s']:8.1f}s  "
            f"peak +{info['peak_mb']:7.0f} MB  users {list(info['users'].values())}"
            + extra,
            flush=True,
        )
    ref = results.get("sql_dp", {}).get("users")
    for impl, info in results.items():
        if ref and impl != "pandas_loop" and "users" in info:
            info["matches_sql_dp"] = info["users"] == ref
    sqls = [
        results[k]
        for k in ("sql_dp", "sql_asof", "sql_follow")
        if "wall_s" in results.get(k, {})
    ]
    summary = {}
    if "wall_s" in results.get("churnlab", {}) and sqls:
        best = min(sqls, key=lambda r: r["wall_s"])
        cl_ = results["churnlab"]
        summary["churnlab_vs_best_sql_wall"] = cl_["wall_s"] / best["wall_s"]
        summary["churnlab_vs_best_sql_cpu"] = cl_["cpu_s"] / min(
            r["cpu_s"] for r in sqls
        )
        summary["best_sql"] = best["impl"]
        for name, key in (
            ("pandas_asof", "wall_s"),
            ("pandas_loop", "extrapolated_wall_s"),
        ):
            if key in results.get(name, {}):
                summary[f"{name}_vs_churnlab_wall"] = results[name][key] / cl_["wall_s"]
    print(
        json.dumps(
            {
                "summary": summary,
                "matches": {k: v.get("matches_sql_dp") for k, v in results.items()},
            },
            indent=1,
        )
    )
    if args.json:
        args.json.write_text(
            json.dumps({"results": results, "summary": summary}, indent=1)
        )


if __name__ == "__main__":
    main()
