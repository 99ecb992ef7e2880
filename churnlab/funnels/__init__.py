"""Product funnels from events: ordered steps, a conversion window, censoring.

Public names: ``Funnel``, ``funnel``, ``funnel_users``, ``funnel_dropped``,
``funnel_times``, ``funnel_trend``, ``funnel_conversion_curve``.

**Semantics** (PostHog's, so analysts get the numbers they already trust):

* **Attempts.** Every occurrence of step 1 starts an attempt (``attempts="first"``:
  only the user's first one). Each attempt advances step by step; a user (or
  account, ``count_by="account"``) counts at the furthest step any of their
  attempts reached.
* **Window.** A step converts when it happens at most ``window`` after the
  attempt's step-1 event: the limit is inclusive (a step exactly 7 days later
  converts with ``window="7D"``, one second more does not).
* **Ties.** Steps at the same instant count, whatever the number of steps:
  events of one user at the same instant may serve consecutive steps in any
  order, one event never serving two steps (with a repeated step, ``["view",
  "view"]``, the second view must be another event; it may share the instant).
* **Loose order** (default): other events, including repeats of earlier steps,
  may happen between two steps. **Strict order**: any other event of the user
  between two steps breaks the attempt; events at the same instant are ranked
  by the first step they match, so distinct steps at one instant count (any
  number of them), but a repeated event name cannot interleave with others at
  one instant (``["a", "b", "a", "b"]`` all at once stops at step 2).
* **Censoring.** A user whose first step-1 event (their *entry*) lies less than
  one window before the as-of cutoff has not had the full window to convert:
  they are counted apart (``users_censored``), never as dropped. Conversion by
  time since entry, with every user included, is ``1 - Kaplan-Meier``
  (:func:`funnel_conversion_curve`).

**Layout.** :mod:`~churnlab.funnels.spec` holds the :class:`Funnel` spec (the
parameters every funnel function shares) and their checks;
:mod:`~churnlab.funnels._build` the Ibis builders (one expression per call, run
once through the engine); :mod:`~churnlab.funnels._finish` the pandas
finishing; :mod:`~churnlab.funnels.counts` the per-step counts, users, drop-outs
and times; :mod:`~churnlab.funnels.trend` conversion by entry period and by time
since entry.
"""

from churnlab.funnels.counts import funnel, funnel_dropped, funnel_times, funnel_users
from churnlab.funnels.spec import Funnel
from churnlab.funnels.trend import funnel_conversion_curve, funnel_trend

__all__ = [
    "Funnel",
    "funnel",
    "funnel_users",
    "funnel_dropped",
    "funnel_times",
    "funnel_trend",
    "funnel_conversion_curve",
]
