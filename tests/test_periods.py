"""Periods: half-open intervals, frequencies, as-of dates and the spine."""

from __future__ import annotations

import pandas as pd
import pytest

from churnlab import periods
from churnlab.errors import ParameterError


@pytest.mark.parametrize(
    ("freq", "start", "end"),
    [
        ("D", "2026-10-31", "2026-11-01"),
        (
            "W",
            "2026-10-26",
            "2026-11-02",
        ),  # 2026-10-31 is a Saturday; weeks start Monday
        ("M", "2026-10-01", "2026-11-01"),
        ("Q", "2026-10-01", "2027-01-01"),
        ("Y", "2026-01-01", "2027-01-01"),
    ],
)
def test_period_start_and_end(freq, start, end):
    ts = pd.Timestamp("2026-10-31 15:30")
    assert periods.period_start(ts, freq) == pd.Timestamp(start)
    assert periods.period_end(pd.Timestamp(start), freq) == pd.Timestamp(end)
    series = periods.period_start(pd.Series([ts]), freq)
    assert series.iloc[0] == pd.Timestamp(start)


def test_check_freq_explains_pandas_aliases():
    assert periods.check_freq("M") == "M"
    with pytest.raises(ParameterError, match='pandas alias; churnlab spells it "M"'):
        periods.check_freq("MS")
    with pytest.raises(ParameterError, match='upper case: "M"'):
        periods.check_freq("m")
    with pytest.raises(ParameterError, match="not a period unit"):
        periods.check_freq("fortnight")


def test_as_of_names_a_whole_day():
    assert periods.parse_date("2026-10-31") == pd.Timestamp("2026-10-31")
    assert periods.cutoff(pd.Timestamp("2026-10-31")) == pd.Timestamp("2026-11-01")
    with pytest.raises(ParameterError, match="time of day"):
        periods.parse_date("2026-10-31 12:00")
    with pytest.raises(ParameterError, match="not a date"):
        periods.parse_date("last tuesday")


@pytest.mark.parametrize(
    ("latest", "freq", "expected"),
    [
        (
            "2026-10-31 23:00",
            "M",
            "2026-10-31",
        ),  # data through 31 Oct: October complete
        ("2026-10-30", "M", "2026-09-30"),  # 31 Oct unknown: October incomplete
        ("2026-11-01 00:00", "M", "2026-10-31"),  # a November stamp: still only October
        ("2026-10-31", "Q", "2026-09-30"),
        ("2026-12-31", "Q", "2026-12-31"),
        (
            "2026-11-01",
            "W",
            "2026-11-01",
        ),  # Sunday: the week ending that day is complete
    ],
)
def test_default_as_of_is_end_of_last_complete_period(latest, freq, expected):
    got = periods.resolve_as_of(None, latest=pd.Timestamp(latest), freq=freq)
    assert got == pd.Timestamp(expected)


def test_explicit_as_of_wins_and_missing_data_is_an_error():
    got = periods.resolve_as_of("2026-06-30", latest=pd.Timestamp("2026-10-31"))
    assert got == pd.Timestamp("2026-06-30")
    with pytest.raises(ParameterError, match="cannot be inferred"):
        periods.resolve_as_of(None, latest=None)


def test_parse_month():
    assert periods.parse_month("2026-10") == pd.Timestamp("2026-10-01")
    for bad in ("2026-13", "2026-1", "Oct 2026", None):
        with pytest.raises(ParameterError, match="YYYY-MM"):
            periods.parse_month(bad)


def test_spine_holds_complete_periods_only():
    spine = periods.spine(pd.Timestamp("2026-01-15"), pd.Timestamp("2026-04-29"), "M")
    assert spine["period"].dt.strftime("%Y-%m").tolist() == [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert (spine["period_end"] == spine["period"].shift(-1)).iloc[:-1].all()
    assert spine["period"].dtype == "datetime64[ns]"
    assert periods.spine(
        pd.Timestamp("2026-04-02"), pd.Timestamp("2026-04-29"), "M"
    ).empty


@pytest.mark.parametrize(
    ("value", "freq", "start", "end", "label"),
    [
        ("2026-10", "M", "2026-10-01", "2026-11-01", "2026-10"),
        ("2026-Q3", "M", "2026-07-01", "2026-10-01", "2026-Q3"),
        ("2026-q4", "M", "2026-10-01", "2027-01-01", "2026-Q4"),
        ("2026", "M", "2026-01-01", "2027-01-01", "2026"),
        ("2026-10-15", "M", "2026-10-01", "2026-11-01", "2026-10"),
        ("2026-10-15", "Q", "2026-10-01", "2027-01-01", "2026-Q4"),
        ("2026-10-15", "W", "2026-10-12", "2026-10-19", "2026-10-12"),
        (("2026-10-01", "2026-10-14"), "M", "2026-10-01", "2026-10-15", None),
    ],
)
def test_parse_period_grammar(value, freq, start, end, label):
    got = periods.parse_period(value, freq=freq)
    assert got.start == pd.Timestamp(start)
    assert got.end == pd.Timestamp(end)
    assert got.as_of == pd.Timestamp(end) - pd.Timedelta(days=1)
    if label is not None:
        assert got.label == label


@pytest.mark.parametrize(
    "bad", ["2026-13", "2026-Q5", "Oct 2026x", 12, ("2026-10-02", "2026-10-01")]
)
def test_parse_period_rejects(bad):
    with pytest.raises(ParameterError):
        periods.parse_period(bad)


def test_last_complete_period_and_default_window():
    assert periods.last_complete_period(
        pd.Timestamp("2026-10-31"), "M"
    ) == pd.Timestamp("2026-10-01")
    assert periods.last_complete_period(
        pd.Timestamp("2026-10-30"), "M"
    ) == pd.Timestamp("2026-09-01")
    assert periods.check_days(periods.DEFAULT_INACTIVITY_DAYS) == 90
    with pytest.raises(ParameterError, match="inactivity_days"):
        periods.check_days(0)
