"""Presence in real browsers: three participants of a room and the notebook's own canvas see one another.

The notebook shares a map and shows its canvas; three browser contexts (three people, each
with their own storage) open the room's link and give their names. A selection in one shows
as ``data-vsm-presence`` with its initials in the other two and in the notebook, and not in
its own page; the list of who is here names everyone; a context that closes leaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .harness import NotebookPage, room_participants

pytestmark = pytest.mark.browser

NAMES = ["Ana Lima", "Ben Okafor", "Chen Wei"]
INITIALS = ["AL", "BO", "CW"]
#: Whether the drawn step carries these initials among its presence marks.
MARKED = """([step, initials]) => [...document.querySelectorAll(
    `.vsm-canvas [data-vsm-kind="process"][data-vsm-id="${step}"]`)]
  .some((g) => (g.getAttribute('data-vsm-presence') || '').split(' ').includes(initials))"""
#: The names in the page's list of who is here.
LISTED = """() => [...document.querySelectorAll('.vsm-canvas .vsm-person')].map((p) => p.textContent)"""
LISTS = """(names) => { const shown = [...document.querySelectorAll('.vsm-canvas .vsm-person-name')]
  .map((p) => p.textContent); return names.every((n) => shown.includes(n)); }"""
#: Who the map's presence hub has, as (name, role), in the kernel.
PARTICIPANTS = (
    "[(p.name, p.role) for p in __import__('vsm_widget.jupyter.presence', fromlist=['presence_for'])"
    ".presence_for(m_pres).participants()]"
)
LACKS = """(name) => ![...document.querySelectorAll('.vsm-canvas .vsm-person-name')]
  .some((p) => p.textContent === name)"""


@pytest.fixture(scope="module")
def room_url(lab: NotebookPage) -> Iterator[str]:
    lab.canvas(
        "presence",
        'm_pres = load_template("stamping_plant")\nroom_pres = m_pres.share()\nm_pres.editor()',
    )
    yield lab.value("room_pres.url")
    lab.py("room_pres.close()")


@pytest.fixture(scope="module")
def contexts(chromium: Any, room_url: str, artifacts: Any) -> Iterator[list[Any]]:
    def give_name(page: Any, i: int) -> None:
        # Asked once, in the canvas's toolbar (not a dialog), then remembered.
        page.locator(".vsm-name-input").fill(NAMES[i])
        page.locator(".vsm-name-ok").click()

    yield from room_participants(chromium, room_url, len(NAMES), artifacts, "presence", give_name)


def test_everyone_is_listed_on_every_page(lab: NotebookPage, contexts: list[Any]) -> None:
    for i, page in enumerate(contexts):
        page.wait_for_function(LISTS, arg=NAMES)
        assert page.locator(".vsm-name-input").count() == 0
        mine = [row for row in page.evaluate(LISTED) if row.endswith("(you)")]
        assert mine == [f"{INITIALS[i]}{NAMES[i]}(you)"]
    # The notebook's canvas lists them too, and so does Python.
    lab.page.wait_for_function(LISTS, arg=NAMES)
    shown = lab.value(PARTICIPANTS)
    assert [name for name, role in shown if role == "participant"] == NAMES
    assert [role for _, role in shown].count("facilitator") == 1  # the notebook's canvas
    # A name asked once is remembered: a reload does not ask again.
    contexts[2].reload()
    contexts[2].wait_for_function(LISTS, arg=NAMES)
    assert contexts[2].locator(".vsm-name-input").count() == 0


def test_a_selection_shows_in_the_others_and_not_in_its_own(
    lab: NotebookPage, contexts: list[Any], artifacts: Any
) -> None:
    ana = contexts[0]
    ana.locator('.vsm-canvas [data-vsm-kind="process"][data-vsm-id="assy1"]').first.click()
    for page in contexts[1:]:
        page.wait_for_function(MARKED, arg=["assy1", "AL"])
        ring = page.locator('.vsm-presence-ring[data-vsm-presence-of="assy1"]')
        assert ring.count() == 1
        assert page.locator('.vsm-presence-badge[data-vsm-presence-of="assy1"] text').text_content() == "AL"
    lab.page.wait_for_function(MARKED, arg=["assy1", "AL"])
    # Ana's own page marks nothing: her selection is hers.
    assert ana.locator(".vsm-canvas [data-vsm-presence]").count() == 0
    assert ana.locator(".vsm-presence-ring").count() == 0
    # Ben opens the inline editor on another step: a dashed ring, and the badge says so.
    ben = contexts[1]
    ben.locator(
        '[data-vsm-kind="process"][data-vsm-id="weld1"] [data-vsm-field="cycle_time"]'
    ).first.dblclick()
    ben.locator("input.vsm-inline:focus").wait_for(state="visible")
    ana.wait_for_function(MARKED, arg=["weld1", "BO"])
    editing = ana.locator('.vsm-presence-ring.vsm-presence-editing[data-vsm-presence-of="weld1"]')
    editing.wait_for()
    assert (
        ana.locator('.vsm-presence-badge[data-vsm-presence-of="weld1"] text').text_content() == "BO editing"
    )
    ana.screenshot(path=str(artifacts / "room-presence-light.png"))
    # The room's page takes the system's theme when it loads.
    carol = contexts[2]
    carol.emulate_media(color_scheme="dark")
    carol.reload()
    carol.wait_for_function("() => document.querySelector('.vsm-canvas')?.classList.contains('vsm-dark')")
    carol.wait_for_function(MARKED, arg=["weld1", "BO"])
    carol.screenshot(path=str(artifacts / "room-presence-dark.png"))
    ben.keyboard.press("Escape")
    ana.wait_for_function("() => !document.querySelector('.vsm-presence-editing')")


def test_a_context_that_closes_leaves(lab: NotebookPage, contexts: list[Any]) -> None:
    chen = contexts[2]
    chen.locator('.vsm-canvas [data-vsm-kind="process"][data-vsm-id="stamping"]').first.click()
    contexts[0].wait_for_function(MARKED, arg=["stamping", "CW"])
    chen.context.close()
    for page in contexts[:2]:
        page.wait_for_function(LACKS, arg="Chen Wei")
        page.wait_for_function("() => !document.querySelector('.vsm-canvas [data-vsm-presence~=\"CW\"]')")
    lab.page.wait_for_function(LACKS, arg="Chen Wei")
    names = [name for name, _ in lab.value(PARTICIPANTS)]
    assert "Chen Wei" not in names
    assert {"Ana Lima", "Ben Okafor"} <= set(names)
