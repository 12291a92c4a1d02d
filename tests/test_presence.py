"""The presence hub: who is looking at a map, what each has selected, checked without a widget."""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vsm_widget import ValueStreamMap
from vsm_widget.core.errors import ValidationError
from vsm_widget.jupyter import presence as presence_module
from vsm_widget.jupyter.presence import (
    MAX_CLIENTS,
    TIMEOUT_SECONDS,
    Participant,
    Presence,
    clean_name,
    presence_for,
)

ANA = "0123456789abcdef0123456789abcdef"
BEN = "fedcba9876543210"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def plant(brackets: ValueStreamMap) -> ValueStreamMap:
    return brackets


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(plant: ValueStreamMap, clock: Clock) -> Presence:
    return Presence(plant, clock=clock)


def ana(hub: Presence, client: str = "c1", **options: Any) -> Participant:
    return hub.join(client, key=ANA, name="Ana Lima", color="#1F77B4", **options)


def refused(field: str) -> Any:
    return pytest.raises(ValidationError, match=rf"^{field}: ")


# --------------------------------------------------------------------------- one hub per map


def test_one_hub_per_map_gone_with_the_map(brackets: ValueStreamMap) -> None:
    m, twin = brackets.copy(), brackets.copy()
    assert m == twin  # maps compare by value; hubs go by identity
    hub = presence_for(m)
    assert presence_for(m) is hub
    assert presence_for(twin) is not hub
    count = len(presence_module._HUBS)
    del m
    gc.collect()
    assert len(presence_module._HUBS) == count - 1


def test_presence_for_takes_a_map() -> None:
    with pytest.raises(TypeError, match="ValueStreamMap"):
        presence_for({"title": "x"})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- who someone is


def test_a_person_id_is_a_keyed_hash_of_the_key_and_shared_by_their_tabs(
    hub: Presence, plant: ValueStreamMap
) -> None:
    first = ana(hub, "c1")
    second = hub.join("c2", key=ANA, name="Ana", color="#000000")
    other = hub.join("c3", key=BEN, name="Ben", color="#000000")
    expected = hmac.new(hub._secret, ANA.encode(), hashlib.sha256).hexdigest()[:12]
    assert first.id == second.id == expected
    assert other.id != first.id
    assert len(other.id) == 12
    assert set(other.id) <= set("0123456789abcdef")
    # Another hub has another secret: the id says nothing across maps.
    assert Presence(plant).person_id(ANA) != first.id


def test_the_key_is_never_in_what_views_get(hub: Presence) -> None:
    ana(hub)
    shown = hub.to_list()
    assert ANA not in json.dumps(shown)
    assert shown == [
        {
            "client": "c1",
            "id": hub.person_id(ANA),
            "name": "Ana Lima",
            "initials": "AL",
            "color": "#1f77b4",
            "role": "participant",
            "selection": [],
            "editing": None,
        }
    ]


def test_a_role_is_facilitator_or_participant(hub: Presence) -> None:
    assert ana(hub, role="facilitator").role == "facilitator"
    with refused("role"):
        ana(hub, "c2", role="coach")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given_name", "kept", "initials"),
    [
        ("  Ana \t\n  Lima ", "Ana Lima", "AL"),
        ("Ana\x00Lima", "Ana Lima", "AL"),
        ("ana", "ana", "A"),
        ("José María Ortega", "José María Ortega", "JO"),
        ("Ana\u00a0\u2003Lima", "Ana Lima", "AL"),
        ("x" * 40, "x" * 40, "X"),
    ],
)
def test_names_fold_as_the_canvas_folds_them(
    hub: Presence, given_name: str, kept: str, initials: str
) -> None:
    p = hub.join("c1", key=ANA, name=given_name, color="#000000")
    assert (p.name, p.initials) == (kept, initials)


@pytest.mark.parametrize("bad", ["", "   \n", "x" * 41, 42, None, "Ana\u202eLima", "Ana\ud800"])
def test_a_bad_name_is_refused_naming_it(hub: Presence, bad: Any) -> None:
    with refused("name"):
        hub.join("c1", key=ANA, name=bad, color="#000000")
    assert hub.participants() == ()


@pytest.mark.parametrize(
    ("field", "options"),
    [
        ("color", {"color": "red"}),
        ("color", {"color": "#12345"}),
        ("color", {"color": "#1234567"}),
        ("color", {"color": "#12345g"}),
        ("key", {"key": "0123456789abcde"}),  # 15 digits
        ("key", {"key": "0" * 65}),
        ("key", {"key": "0123456789abcdeg"}),
        ("key", {"key": None}),
        ("client", {"client": ""}),
        ("client", {"client": "a b"}),
        ("client", {"client": "c" * 65}),
        ("client", {"client": 7}),
    ],
)
def test_malformed_fields_are_refused_naming_them(hub: Presence, field: str, options: dict[str, Any]) -> None:
    given_fields = {"client": "c1", "key": ANA, "name": "Ana", "color": "#000000", **options}
    client = given_fields.pop("client")
    with refused(field):
        hub.join(client, **given_fields)
    assert hub.participants() == ()


def test_a_client_cannot_be_taken_by_another_person(hub: Presence) -> None:
    ana(hub)
    hub.update("c1", selection=["p1"])
    with refused("client"):
        hub.join("c1", key=BEN, name="Ben", color="#000000")
    assert hub.participant("c1").name == "Ana Lima"  # type: ignore[union-attr]
    # The same person joining again (a reconnect) keeps what they had selected.
    again = hub.join("c1", key=ANA, name="Ana L", color="#000000")
    assert (again.name, again.selection) == ("Ana L", ("p1",))


def test_at_most_a_hundred_clients(hub: Presence) -> None:
    for i in range(MAX_CLIENTS):
        hub.join(f"c{i}", key=BEN, name=f"Ben {i}", color="#000000")
    with refused("client"):
        hub.join("one-more", key=ANA, name="Ana", color="#000000")
    hub.join("c5", key=BEN, name="Ben again", color="#000000")  # one already here may join again
    hub.leave("c0")
    ana(hub, "one-more")
    assert len(hub.participants()) == MAX_CLIENTS


# --------------------------------------------------------------------------- what they select


def test_a_selection_keeps_known_ids_in_order_once(hub: Presence) -> None:
    ana(hub)
    p = hub.update("c1", selection=["p2", "nope", "p1", "p2", "map"])
    assert p.selection == ("p2", "p1")
    assert hub.to_list()[0]["selection"] == ["p2", "p1"]


@pytest.mark.parametrize("bad", ["p1", [1], 5])
def test_a_selection_that_is_no_list_of_ids_is_refused(hub: Presence, bad: Any) -> None:
    ana(hub)
    hub.update("c1", selection=["p1"])
    with refused("selection"):
        hub.update("c1", selection=bad)
    assert hub.participant("c1").selection == ("p1",)  # type: ignore[union-attr]


def test_editing_is_an_id_of_the_map_or_nothing(hub: Presence) -> None:
    ana(hub)
    assert hub.update("c1", editing="p2").editing == "p2"
    assert hub.update("c1", selection=["p1"]).editing == "p2"  # left out: stays
    assert hub.update("c1", editing=None).editing is None  # None: cleared
    assert hub.update("c1", editing="gone").editing is None
    with refused("editing"):
        hub.update("c1", editing=3)  # type: ignore[arg-type]


def test_a_bad_update_changes_nothing(hub: Presence) -> None:
    ana(hub)
    before = hub.update("c1", selection=["p1"], editing="p1")
    with refused("color"):
        hub.update("c1", name="Someone else", color="blue", selection=["p2"])
    assert hub.participant("c1") == before


def test_an_update_of_a_client_not_here_is_refused(hub: Presence) -> None:
    with refused("client"):
        hub.update("c9", selection=["p1"])


def test_what_the_map_loses_leaves_every_selection(hub: Presence, plant: ValueStreamMap) -> None:
    ana(hub)
    hub.join("c2", key=BEN, name="Ben", color="#000000")
    hub.update("c1", selection=["p1", "p2"], editing="p2")
    hub.update("c2", selection=["p2"])
    calls: list[int] = []
    hub.observe(lambda: calls.append(1))
    plant.remove("p2")
    assert hub.participant("c1").selection == ("p1",)  # type: ignore[union-attr]
    assert hub.participant("c1").editing is None  # type: ignore[union-attr]
    assert hub.participant("c2").selection == ()  # type: ignore[union-attr]
    assert calls == [1]


def test_the_hub_follows_the_map_only_while_someone_is_here(hub: Presence, plant: ValueStreamMap) -> None:
    before = len(plant._observers)
    ana(hub)
    assert len(plant._observers) == before + 1
    hub.leave("c1")
    assert len(plant._observers) == before


# --------------------------------------------------------------------------- observers and time


def test_observers_hear_changes_and_not_heartbeats(hub: Presence, clock: Clock) -> None:
    seen: list[list[str]] = []
    stop = hub.observe(lambda: seen.append([p["name"] for p in hub.to_list()]))
    ana(hub)
    clock.now += 5
    hub.update("c1")  # a heartbeat: nothing views show changed
    hub.update("c1", selection=[])  # nor here
    hub.update("c1", selection=["p1"])
    hub.leave("c1")
    hub.leave("c1")  # not here any more: nothing to tell
    assert seen == [["Ana Lima"], ["Ana Lima"], []]
    stop()
    ana(hub)
    assert len(seen) == 3


def test_a_client_silent_for_a_minute_is_dropped(hub: Presence, clock: Clock) -> None:
    ana(hub)
    hub.join("c2", key=BEN, name="Ben", color="#000000")
    calls: list[int] = []
    hub.observe(lambda: calls.append(1))
    clock.now += TIMEOUT_SECONDS / 2
    hub.update("c2")  # Ben's heartbeat
    clock.now += TIMEOUT_SECONDS / 2
    hub.expire()
    assert [p.client for p in hub.participants()] == ["c1", "c2"]  # exactly a minute: kept
    clock.now += 0.5
    hub.expire()
    assert [p.client for p in hub.participants()] == ["c2"]
    assert calls == [1]
    # A dropped client joins again as new.
    assert ana(hub).seen == clock.now


def test_seen_is_the_hub_clock(hub: Presence, clock: Clock) -> None:
    assert ana(hub).seen == 1000.0
    clock.now = 1012.5
    assert hub.update("c1").seen == 1012.5


# --------------------------------------------------------------------------- names, at large


@given(st.text(max_size=80))
def test_any_text_is_a_clean_name_or_refused_naming_name(text: str) -> None:
    try:
        name = clean_name(text)
    except ValidationError as error:
        refusal = error
    else:
        refusal = None
    if refusal is not None:
        assert refusal.field == "name"
        return
    assert 1 <= len(name) <= 40
    assert name.isprintable()
    assert name == name.strip()
    assert "  " not in name
    assert clean_name(name) == name  # already clean stays as it is
