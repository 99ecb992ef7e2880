"""Headless Chromium probes for the report pages."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _overflow(html_path: Path, width: int) -> tuple[str, str]:
    """(``yes``/``no`` page wider than the window, the page's width)."""
    found = _probe(html_path, width)
    return found["overflow"], found["width"]


def _hidden_figures(html_path: Path, width: int) -> int:
    """How many figures show no drawing at all at ``width``."""
    return int(_probe(html_path, width)["hidden"])


def _probe(html_path: Path, width: int) -> dict[str, str]:
    probe = html_path.with_name("probe.html")
    script = (
        "<script>window.addEventListener('load', function () {"
        "var hidden = 0;"
        "document.querySelectorAll('.cl-fig').forEach(function (f) {"
        "var shown = Array.prototype.some.call(f.querySelectorAll('svg'),"
        "function (s) { return s.getBoundingClientRect().width > 0; });"
        "if (!shown) { hidden += 1; } });"
        "document.body.setAttribute('data-overflow', "
        "document.documentElement.scrollWidth > window.innerWidth ? 'yes' : 'no');"
        "document.body.setAttribute('data-width', "
        "document.documentElement.scrollWidth);"
        "document.body.setAttribute('data-hidden', hidden);});</script>"
    )
    # the page's Content-Security-Policy forbids scripts: the probe drops it
    page = re.sub(
        r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html_path.read_text()
    )
    probe.write_text(page.replace("</body>", script + "</body>"))
    done = subprocess.run(
        [
            shutil.which("chromium") or shutil.which("chromium-browser"),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={html_path.parent / 'chrome'}",
            f"--window-size={width},900",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    found = re.search(
        r'data-overflow="(\w+)" data-width="(\d+)" data-hidden="(\d+)"', done.stdout
    )
    assert found, done.stderr[-2000:]
    return dict(zip(("overflow", "width", "hidden"), found.groups(), strict=True))
