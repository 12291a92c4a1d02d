"""The quickstart exported to HTML (``jupyter nbconvert --to html --execute``), read in
Chromium without JavaScript, as on a page where the widgets cannot load: the map and its
figures are there as a picture, as wide as the page allows and never cut off at its edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from pages import to_html

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quickstart, executed (with its widget state) and exported to HTML."""
    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    path = tmp_path_factory.mktemp("export") / "quickstart.html"
    path.write_text(to_html(notebook), encoding="utf-8")
    return path


@pytest.fixture
def static_page(chromium: Any, exported: Path) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 900, "height": 1000}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(exported.as_uri())
        yield page
    finally:
        context.close()


def test_the_exported_quickstart_shows_each_map_as_a_picture_within_the_page(
    static_page: Any, artifacts: Path
) -> None:
    pictures = static_page.locator(".vsm-fallback")
    # The editor's and the dashboard's, where their widgets cannot be drawn.
    assert pictures.count() == 2
    for index in range(2):
        picture = pictures.nth(index)
        assert picture.is_visible()
        fit = picture.evaluate(
            """(el) => {
              const svg = el.querySelector('svg');
              const box = svg.getBoundingClientRect();
              const output = el.closest('.jp-OutputArea-output').getBoundingClientRect();
              const [, , w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
              return {left: box.left, right: box.right, width: box.width, height: box.height,
                      outLeft: output.left, outRight: output.right, drawnW: w, drawnH: h,
                      processes: svg.querySelectorAll('[data-vsm-kind="process"]').length};
            }"""
        )
        assert fit["processes"] == 5
        # Inside the output, left and right; drawn 1,850 units wide, so scaled down here.
        assert fit["left"] >= fit["outLeft"] - 0.5
        assert fit["right"] <= fit["outRight"] + 0.5
        assert fit["width"] < fit["drawnW"]
        # Scaled, not squeezed: the proportions of the drawing.
        assert fit["height"] == pytest.approx(fit["width"] * fit["drawnH"] / fit["drawnW"], abs=1.5)
        # Its figures above it, as the dashboard's cards say them.
        assert "Lead time 23.6 working days" in " ".join(picture.inner_text().split())
    pictures.first.screenshot(path=str(artifacts / "static-html-quickstart.png"))
