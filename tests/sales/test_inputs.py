"""Sales inputs: the sales_inputs table in the contract, periods, parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnlab as cl
from churnlab.errors import ContractError, ParameterError

INPUTS = pd.DataFrame(
    {
        "period": ["2026-01", "2026-02", "2026-03", "2026-04"],
        "visitors": [100.0, 200.0, 300.0, None],
        "sales_expenses": [10.0, 20.0, 30.0, 40.0],
        "market_size": [1000.0, 1100.0, 1200.0, 1300.0],
    }
)
DEALS = pd.DataFrame(
    {
        "deal_id": ["D1"],
        "created_at": ["2026-01-01"],
        "status": ["open"],
        "amount": [1.0],
        "expected_close_at": ["2027-06-30"],  # ahead of the data
    }
)


def test_months_quarters_and_parameters():
    ds = cl.load_dataset({"sales_inputs": INPUTS, "deals": DEALS})
    assert ds.latest() == pd.Timestamp("2026-04-01")  # expected close ignored
    jan = cl.sales_inputs(ds, period="2026-01").set_index("input")
    assert jan.loc["visitors", "value"] == 100.0
    assert jan.loc["visitors", "source"] == "table sales_inputs"
    assert np.isnan(jan.loc["cost_of_sales", "value"])  # no such column
    q1 = cl.sales_inputs(ds, period="2026-Q1").set_index("input")
    assert q1.loc["visitors", "value"] == 600.0  # summed
    assert q1.loc["market_size", "value"] == 1200.0  # the last month's
    q2 = cl.sales_inputs(ds, period="2026-Q2").set_index("input")
    assert np.isnan(q2.loc["visitors", "value"])  # April only: never partial
    given = cl.sales_inputs(
        ds, period="2026-01", visitors={"2026-01": 7}, cost_of_sales=3
    ).set_index("input")
    assert given.loc["visitors", ["value", "source"]].tolist() == [7.0, "parameter"]
    assert given.loc["cost_of_sales", "value"] == 3.0
    with pytest.raises(ParameterError, match="Unknown sales input"):
        cl.sales_inputs(ds, period="2026-01", visits=3)
    with pytest.raises(ParameterError, match="must be a number"):
        cl.sales_inputs(ds, period="2026-01", visitors="many")


def test_the_contract_checks_the_table():
    bad = INPUTS.assign(visitors=[100.0, -1.0, 300.0, None])
    with pytest.raises(ContractError, match="sales_inputs.*visitors"):
        cl.load_dataset({"sales_inputs": bad})
    dup = pd.concat([INPUTS, INPUTS.head(1)])
    with pytest.raises(ContractError, match="sales_inputs"):
        cl.load_dataset({"sales_inputs": dup})
    deals = DEALS.assign(contract_months=[-12])
    with pytest.raises(ContractError, match="contract_months"):
        cl.load_dataset({"deals": deals})
