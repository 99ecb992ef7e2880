"""Hypothesis strategies for contract tables (small, on DuckDB)."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

BASE = pd.Timestamp("2026-01-01")


@st.composite
def subscriptions(draw, max_customers: int = 6, max_rows: int = 12) -> pd.DataFrame:
    """Subscription rows: day offsets within ~8 months, some open, some touching."""
    n = draw(st.integers(1, max_rows))
    rows = []
    for _ in range(n):
        cid = f"c{draw(st.integers(0, max_customers - 1))}"
        start = draw(st.integers(0, 240))
        length = draw(st.one_of(st.none(), st.integers(0, 200)))
        mrr = draw(st.sampled_from([0.0, 9.99, 10.0, 25.5, 100.0, 1234.56]))
        rows.append(
            {
                "customer_id": cid,
                "start": BASE + pd.Timedelta(days=start),
                "end": None
                if length is None
                else BASE + pd.Timedelta(days=start + length),
                "mrr": mrr,
            }
        )
    frame = pd.DataFrame(rows)
    frame["end"] = pd.to_datetime(frame["end"])
    # an exact repeat of a row is a contract error (counted twice in every sum)
    return frame.drop_duplicates(ignore_index=True)


@st.composite
def orders(draw, max_customers: int = 6, max_rows: int = 20) -> pd.DataFrame:
    """Order rows within ~8 months, with occasional refunds."""
    n = draw(st.integers(1, max_rows))
    rows = []
    for _ in range(n):
        refund = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
        rows.append(
            {
                "customer_id": f"c{draw(st.integers(0, max_customers - 1))}",
                "ordered_at": BASE
                + pd.Timedelta(
                    days=draw(st.integers(0, 240)), hours=draw(st.integers(0, 23))
                ),
                "amount": -5.0 if refund else float(draw(st.integers(1, 500))),
                "is_refund": refund,
            }
        )
    return pd.DataFrame(rows)
