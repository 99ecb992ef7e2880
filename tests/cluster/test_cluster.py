"""Heavy calls on a real Spark standalone cluster equal DuckDB's answers."""

import pytest

from tests.cluster.check_on_cluster import CHECKS

pytestmark = pytest.mark.spark


def test_runs_on_the_cluster(cluster_results, spark_cluster):
    info = cluster_results["_cluster"]
    assert info["master"] == spark_cluster
    assert info["executors"] == 2


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_cluster_equals_duckdb(cluster_results, check):
    result = cluster_results[check]
    assert result["ok"], result["error"]
    assert result["rows"] > 0
