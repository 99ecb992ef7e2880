"""churnlab: churn, retention, lifetime, funnel and sales analysis for Jupyter.

The top level holds what analysts call; each name is re-exported from the
module that defines it (one hop from a name to its code).
"""

from churnlab import engine, periods, sample
from churnlab.contract import Dataset, load_dataset
from churnlab.engine import connect
from churnlab.errors import (
    BackendError,
    ChurnlabError,
    ChurnlabWarning,
    ContractError,
    ParameterError,
    ReportError,
)
from churnlab.sample import sample_dataset

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "engine",
    "periods",
    "sample",
    "Dataset",
    "load_dataset",
    "connect",
    "sample_dataset",
    "BackendError",
    "ChurnlabError",
    "ChurnlabWarning",
    "ContractError",
    "ParameterError",
    "ReportError",
]

# --- churn and revenue metrics (metrics/) ---

# --- cohorts ---

# --- survival ---

# --- funnels and sales ---

# --- reports ---
