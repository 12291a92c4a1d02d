"""The static picture a notebook keeps for readers without JavaScript (vsm_widget.presentation.fallback).

Figures are those of *Learning to See* (Rother and Shook), the ``stamping_plant``
template: 920 parts a day in 2 x 27,600 s, so takt = 60 s; 21,730 parts waiting in six
inventories = 21,730 x 60 s = 1,303,800 s, plus C/T 1 + 39 + 46 + 62 + 40 = 188 s, a
lead time of 1,303,988 s = 23.6 working days of 55,200 s; efficiency 188 / 1,303,988 =
0.0144%. S. Weld #2 runs 46 s at 80% uptime, an effective 57.5 s; Assembly #1 at 62 s
is over takt and the bottleneck.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from IPython.core.formatters import DisplayFormatter

from pages import read_page
from vsm_widget import ValueStreamMap
from vsm_widget.presentation.fallback import fallback_html
from vsm_widget.presentation.render import render_svg

SVG = "{http://www.w3.org/2000/svg}"
WIDGET = "application/vnd.jupyter.widget-view+json"
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture
def plant() -> ValueStreamMap:
    return ValueStreamMap.template("stamping_plant")


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What IPython publishes when a notebook displays an object: one bundle per output."""
    outputs: list[dict[str, Any]] = []
    monkeypatch.setattr(
        "IPython.display.publish_display_data", lambda data, metadata=None: outputs.append(data)
    )
    return outputs


def display(obj: Any) -> None:
    """Display ``obj`` as a notebook cell's value does (IPython's formatter)."""
    data, _ = DisplayFormatter().format(obj)
    assert data == {}, "the object should show its outputs itself"


def test_the_picture_holds_the_map_and_its_headline_figures(plant: ValueStreamMap) -> None:
    page = read_page(fallback_html(plant))
    assert [e.tag for e in page.elements[:1]] == ["div"]
    assert page.elements[0].classes == ["vsm-fallback"]
    assert len(page.find("svg", "vsm-svg")) == 1
    processes = [e for e in page.elements if e.attrs.get("data-vsm-kind") == "process"]
    assert len(processes) == 5
    assert "Steering brackets, Acme Stamping (current state)" in page.text
    for figure in (
        "Takt time 60 s",
        "Lead time 23.6 working days",
        "Process time 188 s",
        "Process cycle efficiency 0.0144%",
        "Inventory (units) 21,730 units",
        "Inventory (days) 23.6 days of demand",
        "Steps over takt 1 of 5",
        "Bottleneck Assembly #1",
    ):
        assert figure in page.text


def test_the_map_scales_down_to_the_page_and_keeps_its_proportions(plant: ValueStreamMap) -> None:
    drawn = ET.fromstring(render_svg(plant))
    picture = next(e for e in read_page(fallback_html(plant)).find("svg"))
    # (HTML attribute names are read in lower case.)
    assert picture.attrs["viewbox"] == drawn.get("viewBox")
    # As wide as the output, never wider than drawn; no fixed height, so it keeps the ratio.
    assert picture.attrs["width"] == "100%"
    assert "height" not in picture.attrs
    style = dict(rule.split(":", 1) for rule in picture.attrs["style"].replace(" ", "").split(";") if rule)
    assert style["max-width"] == f"{drawn.get('width')}px"
    assert style["height"] == "auto"


def test_user_text_is_shown_as_text_never_as_markup() -> None:
    m = ValueStreamMap(HOSTILE, demand=100, available_time="8 h")
    m.add_process(HOSTILE, cycle_time="300 s")  # over takt (288 s) and the bottleneck
    html = fallback_html(m, steps=True)
    page = read_page(html)
    assert not page.find("img")
    assert not page.find("script")
    # Shown as typed: the title, the step in the table and on the bottleneck figure.
    assert page.text.count(HOSTILE) >= 3
    assert "onerror" not in {name for e in page.elements for name in e.attrs}
    # Well-formed too: the whole picture parses as XML.
    assert ET.fromstring(html).get("class") == "vsm-fallback"


def test_the_dashboards_picture_lists_the_steps_against_takt(plant: ValueStreamMap) -> None:
    page = read_page(fallback_html(plant, steps=True))
    assert len(page.find("table", "vsm-fallback-steps")) == 1
    assert len(page.find("tr")) == 1 + 5
    assert "Against takt (60 s)" in page.text
    assert re.search(r"S\. Weld #2 46 s 80% 57\.5 s Assembly #1", page.text)
    assert "Assembly #1 62 s 100% 62 s over takt, bottleneck" in page.text
    # Without steps=True, no table (the editor's picture).
    assert not read_page(fallback_html(plant)).find("table")


def test_an_empty_map_has_a_picture_too() -> None:
    page = read_page(fallback_html(ValueStreamMap(), steps=True))
    assert len(page.find("svg")) == 1
    assert "Takt time –" in page.text
    assert not page.find("table")


def test_a_map_shows_its_editor_then_the_picture(plant: ValueStreamMap, shown: list[dict[str, Any]]) -> None:
    display(plant)
    assert len(shown) == 2
    view, picture = shown
    assert view[WIDGET]["model_id"] == plant.editor().model_id
    assert view["text/plain"] == repr(plant)
    # The picture is an output of its own, which nbconvert keeps whatever it does with widgets.
    assert set(picture) == {"text/html"}
    assert picture["text/html"] == fallback_html(plant)


def test_the_editor_and_the_dashboard_show_the_picture_too(
    plant: ValueStreamMap, shown: list[dict[str, Any]]
) -> None:
    editor = plant.editor()
    display(editor)
    dashboard = plant.dashboard()
    display(dashboard)
    assert [WIDGET in output for output in shown] == [True, False, True, False]
    assert shown[0][WIDGET]["model_id"] == editor.model_id
    assert shown[1]["text/html"] == fallback_html(plant)
    assert shown[2][WIDGET]["model_id"] == dashboard.model_id
    assert shown[3]["text/html"] == fallback_html(plant, steps=True)
    dashboard.close()


def test_one_bundle_front_ends_get_the_editor_with_the_picture(plant: ValueStreamMap) -> None:
    data, _ = plant._repr_mimebundle_()
    assert data[WIDGET]["model_id"] == plant.editor().model_id
    assert data["text/html"] == fallback_html(plant)
    assert data["text/plain"] == repr(plant)


def test_the_picture_needs_no_widget_library() -> None:
    code = (
        "import sys\n"
        "from vsm_widget import ValueStreamMap\n"
        "from vsm_widget.presentation.fallback import fallback_html\n"
        "fallback_html(ValueStreamMap.template('stamping_plant'), steps=True)\n"
        "print(sorted(m for m in ('anywidget', 'ipywidgets', 'bqplot', 'IPython') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
