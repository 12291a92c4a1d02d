"""The dashboard in a real JupyterLab: an edit on the canvas moves the cards and the bars;
a click on a bar selects the step on the canvas.

Figures from *Learning to See* (Rother and Shook): C/T 1 + 39 + 46 + 62 + 40 = 188 s;
S. Weld #2 runs at 46 s with 80% uptime, an effective 46 / 0.8 = 57.5 s; Assembly #1 at
62 s is the bottleneck. Cutting Assembly #1 to 55 s gives 188 - 62 + 55 = 181 s of
process time and makes S. Weld #2 (57.5 s) the bottleneck.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import SETUP
from .harness import JupyterServer, NotebookPage, write_notebook

pytestmark = pytest.mark.browser

STEPS = ["stamping", "weld1", "weld2", "assy1", "assy2"]  # stream order of the template


@pytest.fixture(scope="module")
def dash(chromium: Any, lab_server: JupyterServer, artifacts: Path) -> Iterator[NotebookPage]:
    """A notebook in a window tall enough for the whole dashboard (for its screenshot)."""
    write_notebook(lab_server.root / "dashboard.ipynb", SETUP)
    context = chromium.new_context(viewport={"width": 1500, "height": 2600})
    page = context.new_page()
    page.set_default_timeout(30_000)
    notebook = NotebookPage(page, lab_server)
    try:
        notebook.open("dashboard.ipynb")
        notebook.run_all()
        yield notebook
    except BaseException:
        page.screenshot(path=str(artifacts / "failed-dashboard.png"))
        raise
    finally:
        context.close()


def card_text(page: Any, name: str) -> str:
    return str(page.locator(f".vsm-card-{name} .vsm-card-value").first.inner_text()).strip()


def bar_heights(page: Any) -> list[float]:
    """Total height of each step's stacked bar in the cycle-time chart, in stream order."""
    return list(
        page.evaluate(
            """() => {
              const figure = document.querySelector('.vsm-chart-cycle');
              return [...figure.querySelectorAll('g.bargroup')].map((group) =>
                [...group.querySelectorAll('rect.bar')]
                  .reduce((sum, rect) => sum + Number(rect.getAttribute('height') || 0), 0));
            }"""
        )
    )


def test_canvas_edit_moves_cards_and_bars_and_bars_select_steps(dash: NotebookPage, artifacts: Path) -> None:
    page = dash.page
    output = dash.add_cell("dashboard", 'm = load_template("stamping_plant")\nm.dashboard()')
    canvas = output.locator(".vsm-canvas").first
    canvas.wait_for(state="visible")
    page.locator(".vsm-chart-cycle g.bargroup").nth(len(STEPS) - 1).wait_for(state="attached")
    assert card_text(page, "process-time") == "188 s"
    assert card_text(page, "bottleneck") == "Assembly #1"
    before = bar_heights(page)
    assert before[3] > before[2]  # 62 s above 57.5 s

    # Edit on the canvas, as a coach would: select the step, type in the details panel.
    canvas.locator('[data-vsm-kind="process"][data-vsm-id="assy1"]').first.click()
    field = canvas.locator('[data-vsm-row="assy1:cycle_time"] input')
    field.wait_for(state="visible")
    field.fill("55 s")
    field.press("Enter")

    # Each card is its own widget, updated by its own message: wait for both.
    page.wait_for_function(
        "() => document.querySelector('.vsm-card-process-time .vsm-card-value')"
        ".textContent.trim() === '181 s'"
    )
    page.wait_for_function(
        "() => document.querySelector('.vsm-card-bottleneck .vsm-card-value')"
        ".textContent.trim() !== 'Assembly #1'"
    )
    assert card_text(page, "bottleneck") == "S. Weld #2"
    page.wait_for_function(
        """() => {
          const groups = [...document.querySelectorAll('.vsm-chart-cycle g.bargroup')];
          const height = (g) => [...g.querySelectorAll('rect.bar')]
            .reduce((sum, rect) => sum + Number(rect.getAttribute('height') || 0), 0);
          return groups.length === 5 && height(groups[3]) < height(groups[2]);
        }"""
    )
    after = bar_heights(page)
    # 55 / 57.5 of the S. Weld #2 bar, whatever the axis became.
    assert after[3] / after[2] == pytest.approx(55 / 57.5, rel=0.02)
    assert dash.value("m.get('assy1').cycle_time") == 55

    # A click on the Stamping bar selects Stamping on the canvas and in Python.
    page.locator(".vsm-chart-cycle g.bargroup").nth(0).locator("rect.bar").first.click()
    canvas.locator('[data-vsm-kind="process"][data-vsm-id="stamping"].vsm-selected').wait_for()
    dash.wait_value("list(m.editor().selection)", lambda value: value == ["stamping"])

    # The pointer leaves the chart, as a coach's would, so no tooltip is left in the pictures.
    page.mouse.move(2, 2)
    for theme, name in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
        dash.set_theme(theme)
        # JupyterLab shows its splash screen while it swaps theme styles.
        page.wait_for_selector("#jupyterlab-splash", state="detached")
        shot = artifacts / f"dashboard-{name}.png"
        output.screenshot(path=str(shot))
    dash.set_theme("JupyterLab Light")
