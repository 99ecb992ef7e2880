"""The committed lock satisfies pyproject.toml, and the check catches drift."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location(
    "check_lock", ROOT / "requirements" / "check_lock.py"
)
check_lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_lock)


def test_lock_satisfies_pyproject():
    assert check_lock.problems() == []


def test_drift_is_reported(tmp_path):
    text = (ROOT / "pyproject.toml").read_text()
    bumped = text.replace('"pandas>=2.1,<3"', '"pandas>=2.1,<2.2"')
    assert bumped != text
    (tmp_path / "pyproject.toml").write_text(bumped)
    found = check_lock.problems(tmp_path / "pyproject.toml")
    assert any("pandas==" in line and "outside" in line for line in found), found


def test_lock_names_no_index_or_host():
    for lock in (ROOT / "requirements").glob("*.txt"):
        for line in lock.read_text().splitlines():
            assert not line.startswith(("--index", "--extra-index", "-i ")), line
            assert "://" not in line, line
