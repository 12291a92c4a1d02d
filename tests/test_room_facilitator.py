"""The facilitator in a live room, over real sockets: the facilitator's link, roles, the lock,
and the workshop's state reaching every participant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from test_room import _OPEN, TIMEOUT, answer, close_participants, edit, frame, join, share  # noqa: F401
from vsm_widget import ValueStreamMap
from vsm_widget.jupyter.room import Room


@pytest.fixture
def plant() -> ValueStreamMap:
    m = ValueStreamMap("Brackets")
    m.add_process("Cut", cycle_time="30 s", id="cut")
    m.add_process("Weld", cycle_time="40 s", id="weld")
    m.add_burst("Quick changeover", target="cut", id="k1")
    m.clear_history()
    return m


@pytest.fixture
def room(plant: ValueStreamMap) -> Iterator[Room]:
    opened = share(plant)
    yield opened
    opened.close()


def join_as_facilitator(room: Room) -> websocket.WebSocket:
    url = room.facilitator_url.replace("http://", "ws://") + "ws"
    ws = websocket.create_connection(url, timeout=TIMEOUT)
    _OPEN.append(ws)
    first = frame(ws)
    ws.state = first[0]  # type: ignore[attr-defined]
    return ws


def workshop(seq: int, client: str, op: str, **fields: Any) -> str:
    return json.dumps({"kind": "workshop", "seq": seq, "client": client, "op": op, **fields})


def workshop_state(ws: websocket.WebSocket) -> dict[str, Any]:
    """The next workshop state the room sends this socket."""
    while True:
        for msg in frame(ws):
            if msg["kind"] == "state" and "workshop" in msg["state"]:
                return dict(msg["state"]["workshop"])


def test_the_facilitators_link_has_a_token_of_its_own(room: Room) -> None:
    assert room.facilitator_url != room.url
    token = room.facilitator_url.rstrip("/").rsplit("/", 1)[1]
    assert token not in room.url
    assert len(token) >= 32
    coach = join_as_facilitator(room)
    assert coach.state["room"] == {"edit": True, "role": "facilitator"}  # type: ignore[attr-defined]
    ana = join(room)
    assert ana.state["room"]["role"] == "participant"  # type: ignore[attr-defined]
    assert ana.state["state"]["workshop"]["locked"] is False  # type: ignore[attr-defined]


def test_a_facilitators_op_from_a_participant_is_refused(room: Room, plant: ValueStreamMap) -> None:
    ana = join(room)
    for seq, (op, fields) in enumerate(
        [
            ("lock", {}),
            ("walk_start", {"direction": "forward"}),
            ("timer_start", {"label": "x", "minutes": 1}),
        ]
    ):
        result = answer(ana, workshop(seq, "c-ana", op, **fields))
        assert (result["seq"], result["ok"], result["error"]["field"]) == (seq, False, "role")
    assert not plant.workshop.locked
    assert plant.workshop.walk is None
    assert plant.workshop.timer is None


def test_the_facilitator_locks_from_the_link_and_everyone_hears(room: Room, plant: ValueStreamMap) -> None:
    coach = join_as_facilitator(room)
    ana = join(room)
    result = answer(coach, workshop(1, "c-coach", "lock"))
    assert result == {"kind": "workshop_result", "seq": 1, "client": "c-coach", "ok": True}
    assert workshop_state(ana)["locked"] is True
    assert room.locked


def test_a_locked_map_refuses_a_participants_edit_with_a_clear_message(
    room: Room, plant: ValueStreamMap
) -> None:
    ana = join(room)
    coach = join_as_facilitator(room)
    room.lock()
    assert workshop_state(ana)["locked"] is True
    before = plant.state
    for seq, message in enumerate(
        [
            edit(1, "update", id="cut", field="cycle_time", value="9 s"),
            edit(2, "undo"),
            edit(3, "remove", id="k1"),
        ]
    ):
        result = answer(ana, message)
        assert (result["ok"], result["error"]["field"]) == (False, "lock")
        assert "the facilitator has locked the map" in result["error"]["reason"]
        assert seq >= 0
    assert plant.state is before
    # The facilitator's link still edits.
    assert answer(coach, edit(4, "update", id="cut", field="cycle_time", value="25 s"))["ok"]
    assert plant.get("cut").cycle_time == 25
    room.unlock()
    assert workshop_state(ana)["locked"] is False
    assert answer(ana, edit(5, "update", id="cut", field="cycle_time", value="20 s"))["ok"]
    assert plant.get("cut").cycle_time == 20


def test_python_changes_of_the_workshop_reach_the_room(room: Room, plant: ValueStreamMap) -> None:
    ana = join(room)
    room.call(plant.workshop.timer_start, "Map the flows", 10)
    timer = workshop_state(ana)["timer"]
    assert (timer["label"], timer["seconds"], timer["running"]) == ("Map the flows", 600, True)
    room.call(plant.workshop.walk_start)
    assert workshop_state(ana)["walk"] == {"number": 1, "direction": "forward", "step": "cut"}


def test_a_workshop_message_is_bounded_like_any_other(room: Room, plant: ValueStreamMap) -> None:
    coach = join_as_facilitator(room)
    result = answer(coach, workshop(1, "c-coach", "timer_start", label="x" * 70_000, minutes=1))
    assert (result["ok"], result["error"]["field"]) == (False, "message")
    result = answer(coach, workshop(2, "c-coach", "lock", extra=1))
    assert (result["ok"], result["error"]["field"]) == (False, "extra")
    assert not plant.workshop.locked


def test_nobody_votes_or_asks_as_another_view(room: Room, plant: ValueStreamMap) -> None:
    join_as_facilitator(room)
    ana = join(room)
    # A client id the room has not bound to this connection (another view's, seen in presence).
    for seq, (op, fields) in enumerate([("vote", {"burst": "k1"}), ("why", {"step": "cut", "text": "Why?"})]):
        result = answer(ana, workshop(seq, "c-coach", op, **fields))
        assert (result["seq"], result["ok"], result["error"]["field"]) == (seq, False, "client")
    assert plant.workshop.totals() == {}
    assert plant.workshop.whys() == []


def present(ws: websocket.WebSocket, client: str, key: str, name: str) -> None:
    ws.send(json.dumps({"kind": "presence", "client": client, "key": key, "name": name, "color": "#1f77b4"}))


def test_a_vote_counts_once_per_dot_and_reaches_everyone(room: Room, plant: ValueStreamMap) -> None:
    ana, ben = join(room), join(room)
    present(ana, "c-ana", "a1" * 8, "Ana")
    for seq in (1, 2, 3):
        assert answer(ana, workshop(seq, "c-ana", "vote", burst="k1"))["ok"]
    result = answer(ana, workshop(4, "c-ana", "vote", burst="k1"))
    assert (result["ok"], result["error"]["field"]) == (False, "dots")
    assert plant.workshop.totals() == {"k1": 3}
    seen = workshop_state(ben)
    while seen["votes"].get("k1", {}).get("total") != 3:
        seen = workshop_state(ben)
    assert plant.votes().loc[0, "voters"] == "Ana (3)"


def test_the_facilitators_link_joins_as_the_facilitator(room: Room, plant: ValueStreamMap) -> None:
    coach = join_as_facilitator(room)
    present(coach, "c-coach", "c0" * 8, "Coach")
    room.lock()
    # A facilitator votes and asks while the map is locked; the participants may not.
    assert answer(coach, workshop(1, "c-coach", "vote", burst="k1"))["ok"]
    assert answer(coach, workshop(2, "c-coach", "walk_start", direction="forward"))["ok"]
    assert answer(coach, workshop(3, "c-coach", "why", step=None, text="Why a batch of 200?"))["ok"]
    ana = join(room)
    present(ana, "c-ana", "a1" * 8, "Ana")
    result = answer(ana, workshop(4, "c-ana", "why", step=None, text="Why?"))
    assert (result["ok"], result["error"]["field"]) == (False, "lock")
    whys = plant.whys()
    assert list(whys["author"]) == ["Coach"]
    assert list(whys["step"]) == ["cut"]
