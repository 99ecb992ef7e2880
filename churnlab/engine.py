"""The one door to the query backends.

Public names: ``connect``, ``default_connection``, ``to_table``, ``read_file``,
``snapshot``, ``materialize``, ``drop``, ``load``, ``execute``, ``scalar``,
``backend_name``, ``spark_session``, ``try_strptime``, ``fingerprint``.

Every other module builds lazy Ibis expressions; only this module runs them,
imports ``duckdb`` or ``pyspark``, or sets backend options.

* A pandas DataFrame, a pyarrow Table or a polars DataFrame becomes an
  ``ibis.memtable``, which runs on the in-process DuckDB connection returned by
  :func:`default_connection` (or on the backend of the table it is joined to).
* A path to a ``.csv`` or ``.parquet`` file, a folder of them or a glob is read
  by DuckDB directly, never through pandas, so files larger than memory work.
* An Ibis table stays on its own backend (DuckDB, PySpark, a warehouse).
* :func:`snapshot` reads files once into a table of the default DuckDB
  connection, so every later query of a loaded dataset sees the same data even
  when the files change on disk; unreadable files (not UTF-8, binary, zipped,
  empty, not Parquet) raise :class:`~churnlab.errors.ContractError` naming the
  file and the fix, never a raw backend exception.

Only small results come back, as pandas, through :func:`execute`.
"""

from __future__ import annotations

import glob as _glob
import os
import tempfile
from pathlib import Path
from typing import Any

import ibis
import ibis.common.exceptions as ibis_exc
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from churnlab.errors import BackendError, ContractError, ParameterError

__all__ = [
    "connect",
    "default_connection",
    "to_table",
    "read_file",
    "snapshot",
    "materialize",
    "drop",
    "load",
    "execute",
    "scalar",
    "backend_name",
    "spark_session",
    "try_strptime",
    "fingerprint",
]

_DEFAULT: Any = None


def default_connection() -> Any:
    """The process-wide in-memory DuckDB connection churnlab uses by default.

    The session time zone is UTC, so timestamps never shift.
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = connect("duckdb")
    return _DEFAULT


def spark_session(*, master: str = "local[1]", app_name: str = "churnlab") -> Any:
    """A local SparkSession set up for churnlab (UTC session time zone, no UI).

    Raises
    ------
    ImportError
        If pyspark is not installed; the message names the extra to install.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The PySpark backend needs pyspark. Please run "
            "pip install 'churnlab[spark]' (and have Java 17 on PATH)."
        ) from err
    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )


def _sql_text(value: str) -> str:
    """A value for a single-quoted SQL string literal."""
    return value.replace("'", "''")


def connect(backend: str = "duckdb", **kwargs: Any) -> Any:
    """Connect to a backend by name.

    Parameters
    ----------
    backend : {"duckdb", "pyspark"}
        ``"duckdb"`` opens an in-process database (``database=`` a file path to
        persist it). ``"pyspark"`` wraps ``session=`` or a new local session
        from :func:`spark_session`.
    **kwargs
        Passed to ``ibis.duckdb.connect`` or to :func:`spark_session`. For
        DuckDB also ``memory_limit`` (e.g. ``"8GB"``; default
        ``$CHURNLAB_MEMORY_LIMIT``, else DuckDB's own, 80 % of RAM) and
        ``temp_directory``, where a query larger than memory spills (default
        ``$CHURNLAB_TEMP_DIR``, else ``churnlab-spill`` in the system's
        temporary folder).

    Returns
    -------
    ibis backend
        Pass tables from it to any churnlab function; they stay on it.
    """
    if backend == "duckdb":
        limit = kwargs.pop("memory_limit", None) or os.environ.get(
            "CHURNLAB_MEMORY_LIMIT"
        )
        spill = kwargs.pop("temp_directory", None) or os.environ.get(
            "CHURNLAB_TEMP_DIR",
            os.path.join(tempfile.gettempdir(), "churnlab-spill"),
        )
        con = ibis.duckdb.connect(**kwargs)
        con.raw_sql("SET TimeZone = 'UTC'")
        con.raw_sql(f"SET temp_directory = '{_sql_text(str(spill))}'")
        if limit:
            con.raw_sql(f"SET memory_limit = '{_sql_text(str(limit))}'")
        return con
    if backend == "pyspark":
        session = kwargs.pop("session", None) or spark_session(**kwargs)
        return ibis.pyspark.connect(session)
    raise ParameterError(
        f"backend={backend!r} is not supported; use 'duckdb' or 'pyspark'."
    )


_FILE_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def _file_kind(path: str) -> str | None:
    name = path.lower()
    for suffix in (".gz", ".zst"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return _FILE_SUFFIXES.get(os.path.splitext(name)[1])


def _resolve_files(path: str | os.PathLike[str]) -> tuple[list[str], str]:
    """The files a path names and their one format (``"csv"`` or ``"parquet"``)."""
    text = os.fspath(path)
    if os.path.isdir(text):
        files = sorted(_glob.glob(os.path.join(text, "*.parquet"))) or sorted(
            _glob.glob(os.path.join(text, "*.csv"))
        )
    elif any(ch in text for ch in "*?["):
        files = sorted(_glob.glob(text))
    else:
        files = [text] if os.path.exists(text) else []
    if not files:
        raise ParameterError(f"No .csv or .parquet file found at {text!r}.")
    kinds = {_file_kind(f) for f in files}
    if None in kinds or len(kinds) != 1:
        raise ParameterError(
            f"{text!r} must hold only .csv or only .parquet files; found "
            + ", ".join(sorted(Path(f).name for f in files[:5]))
        )
    return files, kinds.pop()  # type: ignore[return-value]


def read_file(
    path: str | os.PathLike[str],
    *,
    string_columns: tuple[str, ...] = (),
    con: Any = None,
) -> ir.Table:
    """Read a .csv/.parquet file, a folder of them or a glob, without pandas.

    Parameters
    ----------
    path : str or path-like
        A file, a folder (all ``*.parquet`` or else all ``*.csv`` files in it)
        or a glob pattern. All matched files must share one format.
    string_columns : tuple of str
        CSV columns to read as text whatever they look like (ids, so that
        ``007`` keeps its zeros; timestamps, so that no date format is guessed).
    con : DuckDB backend, optional
        Defaults to :func:`default_connection`.

    Raises
    ------
    ParameterError
        If nothing matches or the files are not csv or parquet.
    """
    con = con or default_connection()
    files, kind = _resolve_files(path)
    if kind == "parquet":
        return _read_parquet(con, files)
    return _read_csv(con, files, string_columns)


def _read_parquet(con: Any, files: list[str]) -> ir.Table:
    table = con.read_parquet(files)
    # DuckDB reads timestamp[ns, tz=...] as TIMESTAMPTZ_NS, which Ibis does not
    # know: read it as an instant (TIMESTAMPTZ, microseconds).
    unknown = [c for c, t in table.schema().items() if t.is_unknown()]
    if not unknown:
        return table
    described = dict(
        (row[0], row[1])
        for row in con.raw_sql(f"DESCRIBE SELECT * FROM {table.get_name()}").fetchall()
    )
    casts = []
    for col in unknown:
        native = str(described.get(col, ""))
        if native.startswith("TIMESTAMP") and ("TZ" in native or "TIME ZONE" in native):
            casts.append(f'CAST("{col}" AS TIMESTAMPTZ) AS "{col}"')
        elif native.startswith("TIMESTAMP"):
            casts.append(f'CAST("{col}" AS TIMESTAMP) AS "{col}"')
    if not casts:
        return table
    view = f"{table.get_name()}_typed"
    con.raw_sql(
        f'CREATE OR REPLACE TEMP VIEW "{view}" AS SELECT * REPLACE '
        f"({', '.join(casts)}) FROM {table.get_name()}"
    )
    return con.table(view)


def _csv_header(path: str) -> list[str] | None:
    """Column names from a CSV file's first line, or None if unsure."""
    import csv
    import gzip

    try:
        opener = gzip.open if path.lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            line = fh.readline()
    except (OSError, UnicodeDecodeError, EOFError):
        return None
    best = max((",", "\t", ";", "|"), key=line.count)
    names = next(csv.reader([line], delimiter=best), None)
    return [n.strip() for n in names] if names else None


def _read_csv(
    con: Any, files: list[str], string_columns: tuple[str, ...], **options: Any
) -> ir.Table:
    header = _csv_header(files[0]) if string_columns else None
    if header and len(set(header)) == len(header):
        # one read: the text columns are typed up front
        wanted = {c: "VARCHAR" for c in string_columns if c in header}
        if wanted and "all_varchar" not in options:
            try:
                table = con.read_csv(files, types=wanted, **options)
            except Exception as err:  # the header guess was wrong: read twice
                if not _is_duckdb_error(err):
                    raise
            else:
                if all(
                    table.schema()[c].is_string() for c in wanted if c in table.columns
                ):
                    return table
    table = con.read_csv(files, **options)
    wanted = {
        c: "VARCHAR"
        for c in string_columns
        if c in table.columns and not table.schema()[c].is_string()
    }
    if wanted:
        table = con.read_csv(files, types=wanted, **options)
    return table


def _is_duckdb_error(err: BaseException) -> bool:
    return type(err).__module__.split(".")[0] in {"duckdb", "_duckdb"}


_SNAPSHOTS = 0


def _precheck(files: list[str], kind: str, table: str) -> None:
    """Catch files no reader can make sense of, with a message naming the fix."""
    for f in files:
        name = Path(f).name
        if os.path.isdir(f):
            continue
        size = os.path.getsize(f)
        if size == 0:
            raise ContractError(
                table,
                None,
                f"{f} is empty (0 bytes)",
                fix="Export the table again with a header row and its data, or "
                "remove the file.",
            )
        with open(f, "rb") as fh:
            head = fh.read(1 << 16)
            if kind == "parquet":
                fh.seek(max(size - 4, 0))
                tail = fh.read(4)
        if kind == "parquet":
            if head[:4] != b"PAR1" or tail != b"PAR1":
                raise ContractError(
                    table,
                    None,
                    f"{f} is not a Parquet file (no Parquet header/footer: "
                    "truncated, or another format named .parquet)",
                    fix="Write it again with a Parquet writer (e.g. "
                    "DataFrame.to_parquet), or rename it after its real format.",
                )
            continue
        compressed = name.lower().endswith((".gz", ".zst"))
        if head.startswith(b"PK\x03\x04"):
            raise ContractError(
                table,
                None,
                f"{f} is a zip archive, not CSV text",
                fix=f"Unzip it and put the CSV file itself in the folder as {name}.",
            )
        if head.startswith(b"\x1f\x8b") and not compressed:
            raise ContractError(
                table,
                None,
                f"{f} is gzip-compressed but named {name}",
                fix=f"Rename it to {name}.gz (churnlab reads .csv.gz) or "
                "decompress it.",
            )
        if compressed:
            continue
        if b"\x00" in head:
            raise ContractError(
                table,
                None,
                f"{f} is not text (it holds binary data)",
                fix="Export the table as UTF-8 CSV, or as Parquet named .parquet.",
            )
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as err:
            if err.start < len(head) - 4:  # not a character cut by the 64 kB read
                raise ContractError(
                    table,
                    None,
                    f"{f} is not UTF-8 text (byte {head[err.start]:#04x} at offset "
                    f"{err.start})",
                    fix="Save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 "
                    f"{name} > fixed.csv, or 'CSV UTF-8' in a spreadsheet).",
                ) from None


def snapshot(
    path: str | os.PathLike[str],
    *,
    table: str,
    string_columns: tuple[str, ...] = (),
    con: Any = None,
) -> tuple[ir.Table, str]:
    """Read files once into a table of the default DuckDB connection.

    Every query on the returned table reads this copy, never the files again,
    so a dataset loaded from them stays one consistent snapshot.

    Parameters
    ----------
    path : str or path-like
        As for :func:`read_file`.
    table : str
        Contract table name, for error messages.
    string_columns : tuple of str
        CSV columns read as text whatever they look like.
    con : DuckDB backend, optional
        Defaults to :func:`default_connection`.

    Returns
    -------
    (ibis.Table, str)
        The snapshot table and the kind of its line numbers: ``"line"`` (CSV:
        ``rowid() + 2`` is the file line for one file without multi-line
        values) or ``"row"`` (Parquet, several files: ``rowid() + 1``).

    Raises
    ------
    ContractError
        If a file cannot be read: empty, binary, zipped, not UTF-8, not Parquet,
        or text DuckDB cannot parse as CSV.
    """
    global _SNAPSHOTS
    con = con or default_connection()
    files, kind = _resolve_files(path)
    _precheck(files, kind, table)
    _SNAPSHOTS += 1
    name = f"_churnlab_{table}_{_SNAPSHOTS}"
    where = files[0] if len(files) == 1 else f"{len(files)} files at {os.fspath(path)}"
    try:
        try:
            src = (
                _read_parquet(con, files)
                if kind == "parquet"
                else _read_csv(con, files, string_columns)
            )
            snap = con.create_table(name, src, temp=True)
        except Exception as err:
            if kind != "csv" or not _is_duckdb_error(err):
                raise
            # the sniffer typed a column from a sample that later rows break:
            # read every column as text; the contract types its own columns
            src = _read_csv(con, files, (), all_varchar=True)
            snap = con.create_table(name, src, temp=True, overwrite=True)
    except ContractError:
        raise
    except Exception as err:
        if not _is_duckdb_error(err):
            raise
        first = str(err).strip().splitlines()[0][:300]
        fmt = "Parquet" if kind == "parquet" else "CSV"
        raise ContractError(
            table,
            None,
            f"{where} cannot be read as {fmt}: {first}",
            fix=f"Check that the file is a well-formed {fmt} file (one header row, "
            "one delimiter, UTF-8 text) and export it again if not.",
        ) from None
    labels = "line" if kind == "csv" and len(files) == 1 else "row"
    return snap, labels


def materialize(expr: ir.Table, *, table: str) -> ir.Table:
    """Store a table expression as a table of its DuckDB backend and return it."""
    global _SNAPSHOTS
    con = _backend_of(expr)
    _SNAPSHOTS += 1
    return con.create_table(f"_churnlab_{table}_{_SNAPSHOTS}", expr, temp=True)


def drop(table: ir.Table) -> None:
    """Drop a table :func:`snapshot` or :func:`materialize` made."""
    con = _backend_of(table)
    con.drop_table(table.get_name(), force=True)


def try_strptime(text: ir.StringValue, fmt: str) -> ir.TimestampValue:
    """Parse text with a strptime format; null where it does not fit (DuckDB)."""
    return _TRY_STRPTIME(text, fmt)


_TRY_STRPTIME = ibis.udf.scalar.builtin(
    lambda text, fmt: None,
    name="try_strptime",
    signature=(("string", "string"), dt.Timestamp()),
)


def fingerprint(files: Any) -> dict[str, tuple[int, int, int]]:
    """Size, modification time (ns) and inode of each file under the paths."""
    out: dict[str, tuple[int, int, int]] = {}
    for path in files:
        text = os.fspath(path)
        found = (
            sorted(p for p in _glob.glob(os.path.join(text, "**"), recursive=True))
            if os.path.isdir(text)
            else [text]
        )
        for f in found:
            if os.path.isfile(f):
                st = os.stat(f)
                out[f] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def to_table(obj: Any, *, string_columns: tuple[str, ...] = ()) -> ir.Table:
    """Turn any accepted input into an Ibis table without running a query.

    Parameters
    ----------
    obj : pandas.DataFrame, pyarrow.Table, polars.DataFrame, ibis.Table, str or path
        The data. Frames become in-memory tables on the default DuckDB; paths
        are read by DuckDB (see :func:`read_file`); Ibis tables stay where they
        are.
    string_columns : tuple of str
        Passed to :func:`read_file` for CSV inputs.

    Raises
    ------
    ParameterError
        For any other type.
    """
    if isinstance(obj, ir.Table):
        return obj
    if isinstance(obj, str | os.PathLike):
        return read_file(obj, string_columns=string_columns)
    if isinstance(obj, pd.DataFrame):
        frame = obj
        if (
            not isinstance(frame.index, pd.RangeIndex)
            or frame.columns.duplicated().any()
        ):
            frame = frame.reset_index(drop=True)
        return ibis.memtable(frame)
    module = type(obj).__module__.split(".")[0]
    if module in {"pyarrow", "polars"}:
        return ibis.memtable(obj)
    raise ParameterError(
        f"Cannot read a {type(obj).__name__}; pass a pandas DataFrame, a path to a "
        ".csv/.parquet file or folder, or an Ibis table."
    )


def load(con: Any, name: str, frame: pd.DataFrame) -> ir.Table:
    """Put a pandas frame into ``con`` under ``name`` and return the table.

    DuckDB gets a real table. PySpark gets a temporary view of an in-memory
    table: ``create_table`` there writes into ``./spark-warehouse`` and fails
    when run twice.
    """
    if con.name == "pyspark":
        return con.create_view(name, ibis.memtable(frame), overwrite=True)
    return con.create_table(name, frame, overwrite=True)


def _backend_of(expr: ir.Expr) -> Any:
    backends, _unbound = expr._find_backends()
    if len(backends) > 1:
        raise BackendError(
            "This computation mixes tables from different backends "
            f"({', '.join(sorted(b.name for b in backends))}); put them on one."
        )
    return backends[0] if backends else default_connection()


def backend_name(expr: ir.Expr) -> str:
    """Name of the backend an expression runs on (``"duckdb"``, ``"pyspark"``...)."""
    return _backend_of(expr).name


def execute(expr: ir.Expr, *, limit: int | None = None) -> pd.DataFrame | Any:
    """Run an expression on its backend and return pandas (a frame or a scalar).

    Timestamps come back tz-naive. Ibis errors about operations a backend
    lacks become :class:`~churnlab.errors.BackendError`.
    """
    con = _backend_of(expr)
    try:
        result = con.execute(expr, limit=limit)
    except (
        ibis_exc.OperationNotDefinedError,
        ibis_exc.UnsupportedOperationError,
    ) as err:
        raise BackendError(
            f"The {con.name} backend cannot run this computation: {err}"
        ) from err
    if isinstance(result, pd.DataFrame):
        for col in result.columns:
            s = result[col]
            if isinstance(s.dtype, pd.DatetimeTZDtype):
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            if (
                pd.api.types.is_datetime64_dtype(s.dtype)
                and s.dtype != "datetime64[ns]"
            ):
                s = s.astype("datetime64[ns]")
            result[col] = s
    return result


def scalar(expr: ir.Scalar) -> Any:
    """Run a scalar expression and return a Python value (None for null)."""
    value = execute(expr)
    if isinstance(value, pd.Series | pd.DataFrame):  # pragma: no cover - defensive
        value = value.iloc[0] if value.ndim == 1 else value.iloc[0, 0]
    return (
        None
        if value is None or (not isinstance(value, str) and pd.isna(value))
        else value
    )
