"""Sales inputs no other table holds: visitors, expenses, cost of sales, market size.

Each comes from the optional ``sales_inputs`` table (one row per month) or from
a parameter; :func:`sales_inputs` reads them for a period and says where each
came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from churnlab import contract, engine
from churnlab.errors import ParameterError
from churnlab.sales._common import _default_period, _docs, _in, _window

__all__ = ["sales_inputs", "INPUTS"]

#: The inputs, what each measures and how it adds up over a period.
INPUTS: dict[str, str] = {
    "visitors": "site visitors in the period (lead conversion rate); summed",
    "sales_expenses": "sales and marketing expenses of the period (sales expense "
    "ratio); summed",
    "cost_of_sales": "cost of goods sold in the period (average margin); summed",
    "market_size": "potential customers in the market (market penetration); the "
    "period's last value",
}


def _check_value(name: str, value: Any) -> None:
    values = value.values() if isinstance(value, Mapping) else [value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float | np.number):
            raise ParameterError(f"{name}={value!r} must be a number.")
        if v < 0 or (name == "market_size" and v == 0):
            raise ParameterError(f"{name}={value!r} must be positive.")


@_docs
def sales_inputs(
    data: Any,
    *,
    period: Any = None,
    as_of: Any = None,
    **params: Any,
) -> pd.DataFrame:
    """The sales inputs of a period, from the ``sales_inputs`` table or parameters.

    Parameters
    ----------
    data : Dataset or path
        Any dataset; its ``sales_inputs`` table is used when present.
    {period}
        Default: the data's last complete month.
    {sas_of}
    **params
        ``visitors``, ``sales_expenses``, ``cost_of_sales``, ``market_size``: a
        number for the period, or a mapping of period label to number (e.g.
        ``{{"2026-10": 120000}}``). A parameter overrides the table.

    Returns
    -------
    pandas.DataFrame
        One row per input: ``input``, ``value`` (NaN when unknown), ``source``
        (``"table sales_inputs"``, ``"parameter"`` or ``""``), ``months``
        (months of the period the table covers), ``doc``.

    Notes
    -----
    **Definition.** Flows (visitors, expenses, cost of sales) are summed over
    the months of the period; ``market_size`` is the period's last value.

    **Convention.** A table value counts only when every month of the period
    has a row with that input; otherwise the input is unknown (NaN), never a
    partial sum. A number given as a parameter is taken as the period's value.

    Examples
    --------
    >>> import churnlab as cl
    >>> s = cl.sales_inputs(cl.sample_dataset(), period="2026-10").set_index("input")
    >>> s.loc["visitors", "source"]
    'table sales_inputs'
    """
    unknown = sorted(set(params) - set(INPUTS))
    if unknown:
        raise ParameterError(
            f"Unknown sales input(s) {', '.join(unknown)}; inputs are "
            f"{', '.join(INPUTS)}."
        )
    ds = data if isinstance(data, contract.Dataset) else contract.load_dataset(data)
    if period is None:
        period = _default_period(ds, as_of)
    w = _window(period, as_of=None, data=None)
    rows = []
    table = None
    if ds.sales_inputs is not None:
        t = ds.sales_inputs
        table = engine.execute(t.filter(_in(t.period, w))).sort_values("period")
    n_months = w.months or np.nan
    for name, doc in INPUTS.items():
        value, source, months = np.nan, "", 0
        given = params.get(name)
        if isinstance(given, Mapping):
            _check_value(name, given)
            given = given.get(w.label)
        elif given is not None:
            _check_value(name, given)
        if given is not None:
            value, source = float(given), "parameter"
        elif table is not None and name in table.columns:
            col = table[name].dropna()
            months = len(col)
            if months and months == n_months:
                value = float(col.iloc[-1] if name == "market_size" else col.sum())
                source = "table sales_inputs"
        rows.append(
            {"input": name, "value": value, "source": source, "months": months,
             "doc": doc}
        )  # fmt: skip
    frame = pd.DataFrame(rows)
    frame.attrs.update(period=w.label)
    return frame
