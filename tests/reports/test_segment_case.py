"""A typed segment compares case-insensitively; an unknown one lists the valid values."""

from __future__ import annotations

import pytest

import churnlab as cl
from churnlab.errors import ParameterError
from churnlab.reports.params import check_params


@pytest.fixture(scope="module")
def ds():
    return cl.sample_dataset()


def test_lower_case_segment_finds_the_data_spelling(ds):
    segs = ds.customers.select("segment").distinct().to_pandas()["segment"]
    name = sorted(segs)[0]
    p = check_params(dataset=ds, segment=name.lower(), month="2025-06")
    assert p.segment == name
    got = p.dataset.customers.select("segment").distinct().to_pandas()["segment"]
    assert got.tolist() == [name]


def test_unknown_segment_lists_the_values(ds):
    with pytest.raises(ParameterError, match="segments are"):
        check_params(dataset=ds, segment="nope", month="2025-06")
