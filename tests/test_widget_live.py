"""Several views of one widget (pages of several browsers on one kernel), driven without a browser.

Every page hears every comm message, so each view is a client: results, errors and
``created`` name the client they answer; a view that missed patches asks for the map
whole; undo from a person takes back only that person's edit; and the one whose write
was set again by someone else is told. See docs/sync-protocol.md and docs/live.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from test_widget import edit, plant, widget
from vsm_widget.jupyter import widget as widget_module
from vsm_widget.jupyter.widget import OVERWRITE_SECONDS, MapWidget

ANA, BEN = "c" + "a" * 16, "c" + "b" * 16  # two views' client ids
ANA_KEY, BEN_KEY = "a" * 32, "b" * 32  # their browsers' person keys


def by(client: str, person: str, seq: int, op: str, **fields: Any) -> dict[str, Any]:
    return {**edit(seq, op, **fields), "client": client, "person": person}


__all__ = ["plant", "widget"]  # the fixtures, from test_widget


@pytest.fixture
def sent(widget: MapWidget, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    messages: list[Any] = []
    monkeypatch.setattr(widget, "send", messages.append)
    return messages


# --------------------------------------------------------------------------- clients


def test_a_result_names_the_client_it_answers(widget: MapWidget) -> None:
    result = widget.handle_edit(by(ANA, ANA_KEY, 1, "add_process", after="p1", name="Deburr"))
    assert result["client"] == ANA
    assert result["created"] == [widget.map.get("Deburr").id]
    # The same seq from another page: told apart by the client.
    other = widget.handle_edit(by(BEN, BEN_KEY, 1, "add_process", after="p1", name="Wash"))
    assert (other["seq"], other["client"]) == (1, BEN)


def test_a_refusal_names_its_client_in_the_result_and_the_error_trait(widget: MapWidget) -> None:
    result = widget.handle_edit(by(ANA, ANA_KEY, 4, "update", id="p2", field="cycle_time", value="fast"))
    assert result["ok"] is False
    assert result["client"] == ANA
    assert widget.error["client"] == ANA
    assert widget.error["seq"] == 4
    assert widget.error["field"] == "cycle_time"
    # A malformed message from a client is answered to that client too.
    bad = widget.handle_edit({"kind": "edit", "seq": 5, "client": BEN, "op": "explode"})
    assert (bad["client"], bad["error"]["field"]) == (BEN, "op")
    assert widget.error["client"] == BEN


def test_messages_without_a_client_work_as_before(widget: MapWidget) -> None:
    result = widget.handle_edit(edit(1, "update", id="p1", field="cycle_time", value="2 s"))
    assert result == {"kind": "result", "seq": 1, "ok": True}
    refused = widget.handle_edit(edit(2, "update", id="p1", field="cycle_time", value="fast"))
    assert "client" not in refused
    assert "client" not in widget.error


@pytest.mark.parametrize("field", ["client", "person"])
@pytest.mark.parametrize("value", ["", "x" * 65, "a b", "<script>", 7])
def test_a_bad_client_or_person_is_refused_naming_it(widget: MapWidget, field: str, value: Any) -> None:
    before = widget.map.state
    result = widget.handle_edit({**edit(1, "update", id="p1", field="cycle_time", value="2 s"), field: value})
    assert result["ok"] is False
    assert result["error"]["field"] == field
    assert "client" not in result  # no valid client to address it to
    assert widget.map.state is before


def test_an_export_reply_names_its_client(widget: MapWidget, sent: list[Any]) -> None:
    widget._on_custom_msg(widget, {"kind": "export", "seq": 3, "client": ANA, "palette": "light"}, [])
    reply = sent[-1]
    assert (reply["kind"], reply["seq"], reply["client"], reply["ok"]) == ("exported", 3, ANA, True)


# --------------------------------------------------------------------------- catching up


def test_patches_are_numbered_one_after_the_other(widget: MapWidget, sent: list[Any]) -> None:
    start = widget.scene["rev"]
    widget.map.update("p1", cycle_time="2 s")
    widget.map.update("p2", cycle_time="40 s")
    revs = [m["scene"]["rev"] for m in sent if m["kind"] == "patch"]
    assert revs == [start + 1, start + 2]
    assert widget.scene["rev"] == start + 2


def test_a_refresh_sends_the_map_whole_to_a_view_that_missed_patches(
    widget: MapWidget, sent: list[Any]
) -> None:
    old = widget.scene["rev"]
    widget.map.update("p1", cycle_time="2 s")
    widget.map.update("p2", cycle_time="40 s")
    sent.clear()
    widget._on_custom_msg(widget, {"kind": "refresh", "client": ANA, "rev": old}, [])
    (reply,) = sent
    assert (reply["kind"], reply["client"], reply["rev"]) == ("state", ANA, old + 2)
    assert reply["scene"] == widget.scene
    assert reply["scene"]["rev"] == old + 2
    stream = {item["id"]: item for item in reply["document"]["stream"]}
    assert (stream["p1"]["cycle_time"], stream["p2"]["cycle_time"]) == (2, 40)


def test_a_refresh_from_a_view_that_missed_nothing_is_answered_briefly(
    widget: MapWidget, sent: list[Any]
) -> None:
    widget.map.update("p1", cycle_time="2 s")
    sent.clear()
    widget._on_custom_msg(widget, {"kind": "refresh", "client": ANA, "rev": widget.scene["rev"]}, [])
    assert sent == [{"kind": "state", "rev": widget.scene["rev"], "client": ANA}]
    # No rev, or a wrong one: the map whole.
    assert "scene" in widget.catch_up({"kind": "refresh", "client": ANA})
    assert "scene" in widget.catch_up({"kind": "refresh", "rev": "3"})


# --------------------------------------------------------------------------- per-person undo


def cycle_time(widget: MapWidget, step: str) -> float:
    return float(widget.map.get(step).cycle_time)


def test_undo_takes_back_the_persons_own_latest_edit(widget: MapWidget) -> None:
    assert widget.handle_edit(by(ANA, ANA_KEY, 1, "update", id="p1", field="cycle_time", value="2 s"))["ok"]
    assert widget.handle_edit(by(ANA, ANA_KEY, 2, "undo"))["ok"]
    assert cycle_time(widget, "p1") == 1
    assert widget.handle_edit(by(ANA, ANA_KEY, 3, "redo"))["ok"]
    assert cycle_time(widget, "p1") == 2


def test_undo_is_refused_when_someone_elses_edit_came_later(widget: MapWidget) -> None:
    widget.handle_edit(by(ANA, ANA_KEY, 1, "update", id="p1", field="cycle_time", value="2 s"))
    widget.handle_edit(by(BEN, BEN_KEY, 1, "update", id="p2", field="cycle_time", value="40 s"))
    before = widget.map.state
    refused = widget.handle_edit(by(ANA, ANA_KEY, 2, "undo"))
    assert refused["ok"] is False
    assert refused["client"] == ANA
    assert refused["error"]["field"] == "undo"
    assert "a later edit by someone else is in the way" in refused["error"]["reason"]
    assert widget.map.state is before
    # Ben's undo takes back Ben's; then Ana's is the latest again, and hers to undo.
    assert widget.handle_edit(by(BEN, BEN_KEY, 2, "undo"))["ok"]
    assert cycle_time(widget, "p2") == 39
    # Ben's undone edit is next to redo: not Ana's to redo.
    redo = widget.handle_edit(by(ANA, ANA_KEY, 3, "redo"))
    assert redo["ok"] is False
    assert "someone else's" in redo["error"]["reason"]
    assert cycle_time(widget, "p2") == 39
    assert widget.handle_edit(by(ANA, ANA_KEY, 4, "undo"))["ok"]
    assert cycle_time(widget, "p1") == 1


def test_edits_made_in_python_are_anyones_to_undo(widget: MapWidget) -> None:
    widget.handle_edit(by(ANA, ANA_KEY, 1, "update", id="p1", field="cycle_time", value="2 s"))
    widget.map.update("p2", cycle_time="40 s")
    assert widget.handle_edit(by(ANA, ANA_KEY, 2, "undo"))["ok"]
    assert (cycle_time(widget, "p1"), cycle_time(widget, "p2")) == (2, 39)


def test_undo_without_a_person_undoes_the_latest_whoever_made_it(widget: MapWidget) -> None:
    widget.handle_edit(by(ANA, ANA_KEY, 1, "update", id="p1", field="cycle_time", value="2 s"))
    widget.handle_edit(by(BEN, BEN_KEY, 1, "update", id="p2", field="cycle_time", value="40 s"))
    assert widget.handle_edit(edit(9, "undo"))["ok"]
    assert widget.handle_edit(edit(10, "undo"))["ok"]
    assert (cycle_time(widget, "p1"), cycle_time(widget, "p2")) == (1, 39)


def test_the_history_records_who_made_each_browser_edit(widget: MapWidget) -> None:
    widget.handle_edit(by(ANA, ANA_KEY, 1, "add_branch", into="p3", after=None, name=None, step=""))
    step = widget.map.undo_step
    assert step is not None
    assert (step.op, step.author) == ("batch", ANA_KEY)
    widget.map.update("p1", cycle_time="3 s")
    step = widget.map.undo_step
    assert step is not None
    assert step.author is None


# --------------------------------------------------------------------------- the lost write


def test_the_earlier_writer_of_a_field_is_told_it_was_set_again(widget: MapWidget, sent: list[Any]) -> None:
    widget.handle_edit(by(ANA, ANA_KEY, 1, "update", id="p2", field="cycle_time", value="45 s"))
    sent.clear()
    result = widget.handle_edit(by(BEN, BEN_KEY, 1, "update", id="p2", field="cycle_time", value="50 s"))
    assert result["ok"]
    (notice,) = [m for m in sent if m["kind"] == "notice"]
    assert notice["client"] == ANA
    assert (notice["target"], notice["field"]) == ("p2", "cycle_time")
    assert notice["text"] == "C/T of S. Weld #1 was changed again by someone else: now 50 s"
    # The later one stands.
    assert cycle_time(widget, "p2") == 50


def test_no_notice_for_ones_own_write_python_or_another_field(widget: MapWidget, sent: list[Any]) -> None:
    widget.handle_edit(by(ANA, ANA_KEY, 1, "update", id="p2", field="cycle_time", value="45 s"))
    widget.handle_edit(by(ANA, ANA_KEY, 2, "update", id="p2", field="cycle_time", value="47 s"))
    widget.handle_edit(by(BEN, BEN_KEY, 1, "update", id="p2", field="name", value="Weld"))
    widget.handle_edit(edit(3, "update", id="p2", field="cycle_time", value="48 s"))
    # Ben writes what the field already holds: nothing changed, nothing overwritten.
    widget.handle_edit(by(BEN, BEN_KEY, 2, "update", id="p2", field="name", value="Weld"))
    assert [m for m in sent if m["kind"] == "notice"] == []


def test_no_notice_once_the_window_has_passed(
    widget: MapWidget, sent: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(widget_module.time, "monotonic", lambda: now[0])
    widget.handle_edit(by(ANA, ANA_KEY, 1, "update", id="p2", field="cycle_time", value="45 s"))
    now[0] += OVERWRITE_SECONDS + 0.5
    widget.handle_edit(by(BEN, BEN_KEY, 1, "update", id="p2", field="cycle_time", value="50 s"))
    assert [m for m in sent if m["kind"] == "notice"] == []
    now[0] += OVERWRITE_SECONDS - 0.5
    widget.handle_edit(by(ANA, ANA_KEY, 2, "update", id="p2", field="cycle_time", value="52 s"))
    assert [m["client"] for m in sent if m["kind"] == "notice"] == [BEN]
