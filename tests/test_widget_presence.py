"""Presence messages of the notebook's canvases: every view of a map sees every other one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.data import io
from vsm_widget.jupyter.presence import presence_for
from vsm_widget.jupyter.widget import MapWidget

KEY = "0123456789abcdef"
OTHER_KEY = "fedcba9876543210"


def hello(client: str = "v1", key: str = KEY, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "presence",
        "client": client,
        "key": key,
        "name": "Ana Lima",
        "color": "#d62728",
        **fields,
    }


class Sent:
    """What a widget sends to its front end (custom messages)."""

    def __init__(self, widget: MapWidget, monkeypatch: pytest.MonkeyPatch) -> None:
        self.messages: list[Any] = []
        monkeypatch.setattr(widget, "send", lambda content, buffers=None: self.messages.append(content))


@pytest.fixture
def plant(brackets: ValueStreamMap) -> ValueStreamMap:
    return brackets


def test_every_canvas_of_a_map_sees_a_view_of_another(plant: ValueStreamMap) -> None:
    one, two = MapWidget(plant), MapWidget(plant)
    one._on_custom_msg(one, hello(selection=["p2", "nope"], editing="p1"), [])
    assert two.presence == [
        {
            "client": "v1",
            "id": presence_for(plant).person_id(KEY),
            "name": "Ana Lima",
            "initials": "AL",
            "color": "#d62728",
            "role": "facilitator",  # a view in the notebook has the kernel
            "selection": ["p2"],
            "editing": "p1",
        }
    ]
    assert one.presence == two.presence
    assert KEY not in json.dumps(two.presence)


def test_presence_is_not_the_map(plant: ValueStreamMap) -> None:
    w = MapWidget(plant)
    document = w.document
    w.handle_presence(hello(selection=["p1"]))
    assert w.revision == 0
    assert w.history == {"can_undo": False, "can_redo": False}
    assert w.document == document == io.to_document(plant.state)
    assert w.selection == []  # the widget's own selection is another thing


def test_an_update_and_a_leave(plant: ValueStreamMap) -> None:
    w = MapWidget(plant)
    w.handle_presence(hello(selection=["p1"]))
    assert w.handle_presence(hello(name="Ana", selection=["p1", "p2"])) is None
    assert [(p["name"], p["initials"], p["selection"]) for p in w.presence] == [("Ana", "A", ["p1", "p2"])]
    w.handle_presence(hello(editing="p2"))  # no selection given: it stays
    assert (w.presence[0]["selection"], w.presence[0]["editing"]) == (["p1", "p2"], "p2")
    w.handle_presence({"kind": "presence", "client": "v1", "leave": True})
    assert w.presence == []


def test_a_removed_element_leaves_the_presence(plant: ValueStreamMap) -> None:
    w = MapWidget(plant)
    w.handle_presence(hello(selection=["p1", "p2"]))
    plant.remove("p2")
    assert w.presence[0]["selection"] == ["p1"]


def test_another_person_cannot_take_a_views_client(
    plant: ValueStreamMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = MapWidget(plant)
    sent = Sent(w, monkeypatch)
    w._on_custom_msg(w, hello(selection=["p1"]), [])
    w._on_custom_msg(w, hello(key=OTHER_KEY, name="Mallory"), [])
    [refusal] = sent.messages
    assert (refusal["kind"], refusal["ok"], refusal["error"]["field"]) == ("presence", False, "client")
    assert "another person" in refusal["error"]["reason"]
    assert w.presence[0]["name"] == "Ana Lima"


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"kind": "presence", "client": "v1", "name": "Ana", "color": "#000000"}, "key"),
        (hello(name=7), "name"),
        (hello(name="   "), "name"),
        (hello(color="#fff"), "color"),
        (hello(selection=[1, 2]), "selection"),
        (hello(editing=["p1"]), "editing"),
        (hello(where="p1"), "where"),
        (hello(client="not a client id"), "client"),
        (["presence"], "message"),
    ],
)
def test_a_bad_presence_is_answered_naming_the_field(
    plant: ValueStreamMap, monkeypatch: pytest.MonkeyPatch, message: Any, field: str
) -> None:
    w = MapWidget(plant)
    sent = Sent(w, monkeypatch)
    if isinstance(message, list):
        assert w.handle_presence(message) == {
            "kind": "presence",
            "ok": False,
            "error": {"field": field, "reason": "a presence message is a JSON object"},
        }
        return
    w._on_custom_msg(w, message, [])
    [refusal] = sent.messages
    assert (refusal["kind"], refusal["ok"], refusal["error"]["field"]) == ("presence", False, field)
    assert w.presence == []


def test_the_front_end_cannot_write_presence(plant: ValueStreamMap, monkeypatch: pytest.MonkeyPatch) -> None:
    w = MapWidget(plant)
    resent: list[Any] = []
    monkeypatch.setattr(w, "send_state", lambda names=None: resent.append(names))
    w.set_state({"presence": [{"client": "x", "name": "Fake"}]})
    assert w.presence == []
    assert resent == [["presence"]]


def test_a_closed_widget_takes_its_views_with_it(plant: ValueStreamMap) -> None:
    one, two = MapWidget(plant), MapWidget(plant)
    one.handle_presence(hello("v1"))
    two.handle_presence(hello("v2", key=OTHER_KEY))
    one.close()
    assert [p["client"] for p in two.presence] == ["v2"]
    two.close()
    assert presence_for(plant).participants() == ()
