"""One picture: the canvas and Python's SVG draw every element the same, at the same place,
with the same text, and the browser draws each label exactly as wide as Python measured it.

For each map, the canvas draws the scene it was sent; the page then draws `m.to_svg()` (the
same scene written by Python, as in the notebook fallback and the toolbar export) beside it,
and the test compares them node by node: the same keys and ids, the same bounding boxes
within 1 map unit, the same texts. Then every drawn label's width in the browser is
compared with the width Python's layout gave it (from the shipped font's metrics).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from vsm_widget.data.templates import template_names
from vsm_widget.presentation.text import text_style, text_width

from .harness import NotebookPage

pytestmark = pytest.mark.browser

#: Every drawn group of a drawing: key, id, kind, bounding box (map units), text. The
#: canvas's insertion handles (kind "slot") are its own buttons, in no picture.
READ_NODES = """(root) => [...root.querySelectorAll('[data-vsm-node]:not([data-vsm-slot])')].map((g) => {
  const b = g.getBBox();
  const text = [...g.querySelectorAll('text')].map((t) => [...t.childNodes]
    .filter((n) => n.nodeName !== 'title').map((n) => n.textContent).join('|')).join(' / ');
  return { key: g.getAttribute('data-vsm-node'), id: g.getAttribute('data-vsm-id'),
           kind: g.getAttribute('data-vsm-kind'), box: [b.x, b.y, b.width, b.height], text };
})"""

#: Python's SVG drawn in the page, off to the side, and read the same way.
READ_PYTHON = """([svg, read]) => {
  const host = document.createElement('div');
  host.style.cssText = 'position:absolute;left:-20000px;top:0;width:4000px;height:3000px';
  host.innerHTML = svg;
  document.body.appendChild(host);
  try { return eval(read)(host.firstElementChild); } finally { host.remove(); }
}"""

#: Every line of text on the canvas, with its classes and its drawn width.
READ_WIDTHS = """(root) => {
  const lines = [];
  for (const t of root.querySelectorAll('.vsm-viewport text')) {
    const classes = (t.getAttribute('class') || '').split(/\\s+/).filter(Boolean);
    const spans = t.querySelectorAll('tspan');
    const parts = spans.length ? [...spans] : [t];
    for (const part of parts) {
      const own = [...part.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('');
      if (own) lines.push([classes, own, part.getComputedTextLength()]);
    }
  }
  return lines;
}"""

FONT_READY = (
    "() => document.fonts.check('600 12.5px \"VSM Inter\"')"
    " && document.fonts.check('400 11.5px \"VSM Inter\"')"
)

EVERYTHING = """
from vsm_widget import ValueStreamMap
m_all = ValueStreamMap("Every icon <b>&</b> a very long title that goes on", demand=460, period="week",
                       working_days=5, available_time="2 x 8 h", scope="Scope text with “quotes”")
m_all.set_supplier("Steel & Co.", supplies="coils", frequency="Mon")
m_all.set_control("Planning", notes="MRP weekly")
m_all.add_inventory({"LH": 400, "RH": 300})
m_all.add_process("Receive and register the incoming application form", cycle_time="45 s", uptime="90%",
                  operators=2, value_class="necessary", waste="waiting, motion, defects")
m_all.add_wait("2 d", flow="fifo", fifo_max=20)
m_all.add_process("Check", process_time="10 min", lead_time="2 h", value_class="waste")
m_all.add_inventory(50, flow="pull")
m_all.add_process("Ship", cycle_time="30 s")
m_all.add_process("Invoice", cycle_time="12 min", changeover="1 h")
m_all.add_shipment("in", frequency="daily")
m_all.add_shipment("out", frequency="2x week")
m_all.add_flow("control", "Check", medium="electronic", label="daily plan")
m_all.add_flow("customer", "control", label="orders")
m_all.add_flow("customer", "control", label="forecast", medium="electronic")
m_all.add_burst("Cut the queue before checking to one day", target="Check")
m_all.add_burst("Pull everywhere")
m_all.move("Ship", 1400, 330)
"""


def _drawn(
    lab: NotebookPage, canvas: Any, variable: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    lab.page.wait_for_function(FONT_READY, polling=100)
    shown = canvas.locator(".vsm-viewport").evaluate(READ_NODES)
    svg = lab.value(f"{variable}.editor().to_svg()")
    python = lab.page.evaluate(READ_PYTHON, [svg, READ_NODES])
    return shown, python


def _same_picture(shown: list[dict[str, Any]], python: list[dict[str, Any]], *, culled: bool = False) -> None:
    by_key = {n["key"]: n for n in python}
    assert len(by_key) == len(python), "node keys are unique"
    if culled:
        assert {n["key"] for n in shown} < set(by_key)
    else:
        assert sorted(n["key"] for n in shown) == sorted(by_key)
    for node in shown:
        other = by_key[node["key"]]
        assert (node["id"], node["kind"]) == (other["id"], other["kind"]), node["key"]
        assert node["text"] == other["text"], node["key"]
        for a, b in zip(node["box"], other["box"], strict=True):
            assert abs(a - b) <= 1.0, (node["key"], node["box"], other["box"])


def _widths_agree(lines: list[list[Any]]) -> None:
    assert lines
    worst = 0.0
    for classes, text, drawn in lines:
        measured = text_width(text, *text_style(classes))
        # Characters outside the shipped font are drawn by a fallback font: not measured exactly.
        if all(ord(ch) < 0x2000 or ch in "–—‘’“”…×" for ch in text):
            worst = max(worst, abs(drawn - measured))
            assert abs(drawn - measured) <= 0.01 * measured + 0.3, (classes, text, drawn, measured)
    assert worst < 2


@pytest.mark.parametrize("name", template_names())
def test_templates_draw_the_same_on_the_canvas_and_in_python(lab: NotebookPage, name: str) -> None:
    variable = f"m_pic_{name}"
    canvas = lab.canvas(
        f"picture-{name}",
        f"from vsm_widget import ValueStreamMap\n{variable} = ValueStreamMap.template({name!r})\n"
        f"{variable}.editor(height=700)",
    )
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    shown, python = _drawn(lab, canvas, variable)
    _same_picture(shown, python)
    _widths_agree(canvas.evaluate(READ_WIDTHS))


def test_every_icon_draws_the_same_and_text_fits(lab: NotebookPage) -> None:
    canvas = lab.canvas("picture-all", EVERYTHING + "m_all.editor(height=700)")
    canvas.locator('[data-vsm-kind="fifo"]').wait_for()
    shown, python = _drawn(lab, canvas, "m_all")
    _same_picture(shown, python)
    kinds = {n["kind"] for n in shown}
    assert {
        "process",
        "inventory",
        "wait",
        "fifo",
        "pull",
        "push",
        "direct",
        "info",
        "shipment",
        "burst",
    } <= kinds
    assert {"customer", "supplier", "control", "rung", "totals", "title"} <= kinds
    _widths_agree(canvas.evaluate(READ_WIDTHS))
    # User text is drawn as text: the markup in the title is shown, not obeyed.
    title = next(n for n in shown if n["key"] == "title")
    assert "<b>&</b>" in title["text"]
    assert canvas.locator("b").count() == 0


def test_an_edit_redraws_what_it_changed_and_both_pictures_agree(lab: NotebookPage) -> None:
    canvas = lab.canvas(
        "picture-edit",
        "from vsm_widget import ValueStreamMap\nm_pe = ValueStreamMap.template('stamping_plant')\n"
        "m_pe.editor(height=640)",
    )
    step = canvas.locator('[data-vsm-node="weld1"]')
    step.wait_for()
    untouched = canvas.locator('[data-vsm-node="assy2"]')
    untouched.evaluate("g => { g.dataset.probe = 'same'; }")
    step.evaluate("g => { g.dataset.probe = 'old'; }")
    lab.py('m_pe.update("S. Weld #1", cycle_time="70 s")')
    canvas.locator('[data-vsm-node="weld1"]:not([data-probe])').wait_for()
    # The changed step was drawn again; a step the edit did not touch is the same element.
    assert untouched.get_attribute("data-probe") == "same"
    assert "70 s" in (canvas.locator('[data-vsm-node="weld1"]').text_content() or "")
    shown, python = _drawn(lab, canvas, "m_pe")
    _same_picture(shown, python)


def test_a_long_map_draws_the_same_where_it_is_drawn(lab: NotebookPage) -> None:
    code = """
from vsm_widget import ValueStreamMap
m_long = ValueStreamMap('Long', demand=920, available_time='2 x 27600 s')
for i in range(120):
    m_long.add_inventory(100 + i)
    m_long.add_process(f'Step {i}', cycle_time=f'{30 + i % 40} s')
m_long.editor(height=500)
"""
    canvas = lab.canvas("picture-long", code)
    canvas.locator('[data-vsm-node="p1"]').wait_for()
    shown, python = _drawn(lab, canvas, "m_long")
    # Far-off parts of a long map are not in the page; what is drawn matches Python's picture.
    _same_picture(shown, python, culled=True)
    assert json.dumps(shown)  # the page's reading is plain data
