"""Run churnlab's heavy calls on a Spark cluster and on DuckDB; compare each.

Usage: ``python check_on_cluster.py spark://127.0.0.1:PORT results.json``.
Writes ``{check: {"ok": bool, "rows": int, "error": str | None}}`` plus a
``_cluster`` entry (master URL and executor count) so the test can prove the work
ran on the cluster's executors, not in a local session.
"""

from __future__ import annotations

import json
import sys
import traceback
import warnings

import pandas as pd

import churnlab as cl
from churnlab import engine


def _small_sample(n_accounts: int = 400) -> dict[str, pd.DataFrame]:
    tables = cl.sample.generate()
    keep = set(tables["customers"]["customer_id"].iloc[:n_accounts])
    out = {"customers": tables["customers"][tables["customers"].customer_id.isin(keep)]}
    out["subscriptions"] = tables["subscriptions"][
        tables["subscriptions"].customer_id.isin(keep)
    ]
    out["orders"] = tables["orders"][tables["orders"].customer_id.isin(keep)]
    out["events"] = tables["events"][tables["events"].account_id.isin(keep)]
    return {k: v.reset_index(drop=True) for k, v in out.items()}


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got, want = got.reset_index(), want.reset_index()
    cols = list(want.columns)
    assert sorted(got.columns) == sorted(cols), (list(got.columns), cols)
    key = [c for c in cols if want[c].dtype == object or "period" in c or c == "index"]
    got = got[cols].sort_values(key).reset_index(drop=True)
    want = want.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=False)


CHECKS = {
    "mrr_movements": lambda ds, t: cl.mrr_movements(ds, by="segment"),
    "customer_churn": lambda ds, t: cl.customer_churn(ds, by="segment"),
    "cohort_table": lambda ds, t: cl.cohort_table(ds, freq="M", kind="logo"),
    "order_churn": lambda ds, t: cl.order_churn(
        t["orders"], inactivity_days=90, as_of="2026-10-31"
    ),
    "funnel": lambda ds, t: cl.funnel(
        t["events"],
        steps=["login", "dashboard_created", "report_viewed"],
        window="7D",
        as_of="2026-10-31",
    ),
    "lifetimes": lambda ds, t: cl.lifetimes(ds, as_of="2026-10-31"),
}


def main(master: str, out_path: str) -> None:
    """Run every check; write the results file."""
    warnings.simplefilter("ignore")
    frames = _small_sample()
    spark = engine.spark_session(master=master, app_name="churnlab-cluster-test")
    sc = spark.sparkContext
    con = engine.connect("pyspark", session=spark)
    on_spark = {
        name: engine.load(con, f"cluster_{name}", frame)
        for name, frame in frames.items()
    }
    spark_ds = cl.load_dataset({k: on_spark[k] for k in ("customers", "subscriptions")})
    duck_ds = cl.load_dataset({k: frames[k] for k in ("customers", "subscriptions")})
    results: dict[str, dict] = {}
    for name, call in CHECKS.items():
        try:
            got = call(spark_ds, on_spark)
            want = call(duck_ds, frames)
            _same(got, want)
            results[name] = {"ok": True, "rows": len(want), "error": None}
        except Exception:  # noqa: BLE001 - reported to the test, which fails
            results[name] = {"ok": False, "rows": 0, "error": traceback.format_exc()}
    executors = sc._jsc.sc().getExecutorMemoryStatus().size() - 1  # minus driver
    results["_cluster"] = {"master": sc.master, "executors": executors}
    spark.stop()
    with open(out_path, "w") as fh:
        json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
