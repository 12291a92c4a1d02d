"""A live room in real browsers: a kernel in JupyterLab shares its map, three participants edit it.

The notebook starts ``room = m.share()``; three browser contexts (three people, each with
their own cookies and storage) open the link. Each renders the map; an edit in one shows
in the others, in the notebook's own canvas and in Python; 50 adds made alternately in two
contexts all land; a dropped connection recovers the map by itself; closing the room says
so on every page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .harness import NotebookPage, room_participants

pytestmark = pytest.mark.browser

STEPS = 5  # the stamping plant's steps
PROCESSES = '[data-vsm-kind="process"]'
ADD = '[data-vsm-action="add-process"]'
#: The ids of the steps a page draws.
DRAWN_STEPS = """() => [...document.querySelectorAll('.vsm-canvas [data-vsm-kind="process"]')]
  .map((g) => g.getAttribute('data-vsm-id'))"""
COUNT_IS = "(n) => document.querySelectorAll('.vsm-canvas [data-vsm-kind=\"process\"]').length === n"
#: Whether a step's drawn field shows a text.
SHOWS = """([step, field, text]) => {
  const el = document.querySelector(
    `[data-vsm-kind="process"][data-vsm-id="${step}"] [data-vsm-field="${field}"]`);
  return !!el && el.textContent.includes(text);
}"""


@pytest.fixture(scope="module")
def room_url(lab: NotebookPage) -> Iterator[str]:
    # The notebook's own canvas too: it follows the participants' edits.
    lab.canvas("room", 'm_room = load_template("stamping_plant")\nroom = m_room.share()\nm_room.editor()')
    yield lab.value("room.url")
    lab.py("room.close()")


@pytest.fixture(scope="module")
def participants(chromium: Any, room_url: str, artifacts: Any) -> Iterator[list[Any]]:
    yield from room_participants(chromium, room_url, 3, artifacts, "room")


def step_count(page: Any) -> int:
    return int(page.locator(f".vsm-canvas {PROCESSES}").count())


def field_text(page: Any, step: str, field: str) -> str:
    return str(
        page.locator(f'{PROCESSES}[data-vsm-id="{step}"] [data-vsm-field="{field}"]').first.text_content()
    )


def wait_text(page: Any, step: str, field: str, text: str) -> None:
    page.wait_for_function(SHOWS, arg=[step, field, text])


def test_every_participant_renders_the_map(participants: list[Any], artifacts: Any) -> None:
    for page in participants:
        page.locator(f".vsm-canvas {PROCESSES}").nth(STEPS - 1).wait_for()
        assert step_count(page) == STEPS
        assert page.locator('.vsm-canvas [data-vsm-kind="customer"]').count() == 1
        assert "Live" in page.locator(".vsm-room-status").text_content()
    # The page is the canvas alone: no notebook around it.
    assert participants[0].locator(".jp-Notebook").count() == 0
    participants[0].screenshot(path=str(artifacts / "room-participant-light.png"))


def test_an_inline_edit_in_one_shows_in_the_others_and_in_python(
    lab: NotebookPage, participants: list[Any]
) -> None:
    first = participants[0]
    first.locator(f'{PROCESSES}[data-vsm-id="assy1"] [data-vsm-field="cycle_time"]').first.dblclick()
    box = first.locator("input.vsm-inline:focus")
    box.wait_for(state="visible")
    box.fill("55 s")
    box.press("Enter")
    for page in participants[1:]:
        wait_text(page, "assy1", "cycle_time", "55 s")
    assert lab.wait_value("m_room.get('assy1').cycle_time", lambda v: v == 55) == 55
    # The notebook's own canvas follows as well.
    lab.page.wait_for_function(
        """() => [...document.querySelectorAll(
              '.jp-OutputArea [data-vsm-id="assy1"] [data-vsm-field="cycle_time"]')]
            .some((el) => el.textContent.includes('55 s'))"""
    )
    assert "55 s" in field_text(participants[2], "assy1", "cycle_time")


def test_fifty_interleaved_adds_from_two_participants_all_land(
    lab: NotebookPage, participants: list[Any]
) -> None:
    before = lab.value("len(m_room.state.steps)")
    a, b = participants[0], participants[1]
    for _ in range(25):
        a.locator(ADD).click()
        b.locator(ADD).click()
    expected = before + 50
    assert lab.wait_value("len(m_room.state.steps)", lambda v: v >= expected, timeout=30) == expected
    names = lab.value("[s.name for s in m_room.state.steps]")
    assert len(set(names)) == expected  # none lost, none merged
    for page in participants:
        page.wait_for_function(COUNT_IS, arg=expected)
        drawn = page.evaluate(DRAWN_STEPS)
        assert sorted(drawn) == sorted(lab.value("[s.id for s in m_room.state.steps]"))


def test_a_dropped_connection_recovers_the_map(lab: NotebookPage, participants: list[Any]) -> None:
    # Drop every participant, then edit while they are away: no patch can reach them, so
    # each page shows the edit only if it reconnected and took the whole map again.
    lab.py(
        "for _ws in list(room._sockets):\n"
        "    room._sockets.discard(_ws)\n"
        "    _ws.close(1011, 'dropped')\n"
        "m_room.update('stamping', cycle_time='3 s')"
    )
    for page in participants:
        wait_text(page, "stamping", "cycle_time", "3 s")
        page.wait_for_function("() => document.body.dataset.vsmRoom === 'online'")
    assert lab.wait_value("room.participants", lambda v: v == 3) == 3
    # And they edit again after it.
    count = lab.value("len(m_room.state.steps)")
    participants[2].locator(ADD).click()
    participants[0].wait_for_function(
        "(n) => document.querySelectorAll('.vsm-canvas [data-vsm-kind=\"process\"]').length === n",
        arg=count + 1,
    )
    assert lab.wait_value("len(m_room.state.steps)", lambda v: v == count + 1) == count + 1


def test_closing_the_room_tells_every_participant(lab: NotebookPage, participants: list[Any]) -> None:
    lab.py("room.close()")
    for page in participants:
        page.wait_for_function("() => document.body.dataset.vsmRoom === 'offline'")
        assert page.locator(".vsm-room-status").text_content() == "The room is closed."
