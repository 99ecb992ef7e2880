"""Data contract: loading, mapping, typing, and one test per validation case."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import churnlab as cl
from churnlab import contract, engine
from churnlab.errors import ChurnlabWarning, ContractError, ParameterError


def subs(**overrides):
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "start": ["2026-01-01", "2026-02-01", "2026-03-05"],
            "end": [None, "2026-03-01", "2026-04-01"],
            "mrr": [10.0, 20.5, 30.0],
        }
    )
    return frame.assign(**overrides)


def raises(table, data, *, column, problem, n_rows=None, **kwargs) -> ContractError:
    with pytest.raises(ContractError) as info:
        contract.validate(table, data, **kwargs)
    err = info.value
    assert err.table == table
    assert err.column == column
    assert problem in err.problem
    if n_rows is not None:
        assert err.n_rows == n_rows
    msg = str(err)
    assert msg.startswith(f"{table}.{column}" if column else table)
    return err


# -- valid input ------------------------------------------------------------------


def test_valid_subscriptions_are_typed():
    table, info = contract.validate("subscriptions", subs())
    out = engine.execute(table)
    assert list(out.columns) == ["customer_id", "start", "mrr", "end"]
    assert out["start"].dtype == "datetime64[ns]"
    assert out["end"].dtype == "datetime64[ns]"
    assert out["mrr"].dtype == "float64"
    assert info.n_rows == 3
    assert info.earliest == pd.Timestamp("2026-01-01")
    # a subscription end may be scheduled: only starts say how far the data reaches
    assert info.latest == pd.Timestamp("2026-03-05")


def test_integer_and_float_ids_become_text():
    frame = subs(customer_id=[1, 2, 3])
    out = engine.execute(contract.validate("subscriptions", frame)[0])
    assert out["customer_id"].tolist() == ["1", "2", "3"]
    frame = subs(customer_id=[17850.0, 2.0, 3.0])  # Online Retail stores ids as floats
    out = engine.execute(contract.validate("subscriptions", frame)[0])
    assert out["customer_id"].tolist() == ["17850", "2", "3"]


def test_offsets_are_converted_to_utc():
    frame = subs(
        start=["2026-01-01T01:00+02:00", "2026-02-01T00:00Z", "2026-03-05T00:00Z"]
    )
    out = engine.execute(contract.validate("subscriptions", frame)[0])
    assert out["start"].tolist()[0] == pd.Timestamp("2025-12-31 23:00")


def test_tz_aware_pandas_column_is_converted_to_dataset_tz():
    frame = subs(start=pd.to_datetime(["2026-01-01 12:00"] * 3).tz_localize("UTC"))
    out = engine.execute(
        contract.validate("subscriptions", frame, tz="Europe/Berlin")[0]
    )
    assert out["start"].iloc[0] == pd.Timestamp("2026-01-01 13:00")


def test_column_mapping_renames_to_canonical_names():
    frame = subs().rename(columns={"customer_id": "cust", "mrr": "amount_monthly"})
    ds = cl.load_dataset(
        {"subscriptions": frame},
        columns={"subscriptions": {"cust": "customer_id", "amount_monthly": "mrr"}},
    )
    assert {"customer_id", "mrr"} <= set(ds.subscriptions.columns)


def test_extra_columns_are_kept_as_attributes():
    customers = pd.DataFrame({"customer_id": ["a", "b"], "industry": ["x", "y"]})
    table, _ = contract.validate("customers", customers)
    assert "industry" in table.columns


def test_load_dataset_from_folder_with_csv_parquet_and_toml(tmp_path):
    subs().rename(columns={"mrr": "monthly"}).to_csv(
        tmp_path / "subscriptions.csv", index=False
    )
    pd.DataFrame(
        {"customer_id": ["C1", "C2", "C3"], "segment": ["a", "b", "a"]}
    ).to_parquet(tmp_path / "customers.parquet")
    (tmp_path / "dataset.toml").write_text('[columns.subscriptions]\nmonthly = "mrr"\n')
    ds = cl.load_dataset(tmp_path)
    assert ds.orders is None
    assert set(ds.tables) == {"customers", "subscriptions"}
    assert ds.info["subscriptions"].n_rows == 3
    assert "subscriptions: 3 rows" in repr(ds)
    with pytest.raises(ContractError, match="this dataset has no orders table"):
        ds.table("orders")


def test_csv_ids_keep_leading_zeros(tmp_path):
    path = tmp_path / "subscriptions.csv"
    path.write_text("customer_id,start,mrr\n007,2026-01-01,5\n010,2026-01-02,6\n")
    out = engine.execute(contract.table(str(path), "subscriptions"))
    assert out["customer_id"].tolist() == ["007", "010"]


def test_load_dataset_rejects_unknown_tables_and_missing_folders(tmp_path):
    with pytest.raises(ParameterError, match="Unknown table name"):
        cl.load_dataset({"subscription": subs()})
    with pytest.raises(ParameterError, match="does not exist"):
        cl.load_dataset(tmp_path / "nope")
    with pytest.raises(ParameterError, match="holds no contract table"):
        cl.load_dataset(tmp_path)


def test_refunds_are_counted_and_reported_not_dropped_silently():
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "ordered_at": ["2026-01-01", "2026-01-05", "2026-01-07"],
            "amount": [10.0, -10.0, 5.0],
        }
    )
    ds = cl.load_dataset({"orders": orders})
    assert ds.info["orders"].excluded == {"refunds": 1}
    with pytest.warns(ChurnlabWarning, match="1 refund rows excluded"):
        kept = engine.execute(contract.purchases(ds))
    assert len(kept) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine.execute(contract.purchases(ds.orders.filter(ds.orders.amount > 0)))


# -- one test per validation case ---------------------------------------------------


def test_missing_required_column_suggests_a_mapping():
    err = raises(
        "subscriptions",
        subs().rename(columns={"mrr": "MRR"}),
        column="mrr",
        problem="required column is missing",
    )
    assert "columns={'subscriptions': {'MRR': 'mrr'}}" in str(err)


def test_wrong_type_number():
    err = raises(
        "subscriptions",
        subs(mrr=["10", "twenty", "30"]),
        column="mrr",
        problem="not a number",
        n_rows=1,
    )
    assert "twenty" in str(err)


def test_null_ids():
    raises(
        "subscriptions",
        subs(customer_id=["C1", None, None]),
        column="customer_id",
        problem="missing",
        n_rows=2,
    )


def test_unparseable_dates():
    err = raises(
        "subscriptions",
        subs(start=["2026-01-01", "31/02/2026", "soon"]),
        column="start",
        problem="cannot be parsed",
        n_rows=2,
    )
    assert "31/02/2026" in str(err) and "soon" in str(err)
    assert "ISO 8601" in str(err)


def test_mixed_time_zones():
    err = raises(
        "subscriptions",
        subs(start=["2026-01-01", "2026-02-01T10:00+02:00", "2026-03-01"]),
        column="start",
        problem="mixed time zones",
        n_rows=3,
    )
    assert "+02:00" in str(err)


def test_end_before_start():
    err = raises(
        "subscriptions",
        subs(end=[None, "2026-01-15", "2026-04-01"]),
        column="end",
        problem="end is before start",
        n_rows=1,
    )
    assert "C2" in str(err)
    assert "does not guess" in str(err)
    assert list(err.examples.columns) == ["customer_id", "start", "end"]


def test_negative_mrr():
    raises(
        "subscriptions",
        subs(mrr=[10.0, -1.0, -2.0]),
        column="mrr",
        problem="below 0",
        n_rows=2,
    )


def test_negative_amount_not_marked_refund():
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "ordered_at": ["2026-01-01"] * 2,
            "amount": [5.0, -3.0],
            "is_refund": [False, False],
        }
    )
    raises("orders", orders, column="amount", problem="is_refund is false", n_rows=1)


def test_duplicate_primary_ids():
    customers = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c", "c"]})
    err = raises(
        "customers", customers, column="customer_id", problem="duplicate id", n_rows=5
    )
    assert err.examples["customer_id"].tolist() == ["a", "c"]


def test_empty_table():
    raises("subscriptions", subs().iloc[:0], column=None, problem="empty")


def test_unknown_deal_status():
    deals = pd.DataFrame(
        {
            "deal_id": ["d1", "d2", "d3"],
            "created_at": ["2026-01-01"] * 3,
            "status": ["Won", "open", "maybe"],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    err = raises("deals", deals, column="status", problem="unknown value", n_rows=1)
    assert "open, won, lost" in str(err)


def test_deal_status_is_normalised():
    deals = pd.DataFrame(
        {
            "deal_id": ["d1", "d2"],
            "created_at": ["2026-01-01"] * 2,
            "status": [" Won", "LOST"],
            "amount": [1.0, 2.0],
        }
    )
    out = engine.execute(contract.table(deals, "deals"))
    assert out["status"].tolist() == ["won", "lost"]


def test_nps_score_out_of_range_and_not_whole():
    nps = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "at": ["2026-01-01"] * 3,
            "score": [11, 5, 7.5],
        }
    )
    err = raises("nps", nps, column="score", problem="not a whole number", n_rows=1)
    assert "above 10" in str(err)  # listed among the other problems


def test_bad_flag_values():
    durations = pd.DataFrame(
        {"customer_id": ["a", "b"], "tenure": [3, 4], "churned": ["Yes", "maybe"]}
    )
    raises("durations", durations, column="churned", problem="true/false", n_rows=1)
    ok = pd.DataFrame(
        {"customer_id": ["a", "b"], "tenure": [3, 4], "churned": ["Yes", "No"]}
    )
    out = engine.execute(contract.table(ok, "durations"))
    assert out["churned"].tolist() == [True, False]


def test_targets_need_owner_or_team_and_take_month_text():
    raises(
        "targets",
        pd.DataFrame({"period": ["2026-10"], "quota": [1.0]}),
        column="owner or team",
        problem="required column is missing",
    )
    out = engine.execute(
        contract.table(
            pd.DataFrame({"team": ["x"], "period": ["2026-10"], "quota": [1.0]}),
            "targets",
        )
    )
    assert out["period"].iloc[0] == pd.Timestamp("2026-10-01")


def test_mapping_an_absent_column_is_an_error():
    with pytest.raises(ContractError, match="columns= maps 'cust'"):
        contract.validate("subscriptions", subs(), columns={"cust": "customer_id"})


def test_error_is_a_value_error_and_a_churnlab_error():
    with pytest.raises(ValueError):
        contract.validate("subscriptions", subs(mrr=[-1.0, 1.0, 1.0]))
    with pytest.raises(cl.ChurnlabError):
        contract.validate("subscriptions", subs(mrr=[-1.0, 1.0, 1.0]))


def test_file_input_is_validated_too(tmp_path):
    path = tmp_path / "subscriptions.csv"
    subs(end=[None, "2026-01-15", "2026-04-01"]).to_csv(path, index=False)
    with pytest.raises(ContractError, match="end is before start in 1 row"):
        cl.load_dataset({"subscriptions": path})
