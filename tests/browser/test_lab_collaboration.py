"""Three browsers on one notebook and one kernel, inside JupyterLab with real-time collaboration.

The pages and checks of test_lab_shared.py, on a JupyterLab with jupyter-collaboration:
the first page runs and saves the notebook, the others open it and join its kernel; each
renders the map, an inline edit shows everywhere, a refusal stays on its page, 50 adds
from two pages land after each one's own step, a page that lost messages catches up.
Here the pages also share the notebook as one live document: a cell added in one
appears in the others as it is, with nothing saved (the server of these tests never
writes the document back).
"""

from __future__ import annotations

from typing import Any

import nbformat
import pytest

from . import test_lab_shared as without_collaboration
from .harness import JupyterServer, NotebookPage

pytestmark = pytest.mark.browser

#: The sources of the notebook's cells as a page has them.
SOURCES = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .map((cell) => cell.model.sharedModel.getSource())"""
HAS_CELL = "(source) => (" + SOURCES + ")().includes(source)"


@pytest.fixture(scope="module")
def lab_server(lab_collaboration_server: JupyterServer) -> JupyterServer:
    """The server the pages of test_lab_shared.py open their notebook on, here with
    collaboration."""
    return lab_collaboration_server


# The pages of test_lab_shared.py and the checks made on them there, collected here again.
shared = without_collaboration.shared
pages = without_collaboration.pages
test_three_pages_share_one_kernel_and_each_renders_the_map = (
    without_collaboration.test_three_pages_share_one_kernel_and_each_renders_the_map
)


def test_a_cell_added_in_one_page_appears_unsaved_in_the_others_and_in_a_new_one(
    chromium: Any, pages: list[NotebookPage], lab_server: JupyterServer
) -> None:
    notebook = pages[0].page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path")
    saved = [cell.source for cell in nbformat.read(lab_server.root / notebook, 4).cells]
    note = "# noted on the first page"
    pages[0].add_cell("note", note)
    for page in pages[1:]:
        page.page.wait_for_function(HAS_CELL, arg=note)
        assert page.page.evaluate(SOURCES) == [*saved, note]
    # A page opened now has it too, with the canvas, on the same kernel.
    context, late = without_collaboration.join(chromium, lab_server, notebook)
    try:
        late.page.wait_for_function(HAS_CELL, arg=note)
        assert late.page.evaluate(SOURCES) == [*saved, note]
        assert late.kernel_id() == pages[0].kernel_id()
        late.page.wait_for_function(without_collaboration.COUNT_IS, arg=5)
        assert late.errors == []
    finally:
        context.close()
    # Nobody saved it: the others have it from the live document.
    assert [cell.source for cell in nbformat.read(lab_server.root / notebook, 4).cells] == saved


test_an_inline_edit_in_one_shows_in_the_others_and_in_python = (
    without_collaboration.test_an_inline_edit_in_one_shows_in_the_others_and_in_python
)
test_a_refusal_shows_only_on_the_page_that_made_it = (
    without_collaboration.test_a_refusal_shows_only_on_the_page_that_made_it
)
test_fifty_interleaved_adds_from_two_pages_land_after_each_ones_own_step = (
    without_collaboration.test_fifty_interleaved_adds_from_two_pages_land_after_each_ones_own_step
)
test_a_page_that_lost_messages_shows_the_map_as_python_has_it = (
    without_collaboration.test_a_page_that_lost_messages_shows_the_map_as_python_has_it
)
