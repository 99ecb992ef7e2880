"""Layout rules: one door to the backends, explicit public names, notebooks clean."""

from __future__ import annotations

import re
from pathlib import Path

import churnlab as cl

PACKAGE = Path(cl.__file__).parent


def package_files():
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "engine.py")


def test_only_the_engine_runs_queries_or_imports_backends():
    bad = []
    pattern = re.compile(
        r"\.execute\(|\.to_pandas\(|\.sql\(|\.raw_sql\(|^\s*(import|from)\s+(duckdb|pyspark)"
    )
    for path in package_files():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and "engine.execute(" not in line:
                bad.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert not bad, "queries run outside churnlab/engine.py:\n" + "\n".join(bad)


def test_every_module_declares_all_and_a_docstring():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if path.name in {"__init__.py", "__main__.py"} and len(text.strip()) == 0:
            continue
        assert text.lstrip().startswith('"""'), f"{path} has no module docstring"
        if path.name not in {"__init__.py", "__main__.py"}:
            assert "__all__" in text, f"{path} does not list its public names"


def test_top_level_names_resolve():
    for name in cl.__all__:
        assert hasattr(cl, name), name
