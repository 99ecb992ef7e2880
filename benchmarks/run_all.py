"""Run every benchmark script in this folder, one after another (``make bench``).

Each ``bench_*.py`` times churnlab against a plain-pandas baseline and
hand-written DuckDB SQL in the same run and prints ratios and peak memory.
Benchmarks are never collected by the test suite (``testpaths = ["tests"]``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        done = subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=False)
        if done.returncode:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
