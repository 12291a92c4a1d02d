"""The live room (``m.share()``), driven over real sockets on 127.0.0.1.

Participants are WebSocket clients speaking the canvas's edit protocol
(docs/sync-protocol.md); the map, the other participants' frames and the HTTP answers
are then checked. Rooms are opened from a thread without an event loop (see ``share``),
so they serve from a thread of their own; one test runs a room on a running asyncio loop,
as in a kernel.
"""

from __future__ import annotations

import asyncio
import gc
import json
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
import websocket

from threads import off_loop
from vsm_widget import ValueStreamMap
from vsm_widget.core.fields import panel_fields
from vsm_widget.data import io
from vsm_widget.data.io import to_json
from vsm_widget.jupyter import room as room_module
from vsm_widget.jupyter.room import CLOSED_CODE, MAX_MESSAGE_BYTES, MAX_MESSAGES_PER_SECOND, Room

T = TypeVar("T")
TIMEOUT = 10  # seconds a socket waits for a frame before the test fails


def small_map() -> ValueStreamMap:
    m = ValueStreamMap("Brackets", demand=920, available_time="2 x 27600 s")
    m.add_inventory(4600, id="g0")
    m.add_process("Stamping", cycle_time="1 s", id="p1")
    m.add_inventory(2400, id="g1")
    m.add_process("Weld", cycle_time="39 s", id="p2")
    m.clear_history()
    return m


_OPEN: list[websocket.WebSocket] = []


@pytest.fixture(autouse=True)
def close_participants() -> Iterator[None]:
    yield
    while _OPEN:
        ws = _OPEN.pop()
        ws.close()
        ws.shutdown()  # the socket too, when the room closed the connection first


@pytest.fixture
def plant() -> ValueStreamMap:
    return small_map()


@pytest.fixture
def room(plant: ValueStreamMap) -> Iterator[Room]:
    r = share(plant)
    yield r
    r.close()


def share(plant: ValueStreamMap, **options: Any) -> Room:
    return off_loop(lambda: plant.share(**options))


def ws_url(room: Room) -> str:
    return room.url.replace("http://", "ws://") + "ws"


def join(room: Room, **options: Any) -> websocket.WebSocket:
    """A participant: connects and reads the whole state the room sends first."""
    ws = websocket.create_connection(ws_url(room), timeout=TIMEOUT, **options)
    _OPEN.append(ws)
    first = frame(ws)
    assert first[0]["kind"] == "state"
    ws.state = first[0]  # type: ignore[attr-defined]
    return ws


def frame(ws: websocket.WebSocket) -> list[dict[str, Any]]:
    return json.loads(ws.recv())


def read_until_closed(ws: websocket.WebSocket) -> None:
    while True:
        ws.recv()


def edit(seq: int, op: str, **fields: Any) -> str:
    return json.dumps({"kind": "edit", "seq": seq, "op": op, **fields})


def answer(ws: websocket.WebSocket, text: str) -> dict[str, Any]:
    """Send one message and return the room's answer to it (frames of others' edits are skipped)."""
    ws.send(text)
    while True:
        for msg in frame(ws):
            done = ("result", "exported", "workshop_result")
            if msg["kind"] in done or (msg["kind"] == "presence" and not msg["ok"]):
                return msg


def http_status(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --------------------------------------------------------------------------- the link


def test_the_link_serves_the_page_and_its_own_bundle(room: Room) -> None:
    status, page = http_status(room.url)
    assert status == 200
    assert b"<title>Brackets</title>" in page
    assert b'src="room.js"' in page
    assert b"https://" not in page
    status, script = http_status(room.url + "room.js")
    assert status == 200
    assert len(script) > 1000
    status, css = http_status(room.url + "room.css")
    assert status == 200
    assert b".vsm-canvas" in css


def test_the_page_forbids_scripts_from_anywhere_else(room: Room) -> None:
    with urllib.request.urlopen(room.url, timeout=TIMEOUT) as response:
        policy = response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "no-referrer"  # the link carries the token
    assert "script-src 'self'" in policy
    assert "default-src 'none'" in policy


@pytest.mark.parametrize("path", ["", "ws", "room.js", "room.css"])
def test_no_token_gets_nothing(room: Room, path: str) -> None:
    status, body = http_status(f"http://127.0.0.1:{room.port}/{path}")
    assert status == 404
    assert body == b"404\n"


@pytest.mark.parametrize("path", ["", "room.js", "room.css"])
def test_a_wrong_token_gets_a_refusal_and_nothing_else(room: Room, path: str) -> None:
    wrong = "x" * len(room._token)
    status, body = http_status(f"http://127.0.0.1:{room.port}/{wrong}/{path}")
    assert status == 403
    assert body == b"403\n"


def test_a_wrong_token_cannot_open_a_socket(room: Room) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(
            ws_url(room).replace(room._token, room._token[:-1] + "A"), timeout=TIMEOUT
        )
    assert caught.value.status_code == 403
    assert b"Brackets" not in (caught.value.resp_body or b"")
    assert room.participants == 0


def test_a_page_elsewhere_cannot_open_a_socket(room: Room) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(ws_url(room), timeout=TIMEOUT, origin="http://evil.example:8000")
    assert caught.value.status_code == 403
    ws = join(room, origin=f"http://127.0.0.1:{room.port}")  # the room's own page may
    ws.close()


def test_a_page_through_a_proxy_on_this_machine_may_open_a_socket(room: Room) -> None:
    # jupyter-server-proxy passes the browser's Host and Origin on (the Jupyter server's
    # address); the room takes them from a peer on this machine when they agree.
    ws = join(room, origin="http://lab.example:8888", host="lab.example:8888")
    ws.close()
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(
            ws_url(room), timeout=TIMEOUT, origin="http://evil.example:8000", host="lab.example:8888"
        )
    assert caught.value.status_code == 403


def test_the_link_through_a_jupyter_server_carries_the_port_and_token(room: Room) -> None:
    token = room.url.rstrip("/").rsplit("/", 1)[1]
    assert room.proxy_url("https://hub.example.org/user/coach/") == (
        f"https://hub.example.org/user/coach/proxy/{room.port}/{token}/"
    )
    facilitator = room.facilitator_url.rstrip("/").rsplit("/", 1)[1]
    assert room.proxy_url("http://127.0.0.1:8888", facilitator=True) == (
        f"http://127.0.0.1:8888/proxy/{room.port}/{facilitator}/"
    )
    # This test process was started by no Jupyter server: it must be told the address.
    with pytest.raises(LookupError, match="server"):
        room.proxy_url()
    assert "proxy/" not in room._repr_html_()


def test_a_port_in_use_is_refused_and_the_map_not_followed(room: Room, plant: ValueStreamMap) -> None:
    with warnings.catch_warnings():
        # tornado's bind_sockets leaves the socket that failed to bind to the collector.
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(OSError, match="in use"):
            share(plant, port=room.port)
        gc.collect()
    assert len(plant._observers) == 1  # the open room's canvas alone


def test_each_link_has_its_own_random_token(plant: ValueStreamMap) -> None:
    a, b = share(plant), share(plant)
    try:
        assert a._token != b._token
        assert len(a._token) >= 32
        assert a.url == f"http://127.0.0.1:{a.port}/{a._token}/"
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [({"port": -1}, "port must be"), ({"port": 70_000}, "port must be"), ({"host": ""}, "host must be")],
)
def test_bad_options_are_refused(plant: ValueStreamMap, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        share(plant, **options)


# --------------------------------------------------------------------------- live edits


def test_a_participant_gets_the_whole_map_on_connecting(room: Room, plant: ValueStreamMap) -> None:
    ws = join(room)
    state = ws.state["state"]  # type: ignore[attr-defined]
    assert state["document"] == io.to_document(plant.state)
    assert [n["id"] for n in state["scene"]["nodes"] if n["kind"] == "process"] == ["p1", "p2"]
    assert state["selection"] == []
    assert state["error"] == {}
    assert ws.state["room"] == {"edit": True, "role": "participant"}  # type: ignore[attr-defined]
    assert state["fields"] == panel_fields()
    ws.close()


def test_an_edit_from_one_socket_reaches_the_others_and_the_map(room: Room, plant: ValueStreamMap) -> None:
    a, b, c = join(room), join(room), join(room)
    editor = plant.editor()  # the notebook's canvas observes the same map
    result = answer(a, edit(1, "update", id="p2", field="cycle_time", value="50 s"))
    assert result == {"kind": "result", "seq": 1, "ok": True}
    assert plant.get("p2").cycle_time == 50
    for other in (b, c):
        patch, state = frame(other)
        assert patch["kind"] == "patch"
        [item] = patch["document"]["lists"]["stream"]["upsert"]
        assert (item["id"], item["cycle_time"]) == ("p2", 50)
        assert state == {
            "kind": "state",
            "state": {"history": {"can_undo": True, "can_redo": False}, "revision": 1},
        }
    # The notebook's canvas lays the turn's edits out in a callback of the room's loop of
    # its own; read it on that loop, after the callbacks already queued there.
    document = room.call(lambda: editor.document)
    assert [s["cycle_time"] for s in document["stream"] if s["id"] == "p2"] == [50]
    for ws in (a, b, c):
        ws.close()


def test_the_sender_hears_its_answer_after_the_change(room: Room, plant: ValueStreamMap) -> None:
    ws = join(room)
    ws.send(edit(1, "update", id="p1", field="cycle_time", value="7 s"))
    assert [m["kind"] for m in frame(ws)] == ["patch", "state"]
    assert frame(ws) == [{"kind": "result", "seq": 1, "ok": True}]


def test_edits_of_one_turn_are_sent_as_one_patch(room: Room, plant: ValueStreamMap) -> None:
    ws = join(room)

    def two_edits() -> None:
        plant.update("p1", cycle_time="8 s")
        plant.update("p2", cycle_time="9 s")

    room.call(two_edits)
    patch, state = frame(ws)
    changed = {item["id"]: item["cycle_time"] for item in patch["document"]["lists"]["stream"]["upsert"]}
    assert changed == {"p1": 8, "p2": 9}
    assert state["state"]["history"] == {"can_undo": True, "can_redo": False}
    # The next frame is the next change, not a second patch of the same two.
    room.call(plant.undo)
    patch, _ = frame(ws)
    assert {item["id"]: item["cycle_time"] for item in patch["document"]["lists"]["stream"]["upsert"]} == {
        "p2": 39
    }


def test_an_add_names_what_it_created_to_its_sender_only(room: Room, plant: ValueStreamMap) -> None:
    a, b = join(room), join(room)
    result = answer(a, edit(7, "add_process", after="p1", name="Deburr"))
    [created] = result["created"]
    assert [item.id for item in plant.stream] == ["g0", "p1", created, "g1", "p2"]
    patch, _ = frame(b)
    assert created in patch["document"]["lists"]["stream"]["order"]
    # b's next frame is the next change: it never got a's result.
    answer(a, edit(8, "update", id="p1", field="name", value="Press"))
    assert [m["kind"] for m in frame(b)] == ["patch", "state"]


def test_a_refused_edit_is_told_to_its_sender_alone_and_changes_nothing(
    room: Room, plant: ValueStreamMap
) -> None:
    a, b = join(room), join(room)
    before = plant.state
    result = answer(a, edit(2, "update", id="p1", field="cycle_time", value="fast"))
    assert result["ok"] is False
    assert (result["error"]["target"], result["error"]["field"]) == ("p1", "cycle_time")
    assert plant.state is before
    answer(a, edit(3, "update", id="p1", field="cycle_time", value="2 s"))
    msgs = frame(b)  # the first frame b gets is the accepted edit's, not the refusal
    assert [m["kind"] for m in msgs] == ["patch", "state"]


def test_python_edits_reach_every_participant(room: Room, plant: ValueStreamMap) -> None:
    a, b = join(room), join(room)
    room.call(plant.update, "p1", cycle_time="3 s")
    for ws in (a, b):
        patch, _ = frame(ws)
        [item] = patch["document"]["lists"]["stream"]["upsert"]
        assert (item["id"], item["cycle_time"]) == ("p1", 3)


def test_interleaved_adds_from_two_sockets_all_land(room: Room, plant: ValueStreamMap) -> None:
    a, b = join(room), join(room)
    for i in range(20):
        a.send(edit(i + 1, "add_process", after="p1", name=f"A{i}"))
        b.send(edit(i + 1, "add_process", after="p2", name=f"B{i}"))
    results: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
    for name, ws in (("a", a), ("b", b)):
        while len(results[name]) < 20:
            results[name] += [m for m in frame(ws) if m["kind"] == "result"]
    assert all(r["ok"] for rs in results.values() for r in rs)
    names = [s.name for s in plant.stream if s.kind == "process"]
    assert sorted(n for n in names if n[0] in "AB") == sorted(
        [f"A{i}" for i in range(20)] + [f"B{i}" for i in range(20)]
    )
    # Each add landed right after the step it named: A's after Stamping, B's after Weld.
    assert names.index("Weld") == 1 + 20
    assert names[1:21] == [f"A{i}" for i in reversed(range(20))]
    assert names[22:] == [f"B{i}" for i in reversed(range(20))]


def test_a_participant_who_reconnects_gets_the_map_as_it_is_now(room: Room, plant: ValueStreamMap) -> None:
    a, b = join(room), join(room)
    b.close()
    answer(a, edit(1, "remove", id="g1"))
    again = join(room)
    state = again.state["state"]  # type: ignore[attr-defined]
    assert [item["id"] for item in state["document"]["stream"]] == ["g0", "p1", "p2"]
    assert state["document"] == io.to_document(plant.state)
    assert state["revision"] == 1


# --------------------------------------------------------------------------- what a participant may send


def test_an_oversized_message_is_refused_and_the_connection_kept(room: Room, plant: ValueStreamMap) -> None:
    ws = join(room)
    before = plant.state
    big = edit(1, "update", id="p1", field="notes", value="x" * MAX_MESSAGE_BYTES)
    result = answer(ws, big)
    assert (result["ok"], result["error"]["field"]) == (False, "message")
    assert "64 KiB" in result["error"]["reason"]
    assert plant.state is before
    assert answer(ws, edit(2, "update", id="p1", field="notes", value="short"))["ok"] is True
    assert plant.get("p1").notes == "short"


def test_a_message_just_under_the_bound_is_taken(room: Room, plant: ValueStreamMap) -> None:
    # A map document opened by a participant, padded (JSON allows trailing blanks) to the bound.
    other = small_map()
    other.update("map", title="Opened")
    envelope = len(json.dumps({"kind": "edit", "seq": 1, "op": "open", "text": to_json(other), "name": None}))
    text = to_json(other) + " " * (MAX_MESSAGE_BYTES - envelope)
    message = json.dumps({"kind": "edit", "seq": 1, "op": "open", "text": text, "name": None})
    assert len(message.encode()) == MAX_MESSAGE_BYTES
    ws = join(room)
    assert answer(ws, message)["ok"] is True
    assert plant.state.title == "Opened"


def test_a_huge_message_closes_the_connection(room: Room, plant: ValueStreamMap) -> None:
    ws = join(room)
    before = plant.state
    ws.send("x" * (room_module.HARD_MESSAGE_BYTES + 1))
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        read_until_closed(ws)
    assert plant.state is before


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"kind": "edit", "seq": 1, "op": "move", "id": "p1", "x": NaN, "y": 0}',
        "",
        '{"a": ' * 5000,
    ],
)
def test_malformed_json_is_refused(room: Room, plant: ValueStreamMap, text: str) -> None:
    ws = join(room)
    before = plant.state
    result = answer(ws, text)
    assert (result["ok"], result["error"]["field"]) == (False, "message")
    assert "not valid JSON" in result["error"]["reason"]
    assert plant.state is before


def test_binary_messages_are_refused(room: Room, plant: ValueStreamMap) -> None:
    ws = join(room)
    ws.send_binary(edit(1, "remove", id="p1").encode())
    [result] = frame(ws)
    assert (result["ok"], result["error"]["field"]) == (False, "message")
    assert "p1" in plant


@pytest.mark.parametrize(
    "message",
    [
        {"kind": "lock", "seq": 4},  # a facilitator command: not on the link
        {"kind": "close", "seq": 4},
        {"kind": "state", "seq": 4, "state": {"revision": 99}},
        ["edit"],
        {"seq": 4, "op": "remove", "id": "p1"},
    ],
)
def test_only_the_edit_protocol_is_accepted(room: Room, plant: ValueStreamMap, message: Any) -> None:
    ws = join(room)
    before = plant.state
    result = answer(ws, json.dumps(message))
    assert (result["ok"], result["error"]["field"]) == (False, "kind")
    assert result["seq"] == (4 if isinstance(message, dict) else None)
    assert plant.state is before
    assert not room.closed
    assert room.canvas.revision == 0


def test_a_malformed_edit_is_refused_by_the_protocol(room: Room, plant: ValueStreamMap) -> None:
    ws = join(room)
    result = answer(ws, edit(5, "update", id="p1", field="cycle_time", value="9 s", extra=1))
    assert (result["seq"], result["ok"], result["error"]["field"]) == (5, False, "extra")
    assert plant.get("p1").cycle_time == 1


def test_a_flood_is_refused_past_the_rate_and_the_connection_kept(
    room: Room, plant: ValueStreamMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The clock stands still, so the bucket never refills: exactly the burst gets through.
    monkeypatch.setattr(room_module, "_clock", lambda: 1000.0)
    ws = join(room)
    flood = 3 * MAX_MESSAGES_PER_SECOND
    for i in range(flood):
        ws.send(edit(i + 1, "update", id="p1", field="notes", value=f"n{i}"))
    results: list[dict[str, Any]] = []
    while len(results) < flood:
        results += [m for m in frame(ws) if m["kind"] == "result"]
    accepted = [r for r in results if r["ok"]]
    refused = [r for r in results if not r["ok"]]
    assert len(accepted) == MAX_MESSAGES_PER_SECOND
    assert len(refused) == flood - MAX_MESSAGES_PER_SECOND
    assert {r["error"]["field"] for r in refused} == {"rate"}
    assert plant.get("p1").notes == f"n{MAX_MESSAGES_PER_SECOND - 1}"  # the refused ones did nothing
    assert room.participants == 1  # kept


def test_the_bucket_refills_at_its_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(room_module, "_clock", lambda: now[0])
    bucket = room_module._Bucket(50)
    assert sum(bucket.take() for _ in range(60)) == 50
    now[0] = 0.1  # a tenth of a second: five more
    assert sum(bucket.take() for _ in range(10)) == 5
    now[0] = 100.0  # never more than a burst
    assert sum(bucket.take() for _ in range(60)) == 50


def test_a_view_only_room_refuses_edits_with_a_clear_message(plant: ValueStreamMap) -> None:
    room = share(plant, edit=False)
    try:
        ws = join(room)
        assert ws.state["room"] == {"edit": False, "role": "participant"}  # type: ignore[attr-defined]
        before = plant.state
        for seq, op in enumerate(["undo", "layout"], start=1):
            result = answer(ws, edit(seq, op))
            assert (result["seq"], result["ok"], result["error"]["field"]) == (seq, False, "edit")
            assert "view only" in result["error"]["reason"]
        assert answer(ws, edit(3, "remove", id="p1"))["ok"] is False
        assert plant.state is before
        exported = answer(
            ws, json.dumps({"kind": "export", "seq": 4, "palette": "light", "embed_font": False})
        )
        assert exported["ok"] is True
        assert "<svg" in exported["svg"]
        room.call(plant.update, "p1", cycle_time="4 s")  # the facilitator still edits
        patch, _ = frame(ws)
        assert patch["kind"] == "patch"
    finally:
        room.close()


# --------------------------------------------------------------------------- closing, display, the loop


def test_close_disconnects_everyone_and_stops_serving(plant: ValueStreamMap) -> None:
    room = share(plant)
    ws = join(room)
    url = room.url
    room.close()
    opcode, closing = ws.recv_data_frame(True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(closing.data[:2], "big") == CLOSED_CODE
    assert closing.data[2:] == b"the room is closed"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=TIMEOUT)
    plant.update("p1", cycle_time="5 s")  # the closed room no longer follows the map
    assert room.canvas.revision == 0
    room.close()  # twice is fine
    assert room.closed


def test_a_room_closed_from_its_own_thread_ends(plant: ValueStreamMap) -> None:
    room = share(plant)
    room.call(room.close)
    assert room.closed
    assert room._thread is not None
    room._thread.join(timeout=TIMEOUT)
    assert not room._thread.is_alive()


def test_the_room_shows_its_link_as_text(plant: ValueStreamMap) -> None:
    room = share(plant)
    try:
        shown = room._repr_html_()
        assert f"<code>{room.url}</code>" in shown
        assert room.url in repr(room)
        assert "edit" in repr(room)
    finally:
        room.close()


def test_the_link_shows_as_a_qr_code_with_segno(room: Room) -> None:
    segno = pytest.importorskip("segno")
    shown = room._repr_html_()
    assert "<svg" in shown
    # The code holds the link: segno's own drawing of the room's URL, and only one code.
    assert (
        segno.make(room.url, error="m").svg_inline(scale=4, dark="#000", light="#fff", title="Room link")
        in shown
    )
    assert shown.count("<svg") == 1


def test_a_title_is_text_in_the_page(plant: ValueStreamMap) -> None:
    plant.update("map", title="<script>alert(1)</script>")
    room = share(plant)
    try:
        _, page = http_status(room.url)
        assert b"<script>alert" not in page
        assert b"&lt;script&gt;" in page
    finally:
        room.close()


def test_on_a_running_loop_the_room_serves_from_it(plant: ValueStreamMap) -> None:
    from tornado.websocket import websocket_connect

    async def session() -> tuple[dict[str, Any], float | None]:
        room = plant.share()
        assert room._thread is None  # served by this loop, as in a kernel
        try:
            ws = await websocket_connect(ws_url(room))
            first = json.loads(await ws.read_message())
            ws.write_message(edit(1, "update", id="p2", field="cycle_time", value="45 s"))
            while True:
                msgs = json.loads(await ws.read_message())
                results = [m for m in msgs if m["kind"] == "result"]
                if results:
                    ws.close()
                    return results[0], first[0]["state"]["revision"]
        finally:
            room.close()

    result, revision = off_loop(lambda: asyncio.run(asyncio.wait_for(session(), TIMEOUT)))
    assert result["ok"] is True
    assert revision == 0
    assert plant.get("p2").cycle_time == 45


# --------------------------------------------------------------------------- presence

KEY_A = "a" * 32
KEY_B = "b" * 32


def presence(client: str, key: str, name: str, **fields: Any) -> str:
    return json.dumps(
        {"kind": "presence", "client": client, "key": key, "name": name, "color": "#1f77b4", **fields}
    )


def next_presence(ws: websocket.WebSocket) -> list[dict[str, Any]]:
    """The next presence list the room sends this socket (other frames are skipped)."""
    while True:
        for msg in frame(ws):
            if msg["kind"] == "state" and "presence" in msg["state"]:
                return msg["state"]["presence"]  # type: ignore[no-any-return]


def presence_until(
    ws: websocket.WebSocket, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    while True:
        shown = next_presence(ws)
        if done(shown):
            return shown


def test_a_second_socket_sees_the_first_ones_selection(room: Room, plant: ValueStreamMap) -> None:
    a, b = join(room), join(room)
    assert b.state["state"]["presence"] == []  # type: ignore[attr-defined]
    a.send(presence("ca", KEY_A, "Ana  Lima", selection=["p2", "nope"], editing="p1"))
    # Ana joins first: the two sockets' messages would otherwise race to the kernel.
    presence_until(b, lambda ps: [p["client"] for p in ps] == ["ca"])
    b.send(presence("cb", KEY_B, "Ben"))
    seen = presence_until(b, lambda ps: len(ps) == 2)
    ana = next(p for p in seen if p["client"] == "ca")
    assert (ana["name"], ana["initials"], ana["selection"], ana["editing"]) == (
        "Ana Lima",
        "AL",
        ["p2"],
        "p1",
    )
    assert ana["role"] == "participant"
    assert KEY_A not in json.dumps(seen)  # the key stays with its owner and the kernel
    a.send(presence("ca", KEY_A, "Ana Lima", selection=["p1"], editing=None))
    seen = presence_until(b, lambda ps: any(p["selection"] == ["p1"] for p in ps))
    # A joiner gets who is here with the whole state; nothing of it is in the map.
    assert [p["client"] for p in join(room).state["state"]["presence"]] == ["ca", "cb"]  # type: ignore[attr-defined]
    assert room.canvas.revision == 0
    assert not plant.can_undo
    assert "presence" not in io.to_document(plant.state)


def test_the_notebooks_canvas_and_the_room_see_one_another(room: Room, plant: ValueStreamMap) -> None:
    editor = room.call(plant.editor)
    a = join(room)
    a.send(presence("ca", KEY_A, "Ana", selection=["p1"]))
    presence_until(a, lambda ps: ps[0]["selection"] == ["p1"])
    # Read on the room's thread, once its observers have all run.
    shown = room.call(lambda: editor.presence)
    assert [(p["name"], p["selection"]) for p in shown] == [("Ana", ["p1"])]
    room.call(
        editor.handle_presence,
        {"kind": "presence", "client": "coach", "key": KEY_B, "name": "Coach", "color": "#000000"},
    )
    shown = presence_until(a, lambda ps: len(ps) == 2)
    assert {p["name"]: p["role"] for p in shown} == {"Ana": "participant", "Coach": "facilitator"}


def test_a_socket_cannot_take_another_ones_client(room: Room) -> None:
    a, b = join(room), join(room)
    a.send(presence("ca", KEY_A, "Ana", selection=["p1"]))
    next_presence(a)
    refusal = answer(b, presence("ca", KEY_B, "Mallory", selection=["p2"]))
    assert refusal["kind"] == "presence"
    assert (refusal["ok"], refusal["error"]["field"]) == (False, "client")
    # Once fixed, a socket's client and key stay: it cannot turn into someone else.
    b.send(presence("cb", KEY_B, "Ben"))
    assert answer(b, presence("ca", KEY_B, "Ben"))["error"]["field"] == "client"
    assert answer(b, presence("cb", KEY_A, "Ben"))["error"]["field"] == "key"
    assert (
        answer(b, json.dumps({"kind": "presence", "client": "ca", "leave": True}))["error"]["field"]
        == "client"
    )
    ana = room._presence.participant("ca")
    assert ana is not None
    assert (ana.name, ana.selection) == ("Ana", ("p1",))
    assert room._presence.participant("cb").name == "Ben"  # type: ignore[union-attr]


def test_the_notebooks_client_cannot_be_taken_from_the_room(room: Room, plant: ValueStreamMap) -> None:
    editor = room.call(plant.editor)
    message = {"kind": "presence", "client": "coach", "key": KEY_B, "name": "Coach", "color": "#000000"}
    room.call(editor.handle_presence, message)
    a = join(room)
    refusal = answer(a, json.dumps(message))  # even with the coach's key, which a page should never have
    assert refusal["error"]["field"] == "client"
    assert room._presence.participant("coach").role == "facilitator"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"kind": "presence", "client": "ca", "leave": True}, "client"),  # a first message must join
        ({"kind": "presence", "client": "ca", "key": KEY_A, "name": "", "color": "#000000"}, "name"),
        ({"kind": "presence", "client": "ca", "key": KEY_A, "name": "Ana", "color": "red"}, "color"),
        ({"kind": "presence", "client": "ca", "key": "short", "name": "Ana", "color": "#000000"}, "key"),
        (
            {
                "kind": "presence",
                "client": "ca",
                "key": KEY_A,
                "name": "Ana",
                "color": "#000000",
                "role": "facilitator",
            },
            "role",
        ),
        (
            {
                "kind": "presence",
                "client": "ca",
                "key": KEY_A,
                "name": "Ana",
                "color": "#000000",
                "selection": "p1",
            },
            "selection",
        ),
    ],
)
def test_a_bad_presence_is_refused_naming_the_field(room: Room, message: dict[str, Any], field: str) -> None:
    a = join(room)
    refusal = answer(a, json.dumps(message))
    assert (refusal["kind"], refusal["ok"], refusal["error"]["field"]) == ("presence", False, field)
    assert room._presence.participants() == ()


def test_a_socket_that_closes_leaves(room: Room) -> None:
    a, b = join(room), join(room)
    a.send(presence("ca", KEY_A, "Ana"))
    b.send(presence("cb", KEY_B, "Ben"))
    presence_until(b, lambda ps: len(ps) == 2)
    a.close()
    assert [p["client"] for p in presence_until(b, lambda ps: len(ps) == 1)] == ["cb"]
    b.send(json.dumps({"kind": "presence", "client": "cb", "leave": True}))
    assert next_presence(b) == []


def test_a_page_that_reconnects_takes_its_client_over(room: Room) -> None:
    old, other = join(room), join(room)
    old.send(presence("ca", KEY_A, "Ana"))
    next_presence(other)
    new = join(room)  # the page's new connection, before the old one is noticed gone
    new.send(presence("ca", KEY_A, "Ana", selection=["p2"]))
    presence_until(other, lambda ps: ps[0]["selection"] == ["p2"])
    old.close()
    new.send(presence("ca", KEY_A, "Ana", selection=["p1"]))
    # The old socket's goodbye did not take the client from the new one.
    assert [p["selection"] for p in presence_until(other, lambda ps: ps[0]["selection"] == ["p1"])] == [
        ["p1"]
    ]


def test_a_flood_of_presence_is_rate_limited_like_edits(room: Room, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(room_module, "_clock", lambda: 1000.0)
    ws = join(room)
    flood = 3 * MAX_MESSAGES_PER_SECOND
    for i in range(flood):
        ws.send(presence("ca", KEY_A, f"N{i}"))
    ws.send(edit(1, "update", id="p1", field="notes", value="late"))  # the bucket is empty for edits too
    refused: list[dict[str, Any]] = []
    while len(refused) < flood - MAX_MESSAGES_PER_SECOND + 1:
        refused += [m for m in frame(ws) if m["kind"] == "result"]
    assert {r["error"]["field"] for r in refused} == {"rate"}
    assert refused[-1]["seq"] is None
    assert room._presence.participant("ca").name == f"N{MAX_MESSAGES_PER_SECOND - 1}"  # type: ignore[union-attr]


def test_an_edit_is_made_by_the_connections_own_person(room: Room, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def handle_edit(content: Any) -> dict[str, Any]:
        seen.append(content.get("person", "absent"))
        return {"kind": "result", "seq": content["seq"], "ok": True}

    monkeypatch.setattr(room.canvas, "handle_edit", handle_edit)
    ws = join(room)
    answer(ws, edit(1, "undo", person=KEY_B))  # before its presence: nobody
    ws.send(presence("ca", KEY_A, "Ana"))
    answer(ws, edit(2, "undo", person=KEY_B))  # someone else's key: replaced by its own
    answer(ws, edit(3, "undo"))  # none given: none added
    assert seen == [None, KEY_A, "absent"]


def test_a_page_that_missed_a_patch_gets_the_map_whole_on_asking(room: Room, plant: ValueStreamMap) -> None:
    ws = join(room)
    room.call(plant.update, "p2", cycle_time="55 s")
    ws.send(json.dumps({"kind": "refresh", "client": "c1", "rev": 0}))
    while True:
        [msg, *_] = frame(ws)
        if msg["kind"] == "state" and "scene" in msg["state"]:
            break
    state = msg["state"]
    assert [s["cycle_time"] for s in state["document"]["stream"] if s["id"] == "p2"] == [55]
    assert state["history"] == {"can_undo": True, "can_redo": False}
    ws.close()
