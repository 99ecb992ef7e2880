"""RavenStack subscriptions (public synthetic, trials marked): logo churn, NRR and
trial counts against an independent pandas computation."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import churnlab as cl
from churnlab.errors import ChurnlabWarning

RAVEN = (
    Path(__file__).resolve().parents[2] / "../shared/data/public_synthetic/ravenstack"
)
SUBS = RAVEN / "ravenstack_subscriptions.csv"
MONTH, AS_OF = pd.Timestamp("2024-09-01"), "2024-12-31"

pytestmark = pytest.mark.skipif(
    not SUBS.exists(), reason=f"RavenStack not found in {RAVEN}"
)


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raven")
    (folder / "dataset.toml").write_text(
        f"""
[files]
subscriptions = "{SUBS.resolve()}"

[columns.subscriptions]
account_id = "customer_id"
start_date = "start"
end_date = "end"
mrr_amount = "mrr"
plan_tier = "plan"
"""
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        return cl.load_dataset(folder)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    r = pd.read_csv(SUBS)
    return r.assign(
        s=pd.to_datetime(r["start_date"]),
        e=pd.to_datetime(r["end_date"]),
        trial=r["is_trial"].astype(str).str.lower() == "true",
    )


def _mrr_at(paid: pd.DataFrame, t: pd.Timestamp) -> pd.Series:
    """MRR per account at instant t: rows with start < t and (no end or end >= t)."""
    on = paid[(paid.s < t) & (paid.e.isna() | (paid.e >= t)) & ~(paid.e == paid.s)]
    return on.groupby("account_id")["mrr_amount"].sum()


def test_logo_churn_nrr_and_trials_match_pandas(ds, raw):
    paid = raw[(raw.mrr_amount > 0) & ~raw.trial]
    end = MONTH + pd.DateOffset(months=1)
    m0, m1 = _mrr_at(paid, MONTH), _mrr_at(paid, end)
    churned = len(set(m0.index) - set(m1.index))
    nrr = m1.reindex(m0.index).fillna(0).sum() / m0.sum()
    trials = raw[raw.trial]
    first_trial = trials.groupby("account_id")["s"].min()
    trial_starts = int(((first_trial >= MONTH) & (first_trial < end)).sum())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChurnlabWarning)
        logo = cl.customer_churn(ds, as_of=AS_OF).set_index("period").loc[MONTH]
        rev = cl.revenue_metrics(ds, as_of=AS_OF).set_index("period").loc[MONTH]
        tri = cl.trials(ds, as_of=AS_OF).set_index("period").loc[MONTH]
        free = cl.customer_churn(ds, as_of=AS_OF, paying_only=False)
    free = free.set_index("period").loc[MONTH]

    assert logo["customers_start"] == len(m0)
    assert logo["customers_churned"] == churned == 1
    assert logo["churn_rate"] == pytest.approx(churned / len(m0))
    assert rev["nrr"] == pytest.approx(nrr)
    assert tri["trial_starts"] == trial_starts > 0
    # counting free users too moves the base: the trials were in it before
    assert free["customers_start"] >= logo["customers_start"]
