"""The churn report's "Accounts at risk" section, composed of public functions.

Everything shown here is the frame of a public call, so an analyst can re-run
the same cell: :func:`churnlab.at_risk` (whom to call first, with the MRR at
stake), :func:`churnlab.activity_backtest` (how far to trust the list) and
:func:`churnlab.dau_mau` (stickiness). Nothing is re-derived.
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

__all__ = ["accounts_at_risk", "TOP"]

#: Rows of each at-risk list shown in the report (the CSV beside it has them all).
TOP = 15

_COLUMNS = {
    "account_id": "Account",
    "segment": "Segment",
    "owner": "Owner",
    "signal": "Signal",
    "mrr": "MRR at stake",
    "activity_ratio": "Activity vs own baseline",
    "weeks_slipping": "Weeks slipping",
    "last_active": "Last active",
}


def accounts_at_risk(report: Any) -> dict[str, Any]:
    """Show the section for a :class:`~churnlab.reports.churn.ChurnReport`.

    Returns the metrics it adds to ``metrics.json``: ``accounts_at_risk``,
    ``mrr_at_risk``, ``trials_not_converted``, ``backtest_precision``,
    ``backtest_lift``, ``backtest_period``, ``mau`` and ``dau_mau`` (absent when
    the data cannot give them).
    """
    import churnlab as cl
    from churnlab.plots.activity import backtest_lift

    p = report.p
    ds = p.dataset
    if ds.events is None or ds.subscriptions is None:
        missing = "events" if ds.events is None else "subscriptions"
        report.notes.append(
            f"Accounts at risk are left out: the dataset has no {missing} table "
            "(activity signals read product usage from events against paying "
            "subscriptions)."
        )
        return {}
    heading("Accounts at risk")
    markdown(
        "Cancellation is the last thing that happens: accounts drift away from the "
        "product for weeks before. An account is *slipping* when its whole team's "
        "activity has stayed well below its own usual level for consecutive weeks "
        "(one person's holiday week does not count), *dormant* when nobody has used "
        "the product for weeks while it still pays. Trials that ended without a "
        "paid plan are listed apart: they need conversion work, not recovery."
    )
    with capture_warnings(report.warned):
        risk = cl.at_risk(ds, as_of=p.as_of)
        backtest = cl.activity_backtest(ds, as_of=p.as_of)
        sticky = cl.dau_mau(ds, as_of=p.as_of)
    if "last_active" in risk.columns:
        risk = risk.assign(
            last_active=pd.to_datetime(risk["last_active"]).dt.strftime("%Y-%m-%d")
        )
    from churnlab.reports.churn import readable

    shown = risk.assign(signal=risk["signal"].map(readable))
    if "owner" in shown.columns:
        shown["owner"] = shown["owner"].fillna("–")
    recovery = risk[risk["group"] == "recovery"]
    conversion = risk[risk["group"] == "conversion"]
    out: dict[str, Any] = {
        "accounts_at_risk": len(recovery),
        "mrr_at_risk": float(recovery["mrr"].sum()),
        "trials_not_converted": len(conversion),
    }
    markdown(
        f"**{len(recovery):,} paying accounts** are slipping or dormant, with "
        f"**{fmt(out['mrr_at_risk'], 'money', report.cur)}** of MRR at stake; "
        f"{len(conversion):,} trials ended without converting. The "
        f"{min(TOP, len(recovery))} largest by MRR at stake, to call first:"
    )
    cols = [c for c in _COLUMNS if c in recovery.columns]
    if not recovery.empty:
        show_table(
            shown[shown["group"] == "recovery"].head(TOP)[cols],
            kinds={"mrr": "money", "activity_ratio": "pct"},
            labels=_COLUMNS,
            currency=report.cur,
        )
    if not conversion.empty:
        markdown("Trials that ended without a paid plan (conversion work):")
        trial_cols = ["account_id", "segment", "signal", "last_active"]
        show_table(
            shown[shown["group"] == "conversion"].head(TOP)[
                [c for c in trial_cols if c in conversion.columns]
            ],
            labels=_COLUMNS,
            currency=report.cur,
        )
    if report.output_dir:
        from pathlib import Path

        risk.to_csv(Path(report.output_dir) / "accounts_at_risk.csv", index=False)
    done = backtest[(backtest["scope"] == "period") & backtest["horizon_complete"]]
    done = done[done["flagged"] > 0]
    if done.empty:
        markdown(
            "*How far to trust the list cannot be measured yet: no month's 90-day "
            "horizon is over.*"
        )
    else:
        last = done.iloc[-1]
        out.update(
            backtest_period=pd.Timestamp(last["period"]).strftime("%Y-%m"),
            backtest_precision=float(last["precision"]),
            backtest_lift=float(last["lift"]),
        )
        markdown(
            f"**How far to trust it.** Of the {int(last['flagged']):,} accounts "
            f"flagged on {pd.Timestamp(last['period']):%-d %B %Y}, "
            f"{int(last['churned_flagged']):,} churned within 90 days: "
            f"{pct(last['precision'])} against a base rate of "
            f"{pct(last['base_rate'])} for the accounts not flagged "
            f"({float(last['lift']):.1f}× as likely). Months whose 90 days are not "
            "over yet are left out, not counted as saved."
        )
        show_figure(backtest_lift(backtest))
    month = sticky[pd.to_datetime(sticky["period"]) == p.period]
    if not month.empty:
        row = month.iloc[0]
        out.update(mau=int(row["mau"]), dau_mau=float(row["dau_mau"]))
        markdown(
            f"Stickiness in {p.period:%B %Y}: {int(row['mau']):,} monthly active "
            f"users; on an average day {pct(row['dau_mau'])} of them used the "
            "product (DAU ÷ MAU)."
        )
    return out
