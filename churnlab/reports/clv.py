"""The churn report's "Customer lifetime value" section, composed of public functions.

Orders datasets get the non-contractual models: :func:`churnlab.rfm_summary` at
the as-of date (weeks), :func:`churnlab.clv_bgnbd` and
:func:`churnlab.clv_gamma_gamma`, then :func:`churnlab.clv_predict` over the next
52 weeks at a 10 % annual discount rate, :func:`churnlab.clv_by_segment` and
:func:`churnlab.clv_prob_alive_matrix`. Subscription datasets get the
shifted-beta-geometric model on yearly cohorts (:func:`churnlab.cohort_table`,
:func:`churnlab.clv_sbg`, :func:`churnlab.clv_sbg_lifetime`). The models need
the optional ``churnlab[clv]`` extra; without it the section is one line.
Nothing is re-derived: every figure is a column of one of these calls.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from churnlab.reports._display import (
    capture_warnings,
    fmt,
    heading,
    markdown,
    pct,
    show_figure,
    show_table,
)

__all__ = ["clv", "HORIZON", "DISCOUNT_RATE", "ALIVE", "BOUNDARY"]

#: How far ahead the orders CLV looks (52 weeks, in the summary's weekly unit).
HORIZON = "52W"

#: Annual discount rate applied to future purchases and renewals.
DISCOUNT_RATE = 0.10

#: A customer counts as "probably alive" above this probability.
ALIVE = 0.5

#: An sBG estimate above this (or below its inverse) is at the optimiser's
#: boundary: the data does not have the falling churn hazard the model assumes.
BOUNDARY = 1e4


def clv(report: Any) -> dict[str, Any]:
    """Show the section for a :class:`~churnlab.reports.churn.ChurnReport`.

    Returns the metrics it adds to ``metrics.json``: for orders
    ``clv_52w_total``, ``clv_52w_per_customer``, ``prob_alive_share``,
    ``bgnbd_r``, ``bgnbd_alpha``, ``bgnbd_a`` and ``bgnbd_b``; nothing for
    subscriptions or when the ``churnlab[clv]`` extra is absent.
    """
    try:
        if report.mode == "orders":
            return _orders(report)
        return _subscriptions(report)
    except ImportError as err:
        if "churnlab[clv]" not in str(err):
            raise
        markdown(
            "*Customer lifetime value is skipped: its models need the optional "
            "pymc-marketing extra (`churnlab[clv]`), which is not installed.*"
        )
        return {}


def _orders(report: Any) -> dict[str, Any]:
    import churnlab as cl
    from churnlab.plots.clv import prob_alive_matrix

    p = report.p
    ds = p.dataset
    with capture_warnings(report.warned):
        summary = cl.rfm_summary(ds, calibration_end=p.as_of, unit="W")
        bgnbd = cl.clv_bgnbd(summary)
        spend = cl.clv_gamma_gamma(summary)
        pred = cl.clv_predict(
            bgnbd,
            summary,
            horizon=HORIZON,
            spend_model=spend,
            discount_rate=DISCOUNT_RATE,
        )
        seg = (
            cl.clv_by_segment(pred, ds, by=report.segment_col)
            if report.segment_col
            else None
        )
        matrix = cl.clv_prob_alive_matrix(bgnbd)
    n = len(pred)
    valued = int(pred["clv"].notna().sum())  # NaN where the model gives no figure
    total = float(pred["clv"].sum())
    alive = int((pred["prob_alive"] > ALIVE).sum())
    out: dict[str, Any] = {
        "clv_52w_total": total,
        "clv_52w_per_customer": total / valued if valued else None,
        "prob_alive_share": alive / n if n else None,
        **{f"bgnbd_{k}": float(v) for k, v in bgnbd.params_.items()},
    }
    heading("Customer lifetime value")
    markdown(
        "A **model estimate**, not a measurement: the BG/NBD model (Fader, Hardie "
        "& Lee 2005) of repeat purchases and the Gamma-Gamma model of spend per "
        f"purchase, fitted on every customer's purchase history up to "
        f"{p.as_of:%-d %B %Y} (purchases on one day count once; time in weeks). "
        "CLV is the spend expected over the **next 52 weeks**, discounted at "
        f"**{DISCOUNT_RATE:.0%} a year**, in the currency of the orders."
    )
    purchases = float(pred["expected_purchases"].sum())
    markdown(
        f"**{fmt(total, 'money', report.cur)}** expected from {valued:,} customers "
        f"({fmt(out['clv_52w_per_customer'], 'money', report.cur)} each on "
        f"average) over {fmt(purchases, 'count')} expected purchases; "
        f"**{pct(out['prob_alive_share'])}** of customers ({alive:,}) are probably "
        f"still buying (probability alive above {ALIVE:.0%})."
    )
    q = float(spend.params_["q"])
    if q <= 1:
        no_repeat = int((pred["frequency"] == 0).sum())
        markdown(
            f"**Read with care:** the Gamma-Gamma spend fit is at a boundary "
            f"(q = {q:.2f}, at most 1), where the population's mean spend does not "
            f"exist; the {no_repeat:,} customers without a repeat purchase have no "
            "expected spend, so their CLV is unknown and left out of the totals "
            "above (they are not counted as zero)."
        )
    if seg is not None:
        col = report.segment_col
        show_table(
            seg[
                [
                    col,
                    "customers",
                    "expected_purchases",
                    "prob_alive_mean",
                    "clv",
                    "clv_per_customer",
                ]
            ],
            kinds={
                "prob_alive_mean": "pct",
                "clv": "money",
                "clv_per_customer": "money",
            },
            labels={
                col: "Segment",
                "customers": "Customers",
                "expected_purchases": "Expected purchases (52 weeks)",
                "prob_alive_mean": "Mean probability alive",
                "clv": "CLV (52 weeks, discounted)",
                "clv_per_customer": "CLV per customer",
            },
            currency=report.cur,
        )
    show_figure(prob_alive_matrix(matrix))
    markdown(
        "Probability that a customer is still buying, by how often they bought "
        "again and how recently, for customers of the oldest age in the data: "
        "customers who bought often but not lately are likely gone."
    )
    return out


def _subscriptions(report: Any) -> dict[str, Any]:
    import churnlab as cl
    from churnlab.errors import ParameterError

    p = report.p
    with capture_warnings(report.warned):
        table = cl.cohort_table(
            p.dataset,
            freq="Y",
            bounded=False,
            source="subscriptions",
            as_of=p.as_of,
        )
        try:
            fit = cl.clv_sbg(table)
        except ParameterError as err:
            report.notes.append(f"Expected customer lifetime (sBG) is left out: {err}")
            return {}
        life = cl.clv_sbg_lifetime(fit, discount_rate=DISCOUNT_RATE)
    sizes = table.drop_duplicates("cohort").set_index("cohort")["cohort_size"]
    sizes.index = [pd.Timestamp(c).year for c in sizes.index]
    rows = []
    for _, r in life.iterrows():
        year = pd.Timestamp(r["cohort"]).year
        fits = all(1 / BOUNDARY < r[k] < BOUNDARY for k in ("alpha", "beta"))
        rows.append(
            {
                "cohort": str(year),
                "customers": int(sizes.get(year, 0)),
                "expected_lifetime": (
                    f"{r['expected_lifetime']:.1f} years"
                    if fits
                    else "model does not fit"
                ),
            }
        )
    heading("Expected customer lifetime")
    markdown(
        "A **model estimate**: the shifted-beta-geometric model (Fader & Hardie "
        "2007) fitted on each yearly cohort's renewals, giving the expected "
        f"lifetime of a new customer in years, discounted at {DISCOUNT_RATE:.0%} a "
        "year (first year included). The model assumes churn falls with tenure; "
        "where a cohort's churn rises instead, the fit runs to a boundary and "
        "the model does not fit that cohort. Cohorts seen for one year only "
        "cannot be fitted."
    )
    show_table(
        pd.DataFrame(rows),
        labels={
            "cohort": "Cohort (first year)",
            "customers": "Customers",
            "expected_lifetime": "Expected lifetime (discounted)",
        },
    )
    return {}
