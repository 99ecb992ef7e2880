"""A real Spark standalone cluster on 127.0.0.1: one master, two workers.

Started once per test session from the pip-installed pyspark
(``$SPARK_HOME/bin/spark-class``), torn down by process group at the end. The
checks themselves run in a separate Python process (one JVM holds one
SparkContext, and the rest of the suite uses a ``local[1]`` session), see
``check_on_cluster.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'churnlab[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java 17 is not installed (the Spark cluster needs java on PATH)"
    return None


def _wait(predicate, what: str, log: Path, tries: int = 240) -> None:
    for _ in range(tries):
        if predicate():
            return
        time.sleep(0.5)
    raise RuntimeError(f"Spark {what} did not come up; log:\n{log.read_text()[-3000:]}")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _alive_workers(ui_port: int) -> int:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{ui_port}/json/", timeout=2
        ) as resp:
            state = json.load(resp)
    except OSError:
        return 0
    return sum(w.get("state") == "ALIVE" for w in state.get("workers", []))


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory) -> Iterator[str]:
    """Start master + 2 workers (1 core, 1 GB each); yield the master URL."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    import pyspark

    home = Path(pyspark.__file__).resolve().parent
    work = tmp_path_factory.mktemp("spark-cluster")
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": str(work),
        "SPARK_WORKER_DIR": str(work / "work"),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    port, ui = _free_port(), _free_port()
    procs: list[subprocess.Popen] = []

    def start(args: list[str], name: str) -> Path:
        log = work / f"{name}.log"
        procs.append(
            subprocess.Popen(
                [str(home / "bin" / "spark-class"), *args],
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        )
        return log

    try:
        log = start(
            [
                "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1",
                "--port", str(port),
                "--webui-port", str(ui),
            ],
            "master",
        )  # fmt: skip
        _wait(lambda: _listening(port), "master", log)
        url = f"spark://127.0.0.1:{port}"
        for i in range(2):
            start(
                [
                    "org.apache.spark.deploy.worker.Worker", url,
                    "--host", "127.0.0.1",
                    "--cores", "1",
                    "--memory", "1g",
                    "--webui-port", str(_free_port()),
                    "--work-dir", str(work / f"worker{i}"),
                ],
                f"worker{i}",
            )  # fmt: skip
        _wait(lambda: _alive_workers(ui) == 2, "workers", log)
        yield url
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="session")
def cluster_results(spark_cluster, tmp_path_factory) -> dict[str, dict]:
    """Run every check of check_on_cluster.py once; ``{name: {"ok": ..., ...}}``."""
    out = tmp_path_factory.mktemp("cluster-results") / "results.json"
    proc = subprocess.run(
        [sys.executable, str(HERE / "check_on_cluster.py"), spark_cluster, str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYSPARK_PYTHON": sys.executable},
    )
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"check_on_cluster.py failed ({proc.returncode}):\n{proc.stderr[-5000:]}"
        )
    return json.loads(out.read_text())
