"""Errors and warnings raised by churnlab.

Public names: ``ChurnlabError``, ``ContractError``, ``ParameterError``,
``BackendError``, ``ReportError``, ``ChurnlabWarning``.

Every error churnlab raises on purpose derives from :class:`ChurnlabError`, so
``except ChurnlabError`` catches all of them, and each subclass also inherits the
matching built-in (``ValueError`` for bad data and bad parameters), so generic
handlers keep working.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = [
    "ChurnlabError",
    "ContractError",
    "ParameterError",
    "BackendError",
    "ReportError",
    "ChurnlabWarning",
]


class ChurnlabError(Exception):
    """Base class of every error churnlab raises on purpose."""


class ContractError(ChurnlabError, ValueError):
    """A table breaks the data contract (see ``data/README.md``).

    Parameters
    ----------
    table : str
        Contract table name (``"subscriptions"``, ``"orders"``, ...).
    column : str or None
        Canonical column the problem is about, or None for a table-level problem.
    problem : str
        What is wrong, as a sentence fragment ("end is before start").
    n_rows : int
        How many rows have the problem (0 for table-level problems such as a
        missing column).
    examples : pandas.DataFrame, optional
        A few offending rows, shown in the message.
    fix : str, optional
        What to do about it; the message ends with it.

    Attributes
    ----------
    table, column, problem, n_rows, examples, fix
        As passed, so callers can inspect the failure programmatically.
    """

    def __init__(
        self,
        table: str,
        column: str | None,
        problem: str,
        *,
        n_rows: int = 0,
        examples: pd.DataFrame | None = None,
        fix: str = "",
    ) -> None:
        self.table = table
        self.column = column
        self.problem = problem
        self.n_rows = int(n_rows)
        self.examples = examples
        self.fix = fix
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        head = f"{where}: {self.problem}"
        if self.n_rows:
            noun = "row" if self.n_rows == 1 else "rows"
            head += f" in {self.n_rows:,} {noun}"
        parts = [head]
        if self.examples is not None and len(self.examples):
            parts[0] += ", e.g."
            parts.append(_format_examples(self.examples))
        if self.fix:
            parts.append(self.fix)
        return "\n".join(parts)


class ParameterError(ChurnlabError, ValueError):
    """A parameter is invalid: a bad ``freq``, ``as_of``, month, segment, window."""


class BackendError(ChurnlabError):
    """The backend cannot run an expression (an operation it does not implement)."""


class ReportError(ChurnlabError):
    """A report notebook failed; the previous good report is left in place."""


class ChurnlabWarning(UserWarning):
    """Rows excluded by a documented rule, with the count (e.g. refunds)."""


def _format_examples(
    examples: pd.DataFrame, columns: Sequence[str] | None = None
) -> str:
    frame = examples if columns is None else examples.loc[:, list(columns)]
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            s = frame[col]
            has_time = (s.dropna() != s.dropna().dt.normalize()).any()
            fmt = "%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"
            frame[col] = s.dt.strftime(fmt).fillna("NaT")
    return frame.to_string(index=False)
