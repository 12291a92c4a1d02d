"""Timings of presence in a live room: a selection in one page to the others, and how many a room takes.

A room on a 50-step map serves from a process of its own (as from a kernel); participants
are WebSocket clients of this process on one event loop, each joined with a presence
message.

- latency: one participant changes its selection, another waits for the presence frame
  that shows it (round trip through the room's hub and its broadcast), over 200 changes,
  25 ms apart (a connection may send 50 messages a second);
- throughput: 30 participants each send up to 40 selection changes a second (under the
  rate limit), each waiting for the frame showing its own change, for a fixed time;
  presence changes a second the room applied and sent to all 30 (each change is a frame
  to every participant), and the p95 of a change's round trip.

Run ``python benchmarks/presence.py`` (``--quick`` for fewer repeats). Prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from typing import Any

#: Seconds between one connection's changes: under the room's 50 messages a second.
PACE = 0.025


def serve(urls: Any, stop: Any) -> None:
    """The room's process: a 50-step map shared until ``stop`` is set."""
    from vsm_widget import ValueStreamMap

    m = ValueStreamMap("Fifty steps", demand=920, available_time="2 x 27600 s")
    for i in range(50):
        m.add_process(f"Step {i}", cycle_time="30 s", id=f"p{i}")
        m.add_inventory(100, id=f"g{i}")
    m.clear_history()
    room = m.share()
    urls.put(room.url.replace("http://", "ws://") + "ws")
    stop.wait()
    room.close()


def hello(client: int, selection: list[str]) -> str:
    return json.dumps(
        {
            "kind": "presence",
            "client": f"c{client}",
            "key": f"{client:032x}",
            "name": f"Person {client}",
            "color": "#1f77b4",
            "selection": selection,
        }
    )


async def connect(url: str) -> Any:
    from tornado.websocket import websocket_connect

    ws = await websocket_connect(url, max_message_size=16 * 1024 * 1024)
    await ws.read_message()  # the whole state
    return ws


async def shown(ws: Any, client: int, selection: list[str]) -> bool:
    """Read until the room shows ``client`` with ``selection`` (True), or refuses it (False)."""
    who = f'"client": "c{client}"'
    while True:
        text = await ws.read_message()
        if text is None:
            raise ConnectionError("the room closed the connection")
        if text.startswith('[{"kind": "result"') or text.startswith('[{"kind": "presence"'):
            return False
        if who not in text:
            continue
        for msg in json.loads(text):
            for p in msg.get("state", {}).get("presence", []):
                if p["client"] == f"c{client}" and p["selection"] == selection:
                    return True


async def drain(ws: Any) -> None:
    """Read and drop what the room sends ``ws`` (the sender's own copy of each change)."""
    while await ws.read_message() is not None:
        pass


async def latency(url: str, samples: int) -> list[float]:
    a, b = await connect(url), await connect(url)
    a.write_message(hello(1, []))
    b.write_message(hello(2, []))
    await shown(b, 2, [])
    reader = asyncio.ensure_future(drain(a))
    times = []
    for i in range(samples):
        await asyncio.sleep(PACE)
        selection = [f"p{i % 50}"]
        start = time.perf_counter()
        a.write_message(hello(1, selection))
        await shown(b, 1, selection)
        times.append((time.perf_counter() - start) * 1000)
    a.close()
    b.close()
    await reader
    return times


async def throughput(url: str, participants: int, seconds: float) -> tuple[float, int, float]:
    sockets = [await connect(url) for _ in range(participants)]
    trips: list[float] = []
    counts = {"ok": 0, "refused": 0}
    stop = time.perf_counter() + seconds

    async def run(i: int) -> None:
        ws, client = sockets[i], 100 + i
        ws.write_message(hello(client, []))
        await shown(ws, client, [])
        n = 0
        while time.perf_counter() < stop:
            begun = time.perf_counter()
            selection = [f"p{n % 50}", f"g{n % 50}"]
            ws.write_message(hello(client, selection))
            counts["ok" if await shown(ws, client, selection) else "refused"] += 1
            n += 1
            done = time.perf_counter()
            trips.append((done - begun) * 1000)
            await asyncio.sleep(max(0.0, begun + PACE - done))

    start = time.perf_counter()
    await asyncio.gather(*(run(i) for i in range(participants)))
    elapsed = time.perf_counter() - start
    for ws in sockets:
        ws.close()
    return counts["ok"] / elapsed, counts["refused"], statistics.quantiles(trips, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    urls: Any = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(urls, stop), daemon=True)
    server.start()
    url = urls.get(timeout=60)
    try:
        times = asyncio.run(latency(url, 40 if args.quick else 200))
        q = statistics.quantiles(times, n=20)
        print(
            f"selection in one page to presence in another ({len(times)} changes): "
            f"median {statistics.median(times):.2f} ms, p95 {q[18]:.2f} ms, max {max(times):.2f} ms"
        )
        rate, refused, p95 = asyncio.run(throughput(url, 30, 3 if args.quick else 10))
        print(
            f"presence changes a second, 30 participants, each sent to all 30: {rate:.0f}/s, "
            f"round trip p95 {p95:.1f} ms ({refused} refused by the rate limit)"
        )
    finally:
        stop.set()
        server.join(timeout=10)


if __name__ == "__main__":
    main()
