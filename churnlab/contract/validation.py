"""Validation of one table against the contract: :func:`validate`.

A table is renamed to canonical columns, checked for its required columns, typed
(:mod:`churnlab.contract.coerce`) and checked row by row (nulls, bounds, order
rules, refunds, exact duplicates, duplicate ids) in one aggregate query on its
backend. A broken table raises :class:`~churnlab.errors.ContractError` naming
the table, the column, the problem, the row count and example rows with their
file line; with ``errors="exclude"`` the offending rows are dropped and counted.

Imports :mod:`churnlab.contract.specs` and :mod:`churnlab.contract.coerce`.
"""

from __future__ import annotations

import difflib
import os
import warnings
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from churnlab import engine
from churnlab.contract.coerce import _Check, _formats_fix, _typed_column
from churnlab.contract.specs import (
    TABLES,
    TableInfo,
    TableSpec,
    _check_errors,
    _check_tz,
    _normalise_formats,
)
from churnlab.errors import (
    BackendError,
    ChurnlabWarning,
    ContractError,
    ParameterError,
)

__all__ = ["validate"]


def validate(
    name: str,
    data: Any,
    *,
    columns: Mapping[str, str] | None = None,
    tz: str = "UTC",
    formats: str | Mapping[str, str] | None = None,
    errors: str = "raise",
) -> tuple[ir.Table, TableInfo]:
    """Validate one table against the contract and return it typed.

    Parameters
    ----------
    name : str
        Contract table name.
    data : DataFrame, path or ibis.Table
        The table. A path is read once into an in-memory snapshot.
    columns : mapping, optional
        Your column name to the canonical one.
    tz : str
        Time zone of naive timestamps; values with an offset are converted to it.
    formats : str or mapping, optional
        strptime format of this table's non-ISO timestamp text: one for every
        timestamp column, or per canonical column (see :func:`load_dataset`).
    errors : {"raise", "exclude"}
        What to do with rows breaking a row-level rule (see :func:`load_dataset`).

    Returns
    -------
    (ibis.Table, TableInfo)
        The typed table with canonical names, and its row count, time span and
        documented exclusions.

    Raises
    ------
    ContractError
        On the first problem found; the message lists other problems too.
    """
    if name not in TABLES:
        raise ParameterError(
            f"{name!r} is not a contract table; tables are {', '.join(TABLES)}."
        )
    _check_errors(errors)
    tz = _check_tz(tz, "tz=")
    spec = TABLES[name]
    fmts = (
        _normalise_formats({name: formats}, "formats=").get(name, {}) if formats else {}
    )
    columns = dict(columns or {})
    if isinstance(data, pd.DataFrame):
        data = _prepare_frame(data, spec, columns, tz)
    # ids and timestamps are read from CSV as text: ids keep their zeros, and no
    # date format is guessed (text timestamps are parsed by the contract)
    text_cols = tuple(
        [
            src
            for src, dst in columns.items()
            if (c := spec.column(dst)) and c.kind in ("id", "timestamp")
        ]
        + [c.name for c in spec.columns if c.kind in ("id", "timestamp")]
    )
    line_label = None
    snap = None
    if isinstance(data, str | os.PathLike):
        snap, line_label = engine.snapshot(data, table=name, string_columns=text_cols)
        raw = snap.mutate(**{_LINE: snap.rowid() + (2 if line_label == "line" else 1)})
    else:
        raw = engine.to_table(data, string_columns=text_cols)
    raw = _rename(raw, spec, columns)
    _check_columns(raw, spec)
    if (isinstance(data, pd.DataFrame) and data.empty) or (
        snap is not None and not engine.scalar(snap.count())
    ):
        raise ContractError(
            spec.name,
            None,
            "the table is empty (0 rows)"
            + (f" in {os.fspath(data)}" if snap is not None else ""),
            fix="Load a table with data, or leave it out of the dataset.",
        )
    absent = {
        c.name: ibis.null(_NULL_TYPES.get(c.kind, "string"))
        for c in spec.columns
        if c.fill_absent and c.name not in raw.columns
    }
    if absent:
        raw = raw.mutate(**absent)
    out, info = _check_rows(raw, spec, tz, fmts, errors, line_label, tuple(absent))
    if snap is not None:
        # the typed table becomes the snapshot: later queries neither re-read
        # the file nor re-type its columns
        out = engine.materialize(out, table=name)
        engine.drop(snap)
    return out, info


_LINE = "__churnlab_line"
_NULL_TYPES: dict[str, Any] = {
    "id": "string",
    "timestamp": dt.Timestamp(),
    "number": "float64",
    "integer": "float64",
    "bool": "boolean",
}


def _count_unknown_customers(
    tables: Mapping[str, ir.Table], info: Mapping[str, TableInfo]
) -> None:
    """Count rows whose customer is missing from ``customers`` (kept, noted)."""
    customers = tables.get("customers")
    if customers is None:
        return
    known = customers.select("customer_id")
    for name, tbl in tables.items():
        if name == "customers" or "customer_id" not in tbl.columns:
            continue
        try:
            orphans = tbl.filter(
                tbl.customer_id.notnull() & ~tbl.customer_id.isin(known.customer_id)
            ).count()
            n = int(engine.scalar(orphans) or 0)
        except BackendError:  # tables on different backends cannot be compared
            continue
        info[name].notes["customer not in customers"] = n


def _prepare_frame(
    frame: pd.DataFrame, spec: TableSpec, columns: Mapping[str, str], tz: str
) -> pd.DataFrame:
    """Make a pandas frame's timestamps comparable before it enters the engine.

    tz-aware columns are converted to ``tz`` and made naive; object columns of
    datetime objects become ISO strings, so mixed offsets are caught by the same
    rule as text input.
    """
    reverse = {dst: src for src, dst in columns.items()}
    out = None
    for col in spec.columns:
        if col.kind != "timestamp":
            continue
        src = reverse.get(col.name, col.name)
        if src not in frame.columns:
            continue
        s = frame[src]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            new = s.dt.tz_convert(tz).dt.tz_localize(None)
        elif s.dtype == object and s.map(lambda v: hasattr(v, "isoformat")).any():
            new = s.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
        else:
            continue
        if out is None:
            out = frame.copy()
        out[src] = new
    return frame if out is None else out


def _rename(raw: ir.Table, spec: TableSpec, columns: Mapping[str, str]) -> ir.Table:
    missing = [src for src in columns if src not in raw.columns]
    if missing:
        raise ContractError(
            spec.name,
            missing[0],
            f"columns= maps {missing[0]!r}, which is not a column of the table "
            f"(columns: {', '.join(raw.columns)})",
            fix="Fix the name in the columns= mapping or dataset.toml.",
        )
    if not columns:
        return raw
    clash = [
        dst
        for src, dst in columns.items()
        if dst in raw.columns and dst != src and dst not in columns
    ]
    if clash:
        raise ContractError(
            spec.name,
            clash[0],
            f"columns= renames a column to {clash[0]!r}, but the table already has one",
            fix="Map or drop the existing column first.",
        )
    return raw.rename({dst: src for src, dst in columns.items()})


def _check_columns(raw: ir.Table, spec: TableSpec) -> None:
    missing = [c for c in spec.required if c not in raw.columns]
    if spec.one_of and not any(c in raw.columns for c in spec.one_of):
        missing.append(" or ".join(spec.one_of))
    if missing:
        col = missing[0]
        close = difflib.get_close_matches(col, list(raw.columns), n=1, cutoff=0.6)
        lower = {c.lower(): c for c in raw.columns}
        guess = close[0] if close else lower.get(col.lower())
        fix = (
            f"If {guess!r} holds it, map it: columns={{{spec.name!r}: "
            f"{{{guess!r}: {col!r}}}}}."
            if guess
            else f"Add the column or map yours to it with columns={{{spec.name!r}: "
            f"{{'your_name': {col!r}}}}}."
        )
        raise ContractError(
            spec.name,
            col,
            f"required column is missing (required: {', '.join(spec.required)}; "
            f"found: {', '.join(raw.columns)})",
            fix=fix,
        )


def _check_rows(
    raw: ir.Table,
    spec: TableSpec,
    tz: str,
    formats: Mapping[str, str] | None = None,
    errors: str = "raise",
    line_label: str | None = None,
    filled: tuple[str, ...] = (),
) -> tuple[ir.Table, TableInfo]:
    """Type the columns, run every row check in one pass, raise or exclude.

    ``filled`` names the columns the contract added as all null (absent
    optional columns); examples leave them out.
    """
    formats = formats or {}
    data_cols = [c for c in raw.columns if c != _LINE]
    raw, n_identical, dup_rule = _exact_duplicates(
        raw, spec, data_cols, errors, line_label
    )
    key_cols = tuple(
        c
        for c in ("customer_id", "user_id", "deal_id", "lead_id", "owner")
        if c in raw.columns
    )[:2]
    checks: list[_Check] = []
    typed: dict[str, ir.Value] = {}
    for col in spec.columns:
        if col.name in raw.columns:
            show = tuple(dict.fromkeys(key_cols + (col.name,)))
            fmt = formats.get(col.name, formats.get("*"))
            typed[col.name] = _typed_column(raw, col, tz, checks, show, spec.name, fmt)
    mixed_zone = [c for c in checks if c.problem.startswith("mixed time zones")]
    checks = [c for c in checks if not c.problem.startswith("mixed time zones")]
    for col in spec.columns:
        if col.name not in typed:
            continue
        v = typed[col.name]
        show = tuple(dict.fromkeys(key_cols + (col.name,)))
        if not col.nullable:
            what = "id" if col.kind == "id" else "value"
            checks.append(
                _Check(
                    col.name,
                    f"{what} is missing (null)",
                    raw[col.name].isnull(),
                    # the whole row as given, so it can be found at the source
                    tuple(
                        dict.fromkeys(
                            show + tuple(c for c in data_cols if c not in filled)
                        )
                    )[:12],
                    "Fill or remove these rows at the source; churnlab does not guess.",
                )
            )
        if col.minimum is not None:
            checks.append(
                _Check(
                    col.name,
                    f"value is below {col.minimum:g}",
                    v < col.minimum,
                    show,
                    "Fix these rows at the source.",
                )
            )
        if col.maximum is not None:
            checks.append(
                _Check(
                    col.name,
                    f"value is above {col.maximum:g}",
                    v > col.maximum,
                    show,
                    "Fix these rows at the source.",
                )
            )
    for early, late, problem in spec.order_checks:
        if early in typed and late in typed:
            checks.append(
                _Check(
                    late,
                    problem,
                    typed[late] < typed[early],
                    tuple(dict.fromkeys(key_cols + (early, late))),
                    "Fix these rows at the source; churnlab does not guess which date "
                    "is "
                    "wrong.",
                )
            )
    refund_rule = None
    if spec.name == "orders":
        amount = typed["amount"]
        if "is_refund" in typed:
            flag = typed["is_refund"].fill_null(False)
            checks.append(
                _Check(
                    "amount",
                    "amount is negative but is_refund is false",
                    (amount < 0) & ~flag,
                    tuple(dict.fromkeys(key_cols + ("amount", "is_refund"))),
                    "Mark refunds with is_refund = true, or fix the amounts.",
                )
            )
        else:
            flag = amount < 0
        typed["is_refund"] = flag
        refund_rule = flag
    out = raw.mutate(**typed)
    if _LINE in out.columns:
        out = out.drop(_LINE)
    ts_cols = [
        c.name for c in spec.columns if c.kind == "timestamp" and c.name in typed
    ]
    stats = engine.execute(
        _stats_expr(raw, typed, checks, mixed_zone, spec, refund_rule, ts_cols)
    )
    row = stats.iloc[0]
    n_rows = int(row["__n"])
    if n_rows == 0:
        raise ContractError(
            spec.name,
            None,
            "the table is empty (0 rows)",
            fix="Load a table with data, or leave it out of the dataset.",
        )
    problems: list[tuple[_Check, int]] = []
    for i, chk in enumerate(checks):
        n = int(row[f"__c{i}"] or 0)
        if n:
            problems.append((chk, n))
    for i, chk in enumerate(mixed_zone):
        n_off, n_all = int(row[f"__z{i}"] or 0), int(row[f"__zn{i}"] or 0)
        if 0 < n_off < n_all:
            problems.append((chk, n_all))
    dup_examples = None
    dup_keys = None
    if spec.key and "__dup" in row and int(row["__dup"] or 0):
        key = spec.key
        dups = out.filter(out[key].notnull()).group_by(key).agg(rows=ibis._.count())
        dups = dups.filter(dups.rows > 1)
        dup_keys = dups
        dup_examples = dups.order_by(key).limit(5)
        n_dup_rows = int(engine.scalar(dups.rows.sum()))
        problems.append(
            (
                _Check(
                    key,
                    "duplicate id",
                    ibis.literal(False),
                    (key, "rows"),
                    f"Each {key} must appear once; deduplicate at the source.",
                ),
                n_dup_rows,
            )
        )
    if problems and errors == "exclude" and all(c.row_level for c, _ in problems):
        bad = ibis.literal(False)
        for chk, _n in problems:
            if chk.problem == "duplicate id":
                key = typed[spec.key]
                bad = bad | key.isin(dup_keys[spec.key])
            else:
                bad = bad | chk.predicate.fill_null(False)
        kept = raw.filter(~bad)
        out2, info = _check_rows(kept, spec, tz, formats, "raise", line_label, filled)
        for chk, n in problems:
            rule = f"{chk.column}: {chk.problem}" if chk.column else chk.problem
            info.dropped[rule] = info.dropped.get(rule, 0) + n
        info.n_dropped += n_rows - info.n_rows
        if dup_rule:
            info.dropped["exact duplicate rows"] = dup_rule
            info.n_dropped += dup_rule
        if n_identical:
            info.notes["identical rows kept"] = n_identical
        return out2, info
    if problems:
        chk, n = problems[0]
        if dup_examples is not None and chk.problem == "duplicate id":
            examples = engine.execute(dup_examples)
        elif chk in mixed_zone:
            col = raw[chk.column]
            with_offset = raw.filter(chk.predicate.fill_null(False))
            without = raw.filter(~chk.predicate.fill_null(False) & col.notnull())
            examples = pd.concat(
                [
                    _examples(with_offset, chk.show, line_label, 2),
                    _examples(without, chk.show, line_label, 3),
                ]
            )
        else:
            examples = _examples(
                raw.filter(chk.predicate.fill_null(False)), chk.show, line_label, 5
            )
        fix = chk.fix
        if chk.formats_hint and chk.column:
            values = engine.execute(
                raw.filter(chk.predicate.fill_null(False))
                .select(v=raw[chk.column].cast("string"))
                .distinct()
                .limit(200)
            )["v"].tolist()
            fix = fix + "\n" + _formats_fix(spec.name, chk.column, values)
        others = "; ".join(
            f"{c.column}: {c.problem} ({k:,} rows)" for c, k in problems[1:]
        )
        fix = fix + (f"\nOther problems in this table: {others}." if others else "")
        if errors == "exclude" and not chk.row_level:
            fix += "\n(errors='exclude' drops rows, but this problem is the column's.)"
        raise ContractError(
            spec.name, chk.column, chk.problem, n_rows=n, examples=examples, fix=fix
        )
    info = TableInfo(n_rows=n_rows)
    mins = [row[f"__min_{c}"] for c in ts_cols if pd.notna(row[f"__min_{c}"])]
    reach = spec.horizon or ts_cols
    maxs = [
        row[f"__max_{c}"] for c in ts_cols if c in reach and pd.notna(row[f"__max_{c}"])
    ]
    info.earliest = pd.Timestamp(min(mins)) if mins else None
    info.latest = pd.Timestamp(max(maxs)) if maxs else None
    if refund_rule is not None:
        info.excluded["refunds"] = int(row["__refunds"] or 0)
    if dup_rule:
        info.dropped["exact duplicate rows"] = dup_rule
        info.n_dropped += dup_rule
    if n_identical:
        info.notes["identical rows kept"] = n_identical
    if spec.name == "subscriptions":
        _subscription_notes(out, info)
    ordered = [c.name for c in spec.columns if c.name in typed]
    if spec.name == "orders" and "is_refund" not in ordered:
        ordered.append("is_refund")
    extra = [c for c in out.columns if c not in ordered]
    return out.select(*ordered, *extra), info


def _examples(
    rows: ir.Table, show: tuple[str, ...], line_label: str | None, n: int
) -> pd.DataFrame:
    """Up to ``n`` example rows, with their file line (or row) number if known."""
    cols = [c for c in show if c in rows.columns]
    if line_label and _LINE in rows.columns:
        rows = rows.order_by(_LINE)
        sel = rows.select(rows[_LINE].name(line_label), *cols)
    else:
        sel = rows.select(*cols)
    return engine.execute(sel.limit(n))


def _exact_duplicates(
    raw: ir.Table,
    spec: TableSpec,
    data_cols: list[str],
    errors: str,
    line_label: str | None,
) -> tuple[ir.Table, int, int]:
    """Find rows identical in every column to an earlier row.

    Returns the table (without the repeats when they are dropped), the number
    of identical rows kept and the number dropped. Repeats raise by default;
    with ``errors="exclude"`` they are dropped and counted. Where identical
    rows can be real (orders without one order id per row: two order lines
    of the same amount on one invoice, or two equal purchases on one day;
    events, which carry no id), they are kept and counted in ``notes``.
    """
    rows = raw.select(*data_cols)
    distinct = rows.distinct()
    aggs = {"n": rows.count()}
    stats = engine.execute(
        rows.aggregate(n=rows.count()).cross_join(
            distinct.aggregate(
                d=distinct.count(),
                **(
                    {"ids": distinct.order_id.nunique()}
                    if "order_id" in data_cols
                    else {}
                ),
            )
        )
    ).iloc[0]
    del aggs
    n_dup = int(stats["n"]) - int(stats["d"])
    if not n_dup:
        return raw, 0, 0
    identity_less = spec.name == "events" or (
        spec.name == "orders"
        and ("order_id" not in data_cols or int(stats["ids"]) < int(stats["d"]))
    )
    if identity_less:
        return raw, n_dup, 0
    if spec.key and errors == "raise":
        return raw, 0, 0  # the duplicate-id check says it, naming the key
    if errors == "exclude":
        if _LINE in raw.columns:
            first = ibis.row_number().over(group_by=data_cols, order_by=raw[_LINE])
            kept = raw.mutate(__first=first).filter(ibis._["__first"] == 0)
            return kept.drop("__first"), 0, n_dup
        return distinct, 0, n_dup
    groups = rows.group_by(data_cols).agg(copies=ibis._.count())
    groups = groups.filter(groups.copies > 1)
    examples = engine.execute(groups.limit(5))
    show = [c for c in examples.columns if c != "copies"][:10] + ["copies"]
    raise ContractError(
        spec.name,
        None,
        "exact duplicate rows (identical in every column, counted twice in every sum)",
        n_rows=n_dup,
        examples=examples[show],
        fix="Remove the repeated rows at the source, or load with "
        "errors='exclude' to drop them with a count.",
    )


def _subscription_notes(out: ir.Table, info: TableInfo) -> None:
    """Count overlapping and zero-length subscriptions; warn on look-alikes.

    A row *overlaps* when it starts before an earlier-starting subscription of
    the same customer has ended (half-open spells, null end = running).
    Overlaps are allowed: MRR sums over them and the customer counts once.
    """
    far = ibis.timestamp("9999-12-31 00:00:00")
    end = out["end"].fill_null(far)
    w = ibis.window(
        group_by=out.customer_id, order_by=[out.start, end], rows=(None, -1)
    )
    flat = out.select(
        overlap=(out.start < end.max().over(w)) & (end > out.start),
        zero=out["end"] == out.start,
    )
    stats = engine.execute(
        flat.aggregate(
            overlap=flat.overlap.fill_null(False).cast("int64").sum(),
            zero=flat.zero.fill_null(False).cast("int64").sum(),
        )
    ).iloc[0]
    info.notes["overlapping rows"] = int(stats["overlap"] or 0)
    info.notes["zero-length rows"] = int(stats["zero"] or 0)
    keys = [c for c in ("customer_id", "plan", "mrr", "start") if c in out.columns]
    groups = out.group_by(keys).agg(rows=ibis._.count())
    groups = groups.filter(groups.rows > 1)
    n = int(engine.scalar(groups.rows.sum()) or 0)
    info.notes["duplicate-looking overlaps"] = n
    if n:
        from churnlab.errors import _format_examples

        examples = engine.execute(groups.order_by(keys).limit(5))
        warnings.warn(
            f"subscriptions: {n:,} rows share {', '.join(keys)} with another row: "
            "overlaps that look like duplicates (MRR sums over them), e.g.\n"
            + _format_examples(examples)
            + "\nIf they are repeats, remove them at the source.",
            ChurnlabWarning,
            stacklevel=4,
        )


def _stats_expr(
    raw: ir.Table,
    typed: dict[str, ir.Value],
    checks: list[_Check],
    mixed_zone: list[_Check],
    spec: TableSpec,
    refund_rule: ir.BooleanValue | None,
    ts_cols: list[str],
) -> ir.Table:
    """One aggregate over the table computing every check's count and the span."""
    names = {f"__p{i}": c.predicate.fill_null(False) for i, c in enumerate(checks)}
    names.update(
        {f"__z{i}": c.predicate.fill_null(False) for i, c in enumerate(mixed_zone)}
    )
    names.update(
        {f"__zn{i}": raw[c.column].notnull() for i, c in enumerate(mixed_zone)}
    )
    if refund_rule is not None:
        names["__refund"] = refund_rule.fill_null(False)
    for c in ts_cols:
        names[f"__t_{c}"] = typed[c]
    if spec.key and spec.key in typed:
        names["__key"] = typed[spec.key]
    flat = raw.select(**names) if names else raw.select(__one=ibis.literal(1))
    aggs: dict[str, ir.Scalar] = {"__n": flat.count()}
    for i in range(len(checks)):
        aggs[f"__c{i}"] = flat[f"__p{i}"].cast("int64").sum()
    for i in range(len(mixed_zone)):
        aggs[f"__z{i}"] = flat[f"__z{i}"].cast("int64").sum()
        aggs[f"__zn{i}"] = flat[f"__zn{i}"].cast("int64").sum()
    if refund_rule is not None:
        aggs["__refunds"] = flat["__refund"].cast("int64").sum()
    for c in ts_cols:
        aggs[f"__min_{c}"] = flat[f"__t_{c}"].min()
        aggs[f"__max_{c}"] = flat[f"__t_{c}"].max()
    if "__key" in flat.columns:
        aggs["__dup"] = flat["__key"].count() - flat["__key"].nunique()
    return flat.aggregate(**aggs)
