"""Tests of the sample-company generator: determinism, contract, consistency, recovery.

Everything here is computed independently with pandas from the generated frames;
nothing reuses the generator's internals.
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnlab.sample import generator as gen

END_EXCL = pd.Timestamp(gen.SAMPLE_END) + pd.Timedelta(days=1)
DATA_DIR = Path(__file__).resolve().parents[2] / "churnlab" / "sample" / "data"

COLUMNS = {
    "customers": ["customer_id", "signup_at", "segment", "country", "channel", "plan"],
    "subscriptions": ["customer_id", "start", "end", "mrr", "plan", "billing"],
    "orders": [
        "order_id",
        "customer_id",
        "ordered_at",
        "amount",
        "is_refund",
        "location",
    ],
    "events": ["user_id", "account_id", "event", "timestamp"],
    "leads": ["lead_id", "created_at", "source", "converted_at", "deal_id"],
    "deals": [
        "deal_id",
        "created_at",
        "closed_at",
        "status",
        "amount",
        "owner",
        "source",
        "region",
        "segment",
        "stage",
        "customer_id",
        "expected_close_at",
        "contract_value",
        "contract_months",
        "one_time_fees",
    ],
    "deal_stages": ["deal_id", "stage", "entered_at"],
    "activities": ["owner", "type", "at", "deal_id", "outcome"],
    "targets": ["owner", "period", "quota"],
    "sales_inputs": [
        "period",
        "visitors",
        "sales_expenses",
        "cost_of_sales",
        "market_size",
    ],
    "churn_reasons": ["customer_id", "at", "reason", "comment"],
    "nps": ["customer_id", "at", "score"],
}
# required by the data contract (DESIGN.md), never null
REQUIRED = {
    "customers": ["customer_id"],
    "subscriptions": ["customer_id", "start", "mrr"],
    "orders": ["customer_id", "ordered_at", "amount"],
    "events": ["user_id", "event", "timestamp"],
    "leads": ["lead_id", "created_at"],
    "deals": ["deal_id", "created_at", "status", "amount"],
    "deal_stages": ["deal_id", "stage", "entered_at"],
    "activities": ["owner", "type", "at"],
    "targets": ["owner", "period", "quota"],
    "sales_inputs": [
        "period",
        "visitors",
        "sales_expenses",
        "cost_of_sales",
        "market_size",
    ],
    "churn_reasons": ["customer_id", "at", "reason"],
    "nps": ["customer_id", "at", "score"],
}
TIME_COLUMNS = {
    "customers": ["signup_at"],
    "subscriptions": ["start", "end"],
    "orders": ["ordered_at"],
    "events": ["timestamp"],
    "leads": ["created_at", "converted_at"],
    "deals": ["created_at", "closed_at"],  # expected_close_at may lie ahead
    "deal_stages": ["entered_at"],
    "activities": ["at"],
    "targets": ["period"],
    "sales_inputs": ["period"],
    "churn_reasons": ["at"],
    "nps": ["at"],
}
STAGE_ORDER = [
    "qualified",
    "demo",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
]


@pytest.fixture(scope="module")
def small():
    return gen.generate(300, seed=7)


@pytest.fixture(scope="module")
def full():
    return gen.generate()


@pytest.fixture(scope="module")
def truth():
    return gen.ground_truth()


@pytest.fixture(params=["small", "full"])
def tables(request):
    return request.getfixturevalue(request.param)


def spells_of(subs):
    """Chain plan-change rows (end == next start) into paying spells."""
    s = subs.sort_values(["customer_id", "start"]).reset_index(drop=True)
    prev_end = s.groupby("customer_id")["end"].shift()
    new = prev_end.isna() | (s["start"] != prev_end)
    s["spell"] = new.cumsum()
    return s.groupby("spell").agg(
        customer_id=("customer_id", "first"),
        start=("start", "first"),
        end=("end", "last"),
        has_open=("end", lambda e: e.isna().any()),
    )


def wilson(k, n, z=2.576):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


# ----------------------------------------------------------------------------- API
def test_same_seed_same_frames():
    a = gen.generate(300, seed=7)
    b = gen.generate(300, seed=7)
    assert list(a) == list(gen.TABLES)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    c = gen.generate(300, seed=8)
    assert not a["subscriptions"].equals(c["subscriptions"])


def test_write_is_byte_identical(tmp_path):
    one = gen.write(tmp_path / "one", n_accounts=150, seed=3)
    two = gen.write(tmp_path / "two", n_accounts=150, seed=3)
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(
        [f"{t}.csv" for t in gen.TABLES if t != "events"]
        + ["events.parquet", "ground_truth.json"]
    )
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    # switching format replaces the other file of the same table
    gen.write(tmp_path / "one", n_accounts=150, seed=3, events_fmt="csv")
    assert (tmp_path / "one" / "events.csv").exists()
    assert not (tmp_path / "one" / "events.parquet").exists()
    truth = json.loads((one / "ground_truth.json").read_text())
    assert truth == json.loads(json.dumps(gen.ground_truth(150, seed=3)))
    customers = pd.read_csv(one / "customers.csv")
    assert list(customers.columns) == COLUMNS["customers"]
    assert len(customers) == 150


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_accounts"):
        gen.generate(0)
    with pytest.raises(ValueError, match="first day of a month"):
        gen.generate(10, start="2024-01-15")
    with pytest.raises(ValueError, match="events_months"):
        gen.generate(10, months=6, events_months=12)
    with pytest.raises(ValueError, match="fmt"):
        gen.write("unused", fmt="xlsx")


@pytest.mark.parametrize("n", [1, 2, 7])
def test_tiny_runs(n):
    for seed in range(4):
        out = gen.generate(n, seed=seed)
        assert len(out["customers"]) == n
        assert list(out["deals"].columns) == COLUMNS["deals"]


def test_other_window():
    out = gen.generate(200, seed=1, start="2024-01-01", months=6, events_months=3)
    end = pd.Timestamp("2024-07-01")
    for name, cols in TIME_COLUMNS.items():
        for col in cols:
            assert (out[name][col].dropna() < end).all(), (name, col)
    assert out["subscriptions"]["start"].min() >= pd.Timestamp("2024-01-01")


# ------------------------------------------------------------------------ contract
def test_columns_and_types(tables):
    assert set(tables) == set(COLUMNS)
    for name, cols in COLUMNS.items():
        df = tables[name]
        assert list(df.columns) == cols, name
        for col in REQUIRED[name]:
            assert df[col].notna().all(), (name, col)
        for col in TIME_COLUMNS[name]:
            assert pd.api.types.is_datetime64_dtype(df[col]), (name, col)
    assert tables["orders"]["is_refund"].dtype == bool
    assert pd.api.types.is_integer_dtype(tables["nps"]["score"])
    assert tables["nps"]["score"].between(0, 10).all()


def test_nothing_after_the_end(tables):
    for name, cols in TIME_COLUMNS.items():
        for col in cols:
            assert (tables[name][col].dropna() < END_EXCL).all(), (name, col)
    for name in (
        "customers",
        "subscriptions",
        "orders",
        "events",
        "churn_reasons",
        "nps",
    ):
        first = tables[name][TIME_COLUMNS[name][0]].min()
        assert first >= pd.Timestamp(gen.SAMPLE_START), name


def test_ids_unique_and_linked(tables):
    customers = tables["customers"]
    ids = set(customers["customer_id"])
    assert customers["customer_id"].is_unique
    assert customers["customer_id"].str.fullmatch(r"C\d{5}").all()
    for name, col in [
        ("subscriptions", "customer_id"),
        ("orders", "customer_id"),
        ("churn_reasons", "customer_id"),
        ("nps", "customer_id"),
        ("events", "account_id"),
    ]:
        assert tables[name][col].isin(ids).all(), name
    assert tables["orders"]["order_id"].is_unique
    assert tables["deals"]["deal_id"].is_unique
    assert tables["leads"]["lead_id"].is_unique
    linked = tables["leads"]["deal_id"].dropna()
    assert linked.is_unique
    assert set(linked) == set(tables["deals"]["deal_id"])
    assert set(tables["deal_stages"]["deal_id"]) == set(tables["deals"]["deal_id"])
    assert set(tables["activities"]["deal_id"].dropna()) <= set(
        tables["deals"]["deal_id"]
    )


def test_subscriptions_consistent(tables):
    subs = tables["subscriptions"]
    assert (subs["mrr"] > 0).all()
    closed = subs["end"].notna()
    assert (subs.loc[closed, "start"] < subs.loc[closed, "end"]).all()
    for col in ("start", "end"):
        assert (subs[col].dropna() == subs[col].dropna().dt.normalize()).all()
    assert set(subs["billing"]) <= {"monthly", "annual"}
    s = subs.sort_values(["customer_id", "start"])
    nxt = s.groupby("customer_id")["start"].shift(-1)
    has_next = nxt.notna()
    # no overlap: a row ends (never open) on or before the next row starts
    assert s.loc[has_next, "end"].notna().all()
    assert (s.loc[has_next, "end"] <= nxt[has_next]).all()
    # at most one open row per customer, and it is the last one
    assert (s.groupby("customer_id")["end"].apply(lambda e: e.isna().sum()) <= 1).all()
    # plan at first subscription; trials that never converted have no plan
    first = s.groupby("customer_id")["plan"].first()
    plan = tables["customers"].set_index("customer_id")["plan"]
    assert (plan[first.index] == first).all()
    assert plan.drop(first.index).isna().all()


def test_orders_follow_subscriptions(tables):
    orders = tables["orders"]
    assert ((orders["amount"] < 0) == orders["is_refund"]).all()
    assert (orders["ordered_at"] == orders["ordered_at"].dt.normalize()).all()
    loc = tables["customers"].set_index("customer_id")["country"]
    assert (
        orders["location"].to_numpy() == loc[orders["customer_id"]].to_numpy()
    ).all()
    inv = orders[~orders["is_refund"]].sort_values("ordered_at")
    subs = tables["subscriptions"].sort_values("start")
    m = pd.merge_asof(
        inv,
        subs,
        left_on="ordered_at",
        right_on="start",
        by="customer_id",
        direction="backward",
    )
    assert m["start"].notna().all()
    assert (m["end"].isna() | (m["ordered_at"] < m["end"])).all()
    factor = np.where(m["billing"] == "annual", 12, 1)
    assert np.allclose(m["amount"], (m["mrr"] * factor).round(2))


def test_trials_and_events(tables):
    customers = tables["customers"]
    events = tables["events"]
    never = customers[customers["plan"].isna()]
    ev = events.merge(
        never[["customer_id", "signup_at"]],
        left_on="account_id",
        right_on="customer_id",
    )
    assert (ev["timestamp"] >= ev["signup_at"]).all()
    assert (ev["timestamp"] < ev["signup_at"] + pd.Timedelta(days=14)).all()
    assert set(events["event"]) <= {
        "login",
        "report_viewed",
        "export",
        "invite_sent",
        "dashboard_created",
    }
    # no events while an account is neither trialling nor paying
    sp = spells_of(tables["subscriptions"])
    last_end = sp.groupby("customer_id")["end"].max()
    still = sp.groupby("customer_id")["has_open"].any()
    gone = last_end[~still[last_end.index]]
    e = events[events["account_id"].isin(gone.index)]
    assert (e["timestamp"] < gone[e["account_id"]].to_numpy()).all()


def test_deals_and_stages(tables):
    deals = tables["deals"].set_index("deal_id")
    stages = tables["deal_stages"]
    assert set(deals["status"]) <= {"open", "won", "lost"}
    assert set(deals["segment"]) <= {"Mid-Market", "Enterprise"}
    assert (deals["closed_at"].isna() == (deals["status"] == "open")).all()
    closed = deals["closed_at"].notna()
    assert (deals.loc[closed, "created_at"] <= deals.loc[closed, "closed_at"]).all()
    assert (deals["amount"] > 0).all()
    won = deals[deals["status"] == "won"]
    assert won["customer_id"].notna().all()
    assert won["customer_id"].is_unique
    assert deals.loc[deals["status"] != "won", "customer_id"].isna().all()
    signup = tables["customers"].set_index("customer_id")["signup_at"]
    assert (won["created_at"] < signup[won["customer_id"]].to_numpy()).all()
    # sales-led customers are exactly the won deals' customers
    paying = set(tables["subscriptions"]["customer_id"])
    customers = tables["customers"]
    big = customers[customers["segment"].isin(["Mid-Market", "Enterprise"])]
    assert set(big["customer_id"]) & paying == set(won["customer_id"])
    # stage history: ordered, inside [created_at, closed_at], ends as the deal does
    s = stages.assign(rank=stages["stage"].map(STAGE_ORDER.index))
    assert s["rank"].notna().all()
    s = s.sort_values(["deal_id", "rank"])
    assert (s.groupby("deal_id")["entered_at"].diff().dropna() >= pd.Timedelta(0)).all()
    first = s.groupby("deal_id").first()
    last = s.groupby("deal_id").last()
    assert (first["stage"] == "qualified").all()
    assert (first["entered_at"] == deals.loc[first.index, "created_at"]).all()
    assert (last["stage"] == deals.loc[last.index, "stage"]).all()
    expected = deals["status"].map({"won": "closed_won", "lost": "closed_lost"})
    is_closed = deals["status"] != "open"
    assert (last.loc[is_closed[is_closed].index, "stage"] == expected[is_closed]).all()
    assert (
        last.loc[closed[closed].index, "entered_at"] == deals.loc[closed, "closed_at"]
    ).all()
    assert not deals.loc[~is_closed, "stage"].str.startswith("closed").any()
    leads = tables["leads"].dropna(subset=["deal_id"]).set_index("deal_id")
    assert (leads["converted_at"] == deals.loc[leads.index, "created_at"]).all()
    assert (
        tables["leads"]["converted_at"].isna() == tables["leads"]["deal_id"].isna()
    ).all()
    types = {"call", "email", "meeting", "demo", "response"}
    assert set(tables["activities"]["type"]) <= types


def test_churn_reasons_and_targets(tables):
    reasons = tables["churn_reasons"]
    sp = spells_of(tables["subscriptions"])
    gone = sp[~sp["has_open"]]
    ends = pd.MultiIndex.from_frame(gone[["customer_id", "end"]])
    said = pd.MultiIndex.from_frame(reasons[["customer_id", "at"]])
    assert said.isin(ends).all()
    assert not reasons.duplicated(["customer_id", "at"]).any()
    targets = tables["targets"]
    assert targets["owner"].nunique() == 12
    assert (targets["period"].dt.day == 1).all()
    assert targets.groupby("owner").size().eq(36).all()
    assert (targets["quota"] > 0).all()


# ------------------------------------------------------------------------ recovery
def test_default_size(full, truth):
    assert len(full["customers"]) == 5000
    assert truth["rows"] == {name: len(df) for name, df in full.items()}
    json.dumps(truth)
    shares = full["customers"]["segment"].value_counts(normalize=True)
    assert shares["SMB"] == pytest.approx(0.60, abs=0.03)
    assert shares["Enterprise"] == pytest.approx(0.12, abs=0.02)
    no_sub = ~full["customers"]["customer_id"].isin(
        full["subscriptions"]["customer_id"]
    )
    assert no_sub.mean() == pytest.approx(0.20, abs=0.025)
    assert (full["deals"]["status"] == "open").sum() > 0


def test_monthly_churn_recovered_per_segment(full, truth):
    subs = full["subscriptions"].merge(full["customers"][["customer_id", "segment"]])
    end = subs["end"].fillna(pd.Timestamp.max)
    bounds = pd.date_range(gen.SAMPLE_START, periods=37, freq="MS")
    rows = []
    for p0, p1 in zip(bounds[:-1], bounds[1:], strict=True):
        # active at t: start < t and (end is null or end >= t)
        at0 = subs.loc[(subs["start"] < p0) & (end >= p0), ["customer_id", "segment"]]
        at1 = set(subs.loc[(subs["start"] < p1) & (end >= p1), "customer_id"])
        at0 = at0.drop_duplicates()
        at0 = at0.assign(churned=~at0["customer_id"].isin(at1))
        rows.append(at0.groupby("segment")["churned"].agg(["size", "sum"]))
    pooled = pd.concat(rows).groupby(level=0).sum()
    for segment, planted in truth["churn"]["monthly_rate"].items():
        n, k = pooled.loc[segment, "size"], pooled.loc[segment, "sum"]
        lo, hi = wilson(k, n)
        assert lo <= planted <= hi, (segment, k, n, k / n, planted)
    # the planted annual churn stays in the brief's bands
    annual = truth["churn"]["annual_rate"]
    assert 0.30 <= annual["SMB"] <= 0.55
    assert 0.06 <= annual["Enterprise"] <= 0.10


def test_activity_declines_before_churn(full, truth):
    act = truth["activity"]
    start = pd.Timestamp(act["events_start"])
    week = pd.Timedelta(weeks=1)
    sp = spells_of(full["subscriptions"])
    sp = sp[~sp["has_open"] & (sp["end"] - 12 * week >= start)]
    sp = sp[sp["start"] <= sp["end"] - 12 * week]
    listed = pd.DataFrame(act["declining_churns"], columns=["customer_id", "end", "w"])
    listed = pd.MultiIndex.from_arrays(
        [listed["customer_id"], pd.to_datetime(listed["end"])]
    )
    sp["declining"] = pd.MultiIndex.from_frame(sp[["customer_id", "end"]]).isin(listed)
    ev = full["events"].merge(sp, left_on="account_id", right_on="customer_id")
    before = ev["end"] - ev["timestamp"]
    ev["last4"] = (before > pd.Timedelta(0)) & (before <= 4 * week)
    ev["base"] = (before > 8 * week) & (before <= 12 * week)
    sums = ev.groupby("declining")[["last4", "base"]].sum()
    ratio = sums["last4"] / sums["base"]
    # a linear fall over 4-8 weeks to 10% keeps ~45% of the baseline in the last 4
    assert ratio[True] < 0.6, sums
    assert ratio[False] == pytest.approx(1.0, abs=0.15), sums
    assert sp["declining"].sum() >= 100
    assert act["n_declining_churns"] == len(act["declining_churns"])


def test_sales_rates_recovered(full, truth):
    deals = full["deals"]
    closed = deals[deals["status"] != "open"]
    rate = (
        (closed["status"] == "won")
        .groupby([closed["segment"], closed["source"]])
        .agg(["size", "sum"])
    )
    for segment, by_source in truth["sales"]["win_rate"].items():
        for source, planted in by_source.items():
            n, k = rate.loc[(segment, source)]
            lo, hi = wilson(k, n)
            assert lo <= planted <= hi, (segment, source, k, n, planted)
    won = deals[deals["status"] == "won"]
    cycle = (
        (won["closed_at"] - won["created_at"]).dt.days.groupby(won["segment"]).median()
    )
    for segment, spec in truth["sales"]["cycle_days"].items():
        assert cycle[segment] == pytest.approx(spec["won_median"], rel=0.1)
    leads = full["leads"]
    conv = leads["deal_id"].notna().groupby(leads["source"]).mean()
    for source, planted in truth["sales"]["lead_conversion"].items():
        assert conv[source] == pytest.approx(planted, abs=0.03)


def test_nps_shares(full, truth):
    nps = full["nps"].merge(full["customers"][["customer_id", "segment"]])
    promoters = (nps["score"] >= 9).groupby(nps["segment"]).mean()
    detractors = (nps["score"] <= 6).groupby(nps["segment"]).mean()
    for segment in truth["segments"]:
        # pre-churn answers pull promoters down a little and detractors up
        assert promoters[segment] == pytest.approx(
            truth["nps"]["promoter_share"][segment], abs=0.06
        )
        assert detractors[segment] == pytest.approx(
            truth["nps"]["detractor_share"][segment], abs=0.08
        )


def _assert_same(a, b, where):
    """Equal structure, exact non-floats, floats within 1e-9 relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), where
    else:
        assert a == b, where


def test_assert_same_tolerates_only_float_noise():
    _assert_same({"p": [0.1 + 0.2]}, {"p": [0.3]}, "x")
    with pytest.raises(AssertionError):
        _assert_same({"p": [0.31]}, {"p": [0.3]}, "x")
    with pytest.raises(AssertionError):
        _assert_same({"n": 3}, {"n": 4}, "x")


@pytest.mark.skipif(
    not (DATA_DIR / "ground_truth.json").exists(), reason="no churnlab/sample/data"
)
def test_committed_sample_matches_generator(truth):
    committed = json.loads((DATA_DIR / "ground_truth.json").read_text())
    # floats derived through numpy may differ in the last digit between numpy
    # releases; everything else (counts, ids, strings) must match exactly
    _assert_same(committed, json.loads(json.dumps(truth)), "ground_truth")
    customers = pd.read_csv(DATA_DIR / "customers.csv")
    assert len(customers) == truth["rows"]["customers"]
    for name, n in truth["rows"].items():
        path = DATA_DIR / f"{name}.csv"
        if path.exists():
            with path.open() as fh:
                assert sum(1 for _ in fh) - 1 == n, name
