"""Command line: write the sample company's tables to a folder.

Usage::

    python -m churnlab.sample --out churnlab/sample/data
    python -m churnlab.sample --out /tmp/big --accounts 100000 --format parquet

Writes one file per table (``<table>.csv`` or ``<table>.parquet``; ``events`` is
Parquet unless ``--events-format csv``) and ``ground_truth.json``. A progress
bar is shown for runs of 20,000 accounts or more, or with ``--progress``.
"""

from __future__ import annotations

import argparse
import sys
import time

from churnlab.sample.generator import SAMPLE_START, write

__all__ = ["main"]

_PROGRESS_FROM = 20_000


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m churnlab.sample",
        description="Write the deterministic churnlab sample company to a folder.",
    )
    p.add_argument("--out", required=True, help="folder to write (created if missing)")
    p.add_argument("--accounts", type=int, default=5000, help="sign-ups (default 5000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="format of every table except events (default csv)",
    )
    p.add_argument(
        "--events-format",
        choices=("csv", "parquet"),
        default="parquet",
        help="format of the events table (default parquet)",
    )
    p.add_argument("--start", default=SAMPLE_START, help="first day, a month start")
    p.add_argument(
        "--months", type=int, default=36, help="complete months (default 36)"
    )
    p.add_argument(
        "--events-months",
        type=int,
        default=12,
        help="months of product events, counted back from the end (default 12)",
    )
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None)
    bar.add_argument("--no-progress", dest="progress", action="store_false")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 2 on a bad argument.
    """
    args = _parser().parse_args(argv)
    progress = args.progress
    if progress is None:
        progress = args.accounts >= _PROGRESS_FROM
    began = time.perf_counter()
    try:
        out = write(
            args.out,
            fmt=args.format,
            events_fmt=args.events_format,
            n_accounts=args.accounts,
            seed=args.seed,
            start=args.start,
            months=args.months,
            events_months=args.events_months,
            progress=progress,
        )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    took = time.perf_counter() - began
    print(f"wrote {out} ({args.accounts} accounts, seed {args.seed}) in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
