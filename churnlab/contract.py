"""The data contract: table specs, column mapping, validation, ``load_dataset``.

Public names: ``TABLES``, ``Column``, ``TableSpec``, ``TableInfo``, ``Dataset``,
``load_dataset``, ``validate``, ``as_dataset``, ``table``, ``purchases``.

A dataset is any subset of the contract's tables (see ``data/README.md``),
given as a folder of ``<table>.csv`` / ``<table>.parquet`` files or as a mapping
of table name to a DataFrame, a file path or an Ibis table. Each table is
validated once, on load, by one aggregate query on its backend: a broken table
raises :class:`~churnlab.errors.ContractError` naming the table, the column, the
problem, the number of rows and a few example rows. Valid tables come back as
typed Ibis expressions with canonical column names:

* ids are strings; timestamps are tz-naive, in the dataset's time zone (UTC by
  default; values with an offset are converted, naive values are taken as they
  are); money and counts are float64; flags are booleans;
* category values (deal ``status``, activity ``type``) are trimmed and lower-cased.

Nothing is dropped: rows excluded from a computation by a documented rule
(refunds, in orders) are counted here and reported with a
:class:`~churnlab.errors.ChurnlabWarning` by :func:`purchases`.
"""

from __future__ import annotations

import difflib
import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from churnlab import engine
from churnlab.errors import ChurnlabWarning, ContractError, ParameterError

__all__ = [
    "TABLES",
    "Column",
    "TableSpec",
    "TableInfo",
    "Dataset",
    "load_dataset",
    "validate",
    "as_dataset",
    "table",
    "purchases",
]


@dataclass(frozen=True)
class Column:
    """One canonical column of a contract table.

    ``kind`` is one of ``"id"`` (text), ``"timestamp"``, ``"number"`` (float),
    ``"integer"``, ``"bool"``, ``"text"`` or ``"category"`` (text from
    ``values``, trimmed and lower-cased).
    """

    name: str
    kind: str
    required: bool = False
    nullable: bool = True
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    """A contract table: its columns, primary key and row-level rules."""

    name: str
    columns: tuple[Column, ...]
    key: str | None = None
    doc: str = ""
    one_of: tuple[str, ...] = ()  # at least one of these columns is required
    # timestamp columns that say how far the data reaches (default: all of them)
    horizon: tuple[str, ...] | None = None
    order_checks: tuple[tuple[str, str, str], ...] = ()  # (earlier, later, problem)

    @property
    def required(self) -> list[str]:
        """Names of the required columns."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column | None:
        """The spec of column ``name``, or None if it is not a contract column."""
        return next((c for c in self.columns if c.name == name), None)


def _id(
    name: str, required: bool = True, nullable: bool = False, doc: str = ""
) -> Column:
    return Column(name, "id", required=required, nullable=nullable, doc=doc)


def _ts(
    name: str, required: bool = True, nullable: bool = False, doc: str = ""
) -> Column:
    return Column(name, "timestamp", required=required, nullable=nullable, doc=doc)


def _text(name: str, doc: str = "") -> Column:
    return Column(name, "text", doc=doc)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in [
        TableSpec(
            "customers",
            (
                _id("customer_id"),
                _ts("signup_at", required=False, nullable=True),
                _text("segment"),
                _text("country"),
                _text("plan"),
                _text("channel"),
            ),
            key="customer_id",
            doc="One row per customer; any extra column is kept as an attribute.",
        ),
        TableSpec(
            "subscriptions",
            (
                _id("customer_id"),
                _ts("start"),
                Column("mrr", "number", required=True, nullable=False, minimum=0),
                _ts(
                    "end",
                    required=False,
                    nullable=True,
                    doc="exclusive: the first day not paid for; null = active",
                ),
                _text("plan"),
            ),
            doc="One row per subscription spell at one price.",
            order_checks=(("start", "end", "end is before start"),),
            # an end may be a cancellation scheduled in the future: it does not
            # say how far the data reaches, so the as-of default ignores it
            horizon=("start",),
        ),
        TableSpec(
            "orders",
            (
                _id("customer_id"),
                _ts("ordered_at"),
                Column("amount", "number", required=True, nullable=False),
                _id("order_id", required=False, nullable=True),
                Column("quantity", "number"),
                _text("location"),
                Column("is_refund", "bool"),
            ),
            doc="One row per order, invoice or order line.",
        ),
        TableSpec(
            "events",
            (
                _id("user_id"),
                Column("event", "text", required=True, nullable=False),
                _ts("timestamp"),
                _id("account_id", required=False, nullable=True),
                _text("properties"),
            ),
        ),
        TableSpec(
            "deals",
            (
                _id("deal_id"),
                _ts("created_at"),
                Column(
                    "status",
                    "category",
                    required=True,
                    nullable=False,
                    values=("open", "won", "lost"),
                ),
                Column("amount", "number", required=True, nullable=False, minimum=0),
                _ts("closed_at", required=False, nullable=True),
                _text("owner"),
                _text("source"),
                _text("region"),
                _text("segment"),
                _text("stage"),
                _id("customer_id", required=False, nullable=True),
                _ts(
                    "expected_close_at",
                    required=False,
                    nullable=True,
                    doc="when the deal was expected to close (deal slippage)",
                ),
                Column(
                    "contract_value",
                    "number",
                    minimum=0,
                    doc="total contract value, one-time fees included (ACV)",
                ),
                Column(
                    "contract_months",
                    "number",
                    minimum=0,
                    doc="contract length in months (ACV)",
                ),
                Column(
                    "one_time_fees",
                    "number",
                    minimum=0,
                    doc="setup and other one-time fees in contract_value (ACV)",
                ),
            ),
            key="deal_id",
            order_checks=(
                ("created_at", "closed_at", "closed_at is before created_at"),
            ),
            # an expected close date may lie in the future: it does not say how
            # far the data reaches
            horizon=("created_at", "closed_at"),
        ),
        TableSpec(
            "deal_stages",
            (
                _id("deal_id"),
                Column("stage", "text", required=True, nullable=False),
                _ts("entered_at"),
            ),
            doc="Stage history: one row per deal and stage entered.",
        ),
        TableSpec(
            "leads",
            (
                _id("lead_id"),
                _ts("created_at"),
                _text("source"),
                _ts("converted_at", required=False, nullable=True),
                _id("deal_id", required=False, nullable=True),
            ),
            key="lead_id",
            order_checks=(
                ("created_at", "converted_at", "converted_at is before created_at"),
            ),
        ),
        TableSpec(
            "activities",
            (
                Column("owner", "text", required=True, nullable=False),
                Column(
                    "type",
                    "category",
                    required=True,
                    nullable=False,
                    values=("call", "email", "meeting", "demo", "response"),
                ),
                _ts("at"),
                _id("deal_id", required=False, nullable=True),
                _text("outcome"),
            ),
        ),
        TableSpec(
            "targets",
            (
                Column("owner", "text"),
                Column("team", "text"),
                _ts(
                    "period", doc="the period's first day, e.g. 2026-10-01 or '2026-10'"
                ),
                Column("quota", "number", required=True, nullable=False, minimum=0),
            ),
            one_of=("owner", "team"),
        ),
        TableSpec(
            "sales_inputs",
            (
                _ts(
                    "period", doc="the period's first day, e.g. 2026-10-01 or '2026-10'"
                ),
                Column(
                    "visitors",
                    "number",
                    minimum=0,
                    doc="site visitors in the period (lead conversion rate)",
                ),
                Column(
                    "sales_expenses",
                    "number",
                    minimum=0,
                    doc="sales and marketing expenses of the period",
                ),
                Column(
                    "cost_of_sales",
                    "number",
                    minimum=0,
                    doc="cost of goods sold in the period (average margin)",
                ),
                Column(
                    "market_size",
                    "number",
                    minimum=0,
                    doc="potential customers in the market (market penetration)",
                ),
            ),
            key="period",
            doc="Sales inputs no other table holds, one row per month.",
        ),
        TableSpec(
            "churn_reasons",
            (
                _id("customer_id"),
                _ts("at"),
                Column("reason", "text", required=True, nullable=False),
                _text("comment"),
            ),
        ),
        TableSpec(
            "nps",
            (
                _id("customer_id"),
                _ts("at"),
                Column(
                    "score",
                    "integer",
                    required=True,
                    nullable=False,
                    minimum=0,
                    maximum=10,
                ),
                _text("comment"),
            ),
        ),
        TableSpec(
            "durations",
            (
                _id("customer_id"),
                Column("tenure", "number", required=True, nullable=False, minimum=0),
                Column("churned", "bool", required=True, nullable=False),
            ),
            key="customer_id",
            doc="Tenure and churn flag per customer, plus any covariate.",
        ),
    ]
}

_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
_OFFSET_RE = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|z|UTC|[+-]\d\d(:?\d\d)?)$"
_MONTH_RE = r"^\d{4}-\d{2}$"


@dataclass
class TableInfo:
    """What validation learned about a table: size, time span, exclusions.

    ``latest`` is the latest timestamp that says how far the data reaches; it
    ignores subscription ends, which may be cancellations scheduled in the
    future.
    """

    n_rows: int
    earliest: pd.Timestamp | None = None
    latest: pd.Timestamp | None = None
    excluded: dict[str, int] = field(default_factory=dict)


class Dataset:
    """Validated contract tables, one attribute per table (None when absent).

    Attributes
    ----------
    customers, subscriptions, orders, events, deals, deal_stages, leads, activities,
    targets, sales_inputs, churn_reasons, nps, durations : ibis.Table or None
        Typed tables with canonical column names.
    info : dict of str to TableInfo
        Row count, earliest and latest timestamp and documented exclusions per table.
    tz : str
        Time zone the naive timestamps are in.
    source : str
        Where the data came from, for reports.
    """

    customers: ir.Table | None
    subscriptions: ir.Table | None
    orders: ir.Table | None
    events: ir.Table | None
    deals: ir.Table | None
    deal_stages: ir.Table | None
    leads: ir.Table | None
    activities: ir.Table | None
    targets: ir.Table | None
    sales_inputs: ir.Table | None
    churn_reasons: ir.Table | None
    nps: ir.Table | None
    durations: ir.Table | None

    def __init__(
        self,
        tables: Mapping[str, ir.Table],
        info: Mapping[str, TableInfo],
        *,
        tz: str = "UTC",
        source: str = "",
        files: Mapping[str, str] | None = None,
    ) -> None:
        for name in TABLES:
            setattr(self, name, tables.get(name))
        self.info = dict(info)
        self.tz = tz
        self.source = source
        self.files = dict(files or {})

    @property
    def tables(self) -> dict[str, ir.Table]:
        """The tables present, by name."""
        return {n: getattr(self, n) for n in TABLES if getattr(self, n) is not None}

    def table(self, name: str) -> ir.Table:
        """Return table ``name`` or raise a ContractError saying how to add it."""
        if name not in TABLES:
            raise ParameterError(
                f"{name!r} is not a contract table; tables are {', '.join(TABLES)}."
            )
        found = getattr(self, name)
        if found is None:
            present = ", ".join(self.tables) or "none"
            raise ContractError(
                name,
                None,
                f"this dataset has no {name} table (tables present: {present})",
                fix=f"Add {name}.csv or {name}.parquet to the data folder, or pass "
                f"{name}=... to load_dataset.",
            )
        return found

    def to_pandas(self, name: str) -> pd.DataFrame:
        """Table ``name`` as a pandas DataFrame (small tables only)."""
        return engine.execute(self.table(name))

    def latest(self, *names: str) -> pd.Timestamp | None:
        """Latest timestamp across the named tables (all present if none named)."""
        stamps = [
            self.info[n].latest
            for n in (names or tuple(self.tables))
            if n in self.info and self.info[n].latest is not None
        ]
        return max(stamps) if stamps else None

    def __repr__(self) -> str:
        rows = [f"  {n}: {self.info[n].n_rows:,} rows" for n in self.tables]
        body = "\n".join(rows) if rows else "  (no tables)"
        return f"<churnlab.Dataset tz={self.tz}\n{body}>"


# --------------------------------------------------------------------------- load


def load_dataset(
    source: Any,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    *,
    tz: str | None = None,
    **tables: Any,
) -> Dataset:
    """Load and validate a dataset.

    Parameters
    ----------
    source : path, mapping or Dataset
        A folder holding any subset of the contract tables as ``<table>.csv``,
        ``<table>.csv.gz``, ``<table>.parquet`` or a ``<table>/`` folder of parquet
        files (plus an optional ``dataset.toml``); or a mapping of table name to
        a DataFrame, file path or Ibis table; or a Dataset (returned as is).
    columns : mapping, optional
        Per table, your column name to the canonical one, e.g.
        ``{"subscriptions": {"cust": "customer_id", "amount": "mrr"}}``. Merged
        over the ``[columns.<table>]`` sections of ``dataset.toml``.
    tz : str, optional
        Time zone of the naive timestamps (default ``"UTC"``, or ``tz`` in
        ``dataset.toml``). Timestamps with an offset are converted to it.
    **tables
        Extra tables by name, overriding those found in ``source``.

    Returns
    -------
    Dataset
        One attribute per contract table (None when absent).

    Raises
    ------
    ContractError
        If a table breaks the contract (the message names table, column,
        problem, row count and example rows).
    ParameterError
        If the folder does not exist, a table name is unknown or the mapping
        names a table that is not in the contract.

    Examples
    --------
    >>> import churnlab as cl
    >>> ds = cl.load_dataset(cl.sample.DATA_DIR)
    >>> ds.subscriptions.columns[:3]
    ('customer_id', 'start', 'mrr')
    """
    if isinstance(source, Dataset) and not tables and columns is None:
        return source
    found: dict[str, Any] = {}
    files: dict[str, str] = {}
    config: dict[str, Any] = {}
    label = ""
    if isinstance(source, Dataset):
        found.update(source.tables)
        tz = tz or source.tz
        label = source.source
    elif isinstance(source, str | os.PathLike):
        folder = Path(source)
        label = str(folder)
        if not folder.is_dir():
            raise ParameterError(f"Data folder {str(folder)!r} does not exist.")
        config = _read_config(folder)
        for name in TABLES:
            path = _find_table_file(folder, name)
            if path is not None:
                found[name] = path
                files[name] = str(path)
        if not found and not tables:
            listed = (
                ", ".join(sorted(p.name for p in folder.iterdir())[:10]) or "nothing"
            )
            raise ParameterError(
                f"Data folder {label!r} holds no contract table (found: {listed}). "
                f"Name files after the tables: {', '.join(TABLES)}."
            )
    elif isinstance(source, Mapping):
        found.update(source)
    elif source is not None:
        raise ParameterError(
            "load_dataset takes a folder path, a mapping of table name to data, or a "
            f"Dataset; got {type(source).__name__}."
        )
    found.update(tables)
    unknown = sorted(set(found) - set(TABLES))
    if unknown:
        raise ParameterError(
            f"Unknown table name(s) {', '.join(map(repr, unknown))}; the contract "
            f"tables are {', '.join(TABLES)}."
        )
    mapping: dict[str, dict[str, str]] = {
        k: dict(v) for k, v in config.get("columns", {}).items()
    }
    for name, cols in (columns or {}).items():
        mapping.setdefault(name, {}).update(cols)
    bad_map = sorted(set(mapping) - set(TABLES))
    if bad_map:
        raise ParameterError(
            f"columns= maps table(s) {', '.join(map(repr, bad_map))} that are not in "
            f"the contract; tables are {', '.join(TABLES)}."
        )
    tz = tz or config.get("tz") or "UTC"
    validated: dict[str, ir.Table] = {}
    info: dict[str, TableInfo] = {}
    for name, obj in found.items():
        if obj is None:
            continue
        validated[name], info[name] = validate(
            name, obj, columns=mapping.get(name), tz=tz
        )
    return Dataset(validated, info, tz=tz, source=label, files=files)


def _read_config(folder: Path) -> dict[str, Any]:
    path = folder / "dataset.toml"
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"{path} is not valid TOML: {err}") from err


def _find_table_file(folder: Path, name: str) -> Path | None:
    for suffix in (".parquet", ".csv", ".csv.gz", ".tsv"):
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    sub = folder / name
    if sub.is_dir() and any(sub.glob("*.parquet")):
        return sub
    return None


def as_dataset(
    data: Any, name: str, *, columns: Mapping[str, str] | None = None, tz: str = "UTC"
) -> Dataset:
    """Wrap one table-like input (or a Dataset) as a Dataset holding ``name``.

    A Dataset is returned as is (it must hold ``name``); anything else is
    validated as table ``name``.
    """
    if isinstance(data, Dataset):
        data.table(name)
        return data
    tbl, inf = validate(name, data, columns=columns, tz=tz)
    return Dataset({name: tbl}, {name: inf}, tz=tz)


def table(data: Any, name: str, **kwargs: Any) -> ir.Table:
    """The validated Ibis table ``name`` from a Dataset or a table-like input."""
    return as_dataset(data, name, **kwargs).table(name)


def purchases(data: Any) -> ir.Table:
    """Orders that count as purchases: refunds excluded, with a warning and count.

    Notes
    -----
    **Convention.** A row is a refund when ``is_refund`` is true; when the
    column is absent, rows with a negative ``amount`` are refunds. Refunds are
    not purchases: they never make a customer active. The number excluded is
    reported in a :class:`~churnlab.errors.ChurnlabWarning`.
    """
    ds = as_dataset(data, "orders")
    n = ds.info["orders"].excluded.get("refunds", 0)
    if n:
        warnings.warn(
            f"orders: {n:,} refund rows excluded from purchases (is_refund true"
            " or, without that column, a negative amount).",
            ChurnlabWarning,
            stacklevel=2,
        )
    return ds.orders.filter(~ds.orders.is_refund)


# ----------------------------------------------------------------------- validate


def validate(
    name: str,
    data: Any,
    *,
    columns: Mapping[str, str] | None = None,
    tz: str = "UTC",
) -> tuple[ir.Table, TableInfo]:
    """Validate one table against the contract and return it typed.

    Parameters
    ----------
    name : str
        Contract table name.
    data : DataFrame, path or ibis.Table
        The table.
    columns : mapping, optional
        Your column name to the canonical one.
    tz : str
        Time zone of naive timestamps; values with an offset are converted to it.

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
    spec = TABLES[name]
    columns = dict(columns or {})
    if isinstance(data, pd.DataFrame):
        data = _prepare_frame(data, spec, columns, tz)
    id_cols = tuple(
        [
            src
            for src, dst in columns.items()
            if (c := spec.column(dst)) and c.kind == "id"
        ]
        + [c.name for c in spec.columns if c.kind == "id"]
    )
    raw = engine.to_table(data, string_columns=id_cols)
    raw = _rename(raw, spec, columns)
    _check_columns(raw, spec)
    if isinstance(data, pd.DataFrame) and data.empty:
        raise ContractError(
            spec.name,
            None,
            "the table is empty (0 rows)",
            fix="Load a table with data, or leave it out of the dataset.",
        )
    return _check_rows(raw, spec, tz)


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


@dataclass
class _Check:
    column: str | None
    problem: str
    predicate: ir.BooleanValue
    show: tuple[str, ...]
    fix: str


def _typed_column(
    raw: ir.Table,
    col: Column,
    tz: str,
    checks: list[_Check],
    show: tuple[str, ...],
    table: str,
) -> ir.Value:
    """Return the typed expression for ``col`` and append its checks."""
    value = raw[col.name]
    vtype = value.type()
    name = col.name
    wrong = "Convert the column at the source or map another column to it."
    if vtype.is_null():  # a column with no values at all
        target = {
            "id": "string",
            "timestamp": dt.Timestamp(),
            "number": "float64",
            "integer": "float64",
            "bool": "boolean",
        }.get(col.kind, "string")
        return value.cast(target)
    if col.kind == "id":
        if vtype.is_floating():
            checks.append(
                _Check(
                    name,
                    "id is a non-whole number",
                    value.notnull() & (value != value.floor()),
                    show,
                    wrong,
                )
            )
            return value.cast("int64").cast("string")
        if vtype.is_string():
            return value
        if vtype.is_integer():
            return value.cast("string")
        raise ContractError(
            table, name, f"ids must be text or whole numbers, not {vtype}", fix=wrong
        )
    if col.kind == "timestamp":
        return _typed_timestamp(raw, col, tz, checks, show, table)
    if col.kind in ("number", "integer"):
        if vtype.is_numeric() or vtype.is_boolean():
            out = value.cast("float64")
        elif vtype.is_string():
            out = value.strip().try_cast("float64")
            checks.append(
                _Check(
                    name,
                    "value is not a number",
                    value.notnull() & (value.strip() != "") & out.isnull(),
                    show,
                    wrong,
                )
            )
        else:
            raise ContractError(
                table, name, f"expected numbers, found {vtype}", fix=wrong
            )
        if col.kind == "integer":
            checks.append(
                _Check(
                    name,
                    "value is not a whole number",
                    out.notnull() & (out != out.floor()),
                    show,
                    wrong,
                )
            )
        return out
    if col.kind == "bool":
        if vtype.is_boolean():
            return value
        if vtype.is_numeric():
            checks.append(
                _Check(
                    name,
                    "flag is not 0 or 1",
                    value.notnull() & ~value.isin([0, 1]),
                    show,
                    wrong,
                )
            )
            return value == 1
        if vtype.is_string():
            norm = value.strip().lower()
            checks.append(
                _Check(
                    name,
                    "flag is not true/false, yes/no or 1/0",
                    value.notnull() & ~norm.isin(_TRUE + _FALSE),
                    show,
                    "Use true/false, yes/no or 1/0.",
                )
            )
            return ibis.cases(
                (norm.isin(_TRUE), True),
                (norm.isin(_FALSE), False),
                else_=ibis.null("boolean"),
            )
        raise ContractError(
            table, name, f"expected true/false, found {vtype}", fix=wrong
        )
    if col.kind == "category":
        norm = value.cast("string").strip().lower()
        checks.append(
            _Check(
                name,
                f"unknown value (allowed: {', '.join(col.values)})",
                norm.notnull() & ~norm.isin(col.values),
                show,
                f"Map your values to {', '.join(col.values)} before loading.",
            )
        )
        return norm
    return value if vtype.is_string() else value.cast("string")


def _typed_timestamp(
    raw: ir.Table,
    col: Column,
    tz: str,
    checks: list[_Check],
    show: tuple[str, ...],
    table: str,
) -> ir.Value:
    value = raw[col.name]
    vtype = value.type()
    name = col.name
    if vtype.is_timestamp():
        if vtype.timezone is not None:
            if tz != "UTC":
                raise ParameterError(
                    f"{name}: converting tz-aware timestamps to tz={tz!r} is supported "
                    "for pandas input only; convert at the source or use tz='UTC'."
                )
            return value.cast(dt.Timestamp())
        return value.cast(dt.Timestamp()) if vtype.scale not in (None, 6) else value
    if vtype.is_date():
        return value.cast(dt.Timestamp())
    if not vtype.is_string():
        raise ContractError(
            table,
            name,
            f"expected timestamps, found {vtype}",
            fix="Store dates as ISO text (2026-10-31) or as a date/timestamp type.",
        )
    text = value.strip()
    month_only = text.re_search(_MONTH_RE)
    text = ibis.cases((month_only, text.concat("-01")), else_=text)
    has_offset = text.re_search(_OFFSET_RE)
    aware = text.try_cast(dt.Timestamp(timezone="UTC")).cast(dt.Timestamp())
    naive = text.try_cast(dt.Timestamp())
    parsed = ibis.cases((has_offset, aware), else_=naive)
    checks.append(
        _Check(
            name,
            "timestamp cannot be parsed",
            value.notnull() & (text != "") & parsed.isnull(),
            show,
            "Use ISO 8601 (2026-10-31 or 2026-10-31T14:05:00, optionally with an "
            "offset).",
        )
    )
    # Evaluated on the whole column in _check_rows: rows *with* an offset are
    # counted, and the column is mixed when some but not all values have one.
    checks.append(
        _Check(
            name,
            "mixed time zones: some timestamps carry an offset and some do not",
            has_offset,
            show,
            "Give every value an offset, or none (naive values are read in the "
            "dataset's "
            "time zone).",
        )
    )
    if tz != "UTC":
        checks.append(
            _Check(
                name,
                f"timestamp text with an offset cannot be converted to tz={tz!r}",
                has_offset,
                show,
                "Pass a pandas frame with tz-aware datetimes, drop the offsets, or use "
                "tz='UTC'.",
            )
        )
    return parsed


def _check_rows(raw: ir.Table, spec: TableSpec, tz: str) -> tuple[ir.Table, TableInfo]:
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
            typed[col.name] = _typed_column(raw, col, tz, checks, show, spec.name)
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
                    show,
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
    if spec.key and "__dup" in row and int(row["__dup"] or 0):
        key = spec.key
        dups = out.filter(out[key].notnull()).group_by(key).agg(rows=ibis._.count())
        dups = dups.filter(dups.rows > 1)
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
    if problems:
        chk, n = problems[0]
        if dup_examples is not None and chk.problem == "duplicate id":
            examples = engine.execute(dup_examples)
        elif chk in mixed_zone:
            col = raw[chk.column]
            with_offset = raw.filter(chk.predicate.fill_null(False)).select(*chk.show)
            without = raw.filter(~chk.predicate.fill_null(False) & col.notnull())
            examples = pd.concat(
                [
                    engine.execute(with_offset.limit(2)),
                    engine.execute(without.select(*chk.show).limit(3)),
                ]
            )
        else:
            examples = engine.execute(
                raw.filter(chk.predicate.fill_null(False)).select(*chk.show).limit(5)
            )
        others = "; ".join(
            f"{c.column}: {c.problem} ({k:,} rows)" for c, k in problems[1:]
        )
        fix = chk.fix + (f"\nOther problems in this table: {others}." if others else "")
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
    ordered = [c.name for c in spec.columns if c.name in typed]
    if spec.name == "orders" and "is_refund" not in ordered:
        ordered.append("is_refund")
    extra = [c for c in out.columns if c not in ordered]
    return out.select(*ordered, *extra), info


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
