"""Measured against drawn: a workshop map beside a log of the same stream, and the spreads
that a data box's spread bar draws."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core.model import Spread
from vsm_widget.data import io
from vsm_widget.data.eventlog import EventLog

STAGES = ["Intake", "Build", "Review"]
BASE = pd.Timestamp("2025-03-03 08:00:00")


def known_log(cases: int = 50, seed: int = 5) -> tuple[EventLog, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    hands = rng.integers(60, 4000, (cases, 3))
    waits = rng.integers(0, 9000, (cases, 3))
    waits[:, 0] = 0
    ends = rng.integers(0, 86400 * 20, (cases, 1)) + np.cumsum(waits + hands, axis=1)
    frame = pd.DataFrame(
        {
            "id": np.repeat(np.arange(cases), 3),
            "stage": np.tile(STAGES, cases),
            "start": BASE + pd.to_timedelta((ends - hands).ravel(), unit="s"),
            "end": BASE + pd.to_timedelta(ends.ravel(), unit="s"),
        }
    )
    return EventLog(frame, case="id", activity="stage", start="start", end="end"), hands, waits


def workshop() -> ValueStreamMap:
    m = ValueStreamMap("Drawn in the workshop")
    m.add_process("intake", process_time="10 min")
    m.add_wait("1 h")
    m.add_process("Build", process_time="30 min")
    m.add_gap(quantity=12)
    m.add_process("Check", process_time="20 min")
    return m


def test_compare_puts_estimate_spread_and_gap_side_by_side() -> None:
    log, hands, waits = known_log()
    frame = log.compare(workshop(), names={"Check": "Review"}).set_index(["step", "figure"])
    build = frame.loc[("Build", "process_time")]
    assert build["stage"] == "Build"
    assert build["estimate"] == 1800
    assert build["median"] == np.median(hands[:, 1])
    assert build["p15"] == pytest.approx(np.percentile(hands[:, 1], 15))
    assert build["p85"] == pytest.approx(np.percentile(hands[:, 1], 85))
    assert build["n"] == 50
    assert build["gap"] == 1800 - np.median(hands[:, 1])
    assert build["gap_share"] == pytest.approx((1800 - np.median(hands[:, 1])) / np.median(hands[:, 1]))
    assert build["basis"] == "calendar time"
    wait = frame.loc[("Build", "wait_time")]
    assert wait["estimate"] == 3600
    assert wait["median"] == np.median(waits[:, 1])
    # A gap counted in units has no wait estimate; the measured wait is still shown.
    check_wait = frame.loc[("Check", "wait_time")]
    assert np.isnan(check_wait["estimate"])
    assert check_wait["median"] == np.median(waits[:, 2])
    assert frame.loc[("intake", "process_time"), "stage"] == "Intake"  # case is ignored


def test_unmatched_steps_and_stages_are_listed() -> None:
    log, _, _ = known_log(cases=5)
    frame = log.compare(workshop())
    check = frame[(frame["step"] == "Check") & (frame["figure"] == "process_time")].iloc[0]
    assert check["n"] == 0
    assert np.isnan(check["median"])
    orphans = frame[frame["step"].isna()]
    assert orphans["stage"].tolist() == ["Review"]
    with pytest.raises(ValidationError, match="did you mean 'Review'") as caught:
        log.compare(workshop(), names={"Check": "Reveiw"})
    assert caught.value.field == "names"


def test_measure_puts_the_spreads_on_the_map_state_and_in_the_document() -> None:
    log, hands, waits = known_log()
    drawn = workshop()
    measured = log.measure(drawn, names={"Check": "Review"})
    assert drawn.state.measured == ()  # the drawn map is left as it was
    build = next(s for s in measured.steps if s.name == "Build")
    (spread,) = measured.state.spreads(build.id)
    assert spread.field == "process_time"
    assert spread.median == np.median(hands[:, 1])
    assert spread.p15 == pytest.approx(np.percentile(hands[:, 1], 15))
    assert spread.n == 50
    assert build.process_time == 1800  # the drawn figure stays
    gap = measured.state.stream[1]
    (wait,) = measured.state.spreads(gap.id)
    assert (wait.field, wait.median) == ("wait_time", np.median(waits[:, 1]))
    document = io.to_document(measured)
    assert len(document["measured"]) == 4  # three steps and the one wait gap
    again = io.from_document(document)
    assert again.state == measured.state


def test_to_map_carries_a_spread_on_every_box() -> None:
    log, hands, _ = known_log()
    m = log.to_map()
    for k, step in enumerate(m.steps):
        (spread,) = m.state.spreads(step.id)
        assert spread.median == step.process_time == np.median(hands[:, k])
        assert spread.p85 == pytest.approx(np.percentile(hands[:, k], 85))
    assert len(m.state.spreads()) == 3 + 2


def test_spreads_of_removed_steps_are_left_out() -> None:
    log, _, _ = known_log(cases=8)
    m = log.to_map()
    first = m.steps[0]
    m.remove(first.id)
    assert all(s.target != first.id for s in m.state.spreads())
    assert all(s["target"] != first.id for s in io.to_document(m)["measured"])
    ValueStreamMap.from_state(m.state)  # copying the edited map still works


def test_bad_spreads_are_refused() -> None:
    m = ValueStreamMap()
    step = m.add_process("A", process_time=60)
    good = Spread(step.id, "process_time", 10.0, 20.0, 30.0, 5)
    ValueStreamMap.from_state(dataclasses.replace(m.state, measured=(good,)))
    for bad, reason in [
        (dataclasses.replace(good, p15=40.0), "p15 <= median <= p85"),
        (dataclasses.replace(good, n=0), "at least 1"),
        (dataclasses.replace(good, field="uptime"), "a spread belongs to"),
        (dataclasses.replace(good, median=20), "floats"),
    ]:
        with pytest.raises(ValidationError, match=reason):
            ValueStreamMap.from_state(dataclasses.replace(m.state, measured=(bad,)))
    document = io.to_document(ValueStreamMap.from_state(dataclasses.replace(m.state, measured=(good,))))
    document["measured"][0]["target"] = "p9"
    with pytest.raises(ValidationError) as caught:
        io.from_document(document)
    assert caught.value.field == "$.measured[0].target"
    document["measured"][0].update(target=step.id, field="wait_time")
    with pytest.raises(ValidationError, match="has no measured wait_time"):
        io.from_document(document)
