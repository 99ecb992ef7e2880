"""Headless Chromium probes for the report pages."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _overflow(html_path: Path, width: int) -> tuple[str, str]:
    probe = html_path.with_name("probe.html")
    script = (
        "<script>window.addEventListener('load', function () {"
        "document.body.setAttribute('data-overflow', "
        "document.documentElement.scrollWidth > window.innerWidth ? 'yes' : 'no');"
        "document.body.setAttribute('data-width', "
        "document.documentElement.scrollWidth);});</script>"
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
    found = re.search(r'data-overflow="(\w+)" data-width="(\d+)"', done.stdout)
    assert found, done.stderr[-2000:]
    return found.group(1), found.group(2)
