"""The workshop over the widget's channel: workshop messages, roles, the lock, the trait."""

from __future__ import annotations

from typing import Any

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.jupyter.presence import presence_for
from vsm_widget.jupyter.widget import FACILITATOR_WORKSHOP_OPS, PARTICIPANT_WORKSHOP_OPS, MapWidget

COACH, ANA, BEN = "c-coach", "c-ana", "c-ben"


def plant() -> ValueStreamMap:
    m = ValueStreamMap("Brackets")
    m.add_process("Cut", id="cut")
    m.add_process("Weld", id="weld")
    m.add_burst("Quick changeover", target="cut", id="k1")
    m.add_burst("Kanban", target="weld", id="k2")
    m.clear_history()
    return m


@pytest.fixture
def m() -> ValueStreamMap:
    m = plant()
    hub = presence_for(m)
    hub.join(COACH, key="c0" * 8, name="Coach", color="#1f77b4", role="facilitator")
    hub.join(ANA, key="a1" * 8, name="Ana Lima", color="#d62728", role="participant")
    hub.join(BEN, key="b2" * 8, name="Ben", color="#2ca02c", role="participant")
    return m


@pytest.fixture
def w(m: ValueStreamMap) -> MapWidget:
    return MapWidget(m)


def send(w: MapWidget, client: str, op: str, seq: int = 1, **fields: Any) -> dict[str, Any]:
    return w.handle_workshop({"kind": "workshop", "seq": seq, "client": client, "op": op, **fields})


def refused(result: dict[str, Any], field: str) -> str:
    assert result["ok"] is False, result
    assert result["error"]["field"] == field, result
    return str(result["error"]["reason"])


def test_a_vote_is_answered_to_its_client_and_shown_in_the_trait(w: MapWidget, m: ValueStreamMap) -> None:
    result = send(w, ANA, "vote", seq=7, burst="k1")
    assert result == {"kind": "workshop_result", "seq": 7, "client": ANA, "ok": True}
    ana = presence_for(m).participant(ANA)
    assert ana is not None
    assert w.workshop["votes"] == {"k1": {"total": 1, "by": {ana.id: 1}}}
    assert w.workshop["names"] == {ana.id: "Ana Lima"}
    assert m.votes().loc[0, "voters"] == "Ana Lima"


def test_a_fourth_dot_is_refused_and_counted_nowhere(w: MapWidget, m: ValueStreamMap) -> None:
    for seq in (1, 2, 3):
        assert send(w, BEN, "vote", seq=seq, burst="k2")["ok"]
    reason = refused(send(w, BEN, "vote", seq=4, burst="k1"), "dots")
    assert "3" in reason
    assert m.workshop.totals() == {"k2": 3}
    assert send(w, BEN, "unvote", seq=5, burst="k2")["ok"]
    assert send(w, BEN, "vote", seq=6, burst="k1")["ok"]
    assert m.workshop.totals() == {"k2": 2, "k1": 1}


@pytest.mark.parametrize(
    ("op", "fields"),
    [
        ("lock", {}),
        ("unlock", {}),
        ("timer_start", {"label": "Map the flows", "minutes": 5}),
        ("walk_start", {"direction": "forward"}),
        ("walk_next", {}),
        ("follow", {"on": True}),
        ("viewport", {"x": 0, "y": 0, "zoom": 1}),
        ("dots", {"dots": 5}),
        ("clear_votes", {}),
    ],
)
def test_the_facilitators_ops_are_refused_from_a_participant(
    w: MapWidget, m: ValueStreamMap, op: str, fields: dict[str, Any]
) -> None:
    before = m.workshop.to_dict()
    refused(send(w, ANA, op, **fields), "role")
    assert m.workshop.to_dict() == before
    assert op in FACILITATOR_WORKSHOP_OPS


def test_every_op_is_someones() -> None:
    assert set(PARTICIPANT_WORKSHOP_OPS) == {"vote", "unvote", "why", "remove_why"}
    assert not set(PARTICIPANT_WORKSHOP_OPS) & set(FACILITATOR_WORKSHOP_OPS)


def test_the_facilitator_runs_the_session(w: MapWidget, m: ValueStreamMap) -> None:
    assert send(w, COACH, "dots", dots=5)["ok"]
    assert send(w, COACH, "timer_start", label="Judge each step", minutes=2.5)["ok"]
    assert w.workshop["timer"]["seconds"] == 150
    assert send(w, COACH, "walk_start", direction="reverse")["ok"]
    assert w.workshop["walk"] == {"number": 1, "direction": "reverse", "step": "weld"}
    assert send(w, COACH, "walk_next")["ok"]
    assert w.workshop["walk"]["step"] == "cut"
    assert send(w, COACH, "follow", on=True)["ok"]
    assert send(w, COACH, "viewport", x=300, y=120, zoom=0.8)["ok"]
    assert w.workshop["viewport"] == {"x": 300, "y": 120, "zoom": 0.8}
    assert w.workshop["following"] is True
    assert w.workshop["dots"] == 5
    refused(send(w, COACH, "viewport", x=300, y=120, zoom=9), "zoom")
    refused(send(w, COACH, "timer_start", label="", minutes=5), "label")


def test_a_locked_map_refuses_a_participants_vote_and_why(w: MapWidget, m: ValueStreamMap) -> None:
    assert send(w, COACH, "lock")["ok"]
    assert w.workshop["locked"] is True
    reason = refused(send(w, ANA, "vote", burst="k1"), "lock")
    assert "the facilitator has locked the map" in reason
    refused(send(w, ANA, "why", step="cut", text="Why?"), "lock")
    assert m.workshop.totals() == {}
    assert m.workshop.whys() == []
    # The facilitator still may.
    assert send(w, COACH, "vote", burst="k1")["ok"]
    assert send(w, COACH, "unlock")["ok"]
    assert send(w, ANA, "vote", burst="k1")["ok"]
    assert m.workshop.totals() == {"k1": 2}


def test_a_why_goes_on_the_walks_step_by_default(w: MapWidget, m: ValueStreamMap) -> None:
    refused(send(w, ANA, "why", step=None, text="Why?"), "step")
    send(w, COACH, "walk_start", direction="forward")
    send(w, COACH, "walk_next")
    assert send(w, ANA, "why", step=None, text="Why does Weld wait for Cut?")["ok"]
    assert send(w, BEN, "why", step="cut", text="<script>x</script>")["ok"]
    whys = m.whys()
    assert list(whys["step"]) == ["cut", "weld"]
    assert list(whys["author"]) == ["Ben", "Ana Lima"]
    assert list(whys["walk"]) == [1, 1]
    assert w.workshop["whys"][1]["text"] == "<script>x</script>"
    refused(send(w, ANA, "why", step="cut", text="x" * 501), "why")


def test_only_the_asker_or_the_facilitator_removes_a_why(w: MapWidget, m: ValueStreamMap) -> None:
    send(w, ANA, "why", step="cut", text="One")
    send(w, ANA, "why", step="cut", text="Two")
    first, second = (why["id"] for why in m.workshop.whys())
    refused(send(w, BEN, "remove_why", id=first), "why")
    assert send(w, ANA, "remove_why", id=first)["ok"]
    assert send(w, COACH, "remove_why", id=second)["ok"]
    assert m.workshop.whys() == []
    refused(send(w, COACH, "remove_why", id=second), "why")


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"kind": "workshop", "seq": 1, "client": "nobody", "op": "vote", "burst": "k1"}, "client"),
        ({"kind": "workshop", "seq": 1, "client": ANA, "op": "vote"}, "burst"),
        ({"kind": "workshop", "seq": 1, "client": ANA, "op": "vote", "burst": 5}, "burst"),
        ({"kind": "workshop", "seq": 1, "client": ANA, "op": "vote", "burst": "k1", "dots": 3}, "dots"),
        ({"kind": "workshop", "seq": 1, "client": ANA, "op": "veto"}, "op"),
        ({"kind": "workshop", "seq": 1, "op": "vote", "burst": "k1"}, "client"),
        ({"kind": "workshop", "seq": 1, "client": COACH, "op": "follow", "on": "yes"}, "on"),
        ({"kind": "workshop", "seq": 1, "client": COACH, "op": "walk_start", "direction": "up"}, "direction"),
        ({"kind": "workshop", "seq": 1, "client": ANA, "op": "vote", "burst": "cut"}, "burst"),
    ],
)
def test_a_malformed_workshop_message_is_refused(
    w: MapWidget, m: ValueStreamMap, message: dict[str, Any], field: str
) -> None:
    before = m.workshop.to_dict()
    result = w.handle_workshop(message)
    refused(result, field)
    assert result["seq"] == 1
    assert m.workshop.to_dict() == before


def test_the_trait_follows_the_map_a_removed_burst_takes_its_votes(w: MapWidget, m: ValueStreamMap) -> None:
    send(w, ANA, "vote", burst="k2")
    assert "k2" in w.workshop["votes"]
    m.remove("k2")
    assert w.workshop["votes"] == {}
    m.undo()
    assert w.workshop["votes"]["k2"]["total"] == 1


def test_nothing_of_the_workshop_is_in_the_document_trait(w: MapWidget, m: ValueStreamMap) -> None:
    send(w, ANA, "vote", burst="k1")
    send(w, ANA, "why", step="cut", text="Why?")
    assert "workshop" not in w.document
    assert "Ana" not in str(w.document)


def test_the_front_end_cannot_write_the_trait(w: MapWidget) -> None:
    w.set_state({"workshop": {"locked": False, "votes": {"k1": {"total": 99}}}})
    assert w.workshop["votes"] == {}


def test_a_workshop_message_on_the_channel_is_answered(w: MapWidget, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    w._on_custom_msg(w, {"kind": "workshop", "seq": 3, "client": COACH, "op": "lock"}, [])
    assert sent == [{"kind": "workshop_result", "seq": 3, "client": COACH, "ok": True}]
    assert w.workshop["locked"] is True
