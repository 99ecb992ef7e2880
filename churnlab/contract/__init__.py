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

The package is layered; a module imports only those above it in this list:

* :mod:`~churnlab.contract.specs`: ``TABLES``, ``Column``, ``TableSpec``,
  ``TableInfo`` and the checks of the ``tz``, ``formats`` and ``errors`` options;
* :mod:`~churnlab.contract.coerce`: how each column kind is typed and parsed;
* :mod:`~churnlab.contract.validation`: :func:`validate` and its row checks;
* :mod:`~churnlab.contract.dataset`: ``Dataset``, :func:`load_dataset`,
  ``dataset.toml``, :func:`as_dataset`, :func:`table`, :func:`purchases`.
"""

from churnlab.contract.dataset import (
    Dataset,
    as_dataset,
    load_dataset,
    purchases,
    table,
)
from churnlab.contract.specs import TABLES, Column, TableInfo, TableSpec
from churnlab.contract.validation import validate

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
