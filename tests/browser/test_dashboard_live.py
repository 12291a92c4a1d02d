"""The dashboard in a real JupyterLab: an edit on the canvas moves the cards and the bars;
a click on a bar selects the step on the canvas; what the charts draw, light and dark.

Figures from *Learning to See* (Rother and Shook): C/T 1 + 39 + 46 + 62 + 40 = 188 s;
S. Weld #2 runs at 46 s with 80% uptime, an effective 46 / 0.8 = 57.5 s; Assembly #1 at
62 s is the bottleneck. Cutting Assembly #1 to 55 s gives 188 - 62 + 55 = 181 s of
process time and makes S. Weld #2 (57.5 s) the bottleneck. Takt is 2 x 27,600 s a day
for 18,400 / 20 = 920 parts: 60 s.

Screenshots go to tests/artifacts/ (dashboard, cycle-time and comparison charts, each
light and dark).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from vsm_widget.presentation.palette import PALETTES

from .conftest import SETUP
from .harness import JupyterServer, NotebookPage, write_notebook

pytestmark = pytest.mark.browser

STEPS = ["stamping", "weld1", "weld2", "assy1", "assy2"]  # stream order of the template


@contextmanager
def opened(
    chromium: Any, server: JupyterServer, artifacts: Path, name: str, *cells: str
) -> Iterator[NotebookPage]:
    """A notebook of ``cells`` after Run All, in a window tall enough for the whole dashboard."""
    write_notebook(server.root / f"{name}.ipynb", SETUP, *cells)
    context = chromium.new_context(viewport={"width": 1500, "height": 2600})
    page = context.new_page()
    page.set_default_timeout(30_000)
    notebook = NotebookPage(page, server)
    try:
        notebook.open(f"{name}.ipynb")
        notebook.run_all()
        yield notebook
    except BaseException:
        page.screenshot(path=str(artifacts / f"failed-{name}.png"))
        raise
    finally:
        context.close()


@pytest.fixture(scope="module")
def dash(chromium: Any, lab_server: JupyterServer, artifacts: Path) -> Iterator[NotebookPage]:
    """A notebook with the package imported; tests add their cells."""
    with opened(chromium, lab_server, artifacts, "dashboard") as notebook:
        yield notebook


def card_text(page: Any, name: str) -> str:
    return str(page.locator(f".vsm-card-{name} .vsm-card-value").first.inner_text()).strip()


# The latest cycle-time chart in the page (the last cell's), and its marks in drawing order:
# the bars, the outline of the steps over takt, the takt line, its label, the bottleneck's.
CYCLE_CHART = "[...document.querySelectorAll('.vsm-chart-cycle')].at(-1)"
CYCLE_MARKS = f"() => [...{CYCLE_CHART}.querySelectorAll('svg.svg-figure g[clip-path]')]"


def bar_heights(page: Any) -> list[float]:
    """Total height of each step's stacked bar in the cycle-time chart, in stream order."""
    return list(
        page.evaluate(
            f"""() => {{
              const bars = ({CYCLE_MARKS})()[0];
              return [...bars.querySelectorAll('g.bargroup')].map((group) =>
                [...group.querySelectorAll('rect.bar')]
                  .reduce((sum, rect) => sum + Number(rect.getAttribute('height') || 0), 0));
            }}"""
        )
    )


def test_canvas_edit_moves_cards_and_bars_and_bars_select_steps(dash: NotebookPage, artifacts: Path) -> None:
    page = dash.page
    output = dash.add_cell("dashboard", 'm = load_template("stamping_plant")\nm.dashboard()')
    canvas = output.locator(".vsm-canvas").first
    canvas.wait_for(state="visible")
    page.locator(".vsm-chart-cycle g.bargroup").nth(len(STEPS) - 1).wait_for(state="attached")
    page.wait_for_function(f"() => ({CYCLE_MARKS})().length === 5")
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
        f"""() => {{
          const groups = [...({CYCLE_MARKS})()[0].querySelectorAll('g.bargroup')];
          const height = (g) => [...g.querySelectorAll('rect.bar')]
            .reduce((sum, rect) => sum + Number(rect.getAttribute('height') || 0), 0);
          return groups.length === 5 && height(groups[3]) < height(groups[2]);
        }}"""
    )
    after = bar_heights(page)
    # 55 / 57.5 of the S. Weld #2 bar, whatever the axis became.
    assert after[3] / after[2] == pytest.approx(55 / 57.5, rel=0.02)
    assert dash.value("m.get('assy1').cycle_time") == 55

    # A click on the Stamping bar selects Stamping on the canvas and in Python.
    page.locator(".vsm-chart-cycle g.bargroup").nth(0).locator("rect.bar").first.click(force=True)
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


# --------------------------------------------------------------------------- what the charts draw

# Boxes (page coordinates) and computed styles of what the cycle-time chart draws.
CYCLE_DRAWN = f"""() => {{
  const figure = {CYCLE_CHART};
  const marks = ({CYCLE_MARKS})();
  const box = (e) => {{ const r = e.getBoundingClientRect();
    return {{ left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height }}; }};
  const rects = (mark) => [...mark.querySelectorAll('g.bargroup')].map((group) => {{
    const parts = [...group.querySelectorAll('rect.bar')];
    const style = getComputedStyle(parts[0]);
    const all = parts.map(box);
    return {{ left: all[0].left, right: all[0].right, top: Math.min(...all.map((b) => b.top)),
      height: all.reduce((sum, b) => sum + b.height, 0), fill: style.fill, stroke: style.stroke,
      dash: style.strokeDasharray, opacity: Number(style.opacity) }};
  }});
  return {{
    plot: box(figure.querySelector('rect.plotarea_background')),
    bars: rects(marks[0]),
    outline: rects(marks[1]),
    takt: box(marks[2].querySelector('path.line')),
    labels: [...figure.querySelectorAll('text.label')].map((t) => ({{ text: t.textContent, ...box(t) }})),
    legends: [...figure.querySelectorAll('.legendtext')].map((t) => t.textContent),
  }};
}}"""


def rgb(hex_colour: str) -> str:
    """A palette colour as the browser computes it: ``#c62828`` -> ``rgb(198, 40, 40)``."""
    value = int(hex_colour[1:], 16)
    return f"rgb({value >> 16}, {(value >> 8) & 255}, {value & 255})"


def screenshots(dash: NotebookPage, locator: Any, name: str, artifacts: Path, check: Any = None) -> None:
    """Screenshots light and dark; ``check(theme)`` runs in each."""
    page = dash.page
    page.mouse.move(2, 2)  # no tooltip in the pictures
    try:
        for theme, short in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
            dash.set_theme(theme)
            page.wait_for_selector("#jupyterlab-splash", state="detached")
            if check is not None:
                check(short)
            locator.screenshot(path=str(artifacts / f"{name}-{short}.png"))
    finally:
        dash.set_theme("JupyterLab Light")
        page.wait_for_selector("#jupyterlab-splash", state="detached")


def shown(dash: NotebookPage, code: str, selector: str) -> Any:
    """Run ``code`` on a fresh stamping plant ``m`` in a new cell; its figure, once drawn."""
    css = selector.lstrip(".")
    output = dash.add_cell(css, f'm = load_template("stamping_plant")\n{code}')
    figure = output.locator(selector)
    figure.wait_for(state="visible")
    return figure


def test_cycle_chart_names_takt_and_tells_over_takt_from_the_bottleneck(
    dash: NotebookPage, artifacts: Path
) -> None:
    page = dash.page
    # S. Weld #2 at 56 s and 80% uptime: 70 s effective, over takt (60 s) and the slowest,
    # so the bottleneck; Assembly #1 at 62 s is over takt too, but not the bottleneck.
    figure = shown(
        dash,
        'm.update("S. Weld #2", cycle_time="56 s")\n'
        "from vsm_widget.jupyter.charts import CycleTimeChart\nCycleTimeChart(m)",
        ".vsm-chart-cycle",
    )
    page.wait_for_function(
        f"() => ({CYCLE_MARKS})().length === 5 && ({CYCLE_MARKS})()[4].querySelector('text.label')"
    )
    figure.scroll_into_view_if_needed()

    def check(theme: str) -> None:
        drawn = page.evaluate(CYCLE_DRAWN)
        bars, outline, plot = drawn["bars"], drawn["outline"], drawn["plot"]
        stamping, weld1, weld2, assy1, assy2 = range(5)
        # Takt is named next to its line, in full, inside the plot (no legend to clip).
        assert drawn["legends"] == []
        takt = next(label for label in drawn["labels"] if label["text"].startswith("takt"))
        assert takt["text"] == "takt 60 s"
        assert plot["left"] <= takt["left"]
        assert takt["right"] <= plot["right"] + 1
        assert plot["top"] <= takt["top"]
        assert drawn["takt"]["top"] - 20 <= takt["bottom"] <= drawn["takt"]["top"] + 2
        # Over takt: a dashed outline round the whole bar; a step within takt has none.
        for step in (weld2, assy1):
            assert outline[step]["height"] == pytest.approx(bars[step]["height"], abs=2)
            assert outline[step]["fill"] == "none"
            assert outline[step]["dash"] not in ("none", "")
        for step in (stamping, weld1, assy2):
            assert outline[step]["height"] == 0
        # Over takt and not the bottleneck: paler than the others, in another colour.
        assert bars[assy1]["opacity"] < bars[weld1]["opacity"]
        assert bars[assy1]["fill"] != bars[weld2]["fill"] != bars[weld1]["fill"]
        # The bottleneck: filled in the palette's error colour of the theme, and labelled.
        palette = PALETTES[theme]
        assert bars[weld2]["fill"] == rgb(palette["error"])
        assert bars[assy1]["fill"] == rgb(palette["warn"])
        label = next(label for label in drawn["labels"] if label["text"] == "Bottleneck")
        middle = (label["left"] + label["right"]) / 2
        assert bars[weld2]["left"] <= middle <= bars[weld2]["right"]
        assert label["bottom"] <= bars[weld2]["top"] + 2

    screenshots(dash, figure, "cycle", artifacts, check)


def test_comparison_chart_reads_step_names_in_the_maps_units(dash: NotebookPage, artifacts: Path) -> None:
    page = dash.page
    figure = shown(
        dash,
        'f = m.future()\nf.update("g_weld1", quantity=200, variants=None)\n'
        "from vsm_widget.jupyter.dashboard import ComparisonView\nComparisonView(m, f)",
        ".vsm-chart-compare",
    )
    page.wait_for_function(
        "() => document.querySelector('.vsm-chart-compare').querySelectorAll('path.line').length >= 2"
    )
    ticks = page.evaluate(
        """() => [...document.querySelector('.vsm-chart-compare').querySelectorAll('g.axis')]
          .map((axis) => [...axis.querySelectorAll('.tick text')].map((t) => t.textContent))"""
    )
    names = [*["Stamping", "S. Weld #1", "S. Weld #2", "Assembly #1", "Assembly #2"], "State Street Assembly"]
    assert names in ticks  # the x axis: the steps, then the customer; not 0, 1, 2...
    label = page.evaluate(
        "() => [...document.querySelector('.vsm-chart-compare').querySelectorAll('.axislabel')]"
        ".map((t) => t.textContent)"
    )
    assert "cumulative lead time (working days)" in label
    figure.scroll_into_view_if_needed()
    screenshots(dash, figure, "compare", artifacts)


def test_cards_show_no_change_after_run_all_of_an_edit_and_its_undo(
    chromium: Any, lab_server: JupyterServer, artifacts: Path
) -> None:
    # As in the quickstart: the dashboard, then a cell that edits a step and undoes it.
    dashboard = 'm = load_template("stamping_plant")\nm.dashboard()'
    edit_and_undo = 'm.update("Assembly #1", cycle_time="55 s")\nm.undo()'
    with opened(chromium, lab_server, artifacts, "run-all", dashboard, edit_and_undo) as notebook:
        page = notebook.page
        page.locator(".vsm-card-process-time .vsm-card-value").wait_for()
        assert notebook.value("m.get('assy1').cycle_time") == 62
        # Every card shows the map as it is, with no change and no highlight.
        page.wait_for_function(
            """() => {
              const cards = [...document.querySelectorAll('.vsm-card')];
              return cards.length === 9
                && document.querySelector('.vsm-card-process-time .vsm-card-value')
                  .textContent.trim() === '188 s'
                && cards.every((card) => card.querySelector('.vsm-card-delta').textContent.trim() === ''
                  && !card.classList.contains('vsm-flash-a') && !card.classList.contains('vsm-flash-b'));
            }""",
            timeout=15_000,
        )
        assert notebook.errors == []


# --------------------------------------------------------------------------- the simulation view

LEAD_LABELS = (
    "() => [...document.querySelectorAll('.vsm-chart-lead-times text.label')].map((t) => t.textContent)"
)


def test_the_simulation_view_re_simulates_from_its_controls(dash: NotebookPage, artifacts: Path) -> None:
    page = dash.page
    # Assembly #1 at 55 s is within takt (60 s): the line is stable.
    output = dash.add_cell(
        "simulation",
        'm = load_template("stamping_plant")\nm.update("assy1", cycle_time="55 s")\n'
        "from vsm_widget.jupyter.dashboard import SimulationView\n"
        "sim = SimulationView(m, items=3000, replications=3)\nsim",
    )
    figure = output.locator(".vsm-chart-lead-times")
    figure.wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelectorAll('.vsm-chart-lead-times g.bargroup rect.bar').length === 40"
    )
    labels = page.evaluate(LEAD_LABELS)
    # The map's 23.6 working days are its counted stock, far beyond what orders see.
    assert "static lead time 23.6 d →" in labels
    p85 = next(text for text in labels if text.startswith("85% within"))
    assert p85 == dash.value("sim.histogram.p85_label.text[0]")
    # A line per gap, each named in the legend.
    legend = page.evaluate(
        "() => [...document.querySelectorAll('.vsm-chart-queues .legendtext')].map((t) => t.textContent)"
    )
    assert legend == dash.value("sim.queues.names")
    assert len(legend) == 6
    # A coach types a batch of 20 for Stamping (the first step) and presses Enter.
    field = output.locator(".widget-inline-hbox:has-text('Batch size') input").first
    field.fill("20")
    field.press("Enter")
    # After the debounce the kernel re-simulates, and the chart follows.
    dash.wait_value("sim.runs", lambda runs: runs == 2)
    assert dash.value("sim.what_if") == {"stamping": {"batch_size": 20}}
    page.wait_for_function(f"(before) => !({LEAD_LABELS})().includes(before)", arg=p85)
    assert dash.value("m.get('stamping').batch_size") is None  # the map is not edited
    output.locator(".vsm-sim-status").first.scroll_into_view_if_needed()
    screenshots(dash, output, "simulation", artifacts)


def test_canvas_card_and_panel_read_the_ladder_by_one_rule(dash: NotebookPage) -> None:
    # The table of tests/test_display.py, drawn: the rung of the wait and the totals on the
    # canvas, the lead-time card, and the wait's figure in the details panel.
    from test_display import LADDER_TABLE

    page = dash.page
    code = (
        'm_rule = ValueStreamMap("Office", demand=16, working_days=1, available_time="8 h")\n'
        'm_rule.add_wait("1 s", id="queue")\n'
        'm_rule.add_process("Review", id="review", cycle_time="10 s")\n'
        "m_rule.dashboard()"
    )
    output = dash.add_cell("one-rule", code)
    canvas = output.locator(".vsm-canvas").first
    canvas.wait_for(state="visible")
    # A click on the wait's clock selects it; the panel shows its figures.
    canvas.locator('[data-vsm-kind="wait"][data-vsm-id="queue"] circle').first.click()
    cell = '[data-test-cell="one-rule"]'
    rung = f'{cell} [data-vsm-node="queue/rung"] text'
    totals = canvas.locator('[data-vsm-node="totals"] text')
    card_value = f"{cell} .vsm-card-lead-time .vsm-card-value"
    figure = """([dts, text]) => [...document.querySelectorAll(dts)].some((dt) =>
      dt.textContent === 'Wait on the ladder' && dt.nextElementSibling.textContent === text)"""
    # Groups of changed nodes are drawn anew: found by selector each time, not held.
    reads = """([selector, text]) =>
      [...document.querySelectorAll(selector)].some((e) => e.textContent.trim() === text)"""
    for wait, basis, on_ladder, lead, card in LADDER_TABLE:
        dash.py(f'm_rule.update("map", day_basis={basis!r})\nm_rule.update("queue", wait_time={wait!r})')
        page.wait_for_function(reads, arg=[card_value, card])
        page.wait_for_function(reads, arg=[rung, on_ladder])
        lines = [t.strip() for t in totals.all_text_contents()]
        assert lines[lines.index("Lead time") + 1] == lead
        page.wait_for_function(figure, arg=[f"{cell} .vsm-insp-figures dt", on_ladder])
