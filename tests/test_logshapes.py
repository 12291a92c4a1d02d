"""Real log shapes: lifecycle rows, status histories, working calendars and text dates.

Expected figures are worked out by hand, or by a plain Python reference written here.
"""

from __future__ import annotations

import collections

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vsm_widget import ValidationError
from vsm_widget.data.eventlog import EventLog, WorkCalendar, from_event_log

BASE = pd.Timestamp("2024-03-04 08:00:00")  # a Monday


def lifecycle_rows(rows: list[tuple[str, str, int, str]]) -> pd.DataFrame:
    """A log from (case, activity, second, transition) rows."""
    return pd.DataFrame(
        {
            "case": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "time": [BASE + pd.Timedelta(seconds=r[2]) for r in rows],
            "transition": [r[3] for r in rows],
        }
    )


def issues(log: EventLog) -> dict[str, int]:
    report = log.report()
    return dict(zip(report["issue"], report["count"], strict=True))


# --------------------------------------------------------------------------- lifecycle rows


def test_lifecycle_pairs_first_in_first_out_and_counts_instants() -> None:
    frame = lifecycle_rows(
        [
            ("A", "Check", 0, "start"),
            ("A", "Check", 100, "complete"),
            ("A", "Approve", 100, "schedule"),
            ("A", "Approve", 150, "start"),
            ("A", "Approve", 400, "complete"),
            # Two overlapping visits: the first complete closes the first start.
            ("B", "Check", 0, "start"),
            ("B", "Check", 10, "start"),
            ("B", "Check", 50, "complete"),
            ("B", "Check", 70, "complete"),
            ("B", "Approve", 200, "complete"),  # no start: an instant activity
            ("C", "Check", 0, "start"),
            ("C", "Check", 40, "complete"),
            ("C", "Approve", 60, "start"),  # never completed
        ]
    )
    log = EventLog(frame, case="case", activity="activity", timestamp="time", lifecycle="transition")
    stats = log.stage_stats()
    assert list(stats.index) == ["Check", "Approve"]
    # Check: A 100 s; B (0, 50) and (10, 70); C 40 s.
    assert stats.loc["Check", "visits"] == 4
    assert stats.loc["Check", "items"] == 3
    assert stats.loc["Check", "hands_on_median"] == np.median([100, 50, 60, 40])
    # Approve: A 250 s after a 50 s wait; B instant at 200, 130 s after B's last end (70).
    assert stats.loc["Approve", "visits"] == 2
    assert stats.loc["Approve", "hands_on_median"] == np.median([250, 0])
    assert stats.loc["Approve", "wait_median"] == np.median([50, 130])
    found = issues(log)
    assert found["schedule, assign and skip transitions"] == 1
    assert found["starts without a complete"] == 1
    assert found["completes without a start"] == 1
    assert found["events starting before earlier work of the item ended"] == 1
    flow = log.flow_times().set_index("case")
    assert flow.loc["A", "flow_time"] == 400
    assert flow.loc["B", "active_time"] == 70  # (0, 70) once, the instant adds nothing


def test_lifecycle_rows_are_not_each_a_visit() -> None:
    # Each visit has schedule, start and complete rows: three rows, one visit.
    rows = []
    for case in range(5):
        for k, stage in enumerate(["Draft", "Sign"]):
            t0 = 1000 * k
            rows += [
                (f"L{case}", stage, t0, "schedule"),
                (f"L{case}", stage, t0 + 10, "start"),
                (f"L{case}", stage, t0 + 10 + 60 * (case + 1), "complete"),
            ]
    log = EventLog(
        lifecycle_rows(rows), case="case", activity="activity", timestamp="time", lifecycle="transition"
    )
    stats = log.stage_stats()
    assert stats["visits"].tolist() == [5, 5]
    assert stats["rework"].tolist() == [0, 0]
    assert stats.loc["Draft", "hands_on_median"] == 180  # 60, 120, 180, 240, 300


def test_lifecycle_transitions_are_read_in_any_case_and_unknown_ones_reported() -> None:
    frame = lifecycle_rows(
        [("A", "Check", 0, "START"), ("A", "Check", 30, " Complete"), ("A", "Check", 40, "paused")]
    )
    log = EventLog(frame, case="case", activity="activity", timestamp="time", lifecycle="transition")
    assert log.stage_stats().loc["Check", "hands_on_median"] == 30
    assert any("unknown transitions ['paused']" in issue for issue in log.report()["issue"])


def _fifo_reference(rows: list[tuple[str, str, int, str]]) -> dict[str, list[int]]:
    """Hands-on seconds per activity, pairing with a queue per case and activity.

    Rows repeated exactly are one row (the log drops duplicate events and says so).
    """
    open_starts: dict[tuple[str, str], collections.deque[int]] = collections.defaultdict(collections.deque)
    hands: dict[str, list[int]] = collections.defaultdict(list)
    # At one moment starts come before completes.
    for case, act, t, kind in sorted(set(rows), key=lambda r: (r[0], r[1], r[2], r[3] != "start")):
        if kind == "start":
            open_starts[case, act].append(t)
        elif open_starts[case, act]:
            hands[act].append(t - open_starts[case, act].popleft())
        else:
            hands[act].append(0)
    return hands


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["c1", "c2", "c3"]),
            st.sampled_from(["X", "Y"]),
            st.integers(0, 50),
            st.sampled_from(["start", "complete"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_lifecycle_pairing_matches_a_plain_queue(rows: list[tuple[str, str, int, str]]) -> None:
    expected = _fifo_reference(rows)
    if not expected:
        with pytest.raises(ValidationError):
            EventLog(
                lifecycle_rows(rows),
                case="case",
                activity="activity",
                timestamp="time",
                lifecycle="transition",
            )
        return
    log = EventLog(
        lifecycle_rows(rows), case="case", activity="activity", timestamp="time", lifecycle="transition"
    )
    stats = log.stage_stats()
    assert sorted(stats.index) == sorted(expected)
    for act, values in expected.items():
        assert stats.loc[act, "visits"] == len(values)
        assert stats.loc[act, "hands_on_median"] == pytest.approx(np.median(values))
        assert stats.loc[act, "hands_on_mean"] == pytest.approx(np.mean(values))


# --------------------------------------------------------------------------- status histories


def status_history(cases: int = 40, seed: int = 3) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Backlog -> In progress -> Ready for review -> In review -> Done, with known times."""
    rng = np.random.default_rng(seed)
    statuses = ["Backlog", "In progress", "Ready for review", "In review", "Done"]
    durations = rng.integers(60, 5 * 86400, (cases, 4))
    entered = np.concatenate((np.zeros((cases, 1), int), np.cumsum(durations, axis=1)), axis=1)
    entered += rng.integers(0, 20 * 86400, (cases, 1))
    frame = pd.DataFrame(
        {
            "key": np.repeat([f"JIRA-{i}" for i in range(cases)], 5),
            "status": np.tile(statuses, cases),
            "changed": BASE + pd.to_timedelta(entered.ravel(), unit="s"),
        }
    ).sample(frac=1.0, random_state=seed)
    return frame, {"durations": durations, "entered": entered}


def test_status_history_times_each_status_until_the_next_change() -> None:
    frame, truth = status_history()
    d = truth["durations"]
    log = EventLog(
        frame,
        case="key",
        activity="status",
        timestamp="changed",
        timestamp_marks="start",
        waiting=["Backlog", "Ready for review"],
    )
    stats = log.stage_stats()
    assert list(stats.index) == ["In progress", "In review"]
    assert stats.loc["In progress", "hands_on_median"] == np.median(d[:, 1])
    assert stats.loc["In review", "hands_on_p85"] == pytest.approx(np.percentile(d[:, 3], 85))
    # Time in a waiting status is the wait before the next working status.
    assert stats.loc["In progress", "wait_median"] == np.median(d[:, 0])
    assert stats.loc["In review", "wait_median"] == np.median(d[:, 2])
    flow = log.flow_times()
    assert sorted(flow["flow_time"]) == sorted(d.sum(axis=1).astype(float))
    metrics = log.flow_metrics()
    assert metrics["flow_efficiency"] == pytest.approx((d[:, 1] + d[:, 3]).sum() / d.sum())
    m = log.to_map("Delivery")
    assert [s.name for s in m.steps] == ["In progress", "In review"]
    # The queue before the first working status is on the map too.
    assert [g.wait_time for g in m.gaps] == [np.median(d[:, 0]), np.median(d[:, 2])]
    assert m.state.day_basis == "calendar"


def test_status_history_read_as_ends_is_shifted_by_one_stage() -> None:
    # The same history read the old way puts each status's time on the next status.
    frame, truth = status_history(cases=9)
    shifted = EventLog(frame, case="key", activity="status", timestamp="changed").stage_stats()
    assert shifted.loc["In progress", "lead_median"] == np.median(truth["durations"][:, 0])


def test_status_history_without_waiting_statuses_and_a_final_status_only_item() -> None:
    frame = pd.DataFrame(
        {
            "key": ["A", "A", "A", "B"],
            "status": ["Open", "Doing", "Done", "Done"],
            "changed": [BASE, BASE + pd.Timedelta(hours=2), BASE + pd.Timedelta(hours=5), BASE],
        }
    )
    log = EventLog(frame, case="key", activity="status", timestamp="changed", timestamp_marks="start")
    stats = log.stage_stats()
    assert stats["hands_on_median"].tolist() == [7200.0, 10800.0]
    assert issues(log)["items with no work (only waiting or final statuses, or no completed visit)"] == 1


def test_status_options_are_checked() -> None:
    frame, _ = status_history(cases=3)
    common = {"case": "key", "activity": "status", "timestamp": "changed"}
    with pytest.raises(ValidationError, match="did you mean 'Ready for review'") as caught:
        EventLog(frame, **common, timestamp_marks="start", waiting=["Ready for reveiw"])
    assert caught.value.field == "waiting"
    with pytest.raises(ValidationError, match="timestamp_marks='start'"):
        EventLog(frame, **common, waiting=["Backlog"])
    with pytest.raises(ValidationError) as caught:
        EventLog(frame, **common, timestamp_marks="middle")
    assert caught.value.field == "timestamp_marks"
    with pytest.raises(ValidationError, match="one timestamp per row"):
        EventLog(
            frame, case="key", activity="status", start="changed", end="changed", timestamp_marks="start"
        )


# --------------------------------------------------------------------------- working calendars

BERLIN = WorkCalendar(hours="09:00-17:00", weekdays="Mon-Fri", holidays=["2024-04-01"], tz="Europe/Berlin")


def brute_force_working_seconds(start: pd.Timestamp, end: pd.Timestamp, calendar: dict) -> float:
    """Working time counted minute by minute in local time (times on whole minutes)."""
    minutes = pd.date_range(start, end, freq="min", inclusive="left")
    local = minutes.tz_convert(calendar["tz"]) if minutes.tz is not None else minutes
    low, high = calendar["open"], calendar["close"]
    clock = local.hour * 60 + local.minute
    works = (
        (local.day_of_week < 5)
        & (clock >= low)
        & (clock < high)
        & ~np.isin(local.strftime("%Y-%m-%d"), calendar["holidays"])
    )
    return 60.0 * int(works.sum())


BERLIN_PLAIN = {"tz": "Europe/Berlin", "open": 9 * 60, "close": 17 * 60, "holidays": ["2024-04-01"]}


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2024-03-29 16:00", "2024-04-02 10:00", 2),  # Fri 1 h, weekend, Easter Monday, Tue 1 h
        ("2024-03-05 16:30", "2024-03-06 09:30", 1),  # a night
        ("2024-03-30 10:00", "2024-03-31 18:00", 0),  # a weekend (with the clocks going forward)
        ("2024-03-28 08:00", "2024-04-03 08:00", 24),  # Thu, Fri, Tue across the change
    ],
)
def test_working_time_by_hand(start: str, end: str, hours: int) -> None:
    a = pd.Timestamp(start, tz="Europe/Berlin")
    b = pd.Timestamp(end, tz="Europe/Berlin")
    assert BERLIN.working_time(a, b) == hours * 3600
    assert brute_force_working_seconds(a, b, BERLIN_PLAIN) == hours * 3600


def test_a_day_across_the_clock_change_lasts_what_it_lasts() -> None:
    always = WorkCalendar(hours="00:00-24:00", weekdays="Mon-Sun", tz="Europe/Berlin")
    a = pd.Timestamp("2024-03-30 12:00", tz="Europe/Berlin")
    b = pd.Timestamp("2024-03-31 12:00", tz="Europe/Berlin")
    assert always.working_time(a, b) == (b - a).total_seconds() == 23 * 3600


def test_status_history_in_working_time_matches_minute_counting() -> None:
    rng = np.random.default_rng(7)
    rows = []
    expected: dict[str, list[float]] = {"Doing": [], "Review": []}
    waits: list[float] = []
    for i in range(25):
        t0 = pd.Timestamp("2024-03-25 06:00", tz="Europe/Berlin") + pd.Timedelta(
            minutes=int(rng.integers(0, 9000))
        )
        steps = np.cumsum(rng.integers(30, 4000, 3))
        times = [t0, *(t0 + pd.Timedelta(minutes=int(s)) for s in steps)]
        for status, t in zip(["Doing", "Queued", "Review", "Done"], times, strict=True):
            rows.append((f"T{i}", status, t.tz_convert("UTC")))
        expected["Doing"].append(brute_force_working_seconds(times[0], times[1], BERLIN_PLAIN))
        waits.append(brute_force_working_seconds(times[1], times[2], BERLIN_PLAIN))
        expected["Review"].append(brute_force_working_seconds(times[2], times[3], BERLIN_PLAIN))
    frame = pd.DataFrame(rows, columns=["key", "status", "at"])
    log = EventLog(
        frame,
        case="key",
        activity="status",
        timestamp="at",
        timestamp_marks="start",
        waiting=["Queued"],
        calendar={
            "hours": "09:00-17:00",
            "weekdays": "Mon-Fri",
            "holidays": ["2024-04-01"],
            "tz": "Europe/Berlin",
        },
    )
    stats = log.stage_stats()
    assert stats.loc["Doing", "hands_on_mean"] == pytest.approx(np.mean(expected["Doing"]))
    assert stats.loc["Review", "hands_on_median"] == pytest.approx(np.median(expected["Review"]))
    assert stats.loc["Review", "wait_mean"] == pytest.approx(np.mean(waits))
    flow = log.flow_times()["flow_time"].sort_values().to_numpy()
    total = np.sort(np.add(np.add(expected["Doing"], waits), expected["Review"]))
    assert flow == pytest.approx(total)
    assert "Mon-Fri 09:00-17:00" in log.time_basis
    m = log.to_map()
    assert m.state.day_basis == "working"
    assert m.state.available_time == 8 * 3600
    assert "working time" in m.steps[0].notes


def test_calendar_values_are_checked() -> None:
    for fields, field in [
        ({"hours": "17:00-09:00"}, "calendar.hours"),
        ({"hours": "9am-5pm"}, "calendar.hours"),
        ({"weekdays": "Mon-Fry"}, "calendar.weekdays"),
        ({"holidays": ["soon"]}, "calendar.holidays"),
        ({"tz": "Mars/Olympus"}, "calendar.tz"),
    ]:
        with pytest.raises(ValidationError) as caught:
            WorkCalendar(**fields)
        assert caught.value.field == field
    with pytest.raises(ValidationError) as caught:
        WorkCalendar.coerce({"hours": "09:00-17:00", "lunch": "12:00"})
    assert caught.value.field == "calendar"
    aware = pd.DataFrame(
        {"c": ["a", "a"], "s": ["x", "y"], "t": pd.to_datetime(["2024-03-04", "2024-03-05"], utc=True)}
    )
    with pytest.raises(ValidationError) as caught:
        EventLog(aware, case="c", activity="s", timestamp="t", calendar=WorkCalendar())
    assert caught.value.field == "calendar.tz"


def test_weekdays_wrap_and_split_hours() -> None:
    cal = WorkCalendar(hours="08:00-12:00, 13:00-17:00", weekdays="Sun-Thu")
    # Thu 2024-03-07 11:00 to Sun 2024-03-10 09:00: Thu 1 h + 4 h, Fri and Sat off, Sun 1 h.
    assert cal.working_time("2024-03-07 11:00", "2024-03-10 09:00") == 6 * 3600
    assert cal.hours_per_day == 8 * 3600


# --------------------------------------------------------------------------- text dates


def dated(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"case": ["a"] * len(texts), "stage": [f"S{i}" for i in range(len(texts))], "when": texts}
    )


def test_ambiguous_day_month_dates_are_refused_not_guessed() -> None:
    frame = dated(["02.03.2024 10:00", "04.03.2024 10:00"])
    with pytest.raises(ValidationError, match="dayfirst=True or False") as caught:
        EventLog(frame, case="case", activity="stage", timestamp="when")
    assert caught.value.field == "end"
    day_first = EventLog(frame, case="case", activity="stage", timestamp="when", dayfirst=True)
    # 2 March to 4 March is two days; read month first it would be 3 February to 3 April.
    assert day_first.flow_times()["flow_time"].iloc[0] == 2 * 86400
    month_first = EventLog(frame, case="case", activity="stage", timestamp="when", dayfirst=False)
    assert (
        month_first.flow_times()["flow_time"].iloc[0]
        == (pd.Timestamp("2024-04-03") - pd.Timestamp("2024-02-03")).total_seconds()
    )


def test_a_day_above_twelve_settles_the_reading() -> None:
    frame = dated(["02.03.2024", "13.03.2024"])
    log = EventLog(frame, case="case", activity="stage", timestamp="when")
    assert log.flow_times()["flow_time"].iloc[0] == 11 * 86400
    with pytest.raises(ValidationError) as caught:
        EventLog(frame, case="case", activity="stage", timestamp="when", dayfirst=False)
    assert caught.value.field == "dayfirst"
    mixed = dated(["13.03.2024", "03.14.2024"])
    with pytest.raises(ValidationError, match="mixes day-first and month-first"):
        EventLog(mixed, case="case", activity="stage", timestamp="when")


def test_format_reads_any_layout() -> None:
    frame = dated(["2024/03/02 7h05", "2024/03/02 9h35"])
    log = EventLog(frame, case="case", activity="stage", timestamp="when", format="%Y/%m/%d %Hh%M")
    assert log.flow_times()["flow_time"].iloc[0] == 150 * 60
    with pytest.raises(ValidationError, match="not timestamps"):
        EventLog(frame, case="case", activity="stage", timestamp="when", format="%d.%m.%Y")


def test_iso_dates_need_no_dayfirst() -> None:
    frame = dated(["2024-03-02 10:00", "2024-03-04 10:00"])
    log = from_event_log(frame, case="case", activity="stage", timestamp="when", dayfirst=True)
    assert [s.name for s in log.steps] == ["S0", "S1"]
