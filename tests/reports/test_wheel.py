"""The built wheel carries its reports and sample: install it elsewhere and run one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

UV = shutil.which("uv")


@pytest.mark.slow
@pytest.mark.skipif(UV is None, reason="uv is not installed (it builds the venv)")
def test_wheel_installs_outside_the_repo_and_runs_a_report(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("churnlab-*.whl")
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run(
        [UV, "venv", "--quiet", "--python", sys.executable, str(venv)],
        check=True,
        env=env,
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [
            UV,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "-r",
            str(ROOT / "requirements" / "lock.txt"),
            str(wheel),
        ],
        check=True,
        env=env,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    done = subprocess.run(
        [str(venv / "bin" / "churnlab"), "report", "churn", "--quiet"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == "" and done.stderr == ""  # --quiet, no kernel warning
    page = work / "reports" / "churn" / "2026-10" / "churn.html"
    assert "Churn report · October 2026" in page.read_text()
    assert (work / "reports" / "index.html").exists()
    # the installed package, not this source tree, ran the report
    where = subprocess.run(
        [str(python), "-c", "import churnlab; print(churnlab.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(where.strip()).is_relative_to(venv)
