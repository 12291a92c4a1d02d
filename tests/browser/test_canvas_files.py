"""Files from the canvas toolbar in a real JupyterLab: SVG, PNG and JSON downloads, Open….

Expected contents come from the map built in the kernel: the stamping plant of *Learning
to See* has 5 processes, 6 inventories, a supplier and a customer; a long map of 90 steps
is drawn only near the view on screen, yet its pictures hold every step.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.data.io import to_json

from .harness import NotebookPage

pytestmark = pytest.mark.browser

SVG = "{http://www.w3.org/2000/svg}"
PLANT = 'load_template("stamping_plant")'
LONG = (
    'm_long = ValueStreamMap("Ninety steps", demand=4000, available_time="2 x 27600 s")\n'
    "for i in range(90):\n"
    '    m_long.add_process(f"Step {i + 1}", cycle_time=20 + i % 7)\n'
    "    m_long.add_inventory(100 + i)\n"
    "m_long.editor(height=420)"
)


def download(page: Any, canvas: Any, item: str, folder: Path) -> Path:
    """Choose an entry of the canvas's Export menu; return the downloaded file."""
    canvas.locator('[data-vsm-action="export"]').click()
    entry = canvas.locator(f'[data-vsm-action="export-{item}"]')
    entry.wait_for(state="visible")
    with page.expect_download() as info:
        entry.click()
    saved = folder / info.value.suggested_filename
    info.value.save_as(saved)
    # The menu closes once an entry is chosen.
    entry.wait_for(state="hidden")
    return saved


def open_file(page: Any, canvas: Any, path: Path) -> None:
    """Choose ``path`` in the file dialog behind the canvas's Open… button."""
    with page.expect_file_chooser() as chooser:
        canvas.locator('[data-vsm-action="open"]').click()
    chooser.value.set_files(str(path))


def kinds(root: ET.Element) -> dict[str, int]:
    """How many groups of each ``data-vsm-kind`` a picture holds."""
    counts: dict[str, int] = {}
    for el in root.iter():
        kind = el.get("data-vsm-kind")
        if kind:
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_svg_export_holds_the_whole_map_with_its_colours(
    lab: NotebookPage, tmp_path: Path, artifacts: Path
) -> None:
    canvas = lab.canvas("svg", f"m_svg = {PLANT}\nm_svg.editor(height=480)")
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    # The menu opens over the canvas and is keyboard-reachable; Escape closes it.
    export = canvas.locator('[data-vsm-action="export"]')
    export.click()
    # The menu the button controls (not the "+" handles' menu of places to add at).
    menu = canvas.locator(f"#{export.get_attribute('aria-controls')}")
    menu.wait_for(state="visible")
    assert canvas.locator('[data-vsm-action="export"]').get_attribute("aria-expanded") == "true"
    canvas.screenshot(path=str(artifacts / "export-menu.png"))
    lab.page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    path = download(lab.page, canvas, "svg", tmp_path)
    assert path.name == "steering-brackets-acme-stamping-current-state.svg"
    root = ET.parse(path).getroot()  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    assert width > height > 0
    assert root.get("viewBox", "").split()[2:] == [root.get("width"), root.get("height")]
    assert root.findtext(f"{SVG}title") == lab.value("m_svg.title")
    counts = kinds(root)
    assert counts["process"] == 5
    assert counts["inventory"] == 6
    assert counts["rung"] == 5 + 6
    assert counts["customer"] == counts["supplier"] == counts["control"] == 1
    text = "".join(root.itertext())
    for name in lab.value("[s.name for s in m_svg.steps]"):
        assert name in text
    # Standalone: the only style is the font it carries; no script, no foreign content;
    # every colour is written into its shape.
    styles = [el.text or "" for el in root.iter(f"{SVG}style")]
    assert len(styles) == 1
    assert styles[0].count("@font-face") == 2
    assert "url(data:font/woff2;base64," in styles[0]
    assert not any(True for _ in root.iter(f"{SVG}script"))
    assert not any(True for _ in root.iter(f"{SVG}foreignObject"))
    head = next(el for el in root.iter() if el.get("class", "").split()[:1] == ["vsm-head"])
    assert re.fullmatch(r"#[0-9a-f]{6}", head.get("fill", "")), "the process head has no colour of its own"
    # It is the canvas's own drawing: the same nodes as the scene the canvas drew.
    drawn = set(
        canvas.locator("[data-vsm-node]:not([data-vsm-slot])").evaluate_all(
            "els => els.map(e => e.dataset.vsmNode)"
        )
    )
    assert {el.get("data-vsm-node") for el in root.iter() if el.get("data-vsm-node")} == drawn
    # Look at it as a coach would: the file alone, in a new page.
    page = lab.page.context.new_page()
    try:
        data = base64.b64encode(path.read_bytes()).decode()
        page.set_content(f'<img alt="exported map" src="data:image/svg+xml;base64,{data}">')
        picture = page.locator("img")
        picture.wait_for()
        assert picture.evaluate("img => img.decode().then(() => img.naturalWidth)") == round(width)
        shot = artifacts / "export-svg.png"
        picture.screenshot(path=str(shot))
    finally:
        page.close()


def test_pictures_of_a_long_map_hold_every_step(lab: NotebookPage, tmp_path: Path) -> None:
    canvas = lab.canvas("long", LONG)
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    # On screen, steps far off to the right are not drawn...
    assert canvas.locator('[data-vsm-kind="process"]').count() < 90
    # ...but the picture holds all ninety, and each inventory.
    root = ET.parse(download(lab.page, canvas, "svg", tmp_path)).getroot()
    counts = kinds(root)
    assert counts["process"] == 90
    assert counts["inventory"] == 90
    svg_width = float(root.get("width", "0"))
    svg_height = float(root.get("height", "0"))
    # The PNG is the same picture at two pixels per unit, cut down to at most 16,000 pixels.
    png = download(lab.page, canvas, "png", tmp_path)
    assert png.name == "ninety-steps.png"
    width, height = png_size(png)
    assert width == 16_000 or width == round(2 * svg_width)
    assert width / height == pytest.approx(svg_width / svg_height, rel=0.01)


def test_png_export_is_the_picture_at_twice_the_size(lab: NotebookPage, tmp_path: Path) -> None:
    canvas = lab.canvas("png", f"m_png = {PLANT}\nm_png.editor(height=480)")
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    root = ET.parse(download(lab.page, canvas, "svg", tmp_path)).getroot()
    width, height = png_size(download(lab.page, canvas, "png", tmp_path))
    assert (width, height) == (
        round(2 * float(root.get("width", "0"))),
        round(2 * float(root.get("height", "0"))),
    )


def test_json_export_loads_back_as_the_same_map(lab: NotebookPage, tmp_path: Path) -> None:
    canvas = lab.canvas("json", f"m_json = {PLANT}\nm_json.editor(height=420)")
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    lab.py('m_json.update("weld1", cycle_time="41 s")')
    canvas.locator('[data-vsm-id="weld1"] [data-vsm-field="cycle_time"]').filter(has_text="41").wait_for()
    path = download(lab.page, canvas, "json", tmp_path)
    assert path.suffix == ".json"
    loaded = ValueStreamMap.load(path)
    assert loaded.get("weld1").cycle_time == 41
    assert loaded.to_dict() == lab.value("m_json.to_dict()")


def test_open_replaces_the_map_and_undo_brings_it_back(lab: NotebookPage, tmp_path: Path) -> None:
    other = ValueStreamMap("Loan approval", demand=8, available_time="8 h")
    other.add_process("Check application", cycle_time="20 min")
    other.add_wait("2 d")
    other.add_process("Decide", cycle_time="15 min")
    file = tmp_path / "loan.json"
    other.save(file)
    canvas = lab.canvas("open", f"m_open = {PLANT}\nw_open = m_open.editor(height=420)\nw_open")
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    open_file(lab.page, canvas, file)
    lab.wait_value("m_open.title", lambda v: v == "Loan approval")
    assert lab.value("[s.name for s in m_open.steps]") == ["Check application", "Decide"]
    assert lab.value("m_open.to_dict()") == json.loads(json.dumps(other.to_dict()))
    canvas.locator('[data-vsm-kind="process"]', has_text="Decide").wait_for()
    assert canvas.locator('[data-vsm-kind="process"]').count() == 2
    # Opening is one edit: Undo brings the stamping plant back, on the canvas too.
    canvas.locator('[data-vsm-action="undo"]').click()
    lab.wait_value("len(m_open.steps)", lambda v: v == 5)
    canvas.locator('[data-vsm-kind="process"][data-vsm-id="assy2"]').wait_for()


def test_opening_a_broken_document_names_the_fault_and_changes_nothing(
    lab: NotebookPage, tmp_path: Path
) -> None:
    document = json.loads(to_json(ValueStreamMap.template("stamping_plant")))
    document["stream"][1]["cycle_time"] = -5
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    canvas = lab.canvas(
        "open-bad", f"m_bad_open = {PLANT}\nw_bad_open = m_bad_open.editor(height=420)\nw_bad_open"
    )
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    before = lab.value("m_bad_open.to_dict()")
    open_file(lab.page, canvas, broken)
    error = canvas.locator(".vsm-error")
    error.wait_for(state="visible")
    message = error.text_content() or ""
    assert "broken.json" in message
    assert "stream[1].cycle_time" in message
    assert "unchanged" in message
    assert lab.value("w_bad_open.error['field']") == "$.stream[1].cycle_time"
    assert lab.value("m_bad_open.to_dict()") == before
    assert lab.value("m_bad_open.can_undo") is False


def test_a_file_that_is_not_utf8_is_refused_not_garbled(lab: NotebookPage, tmp_path: Path) -> None:
    other = ValueStreamMap("Café line", demand=8, available_time="8 h")
    other.add_process("Découpe", cycle_time="20 s")
    legacy = tmp_path / "legacy.json"
    legacy.write_bytes(to_json(other).encode("cp1252"))  # é is one byte, 0xE9: not UTF-8
    canvas = lab.canvas("open-cp1252", f"m_enc = {PLANT}\nw_enc = m_enc.editor(height=420)\nw_enc")
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    before = lab.value("m_enc.to_dict()")
    open_file(lab.page, canvas, legacy)
    error = canvas.locator(".vsm-error")
    error.wait_for(state="visible")
    assert "legacy.json is not UTF-8 text" in (error.text_content() or "")
    assert lab.value("m_enc.to_dict()") == before
    assert lab.value("m_enc.can_undo") is False


def test_the_export_menu_works_from_the_keyboard(lab: NotebookPage, tmp_path: Path) -> None:
    canvas = lab.canvas("keys", f"m_keys = {PLANT}\nw_keys = m_keys.editor(height=420)\nw_keys")
    step = canvas.locator('[data-vsm-kind="process"][data-vsm-id="weld1"]')
    step.click()
    lab.wait_value("w_keys.selection", lambda v: v == ["weld1"])
    canvas.locator('[data-vsm-action="export"]').click()
    first = canvas.locator('[data-vsm-action="export-svg"]')
    first.wait_for(state="visible")
    assert first.evaluate("el => el === document.activeElement")
    # Down moves through the menu (not the selected step); Enter chooses (not an edit).
    for _ in range(3):  # SVG, PNG, SVG for print, JSON
        lab.page.keyboard.press("ArrowDown")
    assert canvas.locator('[data-vsm-action="export-json"]').evaluate("el => el === document.activeElement")
    with lab.page.expect_download() as info:
        lab.page.keyboard.press("Enter")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert ValueStreamMap.load(saved).to_dict() == lab.value("m_keys.to_dict()")
    assert canvas.locator("input.vsm-inline:focus").count() == 0
    assert lab.value('[m_keys.get("weld1").x, m_keys.get("weld1").y, m_keys.can_undo]') == [None, None, False]


def test_a_picture_made_in_the_dark_theme_can_be_taken_in_print_colours(
    lab: NotebookPage, tmp_path: Path
) -> None:
    canvas = lab.canvas("print", f"m_print = {PLANT}\nm_print.editor(height=420)")
    canvas.locator('[data-vsm-kind="process"]').first.wait_for()
    lab.set_theme("JupyterLab Dark")
    try:
        canvas.and_(lab.page.locator(".vsm-dark")).wait_for()
        dark = ET.parse(download(lab.page, canvas, "svg", tmp_path)).getroot()
        printed = ET.parse(download(lab.page, canvas, "svg-print", tmp_path)).getroot()
    finally:
        lab.set_theme("JupyterLab Light")

    def background(root: ET.Element) -> str:
        return next(el for el in root if el.tag == f"{SVG}rect").get("fill", "")

    # The picture is what the canvas shows (dark), and the print one is light on white.
    assert dark.get("data-vsm-palette") == "dark"
    assert printed.get("data-vsm-palette") == "print"
    assert background(printed) == "#ffffff"
    assert background(dark) != background(printed)
    # Same drawing, other colours.
    nodes = [el.get("data-vsm-node") for el in dark.iter() if el.get("data-vsm-node")]
    assert nodes == [el.get("data-vsm-node") for el in printed.iter() if el.get("data-vsm-node")]
