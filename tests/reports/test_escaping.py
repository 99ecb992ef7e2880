"""Hostile data: script and attribute payloads in every text column reach no page live.

Every text column of every table a report reads is salted with a payload (ids
included, consistently across tables); both reports are run, one of them for a
payload segment, and the published HTML must hold each payload only escaped.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from churnlab.reports import runner
from tests.conftest import ROOT

SAMPLE = ROOT / "churnlab" / "sample" / "data"

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "<b onmouseover=alert(4)>*bold*</b>",
]
#: Raw markup that must never appear in a page (it would run or render).
FORBIDDEN = ["<script>alert", "<img src=x", "<svg onload", "<b onmouseover"]

#: (table, column): every text column a report may show, ids included.
COLUMNS = {
    "customers": ["customer_id", "segment", "country", "channel", "plan"],
    "subscriptions": ["customer_id", "plan", "billing"],
    "orders": ["customer_id", "location"],
    "churn_reasons": ["customer_id", "reason", "comment"],
    "nps": ["customer_id"],
    "deals": ["customer_id", "owner", "source", "region", "segment"],
    "targets": ["owner"],
    "activities": ["owner"],
    "leads": ["source"],
}


def _salt(value: object, column: str) -> object:
    if pd.isna(value):
        return value
    text = str(value)
    if column in ("customer_id", "owner", "segment"):
        # the same id or name gets the same payload in every table
        return text + PAYLOADS[sum(map(ord, text)) % len(PAYLOADS)]
    return text + PAYLOADS[len(text) % len(PAYLOADS)]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    for path in SAMPLE.iterdir():
        if path.suffix == ".csv" or path.name == "dataset.toml":
            shutil.copy(path, folder / path.name)
    for table, cols in COLUMNS.items():
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        for col in cols:
            if col in frame:
                frame[col] = [
                    _salt(v, col) if v != "" else v for v in frame[col].tolist()
                ]
        frame.to_csv(folder / f"{table}.csv", index=False)
    return folder


def _check(page: str) -> None:
    for raw in FORBIDDEN:
        assert raw not in page, f"{raw!r} reached the page unescaped"
    assert "&lt;script&gt;alert" in page  # the payloads did reach the page


def test_churn_report_escapes_every_payload(hostile, tmp_path):
    result = runner.run_report("churn", data_dir=hostile, out=tmp_path, progress=False)
    page = result.html.read_text()
    _check(page)
    # the lost-accounts CSV keeps the data as it is (it is data, not a page)
    csv = (result.folder / "lost_mrr_accounts.csv").read_text()
    assert "<" in csv


def test_sales_report_for_a_payload_segment_escapes_it(hostile, tmp_path):
    segment = "Mid-Market" + PAYLOADS[sum(map(ord, "Mid-Market")) % len(PAYLOADS)]
    result = runner.run_report(
        "sales", data_dir=hostile, segment=segment, out=tmp_path, progress=False
    )
    page = result.html.read_text()
    for raw in FORBIDDEN:
        assert raw not in page
    title = page[page.index("<title>") : page.index("</title>")]
    assert "<" not in title[len("<title>") :]
    index = (tmp_path / "index.html").read_text()
    for raw in FORBIDDEN:
        assert raw not in index
