"""The workshop of a map: dot votes, walks and whys, timer, lock, follow, and what is saved."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core.workshop import WORKSHOP_STEPS, Workshop
from vsm_widget.data import io


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def workshop_map() -> ValueStreamMap:
    """Main line Cut -> Weld -> Pack, a feeder (Buy -> Kit) into Weld, and three bursts."""
    m = ValueStreamMap("Brackets")
    m.add_process("Cut", id="cut")
    m.add_process("Weld", id="weld")
    m.add_process("Pack", id="pack")
    feeder = m.add_branch("weld", name="Purchased parts")
    feeder.add_process("Buy", id="buy")
    feeder.add_process("Kit", id="kit")
    m.add_burst("Quick changeover", target="cut", id="k_smed")
    m.add_burst("Kanban", target="weld", id="k_kanban")
    m.add_burst("5S", id="k_5s")
    return m


def refused(field: str, fn: Any, *args: Any, **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        fn(*args, **kwargs)
    assert caught.value.field == field, caught.value
    return caught.value


# ----------------------------------------------------------------- dot voting


def test_each_person_has_three_dots_and_a_fourth_is_refused() -> None:
    m = workshop_map()
    w = m.workshop
    w.vote("k_smed", "ana", "Ana")
    w.vote("k_smed", "ana", "Ana")
    w.vote("k_kanban", "ana", "Ana")
    before = w.to_dict()
    error = refused("dots", w.vote, "k_5s", "ana", "Ana")
    assert "3" in error.reason
    assert w.to_dict() == before
    assert w.totals() == {"k_smed": 2, "k_kanban": 1}
    assert w.dots_left("ana") == 0
    assert w.dots_left("ben") == 3


def test_a_vote_on_no_burst_is_refused_naming_burst() -> None:
    w = workshop_map().workshop
    refused("burst", w.vote, "cut", "ana", "Ana")  # a step, not a burst
    refused("burst", w.vote, "nowhere", "ana", "Ana")
    refused("person", w.vote, "k_5s", "", "Ana")
    refused("name", w.vote, "k_5s", "ana", "A\x00na")
    refused("name", w.vote, "k_5s", "ana", "x" * 41)
    assert w.totals() == {}


def test_unvote_gives_the_dot_back() -> None:
    w = workshop_map().workshop
    w.vote("k_smed", "ana", "Ana")
    w.vote("k_smed", "ben", "Ben")
    w.unvote("k_smed", "ana")
    assert w.totals() == {"k_smed": 1}
    assert w.voters("k_smed") == {"ben": 1}
    assert w.dots_left("ana") == 3
    refused("burst", w.unvote, "k_smed", "ana")
    refused("burst", w.unvote, "k_5s", "ben")


def test_dots_can_be_changed_within_1_to_20() -> None:
    w = workshop_map().workshop
    for bad in (0, 21, 2.5, True, "3", None):
        refused("dots", w.set_dots, bad)
    assert w.dots == 3
    w.vote("k_smed", "ana", "Ana")
    w.vote("k_smed", "ana", "Ana")
    w.dots = 1
    # Dots already given stay; the person has none left until they take one back.
    assert w.totals() == {"k_smed": 2}
    assert w.dots_left("ana") == 0
    w.dots = 20
    assert w.dots_left("ana") == 18


def test_dots_on_a_removed_burst_come_back_and_return_with_undo() -> None:
    m = workshop_map()
    w = m.workshop
    w.vote("k_5s", "ana", "Ana")
    w.vote("k_5s", "ana", "Ana")
    m.remove("k_5s")
    assert w.totals() == {}
    assert w.dots_left("ana") == 3
    m.undo()
    assert w.totals() == {"k_5s": 2}
    assert w.dots_left("ana") == 1


def test_clear_votes_gives_everyone_every_dot() -> None:
    w = workshop_map().workshop
    w.vote("k_smed", "ana", "Ana")
    w.vote("k_5s", "ben", "Ben")
    w.clear_votes()
    assert w.totals() == {}
    assert (w.dots_left("ana"), w.dots_left("ben")) == (3, 3)


def test_votes_frame_lists_every_burst_most_votes_first() -> None:
    m = workshop_map()
    w = m.workshop
    for person, name, burst in [
        ("ana", "Ana", "k_5s"),
        ("ana", "Ana", "k_5s"),
        ("ben", "Ben", "k_5s"),
        ("ben", "Ben", "k_kanban"),
    ]:
        w.vote(burst, person, name)
    frame = m.votes()
    assert list(frame.columns) == ["burst", "text", "on", "on_name", "votes", "voters"]
    assert list(frame["burst"]) == ["k_5s", "k_kanban", "k_smed"]
    assert list(frame["votes"]) == [3, 1, 0]
    assert frame.loc[0, "voters"] == "Ana (2), Ben"
    assert frame.loc[1, "on_name"] == "Weld"
    assert frame.loc[2, "voters"] == ""
    assert frame["votes"].sum() == 4


# ----------------------------------------------------------------- the walk


def test_a_walk_goes_main_line_first_then_each_branch() -> None:
    w = workshop_map().workshop
    assert w.order() == ("cut", "weld", "pack", "buy", "kit")
    assert w.walk_start() == 1
    seen = [w.current]
    for _ in range(6):  # one more than there are steps: the last stays
        seen.append(w.walk_next())
    assert seen == ["cut", "weld", "pack", "buy", "kit", "kit", "kit"]
    assert w.walk_back() == "buy"
    w.walk_stop()
    assert w.walk is None
    assert w.current is None


def test_a_reverse_walk_starts_at_the_last_step() -> None:
    w = workshop_map().workshop
    w.walk_start()
    assert w.walk_start("reverse") == 2
    assert w.walk == {"number": 2, "direction": "reverse", "step": "kit"}
    assert [w.walk_next(), w.walk_next()] == ["buy", "pack"]
    assert w.walk_back() == "buy"
    refused("direction", w.walk_start, "sideways")
    assert w.walk is not None
    assert w.walk["number"] == 2


def test_a_walk_skips_a_step_removed_under_it() -> None:
    m = workshop_map()
    w = m.workshop
    w.walk_start()
    w.walk_next()
    assert w.walk_next() == "pack"
    m.remove("pack")
    assert w.current == "buy"  # the step now in its place
    assert w.walk_next() == "kit"
    assert w.walk_back() == "buy"
    assert w.walk_back() == "weld"


def test_stepping_without_a_walk_is_refused() -> None:
    w = workshop_map().workshop
    refused("walk", w.walk_next)
    refused("walk", w.walk_back)


# ----------------------------------------------------------------- whys


def test_whys_chain_on_a_step_with_their_walk_and_time() -> None:
    m = workshop_map()
    w = m.workshop
    clock = Clock()
    w.clock = clock
    w.add_why("weld", "Why does it wait?", "Ana")  # outside a walk
    w.walk_start()
    clock.now += 90
    w.add_why("weld", "Why is the fixture shared?", "Ben")
    w.walk_start("reverse")
    w.add_why("cut", "Why so many changeovers?", "Ana")
    frame = m.whys()
    assert list(frame.columns) == ["step", "step_name", "walk", "order", "why", "author", "asked_at"]
    # In the walk's order of steps: Cut before Weld.
    assert list(frame["step"]) == ["cut", "weld", "weld"]
    assert list(frame["order"]) == [1, 1, 2]
    assert frame["walk"].tolist() == [2, pd.NA, 1]
    assert frame.loc[2, "why"] == "Why is the fixture shared?"
    assert frame.loc[2, "asked_at"] == pd.Timestamp(1_700_000_090, unit="s", tz="UTC")


def test_a_why_is_checked() -> None:
    w = workshop_map().workshop
    refused("why", w.add_why, "cut", "", "Ana")
    refused("why", w.add_why, "cut", "   ", "Ana")
    refused("why", w.add_why, "cut", "x" * 501, "Ana")
    refused("why", w.add_why, "cut", "a\x07b", "Ana")
    refused("step", w.add_why, "k_smed", "Why?", "Ana")  # a burst is not a step
    refused("author", w.add_why, "cut", "Why?", 5)
    assert w.whys() == []
    why = w.add_why("cut", "x" * 500, "Ana")
    assert len(why["text"]) == 500


def test_remove_why() -> None:
    w = workshop_map().workshop
    first = w.add_why("cut", "One", "Ana")
    w.add_why("cut", "Two", "Ana")
    w.remove_why(first["id"])
    assert [why["text"] for why in w.whys("cut")] == ["Two"]
    refused("why", w.remove_why, first["id"])


def test_markup_in_a_why_is_kept_as_text() -> None:
    w = workshop_map().workshop
    w.add_why("cut", "<img src=x onerror=alert(1)>", "<b>Ana</b>")
    assert w.to_dict()["whys"][0]["text"] == "<img src=x onerror=alert(1)>"
    assert w.to_dict()["whys"][0]["author"] == "<b>Ana</b>"


# ----------------------------------------------------------------- timer, lock, follow


def test_timer_counts_down_pauses_and_resumes() -> None:
    clock = Clock(1000.0)
    w = Workshop(workshop_map(), clock=clock)
    assert w.timer is None
    w.timer_start(WORKSHOP_STEPS[4], 5)
    assert w.timer == {"label": "Collect process data", "seconds": 300.0, "remaining": 300.0,
                       "running": True, "ends_at": 1300.0}  # fmt: skip
    clock.now = 1060.0
    assert w.timer is not None
    assert w.timer["remaining"] == 240.0
    w.timer_pause()
    clock.now = 1160.0
    assert w.timer["remaining"] == 240.0
    assert w.timer["running"] is False
    assert w.timer["ends_at"] is None
    w.timer_resume()
    assert w.timer["ends_at"] == 1400.0
    clock.now = 2000.0
    assert w.timer["remaining"] == 0.0
    w.timer_stop()
    assert w.timer is None
    refused("timer", w.timer_pause)
    refused("timer", w.timer_resume)


def test_timer_values_are_checked() -> None:
    w = workshop_map().workshop
    for bad in (0, -1, math.nan, math.inf, 481, "5", True, None):
        refused("minutes", w.timer_start, "Map the flows", bad)
    refused("label", w.timer_start, "", 5)
    refused("label", w.timer_start, "x" * 81, 5)
    assert w.timer is None
    assert len(WORKSHOP_STEPS) == 10
    # The views offer the timer these steps: they get them with the workshop, as data.
    assert w.to_dict()["steps"] == list(WORKSHOP_STEPS)


def test_lock_follow_and_viewport() -> None:
    w = workshop_map().workshop
    ops: list[str] = []
    stop = w.observe(ops.append)
    w.lock()
    w.lock()  # already locked: no change, no notice
    assert w.locked
    w.follow(True)
    w.set_viewport(120.5, -40, 1.5)
    assert w.viewport == {"x": 120.5, "y": -40.0, "zoom": 1.5}
    for field, args in [("zoom", (0, 0, 0.05)), ("zoom", (0, 0, 4)), ("x", (math.nan, 0, 1)),
                        ("y", (0, 2e6, 1)), ("x", ("0", 0, 1))]:  # fmt: skip
        refused(field, w.set_viewport, *args)
    refused("follow", w.follow, "yes")
    assert w.viewport == {"x": 120.5, "y": -40.0, "zoom": 1.5}
    w.unlock()
    stop()
    w.lock()
    assert ops == ["lock", "follow", "viewport", "unlock"]


def test_an_observer_error_reaches_the_caller_after_every_observer() -> None:
    w = workshop_map().workshop
    heard: list[str] = []

    def broken(op: str) -> None:
        raise RuntimeError("observer")

    w.observe(broken)
    w.observe(heard.append)
    with pytest.raises(RuntimeError):
        w.lock()
    assert heard == ["lock"]
    assert w.locked


def test_to_dict_is_json() -> None:
    m = workshop_map()
    w = m.workshop
    w.vote("k_smed", "ana", "Ana")
    w.walk_start()
    w.add_why("cut", "Why?", "Ana")
    w.timer_start("Map the flows", 10)
    w.set_viewport(1, 2, 1)
    data = json.loads(json.dumps(w.to_dict(), allow_nan=False))
    assert data["votes"] == {"k_smed": {"total": 1, "by": {"ana": 1}}}
    assert data["used"] == {"ana": 1}
    assert data["names"] == {"ana": "Ana"}
    assert data["walk"] == {"number": 1, "direction": "forward", "step": "cut"}
    assert data["timer"]["label"] == "Map the flows"


# ----------------------------------------------------------------- what is saved


def busy_map() -> ValueStreamMap:
    m = workshop_map()
    w = m.workshop
    w.clock = Clock()
    w.vote("k_smed", "ana", "Ana")
    w.vote("k_smed", "ana", "Ana")
    w.vote("k_kanban", "ben", "Ben")
    w.walk_start()
    w.add_why("weld", "Why a shared fixture?", "Ben")
    w.lock()
    w.timer_start("Review the map", 15)
    w.follow(True)
    return m


def test_a_plain_save_holds_nothing_of_the_workshop(tmp_path: Path) -> None:
    m = busy_map()
    assert "workshop" not in io.to_document(m)
    assert "workshop" not in m.to_dict()
    m.save(tmp_path / "plain.json")
    text = (tmp_path / "plain.json").read_text()
    assert "workshop" not in json.loads(text)
    assert "Ana" not in text
    loaded = ValueStreamMap.load(tmp_path / "plain.json")
    assert loaded.workshop.totals() == {}


def test_a_save_with_the_workshop_keeps_votes_and_whys_only(tmp_path: Path) -> None:
    m = busy_map()
    path = tmp_path / "session.json"
    m.save(path, workshop=True)
    document = json.loads(path.read_text())
    assert set(document["workshop"]) == {"votes", "whys"}
    loaded = ValueStreamMap.load(path)
    assert loaded.workshop.totals() == {"k_smed": 2, "k_kanban": 1}
    assert loaded.workshop.dots_left("ana") == 1
    pd.testing.assert_frame_equal(loaded.votes(), m.votes())
    pd.testing.assert_frame_equal(loaded.whys(), m.whys())
    # Never the lock, the timer, the walk or follow mode.
    assert not loaded.workshop.locked
    assert loaded.workshop.timer is None
    assert loaded.workshop.walk is None
    assert not loaded.workshop.following
    # Walks go on numbering after the ones recorded.
    assert loaded.workshop.walk_start() == 2
    assert loaded == m


def test_to_document_with_the_workshop_needs_the_map() -> None:
    m = busy_map()
    with pytest.raises(TypeError):
        io.to_document(m.state, workshop=True)
    assert io.to_document(m, workshop=True)["workshop"] == m.workshop.record()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["workshop"]["votes"][0].update(dots=0), "$.workshop.votes[0].dots"),
        (lambda d: d["workshop"]["votes"][0].update(burst="cut"), "$.workshop.votes[0].burst"),
        (lambda d: d["workshop"]["whys"][0].update(text=""), "$.workshop.whys[0].text"),
        (lambda d: d["workshop"]["whys"][0].update(step="nowhere"), "$.workshop.whys[0].step"),
        (lambda d: d["workshop"].update(lock=True), "$.workshop"),
        (
            lambda d: d["workshop"]["votes"].extend([dict(d["workshop"]["votes"][0], dots=19)]),
            "$.workshop.votes[2].dots",
        ),
    ],
)
def test_a_bad_workshop_record_is_refused_naming_its_place(change: Any, field: str) -> None:
    document = io.to_document(busy_map(), workshop=True)
    change(document)
    with pytest.raises(ValidationError) as caught:
        io.from_document(document)
    assert caught.value.field.startswith(field), caught.value


def test_the_shipped_schema_allows_the_workshop_key() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(Path(io.__file__).with_name("schema").joinpath("vsm-map.schema.json").read_text())
    document = io.to_document(busy_map(), workshop=True)
    jsonschema.validate(document, schema)
    document["workshop"]["votes"][0]["dots"] = 21
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_a_refused_record_leaves_the_workshop_as_it_was() -> None:
    m = busy_map()
    before = m.workshop.to_dict()
    record = m.workshop.record()
    record["whys"].append({"step": "cut", "text": "ok", "author": "", "walk": None, "at": -1})
    refused("workshop.whys[1].at", m.workshop.from_record, record)
    assert m.workshop.to_dict() == before


# ----------------------------------------------------------------- property


BURSTS = ["k_smed", "k_kanban", "k_5s", "cut", "nowhere"]
PEOPLE = ["ana", "ben", "cy"]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4),
    st.lists(st.tuples(st.booleans(), st.sampled_from(BURSTS), st.sampled_from(PEOPLE)), max_size=40),
)
def test_votes_follow_a_simple_count(dots: int, moves: list[tuple[bool, str, str]]) -> None:
    """Random votes and unvotes against a plain count: a dot is taken exactly when the
    burst exists and the person has one left, given back exactly when they have one on it.
    """
    m = workshop_map()
    w = m.workshop
    w.dots = dots
    count: dict[tuple[str, str], int] = {}
    real = {"k_smed", "k_kanban", "k_5s"}
    for is_vote, burst, person in moves:
        used = sum(n for (_, p), n in count.items() if p == person)
        if is_vote:
            expected_ok = burst in real and used < dots
            action = functools.partial(w.vote, burst, person, person.title())
        else:
            expected_ok = count.get((burst, person), 0) > 0
            action = functools.partial(w.unvote, burst, person)
        try:
            action()
            ok = True
        except ValidationError:
            ok = False
        assert ok == expected_ok
        if ok:
            count[(burst, person)] = count.get((burst, person), 0) + (1 if is_vote else -1)
    expected = {}
    for (burst, _), n in count.items():
        if n:
            expected[burst] = expected.get(burst, 0) + n
    assert w.totals() == expected
    for person in PEOPLE:
        assert w.dots_left(person) == dots - sum(n for (_, p), n in count.items() if p == person)
    # The record saved and read back gives the same votes.
    copy = ValueStreamMap.from_dict(io.to_document(m, workshop=True))
    assert copy.workshop.totals() == expected
