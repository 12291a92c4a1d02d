"""Every example notebook runs top to bottom and shows the figures it promises.

Notebooks run in a copy of ``examples/`` (they read ``data/`` and write ``output/`` next to
themselves), so the working tree is never touched. Each runs once per test session; the
checks below read its outputs. Expected figures come from the book (*Learning to See*) or
are worked out by hand in the comments, never from running the code.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from pages import read_page, to_html

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"
_RUNS: dict[str, nbformat.NotebookNode] = {}


@pytest.fixture(scope="session")
def examples_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/ without anything a run left behind."""
    target = tmp_path_factory.mktemp("examples") / "examples"
    shutil.copytree(EXAMPLES_DIR, target, ignore=shutil.ignore_patterns("output", ".ipynb_checkpoints"))
    return target


def _run(name: str, folder: Path) -> nbformat.NotebookNode:
    """The notebook ``name`` executed in ``folder`` (once per session)."""
    if name not in _RUNS:
        notebook = nbformat.read(folder / name, as_version=4)
        client = NotebookClient(
            notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
        )
        client.execute()
        _RUNS[name] = notebook
    return _RUNS[name]


def _code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _text(cell_or_notebook: nbformat.NotebookNode) -> str:
    """Printed text and plain-text results of one cell, or of a whole notebook."""
    cells = cell_or_notebook.cells if "cells" in cell_or_notebook else [cell_or_notebook]
    parts: list[str] = []
    for cell in cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def _mimes(cell: nbformat.NotebookNode) -> set[str]:
    return {mime for output in cell.get("outputs", []) for mime in output.get("data", {})}


def _markdown(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_there_are_the_four_examples() -> None:
    names = {path.name for path in EXAMPLES}
    assert {"quickstart.ipynb", "coach-workshop.ipynb", "analyst-data.ipynb", "future-state.ipynb"} <= names


def test_example_data_is_small() -> None:
    total = sum(path.stat().st_size for path in (EXAMPLES_DIR / "data").iterdir())
    assert total < 200_000


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_is_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {index} of {path.name} has stored outputs"
            assert cell.execution_count is None, f"cell {index} of {path.name} has an execution count"
        assert "widgets" not in cell.get("metadata", {}), f"cell {index} of {path.name} stores widget state"
    assert "widgets" not in notebook.metadata, f"{path.name} stores widget state"
    # A notebook without a kernelspec opens a kernel dialog in JupyterLab (and on Binder).
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.notebook
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path: Path, examples_copy: Path) -> None:
    notebook = _run(path.name, examples_copy)
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, errors
    assert all(cell.execution_count for cell in _code_cells(notebook))


@pytest.mark.notebook
def test_quickstart(examples_copy: Path) -> None:
    notebook = _run("quickstart.ipynb", examples_copy)
    cells = _code_cells(notebook)
    # Three cells: the map on screen, the dashboard, an edit.
    assert len(cells) == 3
    assert WIDGET in _mimes(cells[0])
    assert "ValueStreamMap" in _text(cells[0])
    assert WIDGET in _mimes(cells[1])
    assert "Dashboard" in _text(cells[1])
    # Learning to See: 55,200 s a day / 920 a day = takt 60 s; 21,730 parts of inventory
    # / 920 a day = 23.6 days; Assembly #1 at 62 s is the slowest step.
    assert "takt 60 s, lead time 23.6 d, bottleneck Assembly #1 (62 s)" in _text(cells[0])
    edit = _text(cells[2])
    # Assembly #1 at 55 s: S. Weld #2 becomes the slowest, 46 s / 80% uptime = 57.5 s.
    assert "bottleneck now: S. Weld #2 at 57.5 s" in edit
    assert re.search(r"refused: weld2: uptime: .*120%", edit)
    assert "after undo: Assembly #1 at 62 s" in edit


@pytest.mark.notebook
def test_the_quickstart_exported_to_html_shows_the_map_without_javascript(examples_copy: Path) -> None:
    notebook = _run("quickstart.ipynb", examples_copy)
    # As `jupyter nbconvert --execute` leaves it: with the widget state, so the exporter
    # writes the widget view of the canvas and dashboard outputs, which need JavaScript.
    assert "application/vnd.jupyter.widget-state+json" in notebook.metadata["widgets"]
    page = read_page(to_html(notebook))
    # The editor's picture and the dashboard's, on the page (not inside a script), each
    # with the map and its figures; the dashboard's with its steps against takt.
    assert len(page.find("div", "vsm-fallback")) == 2
    assert len(page.find("svg", "vsm-svg")) == 2
    assert len([e for e in page.elements if e.attrs.get("data-vsm-kind") == "process"]) == 2 * 5
    assert page.text.count("Lead time 23.6 working days") == 2
    assert page.text.count("Bottleneck Assembly #1") == 2
    assert len(page.find("table", "vsm-fallback-steps")) == 1
    # Not an image: nbconvert would have embedded an SVG output as a data-URI <img>.
    assert not [e for e in page.find("img") if e.attrs.get("src", "").startswith("data:image/svg")]


@pytest.mark.notebook
def test_coach_workshop(examples_copy: Path) -> None:
    notebook = _run("coach-workshop.ipynb", examples_copy)
    markdown = _markdown(notebook)
    for number in range(1, 11):
        assert f"## Step {number}. " in markdown
    assert markdown.count("**Exercise.**") >= 7
    assert markdown.count("> **Coach's note**") >= 8
    text = _text(notebook)
    # The readiness check shows progress: from step 1 alone to all ten, never backwards.
    counts = [int(n) for n in re.findall(r"(\d+) of 10 mapping steps done", text)]
    assert counts[0] == 1
    assert counts[-1] == 10
    assert counts == sorted(counts)
    # Takt: 7.5 h = 27,000 s a day / (40 a week / 5 days = 8 a day) = 3,375 s = 56.25 min.
    assert "takt time: 56.2 min" in text
    # Waits 2 + 1 + 1.5 + 0.5 = 5 days of 27,000 s, plus 10 + 45 + 30 + 5 + 10 = 100 min:
    # 141,000 s = 5.22 working days; efficiency 6,000 / 141,000 = 4.26%;
    # rolled %C&A 0.90 x 0.80 x 0.95 x 1 x 1 = 68.4%.
    assert re.search(r"lead time\s+5\.22 d", text)
    assert re.search(r"process time\s+100 min", text)
    assert re.search(r"efficiency\s+4\.26%", text)
    assert re.search(r"rolled %C&A\s+68\.4%", text)
    assert "bottleneck: Engineering review at 45 min" in text
    assert "steps over takt: 0" in text
    # Future: approval and its 1.5 d queue gone, review queue 0.5 d: 2 d + 95 min =
    # 59,700 s = 2.21 d (-57.7%); rolled %C&A 0.90 x 0.95 x 0.95 x 1 = 81.2%.
    # The comparison reads both maps in the current map's units (once "995 min" beside "2.21 d").
    comparison = _text(_code_cells(notebook)[-1])
    assert re.search(
        r"Lead time\s+5\.22 working days\s+2\.21 working days\s+▼ −3\.01 working days \(−57\.7%\)", comparison
    )
    assert re.search(r"Rolled %C&A\s+68\.4%\s+81\.2%", comparison)
    assert re.search(r"Steps\s+5\s+4", comparison)


@pytest.mark.notebook
def test_analyst_data(examples_copy: Path) -> None:
    notebook = _run("analyst-data.ipynb", examples_copy)
    text = _text(notebook)
    # The table is the book's current state.
    assert re.search(r"lead time\s+23\.6 d", text)
    assert re.search(r"bottleneck\s+Assembly #1 at 62 s", text)
    # The stopwatch readings are built symmetric around 1, 41, 52, 58 and 40 s.
    assert re.search(r"S\. Weld #2\s+46\.0\s+52\.0\s+6\.0\s+13\.0", text)
    assert re.search(r"Assembly #1\s+62\.0\s+58\.0\s+-4\.0\s+-6\.5", text)
    # Measured: S. Weld #2 52 s / 80% = 65 s, over takt; process 1 + 41 + 52 + 58 + 40 = 192 s.
    assert re.search(r"bottleneck\s+S\. Weld #2 at 65 s", text)
    assert "['S. Weld #2']" in text
    assert re.search(r"process time\s+192 s", text)
    # Tickets: median hands-on 0.5 + 6 + 1 + 0.5 = 8 h, median waits 24 + 8 + 48 = 80 h;
    # Review is sent back 4 times in 44 visits: %C&A 1 - 4/44 = 90.9%.
    assert "<EventLog: 40 items, 4 stages, 168 events>" in text
    # Takt: 8 h a day / (8 tickets a week / 5 days) = 5 h; Build's median 6 h is over it.
    assert "takt        5 h | over takt: ['Build']" in text
    assert re.search(r"lead time\s+88 h", text)
    assert re.search(r"efficiency\s+9\.09%", text)
    assert re.search(r"rolled %C&A\s+90\.9%", text)
    # Flow times: 8 tickets each at 44, 66, 110, 132 h, four at 88 h and four reworked at
    # 127 h: median (88 + 110) / 2 = 99 h, 85th percentile 132 h; active time
    # 40 x 8 + 4 x 7 = 348 h of 40 x 88 + 4 x 39 = 3,676 h: 9.47%; 4 of 40 reworked.
    assert re.search(r"flow time, median\s+99\.0 h", text)
    assert re.search(r"flow time, 85th percentile\s+132\.0 h", text)
    assert re.search(r"flow efficiency\s+9\.47%", text)
    assert re.search(r"reworked tickets\s+10%", text)
    assert "round trip through CSV gives the same stream: True" in text
    assert "['brackets-steps.csv', 'brackets-steps.xlsx', 'brackets-summary.xlsx']" in text


@pytest.mark.notebook
def test_future_state(examples_copy: Path) -> None:
    notebook = _run("future-state.ipynb", examples_copy)
    text = _text(notebook)
    # Inventories 1,840 + 1,380 + 1,840 = 5,060 = 5.5 days of 920; process 1 + 168 = 169 s.
    assert re.search(r"lead time\s+23\.6 d -> 5\.5 d", text)
    assert re.search(r"process time\s+188 s -> 169 s", text)
    assert re.search(r"inventory\s+21,730 -> 5,060 units", text)
    # The cell: 168 s / 3 stations = 56 s, under takt 60 s.
    assert re.search(r"steps over takt\s+1 -> 0", text)
    assert re.search(r"bottleneck\s+Assembly #1 -> Weld \+ assembly cell", text)
    assert "all ten mapping steps done: True" in text
    assert "loads back the same: True" in text
    assert "['stamping-current.vsm.json', 'stamping-future.svg', 'stamping-future.vsm.json']" in text
    cells = _code_cells(notebook)
    assert "image/svg+xml" in _mimes(cells[-1])
    assert any("ComparisonView" in _text(cell) and WIDGET in _mimes(cell) for cell in cells)
    # Every kaizen burst of the action plan has an owner and a due date.
    plan = next(_text(cell) for cell in cells if "action_plan(f)" in cell.source)
    assert plan.count("2026-") == 5


@pytest.mark.notebook
def test_software_delivery(examples_copy: Path) -> None:
    notebook = _run("software-delivery.ipynb", examples_copy)
    text = _text(notebook)
    # Three working statuses of 20 tickets; the factors 0.5 .. 1.5 have median 1, so the
    # medians are the base hours: in progress 8 h after 24 h in the backlog, review 2 h
    # after 16 h, deploying 0.5 h after 4 h; p15 and p85 at factors 0.5 and 1.5.
    assert "<EventLog: 20 items, 3 stages, 60 events>" in text
    assert re.search(r"In progress\s+20\.0\s+8\.0\s+24\.0\s+4\.00\s+12\.00", text)
    assert re.search(r"Deploying\s+20\.0\s+0\.5\s+4\.0\s+0\.25\s+0\.75", text)
    # Lead time 24 + 8 + 16 + 2 + 4 + 0.5 = 54.5 h; efficiency 10.5 / 54.5 = 19.27%.
    assert "day basis   calendar" in text
    assert "lead time   54.5 h" in text
    assert "flow time, median 54.5 h" in text
    assert "flow efficiency   19.27%" in text
    # 20 deployments from 27.25 h to 537.75 h after the first arrival: 20 / 21.27 days;
    # commit-to-deploy 16 + 2 + 4 + 0.5 = 22.5 h; 3 of 20 failed; restored in 2, 4, 3 h.
    assert re.search(r"deployment_frequency\s+0\.94\s+per day\s+20", text)
    assert re.search(r"lead_time_for_changes\s+22\.5 h", text)
    assert re.search(r"change_failure_rate\s+0\.15\s+share\s+20", text)
    assert re.search(r"time_to_restore_service\s+3\.0 h\s+s\s+3", text)
    # DEL-3 in working time: Wed 8 h waiting, Thu 8 h in progress, the night free, Friday
    # 2 h review, 4 h waiting, 0.5 h deploying: 22.5 h of its 54.5 calendar hours.
    assert re.search(r"DEL-3\s+54\.50\s+22\.50", text)
    assert "map day: 8.0 h" in text
    # Drawn against measured: Build estimated at 4 h, measured 8 h (p15 4 h, p85 12 h).
    assert re.search(r"Build\s+process_time\s+4\.0\s+4\.00\s+8\.0\s+12\.00\s+20\s+-4\.0", text)
    assert re.search(r"ana\s+cara\s+10\s+16\.0", text)


@pytest.mark.notebook
def test_future_state_will_it_hold(examples_copy: Path) -> None:
    notebook = _run("future-state-will-it-hold.ipynb", examples_copy)
    cells = _code_cells(notebook)
    text = _text(notebook)
    # Takt 25,200 s / 420 = 60 s; lead time 40 + 48 + 35 + 25 = 148 s plus 260 units waiting,
    # 260 / 420 days of 25,200 s = 15,600 s: 15,748 s = 4.37 h; Weld 48 s / 90% = 53.3 s.
    assert "current state: takt 60 s, lead time 4.37 h, bottleneck Weld (53.3 s)" in text
    assert WIDGET in _mimes(cells[0])
    # Future: 148 s + 9 units / 420 a day x 25,200 s = 688 s, read in the current map's
    # lead unit (m.future() keeps it, so both maps read alike): 688 / 3,600 = 0.191 h.
    assert "future state: lead time 0.191 h (was 4.37 h)" in text
    assert WIDGET in _mimes(cells[1])
    # One order a takt, fixed times. Order k of a batch of 10 waits (9 - k) takts for the
    # batch; the batch takes 10 x 40 + 120 = 520 s at Cut, goes through Weld one by one at
    # 53.3 s (all 10 by 533.3 s), 10 x 35 + 60 = 410 s at Paint, then Pack one by one at
    # 25 s: lead time 1,463.3 + 25 (k + 1) + 60 (9 - k) s, mean 1,870.8 s = 31.2 min,
    # from 1,713.3 s (k = 9) = 28.6 min to 2,028.3 s (k = 0) = 33.8 min.
    assert "without variability: 31.2 min on average, from 28.6 min to 33.8 min" in text
    # The answer is a distribution: the picture and the figures with intervals.
    answer = next(cell for cell in cells if cell.source.strip().endswith("future_run"))
    html = "".join(o.get("data", {}).get("text/html", "") for o in answer.outputs)
    assert "<svg" in html
    assert "static lead time 11.5 min" in html
    # What the notebook says of it: the promise of an hour does not hold for 85% of orders.
    share = float(re.search(r"orders through within 1 h: ([\d.]+)%", text).group(1))
    assert share < 85
    p85 = re.search(r"85% of orders are through within ([\d.]+) min", text)
    assert p85 is not None
    assert float(p85.group(1)) > 60
    # Better than today on every lead-time figure.
    for label in ("median", "85th percentile", "95th percentile", "mean"):
        assert re.search(rf"Lead time, {label} .*  -[\d.]+ h \(", text), label
    # The what-ifs each do better than the future state as drawn.
    shares = dict(re.findall(r"^(.+?)\s+p85 .* within 1 h: ([\d.]+)%", text, flags=re.MULTILINE))
    assert set(shares) == {"as drawn", "Weld repairs in 5 min", "a second Weld station"}
    assert float(shares["Weld repairs in 5 min"]) > float(shares["as drawn"])
    assert float(shares["a second Weld station"]) > float(shares["as drawn"])
    assert "uptime is breakdowns in busy time" in text
