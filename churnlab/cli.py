"""Command line: ``churnlab report NAME ...`` and ``churnlab sample --out DIR``.

Public names: ``main``, ``build_parser``.

A thin layer over :func:`churnlab.reports.run_report`. On a churnlab error it
prints one line and exits with status 1; any other exception is a bug and keeps
its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from churnlab.errors import ChurnlabError, ParameterError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="churnlab",
        description="Churn, retention and sales reports from a dataset folder.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser(
        "report",
        help="run a report notebook and publish HTML, notebook and metrics.json",
        description="Run report NAME (churn, sales, or all) for one month or a range.",
    )
    rep.add_argument("name", help="report name: churn, sales, or all")
    rep.add_argument("--month", help="YYYY-MM (default: latest complete month)")
    rep.add_argument(
        "--from", dest="start", metavar="YYYY-MM", help="first month of a backfill"
    )
    rep.add_argument(
        "--to", dest="end", metavar="YYYY-MM", help="last month of a backfill"
    )
    rep.add_argument(
        "--data", default=None, help="dataset folder (default: the bundled sample)"
    )
    rep.add_argument("--segment", help="customer segment to filter to")
    rep.add_argument("--out", default="reports", help="output root (default: reports)")
    rep.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="other notebook parameter, e.g. inactivity_days=60",
    )
    rep.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    rep.add_argument(
        "--quiet",
        action="store_true",
        help="print nothing but errors (for cron); implies --no-progress",
    )
    smp = sub.add_parser(
        "sample",
        help="write a copy of the bundled sample dataset",
        description="Copy the bundled sample company's tables to DIR.",
    )
    smp.add_argument("--out", required=True, metavar="DIR", help="folder to write")
    return parser


def _params(items: Sequence[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise ParameterError(f"--param {item!r} must look like NAME=VALUE.")
        try:
            out[name] = json.loads(raw)
        except json.JSONDecodeError:
            out[name] = raw
    return out


#: Report parameters that have their own flag.
_FLAGS = {"month": "--month", "data_dir": "--data", "segment": "--segment"}


def _sample(out: str) -> int:
    import shutil
    from pathlib import Path

    from churnlab.sample import DATA_DIR

    target = Path(out)
    if target.exists() and any(target.iterdir()):
        raise ParameterError(
            f"--out {out!r} exists and is not empty; pick a new folder."
        )
    shutil.copytree(DATA_DIR, target, dirs_exist_ok=True)
    print(f"churnlab: sample dataset written to {target}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``churnlab`` command."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "sample":
            return _sample(args.out)
        return _report(args)
    except ChurnlabError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"churnlab: error: {first}", file=sys.stderr)
        rest = str(err).splitlines()[1:]
        if rest:
            print("\n".join(rest), file=sys.stderr)
        return 1


def _report(args: argparse.Namespace) -> int:
    from churnlab.reports.runner import (
        available_reports,
        cell_count,
        month_range,
        run_report,
        write_index,
    )

    extra = _params(args.param)
    for key, flag in _FLAGS.items():
        if key in extra:
            raise ParameterError(
                f"--param {key}=... is not a notebook parameter here; use {flag}."
            )
    if args.month and (args.start or args.end):
        raise ParameterError("Give --month or --from/--to, not both.")
    if bool(args.start) != bool(args.end):
        raise ParameterError("--from and --to go together.")
    months = month_range(args.start, args.end) if args.start else [args.month]
    names = available_reports() if args.name == "all" else [args.name]
    show = not (args.quiet or args.no_progress) and sys.stderr.isatty()
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=sum(cell_count(n) for n in names if n in available_reports())
            * len(months),
            unit="cell",
            desc="churnlab",
            file=sys.stderr,
        )
    done = []
    try:
        for name in names:
            for month in months:
                if bar is not None:
                    bar.set_description(f"{name} {month or 'latest'}")
                result = run_report(
                    name,
                    month=month,
                    data_dir=args.data,
                    segment=args.segment,
                    out=args.out,
                    parameters=extra,
                    progress=bar.update if bar is not None else False,
                    update_index=False,
                )
                done.append(result)
                if not args.quiet:
                    line = f"churnlab: {result}"
                    (bar.write(line) if bar is not None else print(line))
    finally:
        if bar is not None:
            bar.close()
        if done:
            write_index(Path(args.out).resolve())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
