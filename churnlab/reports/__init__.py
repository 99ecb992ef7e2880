"""Parameterised report notebooks: validation, execution, publication.

Public names: ``run_report``, ``run_reports``, ``available_reports``,
``check_params``, ``save_metrics``, ``restatements``, ``check_invariants``,
``ReportParams``, ``ReportResult``.
"""

from churnlab.reports.params import ReportParams, check_params
from churnlab.reports.runner import (
    ReportResult,
    available_reports,
    check_invariants,
    restatements,
    run_report,
    run_reports,
    save_metrics,
)

__all__ = [
    "run_report",
    "run_reports",
    "available_reports",
    "check_params",
    "save_metrics",
    "restatements",
    "check_invariants",
    "ReportParams",
    "ReportResult",
]
