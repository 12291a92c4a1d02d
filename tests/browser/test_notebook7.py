"""The same canvas in Notebook 7 (``jupyter notebook``): it draws and an edit round-trips."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import open_notebook
from .harness import JupyterServer, NotebookPage

pytestmark = pytest.mark.browser

LEAD_TIME = 21_730 * 60 + 188  # Learning to See: 21,730 parts at 60 s takt, plus 188 s of C/T


@pytest.fixture(scope="module")
def nb7(chromium: Any, notebook_server: JupyterServer, artifacts: Path) -> Iterator[NotebookPage]:
    """A notebook open in Notebook 7 with the package imported."""
    yield from open_notebook(chromium, notebook_server, "notebook7.ipynb", artifacts)


def test_canvas_draws_and_edits_in_notebook_7(nb7: NotebookPage) -> None:
    canvas = nb7.canvas("nb7", 'm7 = load_template("stamping_plant")\nm7')
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    assert canvas.locator('[data-vsm-kind="process"]').count() == 5
    assert canvas.locator('[data-vsm-kind="inventory"]').count() == 6
    assert canvas.locator('[data-vsm-kind="rung"]').count() == 11
    # The static picture that follows the canvas (for readers without JavaScript) is hidden.
    picture = nb7.page.locator('[data-test-cell="nb7"] .vsm-fallback')
    assert picture.count() == 1
    picture.wait_for(state="hidden")
    canvas.locator('[data-vsm-kind="process"][data-vsm-id="assy1"]').first.click()
    box = canvas.locator('[data-vsm-row="assy1:cycle_time"] input')
    box.fill("50 s")
    box.press("Enter")
    lead = nb7.wait_value("m7.metrics().lead_time", lambda v: v != pytest.approx(LEAD_TIME))
    assert lead == pytest.approx(LEAD_TIME - 12)
