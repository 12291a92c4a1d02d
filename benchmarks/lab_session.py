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

__all__ = ["NotebookPage", "browser_missing", "floor_round_trips", "lab_notebook", "percentile"]


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


# The floor of every browser figure: a bare anywidget whose click goes to Python, which
# moves one bqplot bar. Nothing of vsm_widget is in it, so a browser figure divided by this
# floor, measured in the same run, is comparable across runs of a machine whose speed drifts.
FLOOR_SETUP = '''
import anywidget, bqplot, traitlets

class _Clicker(anywidget.AnyWidget):
    _esm = """
    export default { render({ model, el }) {
      const b = document.createElement("button");
      b.className = "floor-button"; b.textContent = "click";
      b.onclick = () => model.send({ click: true });
      el.appendChild(b);
    } };
    """

_floor_x = bqplot.OrdinalScale()
_floor_y = bqplot.LinearScale(min=0, max=100)
_floor_bars = bqplot.Bars(x=["a"], y=[1], scales={"x": _floor_x, "y": _floor_y})
_floor_fig = bqplot.Figure(marks=[_floor_bars], layout={"width": "300px", "height": "200px"})
_floor_fig.add_class("floor-figure")
_floor_clicks = [0]

def _on_click(widget, content, buffers):
    _floor_clicks[0] += 1
    _floor_bars.y = [1 + _floor_clicks[0] % 90]

_clicker = _Clicker()
_clicker.on_msg(_on_click)
'''

FLOOR_ARM = """() => {
  const figure = document.querySelector('.floor-figure');
  const bar = () => figure && figure.querySelector('g.bargroup rect.bar');
  const before = bar() && bar().getAttribute('height');
  window.__floor = new Promise((resolve) => {
    const start = performance.now();
    const observer = new MutationObserver(() => {
      const now = bar() && bar().getAttribute('height');
      if (now !== before) { observer.disconnect(); resolve(performance.now() - start); }
    });
    observer.observe(figure, { subtree: true, attributes: true, childList: true });
    document.querySelector('.floor-button').click();
    setTimeout(() => resolve(null), 15000);
  });
}"""


def floor_round_trips(nb: NotebookPage, count: int) -> list[float]:
    """Milliseconds from a click in a bare anywidget to a bqplot bar redrawn by Python.

    The first call puts the floor's widgets in a cell of their own; later calls reuse it.
    """
    if not getattr(nb, "_floor_ready", False):
        nb.py(FLOOR_SETUP)
        output = nb.add_cell("floor", "import ipywidgets\nipywidgets.VBox([_clicker, _floor_fig])")
        output.locator(".floor-button").wait_for()
        output.locator(".floor-figure g.bargroup rect.bar").first.wait_for()
        nb._floor_ready = True  # type: ignore[attr-defined]
    times = []
    for _ in range(count):
        nb.page.evaluate(FLOOR_ARM)
        elapsed = nb.page.evaluate("() => window.__floor")
        if elapsed is None:
            raise TimeoutError("the floor's bar was not redrawn within 15 s")
        times.append(float(elapsed))
    return times
