"""Branches and rework loops made from the canvas's details panel, read back in Python.

The canvas draws only the main line for now (branch lanes are laid out elsewhere), so
these tests act in the panel and check the model and the panel's DOM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import NotebookPage
from .test_canvas import PLANT, element

pytestmark = pytest.mark.browser

BRANCHES = "[[b.into, b.after, [s.name for s in b.items]] for b in m_paths.branches]"
LOOPS = "[[r.source, r.target, r.share] for r in m_paths.reworks]"


def test_a_feeder_and_a_rework_loop_from_the_panel_and_a_bad_share_refused(
    lab: NotebookPage, artifacts: Path
) -> None:
    canvas = lab.canvas("paths", f"m_paths = {PLANT}\nm_paths.editor(height=620)")
    element(canvas, "process", "assy1").click()
    canvas.locator('[data-vsm-path-action="feeder"]').click()
    # A feeder into Assembly #1 with a first step of a free name (five steps: "Process 6").
    assert lab.wait_value(BRANCHES, lambda v: v != []) == [["assy1", None, ["Process 6"]]]
    # The new step is selected: its panel shows it on the feeder's path.
    step = lab.value("m_paths.branches[0].items[0].id")
    path = canvas.locator(f'[data-vsm-input="{step}:path"]')
    path.wait_for()
    assert path.input_value() == lab.value("m_paths.branches[0].id")

    element(canvas, "process", "weld2").click()
    canvas.locator('[data-vsm-input="weld2:rework target"]').select_option("weld1")
    share = canvas.locator('[data-vsm-input="weld2:rework share"]')
    share.fill("120%")
    canvas.locator('[data-vsm-path-action="rework"]').click()
    error = canvas.locator('[data-vsm-row="weld2:share"] .vsm-error')
    error.wait_for()
    assert "100%" in (error.text_content() or "")
    assert lab.value(LOOPS) == []
    assert lab.value("m_paths.can_undo") is True  # the feeder's add, nothing since

    share.fill("25%")
    share.press("Enter")
    assert lab.wait_value(LOOPS, lambda v: v != []) == [["weld2", "weld1", 0.25]]
    error.wait_for(state="detached")
    # S. Weld #1 (39 s), the parts between the welders (1,700 x 60 s) and S. Weld #2 (46 s)
    # are passed 1 / (1 - 0.25) = 4/3 times: a third of them more on the lead time.
    extra = lab.value("m_paths.metrics().lead_time_with_rework - m_paths.metrics().lead_time")
    assert extra == pytest.approx((39 + 1700 * 60 + 46) / 3)

    panel = canvas.locator(".vsm-inspector")
    try:
        for theme, name in (
            ("JupyterLab Light", "panel-paths-light.png"),
            ("JupyterLab Dark", "panel-paths-dark.png"),
        ):
            lab.set_theme(theme)
            panel.screenshot(path=str(artifacts / name), animations="disabled")
    finally:
        lab.set_theme("JupyterLab Light")


def test_a_step_moves_to_another_path_from_the_panel(lab: NotebookPage) -> None:
    canvas = lab.canvas(
        "move-path",
        f"m_move = {PLANT}\nb_move = m_move.add_branch(into='assy2', name='Brackets')\n"
        "b_move.add_process('Bend', cycle_time='20 s')\nw_move = m_move.editor()\nw_move",
    )
    element(canvas, "process", "assy1").click()
    # Every step of the plant stands between two inventories: taking one off the main line
    # would leave them side by side, and is refused on the Path row.
    canvas.locator('[data-vsm-input="assy1:path"]').select_option(label="Brackets (b1)")
    error = canvas.locator('[data-vsm-row="assy1:path"] .vsm-error')
    error.wait_for()
    assert "side by side" in (error.text_content() or "")
    assert lab.value("[s.name for s in m_move.branches[0].items]") == ["Bend"]
    # Bend goes to the end of the main line; the feeder, left empty, goes with the move.
    bend = lab.value('m_move.get("Bend").id')
    lab.py('w_move.select("Bend")')
    canvas.locator(f'[data-vsm-input="{bend}:path"]').select_option("main")
    lab.wait_value("len(m_move.branches)", lambda v: v == 0)
    assert lab.value("m_move.steps[-1].name") == "Bend"
