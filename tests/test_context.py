"""The published-ranges table: every row sourced, ranges sane, matching strict."""

import pandas as pd
import pytest

import churnlab as cl
from churnlab.errors import ParameterError


def test_every_row_has_source_year_and_caveat():
    table = cl.benchmarks()
    assert len(table) >= 8
    for col in ("source", "year", "caveat", "segment", "period"):
        assert table[col].astype(str).str.strip().str.len().gt(0).all(), col
    assert (table["low"] <= table["high"]).all()
    assert table[["low", "high"]].stack().between(0, 1.5).all()  # fractions


def test_small_business_vs_enterprise_range_as_quoted():
    table = cl.benchmarks().set_index(["metric", "segment"])
    assert tuple(table.loc[("customer_churn_rate", "SMB"), ["low", "high"]]) == (
        0.31,
        0.58,
    )
    assert tuple(table.loc[("customer_churn_rate", "Enterprise"), ["low", "high"]]) == (
        0.06,
        0.10,
    )


def test_context_matches_segment_only():
    assert cl.benchmark_context("customer_churn_rate", 0.5, segment="SMB").shape[0]
    assert cl.benchmark_context("customer_churn_rate", 0.5, segment="Retail").empty
    assert cl.benchmark_context("nrr", 1.1, segment="b2b saas")[
        "position"
    ].tolist() == ["above"]


def test_monthly_churn_is_annualised_not_multiplied():
    row = cl.benchmark_context(
        "customer_churn_rate", 0.006, segment="Enterprise", period="monthly"
    )
    assert row["value"].iloc[0] == pytest.approx(1 - 0.994**12)
    assert row["position"].iloc[0] == "within"
    assert "annualised" in row["note"].iloc[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metric": "ltv", "value": 1.0, "segment": "SMB"}, "no published range"),
        ({"metric": "nrr", "value": float("nan"), "segment": "SMB"}, "number"),
        (
            {"metric": "nrr", "value": 1.0, "segment": "SMB", "period": "monthly"},
            "annual figure",
        ),
        ({"metric": "nrr", "value": 1.0, "segment": "SMB", "period": "w"}, "annual"),
    ],
)
def test_bad_calls_say_why(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        cl.benchmark_context(**kwargs)


def test_table_is_a_fresh_copy():
    a = cl.benchmarks()
    a.loc[0, "low"] = 9
    assert cl.benchmarks().loc[0, "low"] != 9
    assert isinstance(a, pd.DataFrame)
