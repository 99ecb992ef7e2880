"""Contract table specs and the checks of loading options shared by all loaders.

``TABLES`` maps each contract table name to its :class:`TableSpec`: the canonical
columns (kind, required, nullable, bounds, allowed values), the primary key and
the row-level order rules. :class:`TableInfo` is what validation learned about a
loaded table. The checks of the ``tz``, ``formats`` and ``errors`` options live
here because both :func:`~churnlab.contract.load_dataset` and
:func:`~churnlab.contract.validate` apply them.

The bottom of :mod:`churnlab.contract`: it imports no other module of the
package, and they all build on it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from churnlab.errors import (
    ParameterError,
)

__all__ = ["Column", "TableSpec", "TABLES", "TableInfo"]


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
            "experiments",
            (
                _id("customer_id"),
                Column(
                    "group",
                    "category",
                    required=True,
                    nullable=False,
                    values=("treatment", "control"),
                    doc="arm of a retention offer: treatment or control",
                ),
                _ts("assigned_at"),
                _text("experiment", doc="name of the experiment, if several"),
            ),
            doc="Retention-offer assignments: one row per customer and experiment.",
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
