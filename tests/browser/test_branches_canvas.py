"""Branches and rework loops on the canvas: drawn as Python lays them out, with the right
counts of boxes, connectors and rungs; an edit on a branch step moves the lead time only
when its path is critical.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .harness import NotebookPage
from .test_one_picture import _drawn, _same_picture

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

#: By hand: main line Order 1 h, a 2 h wait, Assemble 1 h: 4 h. The feeder: Make part 1 h,
#: a 1 h wait, then Assemble: 3 h. A loop sends 20% of Assemble's output back to itself.
KITS = """
from vsm_widget import ValueStreamMap
m_br = ValueStreamMap("Kits", demand=10, available_time="8 h")
m_br.add_process("Order", cycle_time="1 h")
m_br.add_wait("2 h")
m_br.add_process("Assemble", cycle_time="1 h")
m_br.add_process("Pack", cycle_time="30 min")
parts = m_br.add_branch(into="Assemble", name="Parts")
parts.add_process("Make part", cycle_time="1 h")
parts.add_wait("1 h")
check = m_br.add_branch(into="Pack", after="Order", name="Paperwork")
check.add_process("Print papers", cycle_time="10 min")
m_br.add_rework(source="Assemble", target="Assemble", share="20%")
m_br.editor(height=760)
"""


def _lead_time(canvas: Any) -> str:
    return canvas.locator('[data-vsm-node="totals"] .vsm-total-lead_time').text_content() or ""


def test_branches_and_a_loop_draw_with_their_counts_and_as_python_lays_them_out(lab: NotebookPage) -> None:
    canvas = lab.canvas("branches", KITS)
    canvas.locator('[data-vsm-kind="merge"]').first.wait_for()
    # Five steps on three paths, two branches joining, one splitting off, one loop.
    assert canvas.locator('[data-vsm-kind="process"]').count() == 5
    assert canvas.locator('[data-vsm-kind="merge"]').count() == 2
    assert canvas.locator('[data-vsm-kind="split"]').count() == 1
    assert canvas.locator('[data-vsm-kind="rework"]').count() == 1
    assert "20% rework" in (canvas.locator('[data-vsm-kind="rework"]').text_content() or "")
    # The ladder runs along the critical path (the main line: Order, wait, Assemble,
    # Pack): four rungs, none for the branches' items.
    assert canvas.locator('[data-vsm-kind="rung"]').count() == 4
    assert canvas.locator('[data-vsm-node="paths"] text').count() == 3 + 3 * 3
    shown, python = _drawn(lab, canvas, "m_br")
    _same_picture(shown, python)
    ARTIFACTS.mkdir(exist_ok=True)
    canvas.screenshot(path=str(ARTIFACTS / "canvas-branches.png"))


def test_an_edit_on_a_branch_step_moves_the_lead_time_only_when_its_path_is_critical(
    lab: NotebookPage,
) -> None:
    canvas = lab.canvas("branch-edit", KITS.replace("m_br", "m_be"))
    canvas.locator('[data-vsm-kind="merge"]').first.wait_for()
    assert _lead_time(canvas) == "4.5 h"
    step = lab.value("m_be.get('Make part').id")

    def edit(text: str) -> None:
        node = canvas.locator(f'[data-vsm-kind="process"][data-vsm-id="{step}"]')
        node.locator('[data-vsm-field="cycle_time"]').first.dblclick()
        box = canvas.locator("input.vsm-inline:focus")
        box.wait_for(state="visible")
        box.fill(text)
        box.press("Enter")

    # The feeder's route: 1.5 h + 1 h + Assemble 1 h + Pack 0.5 h = 4 h, under the main
    # line's 4.5 h: the lead time stays.
    edit("1.5 h")
    lab.wait_value("m_be.get('Make part').cycle_time", lambda v: v == 5400)
    canvas.locator('[data-vsm-node="paths"]', has_text="4 h").wait_for()
    assert _lead_time(canvas) == "4.5 h"
    # 3 h makes the feeder critical: 3 + 1 + 1 + 0.5 = 5.5 h.
    edit("3 h")
    canvas.locator('[data-vsm-node="totals"]', has_text="5.5 h").wait_for()
    assert _lead_time(canvas) == "5.5 h"
    assert "Critical path: Parts" in (canvas.locator('[data-vsm-node="totals"]').text_content() or "")
    assert lab.value("m_be.metrics().critical_path") == lab.value("m_be.branches[0].id")
