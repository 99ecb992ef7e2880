"""The explorer: a selection in, the public functions' frame out, no tracebacks."""

from __future__ import annotations

import ipywidgets
import pandas as pd
import pytest

import churnlab as cl


@pytest.fixture(scope="module")
def w():
    return cl.explore()


def test_returns_a_widget_on_the_sample(w):
    assert isinstance(w, ipywidgets.Widget)
    assert w.selection["dataset"] == "bundled sample"
    assert w.message == ""
    assert not w.frame.empty


def test_churn_view_is_customer_churn_and_segment_filters_it(w):
    w.set(view="churn", breakdown=None, period=None)
    pd.testing.assert_frame_equal(w.frame, cl.customer_churn(cl.sample_dataset()))
    w.set(segment="SMB")
    assert w.selection["breakdown"] == "segment"
    assert w.frame["segment"].unique().tolist() == ["SMB"]
    expected = cl.customer_churn(cl.sample_dataset(), by="segment")
    expected = expected[expected["segment"] == "SMB"].reset_index(drop=True)
    pd.testing.assert_frame_equal(w.frame, expected)
    w.set(segment="Enterprise")
    assert w.frame["segment"].unique().tolist() == ["Enterprise"]
    assert w.frame["churn_rate"].mean() < expected["churn_rate"].mean()


def test_period_selects_rows(w):
    w.set(view="churn", breakdown=None, period="2026-10")
    assert w.frame["period"].tolist() == [pd.Timestamp("2026-10-01")]
    w.set(period=("2026-08", "2026-10"))
    assert w.frame["period"].dt.strftime("%Y-%m").tolist() == [
        "2026-08",
        "2026-09",
        "2026-10",
    ]


def test_kpi_table_has_numerators_and_denominators(w):
    w.set(view="kpis", breakdown=None, period="2026-10")
    frame = w.frame.set_index("metric")
    churn = cl.customer_churn(cl.sample_dataset()).set_index("period").loc["2026-10-01"]
    row = frame.loc["customer churn rate"]
    assert row["numerator"] == churn["customers_churned"]
    assert row["denominator"] == churn["customers_start"]
    assert row["value"] == pytest.approx(churn["churn_rate"])
    nrr = cl.nrr(cl.sample_dataset()).set_index("period").loc["2026-10-01", "nrr"]
    assert frame.loc["NRR", "value"] == pytest.approx(nrr)
    assert {"numerator", "denominator", "value"} <= set(w.frame.columns)


def test_other_views_show_their_functions_frames(w):
    w.set(view="mrr", breakdown=None, period=("2026-01", "2026-10"))
    assert len(w.frame) == 10 and "mrr_expansion" in w.frame
    w.set(view="survival", breakdown="segment", period=None)
    assert sorted(w.frame["segment"]) == ["Enterprise", "Mid-Market", "SMB"]
    w.set(view="cohorts", breakdown=None, period=("2026-01", "2026-10"))
    assert w.frame["cohort"].min() == pd.Timestamp("2026-01-01")
    w.set(view="funnel", steps=("login", "invite_sent"), window="7D", period=None)
    assert w.frame["step"].tolist() == ["login", "invite_sent"]
    w.set(steps="login, invite_sent, export")
    assert w.frame["step"].tolist() == ["login", "invite_sent", "export"]


def test_cache_returns_the_same_result_without_recomputing(w):
    w.set(view="churn", breakdown=None, period=None)
    first = w.frame
    w.set(view="mrr")
    w.set(view="churn")
    pd.testing.assert_frame_equal(first, w.frame)
    assert any(key[1] == "churn" for key in w._cache)


@pytest.mark.parametrize(
    ("selection", "words"),
    [
        ({"view": "nope"}, "Unknown view"),
        ({"segment": "Nope"}, "No customer attribute"),
        ({"view": "churn", "period": "garbage"}, "not a date"),
        ({"view": "churn", "period": "2030-01"}, "Nothing to show"),
        ({"view": "funnel", "steps": ("login",)}, "at least two steps"),
        ({"colour": "red"}, "Unknown choice"),
        ({"dataset": "/no/such/folder"}, "no/such/folder"),
    ],
)
def test_bad_choices_show_a_message_not_a_traceback(selection, words):
    w = cl.explore()
    w.set(**selection)
    assert words in w.message
    assert "Traceback" not in w.message
    assert w.frame.empty
    w.set(view="churn", segment="All", period=None, steps=("login", "export"))
    if "dataset" not in selection:
        assert w.message == "" and not w.frame.empty


def test_at_risk_view_waits_for_the_activity_module(w):
    w.set(view="at_risk", breakdown=None, period=None)
    if hasattr(cl, "at_risk"):
        assert w.message == ""
        expected = cl.at_risk(cl.sample_dataset())
        pd.testing.assert_frame_equal(w.frame, expected.reset_index(drop=True))
    else:
        assert "needs the activity module" in w.message


def test_several_datasets_can_be_chosen():
    sample = cl.sample_dataset()
    w = cl.explore({"mine": sample})
    assert list(w._controls["dataset"].options) == ["mine", "bundled sample"]
    w.set(dataset="bundled sample", view="churn")
    assert w.message == ""


def test_the_controls_drive_the_same_selection(w):
    w.set(view="churn", breakdown=None, period=None)
    w._controls["view"].value = "mrr"  # what a click in the dropdown does
    assert w.selection["view"] == "mrr" and "mrr_expansion" in w.frame
    w._controls["first"].value = "2026-10"
    assert w.frame["period"].tolist() == [pd.Timestamp("2026-10-01")]
    w._controls["breakdown"].value = "segment"
    w._controls["segment"].value = "SMB"
    assert w.frame["segment"].unique().tolist() == ["SMB"]
    assert w._controls["funnel_row"].layout.display == "none"


def test_at_risk_view_lights_up_when_the_function_exists(monkeypatch):
    frame = pd.DataFrame({"account_id": ["C1", "C2"], "segment": ["SMB", "Enterprise"]})
    calls = []

    def fake_at_risk(data, *, as_of=None):
        calls.append(as_of)
        return frame

    monkeypatch.setattr(cl, "at_risk", fake_at_risk, raising=False)
    w = cl.explore()
    w.set(view="at_risk", segment="SMB")
    assert w.message == ""
    assert w.frame["account_id"].tolist() == ["C1"]
    assert calls == [None]


def test_recurring_cohorts_use_recurring_retention(w):
    w.set(view="cohorts", cohort="recurring", breakdown=None, period=None)
    if not hasattr(cl, "recurring_retention"):
        assert "needs the lifecycle functions" in w.message
        return
    expected = cl.recurring_retention(cl.sample_dataset())
    pd.testing.assert_frame_equal(w.frame, expected.reset_index(drop=True))
    w.set(cohort="first")
    assert w.frame["cohort_size"].iloc[0] != expected["cohort_size"].iloc[0]
