"""The map canvas in a real JupyterLab: drawing, dragging, editing, errors, undo, safety.

Every test draws its own map in its own cell of one open notebook, acts on the canvas
like a user, then reads the result from Python in the notebook's kernel. Expected
figures come from *Learning to See* (Rother and Shook): takt 60 s, one part waiting =
60 s of lead time, C/T 1 + 39 + 46 + 62 + 40 = 188 s, 21,730 parts waiting in six
inventories, so lead time = 21,730 x 60 + 188 = 1,303,988 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import vsm_widget

from .harness import NotebookPage

pytestmark = pytest.mark.browser

LEAD_TIME = 21_730 * 60 + 188
PLANT = 'load_template("stamping_plant")'


def element(canvas: Any, kind: str, ident: str) -> Any:
    return canvas.locator(f'[data-vsm-kind="{kind}"][data-vsm-id="{ident}"]').first


def centre(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, "element is not rendered"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def hittable(page: Any, locator: Any) -> tuple[float, float]:
    """The centre of ``locator``, after checking that a pointer there reaches it (not an overlay)."""
    x, y = centre(locator)
    ident = locator.get_attribute("data-vsm-id")
    hit = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y);"
        " const g = e && e.closest('[data-vsm-id]'); return g && g.getAttribute('data-vsm-id'); }",
        [x, y],
    )
    assert hit == ident, f"a pointer at the centre of {ident} reaches {hit!r} instead"
    return x, y


def edit_field(canvas: Any, step: str, field: str, text: str) -> None:
    """Select a step on the canvas, type ``text`` into its field in the inspector, press Enter."""
    element(canvas, "process", step).click()
    box = canvas.locator(f'[data-vsm-row="{step}:{field}"] input')
    box.wait_for(state="visible")
    box.fill(text)
    box.press("Enter")


def edit_in_place(canvas: Any, step: str, field: str, text: str) -> None:
    """Double-click a field drawn in a process box, type ``text`` in the input over it, press Enter."""
    element(canvas, "process", step).locator(f'[data-vsm-field="{field}"]').first.dblclick()
    box = canvas.locator("input.vsm-inline:focus")
    box.wait_for(state="visible")
    box.fill(text)
    box.press("Enter")


def test_the_kernel_runs_the_package_under_test(lab: NotebookPage) -> None:
    # Not another install of it that the environment can also see.
    assert lab.value("__import__('vsm_widget').__file__") == vsm_widget.__file__


def test_example_map_renders_every_element(lab: NotebookPage) -> None:
    # A bare map in a cell displays as its editor.
    canvas = lab.canvas("render", f"m_render = {PLANT}\nm_render")
    processes = canvas.locator('[data-vsm-kind="process"]')
    processes.first.wait_for()
    assert processes.count() == 5
    assert canvas.locator('[data-vsm-kind="inventory"]').count() == 6
    # One lower rung per step and one upper rung per gap.
    assert canvas.locator('[data-vsm-kind="rung"]').count() == 5 + 6
    assert canvas.locator('[data-vsm-kind="customer"]').count() == 1
    assert canvas.locator('[data-vsm-kind="supplier"]').count() == 1
    names = [element(canvas, "process", i).text_content() for i in ("stamping", "assy1")]
    assert "Stamping" in (names[0] or "")
    assert "Assembly #1" in (names[1] or "")


def test_python_edit_redraws_the_canvas(lab: NotebookPage) -> None:
    canvas = lab.canvas("python-edit", f"m_py = {PLANT}\nm_py.editor()")
    element(canvas, "process", "assy2").wait_for()
    lab.py('m_py.add_process("Pack", cycle_time="12 s")')
    pack = canvas.locator('[data-vsm-kind="process"]', has_text="Pack")
    pack.wait_for()
    assert canvas.locator('[data-vsm-kind="process"]').count() == 6
    lab.py('m_py.remove("Pack")')
    pack.wait_for(state="detached")
    assert canvas.locator('[data-vsm-kind="process"]').count() == 5


def test_selection_goes_both_ways(lab: NotebookPage) -> None:
    canvas = lab.canvas("select", f"m_sel = {PLANT}\nw_sel = m_sel.editor()\nw_sel")
    stamping = element(canvas, "process", "stamping")
    stamping.click()
    lab.wait_value("w_sel.selection", lambda v: v == ["stamping"])
    lab.py('w_sel.select("Assembly #2")')
    element(canvas, "process", "assy2").and_(canvas.locator(".vsm-selected")).wait_for()
    assert "vsm-selected" not in (stamping.get_attribute("class") or "")
    # Removing the selected step in Python empties the selection on both sides.
    lab.py('m_sel.remove("assy2")')
    canvas.locator(".vsm-selected").wait_for(state="detached")
    assert lab.value("w_sel.selection") == []


#: Where every process box but one is drawn, by id: its box in the map's own units (the
#: viewport's coordinates), its own transform included, so that neither a pan nor a zoom
#: of the view counts as a move.
OTHER_STEPS = """(root, moved) => {
  const toMap = root.getCTM().inverse();
  return Object.fromEntries([...root.querySelectorAll('[data-vsm-kind="process"]')]
    .filter((g) => g.getAttribute('data-vsm-id') !== moved)
    .map((g) => {
      const b = g.getBBox();
      const m = toMap.multiply(g.getCTM());
      const at = (x, y) => new DOMPoint(x, y).matrixTransform(m);
      const a = at(b.x, b.y), z = at(b.x + b.width, b.y + b.height);
      return [g.getAttribute('data-vsm-id'), [a.x, a.y, z.x, z.y].map((v) => Math.round(v * 10) / 10)];
    }));
}"""


def test_drag_a_step_and_read_its_position_in_python(lab: NotebookPage) -> None:
    canvas = lab.canvas("drag", f"m_drag = {PLANT}\nw_drag = m_drag.editor()\nw_drag")
    box = element(canvas, "process", "weld2")
    box.wait_for()
    assert lab.value('[m_drag.get("weld2").x, m_drag.get("weld2").y]') == [None, None]
    # Where the box is drawn (map units) and how many screen pixels one map unit takes.
    left, top, scale = box.locator("rect.vsm-head").evaluate(
        "r => [r.x.baseVal.value, r.y.baseVal.value, r.getScreenCTM().a]"
    )
    others = canvas.locator(".vsm-viewport").evaluate(OTHER_STEPS, "weld2")
    moved_before = canvas.locator(".vsm-viewport").evaluate(OTHER_STEPS, "")["weld2"]
    x0, y0 = hittable(lab.page, box)
    lab.page.mouse.move(x0, y0)
    lab.page.mouse.down()
    lab.page.mouse.move(x0 + 60, y0 + 40, steps=8)
    lab.page.mouse.up()
    # Moves sent during the drag land first: wait for the drop position itself.
    dropped = [left + 60 / scale, top + 40 / scale]
    first = lab.wait_value(
        '[m_drag.get("weld2").x, m_drag.get("weld2").y]',
        lambda v: v[0] is not None and all(abs(a - b) <= 1.5 for a, b in zip(v, dropped, strict=True)),
    )
    assert first == pytest.approx(dropped, abs=1.5)
    # The box stays where it was dropped once the canvas redraws from Python's document
    # alone: a change of title in Python redraws the whole map.
    lab.py('m_drag.title = "Moved"')
    canvas.get_by_text("Moved", exact=True).wait_for()
    # Moving one element moves no other: once the canvas has drawn Python's layout again,
    # every other step is where it was, and Python stored no position for any of them.
    assert len(others) == 4
    assert canvas.locator(".vsm-viewport").evaluate(OTHER_STEPS, "weld2") == others
    # The same reading does see the dragged step move, by the drop's offset in map units.
    moved_after = canvas.locator(".vsm-viewport").evaluate(OTHER_STEPS, "")["weld2"]
    shift = [b - a for a, b in zip(moved_before, moved_after, strict=True)]
    assert shift == pytest.approx([60 / scale, 40 / scale] * 2, abs=1.5)
    assert lab.value('[[s.x, s.y] for s in m_drag.steps if s.id != "weld2"]') == [[None, None]] * len(others)
    x1, y1 = centre(box)
    assert abs(x1 - (x0 + 60)) <= 2
    assert abs(y1 - (y0 + 40)) <= 2
    # A second, purely horizontal drag moves x only, in the same direction.
    lab.page.mouse.move(x1, y1)
    lab.page.mouse.down()
    lab.page.mouse.move(x1 + 60, y1, steps=8)
    lab.page.mouse.up()
    second = lab.wait_value(
        '[m_drag.get("weld2").x, m_drag.get("weld2").y]', lambda v: abs(v[0] - (first[0] + 60 / scale)) <= 1.5
    )
    assert second[0] == pytest.approx(first[0] + 60 / scale, abs=1.5)
    assert second[1] == pytest.approx(first[1])
    # Dragging is layout only: lead time as published.
    assert lab.value("w_drag.metrics['lead_time']") == pytest.approx(LEAD_TIME)


def test_edit_cycle_time_on_the_canvas_changes_lead_time(lab: NotebookPage) -> None:
    canvas = lab.canvas("edit", f"m_edit = {PLANT}\nm_edit.editor()")
    element(canvas, "process", "assy1").wait_for()
    assert lab.value("m_edit.metrics().lead_time") == pytest.approx(LEAD_TIME)
    edit_field(canvas, "assy1", "cycle_time", "50 s")
    # Assembly #1 goes from 62 s to 50 s: its lower rung and the total drop by 12 s.
    lead = lab.wait_value("m_edit.metrics().lead_time", lambda v: v != pytest.approx(LEAD_TIME))
    assert lead == pytest.approx(LEAD_TIME - 12)
    assert lab.value('m_edit.get("assy1").cycle_time') == 50
    field = element(canvas, "process", "assy1").locator('[data-vsm-field="cycle_time"]').first
    assert "50" in (field.text_content() or "")


def test_double_click_edits_a_field_in_place(lab: NotebookPage) -> None:
    canvas = lab.canvas("in-place", f"m_dbl = {PLANT}\nm_dbl.editor()")
    element(canvas, "process", "weld2").wait_for()
    edit_in_place(canvas, "weld2", "cycle_time", "40 s")
    lab.wait_value('m_dbl.get("weld2").cycle_time', lambda v: v == 40)
    assert lab.value("m_dbl.metrics().lead_time") == pytest.approx(LEAD_TIME - 6)


def test_invalid_value_shows_the_error_and_keeps_the_model(lab: NotebookPage) -> None:
    canvas = lab.canvas("invalid", f"m_bad = {PLANT}\nw_bad = m_bad.editor()\nw_bad")
    element(canvas, "process", "weld1").wait_for()
    edit_field(canvas, "weld1", "cycle_time", "fast")
    error = canvas.locator(".vsm-error")
    error.wait_for(state="visible")
    assert "fast" in (error.text_content() or "")
    assert lab.value("[w_bad.error['field'], w_bad.error['target']]") == ["cycle_time", "weld1"]
    assert lab.value('m_bad.get("weld1").cycle_time') == 39
    assert lab.value("m_bad.metrics().lead_time") == pytest.approx(LEAD_TIME)
    assert lab.value("m_bad.can_undo") is False
    assert lab.value("w_bad.revision") == 0


def test_a_surrogate_typed_on_the_canvas_stays_refused_and_both_sides_agree(lab: NotebookPage) -> None:
    canvas = lab.canvas("surrogate", f"m_sur = {PLANT}\nw_sur = m_sur.editor()\nw_sur")
    step = element(canvas, "process", "weld1")
    step.wait_for()
    step.click()
    box = canvas.locator('[data-vsm-row="weld1:name"] input')
    box.wait_for(state="visible")
    # Half of a surrogate pair, as broken input leaves it in a field (set in the page: typing
    # through Playwright's own channel would need the text to be valid UTF-8 first).
    box.evaluate(
        "el => { el.value = 'Weld \\ud800'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    assert box.evaluate("el => el.value.charCodeAt(5)") == 0xD800
    box.press("Enter")
    error = canvas.locator(".vsm-error")
    error.wait_for(state="visible")
    assert "U+D800" in (error.text_content() or "")
    assert lab.value("[w_sur.error['field'], w_sur.error['target']]") == ["name", "weld1"]
    assert lab.value('m_sur.get("weld1").name') == "S. Weld #1"
    assert lab.value("m_sur.can_undo") is False
    # Python's map, the widget's document and the drawing agree: no broken text anywhere.
    assert lab.value("w_sur.document == m_sur.to_dict()") is True
    drawn = canvas.locator("svg").first
    assert "S. Weld #1" in (step.text_content() or "")
    assert drawn.evaluate("el => /[\\ud800-\\udfff]/.test(el.textContent)") is False
    # And they stay together: the next edit goes through and shows on both sides.
    edit_field(canvas, "weld1", "name", "Weld A")
    lab.wait_value('m_sur.get("weld1").name', lambda v: v == "Weld A")
    expect_text = canvas.locator('[data-vsm-kind="process"][data-vsm-id="weld1"]', has_text="Weld A")
    expect_text.wait_for()
    assert lab.value("w_sur.document == m_sur.to_dict()") is True
    assert canvas.locator(".vsm-error:not([hidden])").count() == 0


def test_undo_and_redo_from_the_toolbar(lab: NotebookPage) -> None:
    canvas = lab.canvas("undo", f"m_undo = {PLANT}\nm_undo.editor()")
    element(canvas, "process", "weld1").wait_for()
    edit_field(canvas, "weld1", "cycle_time", "30 s")
    lab.wait_value('m_undo.get("weld1").cycle_time', lambda v: v == 30)
    canvas.locator('[data-vsm-action="undo"]').click()
    lab.wait_value('m_undo.get("weld1").cycle_time', lambda v: v == 39)
    assert lab.value("m_undo.metrics().lead_time") == pytest.approx(LEAD_TIME)
    canvas.locator('[data-vsm-action="redo"]').click()
    lab.wait_value('m_undo.get("weld1").cycle_time', lambda v: v == 30)
    assert lab.value("m_undo.metrics().lead_time") == pytest.approx(LEAD_TIME - 9)
    # The edit, the undo and the redo: three committed changes, whatever the page wrote back.
    assert lab.value("m_undo.editor().revision") == 3


def test_markup_in_names_is_shown_as_text(lab: NotebookPage) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    title = "<svg onload=alert(2)>"
    idea = '<img src=y onerror="window.__vsm_injected=1">'
    code = (
        f"m_x = ValueStreamMap({title!r}, demand=10, available_time='8 h')\n"
        f"m_x.add_process({hostile!r}, cycle_time='5 s')\n"
        "m_x.add_inventory(3)\n"
        f"m_x.add_burst({idea!r}, target='p1')\n"
        "m_x.editor()"
    )
    output = lab.add_cell("markup", code)
    canvas = output.locator(".vsm-canvas").first
    step = element(canvas, "process", "p1")
    step.wait_for()
    # Long names wrap over several text lines: compare without the spaces.
    # The name is drawn as text (long names are cut with an ellipsis), not parsed as markup.
    assert "<img src=x" in (step.text_content() or "")
    assert output.locator("img, script, [onerror], [onload]").count() == 0
    # Nothing ran: no dialog (checked after every test) and no injected global.
    assert lab.page.evaluate("() => typeof window.__vsm_injected") == "undefined"


def test_screenshots_in_light_and_dark_themes(lab: NotebookPage, artifacts: Path) -> None:
    canvas = lab.canvas("screenshot", f"m_shot = {PLANT}\nm_shot.editor(height=560)")
    element(canvas, "process", "assy2").wait_for()
    canvas.scroll_into_view_if_needed()
    try:
        for theme, name in (("JupyterLab Light", "canvas-light.png"), ("JupyterLab Dark", "canvas-dark.png")):
            lab.set_theme(theme)
            shot = artifacts / name
            canvas.screenshot(path=str(shot), animations="disabled")
            assert shot.stat().st_size > 10_000, f"{name} looks empty"
    finally:
        lab.set_theme("JupyterLab Light")


def test_a_map_that_grows_after_display_is_shown_whole_until_the_user_zooms(lab: NotebookPage) -> None:
    code = (
        'm_grow = ValueStreamMap("Growing", demand=100, available_time="8 h")\n'
        'm_grow.add_process("Step 0", cycle_time=10)\n'
        "m_grow.editor(height=560)"
    )
    canvas = lab.canvas("grow", code)
    element(canvas, "process", "p1").wait_for()
    # A workshop notebook adds the steps in later cells, after the canvas is on screen.
    lab.py(
        "for i in range(1, 7):\n"
        '    m_grow.add_wait("1 h")\n'
        '    m_grow.add_process(f"Step {i}", cycle_time=10)'
    )
    last = canvas.locator('[data-vsm-kind="process"]', has_text="Step 6")
    last.wait_for()
    stage = canvas.locator(".vsm-stage").bounding_box()
    box = last.bounding_box()
    assert stage is not None
    assert box is not None
    assert stage["x"] <= box["x"]
    assert box["x"] + box["width"] <= stage["x"] + stage["width"]
    # Once the user zooms, the view is theirs: more steps do not change the zoom.
    canvas.locator('[data-vsm-action="zoom-in"]').click()
    viewport = canvas.locator(".vsm-viewport")
    zoomed = viewport.get_attribute("transform")
    lab.py('m_grow.add_wait("1 h")\nm_grow.add_process("Step 7", cycle_time=10)')
    canvas.locator('[data-vsm-kind="process"]', has_text="Step 7").wait_for(state="attached")
    assert viewport.get_attribute("transform") == zoomed


def test_a_step_moves_downstream_from_the_details_panel(lab: NotebookPage) -> None:
    canvas = lab.canvas("order", f"m_order = {PLANT}\nm_order.editor()")
    weld2 = element(canvas, "process", "weld2")
    weld2.click()
    canvas.locator('.vsm-inspector [data-vsm-shift="1"]').click()
    # S. Weld #2 and Assembly #1 trade places; the inventories stay between the steps.
    lab.wait_value("[s.id for s in m_order.steps]", lambda v: v.index("weld2") > v.index("assy1"))
    assert lab.value("[s.id for s in m_order.steps]") == ["stamping", "weld1", "assy1", "weld2", "assy2"]
    assert lab.value("[g.quantity for g in m_order.gaps]") == [4600, 7000, 1700, 2450, 1840, 4140]

    def left(ident: str) -> float:
        box = element(canvas, "process", ident).bounding_box()
        assert box is not None
        return float(box["x"])

    lab.page.wait_for_function(
        """() => {
          const cell = document.querySelector('[data-test-cell="order"]');
          const x = (id) => cell.querySelector(`[data-vsm-kind="process"][data-vsm-id="${id}"]`)
            .getBoundingClientRect().x;
          return x("weld2") > x("assy1");
        }"""
    )
    assert left("weld1") < left("assy1") < left("weld2") < left("assy2")
    # Focus stays on the button and the step stays selected: Alt+Left brings it back...
    lab.page.keyboard.press("Alt+ArrowLeft")
    lab.wait_value("[s.id for s in m_order.steps]", lambda v: v.index("weld2") < v.index("assy1"))
    # ...and Enter presses the focused Later button again (it does not open an editor).
    lab.page.keyboard.press("Enter")
    lab.wait_value("[s.id for s in m_order.steps]", lambda v: v.index("weld2") > v.index("assy1"))
    assert canvas.locator("input.vsm-inline:focus").count() == 0
    canvas.locator('[data-vsm-action="undo"]').click()
    lab.wait_value("[s.id for s in m_order.steps]", lambda v: v.index("weld2") < v.index("assy1"))


def test_full_screen_for_projecting_shows_the_whole_map_large(lab: NotebookPage, artifacts: Path) -> None:
    canvas = lab.canvas("full", f"m_full = {PLANT}\nm_full.editor(height=420)")
    element(canvas, "process", "assy2").wait_for()
    small = element(canvas, "process", "assy1").bounding_box()
    assert small is not None
    button = canvas.locator('[data-vsm-action="fullscreen"]')
    button.click()
    lab.page.wait_for_function("() => document.fullscreenElement?.classList.contains('vsm-fullscreen')")
    viewport = lab.page.viewport_size
    assert viewport is not None
    frame = canvas.bounding_box()
    assert frame is not None
    assert frame["height"] == pytest.approx(viewport["height"], abs=2)
    assert button.get_attribute("aria-pressed") == "true"
    # The whole map, drawn larger than in the 420-pixel cell.
    lab.page.wait_for_function(
        """(width) => {
          const selector = '.vsm-fullscreen [data-vsm-kind="process"][data-vsm-id="assy1"]';
          const box = document.querySelector(selector);
          return box && box.getBoundingClientRect().width > width * 1.2;
        }""",
        arg=small["width"],
    )
    for ident in ("stamping", "assy2"):
        box = element(canvas, "process", ident).bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= viewport["width"]
    canvas.screenshot(path=str(artifacts / "canvas-fullscreen.png"))
    button.click()
    lab.page.wait_for_function("() => document.fullscreenElement === null")
    canvas.locator(":scope:not(.vsm-fullscreen)").wait_for()
    frame = canvas.bounding_box()
    assert frame is not None
    assert frame["height"] == pytest.approx(420, abs=2)


# Records, in the kernel, every time a canvas sends its whole scene because a run ended
# (post_execute, not the flush once edits pause) and what the kernel was handling then: a
# cell's execute_request, or a widget's comm_msg.
WHOLE_SCENE_SPY = """
import sys as _sys
from vsm_widget.jupyter.widget import MapWidget as _MW
_whole_scene_sends = []
_send_state = _MW.send_state
def _spy(self, key=None):
    keys = [key] if isinstance(key, str) else list(key or [])
    frame, after_run = _sys._getframe(1), False
    while frame is not None:
        after_run = after_run or frame.f_code.co_qualname == "_flush_after_cell.<locals>.flush"
        frame = frame.f_back
    if after_run and (key is None or "scene" in keys):
        parent = get_ipython().kernel.get_parent("shell") or {}
        _whole_scene_sends.append(parent.get("header", {}).get("msg_type"))
    return _send_state(self, key)
_MW.send_state = _spy
"""


def test_a_canvas_edit_sends_a_patch_not_the_whole_map(lab: NotebookPage) -> None:
    canvas = lab.canvas("patch-only", f"m_patch = {PLANT}\nm_patch.editor()")
    element(canvas, "process", "assy1").wait_for()
    lab.py(WHOLE_SCENE_SPY)
    try:
        edit_field(canvas, "assy1", "cycle_time", "50 s")
        lab.wait_value('m_patch.get("assy1").cycle_time', lambda v: v == 50)
        field = element(canvas, "process", "assy1").locator('[data-vsm-field="cycle_time"]').first
        field.filter(has_text="50").wait_for()
        # The comm package fires post_execute after each widget message too; the canvas
        # edit must not make that a reason to send the whole map (hundreds of kB).
        assert "comm_msg" not in lab.value("_whole_scene_sends")
        # A cell that edits the map still leaves the whole map in the widget's saved state
        # when it ends. (A widget message handled in between, such as a canvas's presence,
        # may end the run first: the kernel then flushes from that message, as it should.)
        lab.add_cell("patch-only-cell", 'm_patch.update("assy1", cycle_time="55 s")')
        lab.wait_value("len(_whole_scene_sends)", lambda n: n >= 1)
    finally:
        lab.py("_MW.send_state = _send_state")
