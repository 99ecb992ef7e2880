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
from churnlab.errors import (
    BackendError,
    ChurnlabWarning,
    ContractError,
    ParameterError,
)

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
    # an optional column added as all null when the table lacks it, so every
    # consumer can rely on it (a subscription without an end is still running)
    fill_absent: bool = False


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
                Column(
                    "end",
                    "timestamp",
                    doc="exclusive: the first day not paid for; null = active; "
                    "a missing column means every subscription is still running",
                    fill_absent=True,
                ),
                _text("plan"),
                Column("is_trial", "bool", doc="a trial or free spell"),
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

    Attributes
    ----------
    n_rows : int
        Rows in the loaded table (after any rows dropped on load).
    earliest, latest : pandas.Timestamp or None
        Time span of the table.
    excluded : dict of str to int
        Rows kept in the table but excluded from computations by a documented
        rule (``"refunds"`` in orders).
    dropped : dict of str to int
        Rows dropped on load with ``errors="exclude"``, per rule (e.g.
        ``"closed_at is before created_at"``, ``"exact duplicate rows"``). A row
        failing several rules counts under each; ``n_dropped`` is the total.
    n_dropped : int
        Rows dropped on load in all.
    notes : dict of str to int
        Counts a reader should see that drop nothing: subscriptions that
        overlap an earlier one of the same customer, zero-length subscriptions
        (end == start), rows whose customer is missing from ``customers``,
        identical rows kept where they can be real (orders without an order id
        per row, events).
    """

    n_rows: int
    earliest: pd.Timestamp | None = None
    latest: pd.Timestamp | None = None
    excluded: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    n_dropped: int = 0
    notes: dict[str, int] = field(default_factory=dict)


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
    files : dict of str to str
        The file or folder each table was read from.

    Notes
    -----
    **One snapshot.** Tables read from files are copied once, on load, into
    tables of the in-process DuckDB database, validated and typed there: every
    later query of the Dataset reads that copy, never the files, so a file
    replaced while a report runs cannot mix old and new numbers. The files'
    size, modification time and inode are recorded on load;
    :meth:`verify_unchanged` raises if they changed (a report calls it before
    publishing, so it never publishes numbers from data it no longer matches).
    A loaded Dataset carries its validated tables: functions given a Dataset
    never validate or register them again.
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
        fingerprints: Mapping[str, tuple[int, int, int]] | None = None,
    ) -> None:
        for name in TABLES:
            setattr(self, name, tables.get(name))
        self.info = dict(info)
        self.tz = tz
        self.source = source
        self.files = dict(files or {})
        self.fingerprints = (
            dict(fingerprints)
            if fingerprints is not None
            else engine.fingerprint(self.files.values())
        )

    def verify_unchanged(self) -> None:
        """Raise if a file this Dataset was read from changed since it was loaded.

        The Dataset itself always answers from its load-time snapshot; this
        says whether that snapshot still matches the files (so a report can
        refuse to publish numbers its data fingerprint would not describe).

        Raises
        ------
        ContractError
            Naming the files that changed, appeared or disappeared.
        """
        now = engine.fingerprint(self.files.values())
        changed = sorted(
            f
            for f in set(now) | set(self.fingerprints)
            if now.get(f) != self.fingerprints.get(f)
        )
        if changed:
            table = next(
                (
                    n
                    for n, f in self.files.items()
                    if any(c.startswith(f) for c in changed)
                ),
                "dataset",
            )
            raise ContractError(
                table,
                None,
                "the data changed on disk after it was loaded: "
                + ", ".join(changed[:5])
                + (f" and {len(changed) - 5} more" if len(changed) > 5 else ""),
                fix="Run again on data that stays put until the run ends (write new "
                "data to a new folder and switch to it between runs).",
            )

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
    formats: Mapping[str, Any] | None = None,
    errors: str = "raise",
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
    formats : mapping, optional
        How timestamps written as text are to be read when they are not ISO
        8601, per table: a strptime format for every timestamp column of the
        table (``{"orders": "%d.%m.%y"}``) or per canonical column
        (``{"orders": {"ordered_at": "%m/%d/%Y"}}``). Merged over the
        ``[formats]`` section of ``dataset.toml``. Without one, text
        timestamps must be ISO 8601: churnlab never guesses a date format.
    errors : {"raise", "exclude"}
        ``"raise"`` (default): a row breaking a row-level rule (a null id, an
        unparseable value, ``end`` before ``start``, an exact duplicate row,
        a duplicate id...) raises :class:`~churnlab.errors.ContractError`.
        ``"exclude"``: such rows are dropped, counted per table and rule in
        ``Dataset.info[table].dropped`` and reported once in a
        :class:`~churnlab.errors.ChurnlabWarning`. Table-level problems (a
        missing column, a wrong type, mixed time zones) raise either way.
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
        If the folder does not exist, a table name is unknown, the mapping
        names a table that is not in the contract, or ``dataset.toml`` is
        malformed.

    Notes
    -----
    ``dataset.toml`` (optional, in the folder) may hold::

        tz = "Europe/Berlin"            # time zone of naive timestamps
        [files]                         # file names, relative to the folder
        subscriptions = "billing_export.csv"
        [columns.subscriptions]         # your column name = canonical name
        account_id = "customer_id"
        [formats]                       # non-ISO timestamp text
        orders = "%d.%m.%y"             # every timestamp column of orders
        [formats.deals]
        created_at = "%m/%d/%Y"         # one column

    Files are read once into an in-memory snapshot (see :class:`Dataset`).
    When ``customers`` is present, rows of other tables whose ``customer_id``
    is not in it are counted in ``info[table].notes``.

    Examples
    --------
    >>> import churnlab as cl
    >>> ds = cl.load_dataset(cl.sample.DATA_DIR)
    >>> ds.subscriptions.columns[:3]
    ('customer_id', 'start', 'mrr')
    """
    if (
        isinstance(source, Dataset)
        and not tables
        and columns is None
        and formats is None
        and errors == "raise"
    ):
        return source
    _check_errors(errors)
    found: dict[str, Any] = {}
    files: dict[str, str] = {}
    config: dict[str, Any] = {}
    label = ""
    if isinstance(source, Dataset):
        found.update(source.tables)
        tz = tz or source.tz
        label = source.source
        files.update(source.files)
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
        for name, rel in config.get("files", {}).items():
            path = folder / rel
            if not path.exists():
                raise ParameterError(
                    f"{folder / 'dataset.toml'}: [files] {name} = {rel!r}, but "
                    f"{path} does not exist. Fix the file name (relative to "
                    f"{folder})."
                )
            found[name] = path
            files[name] = str(path)
        if not found and not tables:
            listed = (
                ", ".join(sorted(p.name for p in folder.iterdir())[:10]) or "nothing"
            )
            raise ParameterError(
                f"Data folder {label!r} holds no contract table (found: {listed}). "
                f"Name files after the tables ({', '.join(TABLES)}), or map "
                'them in dataset.toml: [files] subscriptions = "your_file.csv".'
            )
    elif isinstance(source, Mapping):
        found.update(source)
    elif source is not None:
        raise ParameterError(
            "load_dataset takes a folder path, a mapping of table name to data, or a "
            f"Dataset; got {type(source).__name__}."
        )
    found.update(tables)
    for name, obj in found.items():
        if isinstance(obj, str | os.PathLike) and name in TABLES:
            files[name] = os.fspath(obj)
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
    fmts = _normalise_formats(config.get("formats", {}), "dataset.toml [formats]")
    for name, cols in _normalise_formats(formats or {}, "formats=").items():
        fmts.setdefault(name, {}).update(cols)
    tz = _check_tz(
        tz or config.get("tz") or "UTC",
        "tz in dataset.toml" if (not tz and config.get("tz")) else "tz=",
    )
    # taken before reading, so a change during the load is caught too
    fingerprints = engine.fingerprint(files.values())
    validated: dict[str, ir.Table] = {}
    info: dict[str, TableInfo] = {}
    for name, obj in found.items():
        if obj is None:
            continue
        validated[name], info[name] = validate(
            name,
            obj,
            columns=mapping.get(name),
            tz=tz,
            formats=fmts.get(name),
            errors=errors,
        )
    _count_unknown_customers(validated, info)
    dropped = [
        f"{name}: {k:,} {'row' if k == 1 else 'rows'} ({rule})"
        for name, inf in info.items()
        for rule, k in inf.dropped.items()
    ]
    if dropped:
        warnings.warn(
            "Rows dropped on load (errors='exclude'): " + "; ".join(dropped) + ".",
            ChurnlabWarning,
            stacklevel=2,
        )
    return Dataset(
        validated,
        info,
        tz=tz,
        source=label,
        files=files,
        fingerprints=fingerprints,
    )


def _check_errors(errors: str) -> None:
    if errors not in ("raise", "exclude"):
        raise ParameterError(
            f"errors={errors!r} is not supported; use 'raise' (default) or 'exclude'."
        )


def _check_tz(tz: Any, where: str) -> str:
    """Return ``tz`` if it names an IANA time zone, else raise ParameterError."""
    import zoneinfo

    if isinstance(tz, str) and tz:
        try:
            zoneinfo.ZoneInfo(tz)
            return tz
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    close = (
        difflib.get_close_matches(tz, sorted(zoneinfo.available_timezones()), n=3)
        if isinstance(tz, str)
        else []
    )
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ParameterError(
        f"{where}: {tz!r} is not a time zone.{hint} Use an IANA name such as "
        "'UTC' or 'Europe/Berlin'."
    )


def _normalise_formats(formats: Any, where: str) -> dict[str, dict[str, str]]:
    """``{table: fmt or {column: fmt}}`` as ``{table: {column or "*": fmt}}``."""
    example = "{'orders': '%d.%m.%y'} or {'orders': {'ordered_at': '%d.%m.%y'}}"
    if not isinstance(formats, Mapping):
        raise ParameterError(
            f"{where} must map table names to a date format or to a mapping of "
            f"column to format, e.g. {example}."
        )
    out: dict[str, dict[str, str]] = {}
    for name, value in formats.items():
        if name not in TABLES:
            raise ParameterError(
                f"{where} names {name!r}, which is not a contract table; tables are "
                f"{', '.join(TABLES)}."
            )
        ts_cols = [c.name for c in TABLES[name].columns if c.kind == "timestamp"]
        cols = {"*": value} if isinstance(value, str) else value
        if not isinstance(cols, Mapping):
            raise ParameterError(
                f"{where}: the format of {name} must be text or a mapping of column "
                f"to format, e.g. {example}."
            )
        for col, fmt in cols.items():
            if col != "*" and col not in ts_cols:
                raise ParameterError(
                    f"{where}: {name}.{col} is not a timestamp column of the contract "
                    f"(timestamp columns of {name}: {', '.join(ts_cols) or 'none'})."
                )
            if not isinstance(fmt, str) or "%" not in fmt:
                raise ParameterError(
                    f"{where}: {name}.{col} = {fmt!r} is not a strptime format; "
                    "write it with % codes, e.g. '%d.%m.%Y' or '%m/%d/%Y %H:%M'."
                )
            out.setdefault(name, {})[col] = fmt
    return out


_CONFIG_KEYS = ("tz", "files", "columns", "formats")


def _read_config(folder: Path) -> dict[str, Any]:
    path = folder / "dataset.toml"
    if not path.exists():
        return {}
    fix = (
        "dataset.toml is UTF-8 TOML text, e.g.\n"
        'tz = "UTC"\n[files]\nsubscriptions = "billing.csv"\n'
        '[columns.subscriptions]\naccount_id = "customer_id"'
    )
    if not path.is_file():
        raise ParameterError(f"{path} is not a file (a folder?). {fix}")
    try:
        # utf-8-sig: a byte-order mark, as some editors write one, is accepted
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParameterError(f"{path} is not UTF-8 text. {fix}") from None
    if "\x00" in text:
        raise ParameterError(f"{path} is not text (it holds binary data). {fix}")
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"{path} is not valid TOML: {err}. {fix}") from None
    unknown = sorted(set(config) - set(_CONFIG_KEYS))
    if unknown:
        raise ParameterError(
            f"{path}: unknown setting(s) {', '.join(map(repr, unknown))}; the "
            f"settings are {', '.join(_CONFIG_KEYS)}. {fix}"
        )
    if "tz" in config and not isinstance(config["tz"], str):
        raise ParameterError(f'{path}: tz must be text, e.g. tz = "UTC".')
    files = config.get("files", {})
    if not isinstance(files, dict) or not all(
        isinstance(v, str) for v in files.values()
    ):
        raise ParameterError(
            f"{path}: [files] maps table names to file names, e.g.\n[files]\n"
            'subscriptions = "ravenstack_subscriptions.csv"'
        )
    bad = sorted(set(files) - set(TABLES))
    if bad:
        raise ParameterError(
            f"{path}: [files] names {', '.join(map(repr, bad))}, not contract "
            f"tables; tables are {', '.join(TABLES)}."
        )
    cols = config.get("columns", {})
    if not isinstance(cols, dict) or not all(
        isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
        for v in cols.values()
    ):
        raise ParameterError(
            f"{path}: columns must be one section per table mapping your column "
            "names to canonical ones, e.g.\n[columns.subscriptions]\naccount_id = "
            '"customer_id"'
        )
    _normalise_formats(config.get("formats", {}), f"{path} [formats]")
    return config


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


@dataclass
class _Check:
    column: str | None
    problem: str
    predicate: ir.BooleanValue
    show: tuple[str, ...]
    fix: str
    row_level: bool = True  # errors="exclude" may drop the rows it flags
    formats_hint: str | None = None  # table name: suggest a date format


def _typed_column(
    raw: ir.Table,
    col: Column,
    tz: str,
    checks: list[_Check],
    show: tuple[str, ...],
    table: str,
    fmt: str | None = None,
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
            # "12345.0" (a float id written as text) is the id 12345, as it is
            # when the same column arrives as numbers
            text = value.strip()
            return ibis.cases(
                (text.re_search(r"^-?[0-9]+\.0*$"), text.substr(0, text.find("."))),
                else_=text,
            )
        if vtype.is_integer():
            return value.cast("string")
        raise ContractError(
            table, name, f"ids must be text or whole numbers, not {vtype}", fix=wrong
        )
    if col.kind == "timestamp":
        return _typed_timestamp(raw, col, tz, checks, show, table, fmt)
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
    fmt: str | None = None,
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
    if fmt is not None:
        parsed = engine.try_strptime(text, fmt)
        checks.append(
            _Check(
                name,
                f"timestamp does not match the stated format {fmt!r}",
                value.notnull() & (text != "") & parsed.isnull(),
                show,
                "Correct these values at the source, or the format in formats= / "
                f"dataset.toml [formats.{table}] (strptime codes: %d day, %m month, "
                "%y two-digit year, %Y year, %H:%M time).",
            )
        )
        return parsed
    month_only = text.re_search(_MONTH_RE)
    text = ibis.cases((month_only, text.concat("-01")), else_=text)
    has_offset = text.re_search(_OFFSET_RE)
    aware = text.try_cast(dt.Timestamp(timezone="UTC")).cast(dt.Timestamp())
    naive = text.try_cast(dt.Timestamp())
    parsed = ibis.cases((has_offset, aware), else_=naive)
    checks.append(
        _Check(
            name,
            "timestamp cannot be parsed as ISO 8601, and no format is stated",
            value.notnull() & (text != "") & parsed.isnull(),
            show,
            "Use ISO 8601 (2026-10-31 or 2026-10-31T14:05:00, optionally with an "
            "offset), or state the format.",
            formats_hint=table,
        )
    )
    # Evaluated on the whole column in _check_rows: rows *with* an offset are
    # counted, and the column is mixed when some but not all values have one.
    # Checked on the text as written, so no reader's typing can hide it.
    checks.append(
        _Check(
            name,
            "mixed time zones: some timestamps carry an offset and some do not",
            has_offset,
            show,
            "Give every value an offset, or none (naive values are read in the "
            "dataset's time zone).",
            row_level=False,
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
                row_level=False,
            )
        )
    return parsed


_CANDIDATE_FORMATS = [
    f + t
    for f in (
        "%d.%m.%Y",
        "%d.%m.%y",
        "%y.%m.%d",
        "%Y.%m.%d",
        "%m/%d/%Y",
        "%d/%m/%Y",
        "%m/%d/%y",
        "%d/%m/%y",
        "%Y/%m/%d",
        "%d-%m-%Y",
        "%m-%d-%Y",
        "%d-%m-%y",
        "%Y%m%d",
        "%d %b %Y",
        "%b %d %Y",
        "%d-%b-%Y",
        "%d-%b-%y",
    )
    for t in ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
]


def _suggest_formats(values: list[str]) -> list[str]:
    """Candidate strptime formats that read every one of ``values``."""
    import datetime as _dt

    fits = []
    for fmt in _CANDIDATE_FORMATS:
        try:
            for v in values:
                _dt.datetime.strptime(v.replace(",", ""), fmt)
        except ValueError:
            continue
        fits.append(fmt)
    return fits


def _formats_fix(table: str, column: str, values: list[str]) -> str:
    """The fix for non-ISO timestamps: the exact setting, with a likely format."""
    values = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    fits = _suggest_formats(values)
    fmt = fits[0] if fits else "<strptime format>"
    setting = (
        f"State the format: load_dataset(..., formats={{{table!r}: {{{column!r}: "
        f"{fmt!r}}}}}), or in dataset.toml:\n[formats.{table}]\n{column} = "
        f'"{fmt}"'
    )
    if len(fits) > 1:
        setting += (
            f"\nThese values fit several formats ({', '.join(fits[:4])}): check "
            "which one the source writes; churnlab does not guess."
        )
    elif not fits and values and all(v.replace(".", "").isdigit() for v in values):
        setting += (
            "\nThese look like spreadsheet serial day numbers: export the column as "
            "dates (ISO 8601) instead."
        )
    elif not fits:
        setting += "\nOr fix these values at the source."
    return setting


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
