"""The data contract: table specs, column mapping, validation, ``load_dataset``.

See :mod:`churnlab.contract.validation` for the whole contract.
"""

from churnlab.contract.validation import (
    TABLES,
    Column,
    Dataset,
    TableInfo,
    TableSpec,
    as_dataset,
    load_dataset,
    purchases,
    table,
    validate,
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
