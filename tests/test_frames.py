"""pandas frames: steps_frame's columns and figures, from_frame, CSV and Excel round trips."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core.model import Gap, Process
from vsm_widget.data import io

# The rich map's calendar: 18,400 a month over 20 days is 920 a day; 2 x 27,600 s a day.
DAILY = 18400 / 20
AVAILABLE = 2 * 27600.0

EXPECTED_COLUMNS = [
    "type", "id", "name",
    "cycle_time", "process_time", "lead_time", "changeover", "uptime", "operators", "shifts",
    "batch_size", "parallel", "complete_accurate", "value_class", "waste", "notes", "x", "y",
    "distributions",
    "path", "path_into", "path_after",
    "gap_id", "gap_quantity", "gap_variants", "gap_wait_time", "gap_flow", "gap_fifo_max",
    "gap_waste", "gap_notes", "gap_x", "gap_y", "gap_distributions",
    "effective_cycle_time", "step_lead_time", "capacity_per_day", "over_takt", "is_bottleneck",
    "gap_inventory_days", "gap_wait",
]  # fmt: skip


@pytest.fixture
def frame(rich_map: ValueStreamMap) -> pd.DataFrame:
    return rich_map.steps_frame()


def _untyped(element: Any) -> Any:
    # A frame holds durations in seconds: the units they were typed in stay with the map.
    return dataclasses.replace(element, units=()) if hasattr(element, "units") else element


def _same_stream(a: ValueStreamMap, b: ValueStreamMap) -> None:
    assert [_untyped(item) for item in a.state.stream] == [_untyped(item) for item in b.state.stream]
    assert _untyped(a.state.customer) == _untyped(b.state.customer)


# --------------------------------------------------------------------------- steps_frame


def test_columns_and_rows(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == EXPECTED_COLUMNS
    assert list(frame.index) == [0, 1, 2, 3]
    assert list(frame["type"]) == ["process", "process", "process", "end"]
    assert list(frame["name"][:3]) == ["Stamping", "Spot weld", "Assembly"]
    assert list(frame["gap_id"]) == ["coils", "g1", "g2", "g3"]


def test_step_fields_in_seconds_and_text(frame: pd.DataFrame) -> None:
    stamping = frame.loc[0]
    assert stamping["cycle_time"] == 1.0
    assert stamping["changeover"] == 3600.0  # "1 h"
    assert stamping["uptime"] == 0.85
    assert stamping["complete_accurate"] == 0.99
    assert stamping["shifts"] == 2
    assert stamping["parallel"] == 1
    assert stamping["value_class"] == "value-adding"
    assert frame.loc[2, "waste"] == "motion, defects"
    assert math.isnan(frame.loc[1, "process_time"])


def test_gap_before_each_step(frame: pd.DataFrame) -> None:
    assert frame.loc[0, "gap_quantity"] == 4600
    assert frame.loc[0, "gap_notes"] == "5 days of coils"
    assert frame.loc[1, "gap_variants"] == "LH=4600; RH=2400"
    assert frame.loc[1, "gap_quantity"] == 7000
    assert frame.loc[1, "gap_waste"] == "inventory, waiting"
    assert (frame.loc[1, "gap_x"], frame.loc[1, "gap_y"]) == (180.0, 300.0)
    assert frame.loc[2, "gap_flow"] == "fifo"
    assert frame.loc[2, "gap_fifo_max"] == 2000


def test_end_row_holds_the_gap_after_the_last_step(frame: pd.DataFrame) -> None:
    end = frame.loc[3]
    assert end["type"] == "end"
    assert pd.isna(end["id"])
    assert pd.isna(end["name"])
    assert pd.isna(end["cycle_time"])
    # "2 d" of working days of 2 x 27,600 s.
    assert end["gap_wait_time"] == 2 * AVAILABLE
    assert end["gap_wait"] == 2 * AVAILABLE
    assert pd.isna(end["gap_inventory_days"])


def test_no_end_row_without_a_gap_after_the_last_step() -> None:
    m = ValueStreamMap("Two steps")
    m.add_process("A", cycle_time=10)
    m.add_wait("1 h")
    m.add_process("B", cycle_time=20)
    frame = m.steps_frame()
    assert list(frame["type"]) == ["process", "process"]
    assert pd.isna(frame.loc[0, "gap_id"])
    assert frame.loc[1, "gap_wait_time"] == 3600.0


def test_derived_figures_by_hand(frame: pd.DataFrame) -> None:
    takt = AVAILABLE / DAILY  # 60 s
    assert takt == 60.0
    # Effective C/T = C/T / uptime; capacity = available time x uptime / C/T.
    assert frame.loc[0, "effective_cycle_time"] == pytest.approx(1 / 0.85)
    assert frame.loc[0, "capacity_per_day"] == pytest.approx(AVAILABLE * 0.85 / 1)
    assert frame.loc[1, "effective_cycle_time"] == pytest.approx(39.0)
    assert frame.loc[1, "capacity_per_day"] == pytest.approx(AVAILABLE / 39)
    assert frame.loc[2, "capacity_per_day"] == pytest.approx(AVAILABLE / 62)
    # The lower rung is the step's own lead time where it has one, else its C/T.
    assert list(frame["step_lead_time"][:3]) == [1.0, 39.0, 70.0]
    # Only the 62 s step is slower than takt, and it is the bottleneck.
    assert list(frame["over_takt"][:3]) == [False, False, True]
    assert list(frame["is_bottleneck"][:3]) == [False, False, True]
    # Inventory days = quantity / daily demand; the upper rung is days x the working day.
    assert frame.loc[0, "gap_inventory_days"] == pytest.approx(5.0)
    assert frame.loc[1, "gap_inventory_days"] == pytest.approx(7000 / 920)
    assert frame.loc[2, "gap_inventory_days"] == pytest.approx(1600 / 920)
    assert frame.loc[0, "gap_wait"] == pytest.approx(5 * AVAILABLE)
    assert frame.loc[1, "gap_wait"] == pytest.approx(7000 / 920 * AVAILABLE)


def test_empty_map_gives_an_empty_frame_with_the_columns() -> None:
    frame = ValueStreamMap().steps_frame()
    assert list(frame.columns) == EXPECTED_COLUMNS
    assert len(frame) == 0
    assert len(ValueStreamMap.from_frame(frame).stream) == 0


# --------------------------------------------------------------------------- from_frame: round trips


def test_frame_round_trip_rebuilds_the_stream(
    rich_map: ValueStreamMap, rich_calendar: dict[str, Any]
) -> None:
    back = ValueStreamMap.from_frame(rich_map.steps_frame(), title="Steering brackets", **rich_calendar)
    _same_stream(back, rich_map)
    assert back.title == "Steering brackets"
    assert back.metrics().lead_time == rich_map.metrics().lead_time


def test_csv_round_trip(tmp_path: Path, rich_map: ValueStreamMap, rich_calendar: dict[str, Any]) -> None:
    path = tmp_path / "steps.csv"
    rich_map.steps_frame().to_csv(path, index=False)
    _same_stream(ValueStreamMap.from_frame(pd.read_csv(path), **rich_calendar), rich_map)
    # Reading every cell as text is exact too.
    as_text = pd.read_csv(path, dtype=str, keep_default_na=False)
    _same_stream(ValueStreamMap.from_frame(as_text, **rich_calendar), rich_map)


def test_csv_round_trip_with_the_index_column(
    tmp_path: Path, rich_map: ValueStreamMap, rich_calendar: dict[str, Any]
) -> None:
    path = tmp_path / "steps.csv"
    rich_map.steps_frame().to_csv(path)  # writes an unnamed index column
    _same_stream(ValueStreamMap.from_frame(pd.read_csv(path), **rich_calendar), rich_map)


def test_excel_round_trip(tmp_path: Path, rich_map: ValueStreamMap, rich_calendar: dict[str, Any]) -> None:
    pytest.importorskip("openpyxl")
    path = tmp_path / "steps.xlsx"
    rich_map.steps_frame().to_excel(path, sheet_name="steps")
    back = pd.read_excel(path, sheet_name="steps", index_col=0)
    _same_stream(ValueStreamMap.from_frame(back, **rich_calendar), rich_map)


def test_digit_only_text_survives_csv(tmp_path: Path) -> None:
    m = ValueStreamMap()
    m.add_process("100", cycle_time=5, notes="42")
    m.add_process("200", cycle_time=6, notes="7")
    path = tmp_path / "digits.csv"
    m.steps_frame().to_csv(path, index=False)
    _same_stream(ValueStreamMap.from_frame(pd.read_csv(path)), m)


def test_awkward_variant_names_round_trip() -> None:
    m = ValueStreamMap()
    m.add_inventory({"L;H": 1, "a=b": 2, ' "q" ': 3.5, "plain": 4})
    m.add_process("Cut", cycle_time=1)
    frame = m.steps_frame()
    assert frame.loc[0, "gap_variants"].endswith("; plain=4")
    _same_stream(ValueStreamMap.from_frame(frame), m)


# --------------------------------------------------------------------------- from_frame: friendly frames


def test_friendly_frame_with_units_and_aliases() -> None:
    frame = pd.DataFrame(
        {
            "Step": ["Cut", "Weld", "Pack"],
            "C/T": ["45 s", 60, None],
            "Uptime": ["85%", None, ""],
            "inventory": [None, 300, "1,200"],
            "wait": [None, None, "2 h"],
            "Waste": ["motion", None, "waiting; transport"],
        }
    )
    m = ValueStreamMap.from_frame(frame, title="Line", demand=920, available_time="2 x 27600 s")
    assert [s.name for s in m.steps] == ["Cut", "Weld", "Pack"]
    assert [s.cycle_time for s in m.steps] == [45.0, 60.0, None]
    assert [s.uptime for s in m.steps] == [0.85, None, None]
    assert [(g.quantity, g.wait_time) for g in m.gaps] == [(300.0, None), (1200.0, 7200.0)]
    # Each gap stands before the step of its row.
    assert [item.kind for item in m.stream] == ["process", "gap", "process", "gap", "process"]
    assert m.steps[2].waste == ("transport", "waiting")
    assert m.metrics().takt_time == 60.0


def test_only_name_is_required() -> None:
    m = ValueStreamMap.from_frame(pd.DataFrame({"name": ["A", "B"]}))
    assert [(s.id, s.name, s.cycle_time) for s in m.steps] == [("p1", "A", None), ("p2", "B", None)]


def test_days_use_the_calendar_of_the_map() -> None:
    frame = pd.DataFrame({"name": ["A"], "wait": ["1 d"]})
    m = ValueStreamMap.from_frame(frame, available_time="8 h")
    assert m.gaps[0].wait_time == 8 * 3600.0


def test_given_ids_are_kept_and_new_ones_avoid_them() -> None:
    frame = pd.DataFrame({"id": [None, "p1"], "name": ["A", "B"]})
    m = ValueStreamMap.from_frame(frame)
    assert [s.id for s in m.steps] == ["p2", "p1"]


def test_nameless_last_row_with_gap_values_is_the_end_gap() -> None:
    frame = pd.DataFrame({"name": ["A", None], "inventory": [None, 50]})
    m = ValueStreamMap.from_frame(frame)
    assert isinstance(m.stream[-1], Gap)
    assert m.stream[-1].quantity == 50.0


def test_blank_rows_are_skipped() -> None:
    frame = pd.DataFrame({"name": ["A", None, "B"], "cycle_time": [1, None, 2]})
    assert [s.name for s in ValueStreamMap.from_frame(frame).steps] == ["A", "B"]


def test_unrelated_extra_columns_are_reported_unless_ignored() -> None:
    frame = pd.DataFrame({"name": ["A"], "department": ["Press shop"], "effective_cycle_time": [99.0]})
    with pytest.raises(ValidationError, match=r"cannot place the column.*'department'") as caught:
        ValueStreamMap.from_frame(frame)
    assert caught.value.field == "department"
    for ignore in (["department"], True):
        step = ValueStreamMap.from_frame(frame, ignore=ignore).steps[0]
        assert isinstance(step, Process)
        assert step.name == "A"
        assert step.cycle_time is None  # the derived column stays out


@pytest.mark.parametrize(
    ("header", "cell", "seconds"),
    [
        ("C/T (min)", 2, 120.0),
        ("Cycle time (sec)", 45, 45.0),
        ("cycle time [h]", "1.5", 5400.0),
        ("cycle_time_min", 3, 180.0),
        ("CT in minutes", 4, 240.0),
        ("C/T (min)", "30 s", 30.0),  # a cell's own unit wins
        ("cycle_time", 90, 90.0),  # no unit: seconds
    ],
)
def test_headers_with_units_are_understood(header: str, cell: object, seconds: float) -> None:
    step = ValueStreamMap.from_frame(pd.DataFrame({"Step": ["Press"], header: [cell]})).steps[0]
    assert step.cycle_time == seconds


def test_units_in_other_headers() -> None:
    frame = pd.DataFrame(
        {
            "Process": ["Weld", "Assemble"],
            "Uptime (%)": [85, 100],
            "C/O (h)": [1, None],
            "Wait (d)": [None, 2],
            "Inventory (pcs)": [None, 400],
        }
    )
    m = ValueStreamMap.from_frame(frame, available_time="8 h")
    weld, assemble = m.steps
    assert assemble.uptime == 1.0
    assert weld.uptime == 0.85
    assert weld.changeover == 3600.0
    gap = m.state.gaps[0]
    assert gap.wait_time == 2 * 8 * 3600  # a map day is its working day
    assert gap.quantity == 400


def test_a_header_unit_that_does_not_fit_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a duration unit") as caught:
        ValueStreamMap.from_frame(pd.DataFrame({"name": ["A"], "C/T (pcs)": [3]}))
    assert caught.value.field == "C/T (pcs)"
    with pytest.raises(ValidationError, match="percentage"):
        ValueStreamMap.from_frame(pd.DataFrame({"name": ["A"], "Uptime (min)": [3]}))


def test_a_list_of_records_is_accepted() -> None:
    m = ValueStreamMap.from_frame([{"name": "A", "cycle_time": "1 min"}])
    assert m.steps[0].cycle_time == 60.0


# --------------------------------------------------------------------------- from_frame: bad frames


def _frame_error(frame: Any, **calendar: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        ValueStreamMap.from_frame(frame, **calendar)
    return caught.value


def test_missing_name_column() -> None:
    error = _frame_error(pd.DataFrame({"cycle_time": [1, 2]}))
    assert error.field == "name"
    assert "no 'name' column" in str(error)
    assert "cycle_time" in str(error)


def test_bad_value_names_row_and_column() -> None:
    frame = pd.DataFrame({"name": ["A", "B", "C", "D"], "cycle_time": [1, 2, 3, "fast"]})
    error = _frame_error(frame)
    assert error.field == "row 3: cycle_time"
    assert "'fast'" in str(error)
    assert "duration" in str(error)


def test_bad_value_in_an_aliased_column_names_the_column_as_typed() -> None:
    frame = pd.DataFrame({"Step": ["A", "B"], "inventory": [None, -4]})
    assert _frame_error(frame).field == "row 1: inventory"


def test_bad_gap_value() -> None:
    frame = pd.DataFrame({"name": ["A", "B"], "gap_flow": [None, "shove"]})
    error = _frame_error(frame)
    assert error.field == "row 1: gap_flow"
    assert "'shove'" in str(error)


def test_missing_name_in_a_row() -> None:
    frame = pd.DataFrame({"name": ["A", None, "C"], "cycle_time": [1, 2, 3]})
    error = _frame_error(frame)
    assert error.field == "row 1: name"
    assert "needs a name" in str(error)


def test_duplicate_step_names_name_the_row() -> None:
    frame = pd.DataFrame({"name": ["A", "B", "A"]})
    error = _frame_error(frame)
    assert error.field == "row 2: name"
    assert "another step" in str(error)


def test_duplicate_ids_name_the_row() -> None:
    frame = pd.DataFrame({"id": ["x", "x"], "name": ["A", "B"]})
    assert _frame_error(frame).field == "row 1: id"


def test_bad_id_names_the_row() -> None:
    frame = pd.DataFrame({"name": ["A"], "gap_id": ["9lives"], "inventory": [4]})
    assert _frame_error(frame).field == "row 0: gap_id"


def test_end_row_must_be_last() -> None:
    frame = pd.DataFrame({"type": ["end", "process"], "name": [None, "A"], "inventory": [5, None]})
    error = _frame_error(frame)
    assert error.field == "row 0: type"
    assert "last row" in str(error)


def test_unknown_row_type() -> None:
    frame = pd.DataFrame({"type": ["machine"], "name": ["A"]})
    assert _frame_error(frame).field == "row 0: type"


def test_misspelt_column_is_reported_not_ignored() -> None:
    error = _frame_error(pd.DataFrame({"name": ["A"], "cylce_time": [4]}))
    assert error.field == "cylce_time"
    assert "did you mean 'cycle_time'" in str(error)


def test_two_columns_for_one_field() -> None:
    error = _frame_error(pd.DataFrame({"name": ["A"], "inventory": [1], "gap_quantity": [2]}))
    assert "both give 'gap_quantity'" in str(error)


def test_variants_that_disagree_with_the_quantity() -> None:
    frame = pd.DataFrame({"name": ["A"], "gap_variants": ["LH=1; RH=2"], "gap_quantity": [4]})
    error = _frame_error(frame)
    assert error.field == "row 0: gap_quantity"
    assert "sum of the variants" in str(error)


def test_unreadable_variants_text() -> None:
    frame = pd.DataFrame({"name": ["A"], "variants": ["LH 4600"]})
    error = _frame_error(frame)
    assert error.field == "row 0: variants"
    assert "'LH=4600; RH=2400'" in str(error)


def test_bad_calendar_is_refused() -> None:
    with pytest.raises(ValidationError, match="demand"):
        ValueStreamMap.from_frame(pd.DataFrame({"name": ["A"]}), demand=-1)


def test_index_labels_name_the_rows() -> None:
    frame = pd.DataFrame({"name": ["A", "B"], "cycle_time": [1, "slow"]}, index=[10, 20])
    assert _frame_error(frame).field == "row 20: cycle_time"


def test_module_functions_match_the_methods(rich_map: ValueStreamMap) -> None:
    pd.testing.assert_frame_equal(io.steps_frame(rich_map), rich_map.steps_frame())
    _same_stream(io.from_frame(rich_map.steps_frame(), **_calendar_of(rich_map)), rich_map)


def _calendar_of(m: ValueStreamMap) -> dict[str, Any]:
    c = m.customer
    return {
        "demand": c.demand,
        "period": c.period,
        "working_days": c.working_days,
        "available_time": "2 x 27600 s",
    }
