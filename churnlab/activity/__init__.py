"""Activity churn, the leading indicator, and product-usage metrics from events.

Public names: ``activity_series``, ``SIGNAL_DEFAULTS``, ``activity_signals``,
``at_risk``, ``activity_backtest``, ``account_activity``, ``lifecycle``, ``stickiness``,
``dau_mau``, ``recurring_retention``.
"""

from churnlab.activity.series import activity_series
from churnlab.activity.signals import (
    SIGNAL_DEFAULTS,
    account_activity,
    activity_backtest,
    activity_signals,
    at_risk,
)
from churnlab.activity.usage import (
    dau_mau,
    lifecycle,
    recurring_retention,
    stickiness,
)

__all__ = [
    "activity_series",
    "SIGNAL_DEFAULTS",
    "activity_signals",
    "at_risk",
    "activity_backtest",
    "account_activity",
    "lifecycle",
    "stickiness",
    "dau_mau",
    "recurring_retention",
]
