"""Every example notebook, run in a real JupyterLab: no error, its main output drawn, every
canvas on the page the same picture as Python's SVG of it, and a screenshot of that output
for people to look at (tests/artifacts/; ``python docs/refresh_images.py`` copies it into
docs/images/)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import JupyterServer, NotebookPage
from .test_one_picture import FONT_READY, READ_NODES, READ_PYTHON, _same_picture

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.ipynb"))

# What each notebook must draw: every notebook shows at least one map canvas; the
# quickstart and the future-state notebook also show bqplot charts.
CHARTS = {"quickstart", "future-state"}

#: Python's picture (``to_svg()``, the scene the canvas was sent) of every canvas widget alive
#: in the kernel.
LIVE_PICTURES = (
    "[w.to_svg() for w in list(__import__('ipywidgets').widgets.widget._instances.values())"
    " if type(w).__name__ == 'MapWidget']"
)

#: Stream length from which a canvas leaves far-off nodes out of the page (js/draw.ts).
VIRTUAL_FROM = 80


class _OwnWorkspace:
    """The server, but opening notebooks in a workspace of their own: JupyterLab would
    otherwise restore the tabs of the notebooks opened before, over this one."""

    def __init__(self, server: JupyterServer, workspace: str) -> None:
        self._server = server
        self._workspace = workspace

    def url(self, notebook: str) -> str:
        return self._server.url(notebook).replace("/lab/tree/", f"/lab/workspaces/{self._workspace}/tree/")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)


@pytest.fixture(scope="module")
def examples_root(lab_server: JupyterServer) -> Path:
    """The examples folder (with its data) copied into the server's root."""
    target = lab_server.root / "examples"
    if not target.exists():
        shutil.copytree(ROOT / "examples", target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return target


@pytest.fixture
def page(chromium: Any, lab_server: JupyterServer, artifacts: Path) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_notebook_runs_in_jupyterlab(
    path: Path, page: Any, lab_server: JupyterServer, examples_root: Path, artifacts: Path
) -> None:
    notebook = NotebookPage(page, _OwnWorkspace(lab_server, f"example-{path.stem}"))  # type: ignore[arg-type]
    notebook.open(f"examples/{path.name}")
    try:
        notebook.run_all()
        errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
        assert errors.count() == 0, errors.first.inner_text()
        assert notebook.errors == [], f"uncaught errors in the page: {notebook.errors}"

        canvas = page.locator(".vsm-canvas").first
        canvas.wait_for(state="visible")
        assert canvas.locator('[data-vsm-kind="process"]').count() >= 1
        if path.stem in CHARTS:
            chart = page.locator("svg.svg-figure").first
            chart.wait_for(state="visible")
        # Every canvas and dashboard output is followed by a static picture of its map for
        # readers without JavaScript; with the live canvas on the page it is hidden.
        pictures = page.locator(".jp-OutputArea-child .vsm-fallback")
        assert pictures.count() >= 1
        for index in range(pictures.count()):
            pictures.nth(index).wait_for(state="hidden")

        _every_canvas_is_pythons_picture(notebook, page)

        output = page.locator(".jp-OutputArea-output", has=page.locator(".vsm-canvas")).first
        output.scroll_into_view_if_needed()
        shot = artifacts / f"example-{path.stem}.png"
        output.screenshot(path=str(shot))
    except BaseException:
        page.screenshot(path=str(artifacts / f"failed-example-{path.stem}.png"), full_page=True)
        raise


def _every_canvas_is_pythons_picture(notebook: NotebookPage, page: Any, timeout: float = 15) -> None:
    """Each canvas on the page draws what Python's SVG of a live canvas widget draws: the
    same nodes and ids, the same boxes within 1 map unit, the same texts. A map edited by a
    later cell may still be taking its patch when the cells are done: the pictures are read
    again until they agree, or ``timeout`` passes."""
    page.wait_for_function(FONT_READY, polling=100)
    canvases = page.locator(".vsm-canvas .vsm-viewport")
    deadline = time.monotonic() + timeout
    while True:
        pictures = [page.evaluate(READ_PYTHON, [svg, READ_NODES]) for svg in notebook.value(LIVE_PICTURES)]
        try:
            assert pictures, "no canvas widget alive in the kernel"
            assert canvases.count() >= 1, "no canvas on the page"
            for index in range(canvases.count()):
                shown = canvases.nth(index).evaluate(READ_NODES)
                drawn = {(node["key"], node["text"]) for node in shown}
                # Its own picture is the one with the same nodes and texts (a current and a
                # future state share their keys).
                own = min(pictures, key=lambda picture: len(drawn ^ {(n["key"], n["text"]) for n in picture}))
                long = sum(node["kind"] == "rung" for node in own) >= VIRTUAL_FROM
                _same_picture(shown, own, culled=long and len(shown) < len(own))
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
