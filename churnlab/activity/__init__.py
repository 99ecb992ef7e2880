"""Activity churn, the leading indicator, and product-usage metrics from events.

Public names: ``activity_series``, ``SIGNAL_DEFAULTS``, ``activity_signals``,
``at_risk``, ``activity_backtest``.
"""

from churnlab.activity.series import activity_series
from churnlab.activity.signals import (
    SIGNAL_DEFAULTS,
    activity_backtest,
    activity_signals,
    at_risk,
)

__all__ = [
    "activity_series",
    "SIGNAL_DEFAULTS",
    "activity_signals",
    "at_risk",
    "activity_backtest",
]
