"""Three browsers on one notebook and one kernel, inside JupyterLab (no room, no collaboration).

A team sharing a Jupyter server opens the same notebook in several browsers: the first
runs it and saves it with its outputs, the other two open it by path and join its kernel
(the same session). Every page hears every comm message of the kernel, so each canvas is
a client of its own (docs/sync-protocol.md): results, ``created`` and refusals reach
every page, and each view acts only on its own. Checked here: each page renders the
map; an inline edit in one shows in the others and in Python; 50 adds made alternately
from two pages, each after its own selected step, all land where they were meant, and
each page selects only its own new box; a selection in one page shows as presence in the
others; a vote counts once per dot, in every page and in Python; a refusal shows only
where it was made; a page that lost messages shows the map as Python has it once it is
back, without a reload.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import SETUP
from .harness import JupyterServer, NotebookPage, write_notebook

pytestmark = pytest.mark.browser

PROCESS = '[data-vsm-kind="process"]'
ADD = '[data-vsm-action="add-process"]'
MAP_CELL = 'm = load_template("stamping_plant")\nm.editor()'
#: The ids of the steps a page draws, in drawing order, and the ones it has selected.
DRAWN = """() => [...document.querySelectorAll('.jp-OutputArea .vsm-canvas [data-vsm-kind="process"]')]
  .map((g) => g.getAttribute('data-vsm-id'))"""
SELECTED = """() => [...document.querySelectorAll(
    '.jp-OutputArea .vsm-canvas [data-vsm-kind="process"].vsm-selected')]
  .map((g) => g.getAttribute('data-vsm-id'))"""
COUNT_IS = """(n) => document.querySelectorAll(
  '.jp-OutputArea .vsm-canvas [data-vsm-kind="process"]').length === n"""
SHOWS = """([step, field, text]) => [...document.querySelectorAll(
    `.jp-OutputArea [data-vsm-kind="process"][data-vsm-id="${step}"] [data-vsm-field="${field}"]`)]
  .some((el) => el.textContent.includes(text))"""
VISIBLE_ERROR = """() => [...document.querySelectorAll('.vsm-error')]
  .filter((e) => !e.hidden).map((e) => e.textContent)"""
#: Whether a drawn step carries these initials among its presence marks.
MARKED = """([step, initials]) => [...document.querySelectorAll(
    `.jp-OutputArea .vsm-canvas [data-vsm-kind="process"][data-vsm-id="${step}"]`)]
  .some((g) => (g.getAttribute('data-vsm-presence') || '').split(' ').includes(initials))"""
#: The initials of this page's own person, from its list of who is here.
OWN_INITIALS = """() => document.querySelector('.jp-OutputArea .vsm-person-you')
  .closest('.vsm-person').querySelector('.vsm-person-dot').textContent"""
BURST = "k_press"  # a kaizen burst of the stamping plant
VOTE_TOTAL = """([burst, total]) => {
  const badge = document.querySelector(`.jp-OutputArea .vsm-vote[data-vsm-votes="${burst}"]`);
  return !!badge && badge.dataset.vsmTotal === String(total);
}"""
#: One box selected, another than ``old``.
NEW_SELECTION = "(old) => { const now = (" + SELECTED + ")(); return now.length === 1 && now[0] !== old; }"
KERNEL_CHANNELS = re.compile(r"/api/kernels/[^/]+/channels")


class Link:
    """A page's connection to the kernel, through the test: while ``up`` is false, every
    frame either way is lost, as on a network that dropped (``context.set_offline`` alone
    leaves open WebSockets working: microsoft/playwright#4910).
    """

    def __init__(self) -> None:
        self.up = True
        self.lost = 0
        self.routed = 0

    def route(self, ws: Any) -> None:
        self.routed += 1
        server = ws.connect_to_server()
        ws.on_message(lambda message: self._pass(server, message))
        server.on_message(lambda message: self._pass(ws, message))

    def _pass(self, to: Any, message: Any) -> None:
        if self.up:
            to.send(message)
        else:
            self.lost += 1


def join(
    chromium: Any, server: JupyterServer, name: str, link: Link | None = None
) -> tuple[Any, NotebookPage]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    if link is not None:
        context.route_web_socket(KERNEL_CHANNELS, link.route)
    page = context.new_page()
    page.set_default_timeout(30_000)
    notebook = NotebookPage(page, server)
    notebook.open(name)
    return context, notebook


def field(page: Any, step: str, name: str) -> Any:
    """The drawn field ``name`` of ``step`` in a page's canvas."""
    return page.locator(f'.jp-OutputArea {PROCESS}[data-vsm-id="{step}"] [data-vsm-field="{name}"]').first


def canvas(notebook: NotebookPage) -> Any:
    return notebook.page.locator(".jp-OutputArea .vsm-canvas").first


@pytest.fixture(scope="module")
def shared(
    chromium: Any, lab_server: JupyterServer, artifacts: Path
) -> Iterator[tuple[list[NotebookPage], Link]]:
    """Three pages on one notebook and kernel: the first ran and saved it, the third's
    connection to the kernel goes through a :class:`Link` the test can drop.
    """
    name = f"shared-{uuid.uuid4().hex[:8]}.ipynb"
    write_notebook(lab_server.root / name, SETUP, MAP_CELL)
    link = Link()
    contexts: list[Any] = []
    pages: list[NotebookPage] = []
    try:
        context, first = join(chromium, lab_server, name)
        contexts.append(context)
        pages.append(first)
        first.run_all()
        canvas(first).wait_for(state="visible")
        # The others see the canvas only once it is in the saved notebook.
        first.save()
        for extra in (None, link):
            context, page = join(chromium, lab_server, name, extra)
            contexts.append(context)
            pages.append(page)
        yield pages, link
        for page in pages:
            assert page.errors == [], f"uncaught errors in a page: {page.errors}"
            assert page.dialogs == [], f"a page opened dialogs: {page.dialogs}"
    except BaseException:
        for i, page in enumerate(pages):
            page.page.screenshot(path=str(artifacts / f"failed-lab-shared-{i}.png"))
        raise
    finally:
        for context in contexts:
            context.close()


@pytest.fixture(scope="module")
def pages(shared: tuple[list[NotebookPage], Link]) -> list[NotebookPage]:
    return shared[0]


def test_three_pages_share_one_kernel_and_each_renders_the_map(
    pages: list[NotebookPage], artifacts: Path
) -> None:
    kernels = {page.kernel_id() for page in pages}
    assert len(kernels) == 1
    python = pages[0].value("[s.id for s in m.state.steps]")
    assert python == ["stamping", "weld1", "weld2", "assy1", "assy2"]
    for page in pages:
        canvas(page).wait_for(state="visible")
        page.page.wait_for_function(COUNT_IS, arg=5)
        assert page.page.evaluate(DRAWN) == python
    # The same map in each of them, side by side.
    pages[0].page.screenshot(path=str(artifacts / "lab-shared-first-light.png"))
    pages[1].page.screenshot(path=str(artifacts / "lab-shared-second-light.png"))


def test_an_inline_edit_in_one_shows_in_the_others_and_in_python(pages: list[NotebookPage]) -> None:
    first = pages[0].page
    canvas(pages[0]).evaluate("el => el.scrollIntoView({block: 'center'})")
    field(first, "assy1", "cycle_time").dblclick()
    box = first.locator("input.vsm-inline:focus")
    box.wait_for(state="visible")
    box.fill("55 s")
    box.press("Enter")
    for page in pages[1:]:
        page.page.wait_for_function(SHOWS, arg=["assy1", "cycle_time", "55 s"])
    assert pages[0].wait_value("m.get('assy1').cycle_time", lambda v: v == 55) == 55


def test_a_refusal_shows_only_on_the_page_that_made_it(pages: list[NotebookPage]) -> None:
    first = pages[0].page
    field(first, "weld1", "cycle_time").dblclick()
    box = first.locator("input.vsm-inline:focus")
    box.wait_for(state="visible")
    box.fill("fast")
    box.press("Enter")
    first.wait_for_function(f"() => ({VISIBLE_ERROR})().some((t) => t.includes('not a duration'))")
    assert pages[0].value("m.editor().error['field']") == "cycle_time"
    # An edit made after it reaches the other pages on the same connection, after the
    # refusal: once they show it, they have heard the refusal too.
    pages[0].py("m.update('weld2', cycle_time='47 s')")
    for page in pages[1:]:
        page.page.wait_for_function(SHOWS, arg=["weld2", "cycle_time", "47 s"])
        assert page.page.evaluate(VISIBLE_ERROR) == []
    assert first.evaluate(VISIBLE_ERROR) != []
    box = first.locator("input.vsm-inline")
    if box.is_visible():
        box.press("Escape")


def test_fifty_interleaved_adds_from_two_pages_land_after_each_ones_own_step(
    pages: list[NotebookPage],
) -> None:
    a, b = pages[0], pages[1]
    # Each selects a step of its own: a the first, b the last.
    for page, step in ((a, "stamping"), (b, "assy2")):
        canvas(page).evaluate("el => el.scrollIntoView({block: 'center'})")
        page.page.locator(f'.jp-OutputArea {PROCESS}[data-vsm-id="{step}"] .vsm-head').first.click()
        page.page.wait_for_function(f"() => ({SELECTED})().join() === '{step}'")
    made: dict[str, list[str]] = {"a": [], "b": []}
    for _ in range(25):
        before = {"a": a.page.evaluate(SELECTED), "b": b.page.evaluate(SELECTED)}
        # Both in flight at once; each next add waits for its own new box to be selected.
        a.page.locator(ADD).first.click()
        b.page.locator(ADD).first.click()
        for key, page in (("a", a), ("b", b)):
            try:
                page.page.wait_for_function(NEW_SELECTION, arg=before[key][0])
            except Exception as error:
                state = page.page.evaluate(SELECTED), page.page.evaluate(VISIBLE_ERROR), len(made[key])
                raise AssertionError(f"page {key}: selected, errors, adds so far: {state}") from error
            made[key].append(page.page.evaluate(SELECTED)[0])
    steps = a.wait_value("len(m.state.steps)", lambda v: v >= 55, timeout=30)
    assert steps == 55  # none lost
    python = a.value("[s.id for s in m.state.steps]")
    assert len(set(made["a"]) | set(made["b"])) == 50
    # Each page's adds went after its own selected step, one after the other.
    assert python == ["stamping", *made["a"], "weld1", "weld2", "assy1", "assy2", *made["b"]]
    for page in pages:
        page.page.wait_for_function(COUNT_IS, arg=55)
        assert page.page.evaluate(DRAWN) == python
    # Each page has its own new box selected, and not the other's.
    assert a.page.evaluate(SELECTED) == [made["a"][-1]]
    assert b.page.evaluate(SELECTED) == [made["b"][-1]]


def test_a_selection_in_one_page_shows_as_presence_in_the_others(pages: list[NotebookPage]) -> None:
    a, b, c = pages
    # The initials b's page gives its own person, in its list of who is here.
    b.page.locator(".jp-OutputArea .vsm-person-you").first.wait_for()
    initials = b.page.evaluate(OWN_INITIALS)
    assert initials
    # The first step, selected from the keyboard: Home (the stock before it), then ].
    canvas(b).evaluate("el => el.scrollIntoView({block: 'center'})")
    canvas(b).focus()
    b.page.keyboard.press("Home")
    b.page.keyboard.press("]")
    b.page.wait_for_function(f"() => ({SELECTED})().join() === 'stamping'")
    for page in (a, c):
        page.page.wait_for_function(MARKED, arg=["stamping", initials])
    # Not on its own page: its selection is its own.
    assert not b.page.evaluate(MARKED, ["stamping", initials])


def test_a_vote_in_one_page_counts_once_per_dot_in_every_page_and_in_python(
    pages: list[NotebookPage],
) -> None:
    a, b = pages[0], pages[1]
    for page in (a, b):
        # The notebook's canvas opens the workshop's tools from its toolbar.
        canvas(page).evaluate("el => el.scrollIntoView({block: 'center'})")
        page.page.locator('.jp-OutputArea [data-vsm-ws="toggle"]').first.click()
    # After the fifty adds a's view shows the end of the stream: the burst by the first
    # step is out of view, and so is its badge (not pinned to the stage's edge).
    badge = a.page.locator(f'.jp-OutputArea .vsm-vote[data-vsm-votes="{BURST}"]').first
    badge.wait_for(state="hidden")
    for page in (a, b):
        # The start of the stream brought into view (Home) brings the burst's badge back.
        canvas(page).focus()
        page.page.keyboard.press("Home")
        shown = page.page.locator(f'.jp-OutputArea .vsm-vote[data-vsm-votes="{BURST}"]').first
        shown.wait_for(state="visible")
    plus = badge.locator('[data-vsm-ws="vote"]')
    for total in (1, 2, 3):
        plus.click()
        a.page.wait_for_function(VOTE_TOTAL, arg=[BURST, total])
    # The fourth dot is refused on the page that asked, which says why; not on the others.
    plus.click()
    out_of_dots = "(text) => (" + VISIBLE_ERROR + ")().some((t) => t.includes(text))"
    a.page.wait_for_function(out_of_dots, arg="all 3 of your dots are used")
    # Another page is another person, with dots of its own.
    b.page.locator(f'.jp-OutputArea .vsm-vote[data-vsm-votes="{BURST}"] [data-vsm-ws="vote"]').first.click()
    for page in pages:
        page.page.wait_for_function(VOTE_TOTAL, arg=[BURST, 4])
    assert b.page.evaluate(VISIBLE_ERROR) == []
    votes = a.wait_value("m.votes().set_index('burst')['votes'].to_dict()", lambda v: v.get(BURST) == 4)
    assert votes[BURST] == 4


def test_a_page_that_lost_messages_shows_the_map_as_python_has_it(
    shared: tuple[list[NotebookPage], Link],
) -> None:
    pages, link = shared
    dropped = pages[2]
    dropped.page.wait_for_function(COUNT_IS, arg=pages[0].value("len(m.state.steps)"))
    link.up = False
    pages[0].py("m.update('assy1', cycle_time='44 s')\nm.update('stamping', name='Press')")
    pages[1].page.wait_for_function(SHOWS, arg=["assy1", "cycle_time", "44 s"])
    assert link.routed >= 1
    # The frames meant for the dropped page reach the link when Playwright next dispatches.
    deadline = time.monotonic() + 15
    while link.lost < 2 and time.monotonic() < deadline:
        dropped.page.evaluate("() => 0")
    assert link.lost >= 2
    dropped.page.context.set_offline(True)
    assert not dropped.page.evaluate(SHOWS, ["assy1", "cycle_time", "44 s"])
    link.up = True
    dropped.page.context.set_offline(False)
    dropped.page.wait_for_function(SHOWS, arg=["assy1", "cycle_time", "44 s"])
    dropped.page.wait_for_function(SHOWS, arg=["stamping", "name", "Press"])
    assert dropped.page.evaluate(DRAWN) == pages[0].value("[s.id for s in m.state.steps]")
    # And it edits again after it.
    count = pages[0].value("len(m.state.steps)")
    canvas(dropped).evaluate("el => el.scrollIntoView({block: 'center'})")
    dropped.page.locator(ADD).first.click()
    assert pages[0].wait_value("len(m.state.steps)", lambda v: v == count + 1) == count + 1
    pages[0].page.wait_for_function(COUNT_IS, arg=count + 1)
