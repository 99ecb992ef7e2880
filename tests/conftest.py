"""Shared fixtures: backends, hypothesis profile, paths to the real datasets."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# No wall-clock limits in tests: machines are shared and noisy.
settings.register_profile(
    "churnlab",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("churnlab")

ROOT = Path(__file__).resolve().parents[1]
#: ../shared/data/real beside the repository, or $CHURNLAB_REAL_DATA.
REAL_DATA = Path(
    os.environ.get("CHURNLAB_REAL_DATA", ROOT.parent / "shared" / "data" / "real")
)


def real_file(*parts: str) -> Path:
    """Path of a real dataset file (may not exist; tests skip then)."""
    return REAL_DATA.joinpath(*parts)


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'churnlab[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (PySpark needs Java 17 on PATH or JAVA_HOME)"
    return None


@pytest.fixture(scope="session")
def spark_con():
    """An Ibis PySpark backend on a local[1] session with a UTC time zone."""
    reason = _spark_missing()
    if reason:
        pytest.skip(reason)
    from churnlab import engine

    con = engine.connect("pyspark", master="local[1]")
    yield con


@pytest.fixture(
    scope="session",
    params=["duckdb", pytest.param("pyspark", marks=pytest.mark.spark)],
)
def con(request):
    """Each backend in turn, as Ibis's own suite runs each test body per backend."""
    if request.param == "duckdb":
        from churnlab import engine

        return engine.connect("duckdb")
    return request.getfixturevalue("spark_con")
