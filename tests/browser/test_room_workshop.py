"""The facilitator's tools on a live room's canvas, in real browsers.

The notebook shares the stamping plant; one browser context opens the facilitator's link
(``room.facilitator_url``) and two open the participant link. Votes count once per dot
(the fourth is refused, and says why), in every page and in ``m.votes()``; a locked map
refuses a participant's edit with a clear message and leaves the model as it was; the
walk's highlight moves in every page; a why asked in one page shows on the step in the
others and in ``m.whys()``; follow mode gives a participant the facilitator's pan and zoom.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .harness import NotebookPage

pytestmark = pytest.mark.browser

BURST = "k_press"
NAMES = ("Coach", "Ana Lima", "Ben")
VOTE_TOTAL = """([burst, total]) => {
  const badge = document.querySelector(`.vsm-vote[data-vsm-votes="${burst}"]`);
  return !!badge && badge.dataset.vsmTotal === String(total);
}"""
WALK_ON = """(step) => {
  const marked = [...document.querySelectorAll('.vsm-canvas [data-vsm-walk="current"]')];
  return marked.length > 0 && marked.every((g) => g.getAttribute('data-vsm-id') === step);
}"""
TRANSFORM = "() => document.querySelector('.vsm-viewport').getAttribute('transform')"
#: The map point at the centre of a page's stage, and its zoom (what follow mode shares).
CENTRE = """() => {
  const [tx, ty, k] = document.querySelector('.vsm-viewport').getAttribute('transform')
    .match(/-?[0-9.]+/g).map(Number);
  const r = document.querySelector('.vsm-stage').getBoundingClientRect();
  return [(r.width / 2 - tx) / k, (r.height / 2 - ty) / k, k];
}"""
#: Whether a page's centre is within a pixel or so of ``want``.
CENTRED_ON = """(want) => {
  const [tx, ty, k] = document.querySelector('.vsm-viewport').getAttribute('transform')
    .match(/-?[0-9.]+/g).map(Number);
  const r = document.querySelector('.vsm-stage').getBoundingClientRect();
  const c = [(r.width / 2 - tx) / k, (r.height / 2 - ty) / k];
  return Math.abs(k - want[2]) < 0.002 && Math.abs(c[0] - want[0]) < 2 && Math.abs(c[1] - want[1]) < 2;
}"""


@pytest.fixture(scope="module")
def room(lab: NotebookPage) -> Iterator[dict[str, str]]:
    lab.canvas(
        "workshop-room",
        'm_ws = load_template("stamping_plant")\nroom_ws = m_ws.share()\nm_ws.editor()',
    )
    yield {"url": lab.value("room_ws.url"), "facilitator": lab.value("room_ws.facilitator_url")}
    lab.py("room_ws.close()")


@pytest.fixture(scope="module")
def pages(chromium: Any, room: dict[str, str], artifacts: Any) -> Iterator[list[Any]]:
    """The facilitator's page first, then two participants' (each its own browser context)."""
    contexts = [chromium.new_context(viewport={"width": 1280, "height": 800}) for _ in range(3)]
    opened = []
    errors: list[str] = []
    for i, context in enumerate(contexts):
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(room["facilitator"] if i == 0 else room["url"])
        page.locator('.vsm-canvas [data-vsm-kind="process"]').first.wait_for()
        # A participant gives their name once (presence asks in the toolbar): a vote is someone's.
        page.locator(".vsm-name-input").fill(NAMES[i])
        page.locator(".vsm-name-ok").click()
        opened.append(page)
    try:
        yield opened
        assert errors == [], f"uncaught errors in a page: {errors}"
    except BaseException:
        for i, page in enumerate(opened):
            page.screenshot(path=str(artifacts / f"failed-room-workshop-{i}.png"))
        raise
    finally:
        for context in contexts:
            context.close()


def ws(page: Any, action: str) -> Any:
    """The workshop control ``action`` of a page (a button of the workshop's bar)."""
    return page.locator(f'.vsm-workshop [data-vsm-ws="{action}"]')


def test_each_role_gets_its_own_controls(pages: list[Any]) -> None:
    coach, ana, _ = pages
    ws(coach, "lock").wait_for()
    assert ws(coach, "walk-start").is_visible()
    assert ws(coach, "timer-start").is_visible()
    assert ana.locator(".vsm-workshop").is_visible()
    for action in ("lock", "walk-start", "timer-start", "follow-on"):
        assert ws(ana, action).count() == 1
        assert not ws(ana, action).is_visible()
    assert ana.locator(".vsm-ws-dots").text_content() == "Dots left: 3 of 3"


def test_a_vote_counts_once_per_dot(lab: NotebookPage, pages: list[Any]) -> None:
    coach, ana, ben = pages
    plus = ana.locator(f'.vsm-vote[data-vsm-votes="{BURST}"] [data-vsm-ws="vote"]')
    for total in (1, 2, 3):
        plus.click()
        ana.wait_for_function(VOTE_TOTAL, arg=[BURST, total])
    assert ana.locator(".vsm-ws-dots").text_content() == "Dots left: 0 of 3"
    # The fourth dot is refused, and the page says why.
    plus.click()
    error = ana.locator(".vsm-error")
    error.wait_for(state="visible")
    assert "all 3 of your dots are used" in str(error.text_content())
    # Ben's dot is his own: he has all three.
    ben.locator(f'.vsm-vote[data-vsm-votes="{BURST}"] [data-vsm-ws="vote"]').click()
    for page in pages:
        page.wait_for_function(VOTE_TOTAL, arg=[BURST, 4])
    assert ben.locator(".vsm-ws-dots").text_content() == "Dots left: 2 of 3"
    votes = lab.wait_value("m_ws.votes().set_index('burst')['votes'].to_dict()", lambda v: v.get(BURST) == 4)
    assert votes[BURST] == 4
    # Taking a dot back gives it back.
    ana.locator(f'.vsm-vote[data-vsm-votes="{BURST}"] [data-vsm-ws="unvote"]').click()
    coach.wait_for_function(VOTE_TOTAL, arg=[BURST, 3])
    ana.wait_for_function("() => document.querySelector('.vsm-ws-dots').textContent === 'Dots left: 1 of 3'")


def test_a_locked_map_refuses_a_participants_edit(lab: NotebookPage, pages: list[Any]) -> None:
    coach, ana, ben = pages
    ws(coach, "lock").click()
    for page in (ana, ben):
        banner = page.locator(".vsm-lock-banner")
        banner.wait_for(state="visible")
        assert banner.text_content() == "The facilitator has locked the map: view only"
    before = lab.value("m_ws.get('stamping').cycle_time")
    field = '[data-vsm-kind="process"][data-vsm-id="stamping"] [data-vsm-field="cycle_time"]'
    ana.locator(field).first.dblclick()
    box = ana.locator("input.vsm-inline:focus")
    box.wait_for(state="visible")
    box.fill("7 s")
    box.press("Enter")
    error = ana.locator(".vsm-error")
    error.wait_for(state="visible")
    assert "the facilitator has locked the map" in str(error.text_content())
    assert lab.value("m_ws.get('stamping').cycle_time") == before
    # A locked map's vote buttons are off for participants, not for the facilitator.
    assert ana.locator(f'.vsm-vote[data-vsm-votes="{BURST}"] [data-vsm-ws="vote"]').is_disabled()
    assert not coach.locator(f'.vsm-vote[data-vsm-votes="{BURST}"] [data-vsm-ws="vote"]').is_disabled()
    ws(coach, "unlock").click()
    ana.locator(".vsm-lock-banner").wait_for(state="hidden")
    assert lab.value("m_ws.workshop.locked") is False


def walk(pages: list[Any], action: str, step: str) -> None:
    """Press the facilitator's walk button ``action``; every page then rings ``step``."""
    ws(pages[0], action).click()
    for page in pages:
        page.wait_for_function(WALK_ON, arg=step)


def test_the_walk_moves_in_every_page(lab: NotebookPage, pages: list[Any]) -> None:
    walk(pages, "walk-start", "stamping")
    walk(pages, "walk-next", "weld1")
    for page in pages:
        assert page.locator(".vsm-walk-title").text_content() == "Walk 1: step 2 of 5, S. Weld #1"
    assert lab.value("m_ws.workshop.current") == "weld1"
    walk(pages, "walk-back", "stamping")
    walk(pages, "walk-next", "weld1")


def test_a_why_asked_in_one_page_shows_on_the_step_in_the_others(lab: NotebookPage, pages: list[Any]) -> None:
    _, _, ben = pages
    text = "Why does the weld wait for <b>parts</b>?"
    ben.locator(".vsm-why-input").fill(text)
    ben.locator(".vsm-why-input").press("Enter")
    for page in pages:
        item = page.locator('.vsm-walk-panel[data-vsm-walk-step="weld1"] .vsm-why-text')
        item.first.wait_for()
        # User text stays text: the markup is shown, not made.
        assert item.first.text_content() == text
        assert page.locator(".vsm-walk-panel b").count() == 0
        page.locator('.vsm-why-count[data-vsm-whys="weld1"]').wait_for(state="attached")
    whys = lab.wait_value(
        "m_ws.whys()[['step', 'why', 'walk', 'author']].to_dict('records')", lambda v: len(v) == 1
    )
    # Asked by Ben, the name his page gave (NAMES), in the first walk.
    assert whys == [{"step": "weld1", "why": text, "walk": 1, "author": "Ben"}]


def test_follow_mode_gives_a_participant_the_facilitators_view(lab: NotebookPage, pages: list[Any]) -> None:
    coach, ana, ben = pages
    start = [ana.evaluate(TRANSFORM), ben.evaluate(TRANSFORM)]
    ws(coach, "follow-on").click()
    coach.locator('[data-vsm-action="zoom-in"]').click()
    coach.locator('[data-vsm-action="zoom-in"]').click()
    lab.wait_value("m_ws.workshop.viewport", lambda v: v is not None and v["zoom"] > 1.0)
    wanted = coach.evaluate(CENTRE)
    # The facilitator's view in each page: the same map point at the middle of its stage, at
    # the same zoom (a page whose details panel is open has a narrower stage: another pan).
    for page, before in zip((ana, ben), start, strict=True):
        page.wait_for_function(CENTRED_ON, arg=wanted)
        assert page.evaluate(TRANSFORM) != before
        assert page.evaluate(TRANSFORM).endswith(coach.evaluate(TRANSFORM).split(" ")[-1])
    # ...and by hand: the facilitator's centre is the map point at the middle of its stage.
    view = lab.value("m_ws.workshop.viewport")
    # (The drawn transform is rounded to a tenth of a pixel.)
    assert abs(view["x"] - wanted[0]) < 0.5
    assert abs(view["y"] - wanted[1]) < 0.5
    assert abs(view["zoom"] - wanted[2]) < 0.001
    # Ana looks around on her own; Ben still follows.
    ws(ana, "stop-following").click()
    looked = ana.evaluate(TRANSFORM)
    coach.locator('[data-vsm-action="zoom-out"]').click()
    moved = coach.evaluate(CENTRE)
    assert moved[2] < wanted[2]
    ben.wait_for_function(CENTRED_ON, arg=moved)
    assert ana.evaluate(TRANSFORM) == looked
    ws(ana, "follow-again").click()
    ana.wait_for_function(CENTRED_ON, arg=moved)
    ws(coach, "follow-off").click()
    ana.locator('.vsm-workshop [data-vsm-ws="stop-following"]').wait_for(state="hidden")


def test_screenshots_of_a_participant_during_a_workshop(
    chromium: Any, room: dict[str, str], pages: list[Any], artifacts: Any
) -> None:
    coach, ana, _ = pages
    coach.locator(".vsm-ws-select").select_option("Map the flows")
    coach.locator(".vsm-ws-minutes").fill("15")
    ws(coach, "timer-start").click()
    ana.locator('.vsm-ws-clock[data-vsm-timer="running"]').wait_for()
    assert ana.locator(".vsm-ws-clock-label").text_content() == "Map the flows"
    time = str(ana.locator(".vsm-ws-clock-time").text_content())
    assert time in ("15:00", "14:59", "14:58"), time
    ana.wait_for_function(WALK_ON, arg="weld1")
    ana.screenshot(path=str(artifacts / "room-workshop-participant-light.png"))
    # The canvas takes the page's theme when it starts: a participant whose browser is dark.
    dark = chromium.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
    try:
        page = dark.new_page()
        page.goto(room["url"])
        page.locator(".vsm-canvas.vsm-dark").wait_for()
        page.wait_for_function(WALK_ON, arg="weld1")
        page.locator('.vsm-ws-clock[data-vsm-timer="running"]').wait_for()
        page.screenshot(path=str(artifacts / "room-workshop-participant-dark.png"))
    finally:
        dark.close()
    ws(coach, "timer-pause").click()
    ana.locator('.vsm-ws-clock[data-vsm-timer="paused"]').wait_for()
    assert "(paused)" in str(ana.locator(".vsm-ws-clock-time").text_content())
