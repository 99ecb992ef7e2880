"""The one door to the query backends.

Public names: ``connect``, ``default_connection``, ``to_table``, ``read_file``,
``load``, ``execute``, ``scalar``, ``backend_name``, ``spark_session``.

Every other module builds lazy Ibis expressions; only this module runs them,
imports ``duckdb`` or ``pyspark``, or sets backend options.

* A pandas DataFrame, a pyarrow Table or a polars DataFrame becomes an
  ``ibis.memtable``, which runs on the in-process DuckDB connection returned by
  :func:`default_connection` (or on the backend of the table it is joined to).
* A path to a ``.csv`` or ``.parquet`` file, a folder of them or a glob is read
  by DuckDB directly, never through pandas, so files larger than memory work.
* An Ibis table stays on its own backend (DuckDB, PySpark, a warehouse).

Only small results come back, as pandas, through :func:`execute`.
"""

from __future__ import annotations

import glob as _glob
import os
from pathlib import Path
from typing import Any

import ibis
import ibis.common.exceptions as ibis_exc
import ibis.expr.types as ir
import pandas as pd

from churnlab.errors import BackendError, ParameterError

__all__ = [
    "connect",
    "default_connection",
    "to_table",
    "read_file",
    "load",
    "execute",
    "scalar",
    "backend_name",
    "spark_session",
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


def connect(backend: str = "duckdb", **kwargs: Any) -> Any:
    """Connect to a backend by name.

    Parameters
    ----------
    backend : {"duckdb", "pyspark"}
        ``"duckdb"`` opens an in-process database (``database=`` a file path to
        persist it). ``"pyspark"`` wraps ``session=`` or a new local session
        from :func:`spark_session`.
    **kwargs
        Passed to ``ibis.duckdb.connect`` or to :func:`spark_session`.

    Returns
    -------
    ibis backend
        Pass tables from it to any churnlab function; they stay on it.
    """
    if backend == "duckdb":
        con = ibis.duckdb.connect(**kwargs)
        con.raw_sql("SET TimeZone = 'UTC'")
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
        ``007`` keeps its zeros).
    con : DuckDB backend, optional
        Defaults to :func:`default_connection`.

    Raises
    ------
    ParameterError
        If nothing matches or the files are not csv or parquet.
    """
    con = con or default_connection()
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
    kind = kinds.pop()
    if kind == "parquet":
        return con.read_parquet(files)
    table = con.read_csv(files)
    wanted = {
        c: "VARCHAR"
        for c in string_columns
        if c in table.columns and not table.schema()[c].is_string()
    }
    if wanted:
        table = con.read_csv(files, types=wanted)
    return table


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
