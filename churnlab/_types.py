"""The types every public signature uses: ``DataLike``, ``DateLike``, ``Freq``.

Public names: ``DataLike``, ``DateLike``, ``Freq``, ``ByLike``, ``PeriodLike``.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import TYPE_CHECKING, Literal, TypeAlias, Union

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

    from churnlab.contract import Dataset

__all__ = ["DataLike", "DateLike", "Freq", "ByLike", "PeriodLike"]

#: What ``data`` may be: a Dataset, a pandas DataFrame, a path or an Ibis table.
DataLike: TypeAlias = Union["Dataset", pd.DataFrame, str, os.PathLike, "ir.Table"]

#: A day: ``"2026-10-31"``, a ``datetime.date`` or a midnight ``pd.Timestamp``.
DateLike: TypeAlias = str | _dt.date | pd.Timestamp

#: A period unit, as Ibis's ``truncate`` spells it.
Freq: TypeAlias = Literal["D", "W", "M", "Q", "Y"]

#: A customer attribute or several (``by=``).
ByLike: TypeAlias = str | list[str] | tuple[str, ...] | None

#: A period argument: ``"2026-10"``, ``"2026-Q3"``, ``"2026"``, a day inside the
#: period, or a ``(first, last)`` pair of days (both inclusive).
PeriodLike: TypeAlias = str | _dt.date | pd.Timestamp | tuple[DateLike, DateLike]
