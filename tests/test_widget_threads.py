"""A front end's messages change the map on the thread that owns it, one after the other.

JupyterLab (4.4 and later, with ipykernel 7) sends each page's widget messages over a
kernel subshell of that page's own, which ipykernel runs on a thread of its own: two
pages on one notebook were two threads changing one map at once (an add's new id went to
the other page's result, two adds landed as one). Here two threads send edits to a
canvas made on a thread with a running loop, as the kernel's main thread is.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from threads import off_loop
from vsm_widget import ValueStreamMap
from vsm_widget.jupyter.widget import MapWidget


def small_map() -> ValueStreamMap:
    m = ValueStreamMap("Brackets", demand=920, available_time="2 x 27600 s")
    m.add_process("Stamping", cycle_time="1 s", id="p1")
    m.add_process("Weld", cycle_time="39 s", id="p2")
    m.clear_history()
    return m


def custom(content: dict[str, Any]) -> dict[str, Any]:
    """A comm message as ipywidgets hands it to a widget."""
    return {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}


def test_edits_from_two_subshell_threads_are_applied_on_the_widgets_own_thread_in_order() -> None:
    async def main() -> tuple[ValueStreamMap, list[int], list[dict[str, Any]], int, int]:
        m = small_map()
        w = MapWidget(m)
        home = threading.get_ident()
        handled_on: list[int] = []
        results: list[dict[str, Any]] = []
        handle_edit = w.handle_edit

        def spy(content: Any) -> Any:
            handled_on.append(threading.get_ident())
            result = handle_edit(content)
            results.append(result)
            return result

        w.handle_edit = spy  # type: ignore[method-assign]

        def page(client: str, after: str) -> None:
            for seq in range(1, 21):
                edit = {"kind": "edit", "seq": seq, "client": client, "op": "add_process", "after": after}
                w._handle_msg(custom({**edit, "name": None}))

        named = (("a", "p1"), ("b", "p2"))
        pages = [threading.Thread(target=page, args=(client, after)) for client, after in named]
        for thread in pages:
            thread.start()
        for thread in pages:
            thread.join()
        # Queued for this loop, none applied on the pages' threads.
        queued = len(m.state.steps)
        # Callbacks run in the order they were queued: once this one has, all have.
        done = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon_threadsafe(done.set_result, None)
        await done
        w.close()
        return m, handled_on, results, home, queued

    m, handled_on, results, home, queued = off_loop(lambda: asyncio.run(main()))
    assert queued == 2
    assert set(handled_on) == {home}
    assert len(results) == 40
    assert all(r["ok"] for r in results)
    created = [r["created"][0] for r in results]
    assert len(set(created)) == 40  # each add its own new step, told to its own client
    steps = [s.id for s in m.state.steps]
    assert len(steps) == 42
    # Each page's adds land one after the other, after the step it named first.
    mine = {client: [r["created"][0] for r in results if r["client"] == client] for client in "ab"}
    assert steps == ["p1", *reversed(mine["a"]), "p2", *reversed(mine["b"])]


def test_a_message_on_the_widgets_own_thread_is_handled_at_once() -> None:
    async def main() -> int:
        m = small_map()
        w = MapWidget(m)
        edit = {"kind": "edit", "seq": 1, "client": "a", "op": "add_process", "after": "p2", "name": None}
        w._handle_msg(custom(edit))
        count = len(m.state.steps)
        w.close()
        return count

    assert off_loop(lambda: asyncio.run(main())) == 3
