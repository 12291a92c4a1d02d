"""Resources: workload per resource and hand-offs between them, worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsm_widget import ValidationError
from vsm_widget.data.eventlog import NO_RESOURCE, EventLog

BASE = pd.Timestamp("2025-03-03 08:00:00")


def log_of(rows: list[tuple[str, str, int, int, str | None]]) -> EventLog:
    frame = pd.DataFrame(
        {
            "case": [r[0] for r in rows],
            "stage": [r[1] for r in rows],
            "start": [BASE + pd.Timedelta(minutes=r[2]) for r in rows],
            "end": [BASE + pd.Timedelta(minutes=r[3]) for r in rows],
            "who": [r[4] for r in rows],
        }
    )
    return EventLog(frame, case="case", activity="stage", start="start", end="end", resource="who")


ROWS = [
    ("A", "Triage", 0, 10, "ann"),
    ("A", "Build", 30, 90, "bob"),  # ann -> bob after a 20 min wait
    ("A", "Review", 100, 110, "ann"),  # bob -> ann after 10 min
    ("B", "Triage", 0, 20, "ann"),
    ("B", "Build", 80, 100, "bob"),  # ann -> bob after 60 min
    ("B", "Review", 100, 130, "bob"),  # no hand-off
]


def test_workload_per_resource() -> None:
    work = log_of(ROWS).resources()
    assert list(work.index) == ["bob", "ann"]  # busiest first: 110 min against 40 min
    assert work.loc["ann", "visits"] == 3
    assert work.loc["ann", "items"] == 2
    assert work.loc["ann", "stages"] == 2
    assert work.loc["bob", "hands_on_total"] == (60 + 20 + 30) * 60
    assert work.loc["ann", "hands_on_share"] == pytest.approx(40 / 150)
    assert work.loc["ann", "hands_on_median"] == 10 * 60


def test_handoffs_between_resources() -> None:
    hand = log_of(ROWS).handoffs().set_index(["from_resource", "to_resource"])
    assert hand.loc[("ann", "bob"), "handoffs"] == 2
    assert hand.loc[("ann", "bob"), "wait_median"] == np.median([20, 60]) * 60
    assert hand.loc[("bob", "ann"), "handoffs"] == 1
    assert hand.loc[("bob", "ann"), "wait_median"] == 10 * 60
    assert len(hand) == 2


def test_events_without_a_resource_are_counted_and_reported() -> None:
    log = log_of([("A", "Triage", 0, 10, "ann"), ("A", "Build", 10, 20, None)])
    assert log.resources().loc[NO_RESOURCE, "visits"] == 1
    assert "events without a resource" in log.report()["issue"].tolist()


def test_resources_need_the_column() -> None:
    frame = pd.DataFrame({"case": ["A"], "stage": ["X"], "t": [BASE]})
    with pytest.raises(ValidationError) as caught:
        EventLog(frame, case="case", activity="stage", timestamp="t").resources()
    assert caught.value.field == "resource"
