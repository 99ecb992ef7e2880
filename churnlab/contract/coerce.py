"""Typing of raw columns: how each column kind of the contract is read.

A canonical column arrives as its source wrote it (text from CSV, numbers,
timestamps). :func:`_typed_column` returns the typed Ibis expression for the
column's kind (ids as text, numbers as float64, flags as booleans, categories
trimmed and lower-cased, timestamps tz-naive in the dataset's time zone) and adds
a :class:`_Check` for every value it cannot read. Text timestamps are ISO 8601
unless a strptime format is stated: churnlab never guesses a format, but
:func:`_formats_fix` names the candidate formats that read the bad values.

Private to :mod:`churnlab.contract`; imports only
:mod:`churnlab.contract.specs`.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from churnlab import engine
from churnlab.contract.specs import Column
from churnlab.errors import (
    ContractError,
    ParameterError,
)

__all__: list[str] = []  # private helpers shared by validation and dataset


def _trim(value: ir.StringValue) -> ir.StringValue:
    """Text without leading and trailing white space, the same on every backend.

    Not ``StringValue.strip()``: Ibis writes its set of white-space characters as
    an SQL literal holding backslash-v and backslash-f, which Spark SQL reads as the
    letters ``v`` and ``f``, so on Spark ``strip()`` would turn the id ``"f"``
    into ``""`` and the plan ``"prof"`` into ``"pro"``.
    """
    return value.re_replace(r"^\s+|\s+$", "")


_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
_OFFSET_RE = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|z|UTC|[+-]\d\d(:?\d\d)?)$"
_MONTH_RE = r"^\d{4}-\d{2}$"


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
            text = _trim(value)
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
            out = _trim(value).try_cast("float64")
            checks.append(
                _Check(
                    name,
                    "value is not a number",
                    value.notnull() & (_trim(value) != "") & out.isnull(),
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
            norm = _trim(value).lower()
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
        norm = _trim(value.cast("string")).lower()
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
    text = _trim(value)
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
