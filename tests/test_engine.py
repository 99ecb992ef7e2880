"""Engine: every accepted input, only small results back, DuckDB/PySpark parity."""

from __future__ import annotations

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from churnlab import contract, engine, states
from churnlab.errors import ParameterError

FRAME = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "c", "d", "e"],
        "start": pd.to_datetime(
            [
                "2026-01-01",
                "2026-02-15",
                "2026-01-10",
                "2026-01-05",
                "2026-03-01",
                "2026-01-31 23:59:59",
            ],
            format="ISO8601",
        ),
        "end": pd.to_datetime(
            ["2026-02-15", None, "2026-02-01", "2026-01-20", "2026-04-01", "2026-05-31"]
        ),
        "mrr": [10.0, 20.0, 5.0, 7.0, 9.0, 3.33],
    }
)


def count(obj) -> int:
    return int(engine.scalar(engine.to_table(obj).count()))


def test_accepts_frames_arrow_files_folders_globs_and_ibis_tables(tmp_path):
    FRAME.to_csv(tmp_path / "subs.csv", index=False)
    (tmp_path / "parts").mkdir()
    FRAME.iloc[:3].to_parquet(tmp_path / "parts" / "a.parquet")
    FRAME.iloc[3:].to_parquet(tmp_path / "parts" / "b.parquet")
    assert count(FRAME) == 6
    assert count(pa.Table.from_pandas(FRAME)) == 6
    assert count(tmp_path / "subs.csv") == 6
    assert count(str(tmp_path / "parts")) == 6
    assert count(str(tmp_path / "parts" / "*.parquet")) == 6
    con = engine.connect("duckdb")
    assert count(engine.load(con, "subs", FRAME)) == 6


def test_file_paths_are_read_by_duckdb_not_pandas(tmp_path, monkeypatch):
    FRAME.to_parquet(tmp_path / "subs.parquet")

    def boom(*args, **kwargs):  # pragma: no cover - must not be called
        raise AssertionError("pandas must not read the file")

    monkeypatch.setattr(pd, "read_parquet", boom)
    monkeypatch.setattr(pd, "read_csv", boom)
    table = engine.to_table(tmp_path / "subs.parquet")
    assert engine.backend_name(table) == "duckdb"
    assert count(table) == 6


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(ParameterError, match="Cannot read a list"):
        engine.to_table([1, 2])
    with pytest.raises(ParameterError, match="No .csv or .parquet file found"):
        engine.to_table(tmp_path / "missing.csv")
    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(ParameterError, match="only .csv or only .parquet"):
        engine.to_table(str(tmp_path / "*.json"))
    with pytest.raises(ParameterError, match="backend='sqlite'"):
        engine.connect("sqlite")


def _builder(subs: ibis.Table) -> ibis.Table:
    spans = states.subscription_intervals(subs)
    return states.changes(spans, freq="M", cutoff=pd.Timestamp("2026-07-01"))


def test_same_expression_same_result_on_each_backend(con):
    """The change-point builder gives identical rows on DuckDB and PySpark."""
    table = contract.table(engine.load(con, "subs_parity", FRAME), "subscriptions")
    assert engine.backend_name(table) == con.name
    got = engine.execute(_builder(table))
    expected = engine.execute(_builder(contract.table(FRAME, "subscriptions")))
    keys = ["customer_id", "boundary"]
    got = got.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # e starts one second before 1 Feb: active at 1 Feb, so new in January
    e_rows = got[got["customer_id"] == "e"]
    assert e_rows["period"].min() == pd.Timestamp("2026-01-01")


def test_validation_runs_on_each_backend(con):
    bad = FRAME.assign(mrr=[10.0, -1.0, 5.0, 7.0, 9.0, 1.0])
    from churnlab.errors import ContractError

    with pytest.raises(ContractError, match="below 0 in 1 row"):
        contract.table(engine.load(con, "subs_bad", bad), "subscriptions")


def test_duckdb_memory_limit_and_spill_folder(tmp_path, monkeypatch):
    con = engine.connect(
        "duckdb", memory_limit="1GB", temp_directory=str(tmp_path / "spill")
    )
    limit = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    temp = con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0]
    assert (
        limit.endswith(("MiB", "GiB", "MB", "GB")) and float(limit.split()[0]) < 1.1e3
    )
    assert temp == str(tmp_path / "spill")
    monkeypatch.setenv("CHURNLAB_MEMORY_LIMIT", "2GB")
    monkeypatch.setenv("CHURNLAB_TEMP_DIR", str(tmp_path / "o'spill"))
    con = engine.connect("duckdb")
    limit = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    temp = con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0]
    assert float(limit.split()[0]) > 1.0 and temp == str(tmp_path / "o'spill")
