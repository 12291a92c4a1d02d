"""A JupyterLab and Debian's Chromium for the browser benchmarks, started as the browser
tests start them (tests/browser/harness.py), with one notebook open and its setup run.
"""

from __future__ import annotations

import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser.harness import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    JupyterServer,
    NotebookPage,
    browser_missing,
    write_notebook,
)

__all__ = ["NotebookPage", "browser_missing", "lab_notebook", "percentile"]


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@contextmanager
def lab_notebook(setup: str, viewport: dict[str, int], prefix: str) -> Iterator[NotebookPage]:
    """A notebook open in a fresh JupyterLab whose first cell, ``setup``, has run.

    Page errors are printed at the end; the server stops even on a CI timeout (SIGTERM).
    """
    from playwright.sync_api import sync_playwright

    # Turn a SIGTERM (a CI timeout) into an exception so that the server is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        server = JupyterServer(Path(tmp), "lab").start()
        try:
            write_notebook(server.root / "bench.ipynb", setup)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport=viewport)
                    page.set_default_timeout(60_000)
                    notebook = NotebookPage(page, server).open("bench.ipynb")
                    notebook.run_all()
                    yield notebook
                    if notebook.errors:
                        print(f"page errors: {notebook.errors}")
                finally:
                    browser.close()
        finally:
            server.stop()
