"""Fail with a clear message when pyproject.toml and the committed locks disagree.

Every dependency that pyproject.toml declares (the core set and the ``dev``,
``spark``, ``clv`` and ``lab`` extras) must be pinned in the lock that installs
it, at a version its range admits. Run by ``make test`` (and so by CI) before the tests.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
FIX = "run `make lock` (needs uv) and commit requirements/"


def pins(path: Path) -> dict[str, str]:
    """``{normalised name: version}`` of the lines that apply to Python 3.11."""
    env = default_environment() | {
        "python_version": "3.11",
        "python_full_version": "3.11.0",
    }
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        (spec,) = req.specifier
        out[_norm(req.name)] = spec.version
    return out


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def problems(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """Every requirement that its lock does not pin at an admitted version."""
    project = tomllib.loads(pyproject.read_text())["project"]
    extras = project.get("optional-dependencies", {})
    wanted = {
        "requirements/lock.txt": project["dependencies"]
        + extras.get("dev", [])
        + extras.get("spark", [])
        + extras.get("clv", []),
        "requirements/lock-lab.txt": project["dependencies"] + extras.get("lab", []),
    }
    out = []
    for lock, reqs in wanted.items():
        path = ROOT / lock
        if not path.exists():
            out.append(f"{lock} is missing")
            continue
        pinned = pins(path)
        for text in reqs:
            req = Requirement(text)
            name = _norm(req.name)
            if name not in pinned:
                out.append(f"{lock}: {req.name} is declared but not pinned")
            elif not req.specifier.contains(pinned[name], prereleases=True):
                out.append(
                    f"{lock}: {req.name}=={pinned[name]} is outside "
                    f"pyproject's range '{req.specifier}'"
                )
    return out


def main() -> int:
    """Print each disagreement and the fix; exit 1 if there is any."""
    found = problems()
    if found:
        print("pyproject.toml and the lock disagree:", file=sys.stderr)
        for line in found:
            print(f"  - {line}", file=sys.stderr)
        print(f"Fix: {FIX}.", file=sys.stderr)
        return 1
    print("lock: requirements/ satisfies pyproject.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
