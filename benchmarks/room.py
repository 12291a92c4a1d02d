"""Timings of a live room (``m.share()``): edit-to-drawn latency between browsers, and edits per second.

Starts its own JupyterLab (as the browser tests do); the notebook's kernel builds a
50-step map, shows its canvas and opens a room on it. Then:

- latency: two participants' pages (two browser contexts) open the link; an Enter in the
  details panel's C/T input of one, to the new C/T drawn on the other's canvas, over >= 30
  edits (goal p95 < 150 ms). Both pages stamp their event with ``performance.timeOrigin +
  performance.now()``, one clock of the machine. The floor is measured in the same run,
  interleaved: a bare anywidget click to a bqplot bar redrawn (``lab_session``);
- throughput: 30 simulated participants (WebSocket clients in this process, each sending
  an edit, waiting for its answer, sending the next, and reading every change the room
  sends everyone) for a fixed time; edits per second the kernel applied and sent to all
  (goal > 200/s). The notebook's own canvas stays open, as a coach's would.

Run ``python benchmarks/room.py`` (``--quick`` for fewer repeats). Needs
/usr/bin/chromium and playwright. Prints figures; exits non-zero only on a crash.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from typing import Any

from canvas import SETUP
from lab_session import NotebookPage, browser_missing, floor_round_trips, lab_notebook, percentile

# The same 50-step line as benchmarks/canvas.py (its setup defines `build(steps)`).

# In the sender: the time of the Enter that commits the C/T.
ARM_SEND = """() => {
  window.__sent = null;
  const onKey = (e) => {
    if (e.key === 'Enter') {
      window.__sent = performance.timeOrigin + performance.now();
      document.removeEventListener('keydown', onKey, true);
    }
  };
  document.addEventListener('keydown', onKey, true);
}"""

# In the watcher: the time the new C/T is drawn on its canvas.
ARM_WATCH = """([id, text]) => {
  const canvas = document.querySelector('.vsm-canvas');
  const norm = (s) => (s || '').replace(/\\s+/g, '');
  window.__drawn = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const step = canvas.querySelector(`[data-vsm-kind="process"][data-vsm-id="${id}"]`);
      const field = step && step.querySelector('[data-vsm-field="cycle_time"]');
      if (field && norm(field.textContent) === norm(text)) {
        observer.disconnect();
        resolve(performance.timeOrigin + performance.now());
      }
    });
    observer.observe(canvas, { childList: true, subtree: true, characterData: true });
    setTimeout(() => resolve(null), 30000);
  });
}"""


# In the kernel: how long the room takes for each participant message (check, apply, and
# the notebook canvas's own layout and comm message when it is open) and for each turn's
# layout and sending to everyone.
TIME_KERNEL = """
import time as _time
_busy = {"receive": [], "flush": []}

def _timing(name, fn):
    def timed(*args):
        start = _time.perf_counter()
        if _profile is not None:
            _profile.runcall(fn, *args)
        else:
            fn(*args)
        _busy[name].append((_time.perf_counter() - start) * 1000)
    return timed

room._receive = _timing("receive", room._receive)
room.canvas.flush_changes = _timing("flush", room.canvas.flush_changes)
"""


def stats(values: list[float], digits: int = 0) -> str:
    return (
        f"median {statistics.median(values):.{digits}f} ms, p95 {percentile(values, 0.95):.{digits}f} ms, "
        f"max {max(values):.{digits}f} ms over {len(values)}"
    )


def open_participant(nb: NotebookPage, url: str) -> Any:
    context = nb.page.context.browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.locator('.vsm-canvas [data-vsm-kind="process"][data-vsm-id="s2"]').wait_for()
    return page


def latencies(sender: Any, watcher: Any, step: str, count: int, offset: int) -> list[float]:
    sender.locator(f'.vsm-canvas [data-vsm-kind="process"][data-vsm-id="{step}"]').first.click()
    box = sender.locator(f'[data-vsm-row="{step}:cycle_time"] input')
    box.wait_for(state="visible")
    times = []
    for i in range(offset, offset + count):
        text = f"{100 + i % 50} s"  # a new value every time: an unchanged one redraws nothing
        box.fill(text)
        watcher.evaluate(ARM_WATCH, [step, text])
        sender.evaluate(ARM_SEND)
        box.press("Enter")
        drawn = watcher.evaluate("() => window.__drawn")
        sent = sender.evaluate("() => window.__sent")
        if drawn is None or sent is None:
            raise TimeoutError(f"{text!r} was not drawn in the other page within 30 s")
        times.append(float(drawn) - float(sent))
    return times


async def participant(url: str, steps: int, until: float, index: int, counts: dict[str, int]) -> None:
    from tornado.websocket import websocket_connect

    ws = await websocket_connect(url, max_message_size=16 * 1024 * 1024)
    await ws.read_message()  # the whole state
    seq = 0
    try:
        while time.monotonic() < until:
            seq += 1
            step = 1 + (index * 7 + seq) % steps
            edit = {"kind": "edit", "seq": seq, "op": "update", "id": f"s{step}", "field": "cycle_time"}
            ws.write_message(json.dumps({**edit, "value": f"{20 + (index + seq) % 60} s"}))
            while True:
                text = await ws.read_message()
                if text is None:
                    raise ConnectionError("the room closed the connection")
                counts["frames"] += 1
                # Only the answer to this client is parsed; everyone's changes are just read.
                if isinstance(text, str) and text.startswith('[{"kind": "result"'):
                    [result] = json.loads(text)
                    if result["seq"] == seq:
                        counts["ok" if result["ok"] else result["error"]["field"]] += 1
                        break
    finally:
        ws.close()


async def flood(url: str, steps: int, clients: int, seconds: float) -> dict[str, Any]:
    counts: dict[str, int] = {"ok": 0, "frames": 0, "rate": 0, "cycle_time": 0}
    start = time.monotonic()
    await asyncio.gather(*(participant(url, steps, start + seconds, i, counts) for i in range(clients)))
    counts["elapsed"] = time.monotonic() - start  # type: ignore[assignment]
    return counts


def throughput(nb: NotebookPage, ws_url: str, steps: int, clients: int, seconds: float, how: str) -> None:
    nb.py("for _times in _busy.values(): _times.clear()")
    before = nb.value("room.canvas.revision")
    # Playwright's sync API holds this thread's event loop: the participants run in another.
    counts: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: counts.update(asyncio.run(flood(ws_url, steps, clients, seconds)))
    )
    worker.start()
    worker.join()
    turns = nb.value("room.canvas.revision") - before
    busy = nb.value("_busy")
    rate = counts["ok"] / counts["elapsed"]
    kernel_ms = sum(busy["receive"]) + sum(busy["flush"])
    print(
        f"room: {clients} participants editing a {steps}-step map, {how}, for {counts['elapsed']:.1f} s "
        f"(goal > 200 edits/s): {rate:.0f} edits/s applied and sent to everyone"
    )
    print(
        f"  {counts['ok']} accepted in {turns} patches to everyone, "
        f"{counts['rate']} refused by the rate limit; "
        f"kernel busy {kernel_ms / 1000 / counts['elapsed']:.0%} of the time, "
        f"{kernel_ms / max(1, counts['ok']):.1f} ms an edit; a message {stats(busy['receive'], 1)}; "
        f"a patch to everyone {stats(busy['flush'], 1)}"
    )


def run(nb: NotebookPage, steps: int, edits: int, clients: int, seconds: float, profile: bool) -> None:
    nb.canvas("coach", f"m = build({steps})\nroom = m.share()\nm.editor()")
    url = nb.value("room.url")
    sender, watcher = open_participant(nb, url), open_participant(nb, url)
    times: list[float] = []
    floor: list[float] = []
    for _ in range(max(1, edits // 5)):
        floor += floor_round_trips(nb, 3)
        times += latencies(sender, watcher, "s2", 5, offset=len(times))
    print(
        f"room: an edit in one browser -> drawn in another, {steps} steps (goal p95 < 150 ms): {stats(times)}"
    )
    print(f"  floor (a bare anywidget click -> Python -> a bqplot bar redrawn): {stats(floor)}")
    print(
        f"  ratio to the floor: median {statistics.median(times) / statistics.median(floor):.2f}, "
        f"p95 {percentile(times, 0.95) / percentile(floor, 0.95):.2f}"
    )
    # The simulated participants' browsers would be on their own machines: the two pages
    # close, so that the kernel's figure does not share this machine's cores with them.
    sender.context.close()
    watcher.context.close()
    ws_url = url.replace("http://", "ws://") + "ws"
    nb.py(f"import cProfile\n_profile = {'cProfile.Profile()' if profile else 'None'}\n" + TIME_KERNEL)
    throughput(nb, ws_url, steps, clients, seconds, "with the notebook's canvas open")
    nb.py("m.editor().close()")
    throughput(nb, ws_url, steps, clients, seconds, "with the notebook's canvas closed")
    if profile:
        print(nb.py("import pstats\npstats.Stats(_profile).sort_stats('cumulative').print_stats(25)"))
    nb.py("room.close()")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--profile", action="store_true", help="print where the kernel spends its time")
    args = parser.parse_args()
    missing = browser_missing()
    if missing:
        print(f"cannot run: {missing}")
        return 1
    edits, seconds = (10, 3.0) if args.quick else (40, 10.0)
    with lab_notebook(SETUP, {"width": 1400, "height": 900}, "vsm-room-bench-") as nb:
        run(nb, args.steps, edits, args.clients, seconds, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
