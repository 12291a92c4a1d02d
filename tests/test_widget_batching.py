"""A canvas lays out edits made elsewhere (a live room's participants) once per turn of
the event loop: thirty participants' edits read in one turn are one layout and one patch
for the notebook's canvas, not thirty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from threads import off_loop
from vsm_widget import ValueStreamMap
from vsm_widget.jupyter.widget import MapWidget, edits_from_elsewhere

T = TypeVar("T")


def run_loop(coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on an event loop of its own (in a thread of its own)."""
    return off_loop(lambda: asyncio.run(coroutine()))


def five_steps() -> ValueStreamMap:
    m = ValueStreamMap("Batching", demand=460, period="day", available_time="27600 s")
    for i in range(5):
        m.add_process(f"Step {i + 1}", id=f"p{i + 1}", cycle_time="40 s")
    return m


def patches(widget: MapWidget) -> list[dict[str, Any]]:
    """Record the patches the widget sends to its front end."""
    sent: list[dict[str, Any]] = []
    widget.send = lambda content, buffers=None: (
        sent.append(content) if content.get("kind") == "patch" else None
    )  # type: ignore[method-assign]
    return sent


def cycle_times(widget: MapWidget) -> list[float]:
    return [s["cycle_time"] for s in widget.document["stream"] if s["type"] == "process"]


def test_edits_from_elsewhere_in_one_turn_are_one_patch() -> None:
    m = five_steps()
    editor = MapWidget(m)
    sent = patches(editor)

    async def turn() -> tuple[int, list[float], int]:
        with edits_from_elsewhere():
            for i in range(1, 6):
                m.update(f"p{i}", cycle_time=f"{40 + i} s")
        during = len(sent), cycle_times(editor), editor.revision
        await asyncio.sleep(0)  # the turn ends: the held edits are laid out
        return during

    held, document_during, revision_during = run_loop(turn)
    assert held == 0
    assert revision_during == 0
    assert document_during == [40.0] * 5
    assert len(sent) == 1
    [patched] = [sent[0]["document"]["lists"]["stream"]["upsert"]]
    assert sorted(item["id"] for item in patched) == ["p1", "p2", "p3", "p4", "p5"]
    assert cycle_times(editor) == [41.0, 42.0, 43.0, 44.0, 45.0]
    assert editor.revision == 5  # one for each change the map committed


def test_an_edit_of_its_own_is_laid_out_at_once_with_those_held() -> None:
    m = five_steps()
    editor = MapWidget(m)
    sent = patches(editor)

    async def turn() -> None:
        with edits_from_elsewhere():
            m.update("p1", cycle_time="50 s")
        result = editor.handle_edit(
            {"kind": "edit", "seq": 1, "op": "update", "id": "p2", "field": "cycle_time", "value": "60 s"}
        )
        assert result["ok"]
        # The canvas's own edit is answered after its patch, which holds the other one too.
        assert len(sent) == 1
        assert cycle_times(editor)[:2] == [50.0, 60.0]
        await asyncio.sleep(0)
        assert len(sent) == 1  # nothing left to lay out

    run_loop(turn)
    assert editor.revision == 2


def test_without_a_running_loop_edits_from_elsewhere_are_laid_out_at_once() -> None:
    m = five_steps()
    editor = MapWidget(m)
    sent = patches(editor)

    def edit() -> None:
        with edits_from_elsewhere():
            m.update("p3", cycle_time="70 s")

    off_loop(edit)
    assert len(sent) == 1
    assert cycle_times(editor)[2] == 70.0


def test_edits_made_here_are_one_patch_each() -> None:
    m = five_steps()
    editor = MapWidget(m)
    sent = patches(editor)

    async def turn() -> None:
        for i in range(1, 4):
            m.update(f"p{i}", cycle_time=f"{30 + i} s")
        assert len(sent) == 3

    run_loop(turn)
