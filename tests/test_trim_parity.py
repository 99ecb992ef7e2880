"""Text is trimmed of white space alone, on every backend.

Ibis's ``strip()`` spells white space as an SQL literal that Spark reads with
``v`` and ``f`` as letters, so ids such as ``"f"`` came back empty on Spark; the
contract trims with a regular expression instead.
"""

import pandas as pd

import churnlab as cl
from churnlab import engine


def test_ids_and_categories_keep_their_letters(con):
    subs = pd.DataFrame(
        {
            "customer_id": ["f", " v ", "prof\t", "fav", "12.0"],
            "start": pd.to_datetime(["2026-01-01"] * 5),
            "mrr": [10.0] * 5,
        }
    )
    table = engine.load(con, "trim_parity_subs", subs)
    ds = cl.load_dataset({"subscriptions": table})
    got = engine.execute(ds.subscriptions)["customer_id"].tolist()
    assert got == ["f", "v", "prof", "fav", "12"]
