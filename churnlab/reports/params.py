"""Report parameters: checked before any heavy work runs.

Public names: ``ReportParams``, ``check_params``, ``latest_complete_month``.

A report notebook's second cell calls :func:`check_params` with the values
papermill injected; the runner calls it too, before starting a kernel, so a bad
month, a missing folder or an unknown segment fails in a second with one clear
line instead of deep inside a notebook.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from churnlab import periods
from churnlab.contract import Dataset, load_dataset
from churnlab.errors import ParameterError

__all__ = ["ReportParams", "check_params", "latest_complete_month"]


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
    gross_margin : float
        Gross margin used by LTV, between 0 and 1.
    dataset : Dataset
        The loaded (and, with ``segment``, filtered) dataset.
    """

    report: str
    month: str
    period: pd.Timestamp
    as_of: pd.Timestamp
    data_dir: str
    segment: str | None
    inactivity_days: int
    gross_margin: float
    dataset: Dataset = field(repr=False)
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
    gross_margin: float = 0.8,
    dataset: Dataset | None = None,
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
    gross_margin : float
        Between 0 and 1.
    dataset : Dataset, optional
        An already loaded dataset (skips loading ``data_dir``).
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
    if (
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
        dataset = load_dataset(folder)
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
        dataset = _filter_segment(dataset, segment)
    return ReportParams(
        report=report,
        month=month,
        period=period,
        as_of=as_of_day,
        data_dir=str(folder),
        segment=segment,
        inactivity_days=inactivity_days,
        gross_margin=float(gross_margin),
        dataset=dataset,
        extra=dict(extra),
    )


def _filter_segment(ds: Dataset, segment: str) -> Dataset:
    from churnlab import engine

    if ds.customers is None or "segment" not in ds.customers.columns:
        raise ParameterError(
            f"segment={segment!r} needs a customers table with a segment column."
        )
    known = engine.execute(ds.customers.select("segment").distinct())["segment"]
    known = sorted(str(v) for v in known.dropna())
    if segment not in known:
        raise ParameterError(
            f"segment={segment!r} is not in the data; segments are {', '.join(known)}."
        )
    ids = ds.customers.filter(ds.customers.segment == segment).select("customer_id")
    tables = {}
    for name, table in ds.tables.items():
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
