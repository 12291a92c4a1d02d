"""Timings of presence in a live room: a selection in one page to the others, and how many a room takes.

A room on a 50-step map serves from a thread of its own (as in a plain Python process);
participants are WebSocket clients in this process, each joined with a presence message.

- latency: one participant changes its selection, another waits for the presence frame
  that shows it (round trip through the room's hub and its broadcast), over 200 changes;
- throughput: 30 participants each send selection changes as fast as the room answers
  with the frame showing their own change, for a fixed time; presence changes a second the
  room applied and sent to all 30 (each change is a frame to every participant).

Run ``python benchmarks/presence.py`` (``--quick`` for fewer repeats). Prints figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from typing import Any

import websocket

from vsm_widget import ValueStreamMap


def fifty_steps() -> ValueStreamMap:
    m = ValueStreamMap("Fifty steps", demand=920, available_time="2 x 27600 s")
    for i in range(50):
        m.add_process(f"Step {i}", cycle_time="30 s", id=f"p{i}")
        m.add_inventory(100, id=f"g{i}")
    m.clear_history()
    return m


def connect(room: Any) -> websocket.WebSocket:
    ws = websocket.create_connection(room.url.replace("http://", "ws://") + "ws", timeout=30)
    ws.recv()  # the whole state
    return ws


def hello(client: str, selection: list[str]) -> str:
    key = f"{int(client[1:]):032x}"
    return json.dumps(
        {
            "kind": "presence",
            "client": client,
            "key": key,
            "name": f"Person {client}",
            "color": "#1f77b4",
            "selection": selection,
        }
    )


def wait_for(ws: websocket.WebSocket, client: str, selection: list[str]) -> bool:
    """Read until the room shows ``client`` with ``selection`` (True), or refuses it (False)."""
    while True:
        for msg in json.loads(ws.recv()):
            if msg.get("kind") == "result" or (msg.get("kind") == "presence" and not msg.get("ok")):
                return False
            if msg.get("kind") == "state" and "presence" in msg["state"]:
                for p in msg["state"]["presence"]:
                    if p["client"] == client and p["selection"] == selection:
                        return True


def latency(room: Any, samples: int) -> list[float]:
    a, b = connect(room), connect(room)
    a.send(hello("c1", []))
    b.send(hello("c2", []))
    wait_for(b, "c2", [])
    times = []
    for i in range(samples):
        selection = [f"p{i % 50}"]
        start = time.perf_counter()
        a.send(hello("c1", selection))
        wait_for(b, "c1", selection)
        times.append((time.perf_counter() - start) * 1000)
    a.close()
    b.close()
    return times


def throughput(room: Any, participants: int, seconds: float) -> tuple[float, int]:
    sockets = [connect(room) for _ in range(participants)]
    for i, ws in enumerate(sockets):
        ws.send(hello(f"c{100 + i}", []))
    counts = [0] * participants
    refused = [0] * participants
    stop = time.perf_counter() + seconds

    def run(i: int) -> None:
        ws, client = sockets[i], f"c{100 + i}"
        wait_for(ws, client, [])
        n = 0
        while time.perf_counter() < stop:
            selection = [f"p{n % 50}", f"g{n % 50}"]
            ws.send(hello(client, selection))
            if wait_for(ws, client, selection):
                n += 1
            else:
                refused[i] += 1
        counts[i] = n

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(participants)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for ws in sockets:
        ws.close()
    return sum(counts) / elapsed, sum(refused)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    m = fifty_steps()
    room = m.share()
    try:
        times = latency(room, 40 if args.quick else 200)
        q = statistics.quantiles(times, n=20)
        print(
            f"selection in one page to presence in another ({len(times)} changes): "
            f"median {statistics.median(times):.2f} ms, p95 {q[18]:.2f} ms, max {max(times):.2f} ms"
        )
        rate, refused = throughput(room, 30, 3 if args.quick else 10)
        print(
            f"presence changes a second, 30 participants, each sent to all 30: {rate:.0f}/s "
            f"({refused} refused by the rate limit)"
        )
    finally:
        room.close()


if __name__ == "__main__":
    main()
