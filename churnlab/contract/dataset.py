"""The Dataset and how it is loaded: :func:`load_dataset` and ``dataset.toml``.

:class:`Dataset` holds validated contract tables, one attribute per table.
:func:`load_dataset` finds the tables of a folder (or takes a mapping), reads
the folder's optional ``dataset.toml`` (time zone, file names, column mapping,
timestamp formats), validates each table once and counts rows whose customer is
missing from ``customers``. :func:`as_dataset` and :func:`table` wrap one
table-like input; :func:`purchases` gives the orders that count as purchases.

The top of :mod:`churnlab.contract`: imports :mod:`churnlab.contract.specs` and
:mod:`churnlab.contract.validation`.
"""

from __future__ import annotations

import os
import tomllib
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from churnlab import engine
from churnlab.contract.specs import (
    TABLES,
    TableInfo,
    _check_errors,
    _check_tz,
    _normalise_formats,
)
from churnlab.contract.validation import _count_unknown_customers, validate
from churnlab.errors import (
    ChurnlabWarning,
    ContractError,
    ParameterError,
)

__all__ = ["Dataset", "load_dataset", "as_dataset", "table", "purchases"]


class Dataset:
    """Validated contract tables, one attribute per table (None when absent).

    Attributes
    ----------
    customers, subscriptions, orders, events, deals, deal_stages, leads, activities,
    targets, sales_inputs, churn_reasons, nps, experiments, durations : ibis.Table
        or None
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
    experiments: ir.Table | None
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


_CONFIG_KEYS = ("tz", "files", "columns", "formats", "currency")


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
