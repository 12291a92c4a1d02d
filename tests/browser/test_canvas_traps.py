"""A canvas a coach edits without traps, by mouse and by keyboard alone.

Each test is a trap found by building a map on the canvas as a coach would: a gap that
could only be added at the end and pushed upstream (shifting every other gap), a details
panel over the step being edited, a toolbar button that kept the focus, a field that kept
its old text, a status line that kept telling of an undone action, a map cropped by the
file browser, a map that could not be built without a mouse. Every test acts in the page
and reads the result from Python (ids, order, values), the one source of truth.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from vsm_widget.data.templates import template_names

from .harness import NotebookPage
from .test_one_picture import EVERYTHING

pytestmark = pytest.mark.browser

#: Five steps; a wait between the third and fourth only, an inventory after the last.
FIVE_STEPS = """\
{m} = ValueStreamMap("Brackets", demand=480, available_time="8 h")
for name in ("Cut", "Bend", "Weld", "Paint", "Pack"):
    {m}.add_process(name, id=name.lower(), cycle_time="30 s")
{m}.add_wait("2 h", at="paint", id="g_queue")
{m}.add_inventory(120, id="g_stock")
"""
FIVE_ORDER = ["cut", "bend", "weld", "g_queue", "paint", "pack", "g_stock"]


def element(canvas: Any, kind: str, ident: str) -> Any:
    return canvas.locator(f'[data-vsm-kind="{kind}"][data-vsm-id="{ident}"]').first


def box_of(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    return dict(box)


def inside(inner: dict[str, float], outer: dict[str, float], slack: float = 0.5) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def apart(one: dict[str, float], other: dict[str, float]) -> bool:
    return (
        one["x"] + one["width"] <= other["x"]
        or other["x"] + other["width"] <= one["x"]
        or one["y"] + one["height"] <= other["y"]
        or other["y"] + other["height"] <= one["y"]
    )


def stream(lab: NotebookPage, m: str) -> list[str]:
    return list(lab.value(f"[item.id for item in {m}.stream]"))


def new_ids(before: list[str], after: list[str]) -> list[str]:
    return [i for i in after if i not in before]


def test_a_gap_goes_before_the_first_step_and_between_two_steps_from_the_panel(lab: NotebookPage) -> None:
    canvas = lab.canvas("panel-gaps", FIVE_STEPS.format(m="m_pg") + "w_pg = m_pg.editor()\nw_pg")
    element(canvas, "process", "cut").click()
    panel = canvas.locator(".vsm-inspector")
    # Before the first step, in one action: one edit, one undo step.
    panel.locator('[data-vsm-insert="before:wait"]').click()
    lab.wait_value("len(m_pg.stream)", lambda n: n == 8)
    after = stream(lab, "m_pg")
    (first,) = new_ids(FIVE_ORDER, after)
    assert after == [first, *FIVE_ORDER]
    assert lab.value("w_pg.revision") == 1
    # Between two steps that had nothing between them: an inventory after Bend.
    element(canvas, "process", "bend").click()
    panel.locator('[data-vsm-insert="after:inventory"]').click()
    lab.wait_value("len(m_pg.stream)", lambda n: n == 9)
    final = stream(lab, "m_pg")
    (second,) = new_ids([first, *FIVE_ORDER], final)
    assert final == [first, "cut", "bend", second, "weld", "g_queue", "paint", "pack", "g_stock"]
    # Every other gap where it was, as it was.
    assert lab.value('[m_pg.get("g_queue").wait_time, m_pg.get("g_stock").quantity]') == [7200, 120]
    assert lab.value(f'[m_pg.get("{first}").quantity, m_pg.get("{second}").quantity]') == [None, 0]
    assert lab.value("w_pg.selection") == [second]
    assert lab.value("w_pg.revision") == 2


def _open_handle(lab: NotebookPage, canvas: Any, key: str) -> Any:
    """Hover the map (handles show), click the handle ``key``; return its menu."""
    stage = canvas.locator(".vsm-stage")
    stage.hover()
    handle = canvas.locator(f'[data-vsm-slot="{key}"]')
    handle.wait_for(state="visible")
    handle.click()
    menu = canvas.locator(".vsm-slot-menu")
    menu.wait_for(state="visible")
    return menu


def test_one_click_on_a_handle_adds_a_gap_before_the_first_step_or_between_two_steps(
    lab: NotebookPage, artifacts: Path
) -> None:
    canvas = lab.canvas("handles", FIVE_STEPS.format(m="m_h") + "w_h = m_h.editor()\nw_h")
    element(canvas, "process", "pack").wait_for()
    stage = canvas.locator(".vsm-stage")
    handle = canvas.locator('[data-vsm-slot="start/slot"]')
    # Out of the way until the pointer is over the map.
    lab.page.mouse.move(5, 5)
    assert not handle.is_visible()
    stage.hover()
    handle.wait_for(state="visible")
    # Its accessible name says where it adds, and what may go there.
    assert handle.get_attribute("role") == "button"
    assert handle.get_attribute("aria-label") == "Add a step or a gap before Cut"
    # A handle next to a gap adds no second gap beside it.
    menu = _open_handle(lab, canvas, "weld/slot")
    assert menu.locator('[data-vsm-slot-add="process"]').is_enabled()
    assert menu.locator('[data-vsm-slot-add="wait"]').is_disabled()
    lab.page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    # Before the first step: a wait, in one click.
    menu = _open_handle(lab, canvas, "start/slot")
    canvas.screenshot(path=str(artifacts / "handles-light.png"))
    menu.locator('[data-vsm-slot-add="wait"]').click()
    lab.wait_value("len(m_h.stream)", lambda n: n == 8)
    after = stream(lab, "m_h")
    (wait,) = new_ids(FIVE_ORDER, after)
    assert after == [wait, *FIVE_ORDER]
    # Between Bend and Weld, which had nothing between them: an inventory.
    canvas.locator(".vsm-slot-menu").wait_for(state="hidden")
    _open_handle(lab, canvas, "bend/slot").locator('[data-vsm-slot-add="inventory"]').click()
    lab.wait_value("len(m_h.stream)", lambda n: n == 9)
    final = stream(lab, "m_h")
    (stock,) = new_ids(after, final)
    assert final == [wait, "cut", "bend", stock, "weld", "g_queue", "paint", "pack", "g_stock"]
    assert lab.value('[m_h.get("g_queue").wait_time, m_h.get("g_stock").quantity]') == [7200, 120]
    assert lab.value("w_h.revision") == 2
    # What was added is selected, ready to be typed into.
    assert lab.value("w_h.selection") == [stock]
    element(canvas, "inventory", stock).and_(canvas.locator(".vsm-selected")).wait_for()
    # Handles belong to the canvas: no picture holds them.
    assert "vsm-slot" not in lab.value("m_h.to_svg()")
    lab.set_theme("JupyterLab Dark")
    try:
        _open_handle(lab, canvas, "pack/slot")
        canvas.screenshot(path=str(artifacts / "handles-dark.png"))
        lab.page.keyboard.press("Escape")
    finally:
        lab.set_theme("JupyterLab Light")


def test_the_details_panel_makes_room_for_the_step_at_the_right_edge(
    lab: NotebookPage, artifacts: Path
) -> None:
    code = (
        'm_edge = ValueStreamMap("Edge", demand=480, available_time="8 h")\n'
        "for i in range(7):\n"
        '    m_edge.add_process(f"Step {i + 1}", id=f"s{i + 1}", cycle_time="30 s")\n'
        "w_edge = m_edge.editor()\nw_edge"
    )
    canvas = lab.canvas("edge", code)
    last = element(canvas, "process", "s7")
    last.wait_for()
    stage = canvas.locator(".vsm-stage")
    panel = canvas.locator(".vsm-inspector")
    assert not panel.is_visible()
    # The map opens whole: the last step sits at the right edge, where the panel opens.
    assert inside(box_of(last), box_of(stage))
    field = last.locator('[data-vsm-field="cycle_time"]').first
    field.dblclick()
    editor = canvas.locator("input.vsm-inline:focus")
    editor.wait_for()
    panel.wait_for(state="visible")
    lab.page.wait_for_function(
        """() => {
          const cell = document.querySelector('[data-test-cell="edge"]');
          const step = cell.querySelector('[data-vsm-kind="process"][data-vsm-id="s7"]');
          const panel = cell.querySelector('.vsm-inspector').getBoundingClientRect();
          return step.getBoundingClientRect().right <= panel.left;
        }"""
    )
    step, room, side = box_of(last), box_of(stage), box_of(panel)
    assert inside(step, room)
    assert apart(step, side)

    # The input sits over the field it edits, not over the panel.
    assert not apart(box_of(editor), box_of(field))
    assert apart(box_of(editor), side)
    editor.fill("45 s")
    editor.press("Enter")
    lab.wait_value('m_edge.get("s7").cycle_time', lambda v: v == 45)
    canvas.screenshot(path=str(artifacts / "panel-at-the-edge.png"))


def test_the_details_panel_never_hides_the_last_step_of_a_long_map(lab: NotebookPage) -> None:
    code = (
        'm_long = ValueStreamMap("Long", demand=480, available_time="8 h")\n'
        "for i in range(24):\n"
        '    m_long.add_wait("1 h")\n'
        '    m_long.add_process(f"Step {i + 1}", id=f"s{i + 1}", cycle_time="30 s")\n'
        "w_long = m_long.editor()\nw_long"
    )
    canvas = lab.canvas("long", code)
    element(canvas, "process", "s1").wait_for()
    canvas.locator(".vsm-stage").click(position={"x": 10, "y": 10})
    lab.page.keyboard.press("End")
    lab.wait_value("w_long.selection", lambda v: v == ["s24"])
    panel = canvas.locator(".vsm-inspector")
    panel.wait_for(state="visible")
    last = element(canvas, "process", "s24")
    last.wait_for()
    lab.page.wait_for_function(
        """() => {
          const cell = document.querySelector('[data-test-cell="long"]');
          const step = cell.querySelector('[data-vsm-kind="process"][data-vsm-id="s24"]');
          const stage = cell.querySelector('.vsm-stage').getBoundingClientRect();
          const b = step && step.getBoundingClientRect();
          return b && b.left >= stage.left && b.right <= stage.right;
        }"""
    )
    assert inside(box_of(last), box_of(canvas.locator(".vsm-stage")))
    assert apart(box_of(last), box_of(panel))
    # Walking back along the stream keeps each selected element in view beside the panel.
    for _ in range(2):  # the wait before the last step, then the step before it
        lab.page.keyboard.press("[")
    lab.wait_value("w_long.selection", lambda v: v == ["s23"])
    assert apart(box_of(element(canvas, "process", "s23")), box_of(panel))


def test_enter_after_a_toolbar_add_edits_the_new_step_instead_of_adding_another(lab: NotebookPage) -> None:
    canvas = lab.canvas("enter", FIVE_STEPS.format(m="m_en") + "w_en = m_en.editor()\nw_en")
    element(canvas, "process", "cut").wait_for()
    canvas.locator('[data-vsm-action="add-process"]').click()
    lab.wait_value("len(m_en.stream)", lambda n: n == 8)
    (new,) = new_ids(FIVE_ORDER, stream(lab, "m_en"))
    lab.wait_value("w_en.selection", lambda v: v == [new])
    # Focus left the button for the new step itself, which says what it is.
    lab.page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.getAttribute('data-vsm-id') === id", arg=new
    )
    lab.page.keyboard.press("Enter")
    editor = canvas.locator("input.vsm-inline:focus")
    editor.wait_for()
    assert editor.get_attribute("data-vsm-id") == new
    assert editor.get_attribute("data-vsm-field") == "name"
    lab.page.keyboard.type("Inspect")
    lab.page.keyboard.press("Enter")
    lab.wait_value(f'm_en.get("{new}").name', lambda v: v == "Inspect")
    assert len(stream(lab, "m_en")) == 8


def test_typing_into_a_field_replaces_its_text(lab: NotebookPage) -> None:
    retimed = 'm_ty.update("weld", cycle_time="3.75 h")\n'
    code = FIVE_STEPS.format(m="m_ty") + retimed + "w_ty = m_ty.editor()\nw_ty"
    canvas = lab.canvas("typing", code)
    element(canvas, "process", "weld").click()
    box = canvas.locator('[data-vsm-row="weld:cycle_time"] input')
    box.wait_for(state="visible")
    assert box.input_value() == "3.75 h"
    # A click into the field, then typing: the old value goes, as it would by Tab.
    box.click()
    lab.page.keyboard.type("1 d")
    assert box.input_value() == "1 d"
    lab.page.keyboard.press("Enter")
    # One working day of the map is its available time, 8 h.
    lab.wait_value('m_ty.get("weld").cycle_time', lambda v: v == 8 * 3600)
    # The trap's text, typed over an unselected value, is refused with its reason.
    box = canvas.locator('[data-vsm-row="weld:cycle_time"] input')
    box.fill("3.75 h1 d")
    box.press("Enter")
    error = canvas.locator(".vsm-error")
    error.wait_for(state="visible")
    assert "put a space" in (error.text_content() or "")
    assert lab.value('m_ty.get("weld").cycle_time') == 8 * 3600


def test_the_status_line_forgets_what_it_said_after_undo_redo_and_the_next_edit(lab: NotebookPage) -> None:
    canvas = lab.canvas("status", FIVE_STEPS.format(m="m_st") + "w_st = m_st.editor()\nw_st")
    status = canvas.locator(".vsm-status")
    element(canvas, "process", "bend").click()
    canvas.locator('.vsm-inspector [data-vsm-shift="1"]').click()
    lab.wait_value("[s.id for s in m_st.steps][:3]", lambda v: v == ["cut", "weld", "bend"])
    assert status.text_content() == "Moved downstream"
    lab.page.keyboard.press("Control+z")
    lab.wait_value("[s.id for s in m_st.steps][:3]", lambda v: v == ["cut", "bend", "weld"])
    assert status.text_content() == ""
    # The keys that walk the stream say where they are; a redo forgets it too.
    canvas.locator(".vsm-stage").click(position={"x": 10, "y": 10})
    lab.page.keyboard.press("Home")
    assert status.text_content() == "1 of 7"
    lab.page.keyboard.press("Control+Shift+z")
    lab.wait_value("[s.id for s in m_st.steps][:3]", lambda v: v == ["cut", "weld", "bend"])
    assert status.text_content() == ""
    lab.page.keyboard.press("End")
    assert status.text_content() == "7 of 7"
    box = canvas.locator('[data-vsm-row="g_stock:quantity"] input')
    box.fill("80")
    box.press("Enter")
    lab.wait_value('m_st.get("g_stock").quantity', lambda v: v == 80)
    assert status.text_content() == ""


def test_the_map_opens_whole_with_the_file_browser_open(lab: NotebookPage, artifacts: Path) -> None:
    notebook = lab.page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    lab.page.evaluate("() => window.jupyterapp.commands.execute('filebrowser:activate')")
    lab.page.wait_for_function(
        "() => { const p = document.querySelector('#jp-left-stack'); return p && p.offsetWidth > 100; }"
    )
    lab.page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", notebook)

    def whole(canvas: Any) -> None:
        stage = box_of(canvas.locator(".vsm-stage"))
        # Everything the map draws is in view, from the supplier to the customer and the ladder.
        for selector in (
            '[data-vsm-kind="supplier"]',
            '[data-vsm-kind="customer"]',
            '[data-vsm-kind="process"][data-vsm-id="stamping"]',
            '[data-vsm-kind="process"][data-vsm-id="assy2"]',
            '[data-vsm-node="totals"]',
        ):
            assert inside(box_of(canvas.locator(selector).first), stage), selector

    try:
        canvas = lab.canvas("browser-open", 'm_fb = load_template("stamping_plant")\nm_fb.editor()')
        element(canvas, "process", "assy2").wait_for()
        assert lab.page.evaluate("() => document.querySelector('#jp-left-stack').offsetWidth") > 100
        whole(canvas)
        canvas.screenshot(path=str(artifacts / "file-browser-open.png"))
    finally:
        lab.page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        lab.page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", notebook)
    # Closed, then opened again while the map is on screen: still whole each time.
    lab.page.wait_for_function("() => document.querySelector('#jp-left-stack').offsetWidth === 0")
    whole(canvas)
    lab.page.evaluate("() => window.jupyterapp.commands.execute('filebrowser:activate')")
    lab.page.wait_for_function("() => document.querySelector('#jp-left-stack').offsetWidth > 100")
    lab.page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", notebook)
    try:
        lab.page.wait_for_function(
            """() => {
              const cell = document.querySelector('[data-test-cell="browser-open"]');
              const stage = cell.querySelector('.vsm-stage').getBoundingClientRect();
              const c = cell.querySelector('[data-vsm-kind="customer"]').getBoundingClientRect();
              return c.right <= stage.right;
            }"""
        )
        whole(canvas)
    finally:
        lab.page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        lab.page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", notebook)


@pytest.mark.parametrize("name", template_names())
def test_every_drawn_element_has_a_role_and_the_accessible_name_python_gave_it(
    lab: NotebookPage, name: str
) -> None:
    canvas = lab.canvas(f"names-{name}", f"m_nm = load_template({name!r})\nw_nm = m_nm.editor()\nw_nm")
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    drawn = canvas.locator(".vsm-viewport").evaluate(
        """(root) => [...root.querySelectorAll('[data-vsm-node]')].map((g) => [
          g.getAttribute('data-vsm-node'), g.getAttribute('role'), g.getAttribute('aria-label')])"""
    )
    python = lab.value("{n.key: [n.label, n.id is not None or n.kind == 'slot'] for n in w_nm._scene.nodes}")
    assert sorted(key for key, _, _ in drawn) == sorted(python)
    for key, role, label in drawn:
        given, button = python[key]
        assert label, key
        assert label == given, key
        assert role == ("button" if button else "img"), key
    # Every process box is named with its kind, its name and its figures: its C/T, or
    # the process time (PT) of an office step.
    steps = lab.value(
        "[[s.id, s.name, 'C/T' if s.cycle_time is not None else 'PT' if s.process_time is not None else '']"
        " for s in m_nm.state.all_items if s.kind == 'process']"
    )
    assert steps
    for step, step_name, figure in steps:
        assert python[step][0].startswith(f"Process {step_name}"), step
        if figure:
            assert f", {figure} " in python[step][0], step
    if name == "stamping_plant":
        # Learning to See's Assembly #1: 62 s against a takt of 60 s.
        assert python["assy1"][0].startswith("Process Assembly #1, C/T 62 s, ")
        assert python["assy1"][0].endswith("bottleneck, over takt")


def _tab_to(lab: NotebookPage, test: str, limit: int = 60, key: str = "Tab") -> None:
    """Press Tab (or ``key``) until the focused element passes ``test`` (a JS predicate)."""
    for _ in range(limit):
        if lab.page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({test})(e); }}"):
            return
        lab.page.keyboard.press(key)
    raise AssertionError(f"{test} never took focus in {limit} presses of Tab")


def _focused(lab: NotebookPage) -> dict[str, Any]:
    return dict(
        lab.page.evaluate(
            """() => { const e = document.activeElement; return {
              id: e.getAttribute('data-vsm-id'), label: e.getAttribute('aria-label'),
              current: e.getAttribute('aria-current'), field: e.getAttribute('data-vsm-field'),
              tag: e.tagName.toLowerCase() }; }"""
        )
    )


def test_a_map_is_built_and_named_by_keyboard_alone(lab: NotebookPage, artifacts: Path) -> None:
    # Takt 60 s: 480 a day in 8 h. No mouse from here on.
    code = 'm_k = ValueStreamMap("By keys", demand=480, available_time="8 h")\nw_k = m_k.editor()\nw_k'
    lab.add_cell("keys", code)
    root = lab.page.locator('[data-test-cell="keys"] .vsm-canvas')
    root.wait_for()
    root.evaluate("el => el.scrollIntoView({block: 'center'})")
    # From the notebook: leave the cell's editor and Tab into the canvas.
    lab.page.locator('[data-test-cell="keys"] .jp-InputArea-editor').evaluate("el => el.blur()")
    _tab_to(lab, "(e) => e.classList.contains('vsm-canvas') && e.closest('[data-test-cell=\"keys\"]')")
    names = ["Cut", "Bend", "Weld"]
    for count, name in enumerate(names, start=1):
        lab.page.keyboard.press("p")
        lab.wait_value("len(m_k.steps)", lambda n, c=count: n == c)
        # The new step holds focus (what a screen reader says); Enter edits its name.
        lab.page.wait_for_function("() => document.activeElement.getAttribute('data-vsm-kind') === 'process'")
        lab.page.keyboard.press("Enter")
        lab.page.locator("input.vsm-inline:focus").wait_for()
        lab.page.keyboard.type(name)
        lab.page.keyboard.press("Enter")
        lab.wait_value("[s.name for s in m_k.steps]", lambda v, n=name: n in v)
    assert lab.value("[s.name for s in m_k.steps]") == names
    # A wait before the first step: Home selects it, Shift+W adds before it.
    lab.page.keyboard.press("Home")
    lab.wait_value("w_k.selection", lambda v: v == [lab.value("m_k.steps[0].id")])
    lab.page.keyboard.press("Shift+W")
    lab.wait_value("len(m_k.stream)", lambda n: n == 4)
    lab.page.wait_for_function("() => document.activeElement.getAttribute('data-vsm-kind') === 'wait'")
    lab.page.keyboard.press("Enter")
    lab.page.locator('input.vsm-inline:focus[data-vsm-field="wait_time"]').wait_for()
    lab.page.keyboard.type("2 h")
    lab.page.keyboard.press("Enter")
    lab.wait_value("m_k.stream[0].wait_time", lambda v: v == 7200)
    assert lab.value("[item.kind for item in m_k.stream]") == ["gap", "process", "process", "process"]
    # The next element along the stream is Cut; its C/T is typed in the details panel.
    lab.page.keyboard.press("]")
    cut = lab.value("m_k.steps[0].id")
    lab.wait_value("w_k.selection", lambda v: v == [cut])
    focused = _focused(lab)
    assert (focused["id"], focused["current"], focused["label"]) == (cut, "true", "Process Cut")
    _tab_to(lab, "(e) => e.getAttribute('data-vsm-field') === 'cycle_time'")
    lab.page.keyboard.type("62 s")
    lab.page.keyboard.press("Enter")
    lab.wait_value("m_k.steps[0].cycle_time", lambda v: v == 62)
    canvas = root
    # Back to the map: Shift+Tab leaves the panel for the step itself, ringed.
    _tab_to(lab, f"(e) => e.getAttribute('data-vsm-id') === '{cut}'", key="Shift+Tab")
    ring = canvas.locator(f'[data-vsm-id="{cut}"][data-vsm-kind="process"] .vsm-halo-sel')
    assert ring.evaluate("r => getComputedStyle(r).stroke") not in ("none", "")
    assert float(ring.evaluate("r => parseFloat(getComputedStyle(r).strokeWidth)")) >= 2
    # Bend (index 1) and Weld (2) get theirs the same way: ] on the map, the panel's field, back.
    for index, seconds in ((1, 40), (2, 46)):
        lab.page.keyboard.press("]")
        step = lab.value(f"m_k.steps[{index}].id")
        lab.wait_value("w_k.selection", lambda v, s=step: v == [s])
        _tab_to(lab, "(e) => e.getAttribute('data-vsm-field') === 'cycle_time'")
        lab.page.keyboard.type(f"{seconds} s")
        lab.page.keyboard.press("Enter")
        lab.wait_value(f"m_k.steps[{index}].cycle_time", lambda v, c=seconds: v == c)
        _tab_to(lab, f"(e) => e.getAttribute('data-vsm-id') === '{step}'", key="Shift+Tab")
    # An information flow from the customer to Cut: N walks on from the last step to the
    # customer (the walk goes round), F opens the menu of the flow's other ends at it.
    lab.page.keyboard.press("n")
    lab.wait_value("w_k.selection", lambda v: v == ["customer"])
    lab.page.keyboard.press("f")
    menu = canvas.locator(".vsm-flow-menu")
    menu.wait_for()
    assert menu.get_attribute("aria-label") == "Information flow from Customer to"
    ends = menu.locator('[role="menuitem"]').all_inner_texts()
    assert ends == ["→ Process Cut", "→ Process Bend", "→ Process Weld"]
    lab.page.wait_for_function("() => document.activeElement.textContent === '→ Process Cut'")
    canvas.screenshot(path=str(artifacts / "keyboard-flow-menu.png"))
    lab.page.keyboard.press("Enter")
    lab.wait_value("[[f.source, f.target] for f in m_k.flows]", lambda v: v == [["customer", cut]])
    menu.wait_for(state="hidden")
    # The accessibility tree names every process box with its figures: Cut is the
    # bottleneck, 62 s against a takt of 60 s.
    named = [
        "Process Cut, C/T 62 s, bottleneck, over takt",
        "Process Bend, C/T 40 s",
        "Process Weld, C/T 46 s",
    ]
    for index, name in enumerate(named):
        box = canvas.get_by_role("button", name=name, exact=True)
        box.wait_for()
        assert box.get_attribute("data-vsm-id") == lab.value(f"m_k.steps[{index}].id")
    wait = canvas.get_by_role("button", name=re.compile(r"^Wait before Cut, 2 h"))
    assert wait.count() == 1
    tree = canvas.locator("svg.vsm-svg").aria_snapshot()
    for name in named:
        assert f'button "{name}"' in tree
    assert '"Manual information flow from Customer to Cut"' in tree
    for theme, name in (("JupyterLab Light", "keyboard-light.png"), ("JupyterLab Dark", "keyboard-dark.png")):
        lab.set_theme(theme)
        canvas.screenshot(path=str(artifacts / name))
    lab.set_theme("JupyterLab Light")


#: Every line of text of a picture that something else covers: a burst's star or a badge
#: of another element, or a text of another element. Boxes as the browser draws them.
COVERED = """(root) => {
  const box = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const node = (e) => e.closest('[data-vsm-node]')?.getAttribute('data-vsm-node');
  const cut = (a, b) =>
    Math.min(a[2], b[2]) - Math.max(a[0], b[0]) > 1 && Math.min(a[3], b[3]) - Math.max(a[1], b[1]) > 1;
  const texts = [...root.querySelectorAll('text')].filter((t) => !t.closest('defs') && t.textContent.trim())
    .map((t) => ({ node: node(t), text: t.textContent, box: box(t), badge: t.matches('.vsm-badge-text') }));
  const covers = [...root.querySelectorAll('.vsm-burst-shape, rect.vsm-badge')]
    .map((c) => ({ node: node(c), what: c.matches('.vsm-badge') ? 'badge' : 'burst', box: box(c) }));
  const found = [];
  for (const t of texts) {
    for (const c of covers)
      if (c.node !== t.node && !(t.badge && c.what === 'badge') && cut(t.box, c.box))
        found.push([t.node, t.text, c.what, c.node]);
    for (const u of texts)
      if (u.node > t.node && cut(t.box, u.box)) found.push([t.node, t.text, 'text', u.node, u.text]);
  }
  return found;
}"""

CROWDED = """
m_crowd = ValueStreamMap("Crowded", demand=480, available_time="8 h")
m_crowd.set_control("Planning")
for name in ("Cut", "Bend", "Weld", "Paint"):
    m_crowd.add_process(name, cycle_time="45 s")
    m_crowd.add_burst("Cut the changeover to ten minutes with a second die cart at " + name, target=name)
    m_crowd.add_flow("control", name, label="weekly schedule")
m_crowd.update("Weld", cycle_time="75 s")
m_crowd.add_shipment("out", frequency="Daily 16:00 pickup")
for idea in ("Level the schedule at the pacemaker", "Milk run", "Kanban between Bend and Weld"):
    m_crowd.add_burst(idea)
"""


def test_no_label_hides_under_a_burst_a_badge_or_another_label(lab: NotebookPage) -> None:
    lab.py(
        EVERYTHING
        + CROWDED
        + "from vsm_widget.data.templates import template_names\n"
        + "m_tpl = {name: load_template(name) for name in template_names()}"
    )
    pictures = {"everything": "m_all", "crowded": "m_crowd"}
    pictures.update({name: f"m_tpl[{name!r}]" for name in lab.value("sorted(m_tpl)")})
    # the two made here and every template, the two that branch among them
    assert len(pictures) == 2 + len(template_names()) == 8
    for name, variable in pictures.items():
        svg = lab.value(f"{variable}.to_svg()")
        found = lab.page.evaluate(
            """([svg, read]) => {
              const host = document.createElement('div');
              host.style.cssText = 'position:absolute;left:0;top:0;width:4000px;height:3000px';
              host.innerHTML = svg;
              document.body.appendChild(host);
              try { return eval(read)(host.firstElementChild); } finally { host.remove(); }
            }""",
            [svg, COVERED],
        )
        assert found == [], (name, found)
