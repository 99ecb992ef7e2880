"""The bundled sample company: a deterministic fictional B2B SaaS with a sales team.

Public names: ``sample_dataset``, ``DATA_DIR``, ``generate``, ``write``,
``ground_truth``, ``SAMPLE_START``, ``SAMPLE_END``.

``churnlab/sample/data/`` (package data, shipped in the wheel) holds the default
dataset (5,000 accounts, 36 months) written by :func:`write`; ``data/README.md``
documents every table and column and the planted parameters.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from churnlab.contract import Dataset, load_dataset
from churnlab.sample.generator import (
    SAMPLE_END,
    SAMPLE_START,
    generate,
    ground_truth,
    write,
)

__all__ = [
    "sample_dataset",
    "DATA_DIR",
    "generate",
    "write",
    "ground_truth",
    "SAMPLE_START",
    "SAMPLE_END",
]

#: Folder of the committed default sample dataset.
DATA_DIR = Path(str(resources.files("churnlab.sample").joinpath("data")))


@functools.lru_cache(maxsize=1)
def sample_dataset() -> Dataset:
    """Load the bundled sample company as a validated :class:`~churnlab.Dataset`.

    Returns
    -------
    Dataset
        customers, subscriptions, orders, events, leads, deals, deal_stages,
        activities, targets, churn_reasons and nps for 36 months
        (2023-11-01 to 2026-10-31). The same object is returned on every call.

    Examples
    --------
    >>> import churnlab as cl
    >>> ds = cl.sample_dataset()
    >>> ds.info["subscriptions"].n_rows > 5000
    True
    >>> str(ds.latest("subscriptions").date()) <= cl.sample.SAMPLE_END
    True
    """
    if DATA_DIR.is_dir() and any(DATA_DIR.glob("subscriptions.*")):
        return load_dataset(DATA_DIR)
    return load_dataset(generate())
