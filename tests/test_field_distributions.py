"""Durations of steps and gaps given as distributions: the model keeps each one's mean in
the field and the distribution beside it, and documents, frames and workbooks carry them.

Every expected figure is worked out by hand from the distribution's parameters.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vsm_widget import ValidationError, ValueStreamMap, empirical, exponential, lognormal, triangular
from vsm_widget.core import distributions as dists
from vsm_widget.core.fields import distribution_of
from vsm_widget.core.model import validate_state
from vsm_widget.data import io


def line() -> ValueStreamMap:
    m = ValueStreamMap("Brackets", demand=460, available_time="8 h")
    m.add_process("Cut", cycle_time="30 s", id="cut")
    m.add_wait("2 h", id="queue")
    m.add_process("Weld", cycle_time="50 s", id="weld")
    return m


# --------------------------------------------------------------------------- the model


def test_a_distribution_given_in_python_keeps_its_mean_in_the_field() -> None:
    m = line()
    step = m.add_process("Paint", cycle_time=triangular("40 s", "55 s", "90 s"))
    assert step.cycle_time == (40 + 55 + 90) / 3
    assert distribution_of(step, "cycle_time") == triangular("40 s", "55 s", "90 s")
    assert distribution_of(step, "changeover") is None


@pytest.mark.parametrize(
    ("text", "mean", "made"),
    [
        ("triangular(40 s, 55 s, 90 s)", (40 + 55 + 90) / 3, dists.Triangular(40.0, 55.0, 90.0)),
        ("exponential(1 min)", 60.0, dists.Exponential(60.0)),
        ("lognormal(4 min, 1 min)", 240.0, dists.Lognormal(240.0, 60.0)),
        ("  Triangular( 1 min ,2 min, 6 min ) ", (60 + 120 + 360) / 3, dists.Triangular(60.0, 120.0, 360.0)),
        ("empirical(10 s, 20 s, 60 s)", 30.0, dists.Empirical((10.0, 20.0, 60.0))),
    ],
)
def test_the_text_a_coach_types_is_read_as_the_distribution(text: str, mean: float, made: Any) -> None:
    m = line()
    weld = m.update("Weld", cycle_time=text)
    assert weld.cycle_time == pytest.approx(mean)
    assert distribution_of(weld, "cycle_time") == made


def test_a_gap_wait_in_working_days_counts_the_map_s_day() -> None:
    m = line()  # a working day of 8 h
    gap = m.update("queue", wait_time="triangular(1 d, 2 d, 4 d)")
    assert distribution_of(gap, "wait_time") == dists.Triangular(8 * 3600.0, 16 * 3600.0, 32 * 3600.0)
    assert gap.wait_time == pytest.approx((8 + 16 + 32) / 3 * 3600)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("triangular(90 s, 55 s, 40 s)", "mode"),
        ("triangular(40 s, 55 s)", "takes 3 durations"),
        ("weibull(1 min)", "not a distribution"),
        ("exponential(0 s)", "more than zero"),
        ("exponential(-1 min)", "negative"),
        ("exponential(1 parsec)", "parsec"),
        ("empirical(" + ", ".join(["1 s"] * 1001) + ")", "too many"),
    ],
)
def test_a_broken_distribution_is_refused_naming_the_field_and_the_map_is_unchanged(
    text: str, words: str
) -> None:
    m = line()
    before = m.state
    with pytest.raises(ValidationError) as caught:
        m.update("Weld", cycle_time=text)
    assert caught.value.field == "cycle_time"
    assert caught.value.target == "weld"
    assert words in caught.value.reason
    assert m.state is before


def test_an_empirical_too_long_for_a_field_is_refused_but_the_simulation_takes_it() -> None:
    m = line()
    long = empirical([30.0 + i % 7 for i in range(5000)])
    with pytest.raises(ValidationError) as caught:
        m.update("Weld", cycle_time=long)
    assert "durations=" in caught.value.reason
    assert m.simulate(items=200, seed=1, replications=2, durations={"Weld": long}) is not None


def test_only_a_step_s_or_a_gap_s_durations_vary() -> None:
    m = line()
    before = m.state
    with pytest.raises(ValidationError) as caught:
        m.update("customer", shift_length="triangular(7 h, 8 h, 9 h)")
    assert caught.value.field == "shift_length"
    assert m.state is before


def test_a_plain_duration_forgets_the_distribution_and_undo_brings_it_back() -> None:
    m = line()
    m.update("Weld", cycle_time=exponential("1 min"), changeover="lognormal(10 min, 2 min)")
    varied = m.state
    m.update("Weld", cycle_time="45 s")
    weld = m["weld"]
    assert weld.cycle_time == 45.0
    assert weld.distributions == (("changeover", dists.Lognormal(600.0, 120.0)),)
    m.undo()
    assert m.state == varied
    assert m["weld"].distributions == (
        ("cycle_time", dists.Exponential(60.0)),
        ("changeover", dists.Lognormal(600.0, 120.0)),
    )
    m.update("Weld", cycle_time=None)
    assert distribution_of(m["weld"], "cycle_time") is None


def test_giving_the_same_distribution_again_commits_nothing() -> None:
    m = line()
    m.update("Weld", cycle_time="exponential(1 min)")
    before = m.state
    m.update("Weld", cycle_time=exponential(60))
    assert m.state is before


def test_distributions_given_outright_set_the_means() -> None:
    m = line()
    weld = m.update("Weld", distributions={"cycle_time": "triangular(30 s, 60 s, 120 s)"})
    assert weld.cycle_time == (30 + 60 + 120) / 3
    before = m.state
    with pytest.raises(ValidationError) as caught:
        m.update("Weld", cycle_time="20 s", distributions={"cycle_time": "exponential(1 min)"})
    assert caught.value.field == "cycle_time"
    assert m.state is before


def test_a_state_whose_field_is_not_the_mean_is_refused() -> None:
    m = line()
    m.update("Weld", cycle_time=triangular(30, 60, 120))
    weld = dataclasses.replace(m["weld"], cycle_time=60.0)  # the mode, not the mean (70 s)
    state = dataclasses.replace(m.state, stream=(*m.state.stream[:2], weld))
    with pytest.raises(ValidationError) as caught:
        validate_state(state)
    assert (caught.value.field, caught.value.target) == ("cycle_time", "weld")
    assert "mean" in caught.value.reason


def test_the_static_figures_use_the_means_and_say_so() -> None:
    m = line()
    m.update("Weld", cycle_time="triangular(40 s, 50 s, 120 s)")
    m.update("queue", wait_time="exponential(3 h)")
    met = m.metrics()
    # Lead time: 30 s + 3 h + (40 + 50 + 120) / 3 s.
    assert met.lead_time == pytest.approx(30 + 3 * 3600 + 70)
    assert met.means == (("queue", "wait_time"), ("weld", "cycle_time"))
    assert met.notes == (
        "gap queue's wait_time is the mean of its distribution",
        "Weld's cycle_time is the mean of its distribution",
    )
    assert met.warnings == ()  # a mean is a figure, not a missing one
    assert met.to_dict()["means"] == [
        {"target": "queue", "field": "wait_time"},
        {"target": "weld", "field": "cycle_time"},
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=3, max_size=3).filter(lambda v: max(v) > min(v)))
def test_the_text_form_reads_back_exactly(values: list[float]) -> None:
    low, mode, high = sorted(values)
    made = dists.Triangular(low, mode, high)
    assert dists.parse(made.text()) == made
    assert dists.is_text(made.text())
    assert not dists.is_text("45 s")


def test_text_forms_write_one_unit_where_one_suits_all() -> None:
    assert triangular("40 s", "55 s", "90 s").text() == "triangular(40 s, 55 s, 90 s)"
    assert triangular("3 min", "4 min", "8 min").text() == "triangular(3 min, 4 min, 8 min)"
    assert lognormal("4 min", "1 min").text() == "lognormal(4 min, 1 min)"
    assert exponential("2 h").text() == "exponential(2 h)"


# --------------------------------------------------------------------------- documents


def varied() -> ValueStreamMap:
    m = line()
    m.update("Weld", cycle_time="triangular(40 s, 55 s, 90 s)", changeover="exponential(10 min)")
    m.update("queue", wait_time="lognormal(2 h, 30 min)")
    m.update("Cut", cycle_time=empirical([28, 30, 35]))
    return m


def test_documents_carry_the_distributions_and_read_them_back() -> None:
    m = varied()
    document = io.to_document(m)
    assert document["schema"] == 5
    weld = document["stream"][2]
    assert weld["distributions"] == {
        "cycle_time": {"distribution": "triangular", "low": 40.0, "mode": 55.0, "high": 90.0},
        "changeover": {"distribution": "exponential", "mean": 600.0},
    }
    assert weld["cycle_time"] == (40 + 55 + 90) / 3
    assert document["stream"][1]["distributions"] == {
        "wait_time": {"distribution": "lognormal", "mean": 7200.0, "sd": 1800.0}
    }
    assert io.from_json(io.to_json(m)).state == m.state
    assert "distributions" not in io.to_document(line())["stream"][0]  # none: as before


def test_a_schema_4_document_loads_unchanged() -> None:
    document = io.to_document(line())
    document["schema"] = 4
    loaded = io.from_document(json.loads(json.dumps(document)))
    assert loaded.state == line().state
    assert all(item.distributions == () for item in loaded.state.stream)


def test_a_document_whose_field_is_not_the_mean_is_refused_at_its_path() -> None:
    document = io.to_document(varied())
    document["stream"][2]["cycle_time"] = 55.0  # the mode
    with pytest.raises(ValidationError) as caught:
        io.from_document(document)
    assert caught.value.field == "$.stream[2].cycle_time"


def test_a_triangular_out_of_order_in_a_document_is_refused_at_its_path() -> None:
    document = io.to_document(varied())
    document["stream"][2]["distributions"]["cycle_time"]["mode"] = 100.0
    with pytest.raises(ValidationError) as caught:
        io.from_document(document)
    assert caught.value.field == "$.stream[2].distributions.cycle_time.mode"


def test_the_shipped_schema_describes_distributions() -> None:
    schema = io.schema()
    assert schema["$defs"]["process"]["properties"]["distributions"]["properties"]["cycle_time"] == {
        "$ref": "#/$defs/distribution"
    }
    kinds = schema["$defs"]["distribution"]["properties"]["distribution"]["enum"]
    assert kinds == ["exponential", "triangular", "lognormal", "empirical"]


# --------------------------------------------------------------------------- frames and workbooks


def test_frames_carry_the_text_form_and_read_it_back() -> None:
    m = varied()
    frame = m.steps_frame()
    assert frame.loc[1, "distributions"] == (
        "cycle_time=triangular(40 s, 55 s, 90 s); changeover=exponential(10 min)"
    )
    assert frame.loc[1, "gap_distributions"] == "wait_time=lognormal(120 min, 30 min)"  # one unit for both
    assert frame.loc[1, "cycle_time"] == pytest.approx(185 / 3)  # the mean stays a number
    back = io.from_frame(frame)
    assert [item.distributions for item in back.state.stream] == [
        item.distributions for item in m.state.stream
    ]
    assert [item.cycle_time for item in back.steps] == [item.cycle_time for item in m.steps]


def test_a_frame_through_csv_reads_back(tmp_path: Path) -> None:
    m = varied()
    path = tmp_path / "steps.csv"
    m.steps_frame().to_csv(path, index=False)
    back = io.from_frame(pd.read_csv(path))
    assert [item.distributions for item in back.state.stream] == [
        item.distributions for item in m.state.stream
    ]


def test_a_cell_of_distribution_text_in_a_duration_column_is_a_distribution() -> None:
    frame = pd.DataFrame({"name": ["Cut", "Weld"], "cycle_time": ["30 s", "exponential(2 min)"]})
    m = io.from_frame(frame)
    assert m.steps[1].cycle_time == 120.0
    assert distribution_of(m.steps[1], "cycle_time") == dists.Exponential(120.0)


def test_a_frame_whose_mean_disagrees_with_its_distribution_is_refused() -> None:
    frame = varied().steps_frame()
    frame.loc[1, "cycle_time"] = 55.0
    with pytest.raises(ValidationError) as caught:
        io.from_frame(frame)
    assert caught.value.field.endswith("cycle_time")
    assert "row 1" in caught.value.field


def test_the_workbook_writes_the_text_form(tmp_path: Path) -> None:
    from vsm_widget.data.export import to_excel

    path = to_excel(varied(), tmp_path / "map.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    steps, gaps = sheets["Steps"], sheets["Gaps"]
    assert list(steps["distributions"])[1] == (
        "cycle_time=triangular(40 s, 55 s, 90 s); changeover=exponential(10 min)"
    )
    assert math.isclose(steps["cycle_time"].iloc[1], 185 / 3)
    assert list(gaps["distributions"]) == ["wait_time=lognormal(120 min, 30 min)"]
    assert list(gaps["wait_time_s"]) == [7200.0]


# --------------------------------------------------------------------------- the simulation


def test_a_stored_distribution_is_simulated_as_if_given_in_durations() -> None:
    stored = line()
    stored.update("Weld", cycle_time=triangular("40 s", "55 s", "90 s"))
    passed = line()
    options: dict[str, Any] = {"items": 1000, "seed": 7, "replications": 2}
    a = stored.simulate(**options)
    b = passed.simulate(**options, durations={"Weld": triangular("40 s", "55 s", "90 s")})
    assert a.lead_times.equals(b.lead_times)
    # And it is drawn: with a fixed 50 s instead, the lead times differ.
    fixed = passed.simulate(**options)
    assert not a.lead_times.equals(fixed.lead_times)


def test_durations_given_to_simulate_win_over_the_stored_ones() -> None:
    stored = line()
    stored.update("Weld", cycle_time=triangular("40 s", "55 s", "90 s"))
    options: dict[str, Any] = {"items": 1000, "seed": 7, "replications": 2}
    a = stored.simulate(**options, durations={"Weld": exponential("50 s")})
    b = line().simulate(**options, durations={"Weld": exponential("50 s")})
    assert a.lead_times.equals(b.lead_times)
