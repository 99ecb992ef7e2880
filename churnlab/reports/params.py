"""Report parameters: checked before any heavy work runs.

Public names: ``ReportParams``, ``check_params``, ``latest_complete_month``.

A report notebook's second cell calls :func:`check_params` with the values
papermill injected; the runner calls it too, before starting a kernel, so a bad
month, a missing folder or an unknown segment fails in a second with one clear
line instead of deep inside a notebook.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from churnlab import periods
from churnlab.contract import Dataset, load_dataset
from churnlab.errors import ParameterError

__all__ = ["ReportParams", "check_params", "latest_complete_month", "REQUIRED"]

#: Tables each report needs, any one of them (its month must be inside one).
REQUIRED: dict[str, tuple[str, ...]] = {
    "churn": ("subscriptions", "orders"),
    "sales": ("deals", "orders"),
}

#: Tables of company-wide totals: a segment's report leaves them out (their
#: inputs are then named as missing) rather than set them against one segment.
COMPANY_TABLES = ("sales_inputs",)

#: Longest segment name accepted (labels are capped lower on the page).
SEGMENT_MAX = 200


@dataclass
class ReportParams:
    """Validated report parameters plus what they resolve to.

    Attributes
    ----------
    report : str
        Report name (``"churn"``, ``"sales"``).
    month : str
        The month reported, ``YYYY-MM``.
    period : pandas.Timestamp
        First day of ``month``.
    as_of : pandas.Timestamp
        The day the report is known through (the month's last day unless given).
    data_dir : str
        Folder the dataset was loaded from.
    segment : str or None
        Customer segment the report is filtered to (None = all customers).
    inactivity_days : int
        Window for orders-only data.
    gross_margin : float or None
        Gross margin used by LTV, between 0 and 1; None when not given (LTV then
        applies no margin, as ``churnlab.ltv`` does, and says it is assumed).
    dataset : Dataset
        The loaded (and, with ``segment``, filtered) dataset.
    currency : str
        Currency code of money figures (the ``currency`` parameter, else
        ``currency`` in ``dataset.toml``; "" when neither states it).
    """

    report: str
    month: str
    period: pd.Timestamp
    as_of: pd.Timestamp
    data_dir: str
    segment: str | None
    inactivity_days: int
    gross_margin: float | None
    dataset: Dataset = field(repr=False)
    currency: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The parameters as they go into ``metrics.json`` (no dataset, no paths)."""
        out = {k: v for k, v in asdict(self).items() if k not in {"dataset", "period"}}
        out["as_of"] = self.as_of.strftime("%Y-%m-%d")
        out["data_dir"] = Path(self.data_dir).name
        out.update(out.pop("extra"))
        return out


def latest_complete_month(ds: Dataset) -> str:
    """The last month fully covered by the dataset, as ``YYYY-MM``."""
    as_of = periods.resolve_as_of(None, latest=ds.latest(), freq="M")
    return as_of.strftime("%Y-%m")


def sample_data_dir() -> Path:
    """Folder of the bundled sample company (package data, shipped in the wheel)."""
    from churnlab.sample import DATA_DIR

    return DATA_DIR


def check_params(
    *,
    report: str = "churn",
    month: str | None = None,
    data_dir: str | Path | None = None,
    segment: str | None = None,
    as_of: str | None = None,
    inactivity_days: int = periods.DEFAULT_INACTIVITY_DAYS,
    gross_margin: float | None = None,
    currency: str | None = None,
    dataset: Dataset | None = None,
    errors: str = "raise",
    **extra: Any,
) -> ReportParams:
    """Validate report parameters and load the dataset.

    Parameters
    ----------
    report : str
        Report name, for messages and ``metrics.json``.
    month : str or None
        ``YYYY-MM``; None picks the data's latest complete month.
    data_dir : path, optional
        Folder holding the dataset's tables; None or "" is the bundled sample.
    segment : str or None
        A value of ``customers.segment`` to filter every table to.
    as_of : str or None
        Day the data is known through; default the month's last day. Must not be
        before the month's last day (the month would not be complete).
    inactivity_days : int
        Inactivity window for orders-only data.
    gross_margin : float or None
        Between 0 and 1; None (the default) applies no margin and labels LTV as
        resting on that assumption, exactly as ``churnlab.ltv`` does.
    currency : str, optional
        Three-letter code shown on money figures; default ``currency`` in the
        folder's ``dataset.toml``.
    dataset : Dataset, optional
        An already loaded dataset (skips loading ``data_dir``).
    errors : {"raise", "exclude"}
        Rows that break a row-level rule: stop with a ContractError (default), or
        exclude them, counted per table and rule in the report's data notes
        (see :func:`churnlab.load_dataset`).
    **extra
        Report-specific parameters, recorded in ``metrics.json``.

    Returns
    -------
    ReportParams

    Raises
    ------
    ParameterError
        Bad month format, month outside the data, missing folder, unknown
        segment, bad window or margin.
    ContractError
        If the data breaks the contract.
    """
    for name, value in (("month", month), ("as_of", as_of), ("segment", segment)):
        if value is not None and not isinstance(value, str):
            raise ParameterError(
                f'{name}={value!r} must be text, e.g. {name}="2026-10".'
                if name == "month"
                else f"{name}={value!r} must be text."
            )
    if data_dir is not None and not isinstance(data_dir, str | Path):
        raise ParameterError(f"data_dir={data_dir!r} must be a folder path.")
    if currency is not None and (
        not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency)
    ):
        raise ParameterError(
            f"currency={currency!r} must be a three-letter code such as EUR."
        )
    if segment is not None and len(segment) > SEGMENT_MAX:
        raise ParameterError(
            f"segment is {len(segment):,} characters long; segments are at most "
            f"{SEGMENT_MAX}."
        )
    if month is not None:
        period = periods.parse_month(month)
    if (
        isinstance(inactivity_days, bool)
        or not isinstance(inactivity_days, int)
        or (inactivity_days < 1)
    ):
        raise ParameterError(
            f"inactivity_days={inactivity_days!r} must be a whole number of days >= 1."
        )
    if gross_margin is not None and (
        isinstance(gross_margin, bool)
        or not isinstance(gross_margin, int | float)
        or not (0 < gross_margin <= 1)
    ):
        raise ParameterError(
            f"gross_margin={gross_margin!r} must be a fraction in (0, 1], e.g. 0.8."
        )
    folder = Path(data_dir) if data_dir else sample_data_dir()
    if dataset is None:
        if not folder.is_dir():
            raise ParameterError(f"Data folder {str(folder)!r} does not exist.")
        dataset = load_dataset(folder, errors=errors)
    latest = dataset.latest()
    if latest is None:
        raise ParameterError(f"The dataset in {str(folder)!r} holds no timestamps.")
    last_month = latest_complete_month(dataset)
    earliest = min(i.earliest for i in dataset.info.values() if i.earliest is not None)
    if month is None:
        month = last_month
        period = periods.parse_month(month)
    first_month = earliest.strftime("%Y-%m")
    if month > last_month or month < first_month:
        raise ParameterError(
            f"month={month!r} is outside the data: it covers {first_month} to "
            f"{last_month} (the last complete month)."
        )
    needed = [t for t in REQUIRED.get(report, ()) if t in dataset.info]
    if report in REQUIRED and not needed:
        raise ParameterError(
            f"The {report} report needs a {' or an '.join(REQUIRED[report])} table; "
            f"the dataset in {str(folder)!r} has {', '.join(dataset.tables) or 'none'}."
        )
    starts = [dataset.info[t].earliest for t in needed]
    starts = [s for s in starts if s is not None]
    if starts and month < min(starts).strftime("%Y-%m"):
        first = min(starts).strftime("%Y-%m")
        raise ParameterError(
            f"month={month!r} is before the {report} report's tables start "
            f"({' / '.join(needed)} from {first}); pick {first} or later."
        )
    month_end = periods.period_end(period, "M") - pd.Timedelta(days=1)
    if as_of is None:
        as_of_day = month_end
    else:
        as_of_day = periods.parse_date(as_of)
        if as_of_day < month_end:
            raise ParameterError(
                f"as_of={as_of!r} is before the end of {month}; the month would not be "
                "complete."
            )
    if segment is not None:
        segment = _resolve_segment(dataset, segment)
        dataset = _filter_segment(dataset, segment)
        _check_segment_rows(dataset, report, segment)
    if currency is None:
        currency = _config_currency(folder)
    return ReportParams(
        report=report,
        month=month,
        period=period,
        as_of=as_of_day,
        data_dir=str(folder),
        segment=segment,
        inactivity_days=inactivity_days,
        gross_margin=None if gross_margin is None else float(gross_margin),
        dataset=dataset,
        extra=dict(extra),
        currency=currency or "",
    )


def _config_currency(folder: Path) -> str:
    """``currency`` from the folder's ``dataset.toml`` ("" when absent)."""
    import tomllib

    path = folder / "dataset.toml"
    if not path.is_file():
        return ""
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("currency")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return ""  # the loader reports a broken dataset.toml
    if value is None:
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise ParameterError(
            f"{path}: currency={value!r} must be a three-letter code such as EUR."
        )
    return value


def _check_segment_rows(ds: Dataset, report: str, segment: str) -> None:
    """A segment must have rows in the tables its report is built on."""
    from churnlab import engine

    for name in REQUIRED.get(report, ()):
        table = ds.tables.get(name)
        if table is None:
            continue
        if int(engine.scalar(table.count())) == 0:
            raise ParameterError(
                f"segment={segment!r} has no rows in the {name} table, so the "
                f"{report} report has nothing to show for it; pick another segment "
                "or leave it out."
            )


def _resolve_segment(ds: Dataset, segment: str) -> str:
    """The data's spelling of a typed segment: exact, else case-insensitive.

    ``smb`` finds ``SMB`` when no other segment differs from it only in case;
    otherwise the error lists the valid values.
    """
    from churnlab import engine

    if ds.customers is None or "segment" not in ds.customers.columns:
        raise ParameterError(
            f"segment={segment!r} needs a customers table with a segment column."
        )
    known = engine.execute(ds.customers.select("segment").distinct())["segment"]
    known = sorted(str(v) for v in known.dropna())
    if segment in known:
        return segment
    folded = [k for k in known if k.casefold() == segment.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    raise ParameterError(
        f"segment={segment!r} is not in the data; segments are {', '.join(known)}."
    )


def _filter_segment(ds: Dataset, segment: str) -> Dataset:
    segment = _resolve_segment(ds, segment)
    ids = ds.customers.filter(ds.customers.segment == segment).select("customer_id")
    tables = {}
    for name, table in ds.tables.items():
        if name in COMPANY_TABLES:
            continue  # company totals cannot be split by segment
        key = "account_id" if name == "events" else "customer_id"
        if name != "customers" and "segment" in table.columns:
            table = table.filter(table.segment == segment)
        elif key in table.columns:
            table = table.semi_join(ids, table[key] == ids.customer_id)
        tables[name] = table
    if "deals" in tables:
        deal_ids = tables["deals"].select("deal_id")
        for name in ("deal_stages", "activities"):
            if name in tables and "deal_id" in tables[name].columns:
                t = tables[name]
                tables[name] = t.semi_join(deal_ids, t.deal_id == deal_ids.deal_id)
    # leads and targets carry no customer or segment: they stay whole.
    return Dataset(tables, ds.info, tz=ds.tz, source=ds.source, files=ds.files)
