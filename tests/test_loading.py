"""Loading data as written: dates, time zones, duplicates, ids, exclusions, files.

Each test here failed before the loader read timestamps and ids as text, took
one snapshot of the files and counted what it dropped.
"""

from __future__ import annotations

import gzip
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import churnlab as cl
from churnlab import contract, engine
from churnlab.errors import ChurnlabWarning, ContractError, ParameterError
from tests.conftest import real_file

D = pd.Timestamp
RAVEN = Path(__file__).resolve().parents[1].parent / (
    "shared/data/public_synthetic/ravenstack"
)
OLIST = real_file("olist_funnel")


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def orders_csv(tmp_path: Path, dates: list[str], name="orders.csv") -> Path:
    rows = "\n".join(
        f"O{i},C{i % 3},{d},{10 + i}" for i, d in enumerate(dates, start=1)
    )
    return write(tmp_path / name, "order_id,customer_id,ordered_at,amount\n" + rows)


def load_orders(path: Path, **kw) -> pd.DataFrame:
    return engine.execute(cl.load_dataset({"orders": path}, **kw).orders)


# ------------------------------------------------------- 1. dates as written


def test_dd_mm_yy_is_not_read_as_yy_mm_dd(tmp_path):
    # DuckDB's sniffer read these as yy.mm.dd (2031-10-26...): now an error
    path = orders_csv(tmp_path, ["31.10.26", "01.10.26", "15.09.26", "02.10.26"])
    with pytest.raises(ContractError) as info:
        load_orders(path)
    err = info.value
    assert (err.table, err.column) == ("orders", "ordered_at")
    assert "no format is stated" in err.problem and err.n_rows == 4
    msg = str(err)
    assert "31.10.26" in msg
    # the exact setting that fixes it, both ways
    assert "formats={'orders': {'ordered_at': '%d.%m.%y'}}" in msg
    assert '[formats.orders]\nordered_at = "%d.%m.%y"' in msg
    assert "several formats" in msg  # %y.%m.%d fits too: the user must say
    out = load_orders(path, formats={"orders": {"ordered_at": "%d.%m.%y"}})
    assert out["ordered_at"].tolist() == [
        D("2026-10-31"),
        D("2026-10-01"),
        D("2026-09-15"),
        D("2026-10-02"),
    ]


def test_us_dates_on_the_first_read_with_the_stated_format(tmp_path):
    # DuckDB read 10/01/2026 as 10 January: October showed no orders
    path = orders_csv(tmp_path, ["10/01/2026", "10/01/2026", "09/30/2026"])
    with pytest.raises(ContractError, match="%m/%d/%Y"):
        load_orders(path)
    out = load_orders(path, formats={"orders": "%m/%d/%Y"})  # table-wide
    assert out["ordered_at"].dt.month.tolist() == [10, 10, 9]


def test_formats_from_dataset_toml(tmp_path):
    orders_csv(tmp_path, ["31.10.2026 14:05", "01.10.2026 09:00"])
    write(
        tmp_path / "dataset.toml",
        '[formats.orders]\nordered_at = "%d.%m.%Y %H:%M"\n',
    )
    out = engine.execute(cl.load_dataset(tmp_path).orders)
    assert out["ordered_at"].tolist() == [D("2026-10-31 14:05"), D("2026-10-01 09:00")]


def test_a_value_not_matching_the_stated_format_is_named(tmp_path):
    path = orders_csv(tmp_path, ["31.10.2026", "2026-10-01"])
    with pytest.raises(ContractError, match="does not match the stated format"):
        load_orders(path, formats={"orders": "%d.%m.%Y"})


def test_bad_formats_are_parameter_errors(tmp_path):
    path = orders_csv(tmp_path, ["2026-10-01"])
    with pytest.raises(ParameterError, match="not a timestamp column"):
        load_orders(path, formats={"orders": {"amount": "%d"}})
    with pytest.raises(ParameterError, match="not a strptime format"):
        load_orders(path, formats={"orders": "dd.mm.yy"})
    with pytest.raises(ParameterError, match="not a contract table"):
        load_orders(path, formats={"order": "%d"})


def test_excel_dates_after_the_sniffer_sample_are_a_contract_error(tmp_path):
    # 25,000 ISO dates, then spreadsheet serial numbers: the sniffer typed the
    # column DATE from its sample and the read died with a ConversionException
    dates = ["2026-10-01"] * 25_000 + ["46296", "46297"]
    path = orders_csv(tmp_path, dates)
    with pytest.raises(ContractError) as info:
        load_orders(path)
    assert info.value.n_rows == 2
    assert "serial day numbers" in str(info.value)


def test_a_number_column_broken_after_the_sample_is_a_contract_error(tmp_path):
    dates = ["2026-10-01"] * 25_000
    path = orders_csv(tmp_path, dates)
    path.write_text(path.read_text() + "\nO9,C1,2026-10-02,ten euros")
    with pytest.raises(ContractError, match="value is not a number in 1 row"):
        load_orders(path)


# ------------------------------------------------------------- 2. time zones


def test_mixed_zones_are_caught_when_offsets_come_first(tmp_path):
    # offsets first: DuckDB typed the column TIMESTAMPTZ and the naive rows
    # were taken as UTC with no error
    rows = ["2026-10-01T10:00:00+02:00"] * 3 + ["2026-10-09 10:00:00"] * 2
    path = orders_csv(tmp_path, rows)
    with pytest.raises(ContractError, match="mixed time zones") as info:
        load_orders(path)
    assert "2026-10-09 10:00:00" in str(info.value)


def test_parquet_timestamps_with_a_zone_are_converted_to_utc(tmp_path):
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "start": pd.to_datetime(
                ["2026-10-01 00:30", "2026-07-01 00:00"]
            ).tz_localize("Europe/Berlin"),
            "mrr": [1.0, 2.0],
        }
    )
    frame.to_parquet(tmp_path / "subscriptions.parquet")
    out = engine.execute(cl.load_dataset(tmp_path).subscriptions)
    assert out["start"].tolist() == [D("2026-09-30 22:30"), D("2026-06-30 22:00")]


def test_tz_in_dataset_toml_is_validated(tmp_path):
    orders_csv(tmp_path, ["2026-10-01"])
    write(tmp_path / "dataset.toml", 'tz = "Europe/Berln"\n')
    with pytest.raises(ParameterError, match="Europe/Berlin"):
        cl.load_dataset(tmp_path)
    write(tmp_path / "dataset.toml", "tz = 2\n")
    with pytest.raises(ParameterError, match="tz must be text"):
        cl.load_dataset(tmp_path)
    with pytest.raises(ParameterError, match="not a time zone"):
        cl.load_dataset({"orders": tmp_path / "orders.csv"}, tz="CEST")


# ------------------------------------------------------- 3. duplicates, ids


def test_exact_duplicate_rows_raise_or_are_dropped_with_a_count(tmp_path):
    path = orders_csv(tmp_path, ["2026-10-01", "2026-10-02", "2026-10-03"])
    text = path.read_text()
    path.write_text(text + "\n" + "\n".join(text.splitlines()[1:3]))  # O1, O2 again
    with pytest.raises(ContractError, match="exact duplicate rows") as info:
        load_orders(path)
    assert info.value.n_rows == 2 and "O1" in str(info.value)
    with pytest.warns(ChurnlabWarning, match="orders: 2 rows \\(exact duplicate"):
        ds = cl.load_dataset({"orders": path}, errors="exclude")
    assert ds.info["orders"].n_rows == 3
    assert ds.info["orders"].dropped == {"exact duplicate rows": 2}
    assert engine.execute(ds.orders)["amount"].sum() == 11 + 12 + 13


def test_identical_order_lines_without_row_ids_are_kept_and_counted():
    # two lines of one invoice with the same amount are two real lines
    lines = pd.DataFrame(
        {
            "order_id": ["I1", "I1", "I1", "I2"],
            "customer_id": ["a", "a", "a", "b"],
            "ordered_at": ["2026-10-01"] * 4,
            "amount": [5.0, 5.0, 7.0, 1.0],
        }
    )
    ds = cl.load_dataset({"orders": lines})
    assert ds.info["orders"].n_rows == 4
    assert ds.info["orders"].notes["identical rows kept"] == 1


def test_float_looking_ids_match_across_tables_and_sources(tmp_path):
    write(tmp_path / "customers.csv", "customer_id,segment\n12345,smb\n7,ent\n")
    write(
        tmp_path / "orders.csv",
        "customer_id,ordered_at,amount\n12345.0,2026-10-01,5\n7.0,2026-10-02,3\n",
    )
    ds = cl.load_dataset(tmp_path)
    assert sorted(engine.execute(ds.orders)["customer_id"]) == ["12345", "7"]
    assert ds.info["orders"].notes["customer not in customers"] == 0
    pd.DataFrame(
        {"customer_id": [12345.0, 7.0], "ordered_at": ["2026-10-01"] * 2}
    ).assign(amount=1.0).to_parquet(tmp_path / "orders.parquet")
    (tmp_path / "orders.csv").unlink()
    ds = cl.load_dataset(tmp_path)
    assert sorted(engine.execute(ds.orders)["customer_id"]) == ["12345", "7"]


def test_rows_whose_customer_is_missing_are_counted():
    customers = pd.DataFrame({"customer_id": ["a", "b"]})
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "x", "y", "y"],
            "ordered_at": ["2026-10-01"] * 4,
            "amount": [1.0, 2.0, 3.0, 4.0],
        }
    )
    ds = cl.load_dataset({"customers": customers, "orders": orders})
    assert ds.info["orders"].notes["customer not in customers"] == 3


# ------------------------------------------------- 4. counted exclusion of rows


def test_errors_exclude_drops_only_failing_rows_and_counts_them_per_rule():
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", None, "C3", "C4", "C5"],
            "start": ["2026-01-01", "2026-01-01", "2026-03-05", "2026-02-01", "x"],
            "end": [None, None, "2026-01-01", None, None],
            "mrr": [10.0, 20.0, 30.0, -1.0, 5.0],
        }
    )
    with pytest.raises(ContractError):
        cl.load_dataset({"subscriptions": frame})  # the default stays "raise"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = cl.load_dataset({"subscriptions": frame}, errors="exclude")
    mine = [w for w in caught if issubclass(w.category, ChurnlabWarning)]
    assert len(mine) == 1  # warned once, with the counts
    assert "subscriptions: 1 row (customer_id: id is missing (null))" in str(
        mine[0].message
    )
    info = ds.info["subscriptions"]
    assert info.n_rows == 1 and info.n_dropped == 4
    assert info.dropped == {
        "customer_id: id is missing (null)": 1,
        "start: timestamp cannot be parsed as ISO 8601, and no format is stated": 1,
        "mrr: value is below 0": 1,
        "end: end is before start": 1,
    }
    assert engine.execute(ds.subscriptions)["customer_id"].tolist() == ["C1"]


def test_errors_exclude_still_raises_on_column_problems():
    frame = pd.DataFrame({"customer_id": ["a"], "start": ["2026-01-01"]})
    with pytest.raises(ContractError, match="required column is missing"):
        cl.load_dataset({"subscriptions": frame}, errors="exclude")
    with pytest.raises(ParameterError, match="errors='drop'"):
        cl.load_dataset({"subscriptions": frame}, errors="drop")


def test_errors_exclude_drops_every_row_of_a_duplicate_id():
    deals = pd.DataFrame(
        {
            "deal_id": ["D1", "D1", "D2"],
            "created_at": ["2026-01-01"] * 3,
            "status": ["won", "lost", "open"],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    with pytest.warns(ChurnlabWarning, match="duplicate id"):
        ds = cl.load_dataset({"deals": deals}, errors="exclude")
    assert ds.info["deals"].dropped == {"deal_id: duplicate id": 2}
    assert engine.execute(ds.deals)["deal_id"].tolist() == ["D2"]


@pytest.mark.real
@pytest.mark.skipif(
    not (OLIST / "olist_closed_deals_dataset.csv").exists(),
    reason="Olist funnel not found in ../shared/data/real/olist_funnel",
)
def test_olist_loads_with_errors_exclude_and_reports_one_excluded_deal(tmp_path):
    # The folder holds the raw Kaggle files; deals are built as the sales
    # functions read them: created at first contact, closed (won) at won_date.
    mql = pd.read_csv(OLIST / "olist_marketing_qualified_leads_dataset.csv")
    won = pd.read_csv(OLIST / "olist_closed_deals_dataset.csv")
    m = won.merge(mql, on="mql_id", how="left")
    deals = pd.DataFrame(
        {
            "deal_id": m["mql_id"],
            "created_at": m["first_contact_date"],
            "status": "won",
            "amount": m["declared_monthly_revenue"],
            "closed_at": m["won_date"],
            "segment": m["business_segment"],
        }
    )
    deals.to_csv(tmp_path / "deals.csv", index=False)
    with pytest.raises(ContractError, match="closed_at is before created_at in 1 row"):
        cl.load_dataset(tmp_path)
    with pytest.warns(ChurnlabWarning, match="deals: 1 row"):
        ds = cl.load_dataset(tmp_path, errors="exclude")
    info = ds.info["deals"]
    assert info.dropped == {"closed_at: closed_at is before created_at": 1}
    assert info.n_rows == 841 and info.n_dropped == 1


# ---------------------------------------------------------------- 5. [files]


@pytest.mark.skipif(
    not (RAVEN / "ravenstack_subscriptions.csv").exists(),
    reason="RavenStack not found in ../shared/data/public_synthetic/ravenstack",
)
def test_files_mapping_in_dataset_toml_on_ravenstack(tmp_path):
    write(
        tmp_path / "dataset.toml",
        f"""
[files]
subscriptions = "{RAVEN / "ravenstack_subscriptions.csv"}"
customers = "{RAVEN / "ravenstack_accounts.csv"}"

[columns.subscriptions]
account_id = "customer_id"
start_date = "start"
end_date = "end"
mrr_amount = "mrr"
plan_tier = "plan"

[columns.customers]
account_id = "customer_id"
signup_date = "signup_at"
plan_tier = "plan"
""",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        ds = cl.load_dataset(tmp_path)
    raw = pd.read_csv(RAVEN / "ravenstack_subscriptions.csv")
    assert ds.info["subscriptions"].n_rows == len(raw) == 5000
    assert ds.info["customers"].n_rows == 500
    assert ds.info["subscriptions"].notes["customer not in customers"] == 0
    subs = engine.execute(ds.subscriptions)
    assert subs["is_trial"].sum() == raw["is_trial"].sum() == 778
    assert subs["mrr"].sum() == raw["mrr_amount"].sum()
    # overlaps, computed independently: rows starting before an earlier-starting
    # spell of the same account has ended
    r = raw.assign(
        s=pd.to_datetime(raw.start_date),
        e=pd.to_datetime(raw.end_date).fillna(D("2262-01-01")),
    ).sort_values(["account_id", "s", "e"])
    prev = r.groupby("account_id")["e"].transform(lambda e: e.cummax().shift())
    want = int(((r.s < prev) & (r.e > r.s)).sum())
    assert ds.info["subscriptions"].notes["overlapping rows"] == want > 0
    assert ds.files["subscriptions"].endswith("ravenstack_subscriptions.csv")


def test_files_mapping_errors_name_the_file(tmp_path):
    write(tmp_path / "dataset.toml", '[files]\nsubscriptions = "nope.csv"\n')
    with pytest.raises(ParameterError, match="nope.csv.*does not exist"):
        cl.load_dataset(tmp_path)
    write(tmp_path / "dataset.toml", '[files]\nsubscription = "nope.csv"\n')
    with pytest.raises(ParameterError, match="not contract tables"):
        cl.load_dataset(tmp_path)


# ---------------------------------------------- 6. end, overlaps, trials


def test_a_missing_end_column_means_still_active():
    frame = pd.DataFrame(
        {"customer_id": ["a", "b"], "start": ["2026-01-01", "2026-02-01"]}
    ).assign(mrr=10.0)
    ds = cl.load_dataset({"subscriptions": frame})
    out = engine.execute(ds.subscriptions)
    assert "end" in out.columns and out["end"].isna().all()
    churn = cl.customer_churn(ds, as_of="2026-03-31")
    assert churn["customers_churned"].sum() == 0
    assert churn["customers_end"].iloc[-1] == 2


def test_overlaps_and_zero_length_rows_are_counted_and_lookalikes_warned():
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c"],
            "start": [
                "2026-01-01",
                "2026-02-01",  # overlaps a's first spell: an add-on
                "2026-05-01",  # after both ended
                "2026-01-01",
                "2026-01-01",  # same plan, mrr, start: looks like a duplicate
                "2026-03-01",
            ],
            "end": [
                "2026-03-01",
                "2026-04-01",
                None,
                None,
                "2026-06-01",
                "2026-03-01",  # zero length
            ],
            "mrr": [10.0, 5.0, 10.0, 7.0, 7.0, 3.0],
            "plan": ["pro", "seats", "pro", "pro", "pro", "pro"],
        }
    )
    with pytest.warns(ChurnlabWarning, match="2 rows share customer_id, plan"):
        ds = cl.load_dataset({"subscriptions": frame})
    notes = ds.info["subscriptions"].notes
    assert notes["overlapping rows"] == 2  # a's add-on and b's second row
    assert notes["zero-length rows"] == 1
    assert notes["duplicate-looking overlaps"] == 2


def test_is_trial_is_carried_as_a_flag():
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "start": ["2026-01-01"] * 2,
            "mrr": [0.0, 10.0],
            "is_trial": ["True", "False"],
        }
    )
    out = engine.execute(cl.load_dataset({"subscriptions": frame}).subscriptions)
    assert out["is_trial"].tolist() == [True, False]


# ------------------------------------------------- 7. named errors, not tracebacks


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty \\(0 bytes\\)"),
        ("customer_id,start,mrr\nC\xe9,2026-01-01,5\n".encode("latin-1"), "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not text"),
        (gzip.compress(b"customer_id,start,mrr\n"), "gzip-compressed"),
    ],
)
def test_unreadable_csv_files_are_named(tmp_path, content, problem):
    path = tmp_path / "subscriptions.csv"
    path.write_bytes(content)
    with pytest.raises(ContractError, match=problem) as info:
        cl.load_dataset(tmp_path)
    assert info.value.table == "subscriptions"
    assert str(path) in str(info.value) and info.value.fix


def test_a_zipped_csv_is_named(tmp_path):
    with zipfile.ZipFile(tmp_path / "subscriptions.csv", "w") as z:
        z.writestr("subscriptions.csv", "customer_id,start,mrr\n")
    with pytest.raises(ContractError, match="zip archive"):
        cl.load_dataset(tmp_path)


def test_garbage_and_empty_parquet_are_named(tmp_path):
    (tmp_path / "subscriptions.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ContractError, match="not a Parquet file"):
        cl.load_dataset(tmp_path)
    (tmp_path / "subscriptions.parquet").write_bytes(b"")
    with pytest.raises(ContractError, match="empty \\(0 bytes\\)"):
        cl.load_dataset(tmp_path)
    empty = pd.DataFrame(
        {"customer_id": pd.Series([], dtype=str), "start": [], "mrr": []}
    )
    empty.to_parquet(tmp_path / "subscriptions.parquet")
    with pytest.raises(ContractError, match="the table is empty"):
        cl.load_dataset(tmp_path)


def test_a_header_only_csv_is_empty(tmp_path):
    write(tmp_path / "subscriptions.csv", "customer_id,start,mrr\n")
    with pytest.raises(ContractError, match="the table is empty"):
        cl.load_dataset(tmp_path)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('columns = "x"\n', "one section per table"),
        (b"\x00\x01\x02binary", "not text|not UTF-8"),
        (b"\xff\xfe garbage \xff", "not UTF-8"),
        ("tz = \n", "not valid TOML"),
        ("colums = {}\n", "unknown setting"),
    ],
)
def test_malformed_dataset_toml_is_a_parameter_error(tmp_path, toml, message):
    write(tmp_path / "subscriptions.csv", "customer_id,start,mrr\nC1,2026-01-01,5\n")
    path = tmp_path / "dataset.toml"
    path.write_bytes(toml if isinstance(toml, bytes) else toml.encode())
    with pytest.raises(ParameterError, match=message) as info:
        cl.load_dataset(tmp_path)
    assert "dataset.toml" in str(info.value)


def test_dataset_toml_with_a_bom_is_read_and_a_folder_is_named(tmp_path):
    write(tmp_path / "subscriptions.csv", "cust,start,mrr\nC1,2026-01-01,5\n")
    (tmp_path / "dataset.toml").write_bytes(
        "\ufeff[columns.subscriptions]\ncust = 'customer_id'\n".encode()
    )
    assert cl.load_dataset(tmp_path).info["subscriptions"].n_rows == 1
    (tmp_path / "dataset.toml").unlink()
    (tmp_path / "dataset.toml").mkdir()
    with pytest.raises(ParameterError, match="is not a file"):
        cl.load_dataset(tmp_path)


def test_null_id_examples_show_the_whole_row_and_its_line(tmp_path):
    write(
        tmp_path / "subscriptions.csv",
        "customer_id,start,mrr,plan\nC1,2026-01-01,5,pro\n,2026-02-03,7,basic\n"
        "C3,2026-01-01,5,pro\n",
    )
    with pytest.raises(ContractError, match="id is missing") as info:
        cl.load_dataset(tmp_path)
    ex = info.value.examples
    assert ex["line"].tolist() == [3]  # line 1 is the header
    assert "end" not in ex.columns  # added by the contract, not in the file
    assert ex[["start", "mrr", "plan"]].values.tolist() == [["2026-02-03", 7, "basic"]]


# ------------------------------------------------------ 8. one snapshot per run


def test_a_loaded_dataset_is_one_snapshot_and_verifies_its_files(tmp_path):
    path = write(
        tmp_path / "subscriptions.csv",
        "customer_id,start,mrr\nC1,2026-01-01,5\nC2,2026-01-01,7\n",
    )
    ds = cl.load_dataset(tmp_path)
    ds.verify_unchanged()  # nothing changed yet
    before = cl.mrr_movements(ds, as_of="2026-03-31")
    # valid newer data swapped in mid-run
    path.write_text("customer_id,start,mrr\nC1,2026-01-01,500\nC9,2026-01-01,1\n")
    after = cl.mrr_movements(ds, as_of="2026-03-31")
    pd.testing.assert_frame_equal(before, after)
    assert engine.execute(ds.subscriptions)["mrr"].tolist() == [5.0, 7.0]
    with pytest.raises(ContractError, match="changed on disk") as info:
        ds.verify_unchanged()
    assert str(path) in str(info.value)


def test_metric_calls_on_a_dataset_do_not_validate_again(monkeypatch):
    frame = pd.DataFrame(
        {"customer_id": ["a", "b"], "start": ["2026-01-01", "2026-02-01"]}
    ).assign(mrr=10.0, end=None)
    ds = cl.load_dataset({"subscriptions": frame})
    calls = []
    real = contract.validate
    monkeypatch.setattr(
        contract, "validate", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    cl.customer_churn(ds, as_of="2026-03-31")
    cl.customer_churn(ds, as_of="2026-03-31")
    cl.mrr_movements(ds, as_of="2026-03-31")
    assert calls == []
